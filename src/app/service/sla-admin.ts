/**
 * SLA profile administration (时限配置, issue 7 UI): the stored profiles, a stricter save
 * (stage keys must exist for the type, limits non-negative integers, errors name the field),
 * activation of a stored profile, and a profile's history from the audit trail.
 *
 * Versioning: a stage visit takes its limit from the active profile when it is entered and
 * stores it (request_stages.sla_days), so an edit applies to stage visits entered after it —
 * running visits keep their limit. Every save / activation is an audit event (before / after),
 * which is the profile's version history (GET /service/sla-profiles/:code/history).
 */
import '../../db/schema-service.js';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { DEFAULT_SLA_PROFILE, REQUEST_TYPES, checkSlaProfile, type SlaProfile } from '../../domain/workflow/service-requests.js';
import { inTx, requirePermission, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { ADMIN_PERMISSION, activeProfile, saveProfile } from './support.js';

/** SLA keys per request type: its stage codes and slaVariant keys; '*' = any type's. */
export function slaKeys(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const all = new Set<string>();
  for (const t of REQUEST_TYPES) {
    const keys = t.workflow.stages.flatMap((s) => [s.code, ...(s.slaVariant ? [s.slaVariant.key] : [])]);
    out[t.code] = [...new Set(keys)];
    keys.forEach((k) => all.add(k));
  }
  out['*'] = [...all];
  return out;
}

/** checkSlaProfile plus: every stage key exists for its type; days a non-negative integer. */
export function checkProfileStrict(input: unknown): SlaProfile {
  const o = input as { limits?: unknown };
  if (o && typeof o === 'object' && o.limits && typeof o.limits === 'object') {
    const keys = slaKeys();
    for (const [type, stages] of Object.entries(o.limits as Record<string, unknown>)) {
      if (!keys[type]) throw new ValidationError(`limits.${type}`, `unknown request type; one of *, ${Object.keys(keys).filter((k) => k !== '*').join(', ')}`);
      if (!stages || typeof stages !== 'object' || Array.isArray(stages)) throw new ValidationError(`limits.${type}`, 'must be an object of stage limits');
      for (const [stage, l] of Object.entries(stages as Record<string, unknown>)) {
        if (!keys[type].includes(stage)) throw new ValidationError(`limits.${type}.${stage}`, `unknown stage for ${type}; one of ${keys[type].join(', ')}`);
        const days = (l as { days?: unknown } | null)?.days;
        if (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > 365) throw new ValidationError(`limits.${type}.${stage}.days`, 'must be a non-negative integer (0-365 working days; 0 = not measured)');
      }
    }
  }
  return checkSlaProfile(input);
}

/** All stored profiles (the code default when none is stored), the active one first. */
export async function listProfiles(db: Db, actor: Actor) {
  requirePermission(actor, ADMIN_PERMISSION);
  const rows = await db.kysely.selectFrom('sla_profiles').selectAll().orderBy('active', 'desc').orderBy('code').execute();
  const items = rows.map((r) => ({
    code: r.code, name: r.name, active: r.active, stored: true, params: r.params as SlaProfile,
    createdAt: r.created_at, updatedAt: r.updated_at,
  }));
  if (!rows.some((r) => r.active)) {
    items.unshift({ code: DEFAULT_SLA_PROFILE.code, name: DEFAULT_SLA_PROFILE.name, active: true, stored: false, params: DEFAULT_SLA_PROFILE, createdAt: null as never, updatedAt: null as never });
  }
  return { items, keys: slaKeys(), defaults: DEFAULT_SLA_PROFILE };
}

/** Validate strictly, store and activate (support.saveProfile audits 'sla_profile.activate'). */
export async function saveProfileStrict(db: Db, actor: Actor, input: unknown) {
  requirePermission(actor, ADMIN_PERMISSION);
  const p = checkProfileStrict(input);
  return saveProfile(db, actor, p);
}

/** Make a stored profile the active one (e.g. go back to an earlier one); audited. */
export async function activateProfile(db: Db, actor: Actor, code: string) {
  requirePermission(actor, ADMIN_PERMISSION);
  if (!/^[a-z0-9_-]{1,40}$/.test(code)) throw new ValidationError('code', '1-40 of a-z 0-9 _ -');
  return inTx(db, async (trx) => {
    const row = await trx.selectFrom('sla_profiles').selectAll().where('code', '=', code).executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', `SLA profile ${code} is not stored`, { field: 'code' });
    if (row.active) return { code, active: true, changed: false };
    const before = await activeProfile(trx);
    await trx.updateTable('sla_profiles').set({ active: false, updated_at: new Date() }).where('active', '=', true).execute();
    await trx.updateTable('sla_profiles').set({ active: true, updated_at: new Date() }).where('code', '=', code).execute();
    await writeAudit(trx, actor, { action: 'sla_profile.activate', entityType: 'sla_profile', entityId: code, before: { code: before.code }, after: row.params });
    return { code, active: true, changed: true };
  });
}

/** A profile's versions: its audit events, newest first. */
export async function profileHistory(db: Db, actor: Actor, code: string) {
  requirePermission(actor, ADMIN_PERMISSION);
  const rows = await db.kysely.selectFrom('audit_events').select(['id', 'occurred_at', 'actor_name', 'action', 'before', 'after'])
    .where('entity_type', '=', 'sla_profile').where('entity_id', '=', code).orderBy('id', 'desc').limit(50).execute();
  return { code, items: rows.map((r) => ({ id: r.id, at: r.occurred_at, actor: r.actor_name, action: r.action, before: r.before, after: r.after })) };
}
