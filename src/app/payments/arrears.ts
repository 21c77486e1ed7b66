/**
 * Arrears (欠费) list with aging buckets: accounts in the actor's scope with open receivables past
 * their due date, the outstanding principal + charged fee, the late fee accrued by the nightly
 * job (snapshot still valid), the oldest due date and its bucket. Summary per bucket.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import '../../db/schema-prepaid.js';
import { ValidationError } from '../../domain/errors.js';
import { checkDate, shanghaiDate } from '../../domain/payments/index.js';
import { can, inTx, requirePermission, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { escapeLike } from '../security/users.js';
import { checkInt, storeReminder } from './prepaid.js';

export const AGING_BUCKETS = [
  { code: 'd1_30', zh: '1-30天', en: '1-30 days', from: 1, to: 30 },
  { code: 'd31_60', zh: '31-60天', en: '31-60 days', from: 31, to: 60 },
  { code: 'd61_90', zh: '61-90天', en: '61-90 days', from: 61, to: 90 },
  { code: 'd91_180', zh: '91-180天', en: '91-180 days', from: 91, to: 180 },
  { code: 'd181_', zh: '180天以上', en: 'over 180 days', from: 181, to: 1_000_000 },
];

export async function listArrears(db: Db, actor: Actor, f: { asOf?: string; bucket?: string; page: number; pageSize: number }) {
  if (!can(actor, 'payment.supervise')) requirePermission(actor, 'payment.collect');
  const day = f.asOf ? checkDate(f.asOf, 'asOf') : shanghaiDate(new Date());
  const bucketCase = sql.raw(`case ${AGING_BUCKETS.map((b) => `when oldest_days between ${b.from} and ${b.to} then '${b.code}'`).join(' ')} end`);
  const scope = actor.orgPath ? sql`and o.path like ${actor.orgPath + '%'}` : sql``;
  const base = sql`
    with per as (
      select r.account_id, min(r.due_date) as oldest_due, (${day}::date - min(r.due_date)) as oldest_days,
             sum(r.amount - r.principal_paid + r.fee_charged - r.fee_paid) as outstanding,
             coalesce(sum(a.amount) filter (where a.from_date = greatest(r.due_date, coalesce(r.fee_through, r.due_date), coalesce(r.waived_through, r.due_date)) + 1), 0) as accrued_fee,
             count(*) as receivables
        from receivables r
        join org_units o on o.id = r.org_unit_id
        left join late_fee_accruals a on a.receivable_id = r.id
       where r.status = 'open' and r.due_date < ${day}::date ${scope}
       group by r.account_id
    ) select per.*, ${bucketCase} as bucket from per`;
  const bucketFilter = f.bucket ? sql`where bucket = ${f.bucket}` : sql``;
  const rows = await sql<{ account_id: number; oldest_due: string; oldest_days: number; outstanding: string; accrued_fee: string; receivables: number; bucket: string; account_no: string; name: string }>`
    select x.*, ac.account_no, ac.name from (${base}) x join accounts ac on ac.id = x.account_id ${bucketFilter}
     order by x.oldest_days desc, x.account_id limit ${f.pageSize} offset ${(f.page - 1) * f.pageSize}`.execute(db.kysely);
  const summary = await sql<{ bucket: string; accounts: number; outstanding: string; accrued_fee: string }>`
    select bucket, count(*)::int as accounts, sum(outstanding)::text as outstanding, sum(accrued_fee)::text as accrued_fee from (${base}) x group by bucket`.execute(db.kysely);
  return {
    asOf: day,
    buckets: AGING_BUCKETS.map((b) => {
      const s = summary.rows.find((r) => r.bucket === b.code);
      return { ...b, accounts: s?.accounts ?? 0, outstanding: s?.outstanding ?? '0.00', accruedLateFee: s?.accrued_fee ?? '0.00' };
    }),
    items: rows.rows.map((r) => ({ accountId: r.account_id, accountNo: r.account_no, accountName: r.name, oldestDueDate: r.oldest_due, daysOverdue: r.oldest_days, bucket: r.bucket, receivables: Number(r.receivables), outstanding: r.outstanding, accruedLateFee: r.accrued_fee })),
    page: f.page, pageSize: f.pageSize,
  };
}

// ---------------------------------------------------------------------------------------------
// Arrears reminders (催费通知) for postpaid accounts

export interface ArrearsRemindInput {
  /** the day the arrears are counted on (default today, Asia/Shanghai) */
  asOf?: unknown;
  /** only these accounts (户号); default every account in arrears in the actor's scope */
  accountNos?: unknown;
  /** remind only when the oldest open receivable is at least this many days past due (default 1) */
  minDaysOverdue?: unknown;
  /** at most one arrears reminder per account in this many days (default 7) */
  repeatDays?: unknown;
}

export interface ArrearsRemindResult {
  asOf: string;
  inArrears: number;
  reminded: number;
  skippedRecent: number;
  noPhone: number;
  items: Array<{ accountNo: string; outstanding: string; daysOverdue: number; reminderId: number; outboxId: number | null }>;
}

