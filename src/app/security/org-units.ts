/** Org-unit tree (company -> county -> 供电所/营业厅). Scope = subtree of the user's unit. */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { inTx, requirePermission, requireScope, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';

const KINDS = ['company', 'county', 'station', 'hall'] as const;
const CHILD_OF: Record<string, string[]> = { company: ['county'], county: ['station', 'hall'], station: ['hall'], hall: [] };

export async function listOrgUnits(db: Db, actor: Actor) {
  requirePermission(actor, 'org.read');
  const rows = await db.kysely
    .selectFrom('org_units')
    .select(['id', 'parent_id as parentId', 'code', 'name', 'name_en as nameEn', 'kind', 'path'])
    .where('path', 'like', actor.orgPath + '%')
    .orderBy('path')
    .execute();
  return rows;
}

export async function getOrgUnit(db: Db, id: number) {
  const ou = await db.kysely.selectFrom('org_units').selectAll().where('id', '=', id).executeTakeFirst();
  if (!ou) throw new AppError('NOT_FOUND', `org unit ${id} not found`, { field: 'orgUnitId' });
  return ou;
}

export async function createOrgUnit(
  db: Db,
  actor: Actor,
  input: { parentId: number; code: string; name: string; nameEn?: string; kind: string },
) {
  requirePermission(actor, 'org.write');
  if (!(KINDS as readonly string[]).includes(input.kind)) throw new ValidationError('kind', `must be one of ${KINDS.join(', ')}`);
  const parent = await getOrgUnit(db, input.parentId).catch(() => {
    throw new ValidationError('parentId', 'no such org unit');
  });
  requireScope(actor, parent.path, 'parent org unit');
  if (!CHILD_OF[parent.kind].includes(input.kind)) {
    throw new ValidationError('kind', `a ${parent.kind} cannot contain a ${input.kind}`);
  }
  return inTx(db, async (trx) => {
    const dup = await trx.selectFrom('org_units').select('id').where('code', '=', input.code).executeTakeFirst();
    if (dup) throw new AppError('CONFLICT', `org unit code ${input.code} exists`, { field: 'code' });
    const row = await insertOrgUnitRaw(trx, { parentId: parent.id, code: input.code, name: input.name, nameEn: input.nameEn, kind: input.kind });
    const path = row.path;
    const created = { id: row.id, parentId: parent.id, code: input.code, name: input.name, nameEn: input.nameEn ?? null, kind: input.kind, path };
    await writeAudit(trx, actor, { action: 'org_unit.create', entityType: 'org_unit', entityId: row.id, orgUnitId: row.id, after: created });
    return created;
  });
}

export async function updateOrgUnit(db: Db, actor: Actor, id: number, input: { name?: string; nameEn?: string | null }) {
  requirePermission(actor, 'org.write');
  const ou = await getOrgUnit(db, id);
  requireScope(actor, ou.path, 'org unit');
  return inTx(db, async (trx) => {
    const patch = { ...(input.name !== undefined ? { name: input.name } : {}), ...(input.nameEn !== undefined ? { name_en: input.nameEn } : {}) };
    if (Object.keys(patch).length === 0) throw new ValidationError('name', 'nothing to change');
    await trx.updateTable('org_units').set({ ...patch, updated_at: new Date() }).where('id', '=', id).execute();
    await writeAudit(trx, actor, {
      action: 'org_unit.update', entityType: 'org_unit', entityId: id, orgUnitId: id,
      before: { name: ou.name, nameEn: ou.name_en }, after: { name: input.name ?? ou.name, nameEn: input.nameEn ?? ou.name_en },
    });
    return { id };
  });
}

/** Insert a root or child org unit and set its materialised `path` (no checks, no audit: callers do those). */
export async function insertOrgUnitRaw(
  q: Db['kysely'],
  v: { parentId: number | null; code: string; name: string; nameEn?: string; kind: string },
): Promise<{ id: number; path: string }> {
  const parent = v.parentId ? await q.selectFrom('org_units').select('path').where('id', '=', v.parentId).executeTakeFirstOrThrow() : { path: '/' };
  const row = await q
    .insertInto('org_units')
    .values({ parent_id: v.parentId, code: v.code, name: v.name, name_en: v.nameEn ?? null, kind: v.kind as never })
    .returning('id')
    .executeTakeFirstOrThrow();
  const path = `${parent.path}${row.id}/`;
  await sql`update org_units set path = ${path} where id = ${row.id}`.execute(q);
  return { id: row.id, path };
}
