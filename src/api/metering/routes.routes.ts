/**
 * Reading routes administration (抄表段管理) for the billing supervisor: list with reader,
 * account count and this period's task progress; create; edit reading day / reader / status with
 * an optimistic-lock version; the users who can be assigned as readers. docs/metering.md.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, route, type Deps } from '../http.js';
import { createRoute, getRoute, listReaders, listRoutes, updateRoute } from '../../app/metering/routes.js';

const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM');
const readingDay = z.number().int('must be a whole day 1-31').min(1, 'must be a whole day 1-31').max(31, 'must be a whole day 1-31');
const status = z.enum(['active', 'inactive']);

export default async function readingRouteAdminRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'GET', url: '/metering/routes', summary: 'Reading routes (抄表段) in scope with reader, account count and task progress of a period', tags: ['metering'], permission: 'reading.read',
    query: z.object({ period: period.optional(), orgUnitId: z.coerce.number().int().positive().optional(), readerUserId: z.coerce.number().int().positive().optional(), q: z.string().max(50).optional(), status: status.optional() }),
  }, async ({ actor, query }) => listRoutes(db, actor, query));

  route(app, {
    method: 'GET', url: '/metering/routes/:id', summary: 'One reading route', tags: ['metering'], permission: 'reading.read', params: idParam,
  }, async ({ actor, params }) => getRoute(db, actor, params.id));

  route(app, {
    method: 'POST', url: '/metering/routes', summary: 'Create a reading route (抄表段)', tags: ['metering'], permission: 'reading.review',
    body: z.object({
      code: z.string().min(1, 'required').max(32), name: z.string().min(1, 'required').max(100), orgUnitId: z.number().int().positive(), readingDay,
      readerUserId: z.number().int().positive().nullable().optional(),
    }),
  }, async ({ actor, body, reply }) => {
    const out = await createRoute(db, actor, body);
    reply.status(201);
    return out;
  });

  route(app, {
    method: 'PATCH', url: '/metering/routes/:id', summary: 'Change a reading route: reading day (抄表例日), name, reader, status; version required (409 when stale)', tags: ['metering'], permission: 'reading.review',
    params: idParam,
    body: z.object({
      version: z.number().int().positive(), name: z.string().min(1, 'required').max(100).optional(), readingDay: readingDay.optional(),
      readerUserId: z.number().int().positive().nullable().optional(), status: status.optional(),
    }),
  }, async ({ actor, params, body }) => updateRoute(db, actor, params.id, body));

  route(app, {
    method: 'GET', url: '/metering/readers', summary: 'Users who can be assigned as meter readers (reading.write) in scope', tags: ['metering'], permission: 'reading.review',
    query: z.object({ routeId: z.coerce.number().int().positive().optional() }),
  }, async ({ actor, query }) => listReaders(db, actor, query));
}
