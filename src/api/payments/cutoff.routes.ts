/**
 * Cut-off (停电) and reconnection (复电) work orders under /api/v1/cutoff. Permissions
 * cutoff.handle (create, notices, schedule, close, cancel, reconnect) and cutoff.execute
 * (execute a cut-off); org-unit data scope. Rules: domain-cn §5.4, docs/payments.md.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, paging, route, type Deps } from '../http.js';
import {
  cancelOrder, closeOrder, createCutoffOrder, cutoffCandidates, executeOrder, getOrder, listOrders, recordNotice, scheduleCutoff,
} from '../../app/payments/cutoff.js';
import { reconnectCheck } from '../../app/payments/reconnect.js';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

export default async function cutoffRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'GET', url: '/cutoff/orders', summary: 'Cut-off and reconnection orders in scope (newest first) with the reconnection 24 h SLA', tags: ['cutoff'],
    query: z.object({ kind: z.enum(['cutoff', 'reconnect']).optional(), state: z.enum(['open', 'created', 'notice_sent', 'scheduled', 'executed', 'closed', 'cancelled']).optional(), accountNo: z.string().max(32).optional(), ...paging }),
  }, async ({ actor, query }) => listOrders(db, actor, query));

  route(app, {
    method: 'GET', url: '/cutoff/candidates', summary: 'Arrears accounts eligible for a cut-off order (overdue more than minOverdueDays)', tags: ['cutoff'], permission: 'cutoff.handle',
    query: z.object({ asOf: date.optional(), ...paging }),
  }, async ({ actor, query }) => cutoffCandidates(db, actor, query));

  route(app, {
    method: 'POST', url: '/cutoff/orders', summary: 'Create a cut-off order for an account in arrears (or a prepaid account at its floor)', tags: ['cutoff'], permission: 'cutoff.handle',
    body: z.object({ accountNo: z.string().min(1, 'required').max(32), note: z.string().max(500).optional() }),
  }, async ({ actor, body }) => createCutoffOrder(db, actor, body));

  route(app, {
    method: 'GET', url: '/cutoff/orders/:id', summary: 'One order with notices, state history, SLA and the actions you may take', tags: ['cutoff'],
    params: idParam,
  }, async ({ actor, params }) => getOrder(db, actor, params.id));

  route(app, {
    method: 'POST', url: '/cutoff/orders/:id/notices', summary: 'Record the notice (停电通知书) or the re-notice with delivery method and evidence', tags: ['cutoff'], permission: 'cutoff.handle',
    params: idParam,
    body: z.object({ kind: z.enum(['notice', 'renotice']).optional(), method: z.string().max(32), evidence: z.string().max(1000), deliveredAt: z.string().max(40).optional() }),
  }, async ({ actor, params, body }) => recordNotice(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/cutoff/orders/:id/schedule', summary: 'Schedule the cut-off (≥ noticeDays after delivery, working day, execution window)', tags: ['cutoff'], permission: 'cutoff.handle',
    params: idParam, body: z.object({ scheduledAt: z.string().max(40) }),
  }, async ({ actor, params, body }) => scheduleCutoff(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/cutoff/orders/:id/execute', summary: 'Execute: remote DL/T 645 0x1C command (cut-off needs cutoff.execute and passes every §5.4 rule again)', tags: ['cutoff'], permission: 'cutoff.handle',
    params: idParam,
  }, async ({ actor, params }) => executeOrder(db, actor, params.id));

  route(app, {
    method: 'POST', url: '/cutoff/orders/:id/close', summary: 'Close an executed order', tags: ['cutoff'], permission: 'cutoff.handle',
    params: idParam, body: z.object({ note: z.string().max(500).optional() }).optional(),
  }, async ({ actor, params, body }) => closeOrder(db, actor, params.id, body?.note));

  route(app, {
    method: 'POST', url: '/cutoff/orders/:id/cancel', summary: 'Cancel an open order with a reason', tags: ['cutoff'], permission: 'cutoff.handle',
    params: idParam, body: z.object({ reason: z.string().min(1, 'required').max(500) }),
  }, async ({ actor, params, body }) => cancelOrder(db, actor, params.id, body.reason));

  route(app, {
    method: 'POST', url: '/cutoff/reconnect-check', summary: 'Find accounts whose debt is cleared: cancel open cut-offs, create reconnection orders (also run by voltline reconnect-check)', tags: ['cutoff'], permission: 'cutoff.handle',
  }, async ({ actor }) => reconnectCheck(db, actor));
}
