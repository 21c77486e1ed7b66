/**
 * `voltline audit verify`: walk the whole audit trail in id order in pages, recompute every
 * hash and check every link, then compare the end with the stored chain head (which catches
 * deletion of the newest rows). Reports the first broken link.
 */
import type { Db } from '../../db/database.js';
import { GENESIS_HASH, verifyChain, type ChainRow, type VerifyResult } from '../../domain/audit/chain.js';

export async function verifyAudit(db: Db, pageSize = 5000): Promise<VerifyResult> {
  let prev = GENESIS_HASH;
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
    const chain: ChainRow[] = rows.map((r) => ({
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
    }));
    const res = verifyChain(chain, { start: prev, checkedBefore: checked });
    if (!res.ok) return { ok: false, checked: res.checked, firstBrokenId: res.firstBrokenId, reason: res.reason };
    prev = res.lastHash;
    checked = res.checked;
    afterId = rows[rows.length - 1].id;
  }
  const head = await db.kysely.selectFrom('audit_chain_head').selectAll().where('id', '=', 1).executeTakeFirst();
  if (head && head.last_hash !== prev) {
    return {
      ok: false,
      checked,
      firstBrokenId: head.last_id,
      reason: `the newest event(s) are missing: the chain head expects event ${head.last_id}, the trail ends at ${afterId || 'nothing'}`,
    };
  }
  if (!head && checked > 0) return { ok: false, checked, reason: 'chain head missing' };
  return { ok: true, checked };
}
