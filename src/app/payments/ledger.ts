/**
 * Account ledger, balance and amount due; a reconciliation check that the maintained receivable
 * columns equal the sums of their ledger entries.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import { fen2, shanghaiDate, toFen } from '../../domain/payments/index.js';
import { requirePermission, can, type Actor, type Q } from '../context.js';
import { AppError } from '../../domain/errors.js';
import { scopedAccount, type PayAccount } from './accounts.js';
import { accountBalanceFen, pendingFeeFen } from './post-payment.js';
import { loadRuleSets } from './receivables.js';

export interface DueItem {
  receivableId: number;
  period: string;
  source: string;
  dueDate: string;
  amount: string;
  principalOutstanding: string;
  lateFee: string;
  outstanding: string;
  overdueDays: number;
}

/** What an account owes as of a day: open receivables with the late fee through that day, minus credit. */
export async function amountDue(q: Q, account: PayAccount, asOf: string) {
  const rows = await q.selectFrom('receivables').select(['id', 'period', 'source', 'customer_class', 'amount', 'principal_paid', 'fee_charged', 'fee_paid', 'due_date', 'fee_through', 'waived_through'])
    .where('account_id', '=', account.id).where('status', '=', 'open').orderBy('due_date').orderBy('id').execute();
  const sets = await loadRuleSets(q);
  const items: DueItem[] = [];
  let openFen = 0;
  for (const r of rows) {
    const principal = toFen(r.amount) - toFen(r.principal_paid);
    const fee = toFen(r.fee_charged) - toFen(r.fee_paid) + pendingFeeFen(r, sets, asOf);
    openFen += principal + fee;
    const overdue = Math.max(0, Math.round((Date.parse(asOf) - Date.parse(r.due_date)) / 86_400_000));
    items.push({ receivableId: r.id, period: r.period, source: r.source, dueDate: r.due_date, amount: r.amount, principalOutstanding: fen2(principal), lateFee: fen2(fee), outstanding: fen2(principal + fee), overdueDays: overdue });
  }
  const balance = await accountBalanceFen(q, account.id);
  // credit = unallocated money on the account (negative part of the balance not tied to receivables)
  const owedInLedger = rows.reduce((s, r) => s + toFen(r.amount) - toFen(r.principal_paid) + toFen(r.fee_charged) - toFen(r.fee_paid), 0);
  const creditFen = Math.max(0, owedInLedger - balance);
  const dueFen = Math.max(0, openFen - creditFen);
  return {
    accountNo: account.accountNo, accountName: account.name, asOf, currency: 'CNY' as const,
    items, balance: fen2(balance), credit: fen2(creditFen), lateFee: fen2(items.reduce((s, i) => s + toFen(i.lateFee), 0)), amountDue: fen2(dueFen),
  };
}

const LEDGER_READ = ['payment.collect', 'payment.supervise', 'account.read', 'portal.self'];

function requireLedgerRead(actor: Actor) {
  if (!LEDGER_READ.some((p) => can(actor, p))) requirePermission(actor, 'payment.collect');
}

/** The account's ledger (newest first, paged), balance and amount due today. */
export async function getAccountLedger(db: Db, actor: Actor, accountNo: string, page = 1, pageSize = 50, now = new Date()) {
  requireLedgerRead(actor);
  const k = db.kysely;
  const acc = await scopedAccount(k, actor, { accountNo });
  const entries = await k.selectFrom('ledger_entries as e').leftJoin('receivables as r', 'r.id', 'e.receivable_id')
    .select(['e.id', 'e.kind', 'e.component', 'e.amount', 'e.receivable_id', 'e.payment_id', 'e.entry_date', 'e.memo', 'e.created_at', 'r.period'])
    .where('e.account_id', '=', acc.id).orderBy('e.id', 'desc').limit(pageSize).offset((page - 1) * pageSize).execute();
  const total = await k.selectFrom('ledger_entries').select(sql<number>`count(*)::int`.as('n')).where('account_id', '=', acc.id).executeTakeFirstOrThrow();
  const due = await amountDue(k, acc, shanghaiDate(now));
  return {
    ...due,
    entries: entries.map((e) => ({ id: e.id, kind: e.kind, component: e.component, amount: e.amount, receivableId: e.receivable_id, period: e.period, paymentId: e.payment_id, entryDate: e.entry_date, memo: e.memo, createdAt: e.created_at })),
    total: total.n, page, pageSize,
  };
}

/** Amount due for an account the actor may see. */
export async function getAmountDue(db: Db, actor: Actor, accountNo: string, now = new Date()) {
  requireLedgerRead(actor);
  const acc = await scopedAccount(db.kysely, actor, { accountNo });
  return amountDue(db.kysely, acc, shanghaiDate(now));
}

/**
 * Reconciliation of the ledger against the maintained receivable columns and the payments.
 * Returns the mismatches (empty = consistent). `accountIds` limits the check.
 */
export async function reconcileLedger(q: Q, accountIds?: number[]) {
  const filter = accountIds ? sql`and r.account_id = any(${accountIds}::bigint[])` : sql``;
  const recv = await sql<{ id: number; principal_out: string; ledger_principal: string; fee_out: string; ledger_fee: string }>`
    select r.id, (r.amount - r.principal_paid)::text as principal_out, coalesce(sum(e.amount) filter (where e.component = 'principal'), 0)::text as ledger_principal,
           (r.fee_charged - r.fee_paid)::text as fee_out, coalesce(sum(e.amount) filter (where e.component = 'fee'), 0)::text as ledger_fee
      from receivables r left join ledger_entries e on e.receivable_id = r.id
     where true ${filter}
     group by r.id
    having (r.amount - r.principal_paid) <> coalesce(sum(e.amount) filter (where e.component = 'principal'), 0)
        or (r.fee_charged - r.fee_paid) <> coalesce(sum(e.amount) filter (where e.component = 'fee'), 0)
        or (r.status = 'settled') <> (r.amount = r.principal_paid and r.fee_charged = r.fee_paid)`.execute(q);
  const pfilter = accountIds ? sql`and p.account_id = any(${accountIds}::bigint[])` : sql``;
  const pay = await sql<{ id: number; amount: string; net: string }>`
    select p.id, p.amount::text, coalesce(-sum(e.amount) filter (where e.kind in ('payment', 'reversal')), 0)::text as net
      from payments p left join ledger_entries e on e.payment_id = p.id
     where true ${pfilter}
     group by p.id
    having (p.status = 'posted' and coalesce(-sum(e.amount) filter (where e.kind in ('payment', 'reversal')), 0) <> p.amount)
        or (p.status <> 'posted' and coalesce(sum(e.amount) filter (where e.kind in ('payment', 'reversal')), 0) <> 0)`.execute(q);
  return { receivableMismatches: recv.rows, paymentMismatches: pay.rows, ok: recv.rows.length === 0 && pay.rows.length === 0 };
}

export function assertOk(r: { ok: boolean }) {
  if (!r.ok) throw new AppError('CONFLICT', 'ledger does not reconcile', { ...r });
}
