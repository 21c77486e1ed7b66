/**
 * Reading ingestion: phone submits (offline sync, de-duplicated by client id), CSV imports
 * (per-row report, bulk COPY), and the per-account history. Every reading runs through VEE
 * (src/domain/metering); rows with an error are refused, the rest are stored as accepted or
 * pending_review with their rule results.
 */
import { sql } from 'kysely';
import { copyText, type CopyFn, type Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import {
  checkReading, checkRegisterSum, consumption, DEFAULT_RULE_SET, EXCEPTION_CODES, fromScaled, toScaled,
  type RuleResult, type VeeRuleSet,
} from '../../domain/metering/vee.js';
import { inScope, inTx, requirePermission, requireScope, type Actor, type Q } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { accountOrgPath } from '../archive/accounts.js';
import { Baselines, shanghaiDay } from './baseline.js';
import { getActiveRuleSet } from './rule-sets.js';

export type Source = 'manual' | 'phone' | 'import' | 'headend';

/** One register reading to ingest. */
export interface RowInput {
  /** caller's row reference (CSV line number, item index) */
  ref: number;
  /** rows of one visit share a key (sum check across registers) */
  visit: string;
  accountId?: number;
  accountNo?: string;
  meterId?: number;
  meterAssetNo?: string;
  register: string;
  readAt: string;
  value: unknown;
  exceptionCode?: string | null;
  clientId?: string | null;
  photoRef?: string | null;
  gpsLat?: number | null;
  gpsLon?: number | null;
  billingPeriod?: string | null;
}

export interface RowOutcome {
  ref: number;
  register: string;
  status: 'accepted' | 'pending_review' | 'rejected';
  /** set when the row was already stored (same client id, or same meter/register/time) */
  duplicate?: boolean;
  readingId?: number;
  accountId?: number;
  meterId?: number;
  readAt?: string;
  value?: string | null;
  consumption?: string | null;
  reason?: string;
  message?: { zh: string; en: string };
  ruleResults: RuleResult[];
}

interface Target {
  account_id: number; account_no: string; account_status: string; org_path: string; contract_demand_kw: string | null;
  metering_point_id: number; meter_id: number; asset_no: string; digits: number; decimals: number; multiplier: string; registers: string[];
  installed_on: string; removed_on: string | null;
}

const reject = (o: Omit<RowOutcome, 'status' | 'ruleResults'> & { reason: string; zh: string; en: string }): RowOutcome => {
  const { zh, en, ...rest } = o;
  return { ...rest, status: 'rejected', message: { zh, en }, ruleResults: [] };
};

/** ISO 8601 with offset, or 'YYYY-MM-DD[ T]HH:mm[:ss]' / 'YYYY-MM-DD' read as Asia/Shanghai. */
export function parseReadAt(s: unknown): Date | null {
  if (typeof s !== 'string') return null;
  const t = s.trim();
  let iso: string;
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) iso = `${t}T00:00:00+08:00`;
  else if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(t)) iso = t.replace(' ', 'T') + (t.length === 16 ? ':00' : '') + '+08:00';
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/.test(t)) iso = t;
  else return null;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  // refuse calendar overflow such as 2026-02-30
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(t)![1];
  if (!/[Zz]|[+-]\d{2}:?\d{2}$/.test(t) || t.endsWith('+08:00')) {
    if (shanghaiDay(d) !== m) return null;
  }
  return d;
}

