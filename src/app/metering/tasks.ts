/**
 * Reading tasks (抄表任务): one per account meter per route and billing period, due on the
 * route's reading day (抄表例日), in walking order (account number order within the route).
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { inTx, requirePermission, requireScope, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { fromScaled, toScaled } from '../../domain/metering/vee.js';

export function checkPeriod(p: unknown, field = 'period'): string {
  if (typeof p !== 'string' || !/^\d{4}-(0[1-9]|1[0-2])$/.test(p)) throw new ValidationError(field, 'must be YYYY-MM');
  return p;
}

/** the reading day of a route in a period, clamped to the month's last day */
export function dueDate(period: string, readingDay: number): string {
  const [y, m] = period.split('-').map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${period}-${String(Math.min(readingDay, last)).padStart(2, '0')}`;
}

export async function generateTasks(db: Db, actor: Actor, input: { period: string; routeIds: number[]; assignedTo?: number | null }) {
  requirePermission(actor, 'reading.review');
  const period = checkPeriod(input.period);
  if (!Array.isArray(input.routeIds) || !input.routeIds.length) throw new ValidationError('routeIds', 'at least one route');
  return inTx(db, async (trx) => {
    const routes = await trx.selectFrom('reading_routes as r').innerJoin('org_units as o', 'o.id', 'r.org_unit_id')
      .select(['r.id', 'r.code', 'r.reading_day', 'r.reader_user_id', 'r.status', 'o.path']).where('r.id', 'in', input.routeIds).execute();
    for (const id of input.routeIds) if (!routes.some((r) => r.id === id)) throw new ValidationError('routeIds', `no such route ${id}`);
    for (const r of routes) requireScope(actor, r.path, 'route');
    for (const r of routes) if (r.status === 'inactive') throw new ValidationError('routeIds', `route ${r.code} is inactive`);
    if (input.assignedTo != null) {
      const u = await trx.selectFrom('users as u').innerJoin('org_units as o', 'o.id', 'u.org_unit_id').select(['u.id', 'o.path']).where('u.id', '=', input.assignedTo).executeTakeFirst();
      if (!u) throw new ValidationError('assignedTo', 'no such user');
      requireScope(actor, u.path, 'user');
    }
    const out = [];
    for (const r of routes) {
      const due = dueDate(period, r.reading_day);
      // 抄表员: the one given, else the route's assigned reader
      const assignee = input.assignedTo ?? r.reader_user_id ?? null;
      const res = await sql<{ n: number }>`
        with ins as (
          insert into reading_tasks (route_id, billing_period, account_id, meter_id, metering_point_id, due_date, sequence, assigned_to)
          select ${r.id}, ${period}, a.id, mi.meter_id, mi.metering_point_id, ${due}::date,
                 (row_number() over (order by a.account_no, mi.metering_point_id))::int, ${assignee}::int8
          from accounts a
          join meter_installations mi on mi.account_id = a.id and mi.removed_on is null
          where a.reading_route_id = ${r.id} and a.status <> 'closed'
          on conflict (account_id, billing_period, meter_id) do nothing
          returning 1)
        select count(*)::int8 as n from ins`.execute(trx);
      const total = await trx.selectFrom('reading_tasks').select((eb) => eb.fn.countAll<number>().as('n')).where('route_id', '=', r.id).where('billing_period', '=', period).executeTakeFirstOrThrow();
      out.push({ routeId: r.id, routeCode: r.code, dueDate: due, assignedTo: assignee, created: Number(res.rows[0].n), total: Number(total.n) });
    }
    await writeAudit(trx, actor, { action: 'reading_task.generate', entityType: 'reading_route', entityId: input.routeIds.join(','), after: { period, routes: out, assignedTo: input.assignedTo ?? null } });
    return { period, routes: out };
  });
}

/**
 * A route's tasks for a period in walking order, each with the meter's registers, the last
 * accepted reading per register and, for TOTAL, the expected range on the due date
 * (last + average daily advance x days, ±50 %).
 */
export async function listRouteTasks(db: Db, actor: Actor, routeId: number, f: { period: string; status?: string; mine?: boolean }) {
  requirePermission(actor, 'reading.read');
  const period = checkPeriod(f.period);
  const k = db.kysely;
  const route = await k.selectFrom('reading_routes as r').innerJoin('org_units as o', 'o.id', 'r.org_unit_id').select(['r.id', 'r.code', 'r.name', 'r.reading_day', 'o.path']).where('r.id', '=', routeId).executeTakeFirst();
  if (!route) throw new AppError('NOT_FOUND', `route ${routeId} not found`);
  requireScope(actor, route.path, 'route');
  let qb = k.selectFrom('reading_tasks as t').innerJoin('accounts as a', 'a.id', 't.account_id').innerJoin('meters as m', 'm.id', 't.meter_id')
    .select(['t.id', 't.sequence', 't.status', 't.due_date', 't.assigned_to', 't.exception_code', 't.read_at', 't.account_id', 't.meter_id', 't.metering_point_id',
      'a.account_no', 'a.name', 'a.address', 'm.asset_no', 'm.registers', 'm.digits', 'm.decimals', 'm.multiplier'])
    .where('t.route_id', '=', routeId).where('t.billing_period', '=', period);
  if (f.status) qb = qb.where('t.status', '=', f.status as never);
  if (f.mine && actor.userId !== null) qb = qb.where('t.assigned_to', '=', actor.userId);
  const tasks = await qb.orderBy('t.sequence').execute();
  const mpIds = [...new Set(tasks.map((t) => t.metering_point_id))];
  const last = new Map<string, Array<{ value: string; read_at: Date; meter_id: number }>>();
  if (mpIds.length) {
    const { rows } = await sql<{ metering_point_id: number; meter_id: number; register: string; value: string; read_at: Date }>`
      select metering_point_id, meter_id, register, value, read_at from (
        select metering_point_id, meter_id, register, value, read_at, row_number() over (partition by metering_point_id, register order by read_at desc) rn
        from register_readings where (account_id, metering_point_id) in (select account_id, id from metering_points where id in (${sql.join(mpIds)})) and status in ('accepted','estimated') and value is not null) x
      where rn <= 4 order by read_at desc`.execute(k);
    for (const r of rows) {
      const key = `${r.metering_point_id}:${r.register}`;
      const l = last.get(key) ?? [];
      l.push({ value: r.value, read_at: new Date(r.read_at), meter_id: r.meter_id });
      last.set(key, l);
    }
  }
  const initial = new Map<number, { installed_on: string; initial: Record<string, string> }>();
  if (tasks.length) {
    const ins = await k.selectFrom('meter_installations').select(['meter_id', 'installed_on', 'initial_readings']).where('meter_id', 'in', [...new Set(tasks.map((t) => t.meter_id))]).where('removed_on', 'is', null).execute();
    for (const i of ins) initial.set(i.meter_id, { installed_on: i.installed_on, initial: i.initial_readings as Record<string, string> });
  }
  const items = tasks.map((t) => {
    const lastReadings: Record<string, { value: string; readAt: string }> = {};
    for (const reg of t.registers) {
      const l = (last.get(`${t.metering_point_id}:${reg}`) ?? []).filter((x) => x.meter_id === t.meter_id);
      if (l.length) lastReadings[reg] = { value: l[0].value, readAt: l[0].read_at.toISOString() };
      else if (initial.get(t.meter_id)?.initial?.[reg] !== undefined) lastReadings[reg] = { value: fromScaled(toScaled(initial.get(t.meter_id)!.initial[reg])), readAt: new Date(`${initial.get(t.meter_id)!.installed_on}T00:00:00+08:00`).toISOString() };
    }
    let expected: { low: string; high: string } | null = null;
    const l = (last.get(`${t.metering_point_id}:TOTAL`) ?? []).filter((x) => x.meter_id === t.meter_id);
    if (l.length >= 2) {
      const days = (l[0].read_at.getTime() - l[l.length - 1].read_at.getTime()) / 86_400_000;
      const adv = Number(l[0].value) - Number(l[l.length - 1].value);
      if (days > 0 && adv >= 0) {
        const ahead = Math.max((new Date(`${t.due_date}T12:00:00+08:00`).getTime() - l[0].read_at.getTime()) / 86_400_000, 0);
        const e = (adv / days) * ahead;
        expected = { low: (Number(l[0].value) + e * 0.5).toFixed(2), high: (Number(l[0].value) + e * 1.5).toFixed(2) };
      }
    }
    return {
      taskId: t.id, sequence: t.sequence, status: t.status, dueDate: t.due_date, assignedTo: t.assigned_to, exceptionCode: t.exception_code,
      readAt: t.read_at ? new Date(t.read_at).toISOString() : null,
      account: { id: t.account_id, accountNo: t.account_no, name: t.name, address: t.address },
      meter: { id: t.meter_id, assetNo: t.asset_no, registers: t.registers, digits: t.digits, decimals: t.decimals, multiplier: t.multiplier },
      meteringPointId: t.metering_point_id, lastReadings, expectedTotal: expected,
    };
  });
  const counts = { total: items.length, pending: 0, read: 0, exception: 0, skipped: 0 } as Record<string, number>;
  for (const i of items) counts[i.status]++;
  return { route: { id: route.id, code: route.code, name: route.name, readingDay: route.reading_day }, period, counts, items };
}
