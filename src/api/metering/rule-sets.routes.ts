/**
 * VEE rule sets as data (校核规则版本) and the missing-reading list (漏抄). docs/metering.md.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { paging, route, type Deps } from '../http.js';
import { activateRuleSet, activeRuleSet, createDraft, listRuleSets, retireRuleSet } from '../../app/metering/rule-sets.js';
import { flagMissingReadings, listMissingReadings } from '../../app/metering/missing.js';

const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM');
const versionParam = z.object({ version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$/, 'rule set version, e.g. 2026-11-28.1') });

export default async function ruleSetRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, { method: 'GET', url: '/metering/rule-sets', summary: 'VEE rule set versions (newest first) and the threshold ranges', tags: ['metering'], permission: 'reading.read' },
    async ({ actor }) => listRuleSets(db, actor));

  route(app, { method: 'GET', url: '/metering/rule-sets/active', summary: 'The VEE rule set in force', tags: ['metering'], permission: 'reading.read' },
    async ({ actor }) => activeRuleSet(db, actor));

  route(app, {
    method: 'POST', url: '/metering/rule-sets', summary: 'New draft rule set: the active one with changed thresholds', tags: ['metering'], permission: 'reading.rules',
    body: z.object({ params: z.record(z.string(), z.unknown()), note: z.string().max(500).nullable().optional(), version: z.string().max(40).nullable().optional() }),
  }, async ({ actor, body }) => createDraft(db, actor, body));

  route(app, {
    method: 'POST', url: '/metering/rule-sets/:version/activate', summary: 'Activate a rule set version (the previous one is retired; audited)', tags: ['metering'], permission: 'reading.rules',
    params: versionParam, body: z.object({ note: z.string().max(500).nullable().optional() }).optional(),
  }, async ({ actor, params, body }) => activateRuleSet(db, actor, params.version, body ?? {}));

  route(app, {
    method: 'POST', url: '/metering/rule-sets/:version/retire', summary: 'Retire a draft rule set', tags: ['metering'], permission: 'reading.rules',
    params: versionParam,
  }, async ({ actor, params }) => retireRuleSet(db, actor, params.version));

  route(app, {
    method: 'GET', url: '/metering/missing-readings', summary: 'Reading tasks flagged as missing (overdue past the grace days without a reading)', tags: ['metering'], permission: 'reading.review',
    query: z.object({ period: period.optional(), routeId: z.coerce.number().int().positive().optional(), page: paging.page, pageSize: z.coerce.number().int().min(1).max(500).default(100) }),
  }, async ({ actor, query }) => listMissingReadings(db, actor, query));

  route(app, {
    method: 'POST', url: '/metering/missing-readings/flag', summary: 'Run the missing-reading rule now (flags overdue tasks; audited)', tags: ['metering'], permission: 'reading.review',
    body: z.object({ period: period.optional(), asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD').optional(), routeId: z.number().int().positive().optional() }),
  }, async ({ actor, body }) => flagMissingReadings(db, actor, body));
}
