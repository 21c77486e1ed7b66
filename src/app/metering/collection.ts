/**
 * Automated collection (采集): read installed meters over DL/T 645-2007 through the head-end
 * poller, store every meter's result as it finishes, turn the values into register readings that
 * go through the SAME VEE path as phone and import readings (source 'headend'), store daily
 * frozen values (日冻结), and report 采集成功率 per reading route with the failed meters and why.
 *
 * Runs are resumable: a run that is still `running` after a restart is continued with
 * `runCollection(db, actor, { resumeRunId })` and polls only the meters without a result.
 * One bad meter never fails the run (a failed batch write is retried meter by meter).
 * One audit event per run (counts), written when the run ends.
 */
import { setMaxListeners } from 'node:events';
import { sql } from 'kysely';
import type { CopyFn, Db } from '../../db/database.js';
import '../../db/schema-collection.js';
import { AppError, ValidationError, notFound } from '../../domain/errors.js';
import { fromScaled, toScaled } from '../../domain/metering/vee.js';
import type { Dlt645Value } from '../../domain/protocols/dlt645/formats.js';
import { pollMeters, type PollResult, type PollTarget } from '../../jobs/headend/index.js';
import { defaultEndpoint } from '../../jobs/seed-collection.js';
import { writeAudit } from '../audit/write-audit.js';
import { inScope, inTx, requirePermission, requireScope, type Actor, type Q, type Trx } from '../context.js';
import { shanghaiDay } from './baseline.js';
import { copyRows, insertRows, prepareRows, summarise, updateTasks, type IngestResult, type RowInput, type RowOutcome } from './readings.js';

// ---- options and types ------------------------------------------------------------------------

export interface Endpoint {
  host: string;
  port: number;
}

export interface CollectionOptions {
  routeIds?: number[];
  meterIds?: number[];
  /** day whose daily frozen values are read, YYYY-MM-DD (default yesterday, Beijing time) */
  dataDay?: string;
  /** meters polled at once (default 256) */
  concurrency?: number;
  /** wait for one reply, ms (default 1500) */
  timeoutMs?: number;
  /** extra attempts per register (default 2) */
  retries?: number;
  backoffMs?: number;
  /** endpoint for meters without their own (overrides the setting collection.default_endpoint) */
  endpoint?: Endpoint;
  /** continue a run left `running` (e.g. after a restart): polls only meters without a result */
  resumeRunId?: number;
  /** results written per transaction (default 200) */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: RunProgress) => void;
  /** clock for read times (tests) */
  now?: () => Date;
}

export interface RunProgress {
  runId: number;
  total: number;
  done: number;
  ok: number;
  failed: number;
}

export interface ReadProfile {
  dis: string[];
  registerMap: Record<string, string>;
  dailyFrozen: boolean;
  monthlyFrozen: boolean;
}

/** used for meter types without a row in meter_read_profiles */
export const DEFAULT_PROFILE: ReadProfile = {
  dis: ['0001FF00', '00020000', '00030000', '00040000', '01010000'],
  registerMap: {
    TOTAL: '0001FF00[0]', SHARP: '0001FF00[1]', PEAK: '0001FF00[2]', FLAT: '0001FF00[3]', VALLEY: '0001FF00[4]',
    REVERSE: '00020000', REACTIVE: '00030000', REACTIVE_REV: '00040000', MAX_DEMAND: '01010000.demand',
  },
  dailyFrozen: true,
  monthlyFrozen: false,
};

interface Target {
  meter_id: number;
  comm_address: string;
  meter_type: string;
  registers: string[];
  decimals: number;
  digits: number;
  comm_host: string | null;
  comm_port: number | null;
  c_host: string | null;
  c_port: number | null;
  concentrator_id: number | null;
  account_id: number;
  route_id: number | null;
  org_path: string;
}

// ---- reasons ----------------------------------------------------------------------------------

const REASONS: Record<string, { zh: string; en: string }> = {
  TIMEOUT: { zh: '超时无应答', en: 'no reply (timeout)' },
  BAD_CHECKSUM: { zh: '报文校验和错误', en: 'bad frame checksum' },
  ERROR_REPLY: { zh: '表计异常应答', en: 'meter replied with an error' },
  'ERROR_REPLY:01': { zh: '表计异常应答: 其他错误', en: 'meter error reply: other error' },
  'ERROR_REPLY:02': { zh: '表计异常应答: 无请求数据', en: 'meter error reply: no such data' },
  'ERROR_REPLY:04': { zh: '表计异常应答: 密码错/未授权', en: 'meter error reply: not authorised' },
  NO_ENDPOINT: { zh: '未配置通信通道 (集中器/表计地址端口)', en: 'no endpoint configured (concentrator or meter host/port)' },
  CONCENTRATOR_INACTIVE: { zh: '集中器停用或故障', en: 'concentrator inactive or faulty' },
  CONNECT_FAILED: { zh: '连接集中器失败', en: 'could not connect to the concentrator' },
  CONNECT_TIMEOUT: { zh: '连接集中器超时', en: 'connecting to the concentrator timed out' },
  CONNECTION_CLOSED: { zh: '连接被断开', en: 'connection closed' },
  SKIPPED_UNREACHABLE: { zh: '表计不可达, 未召测其余数据项', en: 'meter unreachable; other registers not asked' },
  ABORTED: { zh: '采集已取消', en: 'collection cancelled' },
  BAD_TARGET: { zh: '通信地址或数据标识无效', en: 'bad meter address or data identifier' },
  BAD_ADDRESS: { zh: '通信地址无效 (应为 12 位数字)', en: 'bad communication address (12 digits expected)' },
  UNKNOWN_DI_REPLY: { zh: '应答数据标识无法识别', en: 'reply with an unknown data identifier' },
  BAD_VALUE: { zh: '应答数据无法换算为示数', en: 'reply value could not be converted to a reading' },
  STORE_FAILED: { zh: '保存失败', en: 'could not be stored' },
};

