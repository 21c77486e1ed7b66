/**
 * Refunds of credit (退费), e.g. at 销户: the account's unallocated credit is first applied to its
 * open receivables (预收冲抵, e.g. the final bill), then whatever credit is left is refunded:
 * one `refund` ledger entry that brings the balance to zero and a refund record (method, payee)
 * in status pending. A collector pays the money out and marks it paid with a reference (pending
 * → paid), audited. Money is integer 分 inside, numeric(14,2) in the database.
 *
 * Credit applied to a receivable is two ledger entries of kind `adjustment` that net to zero
 * (+x unallocated, −x on the receivable's fee / principal) plus the receivable's maintained
 * columns, so `reconcileLedger` still holds.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import '../../db/schema-messaging.js';
import type { RefundMethod } from '../../db/schema-messaging.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { allocatePayment, fen2, toFen } from '../../domain/payments/index.js';
import { can, inTx, requirePermission, type Actor, type Q, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { escapeLike } from '../security/users.js';
import { accountBalanceFen } from './post-payment.js';

export const REFUND_METHODS: RefundMethod[] = ['cash', 'transfer', 'original'];

export interface RefundPayee {
  method: RefundMethod;
  payeeName: string;
  payeeBank?: string | null;
  payeeAccount?: string | null;
  payeePhone?: string | null;
}

/** Check the refund instructions of a request (`data.refund`); defaults: cash to the account holder. */
export function checkRefundPayee(v: unknown, dflt: { name: string; phone: string | null }, field = 'data.refund'): RefundPayee {
  const o = (v ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || Array.isArray(o)) throw new ValidationError(field, 'must be an object { method, payeeName, payeeBank, payeeAccount }');
  const method = (o.method ?? 'cash') as RefundMethod;
  if (!REFUND_METHODS.includes(method)) throw new ValidationError(`${field}.method`, `must be one of ${REFUND_METHODS.join(', ')}`);
  const text = (k: string, max: number) => {
    const x = o[k];
    if (x === undefined || x === null || x === '') return null;
    if (typeof x !== 'string' || x.trim().length > max) throw new ValidationError(`${field}.${k}`, `must be text of at most ${max} characters`);
    return x.trim();
  };
  const payeeName = text('payeeName', 100) ?? dflt.name;
  const payeeBank = text('payeeBank', 100);
  const payeeAccount = text('payeeAccount', 40);
  if (method === 'transfer') {
    if (!payeeBank) throw new ValidationError(`${field}.payeeBank`, 'required for a bank transfer');
    if (!payeeAccount || !/^\d{8,30}$/.test(payeeAccount)) throw new ValidationError(`${field}.payeeAccount`, 'bank account number of 8..30 digits required for a bank transfer');
  }
  return { method, payeeName, payeeBank, payeeAccount, payeePhone: text('payeePhone', 20) ?? dflt.phone };
}

/**
 * Apply the account's unallocated credit to its open receivables (oldest first, fee then
 * principal). Returns what was applied. Call inside a transaction.
 */
export async function applyCredit(trx: Trx, accountId: number, memo: string): Promise<{ appliedFen: number; receivables: number[] }> {
  const open = await sql<{ id: number; amount: string; principal_paid: string; fee_charged: string; fee_paid: string; due_date: string }>`
    select id, amount, principal_paid, fee_charged, fee_paid, due_date from receivables
     where account_id = ${accountId} and status = 'open' order by id for update`.execute(trx);
  if (!open.rows.length) return { appliedFen: 0, receivables: [] };
  const balance = await accountBalanceFen(trx, accountId);
  const owed = open.rows.reduce((s, r) => s + toFen(r.amount) - toFen(r.principal_paid) + toFen(r.fee_charged) - toFen(r.fee_paid), 0);
  const credit = owed - balance; // unallocated money on the account
  if (credit <= 0) return { appliedFen: 0, receivables: [] };
  const alloc = allocatePayment(credit, open.rows.map((r) => ({
    id: r.id, dueDate: r.due_date, principalFen: toFen(r.amount) - toFen(r.principal_paid), feeFen: toFen(r.fee_charged) - toFen(r.fee_paid),
  })), 'fee_first');
  let applied = 0;
  const touched: number[] = [];
  for (const x of alloc.allocations) {
    const amt = x.feeFen + x.principalFen;
    if (amt <= 0) continue;
    const rows: Array<{ component: 'fee' | 'principal' | null; amount: string; receivable_id: number | null }> = [{ component: null, amount: fen2(amt), receivable_id: null }];
    if (x.feeFen > 0) rows.push({ component: 'fee', amount: fen2(-x.feeFen), receivable_id: x.receivableId });
    if (x.principalFen > 0) rows.push({ component: 'principal', amount: fen2(-x.principalFen), receivable_id: x.receivableId });
    await trx.insertInto('ledger_entries').values(rows.map((e) => ({
      account_id: accountId, kind: 'adjustment' as const, component: e.component, amount: e.amount, receivable_id: e.receivable_id, payment_id: null,
      entry_date: sql<string>`(now() at time zone 'Asia/Shanghai')::date` as never, memo: `预收冲抵 ${memo}`,
    }))).execute();
    await sql`update receivables set principal_paid = principal_paid + ${fen2(x.principalFen)}::numeric, fee_paid = fee_paid + ${fen2(x.feeFen)}::numeric,
        status = case when amount = principal_paid + ${fen2(x.principalFen)}::numeric and fee_charged = fee_paid + ${fen2(x.feeFen)}::numeric then 'settled' else 'open' end,
        settled_at = case when amount = principal_paid + ${fen2(x.principalFen)}::numeric and fee_charged = fee_paid + ${fen2(x.feeFen)}::numeric then now() else null end
      where id = ${x.receivableId}`.execute(trx);
    applied += amt;
    touched.push(x.receivableId);
  }
  return { appliedFen: applied, receivables: touched };
}

