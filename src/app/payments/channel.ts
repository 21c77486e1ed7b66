/**
 * Collection channels (代收): banks and payment platforms call the signed API
 * (/api/v1/channel/*). Authentication per request: channel code, timestamp (±300 s), nonce (not
 * seen before within its lifetime), HMAC-SHA256 signature over method, path, timestamp, nonce
 * and the body's SHA-256, checked in constant time against the current secret and, during a
 * rotation, the previous one. Payments are idempotent per (channel, idempotency key): a retry
 * (the bank re-sending its notification until acknowledged) returns the original result.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import { AppError, ValidationError, type ErrorCode } from '../../domain/errors.js';
import {
  checkCurrency, checkTimestamp, fen2, MAX_SKEW_SECONDS, newChannelSecret, parsePaymentAmount, shanghaiDate, verifySignature,
} from '../../domain/payments/index.js';
import { inTx, requirePermission, SYSTEM_ACTOR, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { findAccount } from './accounts.js';
import { amountDue } from './ledger.js';
import { postPayment, reversePayment } from './post-payment.js';
import { PREPARED } from '../../db/database.js';

/** Error of the channel API with its own stable code (the HTTP status follows `base`). */
export class ChannelError extends AppError {
  constructor(readonly channelCode: string, base: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(base, message, details);
    this.name = 'ChannelError';
  }
}

export interface ChannelRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
}

function header(h: ChannelRequest['headers'], name: string): string {
  const v = h[name];
  return Array.isArray(v) ? v[0] ?? '' : v ?? '';
}

/** The actor a channel acts as (audit trail shows channel:<code>). */
export function channelActor(code: string, ip?: string, requestId?: string): Actor {
  return { ...SYSTEM_ACTOR, username: `channel:${code}`, displayName: `代收渠道 ${code}`, ip, requestId };
}

type ChannelRow = { code: string; enabled: boolean; secret_current: string; secret_previous: string | null; previous_valid_until: Date | null };
/**
 * Channel rows cached per database handle for CHANNEL_CACHE_MS: a signed request costs no query
 * for its channel. A change made through this process (create, rotate, enable/disable) drops the
 * entry at once; another server process sees it within CHANNEL_CACHE_MS.
 */
export const CHANNEL_CACHE_MS = 1000;
const channelCache = new WeakMap<Db, Map<string, { row: Promise<ChannelRow | null>; at: number }>>();
function channelRow(db: Db, code: string): Promise<ChannelRow | null> {
  let m = channelCache.get(db);
  if (!m) channelCache.set(db, (m = new Map()));
  const cache = m;
  const hit = cache.get(code);
  const t = Date.now();
  if (hit && t - hit.at < CHANNEL_CACHE_MS) return hit.row;
  // one query per expiry, however many requests arrive while it runs (it was one query per
  // request until the first answer came back: ~40 a second at 2,000 payments/s). A change
  // (forgetChannel) drops the entry, so a query started before it is not cached after it.
  const entry = {
    row: db.kysely.selectFrom('payment_channels').select(['code', 'enabled', 'secret_current', 'secret_previous', 'previous_valid_until'])
      .where('code', '=', code).modifyEnd(PREPARED).executeTakeFirst().then((ch) => ch ?? null),
    at: t,
  };
  cache.set(code, entry);
  entry.row.catch(() => {
    if (cache.get(code) === entry) cache.delete(code);
  });
  return entry.row;
}
/** Drop a cached channel row (after a change to it). */
export function forgetChannel(db: Db, code: string): void {
  channelCache.get(db)?.delete(code);
}

/** A verified request's channel and the nonce still to be consumed. */
export interface VerifiedChannelRequest {
  code: string;
  nonce: string;
  nonceExpires: Date;
}

/**
 * Check a signed channel request: channel known and enabled, timestamp within the skew, nonce
 * well-formed, signature right (constant time; the previous secret during a rotation). Does not
 * consume the nonce: `consumeNonce` does, alone or inside group posting's transaction.
 */
