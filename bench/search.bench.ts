/**
 * bench `search`: account search latency through the HTTP API at N concurrent requests.
 * The server runs in a child process (`voltline serve`) on the configured database
 * (DATABASE_URL for the PostgreSQL figure); this process is the load generator on loopback.
 *
 *   DATABASE_URL=postgres://... npm run bench -- search [--concurrency 200] [--requests 20000] [--port 3900]
 *
 * Queries: exact 户号 (random existing accounts) and name prefix (one Chinese surname + a given
 * character). Prints JSON: throughput and p50/p90/p99/max latency per query kind.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { openDb } from '../src/db/database.js';
import { readEnv } from '../src/config/env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

function pct(sorted: number[], p: number) {
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 100) / 100 : 0;
}

export async function run(args: string[]) {
  const concurrency = arg(args, 'concurrency', 200);
  const requests = arg(args, 'requests', 20_000);
  const port = arg(args, 'port', 3900);
  const env = readEnv();
  // sample existing account numbers and names
  const db = await openDb(env);
  const total = await db.kysely.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const sample = await db.kysely.selectFrom('accounts').select(['account_no', 'name']).where('id', 'in', Array.from({ length: 2000 }, (_, i) => 1 + Math.floor(((i * 7919) % 1000) / 1000 * Number(total.n)) + i)).execute();
  await db.close();
  if (sample.length === 0) throw new Error('no accounts: seed first (voltline seed --accounts N)');

  const child = spawn(process.execPath, [path.join(root, 'bin/voltline.mjs'), 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, LOG_LEVEL: 'warn', VOLTLINE_SCHEDULER: 'off' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error('server did not start in 120 s')), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (String(d).includes('Voltline is ready')) {
        clearTimeout(t);
        res();
      }
    });
    child.on('exit', (c) => rej(new Error(`server exited ${c}`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const request = (method: string, p: string, body?: string, cookie?: string) =>
    new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((res, rej) => {
      const req = http.request({ host: '127.0.0.1', port, method, path: p, agent, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}) } }, (r) => {
        let b = '';
        r.setEncoding('utf8');
        r.on('data', (c) => (b += c));
        r.on('end', () => res({ status: r.statusCode ?? 0, body: b, headers: r.headers }));
      });
      req.on('error', rej);
      if (body) req.write(body);
      req.end();
    });
  try {
    const login = await request('POST', '/api/v1/auth/login', JSON.stringify({ username: 'admin', password: 'Voltline@2026' }));
    const cookie = String(login.headers['set-cookie']?.[0] ?? '').split(';')[0];
    if (!cookie) throw new Error(`login failed: ${login.status} ${login.body}`);
    const kinds = {
      accountNo: (i: number) => `/api/v1/accounts?q=${sample[i % sample.length].account_no}`,
      namePrefix: (i: number) => `/api/v1/accounts?q=${encodeURIComponent([...sample[i % sample.length].name].slice(0, 2).join(''))}`,
    };
    const results: Record<string, unknown> = {};
    for (const [kind, url] of Object.entries(kinds)) {
      // warm-up
      await Promise.all(Array.from({ length: 200 }, (_, i) => request('GET', url(i), undefined, cookie)));
      const lat: number[] = [];
      let next = 0, errors = 0, hits = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < requests) {
            const i = next++;
            const s = performance.now();
            const r = await request('GET', url(i), undefined, cookie);
            lat.push(performance.now() - s);
            if (r.status !== 200) errors++;
            else if (JSON.parse(r.body).items.length > 0) hits++;
          }
        }),
      );
      const secs = (performance.now() - t0) / 1000;
      lat.sort((a, b) => a - b);
      results[kind] = { requests, concurrency, seconds: Math.round(secs * 100) / 100, perSecond: Math.round(requests / secs), errors, withResults: hits, p50ms: pct(lat, 50), p90ms: pct(lat, 90), p99ms: pct(lat, 99), maxms: pct(lat, 100) };
    }
    console.log(JSON.stringify({ bench: 'search', engine: env.databaseUrl ? 'postgres' : 'pglite', accounts: Number(total.n), results }, null, 2));
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
  }
}
