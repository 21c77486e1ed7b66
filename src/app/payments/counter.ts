/**
 * Counter collection (坐收): cashier shifts, payments for one or several accounts on one receipt,
 * void within the open shift with a reason, close with the counted cash (日结), supervisor
 * approval. Every action is audited in its transaction.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import type { PaymentMethod } from '../../db/schema-payments.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { fen2, parsePaymentAmount, shanghaiDate, toFen, checkCurrency } from '../../domain/payments/index.js';
import { can, inTx, requirePermission, requireScope, type Actor, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { scopedAccount } from './accounts.js';
import { COUNTER_CHANNEL, postPayment, reversePayment, type PaymentResult } from './post-payment.js';

const COUNTER_METHODS: PaymentMethod[] = ['cash', 'card', 'qr'];

function shiftOut(s: any) {
  return {
    id: s.id, collectorId: s.collector_id, collectorName: s.collector_name ?? undefined, orgUnitId: s.org_unit_id, status: s.status,
    openedAt: s.opened_at, closedAt: s.closed_at, openingFloat: s.opening_float, countedCash: s.counted_cash, systemCash: s.system_cash,
    difference: s.difference, differenceReason: s.difference_reason, report: s.report ?? null, approvedBy: s.approved_by, approvedAt: s.approved_at, approvalNote: s.approval_note,
  };
}

function reasonOf(v: unknown, field = 'reason', required = true): string | null {
  if (typeof v === 'string' && v.trim().length >= 2) {
    if (v.length > 500) throw new ValidationError(field, 'at most 500 characters');
    return v.trim();
  }
  if (v === undefined || v === null || v === '') {
    if (required) throw new ValidationError(field, 'required (at least 2 characters)');
    return null;
  }
  throw new ValidationError(field, 'at least 2 characters');
}

export async function openShift(db: Db, actor: Actor, input: { openingFloat?: unknown } = {}) {
  requirePermission(actor, 'payment.collect');
  if (actor.userId === null || actor.orgUnitId === null) throw new AppError('FORBIDDEN', 'a shift belongs to a user with an org unit');
  const float = input.openingFloat === undefined || input.openingFloat === null || input.openingFloat === '0' || input.openingFloat === 0 ? 0 : parsePaymentAmount(input.openingFloat, 'openingFloat');
  return inTx(db, async (trx) => {
    const existing = await trx.selectFrom('cashier_shifts').selectAll().where('collector_id', '=', actor.userId!).where('status', '=', 'open').executeTakeFirst();
    if (existing) throw new AppError('CONFLICT', `shift ${existing.id} is already open`, { shiftId: existing.id, reason: 'SHIFT_ALREADY_OPEN' });
    const s = await trx.insertInto('cashier_shifts').values({ collector_id: actor.userId!, org_unit_id: actor.orgUnitId!, opening_float: fen2(float) }).returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'shift.open', entityType: 'cashier_shift', entityId: s.id, orgUnitId: s.org_unit_id, after: { openingFloat: s.opening_float } });
    return shiftOut(s);
  });
}

export async function currentShift(db: Db, actor: Actor) {
  requirePermission(actor, 'payment.collect');
  if (actor.userId === null) return { shift: null };
  const s = await db.kysely.selectFrom('cashier_shifts').selectAll().where('collector_id', '=', actor.userId).where('status', '=', 'open').executeTakeFirst();
  if (!s) return { shift: null };
  const totals = await shiftTotals(db.kysely as never, s.id);
  return { shift: { ...shiftOut(s), ...totals } };
}

async function openShiftOf(trx: Trx, actor: Actor) {
  if (actor.userId === null) throw new AppError('CONFLICT', 'no open shift', { reason: 'NO_OPEN_SHIFT' });
  const s = await trx.selectFrom('cashier_shifts').selectAll().where('collector_id', '=', actor.userId).where('status', '=', 'open').forUpdate().executeTakeFirst();
  if (!s) throw new AppError('CONFLICT', 'open a shift first (开班)', { reason: 'NO_OPEN_SHIFT' });
  return s;
}

export interface CounterPaymentInput {
  items: Array<{ accountNo: string; amount: unknown }>;
  method: string;
  currency?: unknown;
  /** client-generated id of this submission: a double click posts once */
  requestId?: string;
  tendered?: unknown;
}