export async function verifyChannelRequest(db: Db, req: ChannelRequest, now = Date.now()): Promise<VerifiedChannelRequest> {
  const code = header(req.headers, 'x-channel-code');
  const ts = header(req.headers, 'x-timestamp');
  const nonce = header(req.headers, 'x-nonce');
  const sig = header(req.headers, 'x-signature');
  if (!code || !/^[A-Z0-9_]{2,20}$/.test(code)) throw new ChannelError('CHANNEL_UNKNOWN', 'UNAUTHENTICATED', 'header x-channel-code missing or malformed', { field: 'x-channel-code' });
  const ch = await channelRow(db, code);
  if (!ch) throw new ChannelError('CHANNEL_UNKNOWN', 'UNAUTHENTICATED', `unknown channel ${code}`, { field: 'x-channel-code' });
  if (!ch.enabled) throw new ChannelError('CHANNEL_DISABLED', 'FORBIDDEN', `channel ${code} is disabled`, { field: 'x-channel-code' });
  const t = checkTimestamp(ts, now);
  if (t === 'malformed') throw new ChannelError('TIMESTAMP_INVALID', 'UNAUTHENTICATED', 'header x-timestamp must be Unix seconds', { field: 'x-timestamp' });
  if (t === 'stale') throw new ChannelError('TIMESTAMP_STALE', 'UNAUTHENTICATED', `x-timestamp is more than ${MAX_SKEW_SECONDS} s away from server time`, { field: 'x-timestamp', serverTime: Math.floor(now / 1000) });
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(nonce)) throw new ChannelError('NONCE_INVALID', 'UNAUTHENTICATED', 'header x-nonce: 8-64 letters, digits, - or _', { field: 'x-nonce' });
  const secrets = [ch.secret_current];
  if (ch.secret_previous && ch.previous_valid_until && ch.previous_valid_until.getTime() > now) secrets.push(ch.secret_previous);
  if (!verifySignature(secrets, sig, req.method, req.url, ts, nonce, req.rawBody)) {
    throw new ChannelError('SIGNATURE_INVALID', 'UNAUTHENTICATED', 'signature does not match', { field: 'x-signature' });
  }
  // nonce lives twice the allowed skew: a replay after that fails the timestamp check anyway
  return { code, nonce, nonceExpires: new Date(now + 2 * MAX_SKEW_SECONDS * 1000) };
}

export const nonceReused = () => new ChannelError('NONCE_REUSED', 'CONFLICT', 'nonce already used (replay rejected)', { field: 'x-nonce' });

/** Consume a verified request's nonce (its own statement); a nonce seen before is refused. */
export async function consumeNonce(db: Db, v: VerifiedChannelRequest): Promise<void> {
  const ins = await sql<{ nonce: string }>`insert into channel_nonces (channel_code, nonce, expires_at) values (${v.code}, ${v.nonce}, ${v.nonceExpires})
    on conflict do nothing returning nonce`.execute(db.kysely);
  if (ins.rows.length === 0) throw nonceReused();
}

/** Authenticate a signed channel request and consume its nonce. Returns the channel code. */
export async function authenticateChannel(db: Db, req: ChannelRequest, now = Date.now()): Promise<string> {
  const v = await verifyChannelRequest(db, req, now);
  await consumeNonce(db, v);
  return v.code;
}

function accountNoOf(v: unknown): string {
  if (typeof v !== 'string' || !/^[0-9A-Za-z-]{4,32}$/.test(v)) throw new ValidationError('accountNo', 'required: the 户号');
  return v;
}

async function channelAccount(db: Db, accountNo: string) {
  try {
    return await findAccount(db.kysely, { accountNo });
  } catch (e) {
    if (e instanceof AppError && e.code === 'NOT_FOUND') throw new ChannelError('ACCOUNT_NOT_FOUND', 'NOT_FOUND', `户号 ${accountNo} not found`, { field: 'accountNo' });
    throw e;
  }
}

/** 查询欠费: amount due by 户号 today. */
export async function channelQueryDue(db: Db, channel: string, input: { accountNo?: unknown }, now = new Date()) {
  const acc = await channelAccount(db, accountNoOf(input.accountNo));
  const due = await amountDue(db.kysely, acc, shanghaiDate(now));
  // personal data minimal: the name masked except its first character
  return { channel, accountNo: due.accountNo, accountName: maskName(acc.name), currency: 'CNY', amountDue: due.amountDue, lateFee: due.lateFee, credit: due.credit, asOf: due.asOf, items: due.items.map((i) => ({ period: i.period, dueDate: i.dueDate, outstanding: i.outstanding, lateFee: i.lateFee })) };
}

