/**
 * 15-minute interval data (负荷曲线, 96 points a day): monthly range partitions, bulk ingest and
 * the per-account query. Table and format: docs/metering.md ("Interval data").
 *
 * Ingest validates every row in TypeScript first (meter installed, 15-minute boundary, not in
 * the future, energy numeric with at most 4 decimals) and reports each refused row; the good
 * rows are COPYed into a session-local staging table and moved into the partitioned table with
 * one INSERT ... ON CONFLICT, so a bad record never rolls back the good ones and a re-sent
 * interval replaces the stored one. On PostgreSQL the rows are split by account over several
 * connections (parallel COPY streams).
 */
import { sql } from 'kysely';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type pg from 'pg';
import type { Db } from '../../db/database.js';
import '../../db/schema-interval.js';
import { ValidationError } from '../../domain/errors.js';
import { fromScaled, toScaled } from '../../domain/metering/vee.js';
import { inTx, requirePermission, requireScope, SYSTEM_ACTOR, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { accountOrgPath } from '../archive/accounts.js';
import { parseReadAt } from './readings.js';

const SH = 8 * 3600_000;
const STEP = 15 * 60_000;
const identRe = /^[a-z_][a-z0-9_]*$/;

// ---- raw COPY ------------------------------------------------------------------------------

export interface RawCopyOptions {
  /** skip foreign-key triggers (session_replication_role = replica) when the role may */
  trusted?: boolean;
}

/**
 * COPY pre-serialised text (tab-separated lines, already escaped) into a table. One stream on
 * one connection; on PGlite through the driver's lock.
 */
export async function copyRaw(db: Db, table: string, columns: string[], parts: string[], opts: RawCopyOptions = {}): Promise<void> {
  for (const n of [table, ...columns]) if (!identRe.test(n)) throw new Error(`bad identifier ${n}`);
  if (!parts.length) return;
  const stmt = `COPY ${table} (${columns.join(',')}) FROM `;
  if (db.engine === 'pglite') {
    const pgl = db.pglite!;
    await db.kysely.connection().execute(async () => {
      // PGlite runs as a superuser: a trusted load skips the foreign-key triggers
      if (opts.trusted) await pgl.exec('set session_replication_role = replica');
      try {
        // several COPYs of about 2 MB: PGlite handles one huge blob far slower (measured 9.0 s vs 5.7 s CPU for 216k rows)
        for (let i = 0; i < parts.length;) {
          const group: string[] = [];
          let size = 0;
          while (i < parts.length && (group.length === 0 || size + parts[i].length <= 2 << 20)) {
            size += parts[i].length;
            group.push(parts[i++]);
          }
          await pgl.query(stmt + `'/dev/blob'`, [], { blob: new Blob(group) });
        }
      } finally {
        if (opts.trusted) await pgl.exec('reset session_replication_role');
      }
    });
    return;
  }
  const client = await db.pool!.connect();
  let replica = false;
  try {
    if (opts.trusted) replica = await client.query('set session_replication_role = replica').then(() => true, () => false);
    await copyOnClient(client, stmt + 'STDIN', parts);
  } finally {
    if (replica) await client.query('reset session_replication_role').catch(() => {});
    client.release();
  }
}

export async function copyOnClient(client: pg.PoolClient | pg.Client, statement: string, parts: string[]): Promise<void> {
  const stream = client.query(copyFrom(statement));
  await pipeline(Readable.from(parts, { objectMode: false }), stream);
}

// ---- partitions ----------------------------------------------------------------------------

/** 'YYYY-MM' (Asia/Shanghai) of an instant */
function shanghaiMonth(t: number): string {
  return new Date(t + SH).toISOString().slice(0, 7);
}

function nextMonth(m: string): string {
  const [y, mo] = m.split('-').map(Number);
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
}

export const partitionName = (month: string) => `interval_readings_p${month.replace('-', '')}`;

function toInstant(v: Date | string, field: string): number {
  const d = v instanceof Date ? v : parseReadAt(v);
  if (!d || Number.isNaN(d.getTime())) throw new ValidationError(field, 'date (YYYY-MM-DD) or ISO timestamp');
  return d.getTime();
}

/**
 * Make sure the monthly partitions covering [from, to] exist (calendar months, Asia/Shanghai).
 * Rows of a month already sitting in the default partition are moved into the new partition.
 * Returns the partitions created.
 */
export async function ensureIntervalPartitions(db: Db, from: Date | string, to: Date | string): Promise<string[]> {
  const a = toInstant(from, 'from'), b = toInstant(to, 'to');
  if (b < a) throw new ValidationError('to', 'must not be before from');
  const months: string[] = [];
  for (let m = shanghaiMonth(a), last = shanghaiMonth(b); m <= last; m = nextMonth(m)) {
    months.push(m);
    if (months.length > 240) throw new ValidationError('to', 'at most 240 months at a time');
  }
  const existing = new Set(
    (await sql<{ relname: string }>`select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
      join pg_class p on p.oid = i.inhparent where p.relname = 'interval_readings'`.execute(db.kysely)).rows.map((r) => r.relname),
  );
  const created: string[] = [];
  for (const m of months) {
    const name = partitionName(m);
    if (existing.has(name)) continue;
    const lo = `${m}-01 00:00:00+08`, hi = `${nextMonth(m)}-01 00:00:00+08`;
    await inTx(db, async (trx) => {
      // one creator at a time (two ingests may want the same month)
      await sql`select pg_advisory_xact_lock(7461331040)`.execute(trx);
      const again = await sql<{ n: number }>`select count(*)::int8 as n from pg_class where relname = ${name} and relkind in ('r','p')`.execute(trx);
      if (Number(again.rows[0].n) > 0) return;
      const stray = await sql<{ n: number }>`select count(*)::int8 as n from (select 1 from interval_readings_default where ts >= ${lo}::timestamptz and ts < ${hi}::timestamptz limit 1) x`.execute(trx);
      const move = Number(stray.rows[0].n) > 0;
      if (move) {
        await sql`create temp table interval_move (like interval_readings including defaults) on commit drop`.execute(trx);
        await sql`with d as (delete from interval_readings_default where ts >= ${lo}::timestamptz and ts < ${hi}::timestamptz returning *)
          insert into interval_move select * from d`.execute(trx);
      }
      await sql.raw(`create table ${name} partition of interval_readings for values from ('${lo}') to ('${hi}')`).execute(trx);
      if (move) await sql`insert into interval_readings select * from interval_move`.execute(trx);
      created.push(name);
    });
  }
  return created;
}

// ---- ingest --------------------------------------------------------------------------------

export interface IntervalInput {
  meterId: number;
  /** optional; must match the meter's installation when given */
  accountId?: number;
  /** start of the interval: ISO timestamp, 'YYYY-MM-DD HH:mm' (Asia/Shanghai), Date or epoch ms */
  ts: string | Date | number;
  /** kWh after the multiplier, >= 0, at most 4 decimals */
  kwh: string | number;
  kvarh?: string | number | null;
  flags?: string[];
  source?: 'headend' | 'import' | 'estimate';
}

export interface IntervalReject {
  index: number;
  field: string;
  reason: string;
  message: string;
}

export interface IntervalIngestResult {
  received: number;
  /** rows written (inserted + updated) */
  stored: number;
  inserted: number;
  /** rows that replaced a stored interval with different values */
  updated: number;
  /** re-sent rows equal to what is stored */
  unchanged: number;
  rejected: IntervalReject[];
  partitionsCreated: string[];
}

export const INTERVAL_FLAGS = ['ESTIMATED', 'CLOCK_ADJUSTED', 'POWER_OFF', 'PARTIAL', 'OVERFLOW', 'MISSING_FILLED'] as const;
const FLAG_SET = new Set<string>(INTERVAL_FLAGS);
const SOURCES = new Set(['headend', 'import', 'estimate']);
const DEC_RE = /^\d{1,8}(\.\d{1,4})?$/;

function decimal(v: unknown): string | null {
  if (typeof v === 'string') return DEC_RE.test(v) ? v : null;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e8) {
    const s = Math.round(v * 1e4);
    if (Math.abs(s - v * 1e4) > 1e-6 * Math.max(1, v * 1e4)) return null;
    return (s / 1e4).toFixed(4);
  }
  return null;
}

