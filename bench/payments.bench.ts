/**
 * bench `payments` (PostgreSQL): (1) online payment API — signed POST /api/v1/channel/pay at N
 * concurrent clients on loopback, each payment a new idempotency key on a random account:
 * throughput and p50/p90/p99; (2) nightly late-fee accrual over M open overdue receivables.
 * Runs on a throwaway database created on the DATABASE_URL server (dropped at the end unless
 * --keep). The API server runs in a child process (`voltline serve`).
 *
 * BENCH_SERVER_NODE_ARGS adds node flags to the server child (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof");
 * BENCH_SERVER_LOG_LEVEL its log level (default warn: no per-request log lines; the product's default is info).
 *
 *   DATABASE_URL=postgres://... npm run bench -- payments [--concurrency 200] [--requests 5000]
 *       [--accounts 5000] [--receivables 100000] [--port 3902] [--skip-api] [--keep]
 *       [--history-months 12]    settled bills paid per account before the run (a ledger with history)
 *       [--rate 2000] [--paced-seconds 5]   then requests offered at a fixed rate (open loop; 0 = skip)
 *       [--paced-warmup-seconds 2]           offered at that rate first, unmeasured (reported apart)
 *       [--paths single,group]   API paths measured in this run, in this order (group posting is the
 *                                server's default; single = VOLTLINE_CHANNEL_BATCH=off)
 *       [--client raw|http]      the load generator: `raw` (default) writes each request, signed
 *                                ahead of its phase, as one buffer on a keep-alive socket of its own
 *                                (one per client) and reads the status line and Content-Length; `http`
 *                                signs each request when sent and uses node:http with an Agent. Both
 *                                run on this machine's cores with the server and PostgreSQL; `raw`
 *                                takes less of them, like a real bank that is on another host.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import pg from 'pg';
import { sql } from 'kysely';
import { openPostgres } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { readEnv } from '../src/config/env.js';
import { seed } from '../src/jobs/seed.js';
import { accrueLateFees } from '../src/app/payments/late-fees.js';
import { reconcileLedger } from '../src/app/payments/ledger.js';
import { signRequest } from '../src/domain/payments/signature.js';
import '../src/db/schema-payments.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (args: string[], name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const pct = (s: number[], p: number) => (s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 100) / 100 : 0);

/** latency per 500 ms of scheduled send time: count, p50, p99, max (ms) */
function halfSeconds(series: Array<[number, number]>) {
  const by = new Map<number, number[]>();
  for (const [t, l] of series) {
    const k = Math.max(0, Math.floor(t / 500));
    if (!by.has(k)) by.set(k, []);
    by.get(k)!.push(l);
  }
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([k, l]) => {
    l.sort((a, b) => a - b);
    return `${(k / 2).toFixed(1)}s n=${l.length} p50=${Math.round(pct(l, 50))} p99=${Math.round(pct(l, 99))} max=${Math.round(pct(l, 100))}`;
  });
}

/** CPU seconds (user + system) a process has used, from /proc (Linux); null when not readable */
function procCpuSeconds(pid: number): number | null {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (USER_HZ 100)
  } catch {
    return null;
  }
}

/**
 * Where the CPU went during a phase: the server child, every PostgreSQL process of the server
 * (backends and background processes, from pg_stat_activity; same host only) and this load
 * generator. Null parts when /proc is not readable (e.g. PostgreSQL on another host).
 */
async function cpuSnapshot(admin: pg.Client, serverPid: number) {
  const pids = (await admin.query<{ pid: number }>('select pid from pg_stat_activity where pid <> pg_backend_pid()')).rows.map((r) => Number(r.pid));
  let postgres: number | null = 0;
  for (const pid of pids) {
    const c = procCpuSeconds(pid);
    if (c === null) {
      postgres = null;
      break;
    }
    postgres += c;
  }
  const u = process.cpuUsage();
  return { server: procCpuSeconds(serverPid), postgres, client: (u.user + u.system) / 1e6, pids: new Set(pids) };
}
function cpuPerPayment(a: Awaited<ReturnType<typeof cpuSnapshot>>, b: Awaited<ReturnType<typeof cpuSnapshot>>, n: number, secs: number) {
  const per = (x: number | null, y: number | null) => (x === null || y === null ? null : Math.round(((y - x) / n) * 1e6) / 1000);
  const cores = (x: number | null, y: number | null) => (x === null || y === null ? null : Math.round(((y - x) / secs) * 100) / 100);
  return {
    msPerPayment: { server: per(a.server, b.server), postgres: per(a.postgres, b.postgres), client: per(a.client, b.client) },
    coresUsed: { server: cores(a.server, b.server), postgres: cores(a.postgres, b.postgres), client: cores(a.client, b.client) },
    note: 'CPU from /proc: PostgreSQL processes that ended during the phase are not counted',
  };
}