export function maskName(n: string): string {
  return n.length <= 1 ? n : n[0] + '*'.repeat(Math.min(3, n.length - 1));
}

export interface ChannelPayInput {
  accountNo?: unknown;
  amount?: unknown;
  currency?: unknown;
  idempotencyKey?: unknown;
  externalTxnId?: unknown;
  method?: unknown;
}

function keyOf(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_.:-]{6,64}$/.test(v)) throw new ValidationError(field, '6-64 letters, digits, _ . : -');
  return v;
}

/** A channel payment request, checked: what posting needs. */
export interface ValidChannelPay {
  accountNo: string;
  amountFen: number;
  method: 'transfer' | 'qr' | 'card';
  idempotencyKey: string;
  externalTxnId: string;
}

/** Check a channel payment body; errors name the field. */
export function validateChannelPay(input: ChannelPayInput): ValidChannelPay {
  const accountNo = accountNoOf(input.accountNo);
  const amountFen = parsePaymentAmount(input.amount, 'amount');
  checkCurrency(input.currency);
  const key = keyOf(input.idempotencyKey, 'idempotencyKey');
  const ext = input.externalTxnId === undefined || input.externalTxnId === null ? key : keyOf(input.externalTxnId, 'externalTxnId');
  const method = input.method === undefined ? 'transfer' : input.method;
  if (method !== 'transfer' && method !== 'qr' && method !== 'card') throw new ValidationError('method', 'transfer, qr or card');
  return { accountNo, amountFen, method, idempotencyKey: key, externalTxnId: ext };
}

/** 缴费 via a channel: exactly once per idempotency key. */
export async function channelPay(db: Db, channel: string, input: ChannelPayInput, meta: { ip?: string; requestId?: string } = {}, now = new Date()) {
  return postChannelPay(db, channel, validateChannelPay(input), meta, now);
}

/** Post one checked channel payment in its own transaction (the single path; group posting falls back to it). */
export async function postChannelPay(db: Db, channel: string, v: ValidChannelPay, meta: { ip?: string; requestId?: string } = {}, now = new Date()) {
  const acc = await channelAccount(db, v.accountNo);
  return inTx(db, async (trx) => {
    try {
      return await postPayment(trx, channelActor(channel, meta.ip, meta.requestId), {
        account: acc, channel, method: v.method, amountFen: v.amountFen, idempotencyKey: v.idempotencyKey, externalTxnId: v.externalTxnId, payDate: shanghaiDate(now), postedAt: now,
      });
    } catch (e) {
      if (e instanceof AppError && e.details?.reason === 'IDEMPOTENCY_MISMATCH') throw new ChannelError('IDEMPOTENCY_MISMATCH', 'CONFLICT', e.message, e.details);
      throw e;
    }
  });
}

/** 冲正 via a channel: same pay day (Asia/Shanghai) only; idempotent. */
export async function channelReverse(db: Db, channel: string, input: { idempotencyKey?: unknown; reason?: unknown }, meta: { ip?: string; requestId?: string } = {}, now = new Date()) {
  const key = keyOf(input.idempotencyKey, 'idempotencyKey');
  const reason = typeof input.reason === 'string' && input.reason.trim() ? input.reason.trim().slice(0, 200) : 'channel reversal';
  const p = await db.kysely.selectFrom('payments').select(['id']).where('channel', '=', channel).where('idempotency_key', '=', key).executeTakeFirst();
  if (!p) throw new ChannelError('PAYMENT_NOT_FOUND', 'NOT_FOUND', `no payment with idempotency key ${key}`, { field: 'idempotencyKey' });
  return inTx(db, async (trx) => {
    const r = await reversePayment(trx, channelActor(channel, meta.ip, meta.requestId), p.id, 'reversed', reason, (row) => {
      if (row.pay_date !== shanghaiDate(now)) throw new ChannelError('REVERSAL_WINDOW_CLOSED', 'CONFLICT', `payment of ${row.pay_date} can no longer be reversed (same day only); use reconciliation`, { field: 'idempotencyKey' });
    });
    return r;
  });
}

