/**
 * Posting a payment (实收) exactly once, and reversing it. Shared by the counter (坐收) and the
 * channel API (代收).
 *
 * Exactly once: the payment row is inserted FIRST with ON CONFLICT (channel, idempotency_key)
 * DO NOTHING. A concurrent duplicate waits on the unique index until the first transaction ends,
 * then finds the committed row and returns its stored response. Everything else (allocations,
 * ledger entries, receivable updates, audit) commits in the same transaction, so a crash before
 * commit leaves nothing and the channel's retry posts it then.
 *
 * Allocation: the open receivables of the account are locked (FOR UPDATE, id order), the late
 * fee up to the payment day is computed per rule set, `allocatePayment` decides, and the fee of
 * each receivable reached is charged into the ledger (late_fee entry) before it is paid.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import '../../db/schema-payments.js';
import type { PaymentMethod } from '../../db/schema-payments.js';
import { AppError } from '../../domain/errors.js';
import {
  addDays, allocatePayment, feeFromDate, fen2, lateFee, ruleSetOn, toFen, withMinimum, type AllocationOrder, type LateFeeRuleSet,
} from '../../domain/payments/index.js';
import type { Actor, Q, Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { loadRuleSets } from './receivables.js';
import type { PayAccount } from './accounts.js';
import { onPaymentPosted } from './reconnect.js';
import { PREPARED } from '../../db/database.js';

export const COUNTER_CHANNEL = 'COUNTER';

export interface PostPaymentInput {
  account: PayAccount;
  channel: string;
  method: PaymentMethod;
  amountFen: number;
  idempotencyKey: string;
  externalTxnId?: string | null;
  shiftId?: number | null;
  collectorId?: number | null;
  receiptNo?: string | null;
  payDate: string;
  order?: AllocationOrder;
  /** when the payment was received (the clock of the caller; default now): reconnection orders are due 24 h after it */
  postedAt?: Date;
}

export interface PaymentResult {
  paymentId: number;
  status: 'posted';
  channel: string;
  idempotencyKey: string;
  externalTxnId: string | null;
  accountNo: string;
  accountName: string;
  amount: string;
  method: PaymentMethod;
  payDate: string;
  receiptNo: string | null;
  lateFeePaid: string;
  principalPaid: string;
  credit: string;
  allocations: Array<{ receivableId: number; period: string; fee: string; principal: string; settled: boolean }>;
  balanceAfter: string;
  postedAt: string;
}

let ruleCache: { at: number; sets: Awaited<ReturnType<typeof loadRuleSets>> } | null = null;
/** Rule sets are data changed by migration only; cached per process for 60 s. */
export async function cachedRuleSets(q: Q) {
  if (!ruleCache || Date.now() - ruleCache.at > 60_000) ruleCache = { at: Date.now(), sets: await loadRuleSets(q) };
  return ruleCache.sets;
}

export function requestHash(accountId: number, amountFen: number, method: string): string {
  return crypto.createHash('sha256').update(`${accountId}|${amountFen}|${method}`).digest('hex').slice(0, 32);
}

export interface OpenRow {
  id: number;
  period: string;
  customer_class: string;
  amount: string;
  principal_paid: string;
  fee_charged: string;
  fee_paid: string;
  due_date: string;
  fee_through: string | null;
  waived_through: string | null;
}

/** Late fee not yet charged for one receivable through `asOf` (after the rule set's minimum). */
export function pendingFeeFen(r: OpenRow, sets: LateFeeRuleSet[], asOf: string): number {
  const principal = toFen(r.amount) - toFen(r.principal_paid);
  const rs = ruleSetOn(sets, addDays(r.due_date, 1));
  if (!rs || principal <= 0) return 0;
  const from = feeFromDate(r.due_date, r.fee_through, r.waived_through);
  const f = lateFee(rs, { principalFen: principal, customerClass: r.customer_class, period: r.period, fromDate: from, toDate: asOf }).feeFen;
  return withMinimum(rs, toFen(r.fee_charged), f);
}

export interface LedgerRow { kind: string; component: string | null; amount: string; receivable_id: number | null; memo: string | null }
export interface ReceivableDelta { id: number; principal: string; fee_new: string; fee_paid: string; settled: boolean }
export interface AllocationPlan {
  /** ledger entries of the payment: late fee charged through the pay day, then fee and principal paid, then credit */
  entries: LedgerRow[];
  /** per receivable reached: amounts to add and whether it ends settled */
  recv: ReceivableDelta[];
  allocations: PaymentResult['allocations'];
  feeFen: number;
  principalFen: number;
  remainderFen: number;
}

