/**
 * Arrears (欠费) list with aging buckets: accounts in the actor's scope with open receivables past
 * their due date, the outstanding principal + charged fee, the late fee accrued by the nightly
 * job (snapshot still valid), the oldest due date and its bucket. Summary per bucket.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import { checkDate, shanghaiDate } from '../../domain/payments/index.js';
import { can, requirePermission, type Actor } from '../context.js';

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
