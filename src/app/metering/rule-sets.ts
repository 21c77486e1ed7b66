/**
 * VEE rule sets as data (抄表校核规则版本): the thresholds used by src/domain/metering/vee.ts live
 * in vee_rule_sets, versioned draft -> active -> retired, at most one active. The reading
 * pipeline validates with `getActiveRuleSet(db)` and records its version on every reading.
 *
 * Cache: the active set is cached per Db handle for CACHE_TTL_MS and dropped at once when this
 * process activates a version; another process (a second API node) sees a new version within
 * the TTL. Example: `const rules = await getActiveRuleSet(db); checkReading(input, rules)`.
 */
import { sql } from 'kysely';
import '../../db/schema-vee.js';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError, notFound } from '../../domain/errors.js';
import { DEFAULT_RULE_SET, type VeeRuleSet } from '../../domain/metering/vee.js';
import { inTx, requirePermission, type Actor, type Q } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';

/** the thresholds of vee.ts plus the missing-reading grace (days after the due date) */
export interface RuleSetParams extends Omit<VeeRuleSet, 'version'> {
  missingGraceDays: number;
}
export type ActiveRuleSet = VeeRuleSet & { missingGraceDays: number };

export interface ParamSpec {
  key: keyof RuleSetParams;
  type: 'number' | 'integer';
  min: number;
  /** true: the value must be strictly greater than min */
  minExclusive?: boolean;
  max: number;
  unit?: string;
}

/** Every threshold with its allowed range; the API serves this list so the UI validates alike. */
export const PARAM_SPECS: readonly ParamSpec[] = [
  { key: 'spikeRatio', type: 'number', min: 0, minExclusive: true, max: 10, unit: 'ratio' },
  { key: 'dropRatio', type: 'number', min: 0, minExclusive: true, max: 1, unit: 'ratio' },
  { key: 'minHistoryDailyKwh', type: 'number', min: 0, max: 100_000, unit: 'kWh/day' },
  { key: 'zeroLoadDailyKwh', type: 'number', min: 0, max: 100_000, unit: 'kWh/day' },
  { key: 'rolloverMaxFraction', type: 'number', min: 0, minExclusive: true, max: 0.5, unit: 'ratio' },
  { key: 'sumToleranceAbs', type: 'number', min: 0, max: 1000, unit: 'register units' },
  { key: 'sumToleranceRel', type: 'number', min: 0, max: 0.5, unit: 'ratio' },
  { key: 'demandTolerance', type: 'number', min: 0, max: 1, unit: 'ratio' },
  { key: 'futureSkewMinutes', type: 'integer', min: 0, max: 1440, unit: 'min' },
  { key: 'missingGraceDays', type: 'integer', min: 0, max: 60, unit: 'days' },
];

export const DEFAULT_PARAMS: RuleSetParams = (() => {
  const { version: _v, ...rest } = DEFAULT_RULE_SET;
  return { ...rest, missingGraceDays: 2 };
})();

/** Validate one threshold; throws ValidationError naming `field`. */
export function checkParam(spec: ParamSpec, v: unknown, field: string = spec.key): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new ValidationError(field, 'must be a number');
  if (spec.type === 'integer' && !Number.isInteger(n)) throw new ValidationError(field, 'must be a whole number');
  const lowOk = spec.minExclusive ? n > spec.min : n >= spec.min;
  if (!lowOk || n > spec.max) throw new ValidationError(field, `must be ${spec.minExclusive ? `> ${spec.min}` : `>= ${spec.min}`} and <= ${spec.max}`, { min: spec.min, max: spec.max });
  return n;
}

/** Full parameter object from stored JSON: unknown keys dropped, missing keys take the defaults. */
export function normaliseParams(raw: unknown): RuleSetParams {
  const src = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const out = { ...DEFAULT_PARAMS };
  for (const s of PARAM_SPECS) {
    const v = src[s.key];
    if (typeof v === 'number' && Number.isFinite(v)) (out as Record<string, number>)[s.key] = v;
  }
  return out;
}

