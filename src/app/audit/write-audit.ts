/**
 * Append one event to the hash-chained audit trail inside the caller's transaction.
 * A transaction-scoped advisory lock serialises writers so the chain never forks; call it as
 * the last statement of a use case to keep the lock short.
 */
import { sql } from 'kysely';
import type { Actor, Trx } from '../context.js';
import { auditHash, GENESIS_HASH } from '../../domain/audit/chain.js';
import { maskPii } from '../../domain/security/mask.js';

const AUDIT_LOCK = 7_461_331_002;

export interface AuditInput {
  action: string;
  entityType: string;
  entityId?: string | number | null;
  orgUnitId?: number | null;
  before?: unknown;
  after?: unknown;
}

function plain(v: unknown): unknown {
  return v === undefined ? null : JSON.parse(JSON.stringify(maskPii(v)));
}

export async function writeAudit(trx: Trx, actor: Actor, e: AuditInput, now = new Date()): Promise<number> {
  await sql`select pg_advisory_xact_lock(${AUDIT_LOCK})`.execute(trx);
  const head = await trx.selectFrom('audit_chain_head').select(['last_hash']).where('id', '=', 1).executeTakeFirst();
  const prevHash = head?.last_hash ?? GENESIS_HASH;
  const { rows } = await sql<{ id: number }>`select nextval(pg_get_serial_sequence('audit_events', 'id'))::int8 as id`.execute(trx);
  const id = rows[0].id;
  const content = {
    id,
    occurredAt: now.toISOString(),
    actorId: actor.userId,
    actorName: actor.username,
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId === undefined || e.entityId === null ? null : String(e.entityId),
    orgUnitId: e.orgUnitId ?? null,
    before: plain(e.before),
    after: plain(e.after),
    requestId: actor.requestId ?? null,
  };
  const hash = auditHash(prevHash, content);
  await trx
    .insertInto('audit_events')
    .values({
      id,
      occurred_at: content.occurredAt,
      actor_id: content.actorId,
      actor_name: content.actorName,
      action: content.action,
      entity_type: content.entityType,
      entity_id: content.entityId,
      org_unit_id: content.orgUnitId,
      before: content.before === null ? null : JSON.stringify(content.before),
      after: content.after === null ? null : JSON.stringify(content.after),
      request_id: content.requestId,
      ip: actor.ip ?? null,
      prev_hash: prevHash,
      hash,
    } as never)
    .execute();
  await sql`insert into audit_chain_head (id, last_id, last_hash) values (1, ${id}, ${hash})
            on conflict (id) do update set last_id = excluded.last_id, last_hash = excluded.last_hash`.execute(trx);
  return id;
}
