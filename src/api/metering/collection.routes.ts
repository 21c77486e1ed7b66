/**
 * Automated collection API (采集): start a run over routes or meters (runs in the background and
 * returns its id at once; `wait: true` waits and returns the summary — meant for small scopes),
 * list runs, per-route 采集成功率 with failed meters and reasons, resume / cancel, and 招测
 * (on-demand read of one meter). Format: docs/metering.md "Automated collection".
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, paging, route, type Deps } from '../http.js';
import {
  cancelCollection, collectionStats, listRuns, meterCollectionHistory, onDemandRead, startCollection, type RunSummary,
} from '../../app/metering/collection.js';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');
const ids = z.array(z.number().int().positive()).min(1, 'at least one id').max(10_000, 'at most 10,000 ids');

/** run a started collection in the background; errors end up in the run row, never crash the server */
function background(p: Promise<RunSummary>, log: (e: unknown) => void) {
  p.catch(log);
}

export default async function collectionRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'POST', url: '/collection/runs', summary: 'Start a collection run (采集) over reading routes or meters; returns the run id (wait=true: waits for the summary)', tags: ['metering'],
    permission: 'collection.run',
    body: z.object({
      routeIds: ids.optional(), meterIds: ids.optional(), dataDay: day.optional(),
      concurrency: z.number().int().min(1).max(4096).optional(), timeoutMs: z.number().int().min(50).max(60_000).optional(), retries: z.number().int().min(0).max(10).optional(),
      wait: z.boolean().optional(),
    }),
  }, async ({ actor, body, req }) => {
    const { wait, ...opts } = body;
    const s = await startCollection(db, actor, opts);
    if (wait) return { runId: s.runId, pending: s.pending, summary: await s.execute() };
    background(s.execute(), (e) => req.log.error({ err: e, runId: s.runId }, 'collection run failed'));
    return { runId: s.runId, pending: s.pending, status: 'running' };
  });

  route(app, {
    method: 'POST', url: '/collection/runs/:id/resume', summary: 'Resume a run left running (after a restart): polls only the meters without a result', tags: ['metering'],
    permission: 'collection.run', params: idParam, body: z.object({ wait: z.boolean().optional() }).optional(),
  }, async ({ actor, params, body, req }) => {
    const s = await startCollection(db, actor, { resumeRunId: params.id });
    if (body?.wait) return { runId: s.runId, pending: s.pending, summary: await s.execute() };
    background(s.execute(), (e) => req.log.error({ err: e, runId: s.runId }, 'collection run failed'));
    return { runId: s.runId, pending: s.pending, status: 'running' };
  });

  route(app, {
    method: 'POST', url: '/collection/runs/:id/cancel', summary: 'Cancel a running collection run', tags: ['metering'], permission: 'collection.run', params: idParam,
  }, async ({ actor, params }) => cancelCollection(db, actor, params.id));

  route(app, {
    method: 'GET', url: '/collection/runs', summary: 'Collection runs (latest first)', tags: ['metering'], permission: 'reading.read',
    query: z.object({ kind: z.enum(['scheduled', 'on_demand']).optional(), status: z.enum(['running', 'completed', 'failed', 'cancelled']).optional(), ...paging }),
  }, async ({ actor, query }) => listRuns(db, actor, query));

  route(app, {
    method: 'GET', url: '/collection/runs/:id', summary: 'One run: 采集成功率 per route, reasons, failed meters (paged)', tags: ['metering'], permission: 'reading.read',
    params: idParam, query: z.object({ routeId: z.coerce.number().int().positive().optional(), ...paging }),
  }, async ({ actor, params, query }) => collectionStats(db, actor, { runId: params.id, ...query }));

  route(app, {
    method: 'GET', url: '/collection/stats', summary: 'One data day: latest result per meter over that day\'s runs, per route', tags: ['metering'], permission: 'reading.read',
    query: z.object({ day, routeId: z.coerce.number().int().positive().optional(), ...paging }),
  }, async ({ actor, query }) => collectionStats(db, actor, query));

  route(app, {
    method: 'POST', url: '/meters/:id/on-demand-read', summary: '招测: read one meter now, store the reading through VEE (source headend), return values and outcome', tags: ['metering'],
    permission: 'collection.run', params: idParam,
  }, async ({ actor, params }) => onDemandRead(db, actor, { meterId: params.id }));

  route(app, {
    method: 'GET', url: '/meters/:id/collection-results', summary: 'Recent collection results of one meter', tags: ['metering'], permission: 'reading.read',
    params: idParam, query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
  }, async ({ actor, params, query }) => meterCollectionHistory(db, actor, params.id, query.limit));
}
