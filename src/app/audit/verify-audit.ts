/**
 * `voltline audit verify`: walk the whole audit trail in id order in pages and check every
 * chain (migration 20261128T0510: events carry `chain`; ids increase along each chain): every
 * event's prev_hash is the hash of the previous event of its chain and every hash recomputes.
 * Then each chain's end must match its stored head (which catches deletion of the newest rows),
 * and a head without events, or events without a head, is a break. Reports the first broken link.
 */
import type { Db } from '../../db/database.js';
import { auditHash, GENESIS_HASH, type ChainRow, type VerifyResult } from '../../domain/audit/chain.js';

export async function verifyAudit(db: Db, pageSize = 5000): Promise<VerifyResult> {
  // per chain: the hash of its last event seen so far and that event's id
  const last = new Map<number, { hash: string; id: number }>();
  let checked = 0;
  let afterId = 0;
  for (;;) {
    const rows = await db.kysely
      .selectFrom('audit_events')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(pageSize)
      .execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      const chain = Number(r.chain);
      const prev = last.get(chain)?.hash ?? GENESIS_HASH;
      const row: ChainRow = {
        id: r.id,
        occurredAt: new Date(r.occurred_at).toISOString(),
        actorId: r.actor_id,
        actorName: r.actor_name,
        action: r.action,
        entityType: r.entity_type,
        entityId: r.entity_id,
        orgUnitId: r.org_unit_id,
        before: r.before,
        after: r.after,
        requestId: r.request_id,
        prevHash: r.prev_hash,
        hash: r.hash,
      };
      if (row.prevHash !== prev) {
        return { ok: false, checked, firstBrokenId: r.id, reason: `prev_hash does not match the previous event of chain ${chain} (row deleted, inserted or reordered)` };
      }
      if (auditHash(prev, row) !== row.hash) {
        return { ok: false, checked, firstBrokenId: r.id, reason: 'content does not match its hash (row edited)' };
      }
      last.set(chain, { hash: row.hash, id: Number(r.id) });
      checked++;
    }
    afterId = Number(rows[rows.length - 1].id);
  }
  const heads = await db.kysely.selectFrom('audit_chain_head').selectAll().orderBy('id').execute();
  const headOf = new Map(heads.map((h) => [Number(h.id) - 1, h]));
  for (const [chain, h] of headOf) {
    const end = last.get(chain);
    if (!end || h.last_hash !== end.hash) {
      return {
        ok: false,
        checked,
        firstBrokenId: Number(h.last_id),
        reason: `the newest event(s) of chain ${chain} are missing: its head expects event ${h.last_id}, the chain ends at ${end ? end.id : 'nothing'}`,
      };
    }
  }
  for (const [chain, end] of last) {
    if (!headOf.has(chain)) return { ok: false, checked, firstBrokenId: end.id, reason: `chain ${chain} has no head` };
  }
  return { ok: true, checked };
}
