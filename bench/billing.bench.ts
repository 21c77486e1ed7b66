/**
 * bench `billing`: a billing run end to end (determinants from readings, rating, bills + lines
 * written with COPY, review flags) on N accounts, then the write floor: a plain COPY of the same
 * output rows into tables of the same shape and indexes. Prints JSON.
 *
 *   DATABASE_URL=postgres://... npm run bench -- billing [--accounts 100000] [--workers 1,2] [--partition-size 5000] [--pgdata DIR]
 *       [--history-months 2]   months of readings per meter up to the billed period (24: two years of history)
 *   npm run bench -- billing --pglite /tmp/x --accounts 100000      # PGlite (in-process worker), or VOLTLINE_DATA_DIR without DATABASE_URL
 *
 * Per measurement: accounts, wall seconds, bills/s, the COPY floor of the same rows (seconds) and
 * the ratio run/floor, workers, peak worker RSS, CPU seconds of the workers and (with --pgdata, the
 * server's data directory on this machine) of the PostgreSQL backends, and the machine load
 * (1-minute load average before and after) — on a shared machine the wall time measures the
 * contention as much as the code, the CPU seconds do not. PostgreSQL: after seeding the bench
 * runs VACUUM (ANALYZE), and before each measurement and its floor it waits until no autovacuum
 * worker is busy; tables autovacuumed during a measurement are reported (`autovacuumDuringRun`).
 *
 * The database must be empty or hold a previous bench seed. Seeds N accounts (demo mix) when
 * empty; adds --history-months of readings (default 2: 2026-09, 2026-10) with COPY when missing; bills 2026-10.
 * On PostgreSQL each worker is a separate `voltline bill-worker --run ID` process (the production
 * path); on PGlite one in-process worker. BENCH_WORKER_NODE_ARGS adds node flags to the workers
 * (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"). Before each measurement the billing tables are emptied.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import os from 'node:os';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { openDb, openPglite, type Db } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { readEnv } from '../src/config/env.js';
import { SYSTEM_ACTOR } from '../src/app/context.js';
import { BILL_COLS, LINE_COLS, createRun, runProgress, workRun } from '../src/app/billing/run.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PERIOD = '2026-10';

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * `historyMonths` months of readings per installed meter, ending with the billed period (default
 * 2: 2026-09 and 2026-10), consistent registers (TOU sums to TOTAL). Only the months the database
 * does not hold yet are added, so a seeded database can be given more history later.
 */
