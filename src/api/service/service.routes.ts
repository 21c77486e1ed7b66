/**
 * Service requests (业扩报装与变更用电), issue 7. docs/service-requests.md.
 *   GET  /service/types                      request types with their stages, documents, SLA limits
 *   POST /service/requests                   apply (counter: request.handle; portal: the customer for own accounts)
 *   GET  /service/requests                   work queue (?status=&type=&stage=&role=&mine=&orgUnitId=&overdue=&q=&page=&pageSize=)
 *   GET  /service/requests/:id               detail: stage timeline with SLA, documents, messages, actions
 *   POST /service/requests/:id/transition    { action: pass|return|reject|cancel, reason?, form?, on?, version? }
 *   POST /service/requests/:id/pause         { reason, note?, on? }   — the SLA clock stops
 *   POST /service/requests/:id/resume        { on? }
 *   POST /service/requests/:id/assign        { userId | null }
 *   POST /service/requests/:id/documents     { kind, fileName, contentType, dataBase64 } or { kind, fileName, reference }
 *   GET  /service/requests/:id/documents/:documentId   the bytes
 *   POST /service/requests/:id/rating        { rating 1-5, comment? }
 *   GET  /service/reports/on-time            ?from=&to=&orgUnitId=
 *   POST /service/sla-check                  { asOf? } raise warnings / alerts
 *   GET  /service/holidays                   ?year=   the working-day calendar
 *   PUT  /service/holidays                   { items: [{ day, kind, name, source }] }  (admin)
 *   DELETE /service/holidays/:day            (admin)
 *   GET  /service/sla-profile                the active profile;  PUT (admin) stores and activates one
 * Administration UI (calendar-admin.ts, sla-admin.ts, account-requests.ts):
 *   GET  /service/requests?accountId=        an account's requests (account 360 view; with status/page/pageSize only)
 *   POST /service/holidays/import            { year, source, provisional?, holidays: [{ name, days }], workdays } replaces a year (admin)
 *   GET  /service/sla-profiles               stored profiles, stage keys per type, defaults (admin)
 *   POST /service/sla-profiles               validate strictly (stage keys, non-negative integers), store and activate (admin)
 *   POST /service/sla-profiles/:code/activate  make a stored profile active (admin)
 *   GET  /service/sla-profiles/:code/history   the profile's audit events (admin)
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, route, type Deps } from '../http.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { DOCUMENT_KINDS, REQUEST_TYPES, stageLimit } from '../../domain/workflow/service-requests.js';
import { applicableStages } from '../../domain/workflow/engine.js';
import {
  applyRequest, assignRequest, getRequest, listRequests, pauseRequest, rateRequest, resumeRequest, transitionRequest, PAUSE_REASONS,
} from '../../app/service/requests.js';
import { getDocument, uploadDocument } from '../../app/service/documents.js';
import { onTimeReport, slaCheck } from '../../app/service/report.js';
import { activeProfile, deleteHoliday, saveProfile, upsertHolidays } from '../../app/service/support.js';
import { calendarView, importYear } from '../../app/service/calendar-admin.js';
import { activateProfile, listProfiles, profileHistory, saveProfileStrict } from '../../app/service/sla-admin.js';
import { ADMIN_PERMISSION } from '../../app/service/support.js';
import { listAccountRequests } from './account-requests.js';

const DOC_BODY_LIMIT = 8 * 1024 * 1024;
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');

export default async function serviceRoutes(app: FastifyInstance, { db, env }: Deps) {
  const bodyLimit = Math.max(env.bodyLimit, DOC_BODY_LIMIT);
  app.addHook('onRoute', (opts) => {
    if (opts.method === 'POST' && typeof opts.url === 'string' && opts.url.endsWith('/documents')) opts.bodyLimit = bodyLimit;
  });

  route(app, { method: 'GET', url: '/service/types', summary: 'Service request types, their stages, mandatory documents and SLA limits', tags: ['service'] }, async () => {
    const profile = await activeProfile(db.kysely);
    return {
      warnDays: profile.warnDays,
      rules: profile.rules,
      documentKinds: DOCUMENT_KINDS,
      pauseReasons: PAUSE_REASONS,
      items: REQUEST_TYPES.map((t) => ({
        code: t.code, name: t.name, kind: t.kind, needsAccount: t.needsAccount,
        stages: t.workflow.stages.map((s) => ({
          code: s.code, name: s.name, roles: s.roles, documents: s.documents ?? [], fields: s.fields ?? [], effect: s.effect ?? null,
          when: s.when ?? null, limit: stageLimit(profile, t.code, s, {}),
        })),
        defaultPlan: applicableStages(t.workflow, {}).map((s) => s.code),
      })),
    };
  });

  route(app, {
    method: 'POST', url: '/service/requests', summary: 'Apply for a new connection or a change (counter or portal)', tags: ['service'],
    body: z.object({
      type: z.string(), accountId: z.number().int().positive().nullish(), orgUnitId: z.number().int().positive().nullish(),
      applicantName: z.string().max(200).optional(), applicantPhone: z.string().max(30).nullish(), data: z.record(z.string(), z.unknown()).optional(), receivedOn: date.optional(),
    }),
  }, async ({ actor, body, reply }) => {
    const r = await applyRequest(db, actor, body);
    reply.status(201);
    return r;
  });

  route(app, {
    method: 'GET', url: '/service/requests', summary: 'Work queue / my requests, soonest due first, with days left', tags: ['service'],
    query: z.object({
      status: z.string().optional(), type: z.string().optional(), stage: z.string().optional(), role: z.string().optional(), mine: bool.optional(),
      orgUnitId: z.coerce.number().int().positive().optional(), overdue: bool.optional(), q: z.string().max(100).optional(),
      page: z.coerce.number().int().min(1).max(100000).default(1), pageSize: z.coerce.number().int().min(1).max(100).default(20),
      accountId: z.coerce.number().int().positive().optional(),
    }),
  }, async ({ actor, query }) => {
    if (query.accountId === undefined) return listRequests(db, actor, query);
    const other = (['type', 'stage', 'role', 'mine', 'orgUnitId', 'overdue', 'q'] as const).find((k) => query[k] !== undefined);
    if (other) throw new ValidationError(other, 'cannot be combined with accountId yet (accountId supports status, page, pageSize)');
    return listAccountRequests(db, actor, { accountId: query.accountId, status: query.status, page: query.page, pageSize: query.pageSize });
  });

  route(app, { method: 'GET', url: '/service/requests/:id', summary: 'A request with its stage timeline, SLA, documents and messages', tags: ['service'], params: idParam },
    async ({ actor, params }) => getRequest(db, actor, params.id));

  route(app, {
    method: 'POST', url: '/service/requests/:id/transition', summary: 'Pass, return, reject or cancel the current stage', tags: ['service'], permission: 'request.handle', params: idParam,
    body: z.object({ action: z.enum(['pass', 'return', 'reject', 'cancel']), reason: z.string().max(500).nullish(), form: z.record(z.string(), z.unknown()).optional(), on: date.optional(), version: z.number().int().optional() }),
  }, async ({ actor, params, body }) => transitionRequest(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/service/requests/:id/pause', summary: 'Stop the SLA clock while waiting for the customer', tags: ['service'], permission: 'request.handle', params: idParam,
    body: z.object({ reason: z.string(), note: z.string().max(500).nullish(), on: date.optional() }),
  }, async ({ actor, params, body }) => pauseRequest(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/service/requests/:id/resume', summary: 'Restart the SLA clock', tags: ['service'], permission: 'request.handle', params: idParam,
    body: z.object({ on: date.optional() }),
  }, async ({ actor, params, body }) => resumeRequest(db, actor, params.id, body ?? {}));

  route(app, {
    method: 'POST', url: '/service/requests/:id/assign', summary: 'Assign or reassign the current stage', tags: ['service'], permission: 'request.handle', params: idParam,
    body: z.object({ userId: z.number().int().positive().nullable() }),
  }, async ({ actor, params, body }) => assignRequest(db, actor, params.id, body));

  route(app, {
    method: 'POST', url: '/service/requests/:id/documents', summary: 'Attach a document (base64 JPEG/PNG/WebP/PDF, or a reference)', tags: ['service'], params: idParam,
    body: z.object({ kind: z.string(), fileName: z.string(), contentType: z.string().optional(), dataBase64: z.string().optional(), reference: z.string().optional() }),
  }, async ({ actor, params, body, reply }) => {
    const r = await uploadDocument(db, actor, params.id, body);
    reply.status(201);
    return r;
  });

  route(app, {
    method: 'GET', url: '/service/requests/:id/documents/:documentId', summary: "A document's bytes", tags: ['service'],
    params: z.object({ id: z.coerce.number().int().positive(), documentId: z.coerce.number().int().positive() }),
  }, async ({ actor, params, reply }) => {
    const d = await getDocument(db, actor, params.id, params.documentId);
    if (!d.content) throw new AppError('NOT_FOUND', `document ${d.id} is stored elsewhere: ${d.reference}`, { reference: d.reference });
    reply.header('content-type', d.content_type).header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(d.file_name)}`).header('cache-control', 'private, max-age=3600');
    return reply.send(Buffer.from(d.content));
  });

  route(app, {
    method: 'POST', url: '/service/requests/:id/rating', summary: 'Rate the service of a completed request (1-5)', tags: ['service'], params: idParam,
    body: z.object({ rating: z.number().int(), comment: z.string().max(500).nullish() }),
  }, async ({ actor, params, body }) => rateRequest(db, actor, params.id, body));

  route(app, {
    method: 'GET', url: '/service/reports/on-time', summary: 'On-time rate per stage and per 供电所, and the overdue list', tags: ['service'],
    query: z.object({ from: date, to: date, orgUnitId: z.coerce.number().int().positive().optional() }),
  }, async ({ actor, query }) => onTimeReport(db, actor, query));

  route(app, {
    method: 'POST', url: '/service/sla-check', summary: 'Raise SLA warnings and overdue alerts (once per stage visit)', tags: ['service'], permission: 'request.handle',
    body: z.object({ asOf: date.optional() }),
  }, async ({ actor, body }) => slaCheck(db, actor, body ?? {}));

  route(app, {
    method: 'GET', url: '/service/holidays', summary: 'Working-day calendar (State Council 放假调休)', tags: ['service'],
    query: z.object({ year: z.coerce.number().int().min(2000).max(2100).optional() }),
  }, async ({ query }) => calendarView(db, query.year));

  route(app, {
    method: 'POST', url: '/service/holidays/import', summary: "Replace a year's calendar with a notice (holidays-cn.json year format)", tags: ['service'], permission: ADMIN_PERMISSION,
    body: z.object({ year: z.unknown(), source: z.unknown(), provisional: z.unknown().optional(), holidays: z.unknown().optional(), workdays: z.unknown().optional() }),
  }, async ({ actor, body }) => importYear(db, actor, body));

  route(app, {
    method: 'PUT', url: '/service/holidays', summary: 'Enter or change calendar days (a new year)', tags: ['service'], permission: 'role.write',
    body: z.object({ items: z.array(z.object({ day: z.string(), kind: z.string(), name: z.string(), source: z.string() })).min(1).max(400) }),
  }, async ({ actor, body }) => upsertHolidays(db, actor, body.items));

  route(app, {
    method: 'DELETE', url: '/service/holidays/:day', summary: 'Remove a calendar day', tags: ['service'], permission: 'role.write',
    params: z.object({ day: z.string() }),
  }, async ({ actor, params }) => deleteHoliday(db, actor, params.day));

  route(app, { method: 'GET', url: '/service/sla-profile', summary: 'The active SLA profile', tags: ['service'] }, async () => activeProfile(db.kysely));

  route(app, {
    method: 'PUT', url: '/service/sla-profile', summary: 'Store and activate an SLA profile', tags: ['service'], permission: 'role.write',
    body: z.record(z.string(), z.unknown()),
  }, async ({ actor, body }) => saveProfile(db, actor, body));

  route(app, { method: 'GET', url: '/service/sla-profiles', summary: 'Stored SLA profiles, stage keys per type, defaults', tags: ['service'], permission: ADMIN_PERMISSION },
    async ({ actor }) => listProfiles(db, actor));

  route(app, {
    method: 'POST', url: '/service/sla-profiles', summary: 'Validate (stage keys, non-negative integer limits), store and activate an SLA profile', tags: ['service'], permission: ADMIN_PERMISSION,
    body: z.record(z.string(), z.unknown()),
  }, async ({ actor, body }) => saveProfileStrict(db, actor, body));

  route(app, {
    method: 'POST', url: '/service/sla-profiles/:code/activate', summary: 'Make a stored SLA profile the active one', tags: ['service'], permission: ADMIN_PERMISSION,
    params: z.object({ code: z.string() }),
  }, async ({ actor, params }) => activateProfile(db, actor, params.code));

  route(app, {
    method: 'GET', url: '/service/sla-profiles/:code/history', summary: "An SLA profile's versions (audit events)", tags: ['service'], permission: ADMIN_PERMISSION,
    params: z.object({ code: z.string() }),
  }, async ({ actor, params }) => profileHistory(db, actor, params.code));
}
