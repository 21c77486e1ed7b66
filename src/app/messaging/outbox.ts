/**
 * Message outbox (短信外发): messages are enqueued in the transaction of the business change
 * (a service-request step, later payment reminders), so a message exists exactly when the change
 * committed. `sendDueMessages` (CLI `voltline send-messages`) delivers the due ones through a
 * sender, retrying with exponential backoff until the gateway acknowledges; every message has
 * its delivery status (pending → sending → sent, or failed after the last attempt / a refusal).
 *
 * Generic API: recipient phone, template code, params, Chinese text (English optional), and the
 * source (e.g. service_request 42) for tracing.
 */
import { sql, type Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-messaging.js';
import type { MessageOutboxTable } from '../../db/schema-messaging.js';
import { ValidationError } from '../../domain/errors.js';
import { can, inTx, requirePermission, SYSTEM_ACTOR, type Actor, type Q, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { normalizeMobile, type MessageSender, type OutboundMessage } from './sender.js';

export interface EnqueueInput {
  recipientPhone: string;
  templateCode: string;
  params?: Record<string, unknown>;
  textZh: string;
  textEn?: string | null;
  sourceType?: string | null;
  sourceId?: string | number | null;
  notificationId?: number | null;
  /** first attempt not before (default now) */
  notBefore?: Date;
}

/** Enqueue one message in the caller's transaction. Refuses a recipient that is not a mobile number. */
export async function enqueueMessage(q: Q, m: EnqueueInput): Promise<{ id: number }> {
  const to = normalizeMobile(m.recipientPhone);
  if (!to) throw new ValidationError('recipientPhone', 'must be a mainland mobile number (11 digits starting with 1)');
  if (!/^[a-z][a-z0-9_.-]{1,63}$/.test(m.templateCode)) throw new ValidationError('templateCode', 'lower-case code of 2..64 characters, e.g. service_request.completed');
  if (typeof m.textZh !== 'string' || !m.textZh.trim()) throw new ValidationError('textZh', 'required');
  if (m.textZh.length > 500) throw new ValidationError('textZh', 'at most 500 characters');
  const r = await q.insertInto('message_outbox').values({
    recipient_phone: to, template_code: m.templateCode, params: JSON.stringify(m.params ?? {}), text_zh: m.textZh, text_en: m.textEn ?? null,
    source_type: m.sourceType ?? null, source_id: m.sourceId === undefined || m.sourceId === null ? null : String(m.sourceId),
    notification_id: m.notificationId ?? null, ...(m.notBefore ? { next_attempt_at: m.notBefore } : {}),
  }).returning('id').executeTakeFirstOrThrow();
  return { id: Number(r.id) };
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** a claimed message whose sender did not report back within this is claimable again */
  leaseMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 30_000, maxDelayMs: 3_600_000, leaseMs: 120_000 };

/** Delay before attempt n+1 after n failed attempts: base × 2^(n−1), capped. */
export function backoffMs(failedAttempts: number, p: RetryPolicy = DEFAULT_RETRY): number {
  return Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
}

type Row = Selectable<MessageOutboxTable>;

export function messageOut(r: Row) {
  return {
    id: r.id, channel: r.channel, recipientPhone: r.recipient_phone, templateCode: r.template_code, params: r.params, textZh: r.text_zh, textEn: r.text_en,
    sourceType: r.source_type, sourceId: r.source_id, notificationId: r.notification_id, status: r.status, attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at, lastError: r.last_error, gatewayMessageId: r.gateway_message_id, createdAt: r.created_at, sentAt: r.sent_at,
  };
}

export interface DrainOptions extends Partial<RetryPolicy> {
  /** the dispatcher's clock (tests move it forward to reach a retry) */
  now?: () => Date;
  batchSize?: number;
  /** stop after this many messages (default: all due) */
  limit?: number;
}

export interface DrainStats {
  sender: string;
  attempted: number;
  sent: number;
  retrying: number;
  failed: number;
  errors: Array<{ id: number; attempt: number; error: string; retryAt: string | null }>;
}

/**
 * Deliver the messages due now, once: each due message gets one attempt in this call; a
 * retryable failure is rescheduled with backoff (a later call retries it), a permanent failure
 * or the last attempt marks it failed. Several dispatchers may run at once (claims use
 * FOR UPDATE SKIP LOCKED and a lease). One audit event per call that attempted anything.
 */
export async function sendDueMessages(db: Db, sender: MessageSender, opts: DrainOptions = {}): Promise<DrainStats> {
  const p: RetryPolicy = { ...DEFAULT_RETRY, ...Object.fromEntries(Object.entries(opts).filter(([k, v]) => k in DEFAULT_RETRY && v !== undefined)) } as RetryPolicy;
  const clock = opts.now ?? (() => new Date());
  const batch = opts.batchSize ?? 50;
  const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
  const stats: DrainStats = { sender: sender.name, attempted: 0, sent: 0, retrying: 0, failed: 0, errors: [] };
  const started = clock();
  let lastId = 0;
  while (stats.attempted < limit) {
    const now = clock();
    const leaseUntil = new Date(now.getTime() + p.leaseMs);
    // claim: due pending messages, or stale claims; ids ascending past the ones done in this call
    const claimed = await inTx(db, async (trx) => (await sql<Row>`
      update message_outbox m set status = 'sending', attempts = m.attempts + 1, lease_until = ${leaseUntil}, updated_at = ${now}
       where m.id in (
         select id from message_outbox
          where id > ${lastId}
            and ((status = 'pending' and next_attempt_at <= ${started}) or (status = 'sending' and lease_until < ${now}))
          order by id limit ${Math.min(batch, limit - stats.attempted)}
          for update skip locked)
      returning m.*`.execute(trx)).rows);
    if (!claimed.length) break;
    claimed.sort((a, b) => a.id - b.id);
    for (const m of claimed) {
      lastId = Math.max(lastId, Number(m.id));
      const msg: OutboundMessage = { id: Number(m.id), channel: 'sms', to: m.recipient_phone, templateCode: m.template_code, params: (m.params ?? {}) as Record<string, unknown>, textZh: m.text_zh, textEn: m.text_en };
      let res;
      try {
        res = await sender.send(msg);
      } catch (e) {
        res = { ok: false as const, retryable: true, error: `sender error: ${(e as Error).message}` };
      }
      stats.attempted++;
      const at = clock();
      if (res.ok) {
        await db.kysely.updateTable('message_outbox').set({ status: 'sent', sent_at: at, gateway_message_id: res.gatewayMessageId, lease_until: null, last_error: null, updated_at: at })
          .where('id', '=', m.id).where('status', '=', 'sending').execute();
        stats.sent++;
        continue;
      }
      const last = !res.retryable || m.attempts >= p.maxAttempts;
      const retryAt = last ? null : new Date(at.getTime() + backoffMs(m.attempts, p));
      await db.kysely.updateTable('message_outbox').set({
        status: last ? 'failed' : 'pending', last_error: res.error.slice(0, 500), lease_until: null, updated_at: at, ...(retryAt ? { next_attempt_at: retryAt } : {}),
      }).where('id', '=', m.id).where('status', '=', 'sending').execute();
      if (last) stats.failed++;
      else stats.retrying++;
      stats.errors.push({ id: Number(m.id), attempt: m.attempts, error: res.error, retryAt: retryAt?.toISOString() ?? null });
    }
  }
  if (stats.attempted) {
    await inTx(db, (trx) => writeAudit(trx, SYSTEM_ACTOR, { action: 'messages.send', entityType: 'message_outbox', entityId: String(lastId), after: { ...stats, errors: stats.errors.slice(0, 20) } }));
  }
  return stats;
}

const READ = ['request.handle', 'stats.read', 'role.write'];

/** Outbox listing for operations (filter status / source). */
export async function listMessages(db: Db, actor: Actor, f: { status?: string; sourceType?: string; sourceId?: string; page: number; pageSize: number }) {
  if (!READ.some((x) => can(actor, x))) requirePermission(actor, 'role.write');
  let qb = db.kysely.selectFrom('message_outbox').selectAll();
  if (f.status) qb = qb.where('status', '=', f.status as never);
  if (f.sourceType) qb = qb.where('source_type', '=', f.sourceType);
  if (f.sourceId) qb = qb.where('source_id', '=', f.sourceId);
  const rows = await qb.orderBy('id', 'desc').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  return { items: rows.map(messageOut), page: f.page, pageSize: f.pageSize };
}

/** Counts per status (operations dashboard, CLI). */
export async function outboxSummary(q: Q) {
  const rows = await q.selectFrom('message_outbox').select(['status', sql<number>`count(*)::int`.as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
}

export type { Trx };