/** An optional integer (digit strings from the CLI accepted), checked as prepaid settings are. */
function intIn(v: unknown, field: string, min: number, max: number, dflt: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  return checkInt(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v, field, min, max);
}

export function arrearsReminderText(accountNo: string, asOf: string, outstanding: string, daysOverdue: number): string {
  return `【催费通知】尊敬的客户，您的户号${accountNo}截至${asOf}尚欠电费${outstanding}元（最早一笔已逾期${daysOverdue}天），请尽快缴纳，逾期将按规定加收违约金。`;
}

/**
 * 催费: one SMS reminder (payment_reminders kind 'arrears' + message outbox) per postpaid account
 * in arrears in the actor's scope, unless the account had one in the last `repeatDays` days.
 * Accounts on an active prepaid plan are left out (they get their own balance reminders). An
 * account without a usable mobile number gets the reminder record (for the arrears file) but no
 * SMS. All in one transaction, each reminder audited (`arrears.remind`).
 */
export async function sendArrearsReminders(db: Db, actor: Actor, input: ArrearsRemindInput = {}, now = new Date()): Promise<ArrearsRemindResult> {
  if (!can(actor, 'payment.supervise')) requirePermission(actor, 'payment.collect');
  const asOf = input.asOf === undefined || input.asOf === null || input.asOf === '' ? shanghaiDate(now) : checkDate(input.asOf, 'asOf');
  const minDays = intIn(input.minDaysOverdue, 'minDaysOverdue', 1, 3650, 1);
  const repeatDays = intIn(input.repeatDays, 'repeatDays', 1, 365, 7);
  let accountNos: string[] | null = null;
  if (input.accountNos !== undefined && input.accountNos !== null) {
    if (!Array.isArray(input.accountNos) || input.accountNos.length === 0 || input.accountNos.length > 1000 || !input.accountNos.every((x) => typeof x === 'string' && /^[0-9A-Za-z-]{1,32}$/.test(x))) {
      throw new ValidationError('accountNos', 'a list of 1 to 1000 account numbers (户号)');
    }
    accountNos = [...new Set(input.accountNos as string[])];
  }
  const scope = actor.orgPath ? sql`and o.path like ${escapeLike(actor.orgPath) + '%'}` : sql``;
  const only = accountNos ? sql`and ac.account_no in (${sql.join(accountNos)})` : sql``;
  return inTx(db, async (trx) => {
    const rows = await sql<{ account_id: number; account_no: string; phone: string | null; org_unit_id: number; outstanding: string; days: number; recent: boolean }>`
      select ac.id as account_id, ac.account_no, ac.phone, ac.org_unit_id,
             sum(r.amount - r.principal_paid + r.fee_charged - r.fee_paid)::numeric(14,2)::text as outstanding,
             (${asOf}::date - min(r.due_date))::int as days,
             exists (select 1 from payment_reminders pr where pr.account_id = ac.id and pr.kind = 'arrears'
                       and pr.created_at > ${now}::timestamptz - make_interval(days => ${repeatDays}::int)) as recent
        from receivables r
        join accounts ac on ac.id = r.account_id
        join org_units o on o.id = ac.org_unit_id
       where r.status = 'open' and r.due_date < ${asOf}::date ${scope} ${only}
         and not exists (select 1 from prepaid_plans p where p.account_id = ac.id and p.status = 'active')
       group by ac.id, ac.account_no, ac.phone, ac.org_unit_id
      having (${asOf}::date - min(r.due_date)) >= ${minDays}::int
         and sum(r.amount - r.principal_paid + r.fee_charged - r.fee_paid) > 0
       order by ac.id`.execute(trx);
    if (accountNos) {
      const found = new Set(rows.rows.map((r) => r.account_no));
      const missing = accountNos.filter((n) => !found.has(n));
      if (missing.length) throw new ValidationError('accountNos', `not in arrears (or not in your scope): ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ' …' : ''}`);
    }
    const out: ArrearsRemindResult = { asOf, inArrears: rows.rows.length, reminded: 0, skippedRecent: 0, noPhone: 0, items: [] };
    for (const r of rows.rows) {
      if (r.recent) { out.skippedRecent++; continue; }
      const body = arrearsReminderText(r.account_no, asOf, r.outstanding, r.days);
      const rem = await storeReminder(trx, { accountId: Number(r.account_id), orgUnitId: Number(r.org_unit_id), kind: 'arrears', phone: r.phone, body, balance: r.outstanding });
      if (rem.outboxId === null) out.noPhone++;
      out.reminded++;
      out.items.push({ accountNo: r.account_no, outstanding: r.outstanding, daysOverdue: r.days, reminderId: rem.id, outboxId: rem.outboxId });
      await writeAudit(trx, actor, {
        action: 'arrears.remind', entityType: 'account', entityId: Number(r.account_id), orgUnitId: Number(r.org_unit_id),
        after: { accountNo: r.account_no, asOf, outstanding: r.outstanding, daysOverdue: r.days, reminderId: rem.id, sms: rem.outboxId !== null },
      }, now);
    }
    return out;
  });
}