/**
 * 预收冲抵: each of `accountIds` that holds credit while it has open receivables gets the credit
 * applied to them (`applyCredit`: oldest first, fee then principal), with one audit event per
 * account. Called when receivables are posted (issued bills, debit adjustments) and when a credit
 * adjustment is posted, so money the customer already paid is never left aside while a bill runs
 * late fees or counts as arrears. One statement finds the accounts: credit = minus the sum of the
 * entries not tied to a receivable (the tied ones sum to what is outstanding, see reconcileLedger);
 * a partial index keeps it one probe per account.
 */
export async function applyCreditWhereHeld(trx: Trx, actor: Actor, accountIds: number[], memo: string, now = new Date()): Promise<{ accounts: number; appliedFen: number }> {
  if (!accountIds.length) return { accounts: 0, appliedFen: 0 };
  const { rows } = await sql<{ account_id: number; account_no: string; org_unit_id: number }>`
    select a.id as account_id, a.account_no, a.org_unit_id from accounts a
     where a.id = any(${[...new Set(accountIds)]}::int8[])
       and (select coalesce(sum(e.amount), 0) from ledger_entries e where e.account_id = a.id and e.receivable_id is null) < 0
       and exists (select 1 from receivables r where r.account_id = a.id and r.status = 'open')
     order by a.id`.execute(trx);
  let total = 0, n = 0;
  for (const a of rows) {
    const applied = await applyCredit(trx, Number(a.account_id), memo);
    if (applied.appliedFen <= 0) continue;
    n++;
    total += applied.appliedFen;
    await writeAudit(trx, actor, { action: 'ledger.credit_apply', entityType: 'account', entityId: Number(a.account_id), orgUnitId: Number(a.org_unit_id), after: { accountNo: a.account_no, applied: fen2(applied.appliedFen), receivables: applied.receivables, reason: memo } }, now);
  }
  return { accounts: n, appliedFen: total };
}

export interface CreditSettlement {
  balanceBefore: string;
  creditApplied: string;
  balance: string;
  refund: null | { id: number; amount: string; method: RefundMethod; payeeName: string; status: 'pending' };
}

/**
 * Settle an account's credit: apply it to open receivables, refund the rest (ledger `refund`
 * entry, balance → 0, refund record pending). Inside the caller's transaction; audited.
 * A debit balance is left as it is (the caller decides: 销户 refuses it unless paid at the counter).
 */
