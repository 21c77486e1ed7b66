/**
 * Rebilling API (退补电费): preview and create an adjustment of issued bills, list, get, submit,
 * approve (two-person rule above the threshold), reject, post (idempotent). Rules: docs/billing.md
 * "Rebilling (退补)". Permissions: billing.adjust (create, submit, post), billing.adjust.approve
 * (approve, reject); data scope = the account's org unit.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, paging, route, type Deps } from '../http.js';
import {
  ADJUSTMENT_STATUSES, REASON_CATEGORIES, approveAdjustment, createAdjustment, getAdjustment, listAdjustments, postAdjustment, previewAdjustment, rejectAdjustment, submitAdjustment,
  type AdjustmentInput,
} from '../../app/billing/adjustments.js';

const value = z.string().regex(/^\d{1,10}(\.\d{1,4})?$/, 'a non-negative decimal with at most 4 decimals');
const body = z.object({
  accountId: z.number().int().positive(),
  periods: z.array(z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM')).min(1).max(24),
  reasonCategory: z.enum(REASON_CATEGORIES),
  reason: z.string().trim().min(1, 'required').max(500),
  corrections: z.object({
    readings: z.array(z.object({ readingId: z.number().int().positive(), value })).max(200).optional(),
    multiplier: z.object({ correct: value, billed: value.optional(), meterId: z.number().int().positive().optional() }).optional(),
    tariff: z.object({ code: z.string().trim().min(1, 'required').max(64), from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD').optional() }).optional(),
  }).default({}),
});

export default async function adjustmentRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'POST', url: '/billing/adjustments/preview', summary: 'Preview a rebilling adjustment (退补): re-rate the issued bills with the corrected inputs; per-line original, corrected, difference; nothing is written', tags: ['billing'], permission: 'billing.adjust', body,
  }, async ({ actor, body: b }) => previewAdjustment(db, actor, b as AdjustmentInput));

  route(app, {
    method: 'POST', url: '/billing/adjustments', summary: 'Create a rebilling adjustment (draft) with its lines', tags: ['billing'], permission: 'billing.adjust', body,
  }, async ({ actor, body: b, reply }) => {
    const out = await createAdjustment(db, actor, b as AdjustmentInput);
    reply.status(201);
    return out;
  });

  route(app, {
    method: 'GET', url: '/billing/adjustments', summary: 'Rebilling adjustments in your data scope, newest first', tags: ['billing'],
    query: z.object({ status: z.enum(ADJUSTMENT_STATUSES).optional(), accountId: z.coerce.number().int().positive().optional(), accountNo: z.string().max(32).optional(), billId: z.coerce.number().int().positive().optional(), ...paging }),
  }, async ({ actor, query }) => listAdjustments(db, actor, query));

  route(app, { method: 'GET', url: '/billing/adjustments/:id', summary: 'One adjustment with its lines and per-period detail', tags: ['billing'], params: idParam },
    async ({ actor, params }) => getAdjustment(db, actor, params.id));

  route(app, { method: 'POST', url: '/billing/adjustments/:id/submit', summary: 'Submit a draft (at or below the threshold this approves it)', tags: ['billing'], permission: 'billing.adjust', params: idParam },
    async ({ actor, params }) => submitAdjustment(db, actor, params.id));

  route(app, {
    method: 'POST', url: '/billing/adjustments/:id/approve', summary: 'Approve a submitted adjustment (a different user from the creator)', tags: ['billing'], permission: 'billing.adjust.approve', params: idParam,
    body: z.object({ note: z.string().max(500).optional() }).default({}),
  }, async ({ actor, params, body: b }) => approveAdjustment(db, actor, params.id, b));

  route(app, {
    method: 'POST', url: '/billing/adjustments/:id/reject', summary: 'Reject an adjustment (reason required)', tags: ['billing'], permission: 'billing.adjust.approve', params: idParam,
    body: z.object({ reason: z.string().max(500).optional() }).default({}),
  }, async ({ actor, params, body: b }) => rejectAdjustment(db, actor, params.id, b));

  route(app, { method: 'POST', url: '/billing/adjustments/:id/post', summary: 'Post an approved adjustment to the account ledger (idempotent)', tags: ['billing'], permission: 'billing.adjust', params: idParam },
    async ({ actor, params }) => postAdjustment(db, actor, params.id));
}