function instant(v: string | Date | number): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (v instanceof Date) return v.getTime();
  const d = parseReadAt(v);
  return d ? d.getTime() : NaN;
}

interface Inst { account_id: number; meter_id: number; from: number; to: number }

/** interval ingest; actor needs reading.write (system jobs use SYSTEM_ACTOR) */
export async function ingestIntervals(db: Db, rows: IntervalInput[], opts: { actor?: Actor; now?: Date; streams?: number } = {}): Promise<IntervalIngestResult> {
  const actor = opts.actor ?? SYSTEM_ACTOR;
  requirePermission(actor, 'reading.write');
  if (!Array.isArray(rows)) throw new ValidationError('rows', 'must be a list');
  const now = (opts.now ?? new Date()).getTime();
  const rejected: IntervalReject[] = [];
  // installations of the named meters (validity windows in ms)
  const meterIds = [...new Set(rows.map((r) => r?.meterId).filter((x): x is number => Number.isInteger(x)))];
  const inst = new Map<number, Inst[]>();
  const orgPaths = new Map<number, string>();
  for (let k = 0; k < meterIds.length; k += 20_000) {
    const part = meterIds.slice(k, k + 20_000);
    const { rows: ins } = await sql<{ account_id: number; meter_id: number; installed_on: string; removed_on: string | null; path: string }>`
      select mi.account_id, mi.meter_id, mi.installed_on, mi.removed_on, o.path from meter_installations mi
      join accounts a on a.id = mi.account_id join org_units o on o.id = a.org_unit_id
      where mi.meter_id = any(${part}::int8[])`.execute(db.kysely);
    for (const i of ins) {
      const l = inst.get(i.meter_id) ?? [];
      l.push({ account_id: i.account_id, meter_id: i.meter_id, from: Date.parse(`${i.installed_on}T00:00:00+08:00`), to: i.removed_on ? Date.parse(`${i.removed_on}T00:00:00+08:00`) : Infinity });
      inst.set(i.meter_id, l);
      orgPaths.set(i.account_id, i.path);
    }
  }
  const seen = new Set<string>();
  // good rows as COPY lines, grouped by account (parallel streams split on account)
  const lines: Array<{ account: number; line: string }> = [];
  let minTs = Infinity, maxTs = -Infinity;
  const bad = (index: number, field: string, reason: string, message: string) => rejected.push({ index, field, reason, message });
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!r || typeof r !== 'object') { bad(i, `rows.${i}`, 'NOT_AN_OBJECT', 'row must be an object'); continue; }
    if (!Number.isInteger(r.meterId)) { bad(i, `rows.${i}.meterId`, 'BAD_METER', 'meterId must be an integer'); continue; }
    const t = instant(r.ts);
    if (Number.isNaN(t)) { bad(i, `rows.${i}.ts`, 'BAD_TIMESTAMP', 'ts must be ISO 8601 or YYYY-MM-DD HH:mm (Asia/Shanghai)'); continue; }
    if (t % STEP !== 0) { bad(i, `rows.${i}.ts`, 'NOT_15_MIN', 'ts must be on a 15-minute boundary'); continue; }
    if (t + STEP > now + 10 * 60_000) { bad(i, `rows.${i}.ts`, 'FUTURE_TIMESTAMP', 'the interval has not ended yet'); continue; }
    const cands = inst.get(r.meterId);
    const at = cands?.find((c) => c.from <= t && t < c.to);
    if (!at) { bad(i, `rows.${i}.meterId`, cands ? 'METER_NOT_INSTALLED' : 'UNKNOWN_METER', cands ? 'the meter was not installed at that time' : `no meter ${r.meterId}`); continue; }
    if (r.accountId !== undefined && r.accountId !== at.account_id) { bad(i, `rows.${i}.accountId`, 'ACCOUNT_MISMATCH', `meter ${r.meterId} belonged to account ${at.account_id} at that time`); continue; }
    if (!actor.permissions.has('*') && !(orgPaths.get(at.account_id) ?? '').startsWith(actor.orgPath)) { bad(i, `rows.${i}.meterId`, 'OUT_OF_SCOPE', 'the account is outside your data scope'); continue; }
    const kwh = decimal(r.kwh);
    if (kwh === null) { bad(i, `rows.${i}.kwh`, 'BAD_ENERGY', 'kwh must be a non-negative number < 10^8 with at most 4 decimals'); continue; }
    let kvarh = '\\N';
    if (r.kvarh !== undefined && r.kvarh !== null) {
      const k = decimal(r.kvarh);
      if (k === null) { bad(i, `rows.${i}.kvarh`, 'BAD_ENERGY', 'kvarh must be a non-negative number < 10^8 with at most 4 decimals'); continue; }
      kvarh = k;
    }
    let flags = '{}';
    if (r.flags !== undefined) {
      if (!Array.isArray(r.flags) || r.flags.some((f) => !FLAG_SET.has(f))) { bad(i, `rows.${i}.flags`, 'BAD_FLAG', `flags must be among ${INTERVAL_FLAGS.join(', ')}`); continue; }
      if (r.flags.length) flags = `{${[...new Set(r.flags)].join(',')}}`;
    }
    const source = r.source ?? 'headend';
    if (!SOURCES.has(source)) { bad(i, `rows.${i}.source`, 'BAD_SOURCE', 'source must be headend, import or estimate'); continue; }
    const key = `${at.account_id}:${r.meterId}:${t}`;
    if (seen.has(key)) { bad(i, `rows.${i}.ts`, 'DUPLICATE', 'the same meter and interval appear twice in this batch'); continue; }
    seen.add(key);
    if (t < minTs) minTs = t;
    if (t > maxTs) maxTs = t;
    lines.push({ account: at.account_id, line: `${at.account_id}\t${r.meterId}\t${new Date(t).toISOString()}\t${kwh}\t${kvarh}\t${flags}\t${source}\n` });
  }
  const partitionsCreated = lines.length ? await ensureIntervalPartitions(db, new Date(minTs), new Date(maxTs)) : [];
  let inserted = 0, updated = 0;
  if (lines.length) {
    const streams = db.engine === 'postgres' ? Math.max(1, Math.min(opts.streams ?? 4, Math.ceil(lines.length / 50_000))) : 1;
    const groups: string[][] = Array.from({ length: streams }, () => []);
    const bufs: string[] = new Array(streams).fill('');
    for (const l of lines) {
      const g = l.account % streams;
      bufs[g] += l.line;
      if (bufs[g].length > 1 << 20) { groups[g].push(bufs[g]); bufs[g] = ''; }
    }
    bufs.forEach((b, g) => b && groups[g].push(b));
    const res = await Promise.all(groups.filter((g) => g.length).map((g) => loadStaged(db, g)));
    for (const r of res) { inserted += r.inserted; updated += r.updated; }
  }
  const result: IntervalIngestResult = {
    received: rows.length, stored: inserted + updated, inserted, updated, unchanged: lines.length - inserted - updated, rejected, partitionsCreated,
  };
  if (lines.length) {
    await inTx(db, (trx) => writeAudit(trx, actor, {
      action: 'interval.ingest', entityType: 'interval_batch', entityId: null,
      after: { received: result.received, inserted, updated, unchanged: result.unchanged, rejected: rejected.length, from: new Date(minTs).toISOString(), to: new Date(maxTs).toISOString(), partitionsCreated },
    }));
  }
  return result;
}