/** Take a payment for one or several accounts on one receipt (same method). */
export async function takeCounterPayment(db: Db, actor: Actor, input: CounterPaymentInput, now = new Date()) {
  requirePermission(actor, 'payment.collect');
  if (!COUNTER_METHODS.includes(input.method as PaymentMethod)) throw new ValidationError('method', `must be one of ${COUNTER_METHODS.join(', ')}`);
  checkCurrency(input.currency);
  if (!Array.isArray(input.items) || input.items.length === 0) throw new ValidationError('items', 'at least one account');
  if (input.items.length > 20) throw new ValidationError('items', 'at most 20 accounts per receipt');
  const amounts = input.items.map((it, i) => parsePaymentAmount(it.amount, `items.${i}.amount`));
  const seen = new Set<string>();
  input.items.forEach((it, i) => {
    if (typeof it.accountNo !== 'string' || !it.accountNo.trim()) throw new ValidationError(`items.${i}.accountNo`, 'required');
    if (seen.has(it.accountNo)) throw new ValidationError(`items.${i}.accountNo`, 'account listed twice');
    seen.add(it.accountNo);
  });
  const total = amounts.reduce((s, a) => s + a, 0);
  let change: number | null = null;
  if (input.tendered !== undefined && input.tendered !== null && input.tendered !== '') {
    const t = parsePaymentAmount(input.tendered, 'tendered');
    if (t < total) throw new ValidationError('tendered', `less than the total ${fen2(total)}`);
    change = t - total;
  }
  const requestId = input.requestId ?? crypto.randomUUID();
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(requestId)) throw new ValidationError('requestId', '8-64 letters, digits, - or _');
  const payDate = shanghaiDate(now);
  return inTx(db, async (trx) => {
    const shift = await openShiftOf(trx, actor);
    const accounts = [];
    for (let i = 0; i < input.items.length; i++) accounts.push(await scopedAccount(trx, actor, { accountNo: input.items[i].accountNo.trim() }, `items.${i}.accountNo`));
    const prev = await trx.selectFrom('payments').select('receipt_no').where('channel', '=', COUNTER_CHANNEL).where('idempotency_key', '=', `${requestId}:0`).executeTakeFirst();
    const seq = prev ? null : await sql<{ n: number }>`select nextval('payment_receipt_seq')::int8 as n`.execute(trx);
    const receiptNo = prev?.receipt_no ?? `SJ${payDate.replace(/-/g, '')}${String(seq!.rows[0].n).padStart(8, '0')}`;
    const results: PaymentResult[] = [];
    let replayed = false;
    for (let i = 0; i < accounts.length; i++) {
      const r = await postPayment(trx, actor, {
        account: accounts[i], channel: COUNTER_CHANNEL, method: input.method as PaymentMethod, amountFen: amounts[i], idempotencyKey: `${requestId}:${i}`,
        shiftId: shift.id, collectorId: actor.userId, receiptNo, payDate,
      });
      replayed = replayed || r.replayed;
      results.push(r.result);
    }
    return { receiptNo, shiftId: shift.id, requestId, method: input.method, total: fen2(total), change: change === null ? null : fen2(change), payments: results, replayed };
  });
}

/** Void (作废) a payment of the actor's open shift, with a reason. */
export async function voidPayment(db: Db, actor: Actor, paymentId: number, input: { reason?: unknown }) {
  requirePermission(actor, 'payment.collect');
  const reason = reasonOf(input.reason)!;
  return inTx(db, async (trx) => {
    const r = await reversePayment(trx, actor, paymentId, 'voided', reason, async (p) => {
      if (p.channel !== COUNTER_CHANNEL || p.shift_id === null) throw new AppError('CONFLICT', 'only counter payments can be voided; channel payments are reversed by the channel', { reason: 'NOT_A_COUNTER_PAYMENT' });
      const s = await trx.selectFrom('cashier_shifts').select(['status', 'collector_id']).where('id', '=', p.shift_id).executeTakeFirstOrThrow();
      if (s.status !== 'open') throw new AppError('CONFLICT', `shift ${p.shift_id} is ${s.status}: a payment can be voided only within its open shift`, { reason: 'SHIFT_CLOSED', shiftId: p.shift_id });
      if (s.collector_id !== actor.userId && !can(actor, 'payment.supervise')) throw new AppError('FORBIDDEN', 'only the collector of the shift may void its payments');
    });
    return r.result;
  });
}

