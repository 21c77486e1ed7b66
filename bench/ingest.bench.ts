/**
 * `npm run bench -- ingest [--rows 1000000] [--visits 4] [--streams 2] [--chunk 100000] [--accounts 50000] [--interval-rows 200000] [--import-rows 100000] [--skip-ref-checks] [--keep]`
 *
 * Register-reading ingest throughput on DATABASE_URL (PostgreSQL; without it an in-memory PGlite
 * with fewer rows, and it says so). N readings (every register of `visits` visits per meter, a
 * few bad ones) for seeded meters go through validation — meter and previous reading looked up
 * in batches, then per reading: numeric, digits, future, backwards/rollover, consumption =
 * advance x multiplier — and are COPYed into register_readings as pre-serialised text over
 * parallel COPY streams while the next chunk is validated. Figure: validated readings/s end to
 * end. The same COPY text is then loaded raw into an identical scratch table: the floor.
 *
 * Validation: the common case (a well-formed value, later than and not below the previous
 * reading, integer multiplier) is checked with integer arithmetic; everything else (bad value,
 * future, backwards, rollover, non-integer multiplier, overflow) goes through checkReading
 * from src/domain/metering/vee.ts, and a sample of fast-path rows is cross-checked against
 * checkReading in the same run. The loads run in transactions that are rolled back (the
 * database is left as it was) unless --keep. The reference checks of register_readings (one per
 * COPY statement, migration 20261129T1300) run as in the product; with --skip-ref-checks and a
 * superuser role both loads skip them (references were resolved while validating).
 *
 * Also timed: 15-minute interval ingest (ingestIntervals) in a month with no other data, whose
 * partition is dropped afterwards; and the application's own import path (`--import-rows N`,
 * default 100,000 on PostgreSQL; 0 skips it): the first N readings of the same input as CSV files
 * through importReadings (what 抄表数据导入 and POST /api/v1/readings/import run), deleted again
 * afterwards with the reading tasks put back.
 */
import { sql } from 'kysely';
import type pg from 'pg';
import { Writable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { openDb, openPglite, type Db } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { readEnv } from '../src/config/env.js';
import { seed } from '../src/jobs/seed.js';
import { checkReading, DEFAULT_RULE_SET, type MeterInfo } from '../src/domain/metering/vee.js';
import { ingestIntervals, partitionName, type IntervalInput } from '../src/app/metering/intervals.js';
import { prng } from '../src/domain/random.js';
import { importReadings, MAX_IMPORT_ROWS } from '../src/app/metering/import.js';
import { SYSTEM_ACTOR } from '../src/app/context.js';

const arg = (args: string[], name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};

const COLS = 'account_id,meter_id,metering_point_id,register,read_at,billing_period,value,consumption,source,status,rule_set_version,quality_flags,rule_results';
const VERSION = DEFAULT_RULE_SET.version;
const SKEW = DEFAULT_RULE_SET.futureSkewMinutes * 60_000;
const TOU = ['SHARP', 'PEAK', 'FLAT', 'VALLEY'];
const REG_CODES = ['TOTAL', 'SHARP', 'PEAK', 'FLAT', 'VALLEY', 'REVERSE', 'REACTIVE', 'REACTIVE_REV', 'MAX_DEMAND'];

interface MeterRow { meter_id: number; account_id: number; metering_point_id: number; registers: string[]; digits: number; decimals: number; multiplier: string; initial_readings: Record<string, string> }

/** the input: columns of a parsed file (rows of one visit are consecutive, visits of a meter in time order) */
interface Input {
  n: number;
  meter: Int32Array; // index into meters
  reg: Uint8Array; // index into REG_CODES
  readAt: string[]; // shared per visit
  value: string[];
}

// ---- fast, exact checks (scaled by 10^4 as integers in doubles; all values < 2^53) ----------

/** strict decimal -> value x 10^4, or -1 when not a plain number within digits/decimals (then checkReading decides) */
function parseScaled(s: string, digits: number, decimals: number): number {
  const n = s.length;
  let i = 0, int = 0, intDigits = 0, lead = true;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    if (lead && c === 0) continue;
    lead = false;
    int = int * 10 + c;
    intDigits++;
  }
  if (i === 0 || intDigits > digits) return -1;
  let frac = 0, fd = 0;
  if (i < n) {
    if (s.charCodeAt(i) !== 46 || i === n - 1) return -1;
    for (i++; i < n; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return -1;
      if (fd >= decimals || fd >= 4) {
        if (c !== 0) return -1; // more significant decimals than the meter shows
        continue;
      }
      frac = frac * 10 + c;
      fd++;
    }
  }
  for (; fd < 4; fd++) frac *= 10;
  return int * 10_000 + frac;
}