const STAGE_DDL = `create temp table interval_stage (account_id int8, meter_id int8, ts timestamptz, energy_kwh numeric(12,4), kvarh numeric(12,4), quality_flags text[], source text) on commit drop`;
// existing keys first (the partitioned table cannot return xmax), then one upsert
const STAGE_MOVE = `with x as (select count(*)::int8 as n from interval_stage s where exists (select 1 from interval_readings r
      where r.account_id = s.account_id and r.meter_id = s.meter_id and r.ts = s.ts)),
  w as (
    insert into interval_readings (account_id, meter_id, ts, energy_kwh, kvarh, quality_flags, source)
    select account_id, meter_id, ts, energy_kwh, kvarh, quality_flags, source from interval_stage
    on conflict (account_id, meter_id, ts) do update set energy_kwh = excluded.energy_kwh, kvarh = excluded.kvarh,
      quality_flags = excluded.quality_flags, source = excluded.source, created_at = now()
    where (interval_readings.energy_kwh, interval_readings.kvarh, interval_readings.quality_flags, interval_readings.source)
      is distinct from (excluded.energy_kwh, excluded.kvarh, excluded.quality_flags, excluded.source)
    returning 1)
  select (select count(*) from interval_stage)::int8 - (select n from x) as inserted, (select count(*) from w)::int8 - ((select count(*) from interval_stage)::int8 - (select n from x)) as updated`;
