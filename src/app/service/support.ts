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
import { issueFinalBill, type FinalBillResult } from '../billing/final-bill.js';
import { checkRefundPayee, settleCredit } from '../payments/refunds.js';
import { enqueueMessage } from '../messaging/outbox.js';
import { normalizeMobile } from '../messaging/sender.js';

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
 * 销户 final settlement, run inside the closing transaction after the meters were removed and
 * the account closed: the final bill (src/app/billing/final-bill.ts, rated like a billing run,
 * issued and posted as a receivable at once), then the account's credit is applied to open
 * receivables and the rest refunded (src/app/payments/refunds.ts: `refund` ledger entry,
 * balance zero, refund record pending until a collector pays it out). A debit balance (arrears,
 * or a final bill larger than the credit) refuses the 销户 — nothing is written — unless the
 * request data says `payAtCounter: true` (the customer settles at the counter; the receivables
 * stay open there). When the final bill cannot be rated (exception list, e.g. a TOU tariff with
 * only a TOTAL final reading) the settlement is `pending`: the bill waits for the checker and no
 * refund is made yet. Tests may replace the hook (setClosingSettlementHook).
 */
export interface ClosingSettlementInput {
  accountId: number;
  closedOn: string;
  finalReadings: Record<string, string>;
  requestId: number;
  requestNo: string;
  actor: Actor;
  now: Date;
  data: Record<string, unknown>;
}
export interface ClosingSettlementResult {
  status: 'pending' | 'done';
  note: string;
  finalBillId?: number;
  finalBill?: FinalBillResult;
  refundAmount?: string;
  refundId?: number;
  creditApplied?: string;
  balance?: string;
  payAtCounter?: boolean;
}
export type ClosingSettlementHook = (trx: Trx, p: ClosingSettlementInput) => Promise<ClosingSettlementResult>;

export const defaultClosingSettlement: ClosingSettlementHook = async (trx, p) => {
  const payAtCounter = p.data.payAtCounter === true;
  if (p.data.payAtCounter !== undefined && typeof p.data.payAtCounter !== 'boolean') throw new ValidationError('data.payAtCounter', 'must be true or false');
  const acc = await trx.selectFrom('accounts').select(['name', 'phone']).where('id', '=', p.accountId).executeTakeFirstOrThrow();
  const payee = checkRefundPayee(p.data.refund, { name: acc.name, phone: acc.phone });
  const fb = await issueFinalBill(trx, p.actor, { accountId: p.accountId, closedOn: p.closedOn, finalReadings: p.finalReadings, requestNo: p.requestNo, requestId: p.requestId }, p.now);
  const refuse = (balance: string) => {
    throw new AppError('CONFLICT', `account balance after the final bill (${fb.amount} 元) is a debit of ${balance} 元: the customer pays at the counter first (data.payAtCounter), otherwise 销户 cannot complete`, {
      field: 'data.payAtCounter', arrears: balance, finalBillAmount: fb.amount,
    });
  };
  if (fb.status === 'review') {
    const { rows } = await sql<{ b: string }>`select coalesce(sum(amount), 0)::numeric(14,2)::text as b from ledger_entries where account_id = ${p.accountId}`.execute(trx);
    if (Number(rows[0].b) > 0 && !payAtCounter) refuse(rows[0].b);
    return {
      status: 'pending', finalBillId: fb.billId, finalBill: fb, balance: rows[0].b, payAtCounter,
      note: `final bill ${fb.billId} (${fb.period}) is on the exception list (${fb.exceptionCode}: ${fb.exceptionMessage}); settle the credit after it is issued`,
    };
  }
  const s = await settleCredit(trx, p.actor, { accountId: p.accountId, payee, reason: `销户 ${p.requestNo}`, serviceRequestId: p.requestId, finalBillId: fb.billId }, p.now);
  if (Number(s.balance) > 0 && !payAtCounter) refuse(s.balance);
  return {
    status: 'done', finalBillId: fb.billId, finalBill: fb, creditApplied: s.creditApplied, balance: s.balance, payAtCounter,
    ...(s.refund ? { refundAmount: s.refund.amount, refundId: s.refund.id } : { refundAmount: '0.00' }),
    note: s.refund
      ? `final bill ${fb.amount} 元 issued; credit ${s.creditApplied} 元 applied; refund ${s.refund.amount} 元 (${s.refund.method}) pending payout`
      : Number(s.balance) > 0 ? `final bill ${fb.amount} 元 issued; ${s.balance} 元 to pay at the counter` : `final bill ${fb.amount} 元 issued; balance settled`,
  };
};
let closingHook: ClosingSettlementHook = defaultClosingSettlement;
export function setClosingSettlementHook(fn: ClosingSettlementHook | null) {
  closingHook = fn ?? defaultClosingSettlement;
}
export function runClosingSettlement(trx: Trx, p: ClosingSettlementInput) {
  return closingHook(trx, p);
}

// --- notifications -------------------------------------------------------------------------

export async function notify(
  trx: Trx,
  n: { requestId: number; accountId: number | null; audience: 'customer' | 'staff'; recipient: string | null; event: string; zh: string; en: string },
) {
  const row = await trx.insertInto('notifications').values({
    request_id: n.requestId, account_id: n.accountId, audience: n.audience, channel: n.audience === 'customer' ? 'sms' : 'queue',
    recipient: n.recipient, event: n.event, message_zh: n.zh, message_en: n.en,
  }).returning('id').executeTakeFirstOrThrow();
  // a customer message with a mobile number also goes out by SMS (outbox, same transaction)
  const phone = n.audience === 'customer' ? normalizeMobile(n.recipient) : null;
  if (phone) {
    const r = await trx.selectFrom('service_requests').select(['request_no']).where('id', '=', n.requestId).executeTakeFirst();
    await enqueueMessage(trx, {
      recipientPhone: phone, templateCode: `service_request.${n.event}`, params: { requestNo: r?.request_no ?? null, event: n.event },
      textZh: n.zh, textEn: n.en, sourceType: 'service_request', sourceId: n.requestId, notificationId: Number(row.id),
    });
  }
}

/** An action day: defaults to today (Asia/Shanghai); never in the future (offline field work may record an earlier day). */
export function actionDay(field: string, v: unknown, now: Date): string {
  const t = today(now);
  if (v === undefined || v === null || v === '') return t;
  const d = checkDay(field, v);
  if (d > t) throw new ValidationError(field, `must not be in the future (today is ${t})`);
  return d;
}
