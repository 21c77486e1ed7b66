/**
 * Scheduled jobs (系统管理 → 定时任务), system administrators (permission role.write, like the
 * holiday calendar and SLA profile pages):
 *   GET  /system/jobs              every job: schedule, running, next run, last run; scheduler on/off
 *   GET  /system/jobs/:name/runs   the newest runs of one job
 *   POST /system/jobs/:name/run    run one job now (audited `job.run`); 404 for an unknown job,
 *                                  409 while it is running; returns the finished run
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { route, type Deps } from '../http.js';
import { schedulerFor } from '../../jobs/scheduler.js';

const PERMISSION = 'role.write';
const nameParam = z.object({ name: z.string().min(1).max(60) });

export default async function systemRoutes(app: FastifyInstance, { db, env }: Deps) {
  const scheduler = await schedulerFor(db, { log: app.log, smsGatewayUrl: env.smsGatewayUrl, smsGatewayToken: env.smsGatewayToken });
  // server close: stop the timer and wait for a running job before the database closes
  app.addHook('onClose', async () => {
    await scheduler.stop();
  });

  route(app, { method: 'GET', url: '/system/jobs', summary: 'Scheduled jobs with last and next run', tags: ['system'], permission: PERMISSION }, async () => ({
    scheduler: { enabled: scheduler.started },
    items: await scheduler.list(),
  }));

  route(app, {
    method: 'GET', url: '/system/jobs/:name/runs', summary: 'Newest runs of a scheduled job', tags: ['system'], permission: PERMISSION, params: nameParam,
    query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
  }, async ({ params, query }) => ({ items: await scheduler.runs(params.name, query.limit) }));

  route(app, {
    method: 'POST', url: '/system/jobs/:name/run', summary: 'Run a scheduled job now (audited)', tags: ['system'], permission: PERMISSION, params: nameParam,
  }, async ({ actor, params }) => scheduler.runNow(params.name, actor));
}
