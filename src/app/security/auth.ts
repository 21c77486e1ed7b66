/**
 * Login, sessions, API tokens. Passwords: argon2id. Sessions: random 256-bit token in an
 * HTTP-only cookie; only its SHA-256 is stored. Lockout after N failures; per-IP rate limit.
 */
import crypto from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { permissionsOf } from '../../domain/security/permissions.js';
import { checkPasswordPolicy } from '../../domain/security/password.js';
import { inTx, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';

const ARGON2ID = 2; // Algorithm.Argon2id (const enum in the typings)

export async function hashPassword(pw: string): Promise<string> {
  return argonHash(pw, { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 });
}

export const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const newToken = () => crypto.randomBytes(32).toString('base64url');

export interface AuthPolicy {
  sessionTtlMinutes: number;
  loginMaxFailures: number;
  loginLockMinutes: number;
  /** login attempts per IP per minute */
  ipAttemptsPerMinute?: number;
}

export interface PublicUser {
  id: number;
  username: string;
  displayName: string;
  roles: string[];
  permissions: string[];
  orgUnit: { id: number; name: string; path: string };
  accountIds?: number[];
}

/** Build the acting user for a user id (roles -> permissions, org path, customer accounts). */
export async function loadActor(db: Db, userId: number): Promise<Actor | null> {
  const u = await db.kysely
    .selectFrom('users')
    .innerJoin('org_units', 'org_units.id', 'users.org_unit_id')
    .select(['users.id', 'users.username', 'users.display_name', 'users.roles', 'users.status', 'users.org_unit_id', 'org_units.path'])
    .where('users.id', '=', userId)
    .executeTakeFirst();
  if (!u || u.status !== 'active') return null;
  const roles = await db.kysely.selectFrom('roles').select(['code', 'permissions']).where('code', 'in', u.roles.length ? u.roles : ['-']).execute();
  const actor: Actor = {
    userId: u.id,
    username: u.username,
    displayName: u.display_name,
    orgUnitId: u.org_unit_id,
    orgPath: u.path,
    roles: u.roles,
    permissions: new Set(permissionsOf(u.roles, roles)),
  };
  if (u.roles.includes('customer')) {
    const links = await sql<{ account_id: number }>`select account_id from customer_logins where user_id = ${u.id}`.execute(db.kysely);
    actor.accountIds = links.rows.map((r) => r.account_id);
  }
  return actor;
}

export async function publicUser(db: Db, actor: Actor): Promise<PublicUser> {
  const ou = await db.kysely.selectFrom('org_units').select(['id', 'name', 'path']).where('id', '=', actor.orgUnitId ?? -1).executeTakeFirst();
  return {
    id: actor.userId ?? 0,
    username: actor.username,
    displayName: actor.displayName,
    roles: actor.roles,
    permissions: [...actor.permissions].sort(),
    orgUnit: ou ?? { id: 0, name: '', path: '' },
    ...(actor.accountIds ? { accountIds: actor.accountIds } : {}),
  };
}

export async function login(
  db: Db,
  policy: AuthPolicy,
  input: { username: string; password: string; ip?: string; userAgent?: string; requestId?: string },
  now = new Date(),
): Promise<{ token: string; actor: Actor; expiresAt: Date }> {
  if (typeof input.username !== 'string' || !input.username) throw new ValidationError('username', 'required');
  if (typeof input.password !== 'string' || !input.password) throw new ValidationError('password', 'required');
  const perMinute = policy.ipAttemptsPerMinute ?? 30;
  if (input.ip) {
    const recent = await db.kysely
      .selectFrom('login_attempts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('ip', '=', input.ip)
      .where('ok', '=', false)
      .where('at', '>', new Date(now.getTime() - 60_000))
      .executeTakeFirst();
    if (Number(recent?.n ?? 0) >= perMinute) throw new AppError('RATE_LIMITED', 'too many login attempts from this address; wait a minute');
  }
  const user = await db.kysely.selectFrom('users').selectAll().where('username', '=', input.username).executeTakeFirst();
  const fail = async (msg: string, lock = false) => {
    await inTx(db, async (trx) => {
      await trx.insertInto('login_attempts').values({ username: input.username, ip: input.ip ?? null, ok: false }).execute();
      if (user) {
        const failures = user.failed_logins + 1;
        const lockNow = failures >= policy.loginMaxFailures;
        await trx
          .updateTable('users')
          .set({
            failed_logins: lockNow ? 0 : failures,
            locked_until: lockNow ? new Date(now.getTime() + policy.loginLockMinutes * 60_000) : user.locked_until,
          })
          .where('id', '=', user.id)
          .execute();
        if (lockNow) {
          await writeAudit(trx, { ...systemFor(input), userId: user.id, username: user.username }, {
            action: 'user.locked', entityType: 'user', entityId: user.id, orgUnitId: user.org_unit_id,
            after: { lockedMinutes: policy.loginLockMinutes, failures },
          }, now);
        }
      }
    });
    throw new AppError(lock ? 'LOCKED' : 'UNAUTHENTICATED', msg);
  };
  if (!user) return fail('wrong username or password');
  if (user.locked_until && user.locked_until > now) {
    throw new AppError('LOCKED', `account locked until ${user.locked_until.toISOString()} after too many failed logins`, {
      lockedUntil: user.locked_until.toISOString(),
    });
  }
  if (user.status !== 'active') return fail('user is disabled');
  const ok = await argonVerify(user.password_hash, input.password).catch(() => false);
  if (!ok) return fail('wrong username or password');

  const token = newToken();
  const expiresAt = new Date(now.getTime() + policy.sessionTtlMinutes * 60_000);
  await inTx(db, async (trx) => {
    await trx.insertInto('login_attempts').values({ username: input.username, ip: input.ip ?? null, ok: true }).execute();
    await trx.updateTable('users').set({ failed_logins: 0, locked_until: null, last_login_at: now }).where('id', '=', user.id).execute();
    await trx
      .insertInto('sessions')
      .values({ id: sha256(token), user_id: user.id, expires_at: expiresAt, ip: input.ip ?? null, user_agent: input.userAgent?.slice(0, 200) ?? null })
      .execute();
    await writeAudit(trx, { ...systemFor(input), userId: user.id, username: user.username }, {
      action: 'session.login', entityType: 'user', entityId: user.id, orgUnitId: user.org_unit_id,
    }, now);
  });
  const actor = await loadActor(db, user.id);
  if (!actor) throw new AppError('UNAUTHENTICATED', 'user is disabled');
  return { token, actor, expiresAt };
}

function systemFor(input: { ip?: string; requestId?: string }): Actor {
  return { userId: null, username: 'system', displayName: '系统', orgUnitId: null, orgPath: '', roles: [], permissions: new Set(), ip: input.ip, requestId: input.requestId };
}

/**
 * Resolved sessions are cached for a few seconds per process (3 queries saved per request).
 * Logout, user edits and password changes clear the cache of this process; other processes
 * see such a change within ACTOR_CACHE_MS.
 */
const ACTOR_CACHE_MS = 5_000;
const actorCache = new Map<string, { actor: Actor; until: number; expiresAt: number }>();
export function invalidateActorCache(): void {
  actorCache.clear();
}

export async function actorFromSession(db: Db, token: string, now = new Date()): Promise<Actor | null> {
  const id = sha256(token);
  const hit = actorCache.get(id);
  if (hit && hit.until > now.getTime() && hit.expiresAt > now.getTime()) return hit.actor;
  const s = await db.kysely.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!s || s.expires_at <= now) {
    actorCache.delete(id);
    return null;
  }
  if (now.getTime() - s.last_seen_at.getTime() > 60_000) {
    await db.kysely.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', s.id).execute();
  }
  const actor = await loadActor(db, s.user_id);
  if (actor) {
    if (actorCache.size > 10_000) actorCache.clear();
    actorCache.set(id, { actor, until: now.getTime() + ACTOR_CACHE_MS, expiresAt: s.expires_at.getTime() });
  }
  return actor;
}

export async function actorFromApiToken(db: Db, token: string, now = new Date()): Promise<Actor | null> {
  const t = await db.kysely.selectFrom('api_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst();
  if (!t || t.revoked_at || (t.expires_at && t.expires_at <= now)) return null;
  if (!t.last_used_at || now.getTime() - t.last_used_at.getTime() > 60_000) {
    await db.kysely.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', t.id).execute();
  }
  return loadActor(db, t.user_id);
}

export async function logout(db: Db, actor: Actor, token: string): Promise<void> {
  actorCache.delete(sha256(token));
  await inTx(db, async (trx) => {
    await trx.deleteFrom('sessions').where('id', '=', sha256(token)).execute();
    await writeAudit(trx, actor, { action: 'session.logout', entityType: 'user', entityId: actor.userId, orgUnitId: actor.orgUnitId });
  });
}

export async function changePassword(db: Db, actor: Actor, current: string, next: string): Promise<void> {
  if (!actor.userId) throw new AppError('UNAUTHENTICATED', 'login required');
  const u = await db.kysely.selectFrom('users').selectAll().where('id', '=', actor.userId).executeTakeFirstOrThrow();
  if (!(await argonVerify(u.password_hash, current ?? '').catch(() => false))) throw new ValidationError('currentPassword', 'is wrong');
  const why = checkPasswordPolicy(next, u.username);
  if (why) throw new ValidationError('newPassword', why);
  const h = await hashPassword(next);
  await inTx(db, async (trx) => {
    await trx.updateTable('users').set({ password_hash: h, password_changed_at: new Date(), updated_at: new Date() }).where('id', '=', u.id).execute();
    invalidateActorCache();
    await writeAudit(trx, actor, { action: 'user.password_changed', entityType: 'user', entityId: u.id, orgUnitId: u.org_unit_id });
  });
}

export async function createApiToken(db: Db, actor: Actor, name: string, expiresInDays?: number): Promise<{ id: number; token: string }> {
  if (!actor.userId) throw new AppError('UNAUTHENTICATED', 'login required');
  if (typeof name !== 'string' || name.trim().length < 1 || name.length > 100) throw new ValidationError('name', 'must be 1-100 characters');
  if (expiresInDays !== undefined && (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > 3650)) {
    throw new ValidationError('expiresInDays', 'must be an integer 1-3650');
  }
  const token = 'vlt_' + newToken();
  return inTx(db, async (trx) => {
    const row = await trx
      .insertInto('api_tokens')
      .values({
        user_id: actor.userId!, name: name.trim(), token_hash: sha256(token),
        expires_at: expiresInDays ? new Date(Date.now() + expiresInDays * 86_400_000) : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'api_token.create', entityType: 'api_token', entityId: row.id, after: { name } });
    return { id: row.id, token };
  });
}

export async function listApiTokens(db: Db, actor: Actor) {
  return db.kysely
    .selectFrom('api_tokens')
    .select(['id', 'name', 'created_at as createdAt', 'expires_at as expiresAt', 'revoked_at as revokedAt', 'last_used_at as lastUsedAt'])
    .where('user_id', '=', actor.userId ?? -1)
    .orderBy('id')
    .execute();
}

export async function revokeApiToken(db: Db, actor: Actor, id: number): Promise<void> {
  await inTx(db, async (trx) => {
    const r = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: new Date() })
      .where('id', '=', id)
      .where('user_id', '=', actor.userId ?? -1)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!r.numUpdatedRows) throw new AppError('NOT_FOUND', `api token ${id} not found`);
    await writeAudit(trx, actor, { action: 'api_token.revoke', entityType: 'api_token', entityId: id });
  });
}