async function ensureReadings(db: Db, log: (m: string) => void, historyMonths = 2): Promise<number> {
  const wanted: Array<{ period: string; at: Date }> = [];
  for (let k = historyMonths - 1; k >= 0; k--) {
    const [y, m] = PERIOD.split('-').map(Number);
    const d = new Date(Date.UTC(y, m - 1 - k, 1));
    const period = `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    wanted.push({ period, at: new Date(`${period}-${String(last).padStart(2, '0')}T10:00:00+08:00`) });
  }
  const months: typeof wanted = [];
  for (const mo of wanted) {
    const have = await db.kysely.selectFrom('register_readings').select('id').where('billing_period', '=', mo.period).limit(1).executeTakeFirst();
    if (!have) months.push(mo);
  }
  if (!months.length) return 0;
  const t0 = performance.now();
  const meters = await sql<{ account_id: number; meter_id: number; metering_point_id: number; registers: string[]; multiplier: string; customer_class: string }>`
    select a.id as account_id, mi.meter_id, mi.metering_point_id, m.registers, m.multiplier, a.customer_class
      from accounts a join meter_installations mi on mi.account_id = a.id and mi.removed_on is null join meters m on m.id = mi.meter_id
     order by a.id`.execute(db.kysely);
  const r = rng(11);
  let n = 0;
  const BATCH = 20_000;
  for (let i = 0; i < meters.rows.length; i += BATCH) {
    const rows: unknown[][] = [];
    for (const m of meters.rows.slice(i, i + BATCH)) {
      const mult = Number(m.multiplier);
      const base = m.customer_class === 'large_industrial' ? 100_000 : m.customer_class === 'commercial' ? 1500 : m.customer_class === 'agricultural' ? 800 : 220;
      for (const mo of months) {
        const total = Math.max(1, Math.round(base * (0.5 + r())));
        const regs: Record<string, number> = { TOTAL: total };
        const has = (x: string) => m.registers.includes(x);
        if (has('SHARP') && has('FLAT')) {
          const s = Math.round(total * 0.1), p = Math.round(total * 0.4);
          Object.assign(regs, { SHARP: s, PEAK: p, FLAT: 0, VALLEY: total - s - p });
        } else if (has('PEAK') && has('VALLEY')) {
          const p = Math.round(total * (0.5 + r() * 0.2));
          Object.assign(regs, { PEAK: p, VALLEY: total - p });
        }
        if (has('REACTIVE')) regs.REACTIVE = Math.round(total * (0.2 + r() * 0.5));
        if (has('REACTIVE_REV')) regs.REACTIVE_REV = 0;
        for (const [reg, c] of Object.entries(regs)) {
          rows.push([m.account_id, m.meter_id, m.metering_point_id, reg, mo.at, mo.period, (c / mult).toFixed(4), c.toFixed(4), 'import', 'accepted', '[]']);
        }
        if (has('MAX_DEMAND')) {
          const kw = Math.round((total / 400) * (0.8 + r() * 0.6));
          rows.push([m.account_id, m.meter_id, m.metering_point_id, 'MAX_DEMAND', mo.at, mo.period, (kw / mult).toFixed(4), null, 'import', 'accepted', '[]']);
        }
      }
    }
    n += await db.copyInto('register_readings', ['account_id', 'meter_id', 'metering_point_id', 'register', 'read_at', 'billing_period', 'value', 'consumption', 'source', 'status', 'rule_results'], rows);
  }
  await sql`analyze register_readings`.execute(db.kysely);
  log(`readings (${months.map((m) => m.period).join(', ')}): ${n.toLocaleString('en')} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return n;
}

/**
 * Empty the billing tables before a measurement. PostgreSQL: emptied tables have no row estimate,
 * so the insert-triggered autovacuum (threshold 1,000 + 20 % of the table's rows) would vacuum
 * bills and bill_lines again and again during the run, which a production table holding months
 * of bills never sees (a 1M run stays below 20 % of it). So autovacuum is off on these two tables
 * (and on the floor's copies) while the bench measures, and back on at the end (`autovacuumOff`
 * in the output says so).
 */
async function resetBilling(db: Db) {
  await sql`truncate bill_lines, bills, billing_run_partitions, billing_runs`.execute(db.kysely);
  if (db.engine === 'postgres') await sql`alter table bills set (autovacuum_enabled = off); alter table bill_lines set (autovacuum_enabled = off)`.execute(db.kysely);
}

async function restoreAutovacuum(db: Db) {
  if (db.engine === 'postgres') await sql`alter table bills reset (autovacuum_enabled); alter table bill_lines reset (autovacuum_enabled)`.execute(db.kysely);
}

function vmHwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function cpuSecondsOf(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100; // utime + stime (clock ticks)
  } catch {
    return -1;
  }
}

