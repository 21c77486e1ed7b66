/**
 * Append one event to the hash-chained audit trail inside the caller's transaction.
 *
 * The trail is several chains (migration 20261128T0510): a connection appends to chain
 * `pg_backend_pid() % AUDIT_CHAINS`, under that chain's transaction-scoped advisory lock, so a
 * chain never forks while up to AUDIT_CHAINS transactions append at once. A transaction always
 * uses its connection's chain, so it never waits for two chain locks (no deadlock). Ids are drawn
 * under the lock, so they increase along each chain; `voltline audit verify` walks the trail in
 * id order and checks every chain's links and head.
 *
 * Three statements: lock (returns the chain), read the head and draw the id, then insert the
 * event and move the head in one statement. Call it as the last statement of a use case to keep
 * the lock short (it is held until commit).
 */
import { sql } from 'kysely';
import type { Actor, Trx } from '../context.js';
import { auditHash, GENESIS_HASH } from '../../domain/audit/chain.js';
import { maskPii } from '../../domain/security/mask.js';
import { PREPARED } from '../../db/database.js';

/** number of chains; chain k uses advisory lock AUDIT_LOCK_BASE + k and head row k + 1 */
export const AUDIT_CHAINS = 8;
const AUDIT_LOCK_BASE = 7_461_331_100;

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

/** The hashed content of one event (what `voltline audit verify` recomputes). */
function auditContent(id: number, occurredAt: string, actor: Actor, e: AuditInput) {
  return {
    id,
    occurredAt,
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
}

export async function writeAudit(trx: Trx, actor: Actor, e: AuditInput, now = new Date()): Promise<number> {
  const locked = await sql<{ k: number }>`select (pg_backend_pid() % ${AUDIT_CHAINS})::int as k, pg_advisory_xact_lock(${AUDIT_LOCK_BASE}::int8 + pg_backend_pid() % ${AUDIT_CHAINS}) as l${PREPARED}`.execute(trx);
  const chain = Number(locked.rows[0].k);
  // a new statement after the lock: its snapshot sees the head as the last holder committed it
  const { rows } = await sql<{ id: string | number; last_hash: string | null }>`select nextval(pg_get_serial_sequence('audit_events', 'id'))::int8 as id,
      (select last_hash from audit_chain_head where id = ${chain + 1}::int) as last_hash${PREPARED}`.execute(trx);
  const id = Number(rows[0].id);
  const prevHash = rows[0].last_hash ?? GENESIS_HASH;
  const content = auditContent(id, now.toISOString(), actor, e);
  const hash = auditHash(prevHash, content);
  const json = (v: unknown) => (v === null ? null : JSON.stringify(v));
  await sql`with e as (
      insert into audit_events (id, occurred_at, actor_id, actor_name, action, entity_type, entity_id, org_unit_id, before, after, request_id, ip, prev_hash, hash, chain)
      values (${id}, ${content.occurredAt}, ${content.actorId}, ${content.actorName}, ${content.action}, ${content.entityType}, ${content.entityId}, ${content.orgUnitId},
              ${json(content.before)}::jsonb, ${json(content.after)}::jsonb, ${content.requestId}, ${actor.ip ?? null}, ${prevHash}, ${hash}, ${chain})
      returning id)
    insert into audit_chain_head (id, last_id, last_hash) select ${chain + 1}::int, e.id, ${hash} from e
    on conflict (id) do update set last_id = excluded.last_id, last_hash = excluded.last_hash${PREPARED}`.execute(trx);
  return id;
}

/**
 * Append several events in one go (group posting): one chain lock, one statement drawing the ids
 * and reading the head, one statement inserting every event and moving the head. The events are
 * chained in the order given, exactly as if written one after another with `writeAudit`.
 */
export async function writeAuditMany(trx: Trx, events: Array<{ actor: Actor; event: AuditInput }>, now = new Date()): Promise<number[]> {
  if (events.length === 0) return [];
  if (events.length === 1) return [await writeAudit(trx, events[0].actor, events[0].event, now)];
  const locked = await sql<{ k: number }>`select (pg_backend_pid() % ${AUDIT_CHAINS})::int as k, pg_advisory_xact_lock(${AUDIT_LOCK_BASE}::int8 + pg_backend_pid() % ${AUDIT_CHAINS}) as l${PREPARED}`.execute(trx);
  const chain = Number(locked.rows[0].k);
  const { rows } = await sql<{ ids: Array<string | number>; last_hash: string | null }>`select array(select nextval(pg_get_serial_sequence('audit_events', 'id'))::int8 from generate_series(1, ${events.length}::int)) as ids,
      (select last_hash from audit_chain_head where id = ${chain + 1}::int) as last_hash${PREPARED}`.execute(trx);
  const ids = rows[0].ids.map(Number).sort((a, b) => a - b);
  let prevHash = rows[0].last_hash ?? GENESIS_HASH;
  const occurredAt = now.toISOString();
  const out: Array<Record<string, unknown>> = [];
  events.forEach(({ actor, event: e }, n) => {
    const content = auditContent(ids[n], occurredAt, actor, e);
    const hash = auditHash(prevHash, content);
    out.push({
      id: content.id, occurred_at: occurredAt, actor_id: content.actorId, actor_name: content.actorName, action: content.action, entity_type: content.entityType,
      entity_id: content.entityId, org_unit_id: content.orgUnitId, before: content.before, after: content.after, request_id: content.requestId, ip: actor.ip ?? null,
      prev_hash: prevHash, hash, chain,
    });
    prevHash = hash;
  });
  await sql`with e as (
      insert into audit_events (id, occurred_at, actor_id, actor_name, action, entity_type, entity_id, org_unit_id, before, after, request_id, ip, prev_hash, hash, chain)
      select id, occurred_at, actor_id, actor_name, action, entity_type, entity_id, org_unit_id, before, after, request_id, ip, prev_hash, hash, chain
        from jsonb_to_recordset(${JSON.stringify(out)}::jsonb) as x(id int8, occurred_at timestamptz, actor_id int8, actor_name text, action text, entity_type text, entity_id text,
             org_unit_id int8, before jsonb, after jsonb, request_id text, ip text, prev_hash text, hash text, chain int)
      returning id)
    insert into audit_chain_head (id, last_id, last_hash) select ${chain + 1}::int, (select max(id) from e), ${prevHash}
    on conflict (id) do update set last_id = excluded.last_id, last_hash = excluded.last_hash${PREPARED}`.execute(trx);
  return ids;
}