const STAGE_COLS = 'interval_stage (account_id, meter_id, ts, energy_kwh, kvarh, quality_flags, source)';

/** one staging table per connection and transaction: COPY, then move into the partitions */
async function loadStaged(db: Db, parts: string[]): Promise<{ inserted: number; updated: number }> {
  if (db.engine === 'pglite') {
    const pgl = db.pglite!;
    return db.kysely.connection().execute(async () => {
      await pgl.exec(`begin; ${STAGE_DDL};`);
      try {
        await pgl.query(`COPY ${STAGE_COLS} FROM '/dev/blob'`, [], { blob: new Blob(parts) });
        const r = await pgl.query<{ inserted: number; updated: number }>(STAGE_MOVE);
        await pgl.exec('commit');
        return { inserted: Number(r.rows[0].inserted), updated: Number(r.rows[0].updated) };
      } catch (e) {
        await pgl.exec('rollback').catch(() => {});
        throw e;
      }
    });
  }
  const client = await db.pool!.connect();
  try {
    await client.query(`begin; ${STAGE_DDL}`);
    try {
      await copyOnClient(client, `COPY ${STAGE_COLS} FROM STDIN`, parts);
      const r = await client.query(STAGE_MOVE);
      await client.query('commit');
      return { inserted: Number(r.rows[0].inserted), updated: Number(r.rows[0].updated) };
    } catch (e) {
      await client.query('rollback').catch(() => {});
      throw e;
    }
  } finally {
    client.release();
  }
}

