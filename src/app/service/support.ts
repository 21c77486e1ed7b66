/**
 * Service requests: shared loaders — the working-day calendar (table holiday_calendar, seeded
 * from src/domain/calendar/holidays-cn.json), the active SLA profile (table sla_profiles, else
 * the code default), pluggable checks (arrears before 过户, final settlement on 销户) and
 * customer notifications.
 */
import { sql } from 'kysely';
import '../../db/schema-service.js';
import { WorkCalendar, checkDay, type CalendarEntry } from '../../domain/calendar/calendar.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { DEFAULT_SLA_PROFILE, checkSlaProfile, type SlaProfile } from '../../domain/workflow/service-requests.js';
import { inTx, requirePermission, type Actor, type Q, type Trx } from '../context.js';
import type { Db } from '../../db/database.js';
import { writeAudit } from '../audit/write-audit.js';
import { today } from '../archive/accounts.js';

/** Administrators edit the calendar and SLA profiles (rule sets). */
export const ADMIN_PERMISSION = 'role.write';

export async function loadCalendar(q: Q): Promise<WorkCalendar> {
  const rows = await q.selectFrom('holiday_calendar').select(['day', 'kind', 'name', 'source']).execute();
  return new WorkCalendar(rows as CalendarEntry[]);
}

export async function listHolidays(db: Db, year?: number) {
  let qb = db.kysely.selectFrom('holiday_calendar').selectAll();
  if (year) qb = qb.where('day', '>=', `${year}-01-01`).where('day', '<=', `${year}-12-31`);
  const rows = await qb.orderBy('day').execute();
  const cal = new WorkCalendar(rows as CalendarEntry[]);
  return {
    coveredYears: cal.coveredYears,
    items: rows.map((r) => ({ day: r.day, kind: r.kind, name: r.name, source: r.source, updatedAt: r.updated_at })),
  };
}

/** Enter or change days of the calendar (a new year's notice); audited. */
export async function upsertHolidays(db: Db, actor: Actor, items: Array<{ day: string; kind: string; name: string; source: string }>) {
  requirePermission(actor, ADMIN_PERMISSION);
  if (!Array.isArray(items) || items.length === 0) throw new ValidationError('items', 'at least one day');
  const clean = items.map((it, i) => {
    const day = checkDay(`items.${i}.day`, it.day);
    if (it.kind !== 'holiday' && it.kind !== 'workday') throw new ValidationError(`items.${i}.kind`, "must be 'holiday' or 'workday'");
    const dow = new Date(day + 'T00:00:00Z').getUTCDay();
    if (it.kind === 'workday' && dow !== 0 && dow !== 6) throw new ValidationError(`items.${i}.kind`, `${day} is a weekday; a 调休 workday is a Saturday or Sunday`);
    if (!it.name?.trim()) throw new ValidationError(`items.${i}.name`, 'required');
    if (!it.source?.trim()) throw new ValidationError(`items.${i}.source`, 'required (the notice, e.g. 国务院办公厅关于2027年部分节假日安排的通知)');
    return { day, kind: it.kind as 'holiday' | 'workday', name: it.name.trim(), source: it.source.trim() };
  });
  return inTx(db, async (trx) => {
    const before = await trx.selectFrom('holiday_calendar').selectAll().where('day', 'in', clean.map((c) => c.day)).execute();
    for (const c of clean) {
      await trx.insertInto('holiday_calendar').values({ ...c, updated_by: actor.userId })
        .onConflict((oc) => oc.column('day').doUpdateSet({ kind: c.kind, name: c.name, source: c.source, updated_by: actor.userId, updated_at: new Date() }))
        .execute();
    }
    await writeAudit(trx, actor, { action: 'holiday_calendar.upsert', entityType: 'holiday_calendar', entityId: clean[0].day, before, after: clean });
    return { saved: clean.length };
  });
}

export async function deleteHoliday(db: Db, actor: Actor, day: string) {
  requirePermission(actor, ADMIN_PERMISSION);
  checkDay('day', day);
  return inTx(db, async (trx) => {
    const row = await trx.deleteFrom('holiday_calendar').where('day', '=', day).returningAll().executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', `day ${day} is not in the calendar`, { field: 'day' });
    await writeAudit(trx, actor, { action: 'holiday_calendar.delete', entityType: 'holiday_calendar', entityId: day, before: row });
    return { deleted: day };
  });
}

