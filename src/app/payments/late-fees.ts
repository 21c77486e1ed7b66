/**
 * Nightly late-fee accrual (违约金计提): one set-based statement refreshes the snapshot row of
 * every open overdue receivable in late_fee_accruals with the fee not yet charged, from the day
 * after max(due date, charged-through, waived-through) to `asOf` inclusive, on the outstanding
 * principal, with the rule set in force on the receivable's first overdue day. Same formula as
 * src/domain/payments/late-fee.ts (numeric is exact; round() is half away from zero = 四舍五入).
 * Re-running for the same day gives the same rows (idempotent). The fee is charged into the
 * ledger when the receivable is paid (see post-payment.ts).
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import { checkDate, shanghaiDate } from '../../domain/payments/index.js';
import { inTx, requirePermission, SYSTEM_ACTOR, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';

export interface AccrualResult {
  asOf: string;
  receivables: number;
  amount: string;
  removed: number;
  noncesPurged: number;
  ms: number;
}

export async function accrueLateFees(db: Db, asOf?: string, actor: Actor = SYSTEM_ACTOR): Promise<AccrualResult> {
  requirePermission(actor, 'payment.supervise');
  const day = asOf === undefined ? shanghaiDate(new Date()) : checkDate(asOf, 'asOf');
  const t0 = performance.now();
  return inTx(db, async (trx) => {
    const { rows } = await sql<{ n: number; amount: string | null }>`
      with rs as (
        select id, effective_from, lead(effective_from) over (order by effective_from) as next_from,
               residential_rate, other_current_rate, other_cross_year_rate, min_fee
          from late_fee_rule_sets where status = 'active'
      ), base as (
        select r.id, r.account_id, r.customer_class, r.due_date, r.fee_charged, r.amount - r.principal_paid as principal,
               greatest(r.due_date, coalesce(r.fee_through, r.due_date), coalesce(r.waived_through, r.due_date)) + 1 as from_date,
               make_date(substr(r.period, 1, 4)::int, 12, 31) as year_end
          from receivables r
         where r.status = 'open' and r.due_date < ${day}::date
      ), calc as (
        select b.*, rs.id as rule_set_id, rs.residential_rate, rs.other_current_rate, rs.other_cross_year_rate, rs.min_fee,
               greatest(0, ${day}::date - b.from_date + 1) as days,
               greatest(0, least(${day}::date, b.year_end) - b.from_date + 1) as days_cur
          from base b
          join rs on rs.effective_from <= b.due_date + 1 and (rs.next_from is null or rs.next_from > b.due_date + 1)
      ), fee as (
        select c.*, round(c.principal * case when c.customer_class = 'residential' then c.residential_rate * c.days
                                             else c.other_current_rate * c.days_cur + c.other_cross_year_rate * (c.days - c.days_cur) end, 2) as raw_fee
          from calc c
         where c.days > 0 and c.principal > 0
      ), up as (
        insert into late_fee_accruals (receivable_id, account_id, rule_set_id, from_date, as_of, days, days_cross_year, principal, amount, computed_at)
        select id, account_id, rule_set_id, from_date, ${day}::date, days, days - days_cur, principal,
               case when min_fee is not null and raw_fee > 0 and fee_charged + raw_fee < min_fee then min_fee - fee_charged else raw_fee end,
               now()
          from fee
        on conflict (receivable_id) do update set rule_set_id = excluded.rule_set_id, from_date = excluded.from_date, as_of = excluded.as_of,
               days = excluded.days, days_cross_year = excluded.days_cross_year, principal = excluded.principal, amount = excluded.amount, computed_at = excluded.computed_at
        returning amount
      )
      select count(*)::int as n, sum(amount)::text as amount from up`.execute(trx);
    // snapshots not refreshed by this run (receivable settled, or charged through asOf) are dropped
    const del = await sql`delete from late_fee_accruals where computed_at < now()`.execute(trx);
    const nonces = await sql`delete from channel_nonces where expires_at < now()`.execute(trx);
    const res: AccrualResult = {
      asOf: day, receivables: rows[0].n, amount: rows[0].amount ?? '0.00', removed: Number(del.numAffectedRows ?? 0n),
      noncesPurged: Number(nonces.numAffectedRows ?? 0n), ms: Math.round(performance.now() - t0),
    };
    await writeAudit(trx, actor, { action: 'late_fee.accrue', entityType: 'late_fee_accrual', entityId: day, after: res });
    return res;
  });
}

/** The snapshot rows of one account (for the arrears view). */
export async function accrualsOf(db: Db, accountId: number) {
  return db.kysely.selectFrom('late_fee_accruals').selectAll().where('account_id', '=', accountId).orderBy('receivable_id').execute();
}