export async function settleCredit(
  trx: Trx, actor: Actor,
  p: { accountId: number; payee: RefundPayee; reason: string; serviceRequestId?: number | null; finalBillId?: number | null },
  now = new Date(),
): Promise<CreditSettlement> {
  await sql`select id from accounts where id = ${p.accountId} for update`.execute(trx);
  const acc = await trx.selectFrom('accounts').select(['id', 'account_no', 'org_unit_id']).where('id', '=', p.accountId).executeTakeFirstOrThrow();
  const before = await accountBalanceFen(trx, acc.id);
  const applied = await applyCredit(trx, acc.id, p.reason);
  const balance = await accountBalanceFen(trx, acc.id);
  let refund: CreditSettlement['refund'] = null;
  if (balance < 0) {
    const amount = fen2(-balance);
    const le = await trx.insertInto('ledger_entries').values({
      account_id: acc.id, kind: 'refund', component: null, amount, receivable_id: null, payment_id: null,
      entry_date: sql<string>`(now() at time zone 'Asia/Shanghai')::date` as never, memo: `退费 ${p.reason}`,
    }).returning('id').executeTakeFirstOrThrow();
    const r = await trx.insertInto('refunds').values({
      account_id: acc.id, org_unit_id: acc.org_unit_id, service_request_id: p.serviceRequestId ?? null, final_bill_id: p.finalBillId ?? null, amount,
      method: p.payee.method, payee_name: p.payee.payeeName, payee_bank: p.payee.payeeBank ?? null, payee_account: p.payee.payeeAccount ?? null,
      payee_phone: p.payee.payeePhone ?? null, ledger_entry_id: Number(le.id), reason: p.reason, created_by: actor.userId,
    }).returning('id').executeTakeFirstOrThrow();
    refund = { id: Number(r.id), amount, method: p.payee.method, payeeName: p.payee.payeeName, status: 'pending' };
    await writeAudit(trx, actor, {
      action: 'refund.create', entityType: 'refund', entityId: refund.id, orgUnitId: acc.org_unit_id,
      after: { accountNo: acc.account_no, amount, method: p.payee.method, payeeName: p.payee.payeeName, payeeAccount: maskAccount(p.payee.payeeAccount), ledgerEntryId: Number(le.id), creditApplied: fen2(applied.appliedFen), reason: p.reason, serviceRequestId: p.serviceRequestId ?? null },
    }, now);
  } else if (applied.appliedFen > 0) {
    await writeAudit(trx, actor, { action: 'ledger.credit_apply', entityType: 'account', entityId: acc.id, orgUnitId: acc.org_unit_id, after: { accountNo: acc.account_no, applied: fen2(applied.appliedFen), receivables: applied.receivables, reason: p.reason } }, now);
  }
  return { balanceBefore: fen2(before), creditApplied: fen2(applied.appliedFen), balance: fen2(refund ? 0 : balance), refund };
}

function maskAccount(a: string | null | undefined): string | null {
  return a ? a.replace(/^(\d{4})\d+(\d{4})$/, '$1****$2') : null;
}

const READ = ['payment.collect', 'payment.supervise'];
function requireRead(actor: Actor) {
  if (!READ.some((x) => can(actor, x))) requirePermission(actor, 'payment.collect');
}

function refundOut(r: any) {
  return {
    id: r.id, accountId: r.account_id, accountNo: r.account_no, accountName: r.account_name, orgUnitId: r.org_unit_id, serviceRequestId: r.service_request_id,
    requestNo: r.request_no ?? null, finalBillId: r.final_bill_id, amount: r.amount, method: r.method, payeeName: r.payee_name, payeeBank: r.payee_bank,
    payeeAccount: r.payee_account, payeePhone: r.payee_phone, status: r.status, reason: r.reason, createdAt: r.created_at, paidAt: r.paid_at,
    createdBy: r.created_by ?? null, createdByName: r.created_by_name ?? null,
    paidBy: r.paid_by, paidByName: r.paid_by_name ?? null, paidReference: r.paid_reference, paidNote: r.paid_note,
  };
}

function scoped(q: Q, actor: Actor) {
  let qb = q.selectFrom('refunds as f').innerJoin('accounts as a', 'a.id', 'f.account_id').innerJoin('org_units as o', 'o.id', 'f.org_unit_id')
    .leftJoin('service_requests as s', 's.id', 'f.service_request_id')
    .leftJoin('users as cu', 'cu.id', 'f.created_by').leftJoin('users as pu', 'pu.id', 'f.paid_by')
    .selectAll('f').select(['a.account_no', 'a.name as account_name', 's.request_no', 'o.path', 'cu.display_name as created_by_name', 'pu.display_name as paid_by_name']);
  if (actor.orgPath) qb = qb.where('o.path', 'like', escapeLike(actor.orgPath) + '%');
  return qb;
}

/** Refunds in the actor's data scope, newest first. */
export async function listRefunds(db: Db, actor: Actor, f: { status?: 'pending' | 'paid'; accountNo?: string; page: number; pageSize: number }) {
  requireRead(actor);
  let qb = scoped(db.kysely, actor);
  if (f.status) qb = qb.where('f.status', '=', f.status);
  if (f.accountNo) qb = qb.where('a.account_no', '=', f.accountNo);
  const rows = await qb.orderBy('f.id', 'desc').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  let cq = db.kysely.selectFrom('refunds as f').innerJoin('org_units as o', 'o.id', 'f.org_unit_id').innerJoin('accounts as a', 'a.id', 'f.account_id')
    .select([sql<number>`count(*)::int`.as('n'), sql<string>`coalesce(sum(f.amount), 0)::numeric(14,2)::text`.as('amount')]);
  if (actor.orgPath) cq = cq.where('o.path', 'like', escapeLike(actor.orgPath) + '%');
  if (f.status) cq = cq.where('f.status', '=', f.status);
  if (f.accountNo) cq = cq.where('a.account_no', '=', f.accountNo);
  const c = await cq.executeTakeFirstOrThrow();
  return { items: rows.map(refundOut), total: c.n, amountTotal: c.amount, page: f.page, pageSize: f.pageSize };
}

