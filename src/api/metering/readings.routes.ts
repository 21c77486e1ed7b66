/**
 * Meter reading API (抄表): tasks per route and period, phone/desk submit with offline
 * de-duplication, CSV import with per-row report and template, review queue, history.
 * Format and rules: docs/metering.md.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, paging, route, type Deps } from '../http.js';
import { generateTasks, listRouteTasks } from '../../app/metering/tasks.js';
import { accountReadings, accountUsage, submitReadings } from '../../app/metering/readings.js';
import { IMPORT_TEMPLATE, importReadings, importTemplateXlsx } from '../../app/metering/import.js';
import { XLSX_MIME } from '../../domain/formats/xlsx.js';
import { acceptReading, editReading, estimateReadingFor, rejectReading, reviewQueue } from '../../app/metering/review.js';
import { EXCEPTION_CODES, REGISTERS } from '../../domain/metering/vee.js';
import { getActiveRuleSet } from '../../app/metering/rule-sets.js';

const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM');
const value = z.union([z.string().max(40), z.number()]);
const exceptionCode = z.enum(Object.keys(EXCEPTION_CODES) as [string, ...string[]]);

const visit = z.object({
  clientId: z.string().uuid('must be a UUID').optional(),
  accountId: z.number().int().positive().optional(),
  meterId: z.number().int().positive().optional(),
  meterAssetNo: z.string().max(32).optional(),
  readAt: z.string().max(40),
  readings: z.record(z.string().regex(/^[A-Z_]{2,20}$/, 'register code, e.g. TOTAL'), value.nullable()).optional(),
  exceptionCode: exceptionCode.nullable().optional(),
  photoRef: z.string().max(300).nullable().optional(),
  gps: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).nullable().optional(),
  billingPeriod: period.nullable().optional(),
});

/** a reading import may be larger than the API's default body limit (50,000 rows, or an Excel file in base64) */
export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

export default async function readingsRoutes(app: FastifyInstance, { db, env }: Deps) {
  route(app, {
    method: 'POST', url: '/reading-tasks/generate', summary: 'Generate the reading tasks of routes for a billing period', tags: ['metering'], permission: 'reading.review',
    body: z.object({ period, routeIds: z.array(z.number().int().positive()).min(1, 'at least one route').max(500), assignedTo: z.number().int().positive().nullable().optional() }),
  }, async ({ actor, body }) => generateTasks(db, actor, body));

  route(app, {
    method: 'GET', url: '/reading-routes/:id/tasks', summary: "A route's reading tasks in walking order, with last readings and expected range", tags: ['metering'], permission: 'reading.read',
    params: idParam, query: z.object({ period, status: z.enum(['pending', 'read', 'exception', 'skipped']).optional(), mine: z.enum(['true', 'false']).transform((v) => v === 'true').optional() }),
  }, async ({ actor, params, query }) => listRouteTasks(db, actor, params.id, query));

  route(app, {
    method: 'POST', url: '/readings', summary: 'Submit readings (one visit or a batch from the phone; clientId de-duplicates re-sends)', tags: ['metering'], permission: 'reading.write',
    body: z.object({ items: z.array(visit).min(1, 'at least one visit').max(500, 'at most 500 visits'), source: z.enum(['phone', 'manual']).optional() }),
  }, async ({ actor, body }) => submitReadings(db, actor, body as never));

  route(app, {
    method: 'POST', url: '/readings/import', summary: 'Import readings from CSV text; per-row report', tags: ['metering'], permission: 'reading.write',
    bodyLimit: Math.max(env.bodyLimit, IMPORT_BODY_LIMIT),
    body: z.object({
      csv: z.string().min(1, 'empty file').max(8_000_000, 'file too large').optional(),
      xlsx: z.string().min(1, 'empty file').max(IMPORT_BODY_LIMIT, 'file too large').optional(),
      fileName: z.string().max(200).optional(),
    }),
  }, async ({ actor, body }) => importReadings(db, actor, body));

  route(app, {
    method: 'GET', url: '/readings/import-template', summary: 'Template for reading imports: CSV (default) or Excel (?format=xlsx)', tags: ['metering'], permission: 'reading.read',
    query: z.object({ format: z.enum(['csv', 'xlsx']).default('csv') }),
  }, async ({ query, reply }) => {
    if (query.format === 'xlsx') {
      reply.header('content-type', XLSX_MIME).header('content-disposition', 'attachment; filename="readings-template.xlsx"');
      return reply.send(importTemplateXlsx());
    }
    reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="readings-template.csv"');
    return reply.send(IMPORT_TEMPLATE);
  });

  route(app, { method: 'GET', url: '/readings/rules', summary: 'VEE rule set in force (thresholds) and exception codes', tags: ['metering'], permission: 'reading.read' },
    async () => ({ ruleSet: await getActiveRuleSet(db), exceptionCodes: EXCEPTION_CODES, registers: REGISTERS }));

  route(app, {
    method: 'GET', url: '/readings/review', summary: 'Review queue: readings flagged by validation', tags: ['metering'], permission: 'reading.review',
    query: z.object({ routeId: z.coerce.number().int().positive().optional(), rule: z.string().max(40).optional(), ...paging }),
  }, async ({ actor, query }) => reviewQueue(db, actor, query));

  route(app, {
    method: 'POST', url: '/readings/:id/accept', summary: 'Accept a flagged reading', tags: ['metering'], permission: 'reading.review',
    params: idParam, body: z.object({ reason: z.string().max(500).optional() }),
  }, async ({ actor, params, body }) => acceptReading(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/readings/:id/edit', summary: 'Correct a reading (new value + reason, audited)', tags: ['metering'], permission: 'reading.review',
    params: idParam, body: z.object({ value, reason: z.string().min(1, 'required').max(500) }),
  }, async ({ actor, params, body }) => editReading(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/readings/:id/estimate', summary: 'Estimate a flagged reading (previous consumption or same period last year)', tags: ['metering'], permission: 'reading.review',
    params: idParam, body: z.object({ basis: z.enum(['previous_period', 'same_period_last_year']).optional(), reason: z.string().max(500).optional() }),
  }, async ({ actor, params, body }) => estimateReadingFor(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/readings/:id/reject', summary: 'Reject a flagged reading (reason required)', tags: ['metering'], permission: 'reading.review',
    params: idParam, body: z.object({ reason: z.string().min(1, 'required').max(500) }),
  }, async ({ actor, params, body }) => rejectReading(db, actor, params.id, body));

  route(app, {
    method: 'GET', url: '/accounts/:id/readings', summary: "An account's readings, newest first", tags: ['metering'], permission: 'reading.read',
    params: idParam,
    query: z.object({ register: z.enum(REGISTERS).optional(), from: z.string().max(40).optional(), to: z.string().max(40).optional(),
      status: z.enum(['pending_review', 'accepted', 'rejected', 'estimated', 'replaced']).optional(), ...paging }),
  }, async ({ actor, params, query }) => accountReadings(db, actor, params.id, query));
  route(app, {
    method: 'GET', url: '/accounts/:id/usage', summary: "An account's monthly consumption per register (accepted and estimated readings)", tags: ['metering'], permission: 'reading.read',
    params: idParam,
    query: z.object({ months: z.coerce.number().int().min(1).max(120).default(24), to: period.optional() }),
  }, async ({ actor, params, query }) => accountUsage(db, actor, params.id, query));
}
