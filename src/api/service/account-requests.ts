/**
 * Service requests of one account (account 360 view, issue 7): GET /service/requests?accountId=.
 *
 * listRequests (src/app/service/requests.ts, another engineer's file) has no accountId filter
 * yet, so this read lives here; once QueueFilter gets `accountId`
 * (`if (f.accountId) qb = qb.where('service_requests.account_id', '=', f.accountId)`) the route
 * can call listRequests instead and this file goes. Same item shape as the work queue.
 *
 * Who: staff with account.read, request.handle or stats.read whose data scope holds the
 * account's org unit; a customer for an own account.
 */
import '../../db/schema-service.js';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { requestType } from '../../domain/workflow/service-requests.js';
import { slaState, type Pause } from '../../domain/workflow/sla.js';
import { can, requirePermission, requireScope, type Actor } from '../../app/context.js';
import { today } from '../../app/archive/accounts.js';
import { activeProfile, loadCalendar } from '../../app/service/support.js';

export async function listAccountRequests(db: Db, actor: Actor, f: { accountId: number; status?: string; page: number; pageSize: number }, now = new Date()) {
  const k = db.kysely;
  const customer = actor.roles.includes('customer') && !!actor.accountIds;
  if (customer) {
    if (!actor.accountIds!.includes(f.accountId)) throw new AppError('OUT_OF_SCOPE', 'this account is not yours', { field: 'accountId' });
  } else if (!can(actor, 'account.read') && !can(actor, 'request.handle') && !can(actor, 'stats.read')) {
    requirePermission(actor, 'request.handle');
  }
  const acc = await k.selectFrom('accounts').innerJoin('org_units', 'org_units.id', 'accounts.org_unit_id')
    .select(['accounts.id', 'org_units.path']).where('accounts.id', '=', f.accountId).executeTakeFirst();
  if (!acc) throw new ValidationError('accountId', 'no such account');
  if (!customer) requireScope(actor, acc.path, 'account');
  const status = f.status ?? 'open';
  if (!['open', 'completed', 'rejected', 'cancelled', 'all'].includes(status)) throw new ValidationError('status', 'must be open, completed, rejected, cancelled or all');
  let qb = k.selectFrom('service_requests').innerJoin('org_units', 'org_units.id', 'service_requests.org_unit_id')
    .leftJoin('request_stages', (j) => j.onRef('request_stages.request_id', '=', 'service_requests.id').on('request_stages.completed_on', 'is', null))
    .leftJoin('users', 'users.id', 'service_requests.assignee_id')
    .where('service_requests.account_id', '=', f.accountId);
  if (status !== 'all') qb = qb.where('service_requests.status', '=', status as never);
  const [rows, cnt, profile, cal] = await Promise.all([
    qb.select([
      'service_requests.id', 'service_requests.request_no', 'service_requests.type', 'service_requests.status', 'service_requests.stage', 'service_requests.channel',
      'service_requests.applicant_name', 'service_requests.account_id', 'service_requests.received_on', 'service_requests.promised_on', 'service_requests.completed_on',
      'service_requests.paused', 'service_requests.assignee_id', 'service_requests.rating', 'org_units.name as org_unit_name', 'users.display_name as assignee_name',
      'request_stages.entered_on', 'request_stages.sla_days', 'request_stages.sla_unit', 'request_stages.due_on', 'request_stages.pauses',
    ]).orderBy('service_requests.received_on', 'desc').orderBy('service_requests.id', 'desc')
      .limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute(),
    qb.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
    activeProfile(k),
    loadCalendar(k),
  ]);
  const asOf = today(now);
  return {
    asOf,
    accountId: f.accountId,
    items: rows.map((r) => {
      const def = requestType(r.type);
      const st = def.workflow.stages.find((s) => s.code === r.stage);
      const sla = r.entered_on
        ? slaState(cal, { startedOn: r.entered_on, limit: r.sla_days ? { days: r.sla_days, unit: (r.sla_unit ?? 'working') as 'working' } : null, pauses: (r.pauses ?? []) as Pause[], asOf, warnDays: profile.warnDays })
        : null;
      const overdue = sla?.status === 'overdue' || (r.status === 'open' && !!r.promised_on && r.promised_on < asOf);
      return {
        id: r.id, requestNo: r.request_no, type: r.type, typeName: def.name, status: r.status, stage: r.stage, stageName: st?.name ?? null, channel: r.channel,
        applicantName: r.applicant_name, accountId: r.account_id, orgUnitName: r.org_unit_name, receivedOn: r.received_on, promisedOn: r.promised_on,
        completedOn: r.completed_on, paused: r.paused, assigneeId: r.assignee_id, assigneeName: r.assignee_name, rating: r.rating,
        stageDueOn: sla?.dueOn ?? r.due_on, daysLeft: sla?.remainingDays ?? null, slaStatus: sla?.status ?? null, overdue,
      };
    }),
    total: Number(cnt?.n ?? 0), page: f.page, pageSize: f.pageSize,
  };
}
