/**
 * Refunds of credit (退费, e.g. created at 销户): list in the actor's data scope, one refund,
 * and mark paid (pending → paid) with the reference of the payout. Permission payment.collect
 * (listing also payment.supervise). See docs/payments.md "Refunds".
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, paging, route, type Deps } from '../http.js';
import { getRefund, listRefunds, markRefundPaid, refundClosedAccountCredit } from '../../app/payments/refunds.js';

export default async function refundRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'GET', url: '/payments/refunds', summary: 'Refunds (退费) in scope, newest first; filter by status and account', tags: ['payments'],
    query: z.object({ status: z.enum(['pending', 'paid']).optional(), accountNo: z.string().min(1).max(32).optional(), ...paging }),
  }, async ({ actor, query }) => listRefunds(db, actor, query));

  route(app, {
    method: 'GET', url: '/payments/refunds/:id', summary: 'One refund', tags: ['payments'], params: idParam,
  }, async ({ actor, params }) => getRefund(db, actor, params.id));

  route(app, {
    method: 'POST', url: '/payments/refunds/:id/paid', summary: 'Mark a refund paid out (cash handed over / transfer made) with its reference', tags: ['payments'],
    permission: 'payment.collect', params: idParam,
    body: z.object({ reference: z.string().max(64).optional(), note: z.string().max(500).optional() }),
  }, async ({ actor, params, body }) => markRefundPaid(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/payments/refunds', summary: 'Refund the credit of a closed account (after a pending 销户 settlement): credit pays open receivables, the rest is refunded', tags: ['payments'],
    permission: 'payment.supervise',
    body: z.object({ accountNo: z.string().max(32).optional(), reason: z.string().max(200).optional(), refund: z.record(z.string(), z.unknown()).optional() }),
  }, async ({ actor, body, reply }) => {
    const out = await refundClosedAccountCredit(db, actor, body);
    reply.code(201);
    return out;
  });
}