export async function run(args: string[]) {
  const env = readEnv();
  if (!env.databaseUrl) throw new Error('bench payments needs PostgreSQL: set DATABASE_URL (a server where a throwaway database can be created)');
  const concurrency = arg(args, 'concurrency', 200);
  const requests = arg(args, 'requests', 5000);
  const accounts = arg(args, 'accounts', 5000);
  const receivables = arg(args, 'receivables', 100_000);
  const basePort = arg(args, 'port', 3902);
  const rate = arg(args, 'rate', 2000);
  const pacedSeconds = arg(args, 'paced-seconds', 5);
  const pacedWarmup = arg(args, 'paced-warmup-seconds', 2);
  const historyMonths = arg(args, 'history-months', 12);
  const name = `vl_bench_pay_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: env.databaseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(env.databaseUrl);
  url.pathname = '/' + name;
  const db = openPostgres(url.toString(), 10);
  const out: Record<string, unknown> = { bench: 'payments', engine: 'postgres', concurrency, requests, accounts, receivables, historyMonths };
  try {
    await migrate(db);
    let t = performance.now();
    await seed(db, { accounts, months: 0, seed: 3 });
    out.seedSeconds = Math.round((performance.now() - t) / 100) / 10;
    const secret = crypto.randomBytes(24).toString('hex');
    await db.kysely.insertInto('payment_channels').values({ code: 'BENCH', name: 'bench bank', secret_current: secret }).execute();
    // one open receivable per account (not overdue) with its ledger entry
    await sql`with ins as (insert into receivables (account_id, org_unit_id, source, period, customer_class, amount, due_date)
                select id, org_unit_id, 'adjustment', '2099-01', customer_class, 100 + (id % 900), '2099-02-15' from accounts returning id, account_id, amount)
              insert into ledger_entries (account_id, kind, component, amount, receivable_id, entry_date) select account_id, 'adjustment', 'principal', amount, id, current_date from ins`.execute(db.kysely);
    // a utility's ledger is not empty: each account gets --history-months of settled bills, each
    // paid by one channel payment (receivable, payment, allocation and both ledger entries), then
    // the tables are analyzed. Without history the tables grow from almost nothing during the
    // run, and the plans PostgreSQL caches per connection (plpgsql statements, foreign-key checks)
    // are made for tiny tables: sequential scans that get slower with every payment until
    // autovacuum re-analyzes (≥ 60 s), which made the figures swing by 2x from run to run.
    if (historyMonths > 0) {
      t = performance.now();
      await sql`
        with r as (
          insert into receivables (account_id, org_unit_id, source, period, customer_class, amount, due_date, principal_paid, fee_through, status, settled_at)
          select a.id, a.org_unit_id, 'adjustment', to_char(date '2020-01-01' + m * interval '1 month', 'YYYY-MM'), a.customer_class,
                 (80 + (a.id * 7 + m * 13) % 500)::numeric(14,2), (date '2020-02-15' + m * interval '1 month')::date,
                 (80 + (a.id * 7 + m * 13) % 500)::numeric(14,2), (date '2020-02-10' + m * interval '1 month')::date, 'settled', now()
            from accounts a, generate_series(0, ${historyMonths}::int - 1) m
          returning id, account_id, org_unit_id, amount, due_date),
        p as (
          insert into payments (account_id, org_unit_id, channel, method, amount, idempotency_key, request_hash, pay_date)
          select account_id, org_unit_id, 'BENCH', 'transfer', amount, 'history-' || id, 'history', due_date - 5 from r
          returning id, idempotency_key),
        rp as (select r.*, p.id as payment_id from r join p on p.idempotency_key = 'history-' || r.id),
        al as (insert into payment_allocations (payment_id, receivable_id, account_id, fee, principal) select payment_id, id, account_id, 0, amount from rp returning 1)
        insert into ledger_entries (account_id, kind, component, amount, receivable_id, payment_id, entry_date)
        select account_id, 'adjustment', 'principal', amount, id, null, due_date - 30 from rp
        union all select account_id, 'payment', 'principal', -amount, id, payment_id, due_date - 5 from rp`.execute(db.kysely);
      out.historySeconds = Math.round((performance.now() - t) / 100) / 10;
    }
    await sql`analyze`.execute(db.kysely);
    const nos = (await db.kysely.selectFrom('accounts').select('account_no').execute()).map((r) => r.account_no);

    /** one API measurement: a fresh server child in the given mode, warm-up, then the timed requests */
    async function apiRun(mode: 'single' | 'group', round: number): Promise<Record<string, unknown>> {
      let result: Record<string, unknown> = {};
      const port = basePort + round;
      const child = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean), path.join(root, 'bin/voltline.mjs'), 'serve', '--port', String(port), '--host', '127.0.0.1'], {
        env: { ...process.env, DATABASE_URL: url.toString(), LOG_LEVEL: process.env.BENCH_SERVER_LOG_LEVEL ?? 'warn', VOLTLINE_SCHEDULER: 'off', VOLTLINE_DB_POOL_SIZE: String(arg(args, 'pool', 20)), VOLTLINE_CHANNEL_BATCH: mode === 'group' ? 'on' : 'off' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        await new Promise<void>((res, rej) => {
          const tm = setTimeout(() => rej(new Error('server did not start in 120 s')), 120_000);
          child.stdout!.on('data', (d: Buffer) => {
            if (String(d).includes('Voltline is ready')) {
              clearTimeout(tm);
              res();
            }
          });
          child.on('exit', (c) => rej(new Error(`server exited ${c}`)));
        });
        const clientKind = (() => {
          const i = args.indexOf('--client');
          return i >= 0 ? args[i + 1] : 'raw';
        })();
        const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
        const p = '/api/v1/channel/pay';
        const bodyOf = (i: number) => JSON.stringify({ accountNo: nos[(i * 7919) % nos.length], amount: `${1 + (i % 9)}.${String(i % 100).padStart(2, '0')}`, currency: 'CNY', idempotencyKey: `BENCH-${mode}-${i}-${name}` });
        const headersOf = (body: string) => {
          const ts = String(Math.floor(Date.now() / 1000));
          const nonce = crypto.randomUUID();
          return { 'content-type': 'application/json', 'x-channel-code': 'BENCH', 'x-timestamp': ts, 'x-nonce': nonce, 'x-signature': signRequest(secret, 'POST', p, ts, nonce, body) };
        };
        /** the whole signed request as one buffer (signed now: within the ±300 s window for the phase) */
        const rawRequest = (i: number) => {
          const body = bodyOf(i);
          const h = headersOf(body);
          let head = `POST ${p} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: keep-alive\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
          for (const [k, v] of Object.entries(h)) head += `${k}: ${v}\r\n`;
          return Buffer.from(head + '\r\n' + body);
        };
        /** keep-alive sockets, one request at a time each; parses status and Content-Length only */
        class RawConn {
          private sock: net.Socket;
          private buf: Buffer = Buffer.alloc(0);
          private waiting: ((r: { status: number; body: string }) => void) | null = null;
          private failed: ((e: Error) => void) | null = null;
          constructor() {
            this.sock = net.connect({ host: '127.0.0.1', port });
            this.sock.setNoDelay(true);
            this.sock.on('data', (d: Buffer) => {
              this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
              this.parse();
            });
            this.sock.on('error', (e) => this.failed?.(e));
          }
          private parse() {
            const end = this.buf.indexOf('\r\n\r\n');
            if (end < 0) return;
            const head = this.buf.subarray(0, end).toString('latin1');
            const m = /content-length:\s*(\d+)/i.exec(head);
            const len = m ? Number(m[1]) : 0;
            if (this.buf.length < end + 4 + len) return;
            const status = Number(head.slice(9, 12));
            const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
            this.buf = this.buf.subarray(end + 4 + len);
            const w = this.waiting;
            this.waiting = null;
            w?.({ status, body });
          }
          send(req: Buffer): Promise<{ status: number; body: string }> {
            return new Promise((res, rej) => {
              this.waiting = res;
              this.failed = rej;
              this.sock.write(req);
            });
          }
          close() {
            this.sock.destroy();
          }
        }
        const conns: RawConn[] = [];
        const idle: RawConn[] = [];
        /** a free connection (a new one while fewer than `concurrency` are open; else wait for one) */
        const waiters: Array<(c: RawConn) => void> = [];
        const acquire = (): Promise<RawConn> => {
          const c = idle.pop();
          if (c) return Promise.resolve(c);
          if (conns.length < concurrency) {
            const n = new RawConn();
            conns.push(n);
            return Promise.resolve(n);
          }
          return new Promise((r) => waiters.push(r));
        };
        const release = (c: RawConn) => {
          const w = waiters.shift();
          if (w) w(c);
          else idle.push(c);
        };
        const prepared = new Map<number, Buffer>();
        const prepare = (from: number, n: number) => {
          if (clientKind === 'raw') for (let k = from; k < from + n; k++) prepared.set(k, rawRequest(k));
        };
        const pay = async (i: number): Promise<{ status: number; body: string }> => {
          if (clientKind === 'raw') {
            const req = prepared.get(i) ?? rawRequest(i);
            prepared.delete(i);
            const c = await acquire();
            try {
              return await c.send(req);
            } finally {
              release(c);
            }
          }
          const body = bodyOf(i);
          return new Promise<{ status: number; body: string }>((res, rej) => {
            const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: p, agent, headers: headersOf(body) }, (r) => {
              let b = '';
              r.setEncoding('utf8');
              r.on('data', (c) => (b += c));
              r.on('end', () => res({ status: r.statusCode ?? 0, body: b }));
            });
            req.on('error', rej);
            req.end(body);
          });
        };
        // warm-up
        await Promise.all(Array.from({ length: 100 }, (_, i) => pay(requests + i)));
        prepare(0, requests);
        const lat: number[] = [];
        let next = 0, errors = 0;
        let firstError = '';
        const cpuAdmin = new pg.Client({ connectionString: env.databaseUrl });
        await cpuAdmin.connect();
        const cpu0 = await cpuSnapshot(cpuAdmin, child.pid!);
        t = performance.now();
        await Promise.all(Array.from({ length: concurrency }, async () => {
          while (next < requests) {
            const i = next++;
            const s = performance.now();
            const r = await pay(i);
            lat.push(performance.now() - s);
            if (r.status !== 200) {
              errors++;
              firstError ||= r.body.slice(0, 300);
            }
          }
        }));
        const secs = (performance.now() - t) / 1000;
        const cpu1 = await cpuSnapshot(cpuAdmin, child.pid!);
        lat.sort((a, b) => a - b);
        result = { mode, client: clientKind, requests, concurrency, seconds: Math.round(secs * 100) / 100, paymentsPerSecond: Math.round(requests / secs), errors, firstError: firstError || undefined, p50ms: pct(lat, 50), p90ms: pct(lat, 90), p99ms: pct(lat, 99), maxms: pct(lat, 100), cpu: cpuPerPayment(cpu0, cpu1, requests, secs) };
        // paced (open loop): requests offered at a fixed rate over at most `concurrency` connections;
        // latency counted from the scheduled send time, so a stall is not hidden (no coordinated omission)
        if (rate > 0) {
          // the rate is first offered for --paced-warmup-seconds, unmeasured (the closed loop just
          // before leaves PostgreSQL and the server a backlog of background work: dirty buffers,
          // autovacuum, garbage), then for --paced-seconds, measured; the warm-up's own figures
          // are reported next to the measured ones
          const nw = Math.round(rate * pacedWarmup);
          const n = Math.max(1, Math.round(rate * pacedSeconds));
          const plat: number[] = [];
          const wlat: number[] = [];
          let perrors = 0, inFlight = 0, maxInFlight = 0;
          const base = 2 * requests + 1000 + round * 10_000_000;
          prepare(base, nw + n); // signed before the clock starts
          const t0 = performance.now() + 20;
          const start = t0 + (nw * 1000) / rate;
          let pc0: Promise<Awaited<ReturnType<typeof cpuSnapshot>>> | null = null;
          const done: Array<Promise<void>> = [];
          const series: Array<[number, number]> = []; // [scheduled send after start, latency] in ms
          for (let k = 0; k < nw + n; k++) {
            const due = t0 + (k * 1000) / rate;
            if (k === nw) pc0 = cpuSnapshot(cpuAdmin, child.pid!); // not awaited: the sends keep their schedule
            const wait = due - performance.now();
            if (wait > 1) await new Promise((r) => setTimeout(r, wait));
            inFlight++;
            if (k >= nw) maxInFlight = Math.max(maxInFlight, inFlight);
            const measured = k >= nw;
            done.push(pay(base + k).then((r) => {
              inFlight--;
              if (!measured) {
                wlat.push(performance.now() - due);
                return;
              }
              plat.push(performance.now() - due);
              series.push([due - start, performance.now() - due]);
              if (r.status !== 200) perrors++;
            }));
          }
          await Promise.all(done);
          const psecs = (performance.now() - start) / 1000;
          const pc1 = await cpuSnapshot(cpuAdmin, child.pid!);
          plat.sort((a, b) => a - b);
          wlat.sort((a, b) => a - b);
          result.paced = { startedAt: new Date(performance.timeOrigin + start).toISOString(), offeredPerSecond: rate, requests: n, seconds: Math.round(psecs * 100) / 100, achievedPerSecond: Math.round(n / psecs), errors: perrors, maxOpenRequests: maxInFlight, p50ms: pct(plat, 50), p90ms: pct(plat, 90), p99ms: pct(plat, 99), maxms: pct(plat, 100), cpu: cpuPerPayment(await pc0!, pc1, n, psecs),
            warmup: { seconds: pacedWarmup, requests: nw, p50ms: pct(wlat, 50), p99ms: pct(wlat, 99), maxms: pct(wlat, 100) },
            // per half second of scheduled send time: where the slow requests are (a spike vs a steady queue)
            timeline: halfSeconds(series) };
        }
        await cpuAdmin.end();
        agent.destroy();
        for (const c of conns) c.close();
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      const rec = await reconcileLedger(db.kysely);
      result.ledgerReconciles = rec.ok;
      return result;
    }

    if (!args.includes('--skip-api')) {
      // group posting (the default) and the single path, measured in the same run; order as given
      const pi = args.indexOf('--paths');
      const paths = (pi >= 0 ? args[pi + 1] : 'single,group').split(',');
      const apiOut: Record<string, unknown> = {};
      let round = 0;
      for (const mode of paths) {
        if (mode !== 'single' && mode !== 'group') throw new Error(`--paths: single and/or group, got ${mode}`);
        apiOut[mode] = await apiRun(mode, round++);
      }
      out.api = apiOut;
    }

    // late-fee accrual over M overdue receivables spread over the accounts
    t = performance.now();
    await sql`insert into receivables (account_id, org_unit_id, source, period, customer_class, amount, due_date)
              select a.id, a.org_unit_id, 'adjustment', to_char(date '2025-01-01' + (g % 12) * interval '1 month', 'YYYY-MM'),
                     case when g % 3 = 0 then 'commercial' else 'residential' end, 50 + (g % 5000) / 7.0, date '2025-02-15' + (g % 12) * 30
                from generate_series(1, ${receivables}::int) g join accounts a on a.id = 1 + (g % ${accounts}::int)`.execute(db.kysely);
    await sql`analyze receivables`.execute(db.kysely);
    out.accrualSetupSeconds = Math.round((performance.now() - t) / 100) / 10;
    const first = await accrueLateFees(db, '2026-11-28');
    const second = await accrueLateFees(db, '2026-11-29');
    out.accrual = { receivables: first.receivables, firstRunMs: first.ms, rerunNextDayMs: second.ms, amountFirstRun: first.amount, perSecond: Math.round(first.receivables / (first.ms / 1000)) };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await db.close();
    if (!args.includes('--keep')) {
      const c = new pg.Client({ connectionString: env.databaseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    }
  }
}