/**
 * What one payment does to the account's open receivables (pure): the late fee up to the pay day
 * is charged for each receivable reached, then `allocatePayment` decides (oldest first, fee first
 * by default); what is left is credit (预收). Shared by single posting and group posting.
 */
export function planAllocation(open: OpenRow[], sets: LateFeeRuleSet[], amountFen: number, payDate: string, order: AllocationOrder = 'fee_first'): AllocationPlan {
  const pending = new Map<number, number>();
  const state = open.map((r) => {
    const p = pendingFeeFen(r, sets, payDate);
    pending.set(r.id, p);
    return { id: r.id, dueDate: r.due_date, principalFen: toFen(r.amount) - toFen(r.principal_paid), feeFen: toFen(r.fee_charged) - toFen(r.fee_paid) + p };
  });
  const alloc = allocatePayment(amountFen, state, order);
  const byId = new Map(open.map((r) => [r.id, r]));
  const entries: LedgerRow[] = [];
  const recv: ReceivableDelta[] = [];
  const out: PaymentResult['allocations'] = [];
  let feeSum = 0, principalSum = 0;
  for (const a of alloc.allocations) {
    const r = byId.get(a.receivableId)!;
    const newFee = pending.get(r.id) ?? 0;
    if (newFee > 0) entries.push({ kind: 'late_fee', component: 'fee', amount: fen2(newFee), receivable_id: r.id, memo: `违约金 through ${payDate}` });
    if (a.feeFen > 0) entries.push({ kind: 'payment', component: 'fee', amount: fen2(-a.feeFen), receivable_id: r.id, memo: null });
    if (a.principalFen > 0) entries.push({ kind: 'payment', component: 'principal', amount: fen2(-a.principalFen), receivable_id: r.id, memo: null });
    const principalLeft = toFen(r.amount) - toFen(r.principal_paid) - a.principalFen;
    const feeLeft = toFen(r.fee_charged) + newFee - toFen(r.fee_paid) - a.feeFen;
    const settled = principalLeft === 0 && feeLeft === 0;
    recv.push({ id: r.id, principal: fen2(a.principalFen), fee_new: fen2(newFee), fee_paid: fen2(a.feeFen), settled });
    feeSum += a.feeFen;
    principalSum += a.principalFen;
    out.push({ receivableId: r.id, period: r.period, fee: fen2(a.feeFen), principal: fen2(a.principalFen), settled });
  }
  if (alloc.remainderFen > 0) entries.push({ kind: 'payment', component: null, amount: fen2(-alloc.remainderFen), receivable_id: null, memo: '预收 credit' });
  return { entries, recv, allocations: out, feeFen: feeSum, principalFen: principalSum, remainderFen: alloc.remainderFen };
}

export async function accountBalanceFen(q: Q, accountId: number): Promise<number> {
  const r = await q.selectFrom('ledger_entries').select(sql<string>`coalesce(sum(amount), 0)::text`.as('b')).where('account_id', '=', accountId).executeTakeFirstOrThrow();
  return toFen(r.b);
}

/**
 * Post one payment in the caller's transaction. Returns the result and whether it is a replay of
 * an earlier request with the same idempotency key (then nothing new was written).
 */
