/**
 * Read endpoints the payments UI needs beyond payments.routes.ts (docs/payments.md "UI"):
 * find accounts with their amount due, arrears with org-unit / route filters and totals, routes
 * for the filter, statements (对账) for collectors and supervisors, an account's payments.
 * Permission payment.collect or payment.supervise (account payments: also account.read /
 * portal.self), org-unit data scope; all checks live in src/app/payments/ui-queries.ts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { paging, route, type Deps } from '../http.js';
import { accountPayments, arrearsUi, listStatements, routesInScope, searchDue, statementUi } from '../../app/payments/ui-queries.js';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const id = z.coerce.number().int().positive();

export default async function paymentUiRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'GET', url: '/payments/ui/due', summary: 'Find accounts in scope by 户号 (exact/prefix), name or bill id, each with the amount due today', tags: ['payments'],
    query: z.object({ q: z.string().trim().min(1, 'required').max(50), limit: z.coerce.number().int().min(1).max(20).optional() }),
  }, async ({ actor, query }) => searchDue(db, actor, query));

  route(app, {
    method: 'GET', url: '/payments/ui/arrears', summary: 'Arrears (欠费) with aging buckets, filtered by org unit, reading route and bucket; totals', tags: ['payments'],
    query: z.object({
      asOf: date.optional(), bucket: z.enum(['d1_30', 'd31_60', 'd61_90', 'd91_180', 'd181_']).optional(), orgUnitId: id.optional(), routeId: id.optional(), ...paging,
    }),
  }, async ({ actor, query }) => arrearsUi(db, actor, query));

  route(app, {
    method: 'GET', url: '/payments/ui/routes', summary: 'Reading routes in scope (arrears filter)', tags: ['payments'],
    query: z.object({ orgUnitId: id.optional() }),
  }, async ({ actor, query }) => routesInScope(db, actor, query.orgUnitId));

  route(app, {
    method: 'GET', url: '/payments/ui/statements', summary: 'Imported channel statements (对账), newest first, with unresolved counts; the channels', tags: ['payments'],
    query: z.object({ channelCode: z.string().max(20).optional(), ...paging }),
  }, async ({ actor, query }) => listStatements(db, actor, query));

  route(app, {
    method: 'GET', url: '/payments/ui/statements/:id', summary: 'One statement with its items (unresolved first)', tags: ['payments'],
    params: z.object({ id }), query: z.object({ kind: z.enum(['matched', 'long', 'short', 'mismatch']).optional() }),
  }, async ({ actor, params, query }) => statementUi(db, actor, params.id, query.kind));

  route(app, {
    method: 'GET', url: '/payments/ui/accounts/:accountNo/payments', summary: "An account's payments with receipts (newest first), balance and amount due (缴费记录)", tags: ['payments'],
    params: z.object({ accountNo: z.string().min(1).max(32) }), query: z.object({ page: paging.page, pageSize: z.coerce.number().int().min(1).max(100).default(20) }),
  }, async ({ actor, params, query }) => accountPayments(db, actor, params.accountNo, query.page, query.pageSize));
}