/** Chinese and English text of a failure reason such as "ERROR_REPLY:02" or "CONNECT_FAILED:ECONNREFUSED". */
export function reasonText(reason: string | null): { zh: string; en: string } | null {
  if (!reason) return null;
  const exact = REASONS[reason];
  if (exact) return exact;
  const [head, ...rest] = reason.split(':');
  const base = REASONS[head];
  const tail = rest.join(':');
  return base ? { zh: `${base.zh}${tail ? ` (${tail})` : ''}`, en: `${base.en}${tail ? ` (${tail})` : ''}` } : { zh: reason, en: reason };
}

// ---- register conversion ----------------------------------------------------------------------

const TERM = /^([0-9A-F]{8})(?:\[(\d+)\]|\.([a-zA-Z]+))?$/;

/** DIs an expression such as "0001FF00[1]+0001FF00[2]" reads */
export function expressionDis(expr: string): string[] {
  return expr.split('+').map((t) => {
    const m = TERM.exec(t.trim().toUpperCase().replace(/\.([A-Z]+)$/, (_, f) => '.' + f.toLowerCase()));
    if (!m) throw new ValidationError('registerMap', `bad term "${t}" (DI, DI[index] or DI.field)`);
    return m[1];
  });
}

function termValue(values: Record<string, Dlt645Value>, term: string): number | null {
  const m = TERM.exec(term.trim().replace(/^[0-9a-f]{8}/, (s) => s.toUpperCase()));
  if (!m) return null;
  let v: unknown = values[m[1]];
  if (m[2] !== undefined) v = Array.isArray(v) ? v[Number(m[2])] : undefined;
  else if (m[3] !== undefined) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[m[3]] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Evaluate the profile's register map on the values read: exact decimal sum of the terms,
 * rounded to the meter's decimals, modulo 10^digits. Registers the meter does not have, or
 * whose DIs were not read, are left out.
 */
export function toRegisters(values: Record<string, Dlt645Value>, map: Record<string, string>, meter: { registers: string[]; decimals: number; digits: number }): Record<string, string> {
  const out: Record<string, string> = {};
  const dec = Math.min(4, Math.max(0, meter.decimals));
  const mod = 10n ** BigInt(meter.digits) * 10n ** 4n;
  for (const reg of meter.registers) {
    const expr = map[reg];
    if (!expr) continue;
    let sum = 0n;
    let ok = true;
    for (const term of expr.split('+')) {
      const v = termValue(values, term);
      if (v === null || v < 0) {
        ok = false;
        break;
      }
      sum += toScaled(v.toFixed(4));
    }
    if (!ok) continue;
    const rounded = toScaled(fromScaled(sum % mod, dec));
    out[reg] = fromScaled(rounded % mod, dec);
  }
  return out;
}

/** the daily frozen block DI (050601nn) for a data day, or null when out of the meter's 62 days */
export function frozenDi(dataDay: string, now: Date): string | null {
  const n = Math.round((Date.parse(`${shanghaiDay(now)}T00:00:00Z`) - Date.parse(`${dataDay}T00:00:00Z`)) / 86_400_000);
  if (n < 1 || n > 62) return null;
  // DI0 = n, hex as in the DI table (上1次 .. 上62次 = 01 .. 3E)
  return `050601${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

// ---- profiles, targets ------------------------------------------------------------------------

async function loadProfiles(q: Q): Promise<Map<string, ReadProfile>> {
  const rows = await q.selectFrom('meter_read_profiles').selectAll().execute();
  return new Map(rows.map((r) => [r.meter_type, {
    dis: r.dis, registerMap: (typeof r.register_map === 'string' ? JSON.parse(r.register_map) : r.register_map) as Record<string, string>,
    dailyFrozen: r.daily_frozen, monthlyFrozen: r.monthly_frozen,
  }]));
}

async function loadTargets(q: Q, actor: Actor, scope: { routeIds?: number[]; meterIds?: number[] }, runId: number | null): Promise<Target[]> {
  const { rows } = await sql<Target>`
    select m.id as meter_id, m.comm_address, m.meter_type, m.registers, m.decimals, m.digits, m.comm_host, m.comm_port,
      case when c.status = 'active' then c.host end as c_host, case when c.status = 'active' then c.port end as c_port,
      case when c.status = 'active' then c.id else -c.id end as concentrator_id,
      mi.account_id, a.reading_route_id as route_id, o.path as org_path
    from meter_installations mi
    join meters m on m.id = mi.meter_id
    join accounts a on a.id = mi.account_id
    join org_units o on o.id = a.org_unit_id
    left join concentrators c on c.id = m.concentrator_id
    where mi.removed_on is null and m.status = 'installed' and a.status <> 'closed'
      and o.path like ${actor.orgPath + '%'}
      ${scope.routeIds?.length ? sql`and a.reading_route_id = any(${scope.routeIds}::int8[])` : sql``}
      ${scope.meterIds?.length ? sql`and m.id = any(${scope.meterIds}::int8[])` : sql``}
      ${runId !== null ? sql`and not exists (select 1 from collection_results r where r.run_id = ${runId} and r.meter_id = m.id)` : sql``}
    order by a.reading_route_id nulls last, m.id`.execute(q);
  return rows.map((r) => ({ ...r, meter_id: Number(r.meter_id), account_id: Number(r.account_id), route_id: r.route_id === null ? null : Number(r.route_id), concentrator_id: r.concentrator_id === null ? null : Number(r.concentrator_id) }));
}

// ---- storing readings -------------------------------------------------------------------------

/**
 * Insert prepared readings: a bulk COPY for a batch (rows were de-duplicated by prepareRows;
 * a concurrent writer's duplicate makes the COPY fail, then, back at the savepoint, INSERT ...
 * ON CONFLICT DO NOTHING as the import does). Both fill readingId (the COPY carries ids drawn
 * ahead); small batches use the INSERT path.
 */
async function storeReadings(trx: Trx, copy: CopyFn, prep: IngestResult): Promise<void> {
  if (!prep.inserts.length) return;
  if (prep.inserts.length < 100) {
    await insertRows(trx, prep);
    return;
  }
  await sql`savepoint collection_copy`.execute(trx);
  try {
    await copyRows(trx, copy, prep);
    await sql`release savepoint collection_copy`.execute(trx);
  } catch {
    await sql`rollback to savepoint collection_copy`.execute(trx);
    await insertRows(trx, prep);
  }
}

// ---- runs -------------------------------------------------------------------------------------

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const active = new Map<number, AbortController>();
const interrupted = new Set<number>();

function validateIds(field: string, v: unknown): number[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => !Number.isSafeInteger(x) || x <= 0)) throw new ValidationError(field, 'must be a list of positive integer ids');
  if (v.length > 10_000) throw new ValidationError(field, 'at most 10,000 ids');
  return [...new Set(v as number[])];
}

function intOpt(field: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined || v === null) return dflt;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw new ValidationError(field, `must be an integer ${min}..${max}`);
  return v as number;
}

export interface StartedRun {
  runId: number;
  resumed: boolean;
  /** meters left to poll */
  pending: number;
}

/**
 * Validate and create a run (or pick up a `running` one to resume). Returns the run id and a
 * function that polls and stores; `runCollection` calls both, the API runs the second in the
 * background.
 */
export async function startCollection(db: Db, actor: Actor, o: CollectionOptions & { kind?: 'scheduled' | 'on_demand' } = {}): Promise<StartedRun & { execute: (onStored?: (m: MeterStored) => void) => Promise<RunSummary> }> {
  requirePermission(actor, 'collection.run');
  const now = o.now ?? (() => new Date());
  const concurrency = intOpt('concurrency', o.concurrency, 256, 1, 4096);
  const timeoutMs = intOpt('timeoutMs', o.timeoutMs, 1500, 50, 60_000);
  const retries = intOpt('retries', o.retries, 2, 0, 10);
  const backoffMs = intOpt('backoffMs', o.backoffMs, 100, 0, 60_000);
  const batchSize = intOpt('batchSize', o.batchSize, 200, 1, 5000);
  if (o.endpoint && (typeof o.endpoint.host !== 'string' || !o.endpoint.host || !Number.isInteger(o.endpoint.port) || o.endpoint.port < 1 || o.endpoint.port > 65535)) {
    throw new ValidationError('endpoint', 'host:port with a port 1..65535');
  }
  let runId: number;
  let scope: { routeIds?: number[]; meterIds?: number[] };
  let dataDay: string;
  let resumed = false;
  if (o.resumeRunId !== undefined) {
    const run = await db.kysely.selectFrom('collection_runs').selectAll().where('id', '=', o.resumeRunId).executeTakeFirst();
    if (!run) throw notFound('collection run', o.resumeRunId);
    if (!inScope(actor, run.org_path)) throw new AppError('OUT_OF_SCOPE', 'the run was started outside your data scope', { scope: actor.orgPath });
    if (run.status !== 'running') throw new AppError('CONFLICT', `run ${run.id} is ${run.status}; only a running run can be resumed`, { field: 'resumeRunId', status: run.status });
    if (active.has(run.id)) throw new AppError('CONFLICT', `run ${run.id} is in progress in this process`, { field: 'resumeRunId' });
    const s = (typeof run.scope === 'string' ? JSON.parse(run.scope) : run.scope) as { routeIds?: number[]; meterIds?: number[] };
    scope = { routeIds: s.routeIds, meterIds: s.meterIds };
    dataDay = typeof run.data_day === 'string' ? run.data_day : shanghaiDay(new Date(run.data_day as unknown as Date));
    runId = Number(run.id);
    resumed = true;
  } else {
    const routeIds = validateIds('routeIds', o.routeIds);
    const meterIds = validateIds('meterIds', o.meterIds);
    if (routeIds && meterIds) throw new ValidationError('meterIds', 'give routeIds or meterIds, not both');
    dataDay = o.dataDay ?? shanghaiDay(new Date(now().getTime() - 86_400_000));
    if (typeof dataDay !== 'string' || !DAY_RE.test(dataDay) || Number.isNaN(Date.parse(`${dataDay}T00:00:00Z`)) || new Date(`${dataDay}T00:00:00Z`).toISOString().slice(0, 10) !== dataDay) {
      throw new ValidationError('dataDay', 'must be a date YYYY-MM-DD');
    }
    if (!frozenDi(dataDay, now())) throw new ValidationError('dataDay', 'must be a past day within the last 62 days (the meter keeps 62 daily freezes)');
    if (routeIds) {
      const routes = await db.kysely.selectFrom('reading_routes as r').innerJoin('org_units as o', 'o.id', 'r.org_unit_id').select(['r.id', 'o.path'])
        .where(sql<boolean>`r.id = any(${routeIds}::int8[])`).execute();
      const found = new Map(routes.map((r) => [Number(r.id), r.path]));
      routeIds.forEach((id, i) => {
        const p = found.get(id);
        if (p === undefined) throw new ValidationError(`routeIds.${i}`, `reading route ${id} not found`);
        requireScope(actor, p, 'reading route');
      });
    }
    if (meterIds) {
      const ms = await db.kysely.selectFrom('meter_installations as mi').innerJoin('accounts as a', 'a.id', 'mi.account_id').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
        .select(['mi.meter_id', 'o.path']).where('mi.removed_on', 'is', null).where(sql<boolean>`mi.meter_id = any(${meterIds}::int8[])`).execute();
      const found = new Map(ms.map((r) => [Number(r.meter_id), r.path]));
      meterIds.forEach((id, i) => {
        const p = found.get(id);
        if (p === undefined) throw new ValidationError(`meterIds.${i}`, `meter ${id} is not installed`);
        requireScope(actor, p, 'meter');
      });
    }
    scope = { ...(routeIds ? { routeIds } : {}), ...(meterIds ? { meterIds } : {}) };
    const run = await db.kysely.insertInto('collection_runs').values({
      kind: o.kind ?? 'scheduled', scope: JSON.stringify({ ...scope, options: { concurrency, timeoutMs, retries } }), data_day: dataDay, status: 'running',
      started_by: actor.userId, org_path: actor.orgPath, started_at: now(),
    }).returning('id').executeTakeFirstOrThrow();
    runId = Number(run.id);
  }
  const ctl = new AbortController();
  // the poller's backoff sleeps each add an abort listener to this signal
  setMaxListeners(0, ctl.signal);
  active.set(runId, ctl);
  let targets: Target[];
  try {
    targets = await loadTargets(db.kysely, actor, scope, resumed ? runId : null);
    const done = resumed ? Number((await db.kysely.selectFrom('collection_results').select((eb) => eb.fn.countAll<number>().as('n')).where('run_id', '=', runId).executeTakeFirstOrThrow()).n) : 0;
    await db.kysely.updateTable('collection_runs').set({ total: done + targets.length }).where('id', '=', runId).execute();
  } catch (e) {
    active.delete(runId);
    throw e;
  }
  // an external signal (shutdown, Ctrl-C) interrupts: the run stays `running` and can be resumed;
  // cancelCollection aborts `ctl` itself and the run ends `cancelled`
  const onAbort = () => {
    interrupted.add(runId);
    ctl.abort();
  };
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    runId, resumed, pending: targets.length,
    execute: (onStored?: (m: MeterStored) => void) => executeRun(db, actor, runId, targets, dataDay, { ...o, concurrency, timeoutMs, retries, backoffMs, batchSize, now }, ctl, onStored).finally(() => (active.delete(runId), interrupted.delete(runId))),
  };
}

/** Cancel a run in progress in this process (it ends `cancelled`; resume is then refused). */
export async function cancelCollection(db: Db, actor: Actor, runId: number): Promise<{ runId: number; status: string }> {
  requirePermission(actor, 'collection.run');
  const run = await db.kysely.selectFrom('collection_runs').select(['id', 'status', 'org_path']).where('id', '=', runId).executeTakeFirst();
  if (!run) throw notFound('collection run', runId);
  if (!inScope(actor, run.org_path)) throw new AppError('OUT_OF_SCOPE', 'the run was started outside your data scope', { scope: actor.orgPath });
  if (run.status !== 'running') throw new AppError('CONFLICT', `run ${runId} is ${run.status}`, { status: run.status });
  const ctl = active.get(runId);
  if (ctl) ctl.abort();
  else {
    // left over from a stopped process: close it here
    await inTx(db, async (trx) => {
      await trx.updateTable('collection_runs').set({ status: 'cancelled', finished_at: new Date() }).where('id', '=', runId).where('status', '=', 'running').execute();
      await writeAudit(trx, actor, { action: 'collection.cancel', entityType: 'collection_run', entityId: runId, after: { status: 'cancelled' } });
    });
  }
  return { runId, status: 'cancelled' };
}

export interface RunSummary {
  runId: number;
  /** `running` when interrupted by the caller's signal (resume it later) */
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  total: number;
  ok: number;
  failed: number;
  /** this execution only (a resumed run counts the rest) */
  polled: number;
  successRate: number;
  readings: { stored: number; accepted: number; pendingReview: number; rejected: number; duplicates: number };
  dailyFrozen: number;
  seconds: number;
  /** database time spent storing, ms: VEE preparation, reading inserts, task updates, results/frozen/counters */
  timings?: { veeMs: number; insertMs: number; tasksMs: number; resultsMs: number };
  error?: string;
}

interface Finished {
  t: Target;
  r: PollResult;
  at: Date;
}

export type MeterStored = { meterId: number; accountId: number; ok: boolean; reason: string | null; registers: Record<string, string>; dailyFrozen: Record<string, string> | null; outcomes: RowOutcome[] };

async function executeRun(
  db: Db, actor: Actor, runId: number, targets: Target[], dataDay: string,
  o: CollectionOptions & Required<Pick<CollectionOptions, 'concurrency' | 'timeoutMs' | 'retries' | 'backoffMs' | 'batchSize' | 'now'>>,
  ctl: AbortController, onStored?: (m: MeterStored) => void,
): Promise<RunSummary> {
  const t0 = performance.now();
  const now = o.now;
  const readings = { stored: 0, accepted: 0, pendingReview: 0, rejected: 0, duplicates: 0 };
  const timings = { veeMs: 0, insertMs: 0, tasksMs: 0, resultsMs: 0 };
  let dailyFrozen = 0;
  let okN = 0;
  let failedN = 0;
  let error: string | undefined;
  const base = await db.kysely.selectFrom('collection_runs').select(['ok', 'failed', 'total', 'kind', 'scope']).where('id', '=', runId).executeTakeFirstOrThrow();
  const total = base.total;
  try {
    const profiles = await loadProfiles(db.kysely);
    const fallback = o.endpoint ?? (targets.some((t) => !t.comm_host && !t.c_host) ? await defaultEndpoint(db.kysely) : null);
    const fdi = frozenDi(dataDay, now());
    const settleAt = new Date(`${shanghaiDay(now()).slice(0, 7)}-01T00:00:00+08:00`);
    const prevPeriod = shanghaiDay(new Date(settleAt.getTime() - 86_400_000)).slice(0, 7);

    const polls: PollTarget[] = [];
    const byAddr = new Map<string, Target>();
    const immediate: Finished[] = [];
    const profileOf = (t: Target) => profiles.get(t.meter_type) ?? DEFAULT_PROFILE;
    for (const t of targets) {
      const p = profileOf(t);
      const ep = t.comm_host && t.comm_port ? { host: t.comm_host, port: t.comm_port }
        : t.concentrator_id !== null && t.concentrator_id < 0 ? null
          : t.c_host && t.c_port ? { host: t.c_host, port: t.c_port } : fallback;
      const fail = (reason: string) => immediate.push({ t, r: { address: t.comm_address, values: {}, ok: false, reason, failures: {}, attempts: 0, ms: 0 }, at: now() });
      if (!ep) {
        fail(t.concentrator_id !== null && t.concentrator_id < 0 ? 'CONCENTRATOR_INACTIVE' : 'NO_ENDPOINT');
        continue;
      }
      if (!/^\d{12}$/.test(t.comm_address)) {
        fail('BAD_ADDRESS');
        continue;
      }
      if (byAddr.has(t.comm_address)) {
        fail('BAD_ADDRESS:DUPLICATE');
        continue;
      }
      const dis = new Set<string>();
      for (const reg of t.registers) if (p.registerMap[reg]) for (const d of expressionDis(p.registerMap[reg])) dis.add(d);
      if (p.dailyFrozen && fdi) dis.add(fdi);
      if (p.monthlyFrozen) for (const d of [...dis]) if (/^000[0-9A-F]FF00$|^000[0-9A-F]0000$/.test(d)) dis.add(d.slice(0, 6) + '01');
      byAddr.set(t.comm_address, t);
      polls.push({ address: t.comm_address, host: ep.host, port: ep.port, dis: [...dis] });
    }

    // ---- storing, batched and serialised ----
    let buffer: Finished[] = [...immediate];
    let chain: Promise<void> = Promise.resolve();
    let storeError: Error | null = null as Error | null;
    const rowsFor = (f: Finished): { rows: RowInput[]; registers: Record<string, string>; frozen: Record<string, string> | null } => {
      const p = profileOf(f.t);
      const rows: RowInput[] = [];
      const meter = { registers: f.t.registers, decimals: f.t.decimals, digits: f.t.digits };
      const registers = Object.keys(f.r.values).length ? toRegisters(f.r.values, p.registerMap, meter) : {};
      const readAt = f.at.toISOString();
      for (const [register, value] of Object.entries(registers)) rows.push({ ref: f.t.meter_id, visit: `m${f.t.meter_id}`, meterId: f.t.meter_id, accountId: f.t.account_id, register, readAt, value });
      let frozen: Record<string, string> | null = null;
      if (fdi && f.r.values[fdi] !== undefined) {
        // the frozen block stands in for the current-energy block and 050602nn for reverse
        const alias: Record<string, Dlt645Value> = { ...f.r.values, '0001FF00': f.r.values[fdi] };
        const rev = f.r.values[fdi.replace(/^050601/, '050602')];
        if (Array.isArray(rev)) alias['00020000'] = rev[0] as Dlt645Value;
        else delete alias['00020000'];
        delete alias['00030000'];
        delete alias['00040000'];
        delete alias['01010000'];
        const fr = toRegisters(alias, p.registerMap, meter);
        if (Object.keys(fr).length) frozen = fr;
      }
      if (p.monthlyFrozen) {
        const monthly: Record<string, Dlt645Value> = {};
        for (const [di, v] of Object.entries(f.r.values)) if (/^000[0-9A-F](FF|00)01$/.test(di)) monthly[di.slice(0, 6) + '00'] = v;
        const mr = Object.keys(monthly).length ? toRegisters(monthly, p.registerMap, meter) : {};
        for (const [register, value] of Object.entries(mr)) {
          rows.push({ ref: f.t.meter_id, visit: `s${f.t.meter_id}`, meterId: f.t.meter_id, accountId: f.t.account_id, register, readAt: settleAt.toISOString(), value, billingPeriod: prevPeriod });
        }
      }
      return { rows, registers, frozen };
    };

    const store = async (batch: Finished[]) => {
      const built = batch.map((f) => ({ f, ...rowsFor(f) }));
      const write = async (items: typeof built) => db.copyTx(async (trx, copy) => {
        const rows = items.flatMap((b) => (b.f.r.ok || Object.keys(b.registers).length ? b.rows : []));
        let tt = performance.now();
        const lap = (k: keyof typeof timings) => {
          const n = performance.now();
          timings[k] += n - tt;
          tt = n;
        };
        const prep = rows.length ? await prepareRows(trx, actor, rows, { source: 'headend', scope: 'row', now: new Date(Math.max(Date.now(), now().getTime())) }) : null;
        lap('veeMs');
        if (prep) {
          await storeReadings(trx, copy, prep);
          lap('insertMs');
          // the period's reading tasks of the stored meters (one set-based UPDATE; meters without a task match nothing)
          await updateTasks(trx, prep);
          lap('tasksMs');
        }
        const outcomesOf = new Map<number, RowOutcome[]>();
        for (const oc of prep?.outcomes ?? []) {
          const l = outcomesOf.get(oc.ref) ?? [];
          l.push(oc);
          outcomesOf.set(oc.ref, l);
        }
        const results = items.map((b) => {
          const oc = outcomesOf.get(b.f.t.meter_id) ?? [];
          const vee: Record<string, string> = {};
          for (const x of oc) if (x.readAt === b.f.at.toISOString()) vee[x.register] = x.status === 'rejected' ? `rejected:${x.reason ?? ''}` : x.status;
          const noValue = b.f.r.ok && !Object.keys(b.registers).length;
          return {
            run_id: runId, meter_id: b.f.t.meter_id, account_id: b.f.t.account_id, route_id: b.f.t.route_id,
            ok: b.f.r.ok && !noValue, reason: noValue ? 'BAD_VALUE' : b.f.r.reason, attempts: b.f.r.attempts, ms: String(Math.min(b.f.r.ms, 99_999_999)),
            values: JSON.stringify({ registers: b.registers, ...(b.frozen ? { dailyFrozen: b.frozen } : {}), vee, ...(Object.keys(b.f.r.failures).length ? { failures: b.f.r.failures } : {}) }),
            read_at: b.f.at,
          };
        });
        const got = await trx.insertInto('collection_results').values(results).onConflict((oc) => oc.columns(['run_id', 'meter_id']).doNothing()).returning(['meter_id', 'ok']).execute();
        const frozenRows = items.filter((b) => b.frozen).map((b) => ({ account_id: b.f.t.account_id, meter_id: b.f.t.meter_id, day: dataDay, registers: JSON.stringify(b.frozen), source: 'headend' }));
        let fz = 0;
        if (frozenRows.length) fz = (await trx.insertInto('daily_frozen_readings').values(frozenRows).onConflict((oc) => oc.doNothing()).returning('meter_id').execute()).length;
        const ok = got.filter((g) => g.ok).length;
        const failed = got.length - ok;
        await trx.updateTable('collection_runs').set((eb) => ({ ok: eb('ok', '+', ok), failed: eb('failed', '+', failed) })).where('id', '=', runId).execute();
        lap('resultsMs');
        return { prep, ok, failed, fz, results, outcomesOf };
      });
      // one bad meter must not lose the batch: on failure write meter by meter, and a meter
      // that still fails gets a bare failed result (STORE_FAILED); a broken database fails the run
      const bare = async (b: (typeof built)[number], e: unknown) => {
        const x = { ...b, rows: [], registers: {}, frozen: null, f: { ...b.f, r: { ...b.f.r, values: {}, ok: false, reason: `STORE_FAILED:${String((e as Error)?.message ?? e).slice(0, 120)}` } } };
        account(await write([x]), [x]);
      };
      try {
        account(await write(built), built);
        return;
      } catch (e) {
        if (built.length === 1) return bare(built[0], e);
      }
      for (const b of built) {
        try {
          account(await write([b]), [b]);
        } catch (e) {
          await bare(b, e);
        }
      }
    };
    const account = (w: any, items: Array<{ f: Finished; registers: Record<string, string>; frozen: Record<string, string> | null }>) => {
      okN += w.ok;
      failedN += w.failed;
      dailyFrozen += w.fz;
      if (w.prep) {
        const s = summarise(w.prep.outcomes);
        readings.stored += s.stored;
        readings.accepted += s.accepted;
        readings.pendingReview += s.pendingReview;
        readings.rejected += s.rejected - s.duplicates;
        readings.duplicates += s.duplicates;
      }
      o.onProgress?.({ runId, total, done: base.ok + base.failed + okN + failedN, ok: base.ok + okN, failed: base.failed + failedN });
      if (onStored) for (const b of items) {
        const res = w.results.find((r: any) => r.meter_id === b.f.t.meter_id);
        onStored({ meterId: b.f.t.meter_id, accountId: b.f.t.account_id, ok: res?.ok ?? false, reason: res?.reason ?? null, registers: b.registers, dailyFrozen: b.frozen, outcomes: w.outcomesOf.get(b.f.t.meter_id) ?? [] });
      }
    };
    const flush = () => {
      if (!buffer.length) return chain;
      const batch = buffer;
      buffer = [];
      chain = chain.then(() => (storeError ? undefined : store(batch))).catch((e) => {
        storeError = e as Error;
        ctl.abort();
      });
      return chain;
    };
    if (buffer.length >= o.batchSize) flush();
    const timer = setInterval(() => void flush(), 500);
    try {
      await pollMeters({
        targets: polls, concurrency: o.concurrency, timeoutMs: o.timeoutMs, retries: o.retries, backoffMs: o.backoffMs, signal: ctl.signal,
        onResult: (r) => {
          const t = byAddr.get(r.address);
          // not polled because of an interruption: left for the resume
          if (!t || (ctl.signal.aborted && r.reason === 'ABORTED')) return;
          buffer.push({ t, r, at: now() });
          if (buffer.length >= o.batchSize) void flush();
        },
      });
    } finally {
      clearInterval(timer);
    }
    await flush();
    await chain;
    if (storeError) throw storeError;
  } catch (e) {
    error = (e as Error).message;
  }
  if (!error && interrupted.has(runId)) {
    // interrupted: stays `running`; the audit event is written when the resumed run ends
    const r = await db.kysely.selectFrom('collection_runs').select(['total', 'ok', 'failed']).where('id', '=', runId).executeTakeFirstOrThrow();
    return {
      runId, status: 'running', total: r.total, ok: r.ok, failed: r.failed, polled: okN + failedN,
      successRate: r.ok + r.failed ? Math.round((r.ok / (r.ok + r.failed)) * 10000) / 100 : 0, readings, dailyFrozen, seconds: Math.round((performance.now() - t0) / 10) / 100,
    };
  }
  const status: 'completed' | 'failed' | 'cancelled' = error ? 'failed' : ctl.signal.aborted ? 'cancelled' : 'completed';
  const final = await inTx(db, async (trx) => {
    const r = await trx.updateTable('collection_runs').set({ status, finished_at: new Date(), error: error ?? null }).where('id', '=', runId)
      .returning(['total', 'ok', 'failed', 'kind', 'scope', 'data_day']).executeTakeFirstOrThrow();
    await writeAudit(trx, actor, {
      action: r.kind === 'on_demand' ? 'collection.on_demand_read' : 'collection.run', entityType: 'collection_run', entityId: runId,
      after: { status, scope: r.scope, dataDay, total: r.total, ok: r.ok, failed: r.failed, polled: okN + failedN, readings, dailyFrozen, ...(error ? { error } : {}) },
    });
    return r;
  });
  const seconds = Math.round((performance.now() - t0) / 10) / 100;
  return {
    runId, status, total: final.total, ok: final.ok, failed: final.failed, polled: okN + failedN,
    successRate: final.ok + final.failed ? Math.round((final.ok / (final.ok + final.failed)) * 10000) / 100 : 0,
    readings, dailyFrozen, seconds, timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])) as typeof timings, ...(error ? { error } : {}),
  };
}

/** Create a run, poll and store; resolves when the run ends. */
export async function runCollection(db: Db, actor: Actor, o: CollectionOptions = {}): Promise<RunSummary> {
  const s = await startCollection(db, actor, o);
  return s.execute();
}

// ---- on-demand read (招测) ---------------------------------------------------------------------

export interface OnDemandResult {
  runId: number;
  meterId: number;
  accountId: number;
  ok: boolean;
  reason: string | null;
  reasonText: { zh: string; en: string } | null;
  readAt: string;
  registers: Record<string, string>;
  dailyFrozen: Record<string, string> | null;
  readings: Array<Omit<RowOutcome, 'ref'>>;
}

/**
 * 招测: read one meter now (short timeout), store the reading through VEE (source headend) and
 * return the values and the VEE outcome per register. Give a meter id, or an account id with
 * one installed meter.
 */
export async function onDemandRead(db: Db, actor: Actor, target: { meterId?: number; accountId?: number }, o: Pick<CollectionOptions, 'endpoint' | 'timeoutMs' | 'retries' | 'now' | 'dataDay'> = {}): Promise<OnDemandResult> {
  requirePermission(actor, 'collection.run');
  let q = db.kysely.selectFrom('meter_installations as mi').innerJoin('accounts as a', 'a.id', 'mi.account_id').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
    .select(['mi.meter_id', 'mi.account_id', 'o.path']).where('mi.removed_on', 'is', null);
  if (target.meterId !== undefined) q = q.where('mi.meter_id', '=', target.meterId);
  else if (target.accountId !== undefined) q = q.where('mi.account_id', '=', target.accountId);
  else throw new ValidationError('meterId', 'give meterId or accountId');
  const found = await q.execute();
  if (!found.length) throw target.meterId !== undefined ? notFound('installed meter', target.meterId) : notFound('account with an installed meter', target.accountId!);
  if (found.length > 1) throw new ValidationError('meterId', 'the account has several meters; give meterId');
  requireScope(actor, found[0].path, 'account');
  const meterId = Number(found[0].meter_id);
  let stored: MeterStored | null = null;
  const s = await startCollection(db, actor, { meterIds: [meterId], kind: 'on_demand', concurrency: 1, timeoutMs: o.timeoutMs ?? 2000, retries: o.retries ?? 1, backoffMs: 50, endpoint: o.endpoint, now: o.now, dataDay: o.dataDay, batchSize: 1 });
  const sum = await s.execute((x) => (stored = x));
  const m = stored as MeterStored | null;
  if (!m) throw new AppError('CONFLICT', `the meter was not read (${sum.error ?? sum.status})`, { runId: sum.runId });
  const res = await db.kysely.selectFrom('collection_results').select(['read_at']).where('run_id', '=', s.runId).where('meter_id', '=', meterId).executeTakeFirst();
  return {
    runId: s.runId, meterId, accountId: m.accountId, ok: m.ok, reason: m.reason, reasonText: reasonText(m.reason),
    readAt: new Date(res?.read_at ?? Date.now()).toISOString(), registers: m.registers, dailyFrozen: m.dailyFrozen,
    readings: m.outcomes.map(({ ref, ...x }) => x),
  };
}

// ---- statistics -------------------------------------------------------------------------------

function runOut(r: any) {
  const scope = typeof r.scope === 'string' ? JSON.parse(r.scope) : r.scope;
  const done = Number(r.ok) + Number(r.failed);
  return {
    id: Number(r.id), kind: r.kind, scope, dataDay: typeof r.data_day === 'string' ? r.data_day : shanghaiDay(new Date(r.data_day)), status: r.status,
    startedAt: new Date(r.started_at).toISOString(), finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
    startedBy: r.started_by === null ? null : Number(r.started_by), startedByName: r.started_by_name ?? null,
    total: Number(r.total), ok: Number(r.ok), failed: Number(r.failed), done,
    successRate: done ? Math.round((Number(r.ok) / done) * 10000) / 100 : null, error: r.error,
  };
}

/** Runs visible to the actor: started inside their scope, or whose scope contains theirs. */
export async function listRuns(db: Db, actor: Actor, f: { kind?: 'scheduled' | 'on_demand'; status?: string; page: number; pageSize: number }) {
  requirePermission(actor, 'reading.read');
  let q = db.kysely.selectFrom('collection_runs as r').leftJoin('users as u', 'u.id', 'r.started_by')
    .where((eb) => eb.or([sql<boolean>`r.org_path like ${actor.orgPath + '%'}`, sql<boolean>`${actor.orgPath} like r.org_path || '%'`]));
  if (f.kind) q = q.where('r.kind', '=', f.kind);
  if (f.status) q = q.where('r.status', '=', f.status as never);
  const total = Number((await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const rows = await q.selectAll('r').select('u.display_name as started_by_name').orderBy('r.id', 'desc').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  return { items: rows.map(runOut), total, page: f.page, pageSize: f.pageSize };
}

/**
 * 采集成功率 per route for one run (`runId`) or one data day (`day`: the latest result per meter
 * over that day's runs), limited to the actor's data scope, with the failed meters and reasons
 * (paged) and a count per reason.
 */
export async function collectionStats(db: Db, actor: Actor, f: { runId?: number; day?: string; routeId?: number; page?: number; pageSize?: number }) {
  requirePermission(actor, 'reading.read');
  const page = f.page ?? 1;
  const pageSize = f.pageSize ?? 50;
  let run: ReturnType<typeof runOut> | null = null;
  let base;
  if (f.runId !== undefined) {
    const r = await db.kysely.selectFrom('collection_runs as r').leftJoin('users as u', 'u.id', 'r.started_by').selectAll('r').select('u.display_name as started_by_name')
      .where('r.id', '=', f.runId).executeTakeFirst();
    if (!r) throw notFound('collection run', f.runId);
    if (!inScope(actor, r.org_path) && !actor.orgPath.startsWith(r.org_path)) throw new AppError('OUT_OF_SCOPE', 'the run is outside your data scope', { scope: actor.orgPath });
    run = runOut(r);
    base = sql`select cr.* from collection_results cr where cr.run_id = ${f.runId}`;
  } else if (f.day !== undefined) {
    if (!DAY_RE.test(f.day)) throw new ValidationError('day', 'must be a date YYYY-MM-DD');
    base = sql`select distinct on (cr.meter_id) cr.* from collection_results cr join collection_runs r on r.id = cr.run_id
      where r.data_day = ${f.day}::date order by cr.meter_id, cr.read_at desc`;
  } else throw new ValidationError('runId', 'give runId or day');
  const scoped = sql`select b.*, a.account_no, a.name as account_name, o.path from (${base}) b
    join accounts a on a.id = b.account_id join org_units o on o.id = a.org_unit_id
    where o.path like ${actor.orgPath + '%'} ${f.routeId !== undefined ? sql`and b.route_id = ${f.routeId}` : sql``}`;
  const routes = await sql<any>`select s.route_id, rr.code, rr.name, count(*)::int as meters, count(*) filter (where s.ok)::int as ok,
      count(*) filter (where not s.ok)::int as failed
    from (${scoped}) s left join reading_routes rr on rr.id = s.route_id
    group by s.route_id, rr.code, rr.name order by rr.code nulls last`.execute(db.kysely);
  const reasons = await sql<any>`select case when s.reason like 'ERROR_REPLY:%' then s.reason else split_part(s.reason, ':', 1) end as reason, count(*)::int as n
    from (${scoped}) s where not s.ok group by 1 order by 2 desc`.execute(db.kysely);
  const failedTotal = routes.rows.reduce((x: number, r: any) => x + r.failed, 0);
  const failures = await sql<any>`select s.meter_id, m.asset_no, m.comm_address, s.account_id, s.account_no, s.account_name, s.route_id, rr.code as route_code,
      s.reason, s.attempts, s.ms, s.read_at, s.run_id, c.code as concentrator_code
    from (${scoped}) s join meters m on m.id = s.meter_id left join reading_routes rr on rr.id = s.route_id left join concentrators c on c.id = m.concentrator_id
    where not s.ok order by rr.code nulls last, s.meter_id limit ${pageSize} offset ${(page - 1) * pageSize}`.execute(db.kysely);
  const totals = routes.rows.reduce((t: any, r: any) => ({ meters: t.meters + r.meters, ok: t.ok + r.ok, failed: t.failed + r.failed }), { meters: 0, ok: 0, failed: 0 });
  const rate = (ok: number, n: number) => (n ? Math.round((ok / n) * 10000) / 100 : null);
  return {
    run, day: f.day ?? run?.dataDay ?? null,
    totals: { ...totals, successRate: rate(totals.ok, totals.meters) },
    routes: routes.rows.map((r: any) => ({ routeId: r.route_id === null ? null : Number(r.route_id), code: r.code, name: r.name, meters: r.meters, ok: r.ok, failed: r.failed, successRate: rate(r.ok, r.meters) })),
    reasons: reasons.rows.map((r: any) => ({ reason: r.reason, count: r.n, text: reasonText(r.reason) })),
    failures: {
      items: failures.rows.map((r: any) => ({
        meterId: Number(r.meter_id), assetNo: r.asset_no, commAddress: r.comm_address, accountId: Number(r.account_id), accountNo: r.account_no, accountName: r.account_name,
        routeId: r.route_id === null ? null : Number(r.route_id), routeCode: r.route_code, concentratorCode: r.concentrator_code, reason: r.reason, reasonText: reasonText(r.reason),
        attempts: r.attempts, ms: Number(r.ms), readAt: new Date(r.read_at).toISOString(), runId: Number(r.run_id),
      })),
      total: failedTotal, page, pageSize,
    },
  };
}

/** Collection history of one meter (latest first): what the head-end read and why it failed. */
export async function meterCollectionHistory(db: Db, actor: Actor, meterId: number, limit = 20) {
  requirePermission(actor, 'reading.read');
  const rows = await db.kysely.selectFrom('collection_results as cr').innerJoin('accounts as a', 'a.id', 'cr.account_id').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
    .innerJoin('collection_runs as r', 'r.id', 'cr.run_id')
    .select(['cr.run_id', 'r.kind', 'cr.ok', 'cr.reason', 'cr.attempts', 'cr.ms', 'cr.values', 'cr.read_at', 'o.path'])
    .where('cr.meter_id', '=', meterId).orderBy('cr.read_at', 'desc').limit(Math.min(100, limit)).execute();
  const visible = rows.filter((r) => inScope(actor, r.path));
  if (rows.length && !visible.length) throw new AppError('OUT_OF_SCOPE', 'meter is outside your data scope', { scope: actor.orgPath });
  return visible.map((r) => ({ runId: Number(r.run_id), kind: r.kind, ok: r.ok, reason: r.reason, reasonText: reasonText(r.reason), attempts: r.attempts, ms: Number(r.ms), values: r.values, readAt: new Date(r.read_at).toISOString() }));
}
