/**
 * What every use case receives: the database and the acting user. Use cases open their own
 * transaction with `inTx`, check permission and data scope, and write their audit event with
 * `writeAudit` in the same transaction.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { AppError, ValidationError } from '../domain/errors.js';

export interface Actor {
  userId: number | null;
  username: string;
  displayName: string;
  orgUnitId: number | null;
  /** materialised path of the user's org unit, e.g. '/1/3/'; '' = everything (system) */
  orgPath: string;
  roles: string[];
  permissions: Set<string>;
  /** for the customer role: the accounts this login may see */
  accountIds?: number[];
  requestId?: string;
  ip?: string;
}

export const SYSTEM_ACTOR: Actor = {
  userId: null,
  username: 'system',
  displayName: '系统',
  orgUnitId: null,
  orgPath: '',
  roles: ['administrator'],
  permissions: new Set(['*']),
};

export interface Ctx {
  db: Db;
  actor: Actor;
  now?: () => Date;
}

export type Trx = Transaction<DB>;
export type Q = Kysely<DB> | Transaction<DB>;

export function inTx<T>(db: Db, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return db.kysely.transaction().execute(fn);
}

export function can(actor: Actor, permission: string): boolean {
  return actor.permissions.has('*') || actor.permissions.has(permission);
}

export function requirePermission(actor: Actor, permission: string): void {
  if (!can(actor, permission)) {
    throw new AppError('FORBIDDEN', `permission ${permission} required`, { permission });
  }
}

/** True when an org unit path lies inside the actor's data scope (subtree of their unit). */
export function inScope(actor: Actor, orgPath: string): boolean {
  return actor.orgPath === '' || orgPath.startsWith(actor.orgPath);
}

export function requireScope(actor: Actor, orgPath: string, what = 'entity'): void {
  if (!inScope(actor, orgPath)) {
    throw new AppError('OUT_OF_SCOPE', `${what} is outside your data scope`, { scope: actor.orgPath });
  }
}

/** A reason for a reviewed action (edit, hold, send back …): trimmed, at most 500 characters; null when optional and blank. */
export function checkReason(reason: unknown, required: boolean): string | null {
  if (typeof reason === 'string' && reason.trim()) {
    if (reason.length > 500) throw new ValidationError('reason', 'at most 500 characters');
    return reason.trim();
  }
  if (required) throw new ValidationError('reason', 'required');
  return null;
}
