/**
 * Hash chain for the audit trail (tamper evidence). Each event's hash covers its content and
 * the previous event's hash, so editing, deleting or reordering rows breaks the chain.
 *
 * @example
 *   const h1 = auditHash(GENESIS_HASH, e1); const h2 = auditHash(h1, e2);
 *   verifyChain([{...e1, prevHash: GENESIS_HASH, hash: h1}, {...e2, prevHash: h1, hash: h2}]).ok // true
 */
import crypto from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditContent {
  id: number;
  occurredAt: string; // ISO-8601 UTC with milliseconds
  actorId: number | null;
  actorName: string;
  action: string;
  entityType: string;
  entityId: string | null;
  orgUnitId: number | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
}

/** JSON with object keys sorted at every level, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return (
      '{' +
      Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort()
        .map((k) => JSON.stringify(k) + ':' + canonicalJson(o[k]))
        .join(',') +
      '}'
    );
  }
  return JSON.stringify(String(value));
}

export function auditHash(prevHash: string, e: AuditContent): string {
  const payload = canonicalJson({
    id: e.id,
    occurredAt: e.occurredAt,
    actorId: e.actorId,
    actorName: e.actorName,
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId,
    orgUnitId: e.orgUnitId,
    before: e.before ?? null,
    after: e.after ?? null,
    requestId: e.requestId,
  });
  return crypto.createHash('sha256').update(prevHash).update('\n').update(payload).digest('hex');
}

export interface ChainRow extends AuditContent {
  prevHash: string;
  hash: string;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  firstBrokenId?: number;
  reason?: string;
}

/**
 * Verify rows in id order. `start` is the hash expected before the first row (GENESIS for a
 * full check). `head` (the stored chain head) detects deletion of the newest rows.
 */
export function verifyChain(
  rows: Iterable<ChainRow>,
  opts: { start?: string; head?: { lastId: number; lastHash: string } | null; checkedBefore?: number } = {},
): VerifyResult & { lastHash: string; lastId: number | null } {
  let prev = opts.start ?? GENESIS_HASH;
  let checked = opts.checkedBefore ?? 0;
  let lastId: number | null = null;
  for (const r of rows) {
    if (r.prevHash !== prev) {
      return { ok: false, checked, firstBrokenId: r.id, reason: 'prev_hash does not match the previous event (row deleted, inserted or reordered)', lastHash: prev, lastId };
    }
    const h = auditHash(prev, r);
    if (h !== r.hash) {
      return { ok: false, checked, firstBrokenId: r.id, reason: 'content does not match its hash (row edited)', lastHash: prev, lastId };
    }
    prev = r.hash;
    lastId = r.id;
    checked++;
  }
  return { ok: true, checked, lastHash: prev, lastId };
}
