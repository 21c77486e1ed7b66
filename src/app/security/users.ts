/** Users and roles administration. */
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { checkPasswordPolicy } from '../../domain/security/password.js';
import { PERMISSION_CODES } from '../../domain/security/permissions.js';
import { inTx, requirePermission, requireScope, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { hashPassword, invalidateActorCache } from './auth.js';
import { getOrgUnit } from './org-units.js';

const USERNAME_RE = /^[A-Za-z0-9_.@-]{3,64}$/;

async function checkRoles(db: Db, roles: unknown): Promise<string[]> {
  if (!Array.isArray(roles) || roles.length === 0 || roles.some((r) => typeof r !== 'string')) {
    throw new ValidationError('roles', 'at least one role code is required');
  }
  const known = await db.kysely.selectFrom('roles').select('code').where('code', 'in', roles as string[]).execute();
  const missing = (roles as string[]).filter((r) => !known.some((k) => k.code === r));
  if (missing.length) throw new ValidationError('roles', `unknown role(s): ${missing.join(', ')}`);
  return [...new Set(roles as string[])];
}

function userOut(u: { id: number; username: string; display_name: string; org_unit_id: number; roles: string[]; status: string; locked_until: Date | null; last_login_at: Date | null }) {
  return { id: u.id, username: u.username, displayName: u.display_name, orgUnitId: u.org_unit_id, roles: u.roles, status: u.status, lockedUntil: u.locked_until, lastLoginAt: u.last_login_at };
}

export async function listUsers(db: Db, actor: Actor, f: { q?: string; page: number; pageSize: number }) {
  requirePermission(actor, 'user.read');
  let qb = db.kysely
    .selectFrom('users')
    .innerJoin('org_units', 'org_units.id', 'users.org_unit_id')
    .where('org_units.path', 'like', actor.orgPath + '%');
  if (f.q) qb = qb.where((eb) => eb.or([eb('users.username', 'like', `${escapeLike(f.q!)}%`), eb('users.display_name', 'like', `${escapeLike(f.q!)}%`)]));
  const total = await qb.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const rows = await qb
    .select(['users.id', 'users.username', 'users.display_name', 'users.org_unit_id', 'users.roles', 'users.status', 'users.locked_until', 'users.last_login_at', 'org_units.name as org_unit_name'])
    .orderBy('users.id')
    .limit(f.pageSize)
    .offset((f.page - 1) * f.pageSize)
    .execute();
  return { items: rows.map((r) => ({ ...userOut(r), orgUnitName: r.org_unit_name })), total: Number(total?.n ?? 0), page: f.page, pageSize: f.pageSize };
}

export async function createUser(
  db: Db,
  actor: Actor,
  input: { username: string; displayName: string; password: string; orgUnitId: number; roles: string[]; accountIds?: number[] },
) {
  requirePermission(actor, 'user.write');
  if (!USERNAME_RE.test(input.username ?? '')) throw new ValidationError('username', '3-64 letters, digits or _.@-');
  if (!input.displayName?.trim()) throw new ValidationError('displayName', 'required');
  const why = checkPasswordPolicy(input.password, input.username);
  if (why) throw new ValidationError('password', why);
  const ou = await getOrgUnit(db, input.orgUnitId).catch(() => {
    throw new ValidationError('orgUnitId', 'no such org unit');
  });
  requireScope(actor, ou.path, 'org unit');
  const roles = await checkRoles(db, input.roles);
  if (roles.includes('administrator') && !actor.roles.includes('administrator') && !actor.permissions.has('*')) {
    throw new AppError('FORBIDDEN', 'only an administrator can grant the administrator role', { field: 'roles' });
  }
  const h = await hashPassword(input.password);
  return inTx(db, async (trx) => {
    const dup = await trx.selectFrom('users').select('id').where('username', '=', input.username).executeTakeFirst();
    if (dup) throw new AppError('CONFLICT', `username ${input.username} is taken`, { field: 'username' });
    const row = await trx
      .insertInto('users')
      .values({ username: input.username, display_name: input.displayName.trim(), password_hash: h, org_unit_id: ou.id, roles })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (const accountId of input.accountIds ?? []) {
      await trx.insertInto('customer_logins').values({ user_id: row.id, account_id: accountId }).execute();
    }
    const out = userOut(row);
    await writeAudit(trx, actor, { action: 'user.create', entityType: 'user', entityId: row.id, orgUnitId: ou.id, after: out });
    return out;
  });
}

export async function updateUser(
  db: Db,
  actor: Actor,
  id: number,
  input: { displayName?: string; orgUnitId?: number; roles?: string[]; status?: string; password?: string; unlock?: boolean },
) {
  requirePermission(actor, 'user.write');
  const u = await db.kysely
    .selectFrom('users')
    .innerJoin('org_units', 'org_units.id', 'users.org_unit_id')
    .selectAll('users')
    .select('org_units.path')
    .where('users.id', '=', id)
    .executeTakeFirst();
  if (!u) throw new AppError('NOT_FOUND', `user ${id} not found`);
  requireScope(actor, u.path, 'user');
  const patch: Record<string, unknown> = {};
  if (input.displayName !== undefined) {
    if (!input.displayName.trim()) throw new ValidationError('displayName', 'must not be empty');
    patch.display_name = input.displayName.trim();
  }
  if (input.orgUnitId !== undefined) {
    const ou = await getOrgUnit(db, input.orgUnitId).catch(() => {
      throw new ValidationError('orgUnitId', 'no such org unit');
    });
    requireScope(actor, ou.path, 'target org unit');
    patch.org_unit_id = ou.id;
  }
  if (input.roles !== undefined) patch.roles = await checkRoles(db, input.roles);
  if (input.status !== undefined) {
    if (!['active', 'disabled'].includes(input.status)) throw new ValidationError('status', 'must be active or disabled');
    if (id === actor.userId && input.status === 'disabled') throw new ValidationError('status', 'you cannot disable yourself');
    patch.status = input.status;
  }
  if (input.password !== undefined) {
    const why = checkPasswordPolicy(input.password, u.username);
    if (why) throw new ValidationError('password', why);
    patch.password_hash = await hashPassword(input.password);
    patch.password_changed_at = new Date();
  }
  if (input.unlock) {
    patch.locked_until = null;
    patch.failed_logins = 0;
  }
  if (Object.keys(patch).length === 0) throw new ValidationError('body', 'nothing to change');
  return inTx(db, async (trx) => {
    const row = await trx.updateTable('users').set({ ...patch, updated_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    if (patch.status === 'disabled' || patch.password_hash) await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
    invalidateActorCache();
    const after = userOut(row);
    await writeAudit(trx, actor, {
      action: 'user.update', entityType: 'user', entityId: id, orgUnitId: row.org_unit_id,
      before: userOut(u), after: { ...after, ...(input.password ? { passwordReset: true } : {}) },
    });
    return after;
  });
}

export async function listRoles(db: Db) {
  const rows = await db.kysely.selectFrom('roles').selectAll().orderBy('builtin', 'desc').orderBy('code').execute();
  return rows.map((r) => ({ code: r.code, nameZh: r.name_zh, nameEn: r.name_en, permissions: r.permissions, builtin: r.builtin }));
}

function checkPermissions(p: unknown): string[] {
  if (!Array.isArray(p) || p.some((x) => typeof x !== 'string')) throw new ValidationError('permissions', 'must be a list of permission codes');
  const bad = (p as string[]).filter((x) => !PERMISSION_CODES.has(x));
  if (bad.length) throw new ValidationError('permissions', `unknown permission(s): ${bad.join(', ')}`);
  return [...new Set(p as string[])].sort();
}

export async function createRole(db: Db, actor: Actor, input: { code: string; nameZh: string; nameEn: string; permissions: string[] }) {
  requirePermission(actor, 'role.write');
  if (!/^[a-z][a-z0-9_]{1,39}$/.test(input.code ?? '')) throw new ValidationError('code', '2-40 lower-case letters, digits or _');
  if (!input.nameZh?.trim()) throw new ValidationError('nameZh', 'required');
  if (!input.nameEn?.trim()) throw new ValidationError('nameEn', 'required');
  const permissions = checkPermissions(input.permissions);
  return inTx(db, async (trx) => {
    const dup = await trx.selectFrom('roles').select('code').where('code', '=', input.code).executeTakeFirst();
    if (dup) throw new AppError('CONFLICT', `role ${input.code} exists`, { field: 'code' });
    await trx.insertInto('roles').values({ code: input.code, name_zh: input.nameZh, name_en: input.nameEn, permissions, builtin: false }).execute();
    const out = { code: input.code, nameZh: input.nameZh, nameEn: input.nameEn, permissions, builtin: false };
    await writeAudit(trx, actor, { action: 'role.create', entityType: 'role', entityId: input.code, after: out });
    return out;
  });
}

export async function updateRole(db: Db, actor: Actor, code: string, input: { nameZh?: string; nameEn?: string; permissions?: string[] }) {
  requirePermission(actor, 'role.write');
  const r = await db.kysely.selectFrom('roles').selectAll().where('code', '=', code).executeTakeFirst();
  if (!r) throw new AppError('NOT_FOUND', `role ${code} not found`);
  if (code === 'administrator' && input.permissions) throw new ValidationError('permissions', 'the administrator role always has every permission');
  const patch: Record<string, unknown> = {};
  if (input.nameZh !== undefined) patch.name_zh = input.nameZh;
  if (input.nameEn !== undefined) patch.name_en = input.nameEn;
  if (input.permissions !== undefined) patch.permissions = checkPermissions(input.permissions);
  if (!Object.keys(patch).length) throw new ValidationError('body', 'nothing to change');
  return inTx(db, async (trx) => {
    const row = await trx.updateTable('roles').set({ ...patch, updated_at: new Date() }).where('code', '=', code).returningAll().executeTakeFirstOrThrow();
    invalidateActorCache();
    const out = { code, nameZh: row.name_zh, nameEn: row.name_en, permissions: row.permissions, builtin: row.builtin };
    await writeAudit(trx, actor, { action: 'role.update', entityType: 'role', entityId: code, before: { nameZh: r.name_zh, nameEn: r.name_en, permissions: r.permissions }, after: out });
    return out;
  });
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}
