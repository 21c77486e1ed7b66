/**
 * Missing reading rule (漏抄): a reading task still pending more than `missingGraceDays` (active
 * rule set, default 2) after its due date, with no stored reading for that account, meter and
 * billing period, is flagged (reading_tasks.missing_flagged_at; the status stays pending). Each
 * run re-evaluates its scope: tasks that got a reading since are un-flagged. Billing reads the
 * flag (`missingReadingAccounts`) to put the account on its exception list.
 *
 * Example: due 2026-11-25, grace 2 -> flagged from 2026-11-28 (3 days overdue) on.
 */
import { sql } from 'kysely';
import '../../db/schema-vee.js';
import type { Db } from '../../db/database.js';
import { ValidationError } from '../../domain/errors.js';
import { inTx, requirePermission, type Actor, type Q } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { checkPeriod } from './tasks.js';
import { getActiveRuleSet } from './rule-sets.js';

export interface MissingReading {
  taskId: number;
  billingPeriod: string;
  route: { id: number; code: string; name: string };
  account: { id: number; accountNo: string; name: string };
  meter: { id: number; assetNo: string };
  dueDate: string;
  daysOverdue: number;
  flaggedAt: string | null;
  assignedTo: number | null;
  /** the assigned reader's display name */
  assignedName: string | null;
}

/** today in Asia/Shanghai as YYYY-MM-DD */
export function shanghaiToday(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

export function checkDate(s: unknown, field: string): string {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s) || Number.isNaN(Date.parse(s + 'T00:00:00Z')) || new Date(s + 'T00:00:00Z').toISOString().slice(0, 10) !== s) {
    throw new ValidationError(field, 'must be a date YYYY-MM-DD');
  }
  return s;
}

const daysBetween = (from: string, to: string) => Math.round((Date.parse(to + 'T00:00:00Z') - Date.parse(from + 'T00:00:00Z')) / 86_400_000);

function mapRow(r: any, asOf: string): MissingReading {
  const due = typeof r.due_date === 'string' ? r.due_date : new Date(r.due_date).toISOString().slice(0, 10);
  return {
    taskId: Number(r.id), billingPeriod: r.billing_period,
    route: { id: Number(r.route_id), code: r.route_code, name: r.route_name },
    account: { id: Number(r.account_id), accountNo: r.account_no, name: r.account_name },
    meter: { id: Number(r.meter_id), assetNo: r.asset_no },
    dueDate: due, daysOverdue: daysBetween(due, asOf),
    flaggedAt: r.missing_flagged_at ? new Date(r.missing_flagged_at).toISOString() : null,
    assignedTo: r.assigned_to === null ? null : Number(r.assigned_to),
    assignedName: r.assigned_name ?? null,
  };
}

/** candidate rows: pending tasks of the scope with no stored reading (any status but rejected) */
function baseQuery(q: Q, actor: Actor, f: { period?: string; routeId?: number }) {
  let qb = q.selectFrom('reading_tasks as t')
    .innerJoin('accounts as a', 'a.id', 't.account_id')
    .innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
    .innerJoin('meters as m', 'm.id', 't.meter_id')
    .innerJoin('reading_routes as r', 'r.id', 't.route_id')
    .leftJoin('users as u', 'u.id', 't.assigned_to')
    .select(['t.id', 't.billing_period', 't.route_id', 'r.code as route_code', 'r.name as route_name', 't.account_id', 'a.account_no', 'a.name as account_name',
      't.meter_id', 'm.asset_no', 't.due_date', 't.missing_flagged_at', 't.assigned_to', 'u.display_name as assigned_name'])
    .where('t.status', '=', 'pending');
  if (actor.orgPath) qb = qb.where('o.path', 'like', `${actor.orgPath}%`);
  if (f.period) qb = qb.where('t.billing_period', '=', f.period);
  if (f.routeId) qb = qb.where('t.route_id', '=', f.routeId);
  return qb;
}

/**
 * Flag the overdue tasks without a reading (as of `asOf`, default today in Asia/Shanghai) and
 * un-flag those that have one now. One audit event per run. Returns the missing list.
 */