async function resolveTargets(q: Q, rows: RowInput[]): Promise<Target[]> {
  const accountIds = [...new Set(rows.map((r) => r.accountId).filter((x): x is number => Number.isInteger(x)))];
  const accountNos = [...new Set(rows.map((r) => r.accountNo).filter((x): x is string => typeof x === 'string' && x !== ''))];
  const meterIds = [...new Set(rows.map((r) => r.meterId).filter((x): x is number => Number.isInteger(x)))];
  const assetNos = [...new Set(rows.map((r) => r.meterAssetNo).filter((x): x is string => typeof x === 'string' && x !== ''))];
  if (!accountIds.length && !accountNos.length && !meterIds.length && !assetNos.length) return [];
  return (await q.selectFrom('meter_installations as mi')
    .innerJoin('meters as m', 'm.id', 'mi.meter_id')
    .innerJoin('accounts as a', 'a.id', 'mi.account_id')
    .innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
    .select(['mi.account_id', 'a.account_no', 'a.status as account_status', 'o.path as org_path', 'a.contract_demand_kw', 'mi.metering_point_id', 'mi.meter_id',
      'm.asset_no', 'm.digits', 'm.decimals', 'm.multiplier', 'm.registers', 'mi.installed_on', 'mi.removed_on'])
    .where((eb) => eb.or([
      ...(accountIds.length ? [sql<boolean>`mi.account_id = any(${accountIds}::int8[])`] : []),
      ...(accountNos.length ? [sql<boolean>`a.account_no = any(${accountNos}::text[])`] : []),
      ...(meterIds.length ? [sql<boolean>`mi.meter_id = any(${meterIds}::int8[])`] : []),
      ...(assetNos.length ? [sql<boolean>`m.asset_no = any(${assetNos}::text[])`] : []),
    ]))
    .orderBy('mi.installed_on').execute()) as Target[];
}

/** installations indexed by every way a row may name them */
function indexTargets(targets: Target[]) {
  const idx = new Map<string, Target[]>();
  const put = (k: string, t: Target) => {
    const l = idx.get(k);
    if (l) l.push(t);
    else idx.set(k, [t]);
  };
  for (const t of targets) {
    put(`a:${t.account_id}`, t);
    put(`n:${t.account_no}`, t);
    put(`m:${t.meter_id}`, t);
    put(`s:${t.asset_no}`, t);
  }
  return (r: RowInput): Target[] =>
    idx.get(r.meterId !== undefined ? `m:${r.meterId}` : r.meterAssetNo ? `s:${r.meterAssetNo}` : r.accountId !== undefined ? `a:${r.accountId}` : `n:${r.accountNo}`) ?? [];
}

function pickTarget(targets: Target[], r: RowInput, day: string): Target | { reason: string; zh: string; en: string } {
  let cands = targets.filter((t) =>
    (r.accountId === undefined || t.account_id === r.accountId) && (r.accountNo === undefined || r.accountNo === '' || t.account_no === r.accountNo) &&
    (r.meterId === undefined || t.meter_id === r.meterId) && (r.meterAssetNo === undefined || r.meterAssetNo === '' || t.asset_no === r.meterAssetNo));
  if (!cands.length) return { reason: 'UNKNOWN_METER', zh: '找不到户号/表计 (或二者不匹配)', en: 'unknown account or meter (or they do not match)' };
  const inForce = cands.filter((t) => t.installed_on <= day && (t.removed_on === null || day < t.removed_on));
  if (inForce.length) cands = inForce;
  else {
    const open = cands.filter((t) => t.removed_on === null);
    if (!open.length) return { reason: 'METER_NOT_INSTALLED', zh: '该时间表计未在装', en: 'the meter was not installed at that time' };
    if (open.every((t) => day < t.installed_on)) return { reason: 'BEFORE_INSTALLATION', zh: '抄表时间早于装表日期', en: 'reading time is before the meter was installed' };
    cands = open;
  }
  const meters = new Set(cands.map((t) => t.meter_id));
  if (meters.size > 1) return { reason: 'AMBIGUOUS_METER', zh: '该户有多块表, 请填写表计资产号', en: 'the account has several meters; give meterAssetNo' };
  return cands[cands.length - 1];
}

/** a resolved row: its instant, that instant as ISO text and its Asia/Shanghai day (each computed once) */
interface Prepared { row: RowInput; at: Date; iso: string; day: string; t: Target }

export interface IngestResult {
  outcomes: RowOutcome[];
  /** readings to insert (status accepted / pending_review), aligned with `pending` outcomes */
  inserts: Array<Record<string, unknown>>;
  insertOutcomes: RowOutcome[];
}

/**
 * Resolve, de-duplicate and validate rows. Nothing is written. `scope`: 'throw' refuses the
 * request when any row is outside the actor's data scope; 'row' rejects just that row.
 */
