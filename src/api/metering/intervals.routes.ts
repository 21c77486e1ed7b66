/**
 * 15-minute interval data (负荷曲线): an account's points and daily sums. Format: docs/metering.md.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { idParam, route, type Deps } from '../http.js';
import { accountIntervals } from '../../app/metering/intervals.js';

export default async function intervalsRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'GET', url: '/accounts/:id/intervals', summary: "An account's 15-minute interval points and daily sums (from/to: days, inclusive, Asia/Shanghai; at most 62 days)", tags: ['metering'], permission: 'reading.read',
    params: idParam,
    query: z.object({ from: z.string().max(40).optional(), to: z.string().max(40).optional() }),
  }, async ({ actor, params, query }) => accountIntervals(db, actor, params.id, query));
}