export async function postPayment(trx: Trx, actor: Actor, i: PostPaymentInput): Promise<{ result: PaymentResult; replayed: boolean }> {
  const hash = requestHash(i.account.id, i.amountFen, i.method);
  const ins = await sql<{ id: number; received_at: Date }>`
    insert into payments (account_id, org_unit_id, channel, method, amount, idempotency_key, external_txn_id, request_hash, shift_id, receipt_no, collector_id, pay_date)
    values (${i.account.id}, ${i.account.orgUnitId}, ${i.channel}, ${i.method}, ${fen2(i.amountFen)}::numeric, ${i.idempotencyKey}, ${i.externalTxnId ?? null},
            ${hash}, ${i.shiftId ?? null}, ${i.receiptNo ?? null}, ${i.collectorId ?? null}, ${i.payDate}::date)
    on conflict (channel, idempotency_key) do nothing
    returning id, received_at${PREPARED}`.execute(trx);
  if (ins.rows.length === 0) {
    const prev = await trx.selectFrom('payments').select(['id', 'request_hash', 'response', 'status']).where('channel', '=', i.channel).where('idempotency_key', '=', i.idempotencyKey).executeTakeFirstOrThrow();
    if (prev.request_hash !== hash) {
      throw new AppError('CONFLICT', `idempotency key ${i.idempotencyKey} was used for a different payment`, { field: 'idempotencyKey', reason: 'IDEMPOTENCY_MISMATCH', paymentId: prev.id });
    }
    return { result: prev.response as PaymentResult, replayed: true };
  }
  const paymentId = ins.rows[0].id;

  // lock the account's open receivables (oldest first); concurrent payments to one account queue here
  const open = await sql<OpenRow>`
    select id, period, customer_class, amount, principal_paid, fee_charged, fee_paid, due_date, fee_through, waived_through
      from receivables where account_id = ${i.account.id} and status = 'open'
     order by id for update${PREPARED}`.execute(trx);
  const sets = await cachedRuleSets(trx);
  const plan = planAllocation(open.rows, sets, i.amountFen, i.payDate, i.order);
  const { entries, recv, allocations: out, feeFen: feeSum, principalFen: principalSum } = plan;
  const alloc = { remainderFen: plan.remainderFen };
  const result: PaymentResult = {
    paymentId, status: 'posted', channel: i.channel, idempotencyKey: i.idempotencyKey, externalTxnId: i.externalTxnId ?? null,
    accountNo: i.account.accountNo, accountName: i.account.name, amount: fen2(i.amountFen), method: i.method, payDate: i.payDate,
    receiptNo: i.receiptNo ?? null, lateFeePaid: fen2(feeSum), principalPaid: fen2(principalSum), credit: fen2(alloc.remainderFen),
    allocations: out, balanceAfter: '', postedAt: ins.rows[0].received_at.toISOString(),
  };
  // one round trip: receivable updates, allocations, ledger entries, balance, stored response
  const w = await sql<{ balance: string }>`
    with v as (select * from jsonb_to_recordset(${JSON.stringify(recv)}::jsonb) as x(id bigint, principal numeric, fee_new numeric, fee_paid numeric, settled boolean)),
    up as (
      update receivables r set principal_paid = r.principal_paid + v.principal, fee_charged = r.fee_charged + v.fee_new, fee_paid = r.fee_paid + v.fee_paid,
             fee_through = greatest(coalesce(r.fee_through, r.due_date), ${i.payDate}::date),
             status = case when v.settled then 'settled' else 'open' end, settled_at = case when v.settled then now() else null end
        -- the id list lets the planner use the primary key: a join on the jsonb rows alone is
        -- estimated at 100 rows and planned as a hash join over a sequential scan of receivables
        from v where r.id = v.id and r.id = any(${recv.map((x) => x.id)}::int8[]) returning r.id
    ), al as (
      insert into payment_allocations (payment_id, receivable_id, account_id, fee, principal)
      select ${paymentId}::bigint, id, ${i.account.id}::bigint, fee_paid, principal from v returning 1
    ), le as (
      insert into ledger_entries (account_id, kind, component, amount, receivable_id, payment_id, entry_date, memo)
      select ${i.account.id}::bigint, e.kind, e.component, e.amount, e.receivable_id, ${paymentId}::bigint, ${i.payDate}::date, e.memo
        from jsonb_to_recordset(${JSON.stringify(entries)}::jsonb) as e(kind text, component text, amount numeric, receivable_id bigint, memo text)
      returning amount
    ), bal as (
      select ((select coalesce(sum(amount), 0) from ledger_entries where account_id = ${i.account.id}) + (select coalesce(sum(amount), 0) from le))::numeric(14,2)::text as balance
    ), pu as (
      update payments set unallocated = ${fen2(alloc.remainderFen)}::numeric,
             response = ${JSON.stringify(result)}::jsonb || jsonb_build_object('balanceAfter', (select balance from bal))
       where id = ${paymentId} returning 1
    )
    select (select balance from bal) as balance, (select count(*) from up) as u, (select count(*) from al) as a, (select count(*) from pu) as p${PREPARED}`.execute(trx);
  result.balanceAfter = w.rows[0].balance;
  // a payment that clears the debt: open cut-off orders are cancelled and executed ones get a
  // reconnection order (target 24 h); a prepaid top-up resets the reminder state
  await onPaymentPosted(trx, i.account.id, actor, i.postedAt ?? new Date());
  await writeAudit(trx, actor, {
    action: 'payment.post', entityType: 'payment', entityId: paymentId, orgUnitId: i.account.orgUnitId,
    after: { accountNo: i.account.accountNo, channel: i.channel, method: i.method, amount: result.amount, idempotencyKey: i.idempotencyKey, externalTxnId: i.externalTxnId ?? null, shiftId: i.shiftId ?? null, lateFeePaid: result.lateFeePaid, credit: result.credit },
  });
  return { result, replayed: false };
}