export async function getRefund(db: Db, actor: Actor, id: number) {
  requireRead(actor);
  const r = await scoped(db.kysely, actor).where('f.id', '=', id).executeTakeFirst();
  if (!r) throw new AppError('NOT_FOUND', `refund ${id} not found`, { field: 'id' });
  return refundOut(r);
}

/** A collector paid the refund out (cash handed over / transfer made): pending → paid, with a reference. */
export async function markRefundPaid(db: Db, actor: Actor, id: number, input: { reference?: unknown; note?: unknown }) {
  requirePermission(actor, 'payment.collect');
  const ref = typeof input.reference === 'string' ? input.reference.trim() : '';
  if (!ref) throw new ValidationError('reference', 'required (receipt no. or bank transfer reference)');
  if (ref.length > 64) throw new ValidationError('reference', 'at most 64 characters');
  if (input.note !== undefined && input.note !== null && (typeof input.note !== 'string' || input.note.length > 500)) throw new ValidationError('note', 'must be text of at most 500 characters');
  const note = typeof input.note === 'string' && input.note.trim() ? input.note.trim() : null;
  return inTx(db, async (trx) => {
    const r = await scoped(trx, actor).where('f.id', '=', id).forUpdate('f').executeTakeFirst();
    if (!r) throw new AppError('NOT_FOUND', `refund ${id} not found`, { field: 'id' });
    if (r.status !== 'pending') throw new AppError('CONFLICT', `refund ${id} is already ${r.status} (reference ${r.paid_reference})`, { field: 'id', status: r.status });
    const up = await trx.updateTable('refunds').set({ status: 'paid', paid_by: actor.userId, paid_at: sql<Date>`now()` as never, paid_reference: ref, paid_note: note })
      .where('id', '=', id).where('status', '=', 'pending').returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, actor, {
      action: 'refund.pay', entityType: 'refund', entityId: id, orgUnitId: r.org_unit_id,
      before: { status: 'pending' }, after: { status: 'paid', amount: r.amount, method: r.method, accountNo: r.account_no, reference: ref, note },
    });
    return refundOut({ ...r, ...up, paid_by_name: actor.displayName });
  });
}

/**
 * Refund the credit of a closed account outside the 销户 transaction — e.g. a 销户 whose final
 * bill was on the exception list (settlement pending) and has been issued since. Supervisor
 * (`payment.supervise`), data scope; the credit first pays open receivables, the rest is refunded.
 */
export async function refundClosedAccountCredit(db: Db, actor: Actor, input: { accountNo?: unknown; refund?: unknown; reason?: unknown }) {
  requirePermission(actor, 'payment.supervise');
  if (typeof input.accountNo !== 'string' || !input.accountNo.trim()) throw new ValidationError('accountNo', 'required');
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (!reason) throw new ValidationError('reason', 'required');
  if (reason.length > 200) throw new ValidationError('reason', 'at most 200 characters');
  return inTx(db, async (trx) => {
    const a = await trx.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
      .select(['a.id', 'a.name', 'a.phone', 'a.status', 'o.path']).where('a.account_no', '=', (input.accountNo as string).trim()).executeTakeFirst();
    if (!a) throw new AppError('NOT_FOUND', `account ${input.accountNo} not found`, { field: 'accountNo' });
    if (actor.orgPath && !a.path.startsWith(actor.orgPath)) throw new AppError('OUT_OF_SCOPE', 'account is outside your data scope', { field: 'accountNo' });
    if (a.status !== 'closed') throw new AppError('CONFLICT', 'the account is not closed: its credit pays its next bills', { field: 'accountNo', status: a.status });
    const open = await trx.selectFrom('bills').select(['id', 'status']).where('account_id', '=', a.id).where('trial', '=', false).where('status', 'not in', ['issued', 'cancelled', 'sent_back']).executeTakeFirst();
    if (open) throw new AppError('CONFLICT', `bill ${open.id} of the account is ${open.status}: issue or cancel it first`, { field: 'accountNo', billId: open.id });
    const payee = checkRefundPayee(input.refund, { name: a.name, phone: a.phone }, 'refund');
    const s = await settleCredit(trx, actor, { accountId: a.id, payee, reason });
    if (!s.refund) throw new AppError('CONFLICT', `no credit to refund (balance ${s.balance})`, { field: 'accountNo', balance: s.balance });
    return s;
  });
}
