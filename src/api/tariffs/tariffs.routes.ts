/**
 * Tariff catalogue (电价管理) and quotes (电费试算):
 *   GET  /tariffs                  list (?province=&customerClass=&voltageLevel=&code=&q=&onDate=&status=)
 *   POST /tariffs                  create a version (body: tariff version JSON; ?status=draft)
 *   GET  /tariffs/compare?a=&b=    structured diff of two versions
 *   POST /tariffs/import           one version, an array, or { items: [...] }; all or nothing
 *   GET  /tariffs/export?code=     JSON array of tariff documents
 *   GET  /tariffs/:id              one version: summary, document, derived TOU day profiles and prices
 *   POST /tariffs/:id/new-version  copy + changes with a new effectiveFrom (closes the old one)
 *   POST /tariffs/:id/status       draft / active / retired
 *   POST /quotes                   rate a usage for an account, a tariff code or an inline tariff
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, route, type Deps } from '../http.js';
import {
  compareTariffs, createTariffVersion, createVersionFrom, exportTariffs, getTariff, importTariffs, listTariffs, setTariffStatus,
} from '../../app/tariffs/catalog.js';
import { quote } from '../../app/tariffs/quote.js';
import type { Usage } from '../../domain/rating/types.js';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const status = z.enum(['draft', 'active', 'retired']);
const qty = z.union([z.number(), z.string()]);
const periodMap = z.object({ SHARP: qty, PEAK: qty, FLAT: qty, VALLEY: qty, DEEP: qty }).partial().strict();

/** Usage as the engine takes it (docs/tariffs.md §9); the engine checks values and names the field. */
const usage = z
  .object({
    periodStart: date,
    periodEnd: date,
    kwh: qty.optional(),
    tou: periodMap.optional(),
    interval: z.object({ start: z.string(), intervalMinutes: z.number().int(), values: z.array(qty) }).optional(),
    holidays: z.array(z.object({ date, holidayCode: z.string(), dayOfHoliday: z.number().int().optional() })).optional(),
    ladderPrevCum: qty.optional(),
    householdSize: z.number().int().optional(),
    ladderMonths: z.number().int().optional(),
    ladderOpenedMonth: z.number().int().optional(),
    maxDemandKw: qty.optional(),
    capacityKva: qty.optional(),
    contractDemandKw: qty.optional(),
    basicChargeMethod: z.enum(['CAPACITY', 'CONTRACT_DEMAND', 'ACTUAL_DEMAND']).optional(),
    daysUsed: z.number().int().optional(),
    calendarDays: z.number().int().optional(),
    reactiveKvarh: z.object({ forward: qty.optional(), reverse: qty.optional() }).optional(),
    pfStandard: z.enum(['0.90', '0.85', '0.80']).optional(),
    componentPrices: z.record(z.string(), z.string()).optional(),
    frozenReadings: z.array(z.object({ date, kwhBefore: qty, tou: periodMap.optional() })).optional(),
  })
  .strict();

const anyJson = z.any();

export default async function tariffRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'GET', url: '/tariffs', summary: 'List tariff versions (电价目录)', tags: ['tariffs'], permission: 'tariff.read',
    query: z.object({
      province: z.string().max(20).optional(), customerClass: z.string().max(40).optional(), voltageLevel: z.string().max(40).optional(),
      code: z.string().max(64).optional(), q: z.string().max(100).optional(), onDate: date.optional(), status: status.optional(),
    }),
  }, async ({ actor, query }) => listTariffs(db, actor, query));

  route(app, {
    method: 'POST', url: '/tariffs', summary: 'Create a tariff version (validated; overlapping versions of the same code are refused; policy warnings returned)', tags: ['tariffs'], permission: 'tariff.write',
    body: anyJson, query: z.object({ status: status.optional() }),
  }, async ({ actor, body, query, reply }) => {
    reply.status(201);
    return createTariffVersion(db, actor, body, { status: query.status });
  });

  route(app, {
    method: 'GET', url: '/tariffs/compare', summary: 'Compare two tariff versions (structured diff)', tags: ['tariffs'], permission: 'tariff.read',
    query: z.object({ a: z.coerce.number().int().positive(), b: z.coerce.number().int().positive() }),
  }, async ({ actor, query }) => compareTariffs(db, actor, query.a, query.b));

  route(app, {
    method: 'POST', url: '/tariffs/import', summary: 'Import tariff versions (one, an array, or {items}); all or nothing', tags: ['tariffs'], permission: 'tariff.write',
    body: anyJson,
  }, async ({ actor, body }) => importTariffs(db, actor, body));

  route(app, {
    method: 'GET', url: '/tariffs/export', summary: 'Export tariff versions as JSON (array of documents)', tags: ['tariffs'], permission: 'tariff.read',
    query: z.object({ code: z.string().max(64).optional(), status: status.optional() }),
  }, async ({ actor, query }) => exportTariffs(db, actor, query));

  route(app, { method: 'GET', url: '/tariffs/:id', summary: 'One tariff version with its document and TOU day profiles', tags: ['tariffs'], permission: 'tariff.read', params: idParam },
    async ({ actor, params }) => getTariff(db, actor, params.id));

  route(app, {
    method: 'POST', url: '/tariffs/:id/new-version', summary: 'New version from this one (copy + changes, new effectiveFrom; closes the old version)', tags: ['tariffs'], permission: 'tariff.write', params: idParam,
    body: z.object({
      effectiveFrom: date,
      effectiveTo: date.nullable().optional(),
      version: z.string().min(1).max(64).optional(),
      name: z.object({ zh: z.string().min(1), en: z.string().min(1) }).optional(),
      changes: z.record(z.string(), z.any()).optional(),
      document: z.record(z.string(), z.any()).optional(),
      status: status.optional(),
    }),
  }, async ({ actor, params, body, reply }) => {
    reply.status(201);
    return createVersionFrom(db, actor, params.id, body);
  });

  route(app, {
    method: 'POST', url: '/tariffs/:id/status', summary: 'Set a version draft / active / retired', tags: ['tariffs'], permission: 'tariff.write', params: idParam,
    body: z.object({ status }),
  }, async ({ actor, params, body }) => setTariffStatus(db, actor, params.id, body.status));

  route(app, {
    method: 'POST', url: '/quotes', summary: 'Quote a bill (电费试算) for an account, a tariff code or an inline tariff', tags: ['tariffs'], permission: 'quote.create',
    body: z.object({
      accountId: z.number().int().positive().optional(),
      accountNo: z.string().regex(/^\d{1,16}$/, 'must be digits').optional(),
      tariffCode: z.string().min(1).max(64).optional(),
      tariffId: z.number().int().positive().optional(),
      tariff: anyJson.optional(),
      usage,
    }),
  }, async ({ actor, body }) => quote(db, actor, { ...body, usage: body.usage as Usage }));
}