export interface ReversalResult {
  paymentId: number;
  status: 'reversed' | 'voided';
  amount: string;
  accountNo: string;
  reason: string;
  reversedAt: string;
  balanceAfter: string;
}

/**
 * Reverse (冲正) or void (作废) a posted payment: every ledger entry of the payment except its
 * late-fee charges gets an opposite `reversal` entry, the receivables reopen. The late fee charged
 * up to the payment day stays charged (it was owed on that day). Idempotent: reversing a payment
 * already in the target status returns the stored outcome.
 */
export async function reversePayment(trx: Trx, actor: Actor, paymentId: number, status: 'reversed' | 'voided', reason: string, check?: (p: { shift_id: number | null; pay_date: string; channel: string; collector_id: number | null }) => Promise<void> | void): Promise<{ result: ReversalResult; replayed: boolean }> {
  const p = await trx.selectFrom('payments as p').innerJoin('accounts as a', 'a.id', 'p.account_id')
    .select(['p.id', 'p.account_id', 'p.org_unit_id', 'p.status', 'p.amount', 'p.shift_id', 'p.pay_date', 'p.channel', 'p.collector_id', 'p.reversed_at', 'p.reversal_reason', 'a.account_no'])
    .where('p.id', '=', paymentId).forUpdate('p').executeTakeFirst();
  if (!p) throw new AppError('NOT_FOUND', `payment ${paymentId} not found`, { field: 'paymentId' });
  if (p.status === status) {
    const balance = await accountBalanceFen(trx, p.account_id);
    return { result: { paymentId, status, amount: p.amount, accountNo: p.account_no, reason: p.reversal_reason ?? '', reversedAt: p.reversed_at!.toISOString(), balanceAfter: fen2(balance) }, replayed: true };
  }
  if (p.status !== 'posted') throw new AppError('CONFLICT', `payment ${paymentId} is ${p.status}`, { status: p.status, reason: 'PAYMENT_NOT_POSTED' });
  if (check) await check(p);
  // lock the receivables in the same order as postPayment does
  await sql`select id from receivables where account_id = ${p.account_id} and (status = 'open' or id in (select receivable_id from payment_allocations where payment_id = ${paymentId})) order by id for update`.execute(trx);
  const entries = await trx.selectFrom('ledger_entries').select(['kind', 'component', 'amount', 'receivable_id']).where('payment_id', '=', paymentId).where('kind', '=', 'payment').execute();
  const today = sql<string>`(now() at time zone 'Asia/Shanghai')::date`;
  if (entries.length) {
    await trx.insertInto('ledger_entries').values(entries.map((e) => ({
      account_id: p.account_id, kind: 'reversal' as const, component: e.component, amount: fen2(-toFen(e.amount)), receivable_id: e.receivable_id,
      payment_id: paymentId, entry_date: today as never, memo: `${status} payment ${paymentId}`,
    }))).execute();
  }
  await sql`update receivables r set principal_paid = r.principal_paid - a.principal, fee_paid = r.fee_paid - a.fee, status = 'open', settled_at = null
      from payment_allocations a where a.payment_id = ${paymentId} and a.receivable_id = r.id`.execute(trx);
  const upd = await trx.updateTable('payments').set({ status, reversed_at: sql<Date>`now()` as never, reversal_reason: reason }).where('id', '=', paymentId).returning('reversed_at').executeTakeFirstOrThrow();
  const balance = await accountBalanceFen(trx, p.account_id);
  await writeAudit(trx, actor, { action: status === 'voided' ? 'payment.void' : 'payment.reverse', entityType: 'payment', entityId: paymentId, orgUnitId: p.org_unit_id, before: { status: 'posted', amount: p.amount }, after: { status, reason, accountNo: p.account_no } });
  return { result: { paymentId, status, amount: p.amount, accountNo: p.account_no, reason, reversedAt: upd.reversed_at!.toISOString(), balanceAfter: fen2(balance) }, replayed: false };
}
