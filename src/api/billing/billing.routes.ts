/**
 * Billing API (电费核算与发行): runs (create/start, progress), bills of a run with review flags and
 * the exception list, one bill with lines/determinants/readings, review actions, issue, an
 * account's bill history. Rules and formats: docs/billing.md.
 *
 * POST /billing/runs creates the run and starts one in-process worker in the background (the
 * response returns at once; poll GET /billing/runs/:id). More workers: `voltline bill-worker`.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, paging, route, type Deps } from '../http.js';
import { createRun, getRun, listRuns, workRun } from '../../app/billing/run.js';
import { accountBills, approveBill, approveClean, cancelRun, getBill, holdBill, issueRun, listRunBills, sendBackBill } from '../../app/billing/review.js';
import { FLAG_INFO, DEFAULT_REVIEW_RULES } from '../../domain/billing/review.js';

const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM');
const ids = z.array(z.number().int().positive()).max(100_000);
const reason = z.object({ reason: z.string().max(500).optional() });
const BILL_STATUS = ['calculated', 'review', 'held', 'approved', 'issued', 'sent_back', 'cancelled'] as const;

export default async function billingRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'POST', url: '/billing/runs', summary: 'Create and start a billing run (trial or real) for a period and scope; joins the unfinished real run with the same scope', tags: ['billing'], permission: 'billing.run',
    body: z.object({ period, trial: z.boolean().optional(), orgUnitIds: ids.optional(), routeIds: ids.optional(), accountIds: ids.optional(), partitionSize: z.number().int().min(1).max(100_000).optional(), start: z.boolean().optional() }),
  }, async ({ actor, body, reply }) => {
    const { start, ...input } = body;
    const out = await createRun(db, actor, input);
    if (start !== false && (out.run.status === 'created' || out.run.status === 'running')) {
      // one background worker in this process; failures are recorded on the partitions (retried by any worker)
      void workRun(db, out.run.id).catch((e) => app.log.error({ err: e, runId: out.run.id }, 'billing worker failed'));
    }
    reply.status(out.joined ? 200 : 201);
    return out;
  });

  route(app, {
    method: 'GET', url: '/billing/runs', summary: 'Billing runs, newest first', tags: ['billing'], permission: 'billing.run',
    query: z.object({ period: period.optional(), status: z.enum(['created', 'running', 'review', 'completed', 'failed', 'cancelled']).optional(), trial: z.enum(['true', 'false']).transform((v) => v === 'true').optional(), ...paging }),
  }, async ({ actor, query }) => listRuns(db, actor, query));

  route(app, {
    method: 'GET', url: '/billing/runs/:id', summary: 'A run with progress (done/total, accounts/s, ETA), counts by status and by review flag', tags: ['billing'], permission: 'billing.run', params: idParam,
  }, async ({ actor, params }) => getRun(db, actor, params.id));

  route(app, {
    method: 'GET', url: '/billing/runs/:id/bills', summary: "A run's bills: filter by review flag, status, or the exception list (exceptions=true)", tags: ['billing'], permission: 'billing.run', params: idParam,
    query: z.object({ flag: z.enum(Object.keys(FLAG_INFO) as [string, ...string[]]).optional(), status: z.enum(BILL_STATUS).optional(), exceptions: z.enum(['true', 'false']).transform((v) => v === 'true').optional(), ...paging }),
  }, async ({ actor, params, query }) => listRunBills(db, actor, params.id, query));

  route(app, {
    method: 'POST', url: '/billing/runs/:id/approve-clean', summary: 'Approve all clean bills (no review flag) of a run', tags: ['billing'], permission: 'billing.review', params: idParam,
  }, async ({ actor, params }) => approveClean(db, actor, params.id));

  route(app, {
    method: 'POST', url: '/billing/runs/:id/issue', summary: 'Issue (发行) the approved bills of a run: receivables with a due date per customer class; immutable afterwards', tags: ['billing'], permission: 'billing.review', params: idParam,
    body: z.object({ issueDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD').optional() }),
  }, async ({ actor, params, body }) => issueRun(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/billing/runs/:id/cancel', summary: 'Cancel a run (bills not issued are cancelled; discards a trial run)', tags: ['billing'], permission: 'billing.run', params: idParam, body: reason,
  }, async ({ actor, params, body }) => cancelRun(db, actor, params.id, body));

  route(app, {
    method: 'GET', url: '/billing/review-rules', summary: 'Review rule set in force (thresholds) and the flag/exception catalogue', tags: ['billing'], permission: 'billing.run',
  }, async () => ({ rules: DEFAULT_REVIEW_RULES, flags: FLAG_INFO }));

  route(app, { method: 'GET', url: '/bills/:id', summary: 'One bill: lines, determinants, the readings used', tags: ['billing'], params: idParam },
    async ({ actor, params }) => getBill(db, actor, params.id));

  route(app, { method: 'POST', url: '/bills/:id/approve', summary: 'Approve a bill', tags: ['billing'], permission: 'billing.review', params: idParam, body: reason },
    async ({ actor, params, body }) => approveBill(db, actor, params.id, body));

  route(app, { method: 'POST', url: '/bills/:id/hold', summary: 'Hold a bill (reason required)', tags: ['billing'], permission: 'billing.review', params: idParam, body: reason },
    async ({ actor, params, body }) => holdBill(db, actor, params.id, body));

  route(app, { method: 'POST', url: '/bills/:id/send-back', summary: "Send a bill back to metering: the period's readings return to the review queue (reason required)", tags: ['billing'], permission: 'billing.review', params: idParam, body: reason },
    async ({ actor, params, body }) => sendBackBill(db, actor, params.id, body));

  route(app, { method: 'GET', url: '/accounts/:id/bills', summary: "An account's bills, newest period first (customers see issued bills)", tags: ['billing'], params: idParam, query: z.object({ ...paging }) },
    async ({ actor, params, query }) => accountBills(db, actor, params.id, query));
}
