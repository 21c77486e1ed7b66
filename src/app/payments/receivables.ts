/**
 * Receivables (应收) and the ledger entries that create them. Issued bills become receivables
 * through `postIssuedBills` (called by the billing issue step in the same transaction);
 * adjustments through `postReceivable`. Both are idempotent: a bill is posted at most once
 * (receivables.bill_id is UNIQUE). Credit the account already holds (预收) is applied to the new
 * receivables in the same transaction (`applyCreditWhereHeld`).
 */
import { sql } from 'kysely';
import '../../db/schema-billing.js';
import '../../db/schema-payments.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { checkDate, fen2, type LateFeeRuleSet } from '../../domain/payments/index.js';
import { SYSTEM_ACTOR, type Actor, type Q, type Trx } from '../context.js';
import { applyCreditWhereHeld } from './refunds.js';

/**
 * Post issued bills as receivables: one receivable and one `bill` ledger entry per issued,
 * non-trial bill with a positive amount that has not been posted before. Set-based (works for a
 * whole run at once). Returns how many were posted now. Call it inside the issuing transaction.
 */
export async function postIssuedBills(trx: Trx, billIds: number[], opts: { actor?: Actor; applyCredit?: boolean } = {}): Promise<{ posted: number; amount: string; creditApplied: string }> {
  if (billIds.length === 0) return { posted: 0, amount: '0.00', creditApplied: '0.00' };
  const ids = [...new Set(billIds)];
  const { rows } = await sql<{ n: number; amount: string | null }>`
    with ins as (
      insert into receivables (account_id, org_unit_id, source, bill_id, period, customer_class, amount, due_date)
      select b.account_id, b.org_unit_id, 'bill', b.id, b.period, b.customer_class, b.amount_total, coalesce(b.due_date, (b.issued_at at time zone 'Asia/Shanghai')::date + 15)
        from bills b
       where b.id = any(${ids}::bigint[]) and b.status = 'issued' and not b.trial and b.amount_total > 0
      on conflict (bill_id) do nothing
      returning id, account_id, amount, due_date, period, bill_id
    ), led as (
      insert into ledger_entries (account_id, kind, component, amount, receivable_id, entry_date, memo)
      select account_id, 'bill', 'principal', amount, id, (now() at time zone 'Asia/Shanghai')::date, 'bill ' || bill_id || ' ' || period
        from ins
      returning amount
    )
    select count(*)::int as n, sum(amount)::text as amount from led`.execute(trx);
  // 预收冲抵: credit the customers already hold pays the new receivables at once
  let creditFen = 0;
  if (opts.applyCredit !== false && rows[0].n > 0) {
    const holders = await sql<{ account_id: number }>`
      select distinct r.account_id from receivables r
       where r.bill_id = any(${ids}::bigint[])
         and (select coalesce(sum(e.amount), 0) from ledger_entries e where e.account_id = r.account_id and e.receivable_id is null) < 0`.execute(trx);
    if (holders.rows.length) creditFen = (await applyCreditWhereHeld(trx, opts.actor ?? SYSTEM_ACTOR, holders.rows.map((h) => Number(h.account_id)), '发行 bill issued')).appliedFen;
  }
  return { posted: rows[0].n, amount: rows[0].amount ?? '0.00', creditApplied: fen2(creditFen) };
}

export interface ReceivableInput {
  accountId: number;
  period: string;
  amountFen: number;
  dueDate: string;
  memo?: string;
  source?: 'adjustment';
}

/** Post one adjustment receivable (e.g. 退补 owed by the customer) with its ledger entry. */
export async function postReceivable(trx: Trx, i: ReceivableInput, opts: { actor?: Actor; applyCredit?: boolean } = {}): Promise<{ id: number; creditApplied: string }> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(i.period)) throw new ValidationError('period', 'must be YYYY-MM');
  if (!Number.isSafeInteger(i.amountFen) || i.amountFen <= 0) throw new ValidationError('amount', 'must be positive');
  checkDate(i.dueDate, 'dueDate');
  const acc = await trx.selectFrom('accounts').select(['id', 'org_unit_id', 'customer_class']).where('id', '=', i.accountId).executeTakeFirst();
  if (!acc) throw new AppError('NOT_FOUND', `account ${i.accountId} not found`, { field: 'accountId' });
  const r = await trx.insertInto('receivables').values({
    account_id: acc.id, org_unit_id: acc.org_unit_id, source: 'adjustment', bill_id: null, period: i.period,
    customer_class: acc.customer_class, amount: fen2(i.amountFen), due_date: i.dueDate, fee_through: null, waived_through: null, memo: i.memo ?? null,
  }).returning('id').executeTakeFirstOrThrow();
  await trx.insertInto('ledger_entries').values({
    account_id: acc.id, kind: 'adjustment', component: 'principal', amount: fen2(i.amountFen), receivable_id: r.id, payment_id: null,
    entry_date: sql<string>`(now() at time zone 'Asia/Shanghai')::date` as never, memo: i.memo ?? `adjustment ${i.period}`,
  }).execute();
  const credit = opts.applyCredit === false ? { appliedFen: 0 } : await applyCreditWhereHeld(trx, opts.actor ?? SYSTEM_ACTOR, [acc.id], i.memo ?? `adjustment ${i.period}`);
  return { id: r.id, creditApplied: fen2(credit.appliedFen) };
}

/** Active late-fee rule sets as domain objects. */
export async function loadRuleSets(q: Q): Promise<Array<LateFeeRuleSet & { id: number }>> {
  const rows = await q.selectFrom('late_fee_rule_sets').selectAll().where('status', '=', 'active').orderBy('effective_from').execute();
  return rows.map((r) => ({
    id: r.id, code: r.code, effectiveFrom: r.effective_from, residentialRate: r.residential_rate,
    otherCurrentRate: r.other_current_rate, otherCrossYearRate: r.other_cross_year_rate, minFee: r.min_fee,
  }));
}
