/**
 * bench `billing`: a billing run end to end (determinants from readings, rating, bills + lines
 * written with COPY, review flags) on N accounts, then the write floor: a plain COPY of the same
 * output rows into tables of the same shape and indexes. Prints JSON.
 *
 *   DATABASE_URL=postgres://... npm run bench -- billing [--accounts 100000] [--workers 1,2] [--partition-size 2000]
 *   VOLTLINE_DATA_DIR=/tmp/x npm run bench -- billing --accounts 100000      # PGlite (in-process worker)
 *
 * The database must be empty or hold a previous bench seed. Seeds N accounts (demo mix) when
 * empty; adds two months of readings (2026-09, 2026-10) with COPY when missing; bills 2026-10.
 * On PostgreSQL each worker is a separate `voltline bill-worker --run ID` process (the production
 * path); on PGlite one in-process worker. Before each measurement the billing tables are emptied.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { openDb, type Db } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { readEnv } from '../src/config/env.js';
import { SYSTEM_ACTOR } from '../src/app/context.js';
import { createRun, runProgress, workRun } from '../src/app/billing/run.js';

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

/** Two months of readings per installed meter, consistent registers (TOU sums to TOTAL). */
async function ensureReadings(db: Db, log: (m: string) => void): Promise<number> {
  const have = await db.kysely.selectFrom('register_readings').select('id').where('billing_period', '=', PERIOD).limit(1).executeTakeFirst();
  if (have) return 0;
  const t0 = performance.now();
  const meters = await sql<{ account_id: number; meter_id: number; metering_point_id: number; registers: string[]; multiplier: string; customer_class: string }>`
    select a.id as account_id, mi.meter_id, mi.metering_point_id, m.registers, m.multiplier, a.customer_class
      from accounts a join meter_installations mi on mi.account_id = a.id and mi.removed_on is null join meters m on m.id = mi.meter_id
     order by a.id`.execute(db.kysely);
  const r = rng(11);
  let n = 0;
  const months = [
    { period: '2026-09', at: new Date('2026-09-30T10:00:00+08:00') },
    { period: PERIOD, at: new Date('2026-10-31T10:00:00+08:00') },
  ];
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
  log(`readings: ${n.toLocaleString('en')} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return n;
}

async function resetBilling(db: Db) {
  await sql`truncate bill_lines, bills, billing_run_partitions, billing_runs`.execute(db.kysely);
}

function vmHwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function spawnWorkers(runId: number, n: number): Promise<{ peakRssMb: number }> {
  let peak = 0;
  const kids = Array.from({ length: n }, () =>
    spawn(process.execPath, [path.join(root, 'bin/voltline.mjs'), 'bill-worker', '--run', String(runId)], { env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] }),
  );
  const timer = setInterval(() => {
    for (const k of kids) if (k.pid) peak = Math.max(peak, vmHwmKb(k.pid));
  }, 100);
  await Promise.all(kids.map((k) => new Promise<void>((res, rej) => k.on('exit', (c) => (c === 0 ? res() : rej(new Error(`bill-worker exited ${c}`)))))));
  clearInterval(timer);
  return { peakRssMb: Math.round(peak / 1024) };
}

/** Plain COPY of the run's output rows into same-shaped tables (same indexes): the write floor. */
async function copyFloor(db: Db): Promise<{ ms: number; bills: number; lines: number }> {
  await sql`drop table if exists bench_floor_lines`.execute(db.kysely);
  await sql`drop table if exists bench_floor_bills`.execute(db.kysely);
  await sql`create table bench_floor_bills (like bills including defaults including constraints including indexes)`.execute(db.kysely);
  await sql`create table bench_floor_lines (like bill_lines including defaults including constraints including indexes)`.execute(db.kysely);
  const bcols = ['id', 'account_id', 'run_id', 'period', 'trial', 'status', 'org_unit_id', 'account_no', 'customer_class', 'tariff_codes', 'tariff_refs', 'period_start', 'period_end', 'days', 'energy_kwh', 'amount_total', 'determinants', 'review_flags', 'exception_code', 'warnings'];
  const lcols = ['account_id', 'bill_id', 'line_no', 'code', 'name_zh', 'name_en', 'quantity', 'unit', 'unit_price', 'amount', 'segment', 'rule'];
  const bills = (await sql<Record<string, unknown>>`select * from bills`.execute(db.kysely)).rows.map((b) =>
    bcols.map((c) => (c === 'tariff_codes' || c === 'review_flags' ? `{${(b[c] as string[]).join(',')}}` : b[c])),
  );
  const lines = (await sql<Record<string, unknown>>`select * from bill_lines`.execute(db.kysely)).rows.map((l) => lcols.map((c) => l[c]));
  const t0 = performance.now();
  const CH = 20_000;
  for (let i = 0; i < bills.length; i += CH) await db.copyInto('bench_floor_bills', bcols, bills.slice(i, i + CH));
  for (let i = 0; i < lines.length; i += CH * 4) await db.copyInto('bench_floor_lines', lcols, lines.slice(i, i + CH * 4));
  const ms = performance.now() - t0;
  await sql`drop table bench_floor_lines`.execute(db.kysely);
  await sql`drop table bench_floor_bills`.execute(db.kysely);
  return { ms: Math.round(ms), bills: bills.length, lines: lines.length };
}

export async function run(args: string[]) {
  const N = Number(arg(args, 'accounts', '100000'));
  const workerSet = arg(args, 'workers', '1,2').split(',').map(Number);
  const partitionSize = Number(arg(args, 'partition-size', '2000'));
  const env = readEnv();
  const log = (m: string) => console.error(`[bench billing] ${m}`);
  const db = await openDb(env);
  try {
    await migrate(db);
    const n = await db.kysely.selectFrom('accounts').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    if (n.n === 0) {
      const t0 = performance.now();
      const { seed } = await import('../src/jobs/seed.js');
      await seed(db, { accounts: N, months: 0, seed: 7, log });
      log(`seeded ${N.toLocaleString('en')} accounts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } else if (n.n !== N) log(`database already holds ${n.n.toLocaleString('en')} accounts (using them)`);
    await ensureReadings(db, log);
    const results: unknown[] = [];
    const workers = db.engine === 'postgres' ? workerSet : [1];
    for (const w of workers) {
      await resetBilling(db);
      const t0 = performance.now();
      const { run } = await createRun(db, SYSTEM_ACTOR, { period: PERIOD, partitionSize });
      const tCreate = performance.now() - t0;
      let peakRssMb: number;
      if (db.engine === 'postgres') peakRssMb = (await spawnWorkers(run.id, w)).peakRssMb;
      else {
        await workRun(db, run.id, 'bench');
        peakRssMb = Math.round(process.memoryUsage().rss / 1048576);
      }
      const wall = (performance.now() - t0) / 1000;
      const p = await runProgress(db.kysely, run.id);
      const lines = await db.kysely.selectFrom('bill_lines').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
      const floor = await copyFloor(db);
      const r = {
        engine: db.engine,
        workers: w,
        accounts: run.totalAccounts,
        partitions: run.partitions,
        status: p.run.status,
        bills: p.progress.bills,
        billLines: lines.n,
        exceptions: p.progress.exceptions,
        flagged: p.progress.flagged,
        createRunSeconds: Math.round(tCreate) / 1000,
        wallSeconds: Math.round(wall * 10) / 10,
        accountsPerSecond: Math.round(run.totalAccounts / wall),
        copyFloorSeconds: floor.ms / 1000,
        ratioRunToFloor: Math.round((wall / (floor.ms / 1000)) * 10) / 10,
        peakWorkerRssMb: peakRssMb,
        projected1MSeconds: Math.round((1_000_000 / (run.totalAccounts / wall)) * 10) / 10,
      };
      log(JSON.stringify(r));
      results.push(r);
    }
    console.log(JSON.stringify({ bench: 'billing', period: PERIOD, results }, null, 2));
  } finally {
    await db.close();
  }
}
