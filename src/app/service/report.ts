/**
 * Manager views of service requests: on-time rate per stage and per 供电所 (stages completed in
 * a date range that carry a time limit), and the SLA check that raises warnings (before the
 * limit) and alerts (after it) once per stage visit, storing a staff notification each time.
 */
import { sql } from 'kysely';
import '../../db/schema-service.js';
import type { Db } from '../../db/database.js';
import { ValidationError } from '../../domain/errors.js';
import { checkDay } from '../../domain/calendar/calendar.js';
import { slaState, type Pause } from '../../domain/workflow/sla.js';
import { requestType, REQUEST_TYPES } from '../../domain/workflow/service-requests.js';
import { can, inTx, requirePermission, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { today } from '../archive/accounts.js';
import { escapeLike } from '../security/users.js';
import { activeProfile, loadCalendar, notify } from './support.js';

/** Percentage with one decimal, ROUND_HALF_UP, exact: rate(2, 3) === '66.7'. */
export function rate(onTime: number, total: number): string | null {
  if (total === 0) return null;
  const tenths = Math.floor((onTime * 2000 + total) / (2 * total)); // round(onTime*1000/total)
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}

const STAGE_NAMES = new Map(REQUEST_TYPES.flatMap((t) => t.workflow.stages.map((s) => [s.code, s.name] as const)));

export async function onTimeReport(db: Db, actor: Actor, f: { from: string; to: string; orgUnitId?: number }, now = new Date()) {
  if (!can(actor, 'stats.read')) requirePermission(actor, 'request.handle');
  const from = checkDay('from', f.from);
  const to = checkDay('to', f.to);
  if (to < from) throw new ValidationError('to', 'must not be before from');
  const k = db.kysely;
  let scope = actor.orgPath;
  if (f.orgUnitId) {
    const ou = await k.selectFrom('org_units').select('path').where('id', '=', f.orgUnitId).executeTakeFirst();
    if (!ou) throw new ValidationError('orgUnitId', 'no such org unit');
    if (actor.orgPath && !ou.path.startsWith(actor.orgPath)) throw new ValidationError('orgUnitId', 'outside your data scope');
    scope = ou.path;
  }
  const base = k.selectFrom('request_stages').innerJoin('org_units', 'org_units.id', 'request_stages.org_unit_id')
    .where('request_stages.sla_days', 'is not', null).where('request_stages.completed_on', '>=', from).where('request_stages.completed_on', '<=', to)
    .where('request_stages.decision', 'in', ['pass', 'return', 'reject'])
    .$if(!!scope, (b) => b.where('org_units.path', 'like', escapeLike(scope) + '%'));
  const agg = (eb: any) => [
    eb.fn.countAll().as('total'),
    sql<number>`count(*) filter (where request_stages.on_time)`.as('on_time'),
  ];
  const [byStage, byOrg, all] = await Promise.all([
    base.select((eb) => ['request_stages.stage', ...agg(eb)] as never).groupBy('request_stages.stage').orderBy('request_stages.stage').execute(),
    base.select((eb) => ['org_units.id as org_unit_id', 'org_units.name as org_unit_name', ...agg(eb)] as never).groupBy(['org_units.id', 'org_units.name']).orderBy('org_units.name').execute(),
    base.select((eb) => agg(eb) as never).executeTakeFirst(),
  ]);
  const asOf = today(now);
  const overdue = await k.selectFrom('request_stages').innerJoin('org_units', 'org_units.id', 'request_stages.org_unit_id')
    .innerJoin('service_requests', 'service_requests.id', 'request_stages.request_id')
    .select(['service_requests.id', 'service_requests.request_no', 'service_requests.type', 'service_requests.applicant_name', 'request_stages.stage', 'request_stages.due_on', 'org_units.name as org_unit_name'])
    .where('request_stages.completed_on', 'is', null).where('request_stages.due_on', '<', asOf)
    .$if(!!scope, (b) => b.where('org_units.path', 'like', escapeLike(scope) + '%'))
    .orderBy('request_stages.due_on').limit(200).execute();
  const line = (r: any) => ({ total: Number(r.total), onTime: Number(r.on_time), late: Number(r.total) - Number(r.on_time), rate: rate(Number(r.on_time), Number(r.total)) });
  return {
    from, to, asOf,
    total: all ? line(all) : line({ total: 0, on_time: 0 }),
    byStage: (byStage as any[]).map((r) => ({ stage: r.stage, stageName: STAGE_NAMES.get(r.stage) ?? { zh: r.stage, en: r.stage }, ...line(r) })),
    byOrgUnit: (byOrg as any[]).map((r) => ({ orgUnitId: r.org_unit_id, orgUnitName: r.org_unit_name, ...line(r) })),
    overdue: overdue.map((o) => ({ id: o.id, requestNo: o.request_no, type: o.type, typeName: requestType(o.type).name, applicantName: o.applicant_name, stage: o.stage, stageName: STAGE_NAMES.get(o.stage) ?? null, dueOn: o.due_on, orgUnitName: o.org_unit_name })),
  };
}

export interface SlaCheckItem {
  requestId: number;
  requestNo: string;
  stage: string;
  status: 'warning' | 'overdue';
  dueOn: string | null;
  remainingDays: number | null;
  orgUnitName: string;
  raised: boolean;
}

/**
 * Raise SLA warnings and alerts as of `asOf` (default today). A warning is raised once per stage
 * visit when 0 <= days left <= warnDays; an alert once when the limit has passed. Paused stages
 * only alert when already past the limit. Returns every stage in warning or overdue state.
 */
export async function slaCheck(db: Db, actor: Actor, opts: { asOf?: string } = {}, now = new Date()) {
  requirePermission(actor, 'request.handle');
  const asOf = opts.asOf ? checkDay('asOf', opts.asOf) : today(now);
  return inTx(db, async (trx) => {
    const profile = await activeProfile(trx);
    const cal = await loadCalendar(trx);
    const rows = await trx.selectFrom('request_stages').innerJoin('org_units', 'org_units.id', 'request_stages.org_unit_id')
      .innerJoin('service_requests', 'service_requests.id', 'request_stages.request_id')
      .select(['request_stages.id', 'request_stages.request_id', 'request_stages.stage', 'request_stages.entered_on', 'request_stages.sla_days', 'request_stages.sla_unit',
        'request_stages.pauses', 'request_stages.warned_at', 'request_stages.alerted_at', 'service_requests.request_no', 'service_requests.type', 'service_requests.account_id',
        'org_units.name as org_unit_name'])
      .where('request_stages.completed_on', 'is', null).where('request_stages.sla_days', 'is not', null).where('request_stages.entered_on', '<=', asOf)
      .$if(!!actor.orgPath, (b) => b.where('org_units.path', 'like', escapeLike(actor.orgPath) + '%'))
      .orderBy('request_stages.id').execute();
    const items: SlaCheckItem[] = [];
    let warnings = 0;
    let alerts = 0;
    for (const r of rows) {
      const s = slaState(cal, { startedOn: r.entered_on, limit: { days: r.sla_days!, unit: r.sla_unit ?? 'working' }, pauses: (r.pauses ?? []) as Pause[], asOf, warnDays: profile.warnDays });
      const stageName = requestType(r.type).workflow.stages.find((x) => x.code === r.stage)?.name ?? { zh: r.stage, en: r.stage };
      if (s.status === 'overdue') {
        const raise = !r.alerted_at;
        if (raise) {
          alerts++;
          await trx.updateTable('request_stages').set({ alerted_at: now, ...(r.warned_at ? {} : { warned_at: now }) }).where('id', '=', r.id).execute();
          await notify(trx, { requestId: r.request_id, accountId: r.account_id, audience: 'staff', recipient: r.org_unit_name, event: 'sla_alert',
            zh: `超期告警：${r.request_no}「${stageName.zh}」已超过时限（应于${s.dueOn}前完成，超期${-s.remainingDays!}个工作日）。`,
            en: `Overdue: ${r.request_no} "${stageName.en}" passed its limit (due ${s.dueOn}, ${-s.remainingDays!} working day(s) late).` });
        }
        items.push({ requestId: r.request_id, requestNo: r.request_no, stage: r.stage, status: 'overdue', dueOn: s.dueOn, remainingDays: s.remainingDays, orgUnitName: r.org_unit_name, raised: raise });
      } else if (s.status === 'warning') {
        const raise = !r.warned_at;
        if (raise) {
          warnings++;
          await trx.updateTable('request_stages').set({ warned_at: now }).where('id', '=', r.id).execute();
          await notify(trx, { requestId: r.request_id, accountId: r.account_id, audience: 'staff', recipient: r.org_unit_name, event: 'sla_warning',
            zh: `时限预警：${r.request_no}「${stageName.zh}」剩余${s.remainingDays}个工作日（${s.dueOn}到期）。`,
            en: `Due soon: ${r.request_no} "${stageName.en}" has ${s.remainingDays} working day(s) left (due ${s.dueOn}).` });
        }
        items.push({ requestId: r.request_id, requestNo: r.request_no, stage: r.stage, status: 'warning', dueOn: s.dueOn, remainingDays: s.remainingDays, orgUnitName: r.org_unit_name, raised: raise });
      }
    }
    if (warnings || alerts) {
      await writeAudit(trx, actor, { action: 'service_request.sla_check', entityType: 'service_request', entityId: null, after: { asOf, warnings, alerts, requests: items.filter((i) => i.raised).map((i) => i.requestNo) } }, now);
    }
    return { asOf, warningsRaised: warnings, alertsRaised: alerts, items, uncoveredYear: !cal.covers(asOf) };
  });
}
