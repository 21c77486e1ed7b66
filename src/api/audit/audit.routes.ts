import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { paging, route, type Deps } from '../http.js';
import { verifyAudit } from '../../app/audit/verify-audit.js';
import { writeAudit } from '../../app/audit/write-audit.js';
import { inTx } from '../../app/context.js';
import { escapeLike } from '../../app/security/users.js';

export default async function auditRoutes(app: FastifyInstance, { db }: Deps) {
  route(app, {
    method: 'GET', url: '/audit', summary: 'Audit trail (newest first)', tags: ['audit'], permission: 'audit.read',
    query: z.object({
      entityType: z.string().max(40).optional(), entityId: z.string().max(40).optional(), actor: z.string().max(64).optional(),
      action: z.string().max(64).optional(), from: z.string().datetime({ offset: true }).or(z.string().date()).optional(), to: z.string().datetime({ offset: true }).or(z.string().date()).optional(), ...paging,
    }),
  }, async ({ actor, query }) => {
    let qb = db.kysely.selectFrom('audit_events');
    // the root org unit ('/1/') sees everything, including system events without an org unit
    if (actor.orgPath && actor.orgPath.split('/').filter(Boolean).length > 1) {
      // events of org units in scope, plus the user's own actions
      qb = qb.where((eb) => eb.or([
        eb('org_unit_id', 'in', eb.selectFrom('org_units').select('id').where('path', 'like', escapeLike(actor.orgPath) + '%')),
        eb('actor_id', '=', actor.userId ?? -1),
      ]));
    }
    if (query.entityType) qb = qb.where('entity_type', '=', query.entityType);
    if (query.entityId) qb = qb.where('entity_id', '=', query.entityId);
    if (query.actor) qb = qb.where('actor_name', '=', query.actor);
    if (query.action) qb = qb.where('action', 'like', escapeLike(query.action) + '%');
    if (query.from) qb = qb.where('occurred_at', '>=', new Date(query.from));
    if (query.to) qb = qb.where('occurred_at', '<', new Date(query.to.length === 10 ? new Date(new Date(query.to).getTime() + 86_400_000) : query.to));
    const [rows, cnt] = await Promise.all([
      qb.selectAll().orderBy('id', 'desc').limit(query.pageSize).offset((query.page - 1) * query.pageSize).execute(),
      qb.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
    ]);
    return {
      items: rows.map((r) => ({
        id: r.id, occurredAt: r.occurred_at, actorId: r.actor_id, actorName: r.actor_name, action: r.action, entityType: r.entity_type,
        entityId: r.entity_id, orgUnitId: r.org_unit_id, before: r.before, after: r.after, requestId: r.request_id, hash: r.hash,
      })),
      total: Number(cnt?.n ?? 0), page: query.page, pageSize: query.pageSize,
    };
  });

  route(app, { method: 'POST', url: '/audit/verify', summary: 'Verify the audit hash chain', tags: ['audit'], permission: 'audit.verify' }, async ({ actor }) => {
    const result = await verifyAudit(db);
    await inTx(db, (trx) => writeAudit(trx, actor, { action: 'audit.verify', entityType: 'audit', after: result }));
    return result;
  });
}