export async function prepareRows(q: Q, actor: Actor, rows: RowInput[], opts: { source: Source; scope: 'throw' | 'row'; now: Date; rules?: VeeRuleSet }): Promise<IngestResult> {
  // the rule set in force (vee_rule_sets), read in the caller's transaction
  const rules = opts.rules ?? (await getActiveRuleSet(q));
  const outcomes: RowOutcome[] = new Array(rows.length);
  const lookup = indexTargets(await resolveTargets(q, rows));
  const prepared: Array<Prepared & { i: number }> = [];
  rows.forEach((r, i) => {
    const at = parseReadAt(r.readAt);
    if (!at) {
      outcomes[i] = reject({ ref: r.ref, register: r.register, reason: 'BAD_TIMESTAMP', zh: '抄表时间格式错误 (ISO 8601, 如 2026-11-25T09:30:00+08:00)', en: 'readAt must be ISO 8601, e.g. 2026-11-25T09:30:00+08:00' });
      return;
    }
    const day = shanghaiDay(at);
    const t = pickTarget(lookup(r), r, day);
    if ('reason' in t) {
      outcomes[i] = reject({ ref: r.ref, register: r.register, readAt: at.toISOString(), ...t });
      return;
    }
    if (!inScope(actor, t.org_path)) {
      if (opts.scope === 'throw') throw new AppError('OUT_OF_SCOPE', `account ${t.account_no} is outside your data scope`, { scope: actor.orgPath, field: `items.${r.ref}` });
      outcomes[i] = reject({ ref: r.ref, register: r.register, reason: 'OUT_OF_SCOPE', zh: '该户不在您的数据权限范围内', en: 'the account is outside your data scope' });
      return;
    }
    if (t.account_status === 'closed') {
      outcomes[i] = reject({ ref: r.ref, register: r.register, accountId: t.account_id, reason: 'ACCOUNT_CLOSED', zh: '该户已销户', en: 'the account is closed' });
      return;
    }
    if (!t.registers.includes(r.register)) {
      outcomes[i] = reject({ ref: r.ref, register: r.register, accountId: t.account_id, meterId: t.meter_id, reason: 'REGISTER_NOT_ON_METER', zh: `表计无此示数类型 ${r.register}`, en: `the meter has no register ${r.register} (has ${t.registers.join(', ')})` });
      return;
    }
    if (r.billingPeriod != null && !/^\d{4}-(0[1-9]|1[0-2])$/.test(r.billingPeriod)) {
      outcomes[i] = reject({ ref: r.ref, register: r.register, reason: 'BAD_PERIOD', zh: '账期格式应为 YYYY-MM', en: 'billingPeriod must be YYYY-MM' });
      return;
    }
    prepared.push({ row: r, at, iso: at.toISOString(), day, t, i });
  });

  // offline sync: a visit already stored under its client id returns what was stored
  const withClient = prepared.filter((p) => p.row.clientId);
  const byClient = new Map<string, any>();
  if (withClient.length) {
    const found = await q.selectFrom('register_readings').select(['id', 'account_id', 'meter_id', 'client_id', 'register', 'status', 'value', 'consumption', 'read_at', 'rule_results'])
      .where(sql<boolean>`account_id = any(${[...new Set(withClient.map((p) => p.t.account_id))]}::int8[])`)
      .where(sql<boolean>`client_id = any(${[...new Set(withClient.map((p) => p.row.clientId!))]}::uuid[])`).execute();
    for (const f of found) byClient.set(`${f.account_id}:${f.client_id}:${f.register}`, f);
  }
  // same meter, register and time already stored
  const existing = new Set<string>();
  if (prepared.length) {
    for (let k = 0; k < prepared.length; k += 5000) {
      const part = prepared.slice(k, k + 5000);
      const { rows: ex } = await sql<{ meter_id: number; register: string; read_at: Date }>`
        select k.meter_id, k.register, k.read_at
          from unnest(${part.map((p) => p.t.account_id)}::int8[], ${part.map((p) => p.t.metering_point_id)}::int8[], ${part.map((p) => p.t.meter_id)}::int8[], ${part.map((p) => p.row.register)}::text[], ${part.map((p) => p.iso)}::timestamptz[])
            as k(account_id, metering_point_id, meter_id, register, read_at)
         cross join lateral (
           -- one probe of register_readings_key per row: a join or EXISTS was planned as a hash
           -- join over a scan of the whole table (LIMIT keeps the subquery a per-row probe)
           select 1 from register_readings r
            where r.account_id = k.account_id and r.metering_point_id = k.metering_point_id and r.register = k.register and r.read_at = k.read_at and r.meter_id = k.meter_id
            limit 1) hit`.execute(q);
      for (const e of ex) existing.add(`${e.meter_id}:${e.register}:${new Date(e.read_at).toISOString()}`);
    }
  }

  const base = await Baselines.load(q, prepared.map((p) => p.t.metering_point_id));
  const seen = new Set<string>();
  const inserts: Array<Record<string, unknown>> = [];
  const insertOutcomes: RowOutcome[] = [];
  const visits = new Map<string, Array<{ out: RowOutcome; advance: string | null; ins: Record<string, unknown> }>>();
  // chronological per metering point so that rows of one batch chain
  prepared.sort((a, b) => a.at.getTime() - b.at.getTime() || a.i - b.i);
  let tmpId = -1;
  // the outcome's identifying fields, built only for the rows that are not stored
  const ident = (p: Prepared) => ({ ref: p.row.ref, register: p.row.register, accountId: p.t.account_id, meterId: p.t.meter_id, readAt: p.iso });
  for (const p of prepared) {
    const { row: r, at, iso, t } = p;
    const stored = r.clientId ? byClient.get(`${t.account_id}:${r.clientId}:${r.register}`) : undefined;
    if (stored) {
      outcomes[p.i] = { ...ident(p), status: stored.status === 'pending_review' ? 'pending_review' : stored.status === 'rejected' ? 'rejected' : 'accepted', duplicate: true, readingId: stored.id, value: stored.value, consumption: stored.consumption, ruleResults: stored.rule_results as RuleResult[] };
      continue;
    }
    const key = `${t.meter_id}:${r.register}:${iso}`;
    if (existing.has(key) || seen.has(key)) {
      outcomes[p.i] = reject({ ...ident(p), duplicate: true, reason: 'DUPLICATE', zh: '该表计该示数类型在此时间已有读数', en: 'a reading for this meter, register and time already exists' });
      continue;
    }
    const prev = base.previous(t.metering_point_id, t.meter_id, r.register, at);
    let exchangeKwh: string | null = null;
    if (prev.exchange) {
      const c = consumption(prev.exchange.from, prev.exchange.final, prev.exchange.multiplier, prev.exchange.digits);
      exchangeKwh = c ? c.kwh : null;
    }
    const chk = checkReading({
      register: r.register, value: r.value, readAt: at, now: opts.now, meter: t, exceptionCode: r.exceptionCode ?? null,
      previous: prev.previous, exchangeKwh, history: prev.history, contractDemandKw: t.contract_demand_kw,
    }, rules);
    if (prev.previousEstimated && chk.value !== null && chk.status !== 'rejected') {
      // §5.3: the estimate is settled by this actual reading
      chk.results.push({ rule: 'SETTLES_ESTIMATE', severity: 'info', zh: '上次为估算示数, 本次实抄结清差额', en: 'the previous reading was estimated; this actual reading settles the difference' });
      chk.flags.push('SETTLES_ESTIMATE');
    }
    if (chk.status === 'rejected') {
      const err = chk.results.find((x) => x.severity === 'error')!;
      outcomes[p.i] = { ...ident(p), status: 'rejected', reason: err.rule, message: { zh: err.zh, en: err.en }, value: chk.value, ruleResults: chk.results };
      continue;
    }
    seen.add(key);
    const out: RowOutcome = { ref: r.ref, register: r.register, accountId: t.account_id, meterId: t.meter_id, readAt: iso, status: chk.status, value: chk.value, consumption: chk.kwh, ruleResults: chk.results };
    outcomes[p.i] = out;
    const ins: Record<string, unknown> = {
      account_id: t.account_id, meter_id: t.meter_id, metering_point_id: t.metering_point_id, register: r.register, read_at: at,
      billing_period: r.billingPeriod ?? p.day.slice(0, 7), value: chk.value, consumption: chk.kwh, source: opts.source,
      quality_flags: chk.flags, exception_code: r.exceptionCode ?? null, status: chk.status, rule_results: chk.results, rule_set_version: chk.ruleSetVersion,
      client_id: r.clientId ?? null, photo_ref: r.photoRef ?? null, gps_lat: r.gpsLat ?? null, gps_lon: r.gpsLon ?? null, entered_by: actor.userId,
    };
    inserts.push(ins);
    insertOutcomes.push(out);
    if (chk.status === 'accepted' && chk.value !== null) {
      base.add({ id: tmpId--, meter_id: t.meter_id, metering_point_id: t.metering_point_id, register: r.register, read_at: at, value: chk.value, consumption: chk.kwh, status: 'accepted' });
    }
    const vk = `${r.visit}:${t.meter_id}:${iso}`;
    const v = visits.get(vk) ?? [];
    v.push({ out, advance: chk.consumption && !exchangeKwh ? chk.consumption.advance : null, ins });
    visits.set(vk, v);
  }
  // 尖峰平谷 vs 总 per visit
  for (const v of visits.values()) {
    if (v.length < 2) continue;
    const adv: Record<string, string> = {};
    for (const x of v) if (x.advance !== null) adv[x.out.register] = x.advance;
    const res = checkRegisterSum(adv, rules);
    const total = v.find((x) => x.out.register === 'TOTAL');
    if (res && total) {
      total.out.ruleResults = [...total.out.ruleResults, res];
      total.out.status = 'pending_review';
      total.ins.rule_results = total.out.ruleResults;
      total.ins.status = 'pending_review';
      total.ins.quality_flags = [...(total.ins.quality_flags as string[]), res.rule];
    }
  }
  return { outcomes, inserts, insertOutcomes };
}

