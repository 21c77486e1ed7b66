/**
 * `npm run bench -- collect [--meters 10000] [--concentrators 20] [--concurrency 512]
 *   [--timeout-ms 1500] [--retries 3] [--faults no-reply=0.005,...] [--batch 500] [--frozen] [--in-process]`
 *
 * Automated collection end to end through the database: N demo meters × 4 registers
 * (正向有功 total+tariffs block, 反向有功, 组合无功1, 最大需量) read from the meter simulator on
 * 127.0.0.1 (separate process unless --in-process) with 2 % injected request faults, converted to
 * register readings, validated (VEE) and stored (source headend), with per-meter results.
 * Database: PGlite in memory, or PostgreSQL when DATABASE_URL is set (a throwaway database is
 * created and dropped). `--frozen` also reads and stores the daily frozen block (5 requests).
 * Prints JSON.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'kysely';
import { openPglite, openPostgres, type Db } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { seed } from '../src/jobs/seed.js';
import { SYSTEM_ACTOR } from '../src/app/context.js';
import { runCollection } from '../src/app/metering/collection.js';
import { parseFaults } from '../src/domain/protocols/dlt645/simulator.js';
import { startMeterSimulator } from '../src/jobs/meter-simulator.js';
import '../src/db/schema-collection.js';

const DEFAULT_FAULTS = 'no-reply=0.005,late=0.005,bad-checksum=0.005,error=0.005';

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}

interface Endpoint { index?: number; host: string; port: number; firstIndex: number; lastIndex: number }

async function spawnSimulator(count: number, concentrators: number, faults: string, seed: number) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const child = spawn(process.execPath, [path.join(root, 'bin/voltline.mjs'), 'simulate-meters', '--count', String(count), '--port', '0', '--concentrators', String(concentrators), '--faults', faults, '--seed', String(seed)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const endpoints = await new Promise<Endpoint[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('simulator did not start within 60 s')), 60_000);
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line).concentrators);
      }
    });
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`simulator exited with ${code}`))));
  });
  return { endpoints, stop: async () => { const e = new Promise<void>((r) => child.once('exit', () => r())); child.kill('SIGTERM'); await e; } };
}

async function openBenchDb(): Promise<{ db: Db; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = await openPglite(undefined);
    return { db, drop: () => db.close() };
  }
  const name = `vl_bench_${crypto.randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = '/' + name;
  const db = openPostgres(u.toString(), 10);
  return {
    db,
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export async function run(args: string[]): Promise<void> {
  const meters = Number(arg(args, 'meters', '10000'));
  const concentrators = Number(arg(args, 'concentrators', '20'));
  const concurrency = Number(arg(args, 'concurrency', '512'));
  const timeoutMs = Number(arg(args, 'timeout-ms', '1500'));
  const retries = Number(arg(args, 'retries', '3'));
  const batchSize = Number(arg(args, 'batch', '500'));
  const faultsText = arg(args, 'faults', DEFAULT_FAULTS);
  const frozen = args.includes('--frozen');
  const inProcess = args.includes('--in-process');

  const { db, drop } = await openBenchDb();
  try {
    await migrate(db);
    const s0 = performance.now();
    await seed(db, { accounts: meters, months: 0, seed: 1 });
    const seedSeconds = (performance.now() - s0) / 1000;
    // every meter reads the same 4 DIs (8 registers); a meter type of its own for the bench
    await db.kysely.insertInto('meter_read_profiles').values({
      meter_type: 'bench4', dis: ['0001FF00', '00020000', '00030000', '01010000'], daily_frozen: frozen, monthly_frozen: false,
      register_map: JSON.stringify({ TOTAL: '0001FF00[0]', SHARP: '0001FF00[1]', PEAK: '0001FF00[2]', FLAT: '0001FF00[3]', VALLEY: '0001FF00[4]', REVERSE: '00020000', REACTIVE: '00030000', MAX_DEMAND: '01010000.demand' }),
    }).execute();
    await sql`update meters set meter_type = 'bench4', registers = '{TOTAL,SHARP,PEAK,FLAT,VALLEY,REVERSE,REACTIVE,MAX_DEMAND}'`.execute(db.kysely);

    let endpoints: Endpoint[];
    let stop: () => Promise<unknown>;
    if (inProcess) {
      const sim = await startMeterSimulator({ count: meters, port: 0, concentrators, faults: parseFaults(faultsText), seed: 1 });
      endpoints = sim.concentrators;
      stop = () => sim.close();
    } else ({ endpoints, stop } = await spawnSimulator(meters, concentrators, faultsText, 1));
    const ou = await db.kysely.selectFrom('org_units').select('id').where('kind', '=', 'county').executeTakeFirstOrThrow();
    for (const c of endpoints) {
      const row = await db.kysely.insertInto('concentrators').values({ code: `BENCH${c.index ?? c.port}`, org_unit_id: ou.id, host: c.host, port: c.port }).returning('id').executeTakeFirstOrThrow();
      await sql`update meters set concentrator_id = ${row.id} where comm_address::int8 between ${c.firstIndex} and ${c.lastIndex}`.execute(db.kysely);
    }
    const rssBefore = process.memoryUsage().rss;
    let summary;
    try {
      summary = await runCollection(db, SYSTEM_ACTOR, { concurrency, timeoutMs, retries, backoffMs: 50, batchSize });
    } finally {
      await stop();
    }
    const stored = await db.kysely.selectFrom('register_readings').select((eb) => eb.fn.countAll<number>().as('n')).where('source', '=', 'headend').executeTakeFirstOrThrow();
    console.log(JSON.stringify({
      bench: 'collect',
      engine: db.engine,
      machine: { cpus: os.cpus().length, node: process.version },
      simulator: inProcess ? 'in-process' : 'separate process (voltline simulate-meters)',
      meters, dis: ['0001FF00', '00020000', '00030000', '01010000', ...(frozen ? ['050601nn'] : [])], registersPerMeter: 8, concentrators, concurrency, timeoutMs, retries, batchSize, faults: faultsText,
      seedSeconds: Math.round(seedSeconds * 10) / 10,
      seconds: summary.seconds,
      metersPerSecond: Math.round(summary.total / summary.seconds),
      successRate: summary.successRate,
      ok: summary.ok, failed: summary.failed,
      readings: summary.readings, readingsInDb: Number(stored.n), dailyFrozen: summary.dailyFrozen,
      readingsPerSecond: Math.round(summary.readings.stored / summary.seconds),
      storeTimings: summary.timings,
      rssMiB: Math.round(process.memoryUsage().rss / 1048576), rssGrowthMiB: Math.round((process.memoryUsage().rss - rssBefore) / 1048576),
    }, null, 2));
  } finally {
    await drop();
  }
}
