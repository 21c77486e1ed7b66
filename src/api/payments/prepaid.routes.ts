/**
 * Prepaid (预付费/费控) API under /api/v1/prepaid: plans, balance and deductions per account,
 * the daily deduction run, and the prepaid / cut-off settings. Permission prepaid.manage
 * (reads also payment.collect), org-unit data scope. docs/payments.md "Prepaid".
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { paging, route, type Deps } from '../http.js';
import {
  endPlan, getControlSettings, getPrepaidAccount, listPrepaid, runPrepaidDeduction, updateControlSettings, upsertPlan,
} from '../../app/payments/prepaid.js';

const accountNoParam = z.object({ accountNo: z.string().min(1).max(32) });
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');

export default async function prepaidRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'GET', url: '/prepaid/accounts', summary: 'Prepaid accounts in scope with balance (lowest first); low=true: at or below the alert balance', tags: ['prepaid'],
    query: z.object({ status: z.enum(['active', 'ended']).optional(), low: z.enum(['true', 'false']).optional(), ...paging }),
  }, async ({ actor, query }) => listPrepaid(db, actor, { status: query.status, low: query.low === 'true', page: query.page, pageSize: query.pageSize }));

  route(app, {
    method: 'GET', url: '/prepaid/accounts/:accountNo', summary: 'One prepaid account: plan, balance, daily deductions, reminders, cut-off orders', tags: ['prepaid'],
    params: accountNoParam,
  }, async ({ actor, params }) => getPrepaidAccount(db, actor, params.accountNo));

  route(app, {
    method: 'PUT', url: '/prepaid/accounts/:accountNo', summary: 'Enrol a prepaid (预付费) account in daily deduction or change its plan', tags: ['prepaid'], permission: 'prepaid.manage',
    params: accountNoParam,
    body: z.object({ startDay: date.optional(), alertBalance: z.unknown().optional(), cutoffFloor: z.unknown().optional(), energySource: z.enum(['auto', 'frozen', 'interval']).optional() }),
  }, async ({ actor, params, body }) => upsertPlan(db, actor, { accountNo: params.accountNo, ...body }));

  route(app, {
    method: 'POST', url: '/prepaid/accounts/:accountNo/end', summary: 'End the prepaid plan (deductions stop)', tags: ['prepaid'], permission: 'prepaid.manage',
    params: accountNoParam, body: z.object({ reason: z.string().min(1, 'required').max(500) }),
  }, async ({ actor, params, body }) => endPlan(db, actor, params.accountNo, body.reason));

  route(app, {
    method: 'POST', url: '/prepaid/deductions/run', summary: 'Run the daily deduction for a finished day (idempotent: one deduction per account and day)', tags: ['prepaid'], permission: 'prepaid.manage',
    body: z.object({ day: date, accountNos: z.array(z.string().min(1).max(32)).max(1000).optional() }),
  }, async ({ actor, body }) => runPrepaidDeduction(db, actor, body.day, { accountNos: body.accountNos }));

  route(app, {
    method: 'GET', url: '/prepaid/settings', summary: 'Prepaid and cut-off rule settings (alert balance, floor, §5.4 notice days, window, 24 h target)', tags: ['prepaid'],
  }, async ({ actor }) => getControlSettings(db, actor));

  route(app, {
    method: 'PUT', url: '/prepaid/settings', summary: 'Change prepaid / cut-off settings (payment.supervise); audited', tags: ['prepaid'], permission: 'payment.supervise',
    body: z.record(z.string(), z.unknown()),
  }, async ({ actor, body }) => updateControlSettings(db, actor, body));
}