const INSERT_COLUMNS = ['account_id', 'meter_id', 'metering_point_id', 'register', 'read_at', 'billing_period', 'value', 'consumption', 'source', 'quality_flags',
  'exception_code', 'status', 'rule_results', 'rule_set_version', 'client_id', 'photo_ref', 'gps_lat', 'gps_lon', 'entered_by'] as const;

function pgArray(a: string[]): string {
  return '{' + a.map((x) => '"' + x.replace(/["\\]/g, '\\$&') + '"').join(',') + '}';
}

/** Insert prepared rows (multi-row INSERT, duplicates skipped); fills readingId; returns rows stored. */
async function insertRows(q: Q, prep: IngestResult): Promise<number> {
  let n = 0;
  for (let k = 0; k < prep.inserts.length; k += 500) {
    const chunk = prep.inserts.slice(k, k + 500);
    const got = await q.insertInto('register_readings')
      .values(chunk.map((c) => ({ ...c, rule_results: JSON.stringify(c.rule_results), quality_flags: c.quality_flags })) as never)
      .onConflict((oc) => oc.doNothing())
      .returning(['id', 'meter_id', 'register', 'read_at']).execute();
    const ids = new Map(got.map((g) => [`${g.meter_id}:${g.register}:${new Date(g.read_at).toISOString()}`, g.id]));
    chunk.forEach((c, j) => {
      const o = prep.insertOutcomes[k + j];
      const id = ids.get(`${c.meter_id}:${c.register}:${(c.read_at as Date).toISOString()}`);
      if (id !== undefined) o.readingId = id;
      else Object.assign(o, { status: 'rejected', duplicate: true, reason: 'DUPLICATE', message: { zh: '该表计该示数类型在此时间已有读数', en: 'a reading for this meter, register and time already exists' } });
    });
    n += got.length;
  }
  return n;
}

/**
 * Mark the period's tasks of the visited meters read (or exception): one set-based UPDATE per
 * 5,000 tasks (it was one statement per task: 6,826 round trips for a 20,000-row import).
 */
async function updateTasks(q: Q, prep: IngestResult, now = new Date()) {
  const done = new Map<string, { account_id: number; meter_id: number; period: string; exc: string | null; at: Date }>();
  for (const c of prep.inserts) {
    const k = `${c.account_id}:${c.meter_id}:${c.billing_period}`;
    const prev = done.get(k);
    done.set(k, { account_id: c.account_id as number, meter_id: c.meter_id as number, period: c.billing_period as string, exc: (c.exception_code as string) ?? prev?.exc ?? null, at: c.read_at as Date });
  }
  const all = [...done.values()];
  for (let k = 0; k < all.length; k += 5000) {
    const part = all.slice(k, k + 5000);
    await sql`
      update reading_tasks t
         set status = case when d.exc is null then 'read' else 'exception' end, exception_code = d.exc, read_at = d.at, updated_at = ${now}
        from unnest(${part.map((d) => d.account_id)}::int8[], ${part.map((d) => d.meter_id)}::int8[], ${part.map((d) => d.period)}::text[],
                    ${part.map((d) => d.exc)}::text[], ${part.map((d) => d.at.toISOString())}::timestamptz[]) as d(account_id, meter_id, period, exc, at)
       where t.account_id = d.account_id and t.meter_id = d.meter_id and t.billing_period = d.period and t.status <> 'skipped'`.execute(q);
  }
}

/**
 * Ids for `n` new register readings, drawn from the table's identity sequence, so that a bulk
 * COPY (which returns nothing) can carry them and the report has every reading's id without a
 * lookup afterwards. Ids drawn for a COPY that is then rolled back are simply skipped.
 */
async function drawReadingIds(q: Q, n: number): Promise<number[]> {
  if (n <= 0) return [];
  const { rows } = await sql<{ ids: string[] }>`
    with s as materialized (select pg_get_serial_sequence('register_readings', 'id')::regclass as seq)
    select array(select nextval(s.seq) from s, generate_series(1, ${n}::int)) as ids`.execute(q);
  return rows[0].ids.map(Number);
}

/**
 * COPY the prepared readings with ids drawn ahead (fills readingId of each stored outcome).
 * Throws what the COPY throws (e.g. a concurrent writer's duplicate); the caller rolls back to
 * its savepoint and uses `insertRows`, which then overwrites the readingIds.
 */
async function copyRows(q: Q, copy: CopyFn, prep: IngestResult): Promise<number> {
  const ids = await drawReadingIds(q, prep.inserts.length);
  const text: string[] = [];
  let buf = '';
  prep.inserts.forEach((c, j) => {
    buf += readingCopyLine(ids[j], c);
    if (buf.length > 1 << 20) {
      text.push(buf);
      buf = '';
    }
  });
  if (buf) text.push(buf);
  const n = await copy('register_readings', ['id', ...INSERT_COLUMNS], { text, rows: prep.inserts.length });
  prep.insertOutcomes.forEach((o, j) => (o.readingId = ids[j]));
  return n;
}

const copyOpt = (v: unknown): string => (v === null || v === undefined ? '\\N' : copyText(String(v)));

/**
 * One prepared reading as a COPY line for the columns `id, ...INSERT_COLUMNS` (in that order),
 * written field by field (the generic row encoder built an array per row and tested every field:
 * a third of an import's CPU).
 */
function readingCopyLine(id: number, c: Record<string, unknown>): string {
  const flags = c.quality_flags as string[];
  const results = c.rule_results as unknown[];
  return id + '\t' + Number(c.account_id) + '\t' + Number(c.meter_id) + '\t' + Number(c.metering_point_id) + '\t' + copyText(c.register as string) + '\t' +
    (c.read_at as Date).toISOString() + '\t' + copyText(c.billing_period as string) + '\t' + copyOpt(c.value) + '\t' + copyOpt(c.consumption) + '\t' +
    copyText(c.source as string) + '\t' + (flags.length ? copyText(pgArray(flags)) : '{}') + '\t' + copyOpt(c.exception_code) + '\t' + copyText(c.status as string) + '\t' +
    (results.length ? copyText(JSON.stringify(results)) : '[]') + '\t' + copyOpt(c.rule_set_version) + '\t' + copyOpt(c.client_id) + '\t' + copyOpt(c.photo_ref) + '\t' +
    copyOpt(c.gps_lat) + '\t' + copyOpt(c.gps_lon) + '\t' + copyOpt(c.entered_by) + '\n';
}

function summarise(outcomes: RowOutcome[]) {
  const s = { rows: outcomes.length, stored: 0, accepted: 0, pendingReview: 0, rejected: 0, duplicates: 0 };
  for (const o of outcomes) {
    if (o.duplicate) s.duplicates++;
    if (o.status === 'rejected') s.rejected++;
    else if (!o.duplicate) {
      s.stored++;
      if (o.status === 'accepted') s.accepted++;
      else s.pendingReview++;
    }
  }
  return s;
}

// ---- phone / desk submit ----------------------------------------------------------------------

export interface VisitInput {
  clientId?: string;
  accountId?: number;
  meterId?: number;
  meterAssetNo?: string;
  readAt: string;
  readings?: Record<string, unknown>;
  exceptionCode?: string | null;
  photoRef?: string | null;
  gps?: { lat: number; lon: number } | null;
  billingPeriod?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function submitReadings(db: Db, actor: Actor, input: { items: VisitInput[]; source?: 'phone' | 'manual' }, now = new Date()) {
  requirePermission(actor, 'reading.write');
  if (!Array.isArray(input.items) || input.items.length === 0) throw new ValidationError('items', 'at least one visit');
  if (input.items.length > 500) throw new ValidationError('items', 'at most 500 visits per request');
  const rows: RowInput[] = [];
  input.items.forEach((it, i) => {
    if (it.clientId !== undefined && !UUID.test(it.clientId)) throw new ValidationError(`items.${i}.clientId`, 'must be a UUID');
    if (it.accountId === undefined && it.meterId === undefined && !it.meterAssetNo) throw new ValidationError(`items.${i}.accountId`, 'give accountId, meterId or meterAssetNo');
    if (it.exceptionCode != null && !(it.exceptionCode in EXCEPTION_CODES)) throw new ValidationError(`items.${i}.exceptionCode`, `one of ${Object.keys(EXCEPTION_CODES).join(', ')}`);
    const regs = Object.entries(it.readings ?? {});
    if (!regs.length && !it.exceptionCode) throw new ValidationError(`items.${i}.readings`, 'give at least one register reading or an exception code');
    // an exception without values (门闭) is recorded on TOTAL
    const entries: Array<[string, unknown]> = regs.length ? regs : [['TOTAL', null]];
    for (const [register, value] of entries) {
      rows.push({
        ref: i, visit: `v${i}`, accountId: it.accountId, meterId: it.meterId, meterAssetNo: it.meterAssetNo, register, readAt: it.readAt, value,
        exceptionCode: it.exceptionCode ?? null, clientId: it.clientId ?? null, photoRef: it.photoRef ?? null, gpsLat: it.gps?.lat ?? null, gpsLon: it.gps?.lon ?? null, billingPeriod: it.billingPeriod ?? null,
      });
    }
  });
  const source = input.source ?? 'phone';
  return inTx(db, async (trx) => {
    const prep = await prepareRows(trx, actor, rows, { source, scope: 'throw', now });
    const stored = await insertRows(trx, prep);
    await updateTasks(trx, prep);
    const summary = summarise(prep.outcomes);
    if (stored > 0) {
      await writeAudit(trx, actor, {
        action: 'reading.submit', entityType: 'reading_batch', entityId: null,
        after: { source, visits: input.items.length, ...summary, readingIds: prep.insertOutcomes.map((o) => o.readingId).filter(Boolean).slice(0, 200) },
      });
    }
    const items = input.items.map((it, i) => {
      const rs = prep.outcomes.filter((o) => o.ref === i);
      return { index: i, clientId: it.clientId ?? null, duplicate: rs.length > 0 && rs.every((o) => o.duplicate), readings: rs.map(({ ref, ...o }) => o) };
    });
    return { summary, items };
  });
}

// ---- history ----------------------------------------------------------------------------------

export async function accountReadings(db: Db, actor: Actor, accountId: number, f: { register?: string; from?: string; to?: string; status?: string; page: number; pageSize: number }) {
  requirePermission(actor, 'reading.read');
  requireScope(actor, await accountOrgPath(db.kysely, accountId), 'account');
  let qb = db.kysely.selectFrom('register_readings as r').innerJoin('meters as m', 'm.id', 'r.meter_id').where('r.account_id', '=', accountId);
  if (f.register) qb = qb.where('r.register', '=', f.register);
  if (f.status) qb = qb.where('r.status', '=', f.status as never);
  if (f.from) {
    const d = parseReadAt(f.from);
    if (!d) throw new ValidationError('from', 'date or ISO timestamp');
    qb = qb.where('r.read_at', '>=', d);
  }
  if (f.to) {
    const d = parseReadAt(f.to);
    if (!d) throw new ValidationError('to', 'date or ISO timestamp');
    qb = qb.where('r.read_at', '<', d);
  }
  const rows = await qb.selectAll('r').select('m.asset_no').orderBy('r.read_at', 'desc').orderBy('r.register')
    .limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  return { items: rows.map(readingOut), page: f.page, pageSize: f.pageSize };
}

/**
 * Monthly usage of an account (用电量): per billing period the consumption of each register from
 * accepted and estimated readings (kWh, already × multiplier), the latest reading of the period,
 * and whether an estimate is in it. For the 360° view's usage chart (this year vs last year).
 */
export async function accountUsage(db: Db, actor: Actor, accountId: number, f: { months: number; to?: string }) {
  requirePermission(actor, 'reading.read');
  requireScope(actor, await accountOrgPath(db.kysely, accountId), 'account');
  if (f.to !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(f.to)) throw new ValidationError('to', 'must be YYYY-MM');
  const last = f.to ?? shanghaiDay(new Date()).slice(0, 7);
  const [y, m] = last.split('-').map(Number);
  const firstIndex = y * 12 + (m - 1) - (f.months - 1);
  const first = `${Math.floor(firstIndex / 12)}-${String((firstIndex % 12) + 1).padStart(2, '0')}`;
  const { rows } = await sql<{ billing_period: string; register: string; kwh: string | null; estimated: boolean; last_read_at: Date }>`
    select billing_period, register, sum(consumption)::numeric(18,4)::text as kwh, bool_or(status = 'estimated') as estimated, max(read_at) as last_read_at
    from register_readings
    where account_id = ${accountId} and status in ('accepted', 'estimated') and billing_period between ${first} and ${last}
    group by billing_period, register
    order by billing_period, register`.execute(db.kysely);
  const periods: string[] = [];
  for (let i = firstIndex; i <= y * 12 + (m - 1); i++) periods.push(`${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
  const by = new Map<string, { period: string; registers: Record<string, string | null>; estimated: boolean; lastReadAt: string | null }>();
  for (const p of periods) by.set(p, { period: p, registers: {}, estimated: false, lastReadAt: null });
  for (const r of rows) {
    const e = by.get(r.billing_period);
    if (!e) continue;
    e.registers[r.register] = r.kwh;
    e.estimated ||= r.estimated;
    const at = new Date(r.last_read_at).toISOString();
    if (!e.lastReadAt || at > e.lastReadAt) e.lastReadAt = at;
  }
  return { accountId, from: first, to: last, items: [...by.values()] };
}

export function readingOut(r: any) {
  return {
    id: r.id, accountId: r.account_id, meterId: r.meter_id, meterAssetNo: r.asset_no, meteringPointId: r.metering_point_id, register: r.register,
    readAt: new Date(r.read_at).toISOString(), billingPeriod: r.billing_period, value: r.value, consumption: r.consumption, source: r.source,
    qualityFlags: r.quality_flags, exceptionCode: r.exception_code, status: r.status, ruleResults: r.rule_results, ruleSetVersion: r.rule_set_version,
    clientId: r.client_id, photoRef: r.photo_ref, gps: r.gps_lat !== null && r.gps_lon !== null ? { lat: Number(r.gps_lat), lon: Number(r.gps_lon) } : null,
    enteredBy: r.entered_by, originalValue: r.original_value, reviewReason: r.review_reason, reviewedBy: r.reviewed_by,
    reviewedAt: r.reviewed_at ? new Date(r.reviewed_at).toISOString() : null,
    ...(r.account_no !== undefined ? { accountNo: r.account_no, accountName: r.account_name } : {}),
  };
}

export { insertRows, copyRows, updateTasks, summarise, INSERT_COLUMNS, pgArray, fromScaled, toScaled };