function fmt4(x: number): string {
  const f = x % 10_000;
  const fs = f < 10 ? '000' + f : f < 100 ? '00' + f : f < 1000 ? '0' + f : '' + f;
  return (x - f) / 10_000 + '.' + fs;
}

const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');

interface Stats { accepted: number; pending: number; rejected: number; slow: number; crossChecked: number; mismatches: number }

/** COPY streams: one COPY per connection for the whole run; chunks are written as they are ready */
class CopyPool {
  private streams: Array<{ client: pg.PoolClient; copy: Writable; done: Promise<void> }> = [];
  private next = 0;
  private constructor() {}
  static async open(db: Db, n: number, table: string, trusted: boolean): Promise<CopyPool> {
    const p = new CopyPool();
    for (let i = 0; i < n; i++) {
      const client = await db.pool!.connect();
      await client.query('begin');
      if (trusted) await client.query('set local session_replication_role = replica');
      const copy = client.query(copyFrom(`COPY ${table} (${COLS}) FROM STDIN`)) as unknown as Writable;
      const done = new Promise<void>((res, rej) => {
        copy.on('finish', () => res());
        copy.on('error', rej);
      });
      done.catch(() => {});
      p.streams.push({ client, copy, done });
    }
    return p;
  }
  /** hand a chunk to the next stream; waits only when that stream's buffer is full */
  async write(text: string) {
    const s = this.streams[this.next++ % this.streams.length];
    if (!s.copy.write(text)) await new Promise<void>((r) => s.copy.once('drain', () => r()));
  }
  async finish() {
    for (const s of this.streams) s.copy.end();
    await Promise.all(this.streams.map((s) => s.done));
  }
  async close(commit: boolean) {
    for (const s of this.streams) {
      await s.client.query(commit ? 'commit' : 'rollback').catch(() => {});
      s.client.release();
    }
  }
}