async function shiftTotals(q: Trx, shiftId: number) {
  const rows = await q.selectFrom('payments').select(['method', 'status', sql<number>`count(*)::int`.as('n'), sql<string>`sum(amount)::text`.as('amount')])
    .where('shift_id', '=', shiftId).groupBy(['method', 'status']).execute();
  const byMethod: Record<string, { count: number; amount: string }> = {};
  let postedFen = 0, postedN = 0, voidedFen = 0, voidedN = 0, cashFen = 0;
  for (const r of rows) {
    if (r.status === 'posted') {
      const m = byMethod[r.method] ?? { count: 0, amount: '0.00' };
      byMethod[r.method] = { count: m.count + r.n, amount: fen2(toFen(m.amount) + toFen(r.amount)) };
      postedFen += toFen(r.amount);
      postedN += r.n;
      if (r.method === 'cash') cashFen += toFen(r.amount);
    } else {
      voidedFen += toFen(r.amount);
      voidedN += r.n;
    }
  }
  return { payments: postedN, total: fen2(postedFen), byMethod, voided: { count: voidedN, amount: fen2(voidedFen) }, cashFen };
}

/** Close the shift (结账/日结): counted cash against the system; a difference needs a reason. */
export async function closeShift(db: Db, actor: Actor, shiftId: number, input: { countedCash: unknown; differenceReason?: unknown }) {
  requirePermission(actor, 'payment.collect');
  const counted = input.countedCash === 0 || input.countedCash === '0' || input.countedCash === '0.00' ? 0 : parsePaymentAmount(input.countedCash, 'countedCash');
  return inTx(db, async (trx) => {
    const s = await trx.selectFrom('cashier_shifts').selectAll().where('id', '=', shiftId).forUpdate().executeTakeFirst();
    if (!s) throw new AppError('NOT_FOUND', `shift ${shiftId} not found`, { field: 'shiftId' });
    if (s.collector_id !== actor.userId) throw new AppError('FORBIDDEN', 'only the collector closes their shift');
    if (s.status !== 'open') throw new AppError('CONFLICT', `shift ${shiftId} is ${s.status}`, { reason: 'SHIFT_NOT_OPEN' });
    const t = await shiftTotals(trx, shiftId);
    const expected = toFen(s.opening_float) + t.cashFen;
    const diff = counted - expected;
    const diffReason = diff === 0 ? reasonOf(input.differenceReason, 'differenceReason', false) : reasonOf(input.differenceReason, 'differenceReason', true);
    const report = {
      shiftId, collectorId: s.collector_id, openedAt: s.opened_at, closedAt: new Date().toISOString(), payments: t.payments, total: t.total, byMethod: t.byMethod, voided: t.voided,
      openingFloat: s.opening_float, systemCash: fen2(t.cashFen), expectedCash: fen2(expected), countedCash: fen2(counted), difference: fen2(diff), differenceReason: diffReason,
    };
    const u = await trx.updateTable('cashier_shifts').set({
      status: 'closed', closed_at: sql<Date>`now()` as never, counted_cash: fen2(counted), system_cash: fen2(t.cashFen), difference: fen2(diff), difference_reason: diffReason, report: JSON.stringify(report),
    }).where('id', '=', shiftId).returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'shift.close', entityType: 'cashier_shift', entityId: shiftId, orgUnitId: s.org_unit_id, before: { status: 'open' }, after: report });
    return shiftOut(u);
  });
}

