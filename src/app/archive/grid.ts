/** Feeders (线路), transformer areas (台区) and reading routes (抄表段). */
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { VOLTAGE_LEVELS } from '../../domain/archive/archive.js';
import { inTx, requirePermission, requireScope, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { escapeLike } from '../security/users.js';

const CODE_RE = /^[A-Za-z0-9_-]{1,40}$/;

async function orgPath(db: Db, id: unknown): Promise<string> {
  if (!Number.isInteger(id)) throw new ValidationError('orgUnitId', 'required');
  const ou = await db.kysely.selectFrom('org_units').select('path').where('id', '=', id as number).executeTakeFirst();
  if (!ou) throw new ValidationError('orgUnitId', 'no such org unit');
  return ou.path;
}

export async function listFeeders(db: Db, actor: Actor) {
  requirePermission(actor, 'grid.read');
  return db.kysely.selectFrom('feeders').innerJoin('org_units', 'org_units.id', 'feeders.org_unit_id')
    .select(['feeders.id', 'feeders.code', 'feeders.name', 'feeders.voltage_level as voltageLevel', 'feeders.org_unit_id as orgUnitId'])
    .where('org_units.path', 'like', escapeLike(actor.orgPath) + '%').orderBy('feeders.code').execute();
}

export async function createFeeder(db: Db, actor: Actor, input: { code: string; name: string; voltageLevel: string; orgUnitId: number }) {
  requirePermission(actor, 'grid.write');
  if (!CODE_RE.test(input.code ?? '')) throw new ValidationError('code', '1-40 letters, digits, _ or -');
  if (!input.name?.trim()) throw new ValidationError('name', 'required');
  if (!VOLTAGE_LEVELS.some((v) => v.code === input.voltageLevel)) throw new ValidationError('voltageLevel', 'unknown voltage level');
  requireScope(actor, await orgPath(db, input.orgUnitId), 'org unit');
  return inTx(db, async (trx) => {
    if (await trx.selectFrom('feeders').select('id').where('code', '=', input.code).executeTakeFirst()) throw new AppError('CONFLICT', `feeder ${input.code} exists`, { field: 'code' });
    const r = await trx.insertInto('feeders').values({ code: input.code, name: input.name.trim(), voltage_level: input.voltageLevel, org_unit_id: input.orgUnitId }).returning('id').executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'feeder.create', entityType: 'feeder', entityId: r.id, orgUnitId: input.orgUnitId, after: input });
    return { id: r.id, ...input };
  });
}

export async function listTransformerAreas(db: Db, actor: Actor, f: { feederId?: number } = {}) {
  requirePermission(actor, 'grid.read');
  let qb = db.kysely.selectFrom('transformer_areas').innerJoin('org_units', 'org_units.id', 'transformer_areas.org_unit_id')
    .innerJoin('feeders', 'feeders.id', 'transformer_areas.feeder_id')
    .select(['transformer_areas.id', 'transformer_areas.code', 'transformer_areas.name', 'transformer_areas.feeder_id as feederId', 'feeders.name as feederName',
      'transformer_areas.transformer_name as transformerName', 'transformer_areas.capacity_kva as capacityKva', 'transformer_areas.ownership', 'transformer_areas.org_unit_id as orgUnitId'])
    .where('org_units.path', 'like', escapeLike(actor.orgPath) + '%');
  if (f.feederId) qb = qb.where('transformer_areas.feeder_id', '=', f.feederId);
  return qb.orderBy('transformer_areas.code').limit(1000).execute();
}

export async function createTransformerArea(db: Db, actor: Actor, input: { code: string; name: string; feederId: number; orgUnitId: number; transformerName: string; capacityKva: string; ownership: string }) {
  requirePermission(actor, 'grid.write');
  if (!CODE_RE.test(input.code ?? '')) throw new ValidationError('code', '1-40 letters, digits, _ or -');
  if (!input.name?.trim()) throw new ValidationError('name', 'required');
  if (!input.transformerName?.trim()) throw new ValidationError('transformerName', 'required');
  if (!/^\d+(\.\d{1,2})?$/.test(String(input.capacityKva ?? '')) || Number(input.capacityKva) <= 0) throw new ValidationError('capacityKva', 'must be a positive number');
  if (!['public', 'private'].includes(input.ownership)) throw new ValidationError('ownership', 'must be public or private');
  requireScope(actor, await orgPath(db, input.orgUnitId), 'org unit');
  return inTx(db, async (trx) => {
    if (!(await trx.selectFrom('feeders').select('id').where('id', '=', input.feederId).executeTakeFirst())) throw new ValidationError('feederId', 'no such feeder');
    if (await trx.selectFrom('transformer_areas').select('id').where('code', '=', input.code).executeTakeFirst()) throw new AppError('CONFLICT', `transformer area ${input.code} exists`, { field: 'code' });
    const r = await trx.insertInto('transformer_areas').values({
      code: input.code, name: input.name.trim(), feeder_id: input.feederId, org_unit_id: input.orgUnitId, transformer_name: input.transformerName.trim(),
      capacity_kva: String(input.capacityKva), ownership: input.ownership as never,
    }).returning('id').executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'transformer_area.create', entityType: 'transformer_area', entityId: r.id, orgUnitId: input.orgUnitId, after: input });
    return { id: r.id, ...input };
  });
}

export async function listReadingRoutes(db: Db, actor: Actor) {
  requirePermission(actor, 'account.read');
  return db.kysely.selectFrom('reading_routes').innerJoin('org_units', 'org_units.id', 'reading_routes.org_unit_id')
    .select(['reading_routes.id', 'reading_routes.code', 'reading_routes.name', 'reading_routes.reading_day as readingDay', 'reading_routes.org_unit_id as orgUnitId'])
    .where('org_units.path', 'like', escapeLike(actor.orgPath) + '%').orderBy('reading_routes.code').limit(1000).execute();
}