export async function run(args: string[]): Promise<void> {
  const env = readEnv();
  const onPg = !!env.databaseUrl;
  if (!onPg) {
    console.error('\n*** DATABASE_URL is not set: running on an in-memory PGlite (single connection, no parallel COPY). The target figure is for PostgreSQL. ***\n');
  }
  const rowsWanted = Number(arg(args, 'rows', onPg ? '1000000' : '200000'));
  const visits = Number(arg(args, 'visits', '4'));
  const streamsN = onPg ? Number(arg(args, 'streams', '2')) : 1;
  const chunkRows = Number(arg(args, 'chunk', '100000'));
  const seedAccounts = Number(arg(args, 'accounts', onPg ? '50000' : '20000'));
  const intervalRows = Number(arg(args, 'interval-rows', onPg ? '200000' : '50000'));
  const keep = args.includes('--keep');
  const importRows = Number(arg(args, 'import-rows', onPg ? '100000' : '20000'));
  const db: Db = onPg ? await openDb({ ...env, dbPoolSize: streamsN + 4 }) : await openPglite(undefined);
  try {
    await migrate(db);
    const n0 = await db.kysely.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    if (Number(n0.n) === 0) {
      console.error(`empty database: seeding ${seedAccounts} accounts with 1 month of readings ...`);
      await seed(db, { accounts: seedAccounts, months: 1, seed: 1 });
    }
    // reference checks run as in the product unless --skip-ref-checks (then, with a superuser role,
    // the loads run with session_replication_role = replica and skip every trigger)
    const skipChecks = args.includes('--skip-ref-checks') && onPg && (await sql<{ s: boolean }>`select rolsuper as s from pg_roles where rolname = current_user`.execute(db.kysely)).rows[0]?.s === true;

    // ---- input: which meters, how many visits (not timed: this is the file being imported)
    const regCount = await sql<{ n: number; regs: number }>`select count(*)::int8 as n, avg(cardinality(m.registers))::float8 as regs
      from meter_installations mi join meters m on m.id = mi.meter_id where mi.removed_on is null`.execute(db.kysely);
    const avgRegs = Number(regCount.rows[0].regs);
    const meterCount = Math.min(Number(regCount.rows[0].n), Math.ceil(rowsWanted / (visits * avgRegs)));
    const ids = (await sql<{ meter_id: number }>`select meter_id from meter_installations where removed_on is null order by meter_id limit ${meterCount}`.execute(db.kysely)).rows.map((r) => r.meter_id);
    const regsOf = new Map((await sql<{ id: number; registers: string[] }>`select id, registers from meters where id = any(${ids}::int8[])`.execute(db.kysely)).rows.map((r) => [r.id, r.registers]));
    const now = Date.now();
    const r = prng(42);
    const input: Input = { n: 0, meter: new Int32Array(rowsWanted + 16), reg: new Uint8Array(rowsWanted + 16), readAt: new Array(rowsWanted + 16), value: new Array(rowsWanted + 16) };
    // the file's values continue from what is stored (known to whoever produced the file)
    const known = new Map<string, number>();
    const lastAt = new Map<string, number>();
    const perDay = new Map<string, number>();
    for (let q = 0; q < ids.length; q += 50_000) {
      const part = ids.slice(q, q + 50_000);
      const ini = await sql<{ meter_id: number; initial_readings: Record<string, string> }>`select meter_id, initial_readings from meter_installations where meter_id = any(${part}::int8[]) and removed_on is null`.execute(db.kysely);
      for (const x of ini.rows) for (const [reg, v] of Object.entries(x.initial_readings ?? {})) known.set(`${x.meter_id}:${reg}`, parseScaled(String(v), 10, 4));
      // by (account, metering point), the leading columns of register_readings_key, as the application looks up history
      // and the register's advance per day over the stored month, so the file's advances follow
      // each meter's own load (else nearly every reading is a SPIKE for review)
      const last = await sql<{ meter_id: number; register: string; value: string; last_at: Date; per_day: number | null }>`
        select r.meter_id, r.register, (array_agg(r.value::text order by r.read_at desc))[1] as value, max(r.read_at) as last_at,
               ((max(r.value) - min(r.value)) / nullif(extract(epoch from max(r.read_at) - min(r.read_at)) / 86400, 0))::float8 as per_day
        from meter_installations mi join register_readings r on r.account_id = mi.account_id and r.metering_point_id = mi.metering_point_id and r.meter_id = mi.meter_id
        where mi.meter_id = any(${part}::int8[]) and mi.removed_on is null and r.status in ('accepted','estimated') and r.value is not null
        group by r.meter_id, r.register`.execute(db.kysely);
      for (const x of last.rows) {
        known.set(`${x.meter_id}:${x.register}`, parseScaled(x.value, 10, 4));
        lastAt.set(`${x.meter_id}:${x.register}`, new Date(x.last_at).getTime());
        if (x.per_day !== null) perDay.set(`${x.meter_id}:${x.register}`, x.per_day * 10_000);
      }
    }
    const visitTimes: string[] = [];
    for (let v = 0; v < visits; v++) visitTimes.push(new Date(now - (visits - v) * 5 * 3600_000).toISOString());
    let k = 0;
    outer: for (let mi = 0; mi < ids.length; mi++) {
      const regs = regsOf.get(ids[mi])!;
      const cur = regs.map((reg) => known.get(`${ids[mi]}:${reg}`) ?? 0);
      const tou = regs.map((reg, g) => (TOU.includes(reg) ? g : -1)).filter((g) => g >= 0);
      const totalAt = regs.indexOf('TOTAL');
      const adv = new Array<number>(regs.length).fill(0);
      for (let v = 0; v < visits; v++) {
        const future = r() < 0.001;
        const at = future ? new Date(now + 86_400_000).toISOString() : visitTimes[v];
        // a visit's advances: the register's daily advance (10 a day without history) times the
        // days since its last reading, ±15 %; the time-of-use registers (尖峰平谷) add up to the
        // TOTAL's advance, as on a real meter, so the rules flag only the injected bad values below
        const t = Date.parse(visitTimes[v]);
        for (let g = 0; g < regs.length; g++) {
          const key = `${ids[mi]}:${regs[g]}`;
          const since = v > 0 ? Date.parse(visitTimes[v - 1]) : lastAt.get(key) ?? t - 30 * 86_400_000;
          adv[g] = Math.round(((perDay.get(key) ?? 100_000) * ((t - since) / 86_400_000) * (0.85 + 0.3 * r())) / 100) * 100;
        }
        if (totalAt >= 0 && tou.length) {
          // split in the registers' own proportions (±3 %), the last one takes the rest
          const w = tou.map((g) => perDay.get(`${ids[mi]}:${regs[g]}`) ?? 1);
          const wSum = w.reduce((a, b) => a + b, 0);
          let left = adv[totalAt];
          tou.forEach((g, j) => {
            adv[g] = j === tou.length - 1 ? Math.max(0, left) : Math.floor((adv[totalAt] * (w[j] / wSum) * (0.97 + 0.06 * r())) / 100) * 100;
            left -= adv[g];
          });
        }
        for (let g = 0; g < regs.length; g++) {
          if (k >= rowsWanted) break outer;
          input.meter[k] = mi;
          input.reg[k] = REG_CODES.indexOf(regs[g]);
          input.readAt[k] = at;
          const x = r();
          // register values in hundredths of a unit (2 decimals); a few bad ones
          if (x < 0.001) input.value[k] = 'abc';
          else if (x < 0.002) input.value[k] = '12345678';
          else if (x < 0.003) input.value[k] = fmt4(Math.max(0, cur[g] - 5_000_000)); // backwards
          else {
            if (regs[g] === 'MAX_DEMAND') cur[g] = Math.floor(r() * 500) * 100;
            else if (!future) cur[g] += adv[g];
            input.value[k] = fmt4(cur[g]);
          }
          k++;
        }
      }
    }
    input.n = k;

    // ---- validated run ---------------------------------------------------------------------
    const stats: Stats = { accepted: 0, pending: 0, rejected: 0, slow: 0, crossChecked: 0, mismatches: 0 };
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let tLookup = 0, tValidate = 0;
    const pool = onPg ? await CopyPool.open(db, streamsN, 'register_readings', skipChecks) : null;
    const pgliteParts: string[] = [];
    const allParts: string[] = [];
    const period = new Date(now + 8 * 3600_000).toISOString().slice(0, 7);
    const checkEvery = 97; // cross-check about 1 % of fast-path rows against checkReading
    const nowDate = new Date(now);
    let row = 0;
    try {
      // chunk boundaries on meter boundaries; the lookups of chunk k+1 run while chunk k is validated
      const bounds: Array<[number, number]> = [];
      for (let b0 = 0; b0 < input.n;) {
        let e = Math.min(input.n, b0 + chunkRows);
        while (e < input.n && input.meter[e] === input.meter[e - 1]) e++;
        bounds.push([b0, e]);
        b0 = e;
      }
      const lookup = (c: number) => {
        const [b0, e] = bounds[c];
        const part = ids.slice(input.meter[b0], input.meter[e - 1] + 1);
        const p = Promise.all([
          sql<MeterRow>`select mi.meter_id, mi.account_id, mi.metering_point_id, m.registers, m.digits, m.decimals, m.multiplier::text, mi.initial_readings
            from meter_installations mi join meters m on m.id = mi.meter_id where mi.meter_id = any(${part}::int8[]) and mi.removed_on is null`.execute(db.kysely),
          sql<{ meter_id: number; register: string; value: string; read_at: Date }>`select distinct on (r.meter_id, r.register) r.meter_id, r.register, r.value::text, r.read_at
            from meter_installations mi join register_readings r on r.account_id = mi.account_id and r.metering_point_id = mi.metering_point_id and r.meter_id = mi.meter_id
            where mi.meter_id = any(${part}::int8[]) and mi.removed_on is null and r.status in ('accepted','estimated') and r.value is not null
            order by r.meter_id, r.register, r.read_at desc`.execute(db.kysely),
        ]);
        p.catch(() => {}); // awaited in order; no unhandled rejection meanwhile
        return p;
      };
      let pending = bounds.length ? lookup(0) : null;
      for (let c = 0; c < bounds.length; c++) {
        const [, end] = bounds[c];
        const lo = input.meter[row], hi = input.meter[end - 1];
        const chunkIds = ids.slice(lo, hi + 1);
        const tl = performance.now();
        const [meters, prevs] = await pending!;
        pending = onPg && c + 1 < bounds.length ? lookup(c + 1) : null;
        tLookup += performance.now() - tl;
        const tv = performance.now();
        const info = new Map<number, MeterRow>();
        for (const m of meters.rows) info.set(m.meter_id, m);
        // previous value x 10^4 and time, per meter index and register
        const prevVal = new Float64Array((hi - lo + 1) * 9).fill(-1);
        const prevAt = new Float64Array((hi - lo + 1) * 9);
        const prevStr: string[] = new Array((hi - lo + 1) * 9);
        const idxOf = new Map<number, number>();
        chunkIds.forEach((id, j) => idxOf.set(id, j));
        for (const p of prevs.rows) {
          const j = idxOf.get(p.meter_id)! * 9 + REG_CODES.indexOf(p.register);
          prevVal[j] = parseScaled(p.value, 10, 4);
          prevAt[j] = new Date(p.read_at).getTime();
          prevStr[j] = p.value;
        }
        let buf = '';
        let lastAtStr = '', lastAt = 0, lastMeter = -1;
        let m: MeterRow | undefined, mult = 0, multInt = false, prefix = '', meterInfo: MeterInfo | null = null;
        for (let i = row; i < end; i++) {
          const mIdx = input.meter[i];
          if (mIdx !== lastMeter) {
            lastMeter = mIdx;
            m = info.get(ids[mIdx]);
            if (m) {
              mult = parseScaled(m.multiplier, 10, 4);
              multInt = mult % 10_000 === 0;
              mult = mult / 10_000;
              prefix = `${m.account_id}\t${m.meter_id}\t${m.metering_point_id}\t`;
              meterInfo = { digits: m.digits, decimals: m.decimals, multiplier: m.multiplier };
              // install readings when the meter has no stored reading
              for (let g = 0; g < 9; g++) {
                const j = (mIdx - lo) * 9 + g;
                const ini = m.initial_readings?.[REG_CODES[g]];
                if (prevVal[j] < 0 && ini !== undefined) {
                  prevVal[j] = parseScaled(String(ini), 10, 4);
                  prevAt[j] = Date.parse(`2000-01-01T00:00:00+08:00`);
                  prevStr[j] = String(ini);
                }
              }
            }
          }
          if (!m) { stats.rejected++; continue; } // unknown meter
          const g = input.reg[i];
          const reg = REG_CODES[g];
          const j = (mIdx - lo) * 9 + g;
          const atStr = input.readAt[i];
          if (atStr !== lastAtStr) { lastAtStr = atStr; lastAt = Date.parse(atStr); }
          const raw = input.value[i];
          const cur = parseScaled(raw, m.digits, m.decimals);
          const pv = prevVal[j];
          let line: string | null = null;
          if (cur >= 0 && lastAt <= now + SKEW) {
            if (g === 8) {
              line = `${prefix}${reg}\t${atStr}\t${period}\t${raw}\t\\N\timport\taccepted\t${VERSION}\t{}\t[]\n`;
            } else if (pv >= 0 && cur >= pv && lastAt > prevAt[j] && multInt) {
              const kwh = (cur - pv) * mult;
              if (kwh <= Number.MAX_SAFE_INTEGER) {
                line = `${prefix}${reg}\t${atStr}\t${period}\t${raw}\t${fmt4(kwh)}\timport\taccepted\t${VERSION}\t{}\t[]\n`;
                if (++stats.crossChecked % checkEvery === 0) {
                  const c = checkReading({ register: reg, value: raw, readAt: new Date(lastAt), now: nowDate, meter: meterInfo!, previous: { value: prevStr[j], readAt: new Date(prevAt[j]) } });
                  if (c.status !== 'accepted' || c.kwh !== fmt4(kwh)) stats.mismatches++;
                }
              }
            }
          }
          if (line !== null) {
            stats.accepted++;
            if (g !== 8) { prevVal[j] = cur; prevAt[j] = lastAt; prevStr[j] = raw; }
          } else {
            // everything unusual: the reference implementation decides
            stats.slow++;
            const c = checkReading({
              register: reg, value: raw, readAt: new Date(lastAt), now: nowDate, meter: meterInfo!,
              previous: pv >= 0 && g !== 8 ? { value: prevStr[j], readAt: new Date(prevAt[j]) } : null,
            });
            if (c.status === 'rejected') { stats.rejected++; continue; }
            line = `${prefix}${reg}\t${atStr}\t${period}\t${c.value}\t${c.kwh ?? '\\N'}\timport\t${c.status}\t${VERSION}\t{${c.flags.join(',')}}\t${esc(JSON.stringify(c.results))}\n`;
            if (c.status === 'accepted') {
              stats.accepted++;
              if (g !== 8) { prevVal[j] = parseScaled(c.value!, 10, 4); prevAt[j] = lastAt; prevStr[j] = c.value!; }
            } else stats.pending++;
          }
          buf += line;
          if (buf.length > 1 << 20) {
            allParts.push(buf);
            if (pool) await pool.write(buf);
            else pgliteParts.push(buf);
            buf = '';
          }
        }
        if (buf) {
          allParts.push(buf);
          if (pool) await pool.write(buf);
          else pgliteParts.push(buf);
        }
        tValidate += performance.now() - tv;
        if (!onPg && c + 1 < bounds.length) pending = lookup(c + 1);
        row = end;
      }
      if (pool) await pool.finish();
      else {
        await db.kysely.connection().execute(async () => {
          await db.pglite!.exec('begin');
          await db.pglite!.query(`COPY register_readings (${COLS}) FROM '/dev/blob'`, [], { blob: new Blob(pgliteParts) });
        });
      }
    } finally {
      if (pool) await pool.close(keep);
    }
    const tValidated = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuValidated = (cpu.user + cpu.system) / 1e6;
    if (!pool) await db.kysely.connection().execute(async () => { await db.pglite!.exec(keep ? 'commit' : 'rollback'); });
    const stored = stats.accepted + stats.pending;

    // ---- raw floor: the same COPY text into an identical scratch table ------------------------
    await sql`drop table if exists register_readings_bench_raw`.execute(db.kysely);
    await sql`create table register_readings_bench_raw (like register_readings including all)`.execute(db.kysely);
    let tRaw = 0;
    try {
      const t1 = performance.now();
      if (onPg) {
        const raw = await CopyPool.open(db, streamsN, 'register_readings_bench_raw', skipChecks);
        try {
          for (const p of allParts) await raw.write(p);
          await raw.finish();
        } finally {
          await raw.close(false);
        }
      } else {
        await db.kysely.connection().execute(async () => {
          await db.pglite!.exec('begin');
          await db.pglite!.query(`COPY register_readings_bench_raw (${COLS}) FROM '/dev/blob'`, [], { blob: new Blob(allParts) });
          await db.pglite!.exec('rollback');
        });
      }
      tRaw = (performance.now() - t1) / 1000;
    } finally {
      await sql`drop table if exists register_readings_bench_raw`.execute(db.kysely);
    }

    // ---- experiment (--variants): the floor under other index layouts -------------------------
    const variants: Record<string, { seconds: number; rowsPerSecond: number }> = {};
    if (onPg && args.includes('--variants')) {
      const layouts: Record<string, string[]> = {
        'no secondary indexes': [],
      };
      for (const [name, ddl] of Object.entries(layouts)) {
        await sql`drop table if exists register_readings_bench_v`.execute(db.kysely);
        await sql`create table register_readings_bench_v (like register_readings including all excluding indexes)`.execute(db.kysely);
        await sql`alter table register_readings_bench_v add primary key (account_id, id)`.execute(db.kysely);
        for (const d of ddl) await sql.raw(d).execute(db.kysely);
        try {
          const t1 = performance.now();
          const raw = await CopyPool.open(db, streamsN, 'register_readings_bench_v', skipChecks);
          try {
            for (const p of allParts) await raw.write(p);
            await raw.finish();
          } finally {
            await raw.close(false);
          }
          const secs = (performance.now() - t1) / 1000;
          variants[name] = { seconds: +secs.toFixed(2), rowsPerSecond: Math.round(stored / secs) };
        } finally {
          await sql`drop table if exists register_readings_bench_v`.execute(db.kysely);
        }
      }
    }

    // ---- interval ingest ---------------------------------------------------------------------
    const month = '2024-12';
    const existed = (await sql<{ n: number }>`select count(*)::int8 as n from pg_class where relname = ${partitionName(month)}`.execute(db.kysely)).rows[0].n > 0;
    const ivMeters = Math.max(1, Math.ceil(intervalRows / (96 * 28)));
    const ivIds = (await sql<{ meter_id: number }>`select meter_id from meter_installations where removed_on is null and installed_on < '2024-11-01' order by meter_id limit ${ivMeters}`.execute(db.kysely)).rows.map((x) => x.meter_id);
    const ivRows: IntervalInput[] = [];
    const start = Date.parse(`${month}-01T00:00:00+08:00`);
    for (const id of ivIds) for (let q = 0; q < 96 * 28 && ivRows.length < intervalRows; q++) ivRows.push({ meterId: id, ts: start + q * 900_000, kwh: fmt4(Math.floor(r() * 50_000)) });
    const t2 = performance.now();
    const iv = await ingestIntervals(db, ivRows, { streams: streamsN });
    const tIv = (performance.now() - t2) / 1000;
    if (!existed && !keep) await sql.raw(`drop table if exists ${partitionName(month)}`).execute(db.kysely);

    // ---- the application's import (CSV through importReadings, as 抄表数据导入 and POST /readings/import) --
    // The first `importRows` readings of the same input, as CSV files of at most MAX_IMPORT_ROWS rows:
    // parse, resolve, de-duplicate, VEE (checkReading per row, register sums per visit), COPY with
    // ids drawn ahead, reading tasks, per-row report, audit. It commits, so afterwards its readings
    // are deleted and the reading tasks it marked are put back (the audit events stay).
    let imported: Record<string, unknown> | null = null;
    if (importRows > 0) {
      const assets = new Map((await sql<{ id: number; asset_no: string }>`select id, asset_no from meters where id = any(${ids}::int8[])`.execute(db.kysely)).rows.map((x) => [Number(x.id), x.asset_no]));
      const nImp = Math.min(importRows, input.n);
      const files: string[] = [];
      for (let a = 0; a < nImp; a += MAX_IMPORT_ROWS) {
        const lines = ['meterAssetNo,register,readAt,value'];
        for (let q = a; q < Math.min(nImp, a + MAX_IMPORT_ROWS); q++) lines.push(`${assets.get(ids[input.meter[q]])},${REG_CODES[input.reg[q]]},${input.readAt[q]},${input.value[q]}`);
        files.push(lines.join('\n'));
      }
      const metersImp = ids.slice(0, input.meter[nImp - 1] + 1);
      const tasksBefore = (await sql<{ id: number; status: string; exception_code: string | null; read_at: Date | null; updated_at: Date }>`
        select id, status, exception_code, read_at, updated_at from reading_tasks where meter_id = any(${metersImp}::int8[])`.execute(db.kysely)).rows;
      const sum = { rows: 0, stored: 0, accepted: 0, pendingReview: 0, rejected: 0, duplicates: 0 };
      const readingIds: number[] = [];
      const cpu1 = process.cpuUsage();
      const t3 = performance.now();
      let bulk = '';
      const reasons: Record<string, number> = {};
      try {
        for (const csv of files) {
          const res = await importReadings(db, SYSTEM_ACTOR, { csv, fileName: 'bench.csv' });
          for (const k of Object.keys(sum) as Array<keyof typeof sum>) sum[k] += res.summary[k];
          for (const r of res.rows) {
            if (r.readingId !== undefined) readingIds.push(r.readingId);
            // why rows went to review or were refused (the first warning or error of each)
            const why = r.status === 'rejected' ? r.reason : r.status === 'pending_review' ? r.ruleResults.find((x) => x.severity !== 'info')?.rule : undefined;
            if (why) reasons[`${r.status}:${why}`] = (reasons[`${r.status}:${why}`] ?? 0) + 1;
          }
          bulk = res.bulk;
        }
      } finally {
        const tImp = (performance.now() - t3) / 1000;
        const cpuImp = process.cpuUsage(cpu1);
        imported = {
          files: files.length, ...sum, reasons, bulk, idsReported: readingIds.length, seconds: +tImp.toFixed(2), readingsPerSecond: Math.round(nImp / tImp),
          clientCpuSeconds: +((cpuImp.user + cpuImp.system) / 1e6).toFixed(2),
        };
        // put the database back as it was (not timed)
        for (let q = 0; q < readingIds.length; q += 50_000) await sql`delete from register_readings where id = any(${readingIds.slice(q, q + 50_000)}::int8[])`.execute(db.kysely);
        for (const t of tasksBefore) {
          await sql`update reading_tasks set status = ${t.status}, exception_code = ${t.exception_code}, read_at = ${t.read_at}, updated_at = ${t.updated_at} where id = ${t.id}`.execute(db.kysely);
        }
      }
    }

    const out = {
      bench: 'ingest',
      engine: db.engine,
      streams: streamsN,
      referenceChecks: skipChecks ? 'skipped (--skip-ref-checks, superuser; references resolved while validating)' : 'on (as in the product)',
      kept: keep,
      readings: {
        rows: input.n, meters: ids.length, visitsPerMeter: visits,
        accepted: stats.accepted, pendingReview: stats.pending, rejected: stats.rejected,
        viaCheckReading: stats.slow, crossChecked: Math.floor(stats.crossChecked / checkEvery), crossCheckMismatches: stats.mismatches,
      },
      validated: { seconds: +tValidated.toFixed(2), readingsPerSecond: Math.round(input.n / tValidated), storedPerSecond: Math.round(stored / tValidated), lookupSeconds: +(tLookup / 1000).toFixed(2), validateAndSerialiseSeconds: +(tValidate / 1000).toFixed(2),
        // this process's CPU for the whole validated run (lookups, checks, COPY text, socket writes): the client-side cost per reading, independent of how busy the machine is
        clientCpuSeconds: +cpuValidated.toFixed(2), clientCpuReadingsPerSecond: Math.round(input.n / cpuValidated) },
      rawCopy: { seconds: +tRaw.toFixed(2), rowsPerSecond: Math.round(stored / tRaw) },
      ratioValidatedToRaw: +((stored / tValidated) / (stored / tRaw)).toFixed(2),
      ...(Object.keys(variants).length ? { floorVariants: variants } : {}),
      ...(imported ? { applicationImport: imported } : {}),
      intervals: { rows: ivRows.length, stored: iv.stored, rejected: iv.rejected.length, seconds: +tIv.toFixed(2), rowsPerSecond: Math.round(ivRows.length / tIv) },
    };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await db.close();
  }
}