export async function activeProfile(q: Q): Promise<SlaProfile> {
  const row = await q.selectFrom('sla_profiles').select(['params']).where('active', '=', true).executeTakeFirst();
  if (!row) return DEFAULT_SLA_PROFILE;
  const p = row.params as SlaProfile;
  return { ...p, rules: { ...DEFAULT_SLA_PROFILE.rules, ...(p.rules ?? {}) } };
}

/** Store an SLA profile and make it the active one; audited. */
export async function saveProfile(db: Db, actor: Actor, input: unknown) {
  requirePermission(actor, ADMIN_PERMISSION);
  const p = checkSlaProfile(input);
  return inTx(db, async (trx) => {
    const before = await activeProfile(trx);
    await trx.updateTable('sla_profiles').set({ active: false, updated_at: new Date() }).where('active', '=', true).execute();
    await trx.insertInto('sla_profiles').values({ code: p.code, name: p.name, params: JSON.stringify(p), active: true, created_by: actor.userId })
      .onConflict((oc) => oc.column('code').doUpdateSet({ name: p.name, params: JSON.stringify(p), active: true, updated_at: new Date() }))
      .execute();
    await writeAudit(trx, actor, { action: 'sla_profile.activate', entityType: 'sla_profile', entityId: p.code, before, after: p });
    return p;
  });
}

// --- pluggable checks ---------------------------------------------------------------------

/** Arrears of an account (欠费): open receivables past their due date (principal and charged fee unpaid). */
export type ArrearsCheck = (q: Q, accountId: number) => Promise<{ amount: string } | null>;
const receivablesArrears: ArrearsCheck = async (q, accountId) => {
  const { rows } = await sql<{ amount: string | null }>`
    select sum(amount - principal_paid + fee_charged - fee_paid)::numeric(14,2)::text as amount
      from receivables
     where account_id = ${accountId} and status = 'open'
       and due_date < (now() at time zone 'Asia/Shanghai')::date`.execute(q);
  const a = rows[0]?.amount;
  return a && Number(a) > 0 ? { amount: a } : null;
};
let arrearsCheck: ArrearsCheck = receivablesArrears;
export function setArrearsCheck(fn: ArrearsCheck | null) {
  arrearsCheck = fn ?? receivablesArrears;
}
export function checkArrears(q: Q, accountId: number) {
  return arrearsCheck(q, accountId);
}

/**
 * 销户 final settlement hook: final bill on the final reading and refund of any credit. Billing
 * and payments are not built yet, so the default records `pending`; issue 6 registers the real
 * one with setClosingSettlementHook. It runs inside the closing transaction.
 */
export type ClosingSettlementHook = (trx: Trx, p: { accountId: number; closedOn: string; finalReadings: Record<string, string>; requestId: number }) =>
  Promise<{ status: 'pending' | 'done'; note: string; finalBillId?: number; refundAmount?: string }>;
let closingHook: ClosingSettlementHook = async () => ({ status: 'pending', note: 'final bill and credit refund: waiting for billing/payments (issue 6)' });
export function setClosingSettlementHook(fn: ClosingSettlementHook | null) {
  closingHook = fn ?? (async () => ({ status: 'pending', note: 'final bill and credit refund: waiting for billing/payments (issue 6)' }));
}
export function runClosingSettlement(trx: Trx, p: Parameters<ClosingSettlementHook>[1]) {
  return closingHook(trx, p);
}

// --- notifications -------------------------------------------------------------------------

export async function notify(
  trx: Trx,
  n: { requestId: number; accountId: number | null; audience: 'customer' | 'staff'; recipient: string | null; event: string; zh: string; en: string },
) {
  await trx.insertInto('notifications').values({
    request_id: n.requestId, account_id: n.accountId, audience: n.audience, channel: n.audience === 'customer' ? 'sms' : 'queue',
    recipient: n.recipient, event: n.event, message_zh: n.zh, message_en: n.en,
  }).execute();
}

/** An action day: defaults to today (Asia/Shanghai); never in the future (offline field work may record an earlier day). */
export function actionDay(field: string, v: unknown, now: Date): string {
  const t = today(now);
  if (v === undefined || v === null || v === '') return t;
  const d = checkDay(field, v);
  if (d > t) throw new ValidationError(field, `must not be in the future (today is ${t})`);
  return d;
}