// ---- query ---------------------------------------------------------------------------------

const MAX_DAYS = 62;

/** An account's 15-minute points in [from, to] (days inclusive, Asia/Shanghai) and the daily sums. */
export async function accountIntervals(db: Db, actor: Actor, accountId: number, f: { from?: string; to?: string }) {
  requirePermission(actor, 'reading.read');
  requireScope(actor, await accountOrgPath(db.kysely, accountId), 'account');
  const day = (s: string | undefined, field: string): number | null => {
    if (s === undefined || s === '') return null;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) {
      const d = parseReadAt(s);
      if (!d) throw new ValidationError(field, 'date YYYY-MM-DD or ISO timestamp');
      return d.getTime();
    }
    const d = parseReadAt(s);
    if (!d) throw new ValidationError(field, 'not a calendar date');
    return d.getTime();
  };
  let to = day(f.to, 'to');
  if (to !== null && /^\d{4}-\d{2}-\d{2}$/.test(f.to!)) to += 86_400_000; // whole last day
  let from = day(f.from, 'from');
  if (to === null) to = Math.floor((Date.now() + SH) / 86_400_000) * 86_400_000 - SH + 86_400_000; // end of today
  if (from === null) from = to - 7 * 86_400_000;
  if (to <= from) throw new ValidationError('to', 'must be after from');
  if (to - from > MAX_DAYS * 86_400_000) throw new ValidationError('to', `at most ${MAX_DAYS} days per request`);
  const rows = await db.kysely.selectFrom('interval_readings').select(['meter_id', 'ts', 'energy_kwh', 'kvarh', 'quality_flags', 'source'])
    .where('account_id', '=', accountId).where('ts', '>=', new Date(from)).where('ts', '<', new Date(to))
    .orderBy('ts').orderBy('meter_id').execute();
  const daily = new Map<string, { kwh: bigint; kvarh: bigint; hasKvarh: boolean; points: number; meters: Set<number>; flagged: number }>();
  let total = 0n;
  const points = rows.map((r) => {
    const ts = new Date(r.ts);
    const d = new Date(ts.getTime() + SH).toISOString().slice(0, 10);
    const e = daily.get(d) ?? { kwh: 0n, kvarh: 0n, hasKvarh: false, points: 0, meters: new Set<number>(), flagged: 0 };
    const k = toScaled(r.energy_kwh);
    e.kwh += k;
    total += k;
    if (r.kvarh !== null) { e.kvarh += toScaled(r.kvarh); e.hasKvarh = true; }
    e.points++;
    e.meters.add(r.meter_id);
    if (r.quality_flags.length) e.flagged++;
    daily.set(d, e);
    return { meterId: r.meter_id, ts: ts.toISOString(), kwh: r.energy_kwh, kvarh: r.kvarh, flags: r.quality_flags, source: r.source };
  });
  return {
    accountId,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    totalKwh: fromScaled(total),
    daily: [...daily.entries()].map(([d, e]) => ({
      day: d, kwh: fromScaled(e.kwh), kvarh: e.hasKvarh ? fromScaled(e.kvarh) : null, points: e.points,
      // 96 points per meter and day; fewer means gaps
      complete: e.points >= 96 * e.meters.size, flaggedPoints: e.flagged,
    })),
    points,
  };
}