/** CPU seconds of the PostgreSQL server processes (children of the postmaster of `pgdata`), sampled. */
class PgCpu {
  private seen = new Map<number, number>();
  private base = new Map<number, number>();
  private master = 0;
  constructor(pgdata: string | undefined) {
    if (!pgdata) return;
    try {
      this.master = Number(fs.readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      this.master = 0;
    }
  }
  get enabled() {
    return this.master > 0;
  }
  sample(first = false) {
    if (!this.master) return;
    if (first) {
      // a new measurement: forget the processes of the previous one (they were counted again)
      this.seen.clear();
      this.base.clear();
    }
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const f = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
        const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
        if (Number(rest[1]) !== this.master) continue;
        const cpu = (Number(rest[11]) + Number(rest[12])) / 100;
        const pid = Number(d);
        if (first) this.base.set(pid, cpu);
        this.seen.set(pid, Math.max(this.seen.get(pid) ?? 0, cpu));
      } catch {
        /* gone */
      }
    }
  }
  seconds(): number {
    let s = 0;
    for (const [pid, cpu] of this.seen) s += cpu - (this.base.get(pid) ?? 0);
    return Math.round(s * 10) / 10;
  }
}

async function spawnWorkers(runId: number, n: number, pg: PgCpu): Promise<{ peakRssMb: number; workerCpuSeconds: number }> {
  let peak = 0;
  const cpu = new Map<number, number>();
  const kids = Array.from({ length: n }, () =>
    spawn(process.execPath, [...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean), path.join(root, 'bin/voltline.mjs'), 'bill-worker', '--run', String(runId)], { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  const timer = setInterval(() => {
    for (const k of kids) {
      if (!k.pid) continue;
      peak = Math.max(peak, vmHwmKb(k.pid));
      const c = cpuSecondsOf(k.pid);
      if (c >= 0) cpu.set(k.pid, c);
    }
    pg.sample();
  }, 100);
  await Promise.all(kids.map((k) => new Promise<void>((res, rej) => k.on('exit', (c) => (c === 0 ? res() : rej(new Error(`bill-worker exited ${c}`)))))));
  clearInterval(timer);
  return { peakRssMb: Math.round(peak / 1024), workerCpuSeconds: Math.round([...cpu.values()].reduce((a, b) => a + b, 0) * 10) / 10 };
}

/**
 * The write floor: a plain COPY of the run's output rows (bills and bill lines, as text, taken
 * with COPY TO before the clock starts) into fresh tables of the same shape and the same indexes.
 */
async function copyFloor(db: Db): Promise<{ ms: number; bills: number; lines: number; mb: number }> {
  await sql`drop table if exists bench_floor_lines`.execute(db.kysely);
  await sql`drop table if exists bench_floor_bills`.execute(db.kysely);
  const off = db.engine === 'postgres' ? sql` with (autovacuum_enabled = off)` : sql``;
  await sql`create table bench_floor_bills (like bills including defaults including constraints including indexes)${off}`.execute(db.kysely);
  await sql`create table bench_floor_lines (like bill_lines including defaults including constraints including indexes)${off}`.execute(db.kysely);
  const tables = [
    { from: 'bills', to: 'bench_floor_bills', cols: BILL_COLS },
    { from: 'bill_lines', to: 'bench_floor_lines', cols: LINE_COLS },
  ];
  const texts: Buffer[][] = [];
  for (const t of tables) texts.push(await copyOut(db, `COPY ${t.from} (${t.cols.join(',')}) TO STDOUT`));
  const t0 = performance.now();
  for (let i = 0; i < tables.length; i++) await copyIn(db, `COPY ${tables[i].to} (${tables[i].cols.join(',')}) FROM STDIN`, texts[i]);
  const ms = performance.now() - t0;
  const count = async (t: string) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(t)}`.execute(db.kysely)).rows[0].n;
  const out = { ms: Math.round(ms), bills: await count('bench_floor_bills'), lines: await count('bench_floor_lines'), mb: Math.round(texts.flat().reduce((a, b) => a + b.length, 0) / 1048576) };
  await sql`drop table bench_floor_lines`.execute(db.kysely);
  await sql`drop table bench_floor_bills`.execute(db.kysely);
  return out;
}

async function copyOut(db: Db, stmt: string): Promise<Buffer[]> {
  if (db.pglite) {
    const r = await db.pglite.query(stmt.replace('TO STDOUT', "TO '/dev/blob'"));
    return [Buffer.from(await r.blob!.arrayBuffer())];
  }
  const client = await db.pool!.connect();
  try {
    const chunks: Buffer[] = [];
    const stream = client.query(copyTo(stmt));
    for await (const c of stream) chunks.push(c as Buffer);
    // regroup into ~1 MB buffers (what a writer would send)
    const out: Buffer[] = [];
    let cur: Buffer[] = [];
    let n = 0;
    for (const c of chunks) {
      cur.push(c);
      n += c.length;
      if (n > 1 << 20) {
        out.push(Buffer.concat(cur));
        cur = [];
        n = 0;
      }
    }
    if (cur.length) out.push(Buffer.concat(cur));
    return out;
  } finally {
    client.release();
  }
}

async function copyIn(db: Db, stmt: string, parts: Buffer[]): Promise<void> {
  if (db.pglite) {
    await db.pglite.query(stmt.replace('FROM STDIN', "FROM '/dev/blob'"), [], { blob: new Blob(parts) });
    return;
  }
  const client = await db.pool!.connect();
  try {
    await pipeline(Readable.from(parts), client.query(copyFrom(stmt)));
  } finally {
    client.release();
  }
}

const load1 = () => Math.round(os.loadavg()[0] * 10) / 10;

/**
 * PostgreSQL: wait until no autovacuum worker is busy in this database (up to `maxS` seconds), so
 * a measurement does not share the CPUs with the vacuum of what the seed or the previous
 * measurement wrote. Returns the seconds waited.
 */
async function autovacuumIdle(db: Db, maxS = 180): Promise<number> {
  if (db.engine !== 'postgres') return 0;
  const t0 = performance.now();
  for (;;) {
    const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where backend_type = 'autovacuum worker' and datname = current_database()`.execute(db.kysely);
    if (r.rows[0].n === 0 || performance.now() - t0 > maxS * 1000) return Math.round((performance.now() - t0) / 100) / 10;
    await new Promise((res) => setTimeout(res, 500));
  }
}