async function scopedShift(trx: Trx | Db['kysely'], actor: Actor, shiftId: number, lock = false) {
  let q = trx.selectFrom('cashier_shifts as s').innerJoin('org_units as o', 'o.id', 's.org_unit_id').innerJoin('users as u', 'u.id', 's.collector_id')
    .selectAll('s').select(['o.path', 'u.display_name as collector_name']).where('s.id', '=', shiftId);
  if (lock) q = q.forUpdate('s');
  const s = await q.executeTakeFirst();
  if (!s) throw new AppError('NOT_FOUND', `shift ${shiftId} not found`, { field: 'shiftId' });
  requireScope(actor, s.path, 'shift');
  return s;
}

/** Supervisor decision on a closed shift: approve (审核通过) or reject with a note. */
export async function decideShift(db: Db, actor: Actor, shiftId: number, input: { decision: 'approve' | 'reject'; note?: unknown }) {
  requirePermission(actor, 'payment.supervise');
  if (input.decision !== 'approve' && input.decision !== 'reject') throw new ValidationError('decision', 'approve or reject');
  const note = reasonOf(input.note, 'note', input.decision === 'reject');
  return inTx(db, async (trx) => {
    const s = await scopedShift(trx, actor, shiftId, true);
    if (s.collector_id === actor.userId) throw new AppError('FORBIDDEN', 'a collector cannot approve their own shift');
    if (s.status !== 'closed') throw new AppError('CONFLICT', `shift ${shiftId} is ${s.status}: only a closed shift can be decided`, { reason: 'SHIFT_NOT_CLOSED' });
    const status = input.decision === 'approve' ? 'approved' : 'rejected';
    const u = await trx.updateTable('cashier_shifts').set({ status, approved_by: actor.userId, approved_at: sql<Date>`now()` as never, approval_note: note }).where('id', '=', shiftId).returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: `shift.${input.decision}`, entityType: 'cashier_shift', entityId: shiftId, orgUnitId: s.org_unit_id, before: { status: 'closed' }, after: { status, note, difference: s.difference } });
    return shiftOut(u);
  });
}

/** One shift with its payments (the 日结 report); collectors see their own, supervisors their scope. */
export async function getShift(db: Db, actor: Actor, shiftId: number) {
  if (!can(actor, 'payment.supervise')) requirePermission(actor, 'payment.collect');
  const s = await scopedShift(db.kysely, actor, shiftId);
  if (!can(actor, 'payment.supervise') && s.collector_id !== actor.userId) throw new AppError('FORBIDDEN', 'not your shift');
  const payments = await db.kysely.selectFrom('payments as p').innerJoin('accounts as a', 'a.id', 'p.account_id')
    .select(['p.id', 'p.receipt_no', 'a.account_no', 'a.name', 'p.method', 'p.amount', 'p.status', 'p.received_at', 'p.reversal_reason'])
    .where('p.shift_id', '=', shiftId).orderBy('p.id').execute();
  const totals = await shiftTotals(db.kysely as never, shiftId);
  const { cashFen, ...t } = totals;
  return {
    ...shiftOut(s), ...t, systemCashNow: fen2(cashFen),
    items: payments.map((p) => ({ paymentId: p.id, receiptNo: p.receipt_no, accountNo: p.account_no, accountName: p.name, method: p.method, amount: p.amount, status: p.status, receivedAt: p.received_at, voidReason: p.reversal_reason })),
  };
}

export async function listShifts(db: Db, actor: Actor, f: { status?: string; page: number; pageSize: number }) {
  requirePermission(actor, 'payment.supervise');
  let q = db.kysely.selectFrom('cashier_shifts as s').innerJoin('org_units as o', 'o.id', 's.org_unit_id').innerJoin('users as u', 'u.id', 's.collector_id')
    .selectAll('s').select('u.display_name as collector_name');
  if (actor.orgPath) q = q.where('o.path', 'like', `${actor.orgPath}%`);
  if (f.status) q = q.where('s.status', '=', f.status as never);
  const rows = await q.orderBy('s.id', 'desc').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  return { items: rows.map(shiftOut), page: f.page, pageSize: f.pageSize };
}