export async function flagMissingReadings(db: Db, actor: Actor, opts: { period?: string; asOf?: string; routeId?: number } = {}, now = new Date()) {
  requirePermission(actor, 'reading.review');
  const period = opts.period === undefined ? undefined : checkPeriod(opts.period);
  const asOf = opts.asOf === undefined ? shanghaiToday(now) : checkDate(opts.asOf, 'asOf');
  const rules = await getActiveRuleSet(db);
  const grace = rules.missingGraceDays;
  // due_date + grace < asOf  <=>  due_date < asOf - grace
  const limit = new Date(Date.parse(asOf + 'T00:00:00Z') - grace * 86_400_000).toISOString().slice(0, 10);
  return inTx(db, async (trx) => {
    const rows = await baseQuery(trx, actor, { period, routeId: opts.routeId })
      .where('t.due_date', '<', limit)
      .where(({ not, exists, selectFrom }) => not(exists(
        selectFrom('register_readings as rr').select(sql`1`.as('x'))
          .whereRef('rr.account_id', '=', 't.account_id').whereRef('rr.meter_id', '=', 't.meter_id').whereRef('rr.billing_period', '=', 't.billing_period')
          .where('rr.status', '<>', 'rejected'),
      )))
      .orderBy('t.route_id').orderBy('t.due_date').orderBy('t.sequence').execute();
    const ids = rows.map((r) => Number(r.id));
    let newly = 0;
    for (let i = 0; i < ids.length; i += 5000) {
      const part = ids.slice(i, i + 5000);
      const res = await trx.updateTable('reading_tasks').set({ missing_flagged_at: now }).where('id', '=', sql<number>`any(${part}::int8[])`).where('missing_flagged_at', 'is', null).executeTakeFirst();
      newly += Number(res.numUpdatedRows);
    }
    // un-flag what is no longer missing (read since, or not overdue as of this run)
    const cleared = await sql<{ id: number }>`
      update reading_tasks t set missing_flagged_at = null
      from accounts a join org_units o on o.id = a.org_unit_id
      where a.id = t.account_id and t.missing_flagged_at is not null
        and (${actor.orgPath} = '' or o.path like ${actor.orgPath + '%'})
        and (${period ?? null}::text is null or t.billing_period = ${period ?? null})
        and (${opts.routeId ?? null}::int8 is null or t.route_id = ${opts.routeId ?? null})
        and t.id <> all(${ids}::int8[])
      returning t.id`.execute(trx);
    const items = rows.map((r) => mapRow({ ...r, missing_flagged_at: r.missing_flagged_at ?? now }, asOf));
    await writeAudit(trx, actor, {
      action: 'reading_task.flag_missing', entityType: 'reading_task', entityId: period ?? null,
      after: { period: period ?? null, routeId: opts.routeId ?? null, asOf, graceDays: grace, ruleSetVersion: rules.version, missing: items.length, newlyFlagged: newly, cleared: cleared.rows.length, taskIds: ids.slice(0, 200) },
    }, now);
    return { period: period ?? null, asOf, graceDays: grace, ruleSetVersion: rules.version, newlyFlagged: newly, cleared: cleared.rows.length, items };
  });
}

/** The flagged tasks (still pending) of the user's scope, days overdue counted to today. */
export async function listMissingReadings(db: Db, actor: Actor, f: { period?: string; routeId?: number; page?: number; pageSize?: number } = {}, now = new Date()) {
  requirePermission(actor, 'reading.review');
  const period = f.period === undefined ? undefined : checkPeriod(f.period);
  const pageSize = f.pageSize ?? 100;
  const page = f.page ?? 1;
  const base = baseQuery(db.kysely, actor, { period, routeId: f.routeId }).where('t.missing_flagged_at', 'is not', null);
  const total = await db.kysely.selectFrom(base.as('x')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base.orderBy('t.route_id').orderBy('t.due_date').orderBy('t.sequence').limit(pageSize).offset((page - 1) * pageSize).execute();
  const today = shanghaiToday(now);
  return { items: rows.map((r) => mapRow(r, today)), total: Number(total.n), page, pageSize };
}

/** For billing: accounts with a flagged missing reading in the period (they go to the exception list). */
export async function missingReadingAccounts(q: Q, period: string): Promise<number[]> {
  checkPeriod(period);
  const rows = await q.selectFrom('reading_tasks').select('account_id').distinct()
    .where('billing_period', '=', period).where('status', '=', 'pending').where('missing_flagged_at', 'is not', null).execute();
  return rows.map((r) => Number(r.account_id));
}