/** Autovacuum/autoanalyze runs so far on this database's tables (to report those during a measurement). */
async function autovacuumRuns(db: Db): Promise<Record<string, number>> {
  if (db.engine !== 'postgres') return {};
  const r = await sql<{ relname: string; n: number }>`select relname, (autovacuum_count + autoanalyze_count)::int as n from pg_stat_user_tables`.execute(db.kysely);
  return Object.fromEntries(r.rows.map((x) => [x.relname, x.n]));
}

export async function run(args: string[]) {
  const N = Number(arg(args, 'accounts', '100000'));
  const workerSet = arg(args, 'workers', '1,2').split(',').map(Number);
  const partitionSize = Number(arg(args, 'partition-size', '5000'));
  const historyMonths = Number(arg(args, 'history-months', '2'));
  if (!Number.isInteger(historyMonths) || historyMonths < 1) throw new Error('--history-months: a whole number >= 1');
  const pglite = arg(args, 'pglite', '');
  const pg = new PgCpu(arg(args, 'pgdata', process.env.PGDATA ?? ''));
  const env = readEnv();
  const log = (m: string) => console.error(`[bench billing] ${m}`);
  const db = pglite ? await openPglite(pglite) : await openDb(env);
  try {
    await migrate(db);
    const n = await db.kysely.selectFrom('accounts').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    if (n.n === 0) {
      const t0 = performance.now();
      const { seed } = await import('../src/jobs/seed.js');
      await seed(db, { accounts: N, months: 0, seed: 7, log });
      log(`seeded ${N.toLocaleString('en')} accounts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } else if (n.n !== N) log(`database already holds ${n.n.toLocaleString('en')} accounts (using them)`);
    await ensureReadings(db, log, historyMonths);
    if (db.engine === 'postgres') {
      // the steady state a utility runs in: bulk-loaded tables vacuumed and analysed (otherwise
      // autovacuum does it during the first measurement)
      const tv = performance.now();
      await sql`vacuum (analyze)`.execute(db.kysely);
      log(`vacuum analyze in ${((performance.now() - tv) / 1000).toFixed(1)} s`);
    }
    const results: unknown[] = [];
    const workers = db.engine === 'postgres' ? workerSet : [1];
    for (const w of workers) {
      await resetBilling(db);
      await sql`checkpoint`.execute(db.kysely).catch(() => {});
      const waitedS = await autovacuumIdle(db);
      const av0 = await autovacuumRuns(db);
      const loadBefore = load1();
      pg.sample(true);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const { run } = await createRun(db, SYSTEM_ACTOR, { period: PERIOD, partitionSize });
      const tCreate = performance.now() - t0;
      let peakRssMb: number;
      let workerCpuSeconds: number;
      if (db.engine === 'postgres') ({ peakRssMb, workerCpuSeconds } = await spawnWorkers(run.id, w, pg));
      else {
        await workRun(db, run.id, 'bench');
        peakRssMb = Math.round(process.memoryUsage().rss / 1048576);
        const c = process.cpuUsage(c0);
        workerCpuSeconds = Math.round((c.user + c.system) / 1e5) / 10;
      }
      const wall = (performance.now() - t0) / 1000;
      pg.sample();
      const loadAfter = load1();
      const p = await runProgress(db.kysely, run.id);
      const lines = await db.kysely.selectFrom('bill_lines').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
      const av1 = await autovacuumRuns(db);
      const autovacuumDuringRun = Object.keys(av1).filter((t) => av1[t] > (av0[t] ?? 0));
      await autovacuumIdle(db);
      const loadFloor = load1();
      const floor = await copyFloor(db);
      const r = {
        engine: db.engine,
        workers: w,
        accounts: run.totalAccounts,
        partitions: run.partitions,
        partitionSize,
        status: p.run.status,
        bills: p.progress.bills,
        billLines: lines.n,
        exceptions: p.progress.exceptions,
        flagged: p.progress.flagged,
        createRunSeconds: Math.round(tCreate) / 1000,
        wallSeconds: Math.round(wall * 10) / 10,
        billsPerSecond: Math.round(p.progress.bills / wall),
        copyFloorSeconds: floor.ms / 1000,
        copyFloorRows: { bills: floor.bills, lines: floor.lines, textMb: floor.mb },
        ratioRunToFloor: Math.round((wall / (floor.ms / 1000)) * 10) / 10,
        peakWorkerRssMb: peakRssMb,
        workerCpuSeconds,
        postgresCpuSeconds: pg.enabled ? pg.seconds() : null,
        load1: { before: loadBefore, after: loadAfter, floor: loadFloor, cores: os.cpus().length },
        autovacuumWaitSeconds: waitedS,
        autovacuumDuringRun,
        projected1MSeconds: Math.round((1_000_000 / (p.progress.bills / wall)) * 10) / 10,
      };
      log(`${r.engine} ${w} worker(s): ${r.accounts.toLocaleString('en')} accounts in ${r.wallSeconds} s = ${r.billsPerSecond.toLocaleString('en')} bills/s; COPY floor ${r.copyFloorSeconds} s, ratio ${r.ratioRunToFloor}; peak RSS ${peakRssMb} MB; CPU s worker ${workerCpuSeconds} / postgres ${r.postgresCpuSeconds ?? 'n/a'}; load ${loadBefore} → ${loadAfter}; autovacuum during the run: ${autovacuumDuringRun.join(', ') || 'none'}`);
      results.push(r);
    }
    await restoreAutovacuum(db);
    console.log(JSON.stringify({ bench: 'billing', period: PERIOD, historyMonths, autovacuumOff: db.engine === 'postgres' ? ['bills', 'bill_lines', 'floor tables'] : [], results }, null, 2));
  } finally {
    await db.close();
  }
}
