/**
 * Reading routes administration (抄表段管理) for the billing supervisor: list the routes in scope
 * with their reader, account count and this period's task progress; create a route; change its
 * reading day (抄表例日), name, status or assigned meter reader (optimistic lock on `version`).
 * The reader must be able to enter readings (reading.write) and their data scope must cover the
 * route's org unit. Every change is audited in the same transaction.
 */
import { sql } from 'kysely';
import '../../db/schema-routes.js';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { inScope, inTx, requirePermission, requireScope, type Actor, type Q } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { escapeLike } from '../security/users.js';
import { checkPeriod } from './tasks.js';

export type RouteStatus = 'active' | 'inactive';

/** The billing period (YYYY-MM) of a moment in Asia/Shanghai. */
export function currentPeriod(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 7);
}

function checkReadingDay(v: unknown, field = 'readingDay'): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 31) throw new ValidationError(field, 'must be a whole day 1-31');
  return v;
}

function checkText(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || !v.trim()) throw new ValidationError(field, 'required');
  if (v.trim().length > max) throw new ValidationError(field, `at most ${max} characters`);
  return v.trim();
}

/** Users who hold reading.write (a role granting it), active. */
function readerQuery(q: Q) {
  return q.selectFrom('users as u').innerJoin('org_units as o', 'o.id', 'u.org_unit_id')
    .select(['u.id', 'u.username', 'u.display_name', 'u.roles', 'u.org_unit_id', 'o.name as org_unit_name', 'o.path'])
    .where('u.status', '=', 'active')
    .where(sql<boolean>`exists (select 1 from roles r where r.code = any(u.roles) and ('reading.write' = any(r.permissions) or '*' = any(r.permissions)))`);
}

/**
 * Checks that `readerUserId` may be assigned to a route of the org unit at `routePath`: an active
 * user in the actor's scope with reading.write whose own scope covers the route.
 */
async function checkReader(q: Q, actor: Actor, readerUserId: number, routePath: string) {
  const u = await q.selectFrom('users as u').innerJoin('org_units as o', 'o.id', 'u.org_unit_id')
    .select(['u.id', 'u.username', 'u.display_name', 'u.roles', 'u.status', 'o.path']).where('u.id', '=', readerUserId).executeTakeFirst();
  if (!u || !inScope(actor, u.path)) throw new ValidationError('readerUserId', `no user ${readerUserId} in your data scope`);
  if (u.status !== 'active') throw new ValidationError('readerUserId', `user ${u.username} is not active`);
  const roles = await q.selectFrom('roles').select(['code', 'permissions']).where('code', 'in', u.roles.length ? u.roles : ['-']).execute();
  const canRead = roles.some((r) => r.permissions.includes('reading.write') || r.permissions.includes('*'));
  if (!canRead) throw new ValidationError('readerUserId', `user ${u.username} is not a meter reader (needs the meter_reader role or reading.write)`);
  if (!routePath.startsWith(u.path)) throw new ValidationError('readerUserId', `the route's org unit is outside the data scope of user ${u.username}`);
  return { id: u.id, username: u.username, name: u.display_name };
}

function routeOut(r: {
  id: number; code: string; name: string; org_unit_id: number; org_unit_name: string; reading_day: number; status: string; version: number;
  reader_user_id: number | null; reader_username: string | null; reader_name: string | null;
}) {
  return {
    id: r.id, code: r.code, name: r.name, orgUnit: { id: r.org_unit_id, name: r.org_unit_name }, readingDay: r.reading_day, status: r.status as RouteStatus,
    version: r.version, reader: r.reader_user_id === null ? null : { id: r.reader_user_id, username: r.reader_username, name: r.reader_name },
  };
}

function routeSelect(q: Q) {
  return q.selectFrom('reading_routes as r').innerJoin('org_units as o', 'o.id', 'r.org_unit_id').leftJoin('users as u', 'u.id', 'r.reader_user_id')
    .select(['r.id', 'r.code', 'r.name', 'r.org_unit_id', 'o.name as org_unit_name', 'o.path', 'r.reading_day', 'r.status', 'r.version', 'r.reader_user_id',
      'u.username as reader_username', 'u.display_name as reader_name']);
}

