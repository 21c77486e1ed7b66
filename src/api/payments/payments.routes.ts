/**
 * Payments and collections (费用缴纳与欠费管理). Session API under /api/v1/payments (permissions
 * payment.collect / payment.supervise, org-unit data scope) and the signed channel API under
 * /api/v1/channel (no session; HMAC headers, see docs/payments.md).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { paging, route, type Deps } from '../http.js';
import { AppError, httpStatusOf } from '../../domain/errors.js';
import { getAccountLedger, getAmountDue, reconcileLedger } from '../../app/payments/ledger.js';
import { closeShift, currentShift, decideShift, getShift, listShifts, openShift, takeCounterPayment, voidPayment } from '../../app/payments/counter.js';
import { receiptPdf } from '../../app/payments/receipt.js';
import { accrueLateFees } from '../../app/payments/late-fees.js';
import { listArrears, sendArrearsReminders } from '../../app/payments/arrears.js';
import { decideWaiver, listWaivers, requestWaiver } from '../../app/payments/waivers.js';
import { getStatement, importStatement, resolveStatementItem } from '../../app/payments/reconciliation.js';
import {
  authenticateChannel, ChannelError, channelQueryDue, consumeNonce, validateChannelPay, verifyChannelRequest, channelReverse, createChannel, listChannels, rotateChannelSecret, setChannelEnabled,
} from '../../app/payments/channel.js';
import { scopedAccount } from '../../app/payments/accounts.js';
import { channelBatcher, postAlone } from '../../app/payments/channel-batch.js';

const accountNoParam = z.object({ accountNo: z.string().min(1).max(32) });
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

export default async function paymentRoutes(app: FastifyInstance, { db, env }: Deps) {
  route(app, {
    method: 'GET', url: '/payments/accounts/:accountNo/ledger', summary: 'Account ledger (newest first), balance and amount due today', tags: ['payments'],
    params: accountNoParam, query: z.object({ page: paging.page, pageSize: z.coerce.number().int().min(1).max(200).default(50) }),
  }, async ({ actor, params, query }) => getAccountLedger(db, actor, params.accountNo, query.page, query.pageSize));

  route(app, {
    method: 'GET', url: '/payments/accounts/:accountNo/due', summary: 'Amount due today: open receivables with late fee through today, minus credit', tags: ['payments'],
    params: accountNoParam,
  }, async ({ actor, params }) => getAmountDue(db, actor, params.accountNo));

  route(app, {
    method: 'GET', url: '/payments/accounts/:accountNo/reconcile', summary: 'Check that the account ledger reconciles with receivables and payments', tags: ['payments'], permission: 'payment.supervise',
    params: accountNoParam,
  }, async ({ actor, params }) => {
    const acc = await scopedAccount(db.kysely, actor, { accountNo: params.accountNo });
    return reconcileLedger(db.kysely, [acc.id]);
  });

  // counter (坐收)
  route(app, { method: 'GET', url: '/payments/shifts/current', summary: "The collector's open shift with running totals", tags: ['payments'], permission: 'payment.collect' },
    async ({ actor }) => currentShift(db, actor));

  route(app, {
    method: 'POST', url: '/payments/shifts', summary: 'Open a cashier shift (开班)', tags: ['payments'], permission: 'payment.collect',
    body: z.object({ openingFloat: z.unknown().optional() }).optional(),
  }, async ({ actor, body }) => openShift(db, actor, body ?? {}));

  route(app, {
    method: 'GET', url: '/payments/shifts', summary: 'Shifts in scope (supervisor)', tags: ['payments'], permission: 'payment.supervise',
    query: z.object({ status: z.enum(['open', 'closed', 'approved', 'rejected']).optional(), ...paging }),
  }, async ({ actor, query }) => listShifts(db, actor, query));

  route(app, {
    method: 'GET', url: '/payments/shifts/:id', summary: 'One shift with its payments (日结 report)', tags: ['payments'],
    params: z.object({ id: z.coerce.number().int().positive() }),
  }, async ({ actor, params }) => getShift(db, actor, params.id));

  route(app, {
    method: 'POST', url: '/payments/shifts/:id/close', summary: 'Close the shift with the counted cash (日结); a difference needs a reason', tags: ['payments'], permission: 'payment.collect',
    params: z.object({ id: z.coerce.number().int().positive() }), body: z.object({ countedCash: z.unknown(), differenceReason: z.string().max(500).optional() }),
  }, async ({ actor, params, body }) => closeShift(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/payments/shifts/:id/decision', summary: 'Supervisor approves or rejects a closed shift', tags: ['payments'], permission: 'payment.supervise',
    params: z.object({ id: z.coerce.number().int().positive() }), body: z.object({ decision: z.enum(['approve', 'reject']), note: z.string().max(500).optional() }),
  }, async ({ actor, params, body }) => decideShift(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/payments/counter', summary: 'Take a counter payment for one or several accounts (one receipt)', tags: ['payments'], permission: 'payment.collect',
    body: z.object({
      items: z.array(z.object({ accountNo: z.string().min(1).max(32), amount: z.unknown() })).min(1).max(20),
      method: z.enum(['cash', 'card', 'qr']), currency: z.unknown().optional(), requestId: z.string().max(64).optional(), tendered: z.unknown().optional(),
    }),
  }, async ({ actor, body }) => takeCounterPayment(db, actor, body));

  route(app, {
    method: 'POST', url: '/payments/:id/void', summary: 'Void a payment within its open shift (reason required)', tags: ['payments'], permission: 'payment.collect',
    params: z.object({ id: z.coerce.number().int().positive() }), body: z.object({ reason: z.string().max(500).optional() }),
  }, async ({ actor, params, body }) => voidPayment(db, actor, params.id, body));

  route(app, {
    method: 'GET', url: '/payments/receipts/:receiptNo/pdf', summary: 'Receipt PDF (Chinese; header x-receipt-font says cjk or fallback)', tags: ['payments'],
    params: z.object({ receiptNo: z.string().regex(/^[A-Z0-9]{4,40}$/, 'receipt number') }),
  }, async ({ actor, params, reply }) => {
    const r = await receiptPdf(db, actor, params.receiptNo);
    reply.header('content-type', 'application/pdf').header('content-disposition', `inline; filename="${params.receiptNo}.pdf"`).header('x-receipt-font', r.font);
    return reply.send(r.pdf);
  });

  route(app, {
    method: 'POST', url: '/payments/late-fees/accrue', summary: 'Run the late-fee accrual now (违约金计提; normally nightly)', tags: ['payments'], permission: 'payment.supervise',
    body: z.object({ asOf: date.optional() }).optional(),
  }, async ({ actor, body }) => accrueLateFees(db, body?.asOf, actor));

  // channel administration
  route(app, { method: 'GET', url: '/payments/channels', summary: 'Collection channels (secrets are never shown)', tags: ['payments'], permission: 'payment.supervise' },
    async ({ actor }) => listChannels(db, actor));
  route(app, {
    method: 'POST', url: '/payments/channels', summary: 'Create a collection channel; the secret is returned once', tags: ['payments'], permission: 'payment.supervise',
    body: z.object({ code: z.string().max(20), name: z.string().min(1).max(100), kind: z.enum(['bank', 'online']).optional(), notifyUrl: z.string().url().max(300).nullable().optional() }),
  }, async ({ actor, body }) => createChannel(db, actor, body));
  route(app, {
    method: 'POST', url: '/payments/channels/:code/rotate', summary: 'Rotate the channel secret; the previous stays valid for graceHours', tags: ['payments'], permission: 'payment.supervise',
    params: z.object({ code: z.string().max(20) }), body: z.object({ graceHours: z.number().int().min(0).max(720).optional() }).optional(),
  }, async ({ actor, params, body }) => rotateChannelSecret(db, actor, params.code, body ?? {}));
  route(app, {
    method: 'POST', url: '/payments/channels/:code/enabled', summary: 'Enable or disable a channel', tags: ['payments'], permission: 'payment.supervise',
    params: z.object({ code: z.string().max(20) }), body: z.object({ enabled: z.boolean() }),
  }, async ({ actor, params, body }) => setChannelEnabled(db, actor, params.code, body.enabled));

  route(app, {
    method: 'GET', url: '/payments/arrears', summary: 'Arrears (欠费) by account with aging buckets and accrued late fee', tags: ['payments'],
    query: z.object({ asOf: date.optional(), bucket: z.enum(['d1_30', 'd31_60', 'd61_90', 'd91_180', 'd181_']).optional(), ...paging }),
  }, async ({ actor, query }) => listArrears(db, actor, query));
  route(app, {
    method: 'POST', url: '/payments/arrears/reminders', summary: 'Send arrears reminders (催费通知, SMS) to postpaid accounts in arrears in scope; at most one per account per repeatDays (default 7)', tags: ['payments'],
    body: z.object({ accountNos: z.unknown().optional(), asOf: z.unknown().optional(), minDaysOverdue: z.unknown().optional(), repeatDays: z.unknown().optional() }).optional(),
  }, async ({ actor, body }) => sendArrearsReminders(db, actor, body ?? {}));

  // late-fee waivers (违约金减免)
  route(app, {
    method: 'POST', url: '/payments/waivers', summary: 'Request a late-fee waiver for a receivable up to a day (reason required)', tags: ['payments'], permission: 'payment.collect',
    body: z.object({ receivableId: z.number().int().positive(), waiveThrough: date, reason: z.string().max(500).optional() }),
  }, async ({ actor, body }) => requestWaiver(db, actor, body));
  route(app, {
    method: 'GET', url: '/payments/waivers', summary: 'Waiver requests in scope', tags: ['payments'], permission: 'payment.supervise',
    query: z.object({ status: z.enum(['requested', 'approved', 'rejected']).optional(), ...paging }),
  }, async ({ actor, query }) => listWaivers(db, actor, query));
  route(app, {
    method: 'POST', url: '/payments/waivers/:id/decision', summary: 'Approve or reject a waiver (not your own request)', tags: ['payments'], permission: 'payment.supervise',
    params: z.object({ id: z.coerce.number().int().positive() }), body: z.object({ decision: z.enum(['approve', 'reject']), note: z.string().max(500).optional() }),
  }, async ({ actor, params, body }) => decideWaiver(db, actor, params.id, body));

  // reconciliation (对账)
  route(app, {
    method: 'POST', url: '/payments/statements', summary: "Import a channel's daily statement CSV (idempotencyKey,accountNo,amount[,currency]) and match it", tags: ['payments'], permission: 'payment.collect',
    bodyLimit: 16 * 1024 * 1024,
    body: z.object({ channelCode: z.string().max(20), statementDate: date, csv: z.string().min(1), fileName: z.string().max(200).optional() }),
  }, async ({ actor, body }) => importStatement(db, actor, body));
  route(app, {
    method: 'GET', url: '/payments/statements/:id', summary: 'A statement with its matched / long / short / mismatch items', tags: ['payments'], permission: 'payment.collect',
    params: z.object({ id: z.coerce.number().int().positive() }), query: z.object({ kind: z.enum(['matched', 'long', 'short', 'mismatch']).optional() }),
  }, async ({ actor, params, query }) => getStatement(db, actor, params.id, query.kind));
  route(app, {
    method: 'POST', url: '/payments/statements/items/:id/resolve', summary: 'Resolve a long (posted|channel_error), short (reversed|accepted) or mismatch (accepted|channel_error) item; audited', tags: ['payments'], permission: 'payment.supervise',
    params: z.object({ id: z.coerce.number().int().positive() }), body: z.object({ action: z.enum(['posted', 'channel_error', 'reversed', 'accepted']), note: z.string().max(500).optional() }),
  }, async ({ actor, params, body }) => resolveStatementItem(db, actor, params.id, body));

  await app.register(channelApi, { db, env });
}

/** Signed channel API: raw body kept for the signature; its own error codes. */
async function channelApi(ch: FastifyInstance, { db, env }: Deps) {
  ch.removeContentTypeParser('application/json');
  ch.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  ch.setErrorHandler((err: any, req, reply) => {
    let status = 500;
    let code = 'INTERNAL';
    let message = `internal error (request ${req.id})`;
    let details: unknown;
    if (err instanceof ChannelError) {
      status = httpStatusOf[err.code];
      code = err.channelCode;
      message = err.message;
      details = err.details;
    } else if (err instanceof AppError) {
      status = httpStatusOf[err.code];
      const reason = err.details?.reason as string | undefined;
      code = reason?.startsWith('AMOUNT_') ? 'AMOUNT_INVALID' : reason === 'CURRENCY_UNSUPPORTED' ? 'CURRENCY_UNSUPPORTED' : err.code;
      message = err.message;
      details = err.details;
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 413;
      code = 'PAYLOAD_TOO_LARGE';
      message = 'request body too large';
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      status = 415;
      code = 'VALIDATION_FAILED';
      message = 'send application/json';
      details = { field: 'content-type' };
    } else {
      req.log.error({ err }, 'channel request failed');
    }
    reply.status(status).send({ error: { code, message, ...(details ? { details } : {}) } });
  });

  // one batcher per database handle and process; its fallback is logged by the server's logger
  const batcher = () => channelBatcher(db, { maxBatch: env.channelBatchMax, maxInFlight: env.channelBatchInFlight },
    (err, size) => ch.log.warn({ err, size }, 'channel payment group failed; posting its requests one by one'));

  const parseChannelBody = (raw: string): Record<string, unknown> => {
    if (!raw) return {};
    try {
      const parsed = JSON.parse(raw);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      return parsed;
    } catch {
      throw new ChannelError('VALIDATION_FAILED', 'VALIDATION_FAILED', 'body: not a JSON object', { field: 'body' });
    }
  };

  const handle = (fn: (code: string, body: Record<string, unknown>, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const raw = typeof req.body === 'string' ? req.body : '';
      const code = await authenticateChannel(db, { method: req.method, url: req.url, headers: req.headers, rawBody: raw });
      return fn(code, parseChannelBody(raw), req, reply);
    };

  const headers = {
    type: 'object',
    properties: {
      'x-channel-code': { type: 'string' }, 'x-timestamp': { type: 'string' }, 'x-nonce': { type: 'string' }, 'x-signature': { type: 'string' },
    },
    required: ['x-channel-code', 'x-timestamp', 'x-nonce', 'x-signature'],
  };
  const schema = (summary: string, props: Record<string, unknown>) => ({ summary, tags: ['channel'], headers, body: { type: 'object', properties: props } });

  ch.post('/channel/query', { schema: schema('查询欠费: amount due by 户号 (signed)', { accountNo: { type: 'string' } }) },
    handle(async (code, body) => channelQueryDue(db, code, body)));

  ch.post('/channel/pay', {
    schema: schema('缴费 / payment notification (signed; idempotent per idempotencyKey: a retry returns the original result)', {
      accountNo: { type: 'string' }, amount: { type: 'string', example: '100.00' }, currency: { type: 'string', enum: ['CNY'] }, idempotencyKey: { type: 'string' }, externalTxnId: { type: 'string' }, method: { type: 'string', enum: ['transfer', 'qr', 'card'] },
    }),
  }, async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = typeof req.body === 'string' ? req.body : '';
    const now = new Date();
    const v = await verifyChannelRequest(db, { method: req.method, url: req.url, headers: req.headers, rawBody: raw }, now.getTime());
    let valid;
    try {
      valid = validateChannelPay(parseChannelBody(raw));
    } catch (e) {
      // as for every signed request, the nonce is spent even when the body is refused (and a
      // replayed nonce is reported as such first)
      await consumeNonce(db, v);
      throw e;
    }
    const request = { ...valid, channel: v.code, nonce: v, meta: { ip: req.ip, requestId: req.id }, now };
    const r = env.channelBatch ? await batcher().submit(request) : await postAlone(db, request);
    reply.header('idempotent-replayed', String(r.replayed));
    return r.result;
  });

  ch.post('/channel/reverse', { schema: schema('冲正: reverse a payment of today (signed; idempotent)', { idempotencyKey: { type: 'string' }, reason: { type: 'string' } }) },
    handle(async (code, body, req, reply) => {
      const r = await channelReverse(db, code, body, { ip: req.ip, requestId: req.id });
      reply.header('idempotent-replayed', String(r.replayed));
      return r.result;
    }));
}