/** Create a channel; returns its secret once. */
export async function createChannel(db: Db, actor: Actor, input: { code: string; name: string; kind?: 'bank' | 'online'; notifyUrl?: string | null }, secret = newChannelSecret()) {
  requirePermission(actor, 'payment.supervise');
  if (!/^[A-Z0-9_]{2,20}$/.test(input.code ?? '')) throw new ValidationError('code', '2-20 of A-Z 0-9 _');
  if (typeof input.name !== 'string' || !input.name.trim()) throw new ValidationError('name', 'required');
  const out = await inTx(db, async (trx) => {
    const r = await trx.insertInto('payment_channels').values({ code: input.code, name: input.name.trim(), kind: input.kind ?? 'bank', secret_current: secret, notify_url: input.notifyUrl ?? null })
      .onConflict((oc) => oc.column('code').doNothing()).returning('code').executeTakeFirst();
    if (!r) throw new AppError('CONFLICT', `channel ${input.code} exists`, { field: 'code' });
    await writeAudit(trx, actor, { action: 'channel.create', entityType: 'payment_channel', entityId: input.code, after: { code: input.code, name: input.name, kind: input.kind ?? 'bank' } });
    return { code: input.code, name: input.name, secret };
  });
  // after commit: a request in between must not cache the old row again
  forgetChannel(db, input.code);
  return out;
}

/** Rotate a channel's secret: the old one stays valid for `graceHours` (default 24). */
export async function rotateChannelSecret(db: Db, actor: Actor, code: string, input: { graceHours?: number } = {}, secret = newChannelSecret()) {
  requirePermission(actor, 'payment.supervise');
  const grace = input.graceHours ?? 24;
  if (!Number.isInteger(grace) || grace < 0 || grace > 720) throw new ValidationError('graceHours', 'integer 0..720');
  const out = await inTx(db, async (trx) => {
    const ch = await trx.selectFrom('payment_channels').select(['code', 'secret_current']).where('code', '=', code).forUpdate().executeTakeFirst();
    if (!ch) throw new AppError('NOT_FOUND', `channel ${code} not found`, { field: 'code' });
    const validUntil = new Date(Date.now() + grace * 3_600_000);
    await trx.updateTable('payment_channels').set({ secret_previous: ch.secret_current, previous_valid_until: validUntil, secret_current: secret, rotated_at: sql<Date>`now()` as never }).where('code', '=', code).execute();
    await writeAudit(trx, actor, { action: 'channel.rotate_secret', entityType: 'payment_channel', entityId: code, after: { previousValidUntil: validUntil.toISOString() } });
    return { code, secret, previousValidUntil: validUntil.toISOString() };
  });
  // after commit: a request in between must not cache the old row again
  forgetChannel(db, code);
  return out;
}

export async function setChannelEnabled(db: Db, actor: Actor, code: string, enabled: boolean) {
  requirePermission(actor, 'payment.supervise');
  const out = await inTx(db, async (trx) => {
    const r = await trx.updateTable('payment_channels').set({ enabled }).where('code', '=', code).returning('code').executeTakeFirst();
    if (!r) throw new AppError('NOT_FOUND', `channel ${code} not found`, { field: 'code' });
    await writeAudit(trx, actor, { action: enabled ? 'channel.enable' : 'channel.disable', entityType: 'payment_channel', entityId: code, after: { enabled } });
    return { code, enabled };
  });
  // after commit: a request in between must not cache the old row again
  forgetChannel(db, code);
  return out;
}

export async function listChannels(db: Db, actor: Actor) {
  requirePermission(actor, 'payment.supervise');
  const rows = await db.kysely.selectFrom('payment_channels').select(['code', 'name', 'kind', 'enabled', 'rotated_at', 'previous_valid_until', 'created_at']).orderBy('code').execute();
  return { items: rows.map((r) => ({ code: r.code, name: r.name, kind: r.kind, enabled: r.enabled, rotatedAt: r.rotated_at, previousValidUntil: r.previous_valid_until, createdAt: r.created_at })) };
}

/** Delete expired nonces (run by the nightly job). */
export async function purgeNonces(db: Db): Promise<number> {
  const r = await db.kysely.deleteFrom('channel_nonces').where('expires_at', '<', new Date()).executeTakeFirst();
  return Number(r.numDeletedRows);
}