async function loadRoute(q: Q, actor: Actor, id: number, lock = false) {
  if (lock) await sql`select id from reading_routes where id = ${id} for update`.execute(q);
  const r = await routeSelect(q).where('r.id', '=', id).executeTakeFirst();
  if (!r) throw new AppError('NOT_FOUND', `route ${id} not found`, { entity: 'reading_route', id });
  requireScope(actor, r.path, 'route');
  return r;
}

export interface RouteFilter {
  period?: string;
  orgUnitId?: number;
  readerUserId?: number;
  q?: string;
  status?: RouteStatus;
}

/**
 * Routes in the actor's scope, code order, each with the account count (not closed) and the
 * reading-task counts of `period` (default: this month).
 */
export async function listRoutes(db: Db, actor: Actor, f: RouteFilter = {}) {
  requirePermission(actor, 'reading.read');
  const period = f.period ? checkPeriod(f.period) : currentPeriod();
  const k = db.kysely;
  let qb = routeSelect(k).where('o.path', 'like', escapeLike(actor.orgPath) + '%');
  if (f.orgUnitId) {
    const ou = await k.selectFrom('org_units').select('path').where('id', '=', f.orgUnitId).executeTakeFirst();
    if (!ou) throw new ValidationError('orgUnitId', `no org unit ${f.orgUnitId}`);
    qb = qb.where('o.path', 'like', escapeLike(ou.path) + '%');
  }
  if (f.readerUserId) qb = qb.where('r.reader_user_id', '=', f.readerUserId);
  if (f.status) qb = qb.where('r.status', '=', f.status);
  if (f.q) qb = qb.where((eb) => eb.or([eb('r.code', 'like', `%${escapeLike(f.q!)}%`), eb('r.name', 'like', `%${escapeLike(f.q!)}%`)]));
  const rows = await qb.orderBy('r.code').limit(2000).execute();
  const ids = rows.map((r) => r.id);
  const accounts = new Map<number, number>();
  const tasks = new Map<number, Record<string, number>>();
  if (ids.length) {
    const a = await k.selectFrom('accounts').select(['reading_route_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('reading_route_id', 'in', ids).where('status', '<>', 'closed').groupBy('reading_route_id').execute();
    for (const r of a) accounts.set(Number(r.reading_route_id), Number(r.n));
    const t = await k.selectFrom('reading_tasks').select(['route_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('route_id', 'in', ids).where('billing_period', '=', period).groupBy(['route_id', 'status']).execute();
    for (const r of t) {
      const c = tasks.get(Number(r.route_id)) ?? { total: 0, pending: 0, read: 0, exception: 0, skipped: 0 };
      c[r.status] = Number(r.n);
      c.total += Number(r.n);
      tasks.set(Number(r.route_id), c);
    }
  }
  return {
    period,
    items: rows.map((r) => ({
      ...routeOut(r),
      accountCount: accounts.get(r.id) ?? 0,
      tasks: tasks.get(r.id) ?? { total: 0, pending: 0, read: 0, exception: 0, skipped: 0 },
    })),
  };
}

export async function getRoute(db: Db, actor: Actor, id: number) {
  requirePermission(actor, 'reading.read');
  return routeOut(await loadRoute(db.kysely, actor, id));
}

export interface CreateRouteInput {
  code: string;
  name: string;
  orgUnitId: number;
  readingDay: number;
  readerUserId?: number | null;
}

export async function createRoute(db: Db, actor: Actor, input: CreateRouteInput) {
  requirePermission(actor, 'reading.review');
  const code = checkText(input.code, 'code', 32);
  if (!/^[A-Za-z0-9_-]+$/.test(code)) throw new ValidationError('code', 'letters, digits, - and _ only');
  const name = checkText(input.name, 'name', 100);
  const readingDay = checkReadingDay(input.readingDay);
  if (!Number.isInteger(input.orgUnitId) || input.orgUnitId <= 0) throw new ValidationError('orgUnitId', 'required');
  return inTx(db, async (trx) => {
    const ou = await trx.selectFrom('org_units').select(['id', 'path', 'name']).where('id', '=', input.orgUnitId).executeTakeFirst();
    if (!ou) throw new ValidationError('orgUnitId', `no org unit ${input.orgUnitId}`);
    requireScope(actor, ou.path, 'org unit');
    const reader = input.readerUserId != null ? await checkReader(trx, actor, input.readerUserId, ou.path) : null;
    const dup = await trx.selectFrom('reading_routes').select('id').where('code', '=', code).executeTakeFirst();
    if (dup) throw new AppError('CONFLICT', `route code ${code} already exists`, { field: 'code' });
    const ins = await trx.insertInto('reading_routes')
      .values({ code, name, org_unit_id: ou.id, reading_day: readingDay, reader_user_id: reader?.id ?? null } as never)
      .returning('id').executeTakeFirstOrThrow();
    const out = routeOut(await loadRoute(trx, actor, Number(ins.id)));
    await writeAudit(trx, actor, { action: 'reading_route.create', entityType: 'reading_route', entityId: out.id, orgUnitId: ou.id, after: out });
    return out;
  });
}

export interface UpdateRouteInput {
  version: number;
  name?: string;
  readingDay?: number;
  readerUserId?: number | null;
  status?: RouteStatus;
}

/** Changes a route; `version` must be the one read (else 409 CONFLICT, nothing written). */
export async function updateRoute(db: Db, actor: Actor, id: number, input: UpdateRouteInput) {
  requirePermission(actor, 'reading.review');
  if (!Number.isInteger(input.version) || input.version < 1) throw new ValidationError('version', 'required (the version you read)');
  const set: Record<string, unknown> = {};
  if (input.name !== undefined) set.name = checkText(input.name, 'name', 100);
  if (input.readingDay !== undefined) set.reading_day = checkReadingDay(input.readingDay);
  if (input.status !== undefined) {
    if (input.status !== 'active' && input.status !== 'inactive') throw new ValidationError('status', 'active or inactive');
    set.status = input.status;
  }
  return inTx(db, async (trx) => {
    const before = await loadRoute(trx, actor, id, true);
    if (before.version !== input.version) {
      throw new AppError('CONFLICT', `route ${before.code} was changed by someone else (version ${before.version}, you sent ${input.version}): reload and retry`, { field: 'version', currentVersion: before.version });
    }
    if (input.readerUserId !== undefined) {
      set.reader_user_id = input.readerUserId === null ? null : (await checkReader(trx, actor, input.readerUserId, before.path)).id;
    }
    if (!Object.keys(set).length) return routeOut(before);
    const upd = await trx.updateTable('reading_routes').set({ ...set, version: sql`version + 1`, updated_at: new Date() } as never)
      .where('id', '=', id).where('version', '=', input.version).returning('id').executeTakeFirst();
    if (!upd) throw new AppError('CONFLICT', `route ${before.code} was changed by someone else: reload and retry`, { field: 'version' });
    const after = routeOut(await loadRoute(trx, actor, id));
    await writeAudit(trx, actor, { action: 'reading_route.update', entityType: 'reading_route', entityId: id, orgUnitId: before.org_unit_id, before: routeOut(before), after });
    return after;
  });
}

/**
 * Users who can be assigned as a route's reader: active, reading.write, in the actor's scope;
 * with `routeId`, only those whose scope covers that route's org unit.
 */
export async function listReaders(db: Db, actor: Actor, f: { routeId?: number } = {}) {
  requirePermission(actor, 'reading.review');
  const k = db.kysely;
  let routePath: string | null = null;
  if (f.routeId) routePath = (await loadRoute(k, actor, f.routeId)).path;
  const rows = await readerQuery(k).where('o.path', 'like', escapeLike(actor.orgPath) + '%').orderBy('u.username').limit(1000).execute();
  return {
    items: rows.filter((u) => routePath === null || routePath.startsWith(u.path))
      .map((u) => ({ id: u.id, username: u.username, name: u.display_name, roles: u.roles, orgUnit: { id: u.org_unit_id, name: u.org_unit_name } })),
  };
}