function parseJson(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

export interface RuleSetOut {
  version: string;
  status: 'draft' | 'active' | 'retired';
  params: RuleSetParams;
  note: string | null;
  basedOn: string | null;
  createdBy: string | null;
  createdAt: string;
  activatedBy: string | null;
  activatedAt: string | null;
  retiredAt: string | null;
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

async function loadAll(q: Q, where?: { version?: string; status?: string }): Promise<RuleSetOut[]> {
  let qb = q.selectFrom('vee_rule_sets as v')
    .leftJoin('users as cu', 'cu.id', 'v.created_by')
    .leftJoin('users as au', 'au.id', 'v.activated_by')
    .select(['v.version', 'v.status', 'v.params', 'v.note', 'v.based_on', 'v.created_at', 'v.activated_at', 'v.retired_at', 'cu.display_name as created_name', 'au.display_name as activated_name']);
  if (where?.version) qb = qb.where('v.version', '=', where.version);
  if (where?.status) qb = qb.where('v.status', '=', where.status as 'active');
  const rows = await qb.orderBy('v.created_at', 'desc').orderBy('v.version', 'desc').execute();
  return rows.map((r) => ({
    version: r.version, status: r.status, params: normaliseParams(parseJson(r.params)), note: r.note, basedOn: r.based_on,
    createdBy: r.created_name ?? null, createdAt: iso(r.created_at)!, activatedBy: r.activated_name ?? null,
    activatedAt: iso(r.activated_at), retiredAt: iso(r.retired_at),
  }));
}

// ---- active rule set (cached) ------------------------------------------------------------------

export const CACHE_TTL_MS = 10_000;
const cache = new WeakMap<object, { at: number; rules: ActiveRuleSet }>();

function isDb(x: Db | Q): x is Db {
  return typeof (x as Db).kysely === 'object' && typeof (x as Db).close === 'function';
}

/** Read the active version straight from the database (no cache). Falls back to the code defaults if none is active. */
export async function readActiveRuleSet(q: Q): Promise<ActiveRuleSet> {
  const r = await q.selectFrom('vee_rule_sets').select(['version', 'params']).where('status', '=', 'active').executeTakeFirst();
  if (!r) return { ...DEFAULT_PARAMS, version: DEFAULT_RULE_SET.version };
  return { ...normaliseParams(parseJson(r.params)), version: r.version };
}

/**
 * The rule set in force. With a Db: cached per process (CACHE_TTL_MS, cleared by activate);
 * with a transaction/Kysely handle (`trx`): read in that transaction, uncached.
 */
export async function getActiveRuleSet(db: Db | Q): Promise<ActiveRuleSet> {
  if (!isDb(db)) return readActiveRuleSet(db);
  const hit = cache.get(db);
  if (hit && Date.now() - hit.at < CACHE_TTL_MS) return hit.rules;
  const rules = Object.freeze(await readActiveRuleSet(db.kysely)) as ActiveRuleSet;
  cache.set(db, { at: Date.now(), rules });
  return rules;
}

export function invalidateRuleSetCache(db: Db): void {
  cache.delete(db);
}

// ---- use cases ---------------------------------------------------------------------------------

export async function listRuleSets(db: Db, actor: Actor) {
  requirePermission(actor, 'reading.read');
  const items = await loadAll(db.kysely);
  return { items, active: items.find((i) => i.status === 'active')?.version ?? null, params: PARAM_SPECS };
}

export async function activeRuleSet(db: Db, actor: Actor) {
  requirePermission(actor, 'reading.read');
  const [row] = await loadAll(db.kysely, { status: 'active' });
  if (row) return { ...row, params: row.params, specs: PARAM_SPECS };
  return { version: DEFAULT_RULE_SET.version, status: 'active' as const, params: DEFAULT_PARAMS, note: 'code defaults (no active row)', basedOn: null, createdBy: null, createdAt: null, activatedBy: null, activatedAt: null, retiredAt: null, specs: PARAM_SPECS };
}

const VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$/;

function shanghaiDate(d: Date): string {
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/**
 * New draft copied from the active version with the given thresholds changed. Every changed
 * threshold is checked (type and range, the error names `params.<key>`); unknown keys refused.
 * The version defaults to `<today>.<n>` (Asia/Shanghai).
 */
export async function createDraft(db: Db, actor: Actor, input: { params: Record<string, unknown>; note?: string | null; version?: string | null }, now = new Date()) {
  requirePermission(actor, 'reading.rules');
  if (!input.params || typeof input.params !== 'object' || Array.isArray(input.params)) throw new ValidationError('params', 'must be an object of thresholds');
  const changes: Partial<RuleSetParams> = {};
  for (const [k, v] of Object.entries(input.params)) {
    const spec = PARAM_SPECS.find((s) => s.key === k);
    if (!spec) throw new ValidationError(`params.${k}`, `unknown threshold (known: ${PARAM_SPECS.map((s) => s.key).join(', ')})`);
    (changes as Record<string, number>)[k] = checkParam(spec, v, `params.${k}`);
  }
  if (!Object.keys(changes).length) throw new ValidationError('params', 'change at least one threshold');
  if (input.version != null && !VERSION_RE.test(input.version)) throw new ValidationError('version', 'letters, digits, . _ - (at most 40), e.g. 2026-11-28.1');
  const note = input.note == null ? null : String(input.note).trim().slice(0, 500) || null;
  return inTx(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${RULE_SET_LOCK})`.execute(trx);
    const base = await readActiveRuleSet(trx);
    const { version: baseVersion, ...baseParams } = base;
    const params: RuleSetParams = { ...baseParams, ...changes };
    if (PARAM_SPECS.every((s) => params[s.key] === baseParams[s.key])) {
      throw new ValidationError('params', `no threshold differs from the active version ${baseVersion}`);
    }
    let version = input.version ?? null;
    if (version) {
      const exists = await trx.selectFrom('vee_rule_sets').select('version').where('version', '=', version).executeTakeFirst();
      if (exists) throw new AppError('CONFLICT', `rule set version ${version} exists`, { field: 'version' });
    } else {
      const day = shanghaiDate(now);
      const { rows } = await sql<{ version: string }>`select version from vee_rule_sets where version like ${day + '.%'}`.execute(trx);
      const n = rows.reduce((m, r) => Math.max(m, Number(r.version.slice(day.length + 1)) || 0), 0);
      version = `${day}.${n + 1}`;
    }
    const baseRow = await trx.selectFrom('vee_rule_sets').select('version').where('version', '=', baseVersion).executeTakeFirst();
    await trx.insertInto('vee_rule_sets').values({
      version, params: JSON.stringify(params), status: 'draft', note, based_on: baseRow ? baseVersion : null, created_by: actor.userId, created_at: now,
    }).execute();
    await writeAudit(trx, actor, { action: 'vee_rule_set.create', entityType: 'vee_rule_set', entityId: version, before: { version: baseVersion, params: baseParams }, after: { version, status: 'draft', params, changed: changes, note } }, now);
    const [row] = await loadAll(trx, { version });
    return row;
  });
}

const RULE_SET_LOCK = 7_461_331_030;

/** Make a draft (or a retired version, to roll back) the active one; the previous active version is retired. */
export async function activateRuleSet(db: Db, actor: Actor, version: string, input: { note?: string | null } = {}, now = new Date()) {
  requirePermission(actor, 'reading.rules');
  const out = await inTx(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${RULE_SET_LOCK})`.execute(trx);
    const target = await trx.selectFrom('vee_rule_sets').select(['version', 'status', 'params']).where('version', '=', version).executeTakeFirst();
    if (!target) throw notFound('rule set', version);
    if (target.status === 'active') throw new AppError('CONFLICT', `rule set ${version} is already active`, { status: target.status });
    const prev = await trx.selectFrom('vee_rule_sets').select(['version', 'params']).where('status', '=', 'active').executeTakeFirst();
    if (prev) await trx.updateTable('vee_rule_sets').set({ status: 'retired', retired_at: now }).where('version', '=', prev.version).execute();
    await trx.updateTable('vee_rule_sets').set({ status: 'active', activated_by: actor.userId, activated_at: now, retired_at: null }).where('version', '=', version).execute();
    await writeAudit(trx, actor, {
      action: 'vee_rule_set.activate', entityType: 'vee_rule_set', entityId: version,
      before: prev ? { active: prev.version, params: normaliseParams(parseJson(prev.params)) } : { active: null },
      after: { active: version, params: normaliseParams(parseJson(target.params)), note: input.note ?? null },
    }, now);
    const [row] = await loadAll(trx, { version });
    return { ...row, previous: prev?.version ?? null };
  });
  invalidateRuleSetCache(db);
  return out;
}

/** Retire a draft that will not be used. The active version is retired only by activating another. */
export async function retireRuleSet(db: Db, actor: Actor, version: string, now = new Date()) {
  requirePermission(actor, 'reading.rules');
  return inTx(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(${RULE_SET_LOCK})`.execute(trx);
    const target = await trx.selectFrom('vee_rule_sets').select(['version', 'status']).where('version', '=', version).executeTakeFirst();
    if (!target) throw notFound('rule set', version);
    if (target.status !== 'draft') throw new AppError('CONFLICT', target.status === 'active' ? `rule set ${version} is active: activate another version instead` : `rule set ${version} is already retired`, { status: target.status });
    await trx.updateTable('vee_rule_sets').set({ status: 'retired', retired_at: now }).where('version', '=', version).execute();
    await writeAudit(trx, actor, { action: 'vee_rule_set.retire', entityType: 'vee_rule_set', entityId: version, before: { status: 'draft' }, after: { status: 'retired' } }, now);
    const [row] = await loadAll(trx, { version });
    return row;
  });
}
