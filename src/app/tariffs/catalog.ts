/**
 * Tariff catalogue use cases (电价管理): list, view, create a version, new version from an old one,
 * compare, import/export JSON, status. Every tariff document is validated by the rating engine's
 * validator; versions of one tariff code never overlap in time (half-open [from, to)); policy
 * warnings are stored and returned but never block. Every change is audited in its transaction.
 */
import { sql, type Selectable } from 'kysely';
import type { TariffVersionsTable } from '../../db/schema.js';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { assertNoOverlap, validateTariffVersion, type TariffWarning } from '../../domain/tariffs/validate.js';
import type { TariffVersion, TouPeriod } from '../../domain/tariffs/schema.js';
import { inTx, requirePermission, type Actor, type Q, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { escapeLike } from '../security/users.js';
import { bandSlots, diffTariffVersions, periodPriceTable } from './compare.js';

export type TariffStatus = 'draft' | 'active' | 'retired';

export interface TariffFilter {
  province?: string;
  customerClass?: string;
  voltageLevel?: string;
  /** exact code or prefix */
  code?: string;
  /** free text: code or name contains */
  q?: string;
  /** in force on this date (YYYY-MM-DD) */
  onDate?: string;
  status?: TariffStatus;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_IMPORT = 500;

type Row = Selectable<TariffVersionsTable>;

/** The list/summary shape of one version (no document). */
export function tariffOut(r: Row) {
  return {
    id: r.id,
    code: r.code,
    version: r.version,
    name: { zh: r.name_zh, en: r.name_en },
    province: r.province,
    customerClasses: r.customer_classes,
    voltageLevels: r.voltage_levels,
    effectiveFrom: r.effective_from,
    effectiveTo: r.effective_to,
    status: r.status,
    warnings: (r.warnings ?? []) as TariffWarning[],
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** JSON text with sorted keys (jsonb does not keep key order). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/** Validate a tariff JSON; the stored document is the validated version with a string version label. */
export function validateDocument(json: unknown): { doc: TariffVersion & { version: string }; warnings: TariffWarning[] } {
  const { version, warnings } = validateTariffVersion(json);
  const label = version.version === undefined || version.version === '' ? version.effectiveFrom.slice(0, 7) : String(version.version);
  if (label.length > 64) throw new ValidationError('version', 'at most 64 characters');
  if (version.code.length > 64) throw new ValidationError('code', 'at most 64 characters');
  return { doc: { ...version, version: label, effectiveTo: version.effectiveTo ?? null }, warnings };
}

/** Re-throw a ValidationError with its field prefixed (e.g. the index of an import item). */
function prefixed(e: unknown, prefix: string): unknown {
  if (!(e instanceof AppError) || !e.details?.field) return e;
  const field = String(e.details.field);
  const msg = e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message;
  const { field: _f, ...extra } = e.details;
  void _f;
  if (e instanceof ValidationError) return new ValidationError(`${prefix}${field}`, msg, extra);
  return new AppError(e.code, `${prefix}${field}: ${msg}`, { ...e.details, field: `${prefix}${field}` });
}

async function lockCode(trx: Trx, code: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${'tariff:' + code}))`.execute(trx);
}

async function loadRow(q: Q, id: number): Promise<Row> {
  const r = await q.selectFrom('tariff_versions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw new AppError('NOT_FOUND', `tariff version ${id} not found`, { entity: 'tariff_version', id });
  return r as Row;
}

/** Refuse a version that would be in force on a day another active version of the same code is. */
async function checkNoOverlap(trx: Trx, doc: TariffVersion, excludeIds: number[] = [], replaced?: { id: number; effectiveTo: string }) {
  const others = await trx
    .selectFrom('tariff_versions')
    .select(['id', 'code', 'version', 'effective_from', 'effective_to'])
    .where('code', '=', doc.code)
    .where('status', '=', 'active')
    .execute();
  for (const o of others) {
    if (excludeIds.includes(o.id)) continue;
    const existing = {
      code: o.code,
      effectiveFrom: o.effective_from,
      effectiveTo: replaced && replaced.id === o.id ? replaced.effectiveTo : o.effective_to,
    } as TariffVersion;
    try {
      assertNoOverlap(existing, doc);
    } catch (e) {
      if (e instanceof ValidationError) {
        throw new ValidationError(
          'effectiveFrom',
          `${doc.effectiveFrom}–${doc.effectiveTo ?? 'open'} overlaps version ${o.version} of ${o.code} (${existing.effectiveFrom}–${existing.effectiveTo ?? 'open'}); versions of one tariff must not be in force on the same day`,
          { conflictingId: o.id },
        );
      }
      throw e;
    }
  }
}

async function insertVersion(trx: Trx, actor: Actor, doc: TariffVersion & { version: string }, warnings: TariffWarning[], status: TariffStatus): Promise<Row> {
  await lockCode(trx, doc.code);
  const dup = await trx.selectFrom('tariff_versions').select('id').where('code', '=', doc.code).where('version', '=', doc.version).executeTakeFirst();
  if (dup) throw new AppError('CONFLICT', `version: ${doc.code} version ${doc.version} already exists (id ${dup.id})`, { field: 'version', id: dup.id });
  if (status === 'active') await checkNoOverlap(trx, doc);
  const row = await trx
    .insertInto('tariff_versions')
    .values({
      code: doc.code,
      version: doc.version,
      name_zh: doc.name.zh,
      name_en: doc.name.en,
      province: doc.province,
      customer_classes: doc.customerClasses,
      voltage_levels: doc.voltageLevels,
      effective_from: doc.effectiveFrom,
      effective_to: doc.effectiveTo ?? null,
      document: JSON.stringify(doc),
      warnings: JSON.stringify(warnings),
      status,
      created_by: actor.userId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return row as Row;
}

const auditSummary = (r: Row) => ({ code: r.code, version: r.version, effectiveFrom: r.effective_from, effectiveTo: r.effective_to, status: r.status });

// ---------------------------------------------------------------------------------------------
// queries

export async function listTariffs(db: Db, actor: Actor, f: TariffFilter) {
  requirePermission(actor, 'tariff.read');
  let qb = db.kysely.selectFrom('tariff_versions').selectAll();
  if (f.province) qb = qb.where('province', '=', f.province);
  if (f.customerClass) qb = qb.where(sql<boolean>`${f.customerClass} = any(customer_classes)`);
  if (f.voltageLevel) qb = qb.where(sql<boolean>`${f.voltageLevel} = any(voltage_levels)`);
  if (f.code) qb = qb.where('code', 'like', escapeLike(f.code) + '%');
  if (f.q && f.q.trim()) {
    const like = '%' + escapeLike(f.q.trim()) + '%';
    qb = qb.where((eb) => eb.or([eb('code', 'ilike', like), eb('name_zh', 'like', like), eb('name_en', 'ilike', like)]));
  }
  if (f.onDate) {
    if (!DATE_RE.test(f.onDate)) throw new ValidationError('onDate', 'must be YYYY-MM-DD');
    const d = f.onDate;
    qb = qb.where('effective_from', '<=', d).where((eb) => eb.or([eb('effective_to', 'is', null), eb('effective_to', '>', d)]));
  }
  if (f.status) qb = qb.where('status', '=', f.status);
  const rows = await qb.orderBy('code').orderBy('effective_from', 'desc').limit(1000).execute();
  return { items: (rows as Row[]).map(tariffOut), total: rows.length };
}

/** Per-season 96-slot day profiles and all-in period prices, for the version view. */
export function derivedView(v: TariffVersion) {
  return {
    periodPrices: periodPriceTable(v),
    seasons: (v.tou?.seasons ?? []).map((s) => ({ name: s.name ?? null, months: s.months, slots: bandSlots(s.bands) })),
    holidayOverrides: (v.tou?.holidayOverrides ?? []).map((h) => ({
      holidayCode: h.holidayCode,
      days: h.days,
      bands: h.bands,
    })),
    usedPeriods: [...new Set((v.tou?.seasons ?? []).flatMap((s) => s.bands.map((b) => b.period)))] as TouPeriod[],
  };
}

export async function getTariff(db: Db, actor: Actor, id: number) {
  requirePermission(actor, 'tariff.read');
  const r = await loadRow(db.kysely, id);
  const doc = r.document as TariffVersion;
  const siblings = await db.kysely
    .selectFrom('tariff_versions')
    .select(['id', 'version', 'effective_from', 'effective_to', 'status'])
    .where('code', '=', r.code)
    .orderBy('effective_from')
    .execute();
  return {
    tariff: tariffOut(r),
    document: doc,
    derived: derivedView(doc),
    versions: siblings.map((s) => ({ id: s.id, version: s.version, effectiveFrom: s.effective_from, effectiveTo: s.effective_to, status: s.status })),
  };
}

export async function compareTariffs(db: Db, actor: Actor, aId: number, bId: number) {
  requirePermission(actor, 'tariff.read');
  const a = await loadRow(db.kysely, aId);
  const b = await loadRow(db.kysely, bId);
  const da = a.document as TariffVersion;
  const dbb = b.document as TariffVersion;
  return {
    a: { ...tariffOut(a), document: da, derived: derivedView(da) },
    b: { ...tariffOut(b), document: dbb, derived: derivedView(dbb) },
    diff: diffTariffVersions(da, dbb),
  };
}

export async function exportTariffs(db: Db, actor: Actor, f: { code?: string; status?: TariffStatus } = {}) {
  requirePermission(actor, 'tariff.read');
  let qb = db.kysely.selectFrom('tariff_versions').select(['document', 'effective_to']);
  if (f.code) qb = qb.where('code', '=', f.code);
  if (f.status) qb = qb.where('status', '=', f.status);
  const rows = await qb.orderBy('code').orderBy('effective_from').execute();
  if (f.code && rows.length === 0) throw new AppError('NOT_FOUND', `tariff ${f.code} not found`, { field: 'code' });
  return rows.map((r) => ({ ...(r.document as Record<string, unknown>), effectiveTo: r.effective_to }));
}

// ---------------------------------------------------------------------------------------------
// changes

export async function createTariffVersion(db: Db, actor: Actor, json: unknown, opts: { status?: TariffStatus } = {}) {
  requirePermission(actor, 'tariff.write');
  const { doc, warnings } = validateDocument(json);
  const status = opts.status ?? 'active';
  return inTx(db, async (trx) => {
    const row = await insertVersion(trx, actor, doc, warnings, status);
    await writeAudit(trx, actor, { action: 'tariff.create', entityType: 'tariff_version', entityId: row.id, after: { ...auditSummary(row), warnings: warnings.map((w) => w.code), document: doc } });
    return { tariff: tariffOut(row), warnings };
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Deep merge of changes into a tariff document: objects merge, arrays and scalars replace.
 * Arrays of `{code}` items (energyComponents, fixedCharges) may be patched by code with an object:
 * `{ energyComponents: { PURCHASE: { price: '0.43' } } }`.
 */
export function mergeChanges(base: unknown, patch: unknown, path = ''): unknown {
  if (patch === undefined) return base;
  if (Array.isArray(base) && isPlainObject(patch) && base.every((x) => isPlainObject(x) && typeof x.code === 'string')) {
    const codes = new Set(base.map((x) => (x as { code: string }).code));
    for (const k of Object.keys(patch)) if (!codes.has(k)) throw new ValidationError(`changes.${path}${k}`, `no item with code ${k}`);
    return base.map((x) => {
      const c = (x as { code: string }).code;
      return c in patch ? mergeChanges(x, patch[c], `${path}${c}.`) : x;
    });
  }
  if (isPlainObject(base) && isPlainObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = mergeChanges(base[k], v, `${path}${k}.`);
    return out;
  }
  return patch;
}

export interface NewVersionInput {
  effectiveFrom: string;
  effectiveTo?: string | null;
  version?: string;
  name?: { zh: string; en: string };
  /** partial document merged into the old version (see mergeChanges) */
  changes?: Record<string, unknown>;
  /** or: a complete document (same code) */
  document?: Record<string, unknown>;
  status?: TariffStatus;
}

/**
 * New version of a tariff from an existing one: copy + changes, new effectiveFrom. When the old
 * version would still be in force on the new effectiveFrom, its effectiveTo becomes that date
 * (and the new version inherits the old effectiveTo unless one is given).
 */
export async function createVersionFrom(db: Db, actor: Actor, id: number, input: NewVersionInput) {
  requirePermission(actor, 'tariff.write');
  const F = input.effectiveFrom;
  if (!DATE_RE.test(F ?? '')) throw new ValidationError('effectiveFrom', 'must be YYYY-MM-DD');
  return inTx(db, async (trx) => {
    const old = await loadRow(trx, id);
    await lockCode(trx, old.code);
    if (F <= old.effective_from) {
      throw new ValidationError('effectiveFrom', `must be after ${old.effective_from}, the effectiveFrom of version ${old.version} it replaces`);
    }
    const closesOld = old.status === 'active' && (old.effective_to === null || old.effective_to > F);
    let candidate: unknown;
    if (input.document) {
      candidate = { ...input.document };
    } else {
      const { effectiveTo: _drop, ...base } = old.document as Record<string, unknown>;
      void _drop;
      candidate = mergeChanges(base, input.changes ?? {});
    }
    const c = candidate as Record<string, unknown>;
    if (c.code !== undefined && c.code !== old.code) throw new ValidationError('code', `a new version keeps the code ${old.code}; create a new tariff instead`);
    c.code = old.code;
    c.effectiveFrom = F;
    c.effectiveTo = input.effectiveTo !== undefined ? input.effectiveTo : closesOld ? old.effective_to : null;
    if (input.name) c.name = input.name;
    c.version = input.version ?? (await freeLabel(trx, old.code, F));
    const { doc, warnings } = validateDocument(c);
    const status = input.status ?? 'active';
    if (status === 'active') await checkNoOverlap(trx, doc, [], closesOld ? { id: old.id, effectiveTo: F } : undefined);
    let closed: Row | null = null;
    if (closesOld) {
      closed = (await trx
        .updateTable('tariff_versions')
        .set({
          effective_to: F,
          document: JSON.stringify({ ...(old.document as Record<string, unknown>), effectiveTo: F }),
          updated_at: new Date(),
        })
        .where('id', '=', old.id)
        .returningAll()
        .executeTakeFirstOrThrow()) as Row;
    }
    const row = await insertVersion(trx, actor, doc, warnings, status);
    if (closed) {
      await writeAudit(trx, actor, { action: 'tariff.close', entityType: 'tariff_version', entityId: old.id, before: auditSummary(old), after: { ...auditSummary(closed), replacedBy: row.id } });
    }
    await writeAudit(trx, actor, {
      action: 'tariff.new_version', entityType: 'tariff_version', entityId: row.id,
      before: { fromId: old.id, ...auditSummary(old) },
      after: { ...auditSummary(row), changes: input.document ? '(full document)' : input.changes ?? {}, warnings: warnings.map((w) => w.code), document: doc },
    });
    return { tariff: tariffOut(row), warnings, closed: closed ? tariffOut(closed) : null };
  });
}

async function freeLabel(trx: Trx, code: string, from: string): Promise<string> {
  const taken = new Set((await trx.selectFrom('tariff_versions').select('version').where('code', '=', code).execute()).map((r) => r.version));
  for (const l of [from.slice(0, 7), from]) if (!taken.has(l)) return l;
  for (let n = 2; ; n++) if (!taken.has(`${from}-${n}`)) return `${from}-${n}`;
}

/** Items of an import payload: one version, an array, or `{ items: [...] }`. */
export function importItems(payload: unknown): { items: unknown[]; isArray: boolean } {
  if (Array.isArray(payload)) return { items: payload, isArray: true };
  if (isPlainObject(payload) && Array.isArray(payload.items) && payload.code === undefined) return { items: payload.items, isArray: true };
  return { items: [payload], isArray: false };
}

/**
 * Import tariff versions (one or an array), all or nothing: every item is validated first, then all
 * are inserted in one transaction. An item identical to the stored version of the same code and
 * version is reported `unchanged` (re-importing an export is harmless); a different document
 * under an existing code+version is a CONFLICT.
 */
export async function importTariffs(db: Db, actor: Actor, payload: unknown) {
  requirePermission(actor, 'tariff.write');
  const { items, isArray } = importItems(payload);
  if (items.length === 0) throw new ValidationError('(root)', 'nothing to import: give a tariff version or an array of them');
  if (items.length > MAX_IMPORT) throw new ValidationError('(root)', `at most ${MAX_IMPORT} versions per import`);
  const pre = (i: number) => (isArray ? `${i}.` : '');
  const parsed = items.map((it, i) => {
    try {
      return validateDocument(it);
    } catch (e) {
      throw prefixed(e, pre(i));
    }
  });
  return inTx(db, async (trx) => {
    const created: Row[] = [];
    const unchanged: Array<{ id: number; code: string; version: string }> = [];
    const warnings: Array<{ index: number; code: string; version: string; warnings: TariffWarning[] }> = [];
    for (let i = 0; i < parsed.length; i++) {
      const { doc, warnings: w } = parsed[i];
      try {
        await lockCode(trx, doc.code);
        const existing = await trx.selectFrom('tariff_versions').select(['id', 'document']).where('code', '=', doc.code).where('version', '=', doc.version).executeTakeFirst();
        if (existing) {
          const stored = { ...(existing.document as Record<string, unknown>) };
          if (canonical({ ...stored, effectiveTo: null }) === canonical({ ...doc, effectiveTo: null })) {
            unchanged.push({ id: existing.id, code: doc.code, version: doc.version });
            continue;
          }
        }
        const row = await insertVersion(trx, actor, doc, w, 'active');
        created.push(row);
        if (w.length) warnings.push({ index: i, code: doc.code, version: doc.version, warnings: w });
      } catch (e) {
        throw prefixed(e, pre(i));
      }
    }
    for (const row of created) {
      await writeAudit(trx, actor, { action: 'tariff.import', entityType: 'tariff_version', entityId: row.id, after: { ...auditSummary(row), warnings: (row.warnings as TariffWarning[]).map((w) => w.code), document: row.document } });
    }
    return { created: created.map(tariffOut), unchanged, warnings };
  });
}

/** Draft → active (overlap-checked), active → retired, etc. */
export async function setTariffStatus(db: Db, actor: Actor, id: number, status: TariffStatus) {
  requirePermission(actor, 'tariff.write');
  return inTx(db, async (trx) => {
    const old = await loadRow(trx, id);
    await lockCode(trx, old.code);
    if (old.status === status) return { tariff: tariffOut(old) };
    if (status === 'active') await checkNoOverlap(trx, old.document as TariffVersion, [old.id]);
    const row = (await trx.updateTable('tariff_versions').set({ status, updated_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow()) as Row;
    await writeAudit(trx, actor, { action: 'tariff.status', entityType: 'tariff_version', entityId: id, before: { status: old.status }, after: { ...auditSummary(row) } });
    return { tariff: tariffOut(row) };
  });
}
