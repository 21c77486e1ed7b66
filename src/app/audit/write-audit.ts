/**
 * Append one event to the hash-chained audit trail inside the caller's transaction.
 *
 * The trail is several chains (migration 20261128T0510): a transaction appends to one chain,
 * under that chain's transaction-scoped advisory lock, so a chain never forks while up to
 * AUDIT_CHAINS transactions append at once. The chain is a free one, starting with the
 * connection's own (`pg_backend_pid() % AUDIT_CHAINS`), and the same one for the rest of the
 * transaction (migration 20261129T0800), so a transaction never holds two chain locks (no
 * deadlock) and two connections with the same own chain do not queue while others are idle.
 * Ids are drawn under the lock, so they increase along each chain; `voltline audit verify` walks the trail in
 * id order and checks every chain's links and head.
 *
 * Two statements: `audit_claim` (a VOLATILE function: it takes the lock, then reads the head with
 * a snapshot taken after the lock was granted, and draws the ids), then insert the events and
 * move the head in one statement. Call it near the end of a use case to keep the lock short (it
 * is held until commit).
 */
import { sql, type RawBuilder } from 'kysely';
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

/** What `audit_claim` returns: the chain (its lock is held), its head, and the event ids drawn under the lock. */
export interface AuditClaim {
  chain: number;
  last_hash: string | null;
  ids: Array<number | string>;
}

/**
 * SQL expression claiming `n` event ids on a free chain, the same one for the rest of the
 * transaction (migrations 20261129T0700, 0800): lock, head and ids in one round trip. `after` (optional) is evaluated first, so a statement can
 * take its other row locks before the chain lock. Evaluates to json ({@link AuditClaim}).
 */
export function auditClaimSql(n: number, after?: RawBuilder<unknown>) {
  return sql<AuditClaim>`audit_claim(${AUDIT_LOCK_BASE}::int8, ${AUDIT_CHAINS}::int, ${n}::int${after ? sql`, (${after})::int8` : sql``})`;
}

/** Rows for `audit_events` chained from the claim's head, in the order given, and the new head. */
export function chainAuditRows(claim: AuditClaim, events: Array<{ actor: Actor; event: AuditInput }>, now: Date) {
  const ids = claim.ids.map(Number).sort((a, b) => a - b);
  if (ids.length < events.length) throw new Error(`audit claim has ${ids.length} ids for ${events.length} events`);
  let prevHash = claim.last_hash ?? GENESIS_HASH;
  const occurredAt = now.toISOString();
  const rows: Array<Record<string, unknown>> = [];
  events.forEach(({ actor, event: e }, n) => {
    const content = auditContent(ids[n], occurredAt, actor, e);
    const hash = auditHash(prevHash, content);
    rows.push({
      id: content.id, occurred_at: occurredAt, actor_id: content.actorId, actor_name: content.actorName, action: content.action, entity_type: content.entityType,
      entity_id: content.entityId, org_unit_id: content.orgUnitId, before: content.before, after: content.after, request_id: content.requestId, ip: actor.ip ?? null,
      prev_hash: prevHash, hash, chain: claim.chain,
    });
    prevHash = hash;
  });
  return { rows, ids: ids.slice(0, events.length), chain: claim.chain, head: prevHash };
}

/**
 * Two data-modifying CTEs, `ae` (the events from {@link chainAuditRows}) and `ah` (the chain head
 * moved to the last one), for a statement's WITH list: `with ${auditCtes(x)} select ...` or
 * `with ..., ${auditCtes(x)} select ...` (PostgreSQL allows data-modifying WITH only at the top).
 */
export function auditCtes(x: ReturnType<typeof chainAuditRows>) {
  return sql`ae as (
      insert into audit_events (id, occurred_at, actor_id, actor_name, action, entity_type, entity_id, org_unit_id, before, after, request_id, ip, prev_hash, hash, chain)
      select id, occurred_at, actor_id, actor_name, action, entity_type, entity_id, org_unit_id, before, after, request_id, ip, prev_hash, hash, chain
        from jsonb_to_recordset(${JSON.stringify(x.rows)}::jsonb) as x(id int8, occurred_at timestamptz, actor_id int8, actor_name text, action text, entity_type text, entity_id text,
             org_unit_id int8, before jsonb, after jsonb, request_id text, ip text, prev_hash text, hash text, chain int)
      returning id),
    ah as (
      insert into audit_chain_head (id, last_id, last_hash) select ${x.chain + 1}::int, (select max(id) from ae), ${x.head}
      on conflict (id) do update set last_id = excluded.last_id, last_hash = excluded.last_hash returning id)`;
}

async function claim(trx: Trx, n: number): Promise<AuditClaim> {
  const { rows } = await sql<{ c: AuditClaim }>`select ${auditClaimSql(n)} as c${PREPARED}`.execute(trx);
  return rows[0].c;
}

export async function writeAudit(trx: Trx, actor: Actor, e: AuditInput, now = new Date()): Promise<number> {
  return (await writeAuditMany(trx, [{ actor, event: e }], now))[0];
}

/**
 * Append several events in one go (group posting): one claim (chain lock, head, ids) and one
 * statement inserting every event and moving the head. The events are chained in the order
 * given, exactly as if written one after another with `writeAudit`.
 */
export async function writeAuditMany(trx: Trx, events: Array<{ actor: Actor; event: AuditInput }>, now = new Date()): Promise<number[]> {
  if (events.length === 0) return [];
  const x = chainAuditRows(await claim(trx, events.length), events, now);
  await sql`with ${auditCtes(x)} select (select count(*) from ae) as n, (select count(*) from ah) as h${PREPARED}`.execute(trx);
  return x.ids;
}
