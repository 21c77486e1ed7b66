/**
 * Customer self-service API (客户自助), permission portal.self; every route is limited to the
 * login's own accounts (403 OUT_OF_SCOPE otherwise). Docs: docs/portal.md.
 *
 *   GET  /portal/accounts                      my accounts with balance, amount due, due date, overdue, late fee today
 *   GET  /portal/accounts/:id/bills            issued bills, newest first
 *   GET  /portal/accounts/:id/usage?months=24  monthly kWh (TOTAL + TOU) with last year's month
 *   GET  /portal/accounts/:id/payments         payments with receipt links
 *   GET  /portal/bills/:id                     one bill: lines, readings (previous/current/multiplier/kWh), pdfUrl
 *   POST /portal/payments                      {accountId, amount, idempotencyKey, currency?} online payment (exactly once per key)
 *   GET  /portal/payments                      payments of all my accounts
 *   GET  /portal/receipts/:receiptNo/pdf       receipt PDF of my own payment
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, paging, route, type Deps } from '../http.js';
import { myAccounts, myBill, myBills, myPayments, myReceiptPdf, myUsage, portalPay } from '../../app/portal/portal.js';

const P = 'portal.self';

export default async function portalRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, { method: 'GET', url: '/portal/accounts', summary: 'My accounts with what is due today (balance, amount due, due date, overdue days, late fee)', tags: ['portal'], permission: P },
    async ({ actor }) => myAccounts(db, actor));

  route(app, {
    method: 'GET', url: '/portal/accounts/:id/bills', summary: "My account's issued bills, newest first", tags: ['portal'], permission: P, params: idParam, query: z.object({ ...paging }),
  }, async ({ actor, params, query }) => myBills(db, actor, params.id, query));

  route(app, {
    method: 'GET', url: '/portal/accounts/:id/usage', summary: "My account's monthly usage (kWh per register) with last year's month", tags: ['portal'], permission: P, params: idParam,
    query: z.object({ months: z.coerce.number().int().min(1).max(36).default(24), to: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM').optional() }),
  }, async ({ actor, params, query }) => myUsage(db, actor, params.id, query));

  route(app, {
    method: 'GET', url: '/portal/accounts/:id/payments', summary: "My account's payments, newest first", tags: ['portal'], permission: P, params: idParam, query: z.object({ ...paging }),
  }, async ({ actor, params, query }) => myPayments(db, actor, { accountId: params.id, ...query }));

  route(app, {
    method: 'GET', url: '/portal/payments', summary: 'Payments of all my accounts, newest first', tags: ['portal'], permission: P, query: z.object({ ...paging }),
  }, async ({ actor, query }) => myPayments(db, actor, query));

  route(app, { method: 'GET', url: '/portal/bills/:id', summary: 'One of my bills: lines, readings with the previous reading, PDF link', tags: ['portal'], permission: P, params: idParam },
    async ({ actor, params }) => myBill(db, actor, params.id));

  route(app, {
    method: 'POST', url: '/portal/payments', summary: 'Pay my account online (simulated channel PORTAL); exactly once per idempotencyKey', tags: ['portal'], permission: P,
    body: z.object({ accountId: z.number().int().positive(), amount: z.unknown(), currency: z.unknown().optional(), idempotencyKey: z.string().max(64) }),
  }, async ({ actor, body, reply }) => {
    const r = await portalPay(db, actor, body);
    if (r.replayed) reply.header('idempotent-replayed', 'true');
    reply.status(r.replayed ? 200 : 201);
    return r;
  });

  route(app, {
    method: 'GET', url: '/portal/receipts/:receiptNo/pdf', summary: 'Receipt PDF of my own payment', tags: ['portal'], permission: P,
    params: z.object({ receiptNo: z.string().regex(/^[A-Z0-9]{4,40}$/, 'receipt number') }),
  }, async ({ actor, params, reply }) => {
    const r = await myReceiptPdf(db, actor, params.receiptNo);
    reply.header('content-type', 'application/pdf').header('content-disposition', `inline; filename="${params.receiptNo}.pdf"`).header('x-receipt-font', r.font);
    return reply.send(r.pdf);
  });
}
