/**
 * Bill review and issue (电费审核与发行): the checker sees the flagged bills and the exception list,
 * approves (one bill, or all clean bills of a run at once), holds, or sends a bill back to
 * metering; issue (发行) turns approved bills into receivables with a due date per customer class.
 * Issued bills are immutable (database trigger). Every action is audited: one event per single
 * action, one per bulk action (never one per bill).
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-billing.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { FLAG_INFO } from '../../domain/billing/review.js';
import { checkReason, inTx, requirePermission, requireScope, type Actor, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { postIssuedBills } from '../payments/receivables.js';
import { actorUnits } from './run.js';

/** Days from issue to 交费截止日 per customer class; `default` for the others. Setting `billing.due_days` overrides. */
export const DEFAULT_DUE_DAYS: Record<string, number> = { residential: 15, commercial: 15, agricultural: 15, large_industrial: 10, default: 15 };

export function billOut(b: any) {
  return {
    id: b.id,
    runId: b.run_id,
    accountId: b.account_id,
    accountNo: b.account_no,
    accountName: b.account_name ?? undefined,
    period: b.period,
    trial: b.trial,
    status: b.status,
    customerClass: b.customer_class,
    tariffCodes: b.tariff_codes,
    periodStart: b.period_start,
    periodEnd: b.period_end,
    days: b.days,
    energyKwh: b.energy_kwh,
    amountTotal: b.amount_total,
    reviewFlags: (b.review_flags as string[]).map((code) => ({ code, zh: FLAG_INFO[code]?.zh ?? code, en: FLAG_INFO[code]?.en ?? code, exception: FLAG_INFO[code]?.exception === true })),
    exceptionCode: b.exception_code,
    dueDate: b.due_date,
    approvedBy: b.approved_by,
    approvedAt: b.approved_at,
    issuedAt: b.issued_at,
    actionReason: b.action_reason,
    createdAt: b.created_at,
  };
}

async function loadBill(trx: Trx, actor: Actor, id: number, lock = true) {
  const b = await trx.selectFrom('bills as b').innerJoin('org_units as o', 'o.id', 'b.org_unit_id').selectAll('b').select('o.path').where('b.id', '=', id).executeTakeFirst();
  if (!b) throw new AppError('NOT_FOUND', `bill ${id} not found`);
  requireScope(actor, b.path, 'bill');
  if (lock) await sql`select id from bills where account_id = ${b.account_id} and id = ${id} for update`.execute(trx);
  return b;
}

function requireStatus(b: { status: string; trial: boolean; id: number }, allowed: string[], what: string) {
  if (b.trial) throw new AppError('CONFLICT', `bill ${b.id} is a trial bill (试算): it cannot be ${what}`, { status: b.status });
  if (!allowed.includes(b.status)) throw new AppError('CONFLICT', `bill ${b.id} is ${b.status}: it cannot be ${what}`, { status: b.status });
}

const snap = (b: any) => ({ status: b.status, amountTotal: b.amount_total, energyKwh: b.energy_kwh, flags: b.review_flags });

export async function approveBill(db: Db, actor: Actor, id: number, input: { reason?: string } = {}) {
  requirePermission(actor, 'billing.review');
  const reason = checkReason(input.reason, false);
  return inTx(db, async (trx) => {
    const b = await loadBill(trx, actor, id);
    requireStatus(b, ['calculated', 'review', 'held'], 'approved');
    if (b.exception_code) throw new AppError('CONFLICT', `bill ${id} could not be rated (${b.exception_code}): send it back to metering or hold it`, { exceptionCode: b.exception_code });
    const after = await trx.updateTable('bills').set({ status: 'approved', approved_by: actor.userId, approved_at: sql<Date>`now()` as never, action_reason: reason, updated_at: sql<Date>`now()` as never })
      .where('account_id', '=', b.account_id).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'bill.approve', entityType: 'bill', entityId: id, orgUnitId: b.org_unit_id, before: snap(b), after: { ...snap(after), reason } });
    return billOut(after);
  });
}

export async function holdBill(db: Db, actor: Actor, id: number, input: { reason?: string }) {
  requirePermission(actor, 'billing.review');
  const reason = checkReason(input.reason, true);
  return inTx(db, async (trx) => {
    const b = await loadBill(trx, actor, id);
    requireStatus(b, ['calculated', 'review', 'approved'], 'held');
    const after = await trx.updateTable('bills').set({ status: 'held', action_reason: reason, updated_at: sql<Date>`now()` as never })
      .where('account_id', '=', b.account_id).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'bill.hold', entityType: 'bill', entityId: id, orgUnitId: b.org_unit_id, before: snap(b), after: { ...snap(after), reason } });
    return billOut(after);
  });
}

/**
 * Send back to metering (退回抄表): the bill is set aside (sent_back, so a later run may bill the
 * account again) and the period's accepted/estimated readings of the account go back to the
 * metering review queue (pending_review, flag SENT_BACK).
 */
export async function sendBackBill(db: Db, actor: Actor, id: number, input: { reason?: string }) {
  requirePermission(actor, 'billing.review');
  const reason = checkReason(input.reason, true);
  return inTx(db, async (trx) => {
    const b = await loadBill(trx, actor, id);
    requireStatus(b, ['calculated', 'review', 'held', 'approved'], 'sent back');
    const after = await trx.updateTable('bills').set({ status: 'sent_back', action_reason: reason, updated_at: sql<Date>`now()` as never })
      .where('account_id', '=', b.account_id).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    const readings = await trx.updateTable('register_readings')
      .set({ status: 'pending_review', quality_flags: sql<string[]>`array_append(array_remove(quality_flags, 'SENT_BACK'), 'SENT_BACK')` as never, review_reason: reason, updated_at: sql<Date>`now()` as never })
      .where('account_id', '=', b.account_id).where('billing_period', '=', b.period).where('status', 'in', ['accepted', 'estimated'])
      .returning('id').execute();
    await writeAudit(trx, actor, { action: 'bill.send_back', entityType: 'bill', entityId: id, orgUnitId: b.org_unit_id, before: snap(b), after: { ...snap(after), reason, readingIds: readings.map((r) => r.id) } });
    return { ...billOut(after), readingsSentBack: readings.length };
  });
}

async function loadRunForReview(trx: Trx, runId: number) {
  const run = await trx.selectFrom('billing_runs').selectAll().where('id', '=', runId).forUpdate().executeTakeFirst();
  if (!run) throw new AppError('NOT_FOUND', `billing run ${runId} not found`);
  return run;
}

async function scopeUnits(db: Db, actor: Actor): Promise<number[] | null> {
  const s = await actorUnits(db, actor);
  return s === null ? null : [...s];
}

/** Approve all clean bills (calculated, no flags) of a run in the actor's scope. One audit event. */
export async function approveClean(db: Db, actor: Actor, runId: number) {
  requirePermission(actor, 'billing.review');
  const units = await scopeUnits(db, actor);
  return inTx(db, async (trx) => {
    const run = await loadRunForReview(trx, runId);
    if (run.trial) throw new AppError('CONFLICT', `run ${runId} is a trial run (试算): its bills are never approved or issued`);
    if (run.status !== 'review') throw new AppError('CONFLICT', `run ${runId} is ${run.status}: bills can be approved when the run is in review`, { status: run.status });
    let q = trx.updateTable('bills').set({ status: 'approved', approved_by: actor.userId, approved_at: sql<Date>`now()` as never, updated_at: sql<Date>`now()` as never })
      .where('run_id', '=', runId).where('status', '=', 'calculated').where('exception_code', 'is', null).where(sql<boolean>`cardinality(review_flags) = 0`);
    if (units) q = q.where('org_unit_id', '=', sql<number>`any(${units}::bigint[])`);
    const r = await q.executeTakeFirst();
    const n = Number(r.numUpdatedRows);
    await writeAudit(trx, actor, { action: 'billing_run.approve_clean', entityType: 'billing_run', entityId: runId, orgUnitId: actor.orgUnitId, after: { period: run.period, approved: n } });
    return { runId, approved: n };
  });
}

async function dueDays(trx: Trx): Promise<Record<string, number>> {
  const s = await trx.selectFrom('settings').select('value').where('key', '=', 'billing.due_days').executeTakeFirst();
  return { ...DEFAULT_DUE_DAYS, ...((s?.value as Record<string, number> | undefined) ?? {}) };
}

/**
 * Issue (发行) the approved bills of a run in the actor's scope: status issued, issued_at, due date
 * = issue date (Asia/Shanghai) + days of the customer class. The run completes when no bill is
 * left calculated or in review. One audit event.
 */
export async function issueRun(db: Db, actor: Actor, runId: number, input: { issueDate?: string } = {}) {
  requirePermission(actor, 'billing.review');
  if (input.issueDate !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(input.issueDate)) throw new ValidationError('issueDate', 'must be YYYY-MM-DD');
  const units = await scopeUnits(db, actor);
  return inTx(db, async (trx) => {
    const run = await loadRunForReview(trx, runId);
    if (run.trial) throw new AppError('CONFLICT', `run ${runId} is a trial run (试算): nothing is issued`);
    if (run.status !== 'review' && run.status !== 'completed') throw new AppError('CONFLICT', `run ${runId} is ${run.status}: issue after the run has finished`, { status: run.status });
    const days = await dueDays(trx);
    const issueDate = input.issueDate ?? new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    let q = trx.updateTable('bills')
      .set({
        status: 'issued',
        issued_at: sql<Date>`now()` as never,
        due_date: sql<string>`${issueDate}::date + coalesce((${JSON.stringify(days)}::jsonb ->> customer_class)::int, ${days.default ?? 15}::int)` as never,
        updated_at: sql<Date>`now()` as never,
      })
      .where('run_id', '=', runId).where('status', '=', 'approved').where('trial', '=', false);
    if (units) q = q.where('org_unit_id', '=', sql<number>`any(${units}::bigint[])`);
    const issued = await q.returning('id').execute();
    const n = issued.length;
    // issued bills become receivables on the customer's ledger in the same transaction (issue 6)
    const posted = await postIssuedBills(trx, issued.map((b) => b.id), { actor });
    const left = await trx.selectFrom('bills').select(sql<number>`count(*)::int`.as('n')).where('run_id', '=', runId).where('status', 'in', ['calculated', 'review']).executeTakeFirstOrThrow();
    const status = left.n === 0 ? 'completed' : run.status;
    await trx.updateTable('billing_runs').set({ status, issued_at: sql<Date>`now()` as never, updated_at: sql<Date>`now()` as never }).where('id', '=', runId).execute();
    const amount = await trx.selectFrom('bills').select(sql<string>`coalesce(sum(amount_total), 0)::text`.as('a')).where('run_id', '=', runId).where('status', '=', 'issued').executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'billing_run.issue', entityType: 'billing_run', entityId: runId, orgUnitId: actor.orgUnitId, after: { period: run.period, issued: n, issueDate, dueDays: days, runStatus: status, issuedAmountTotal: amount.a, receivablesPosted: posted.posted, creditApplied: posted.creditApplied } });
    return { runId, issued: n, issueDate, runStatus: status, remainingInReview: left.n };
  });
}

/** Cancel a run: its bills that are not issued become cancelled (trial runs: discard). One audit event. */
export async function cancelRun(db: Db, actor: Actor, runId: number, input: { reason?: string } = {}) {
  requirePermission(actor, 'billing.run');
  const reason = checkReason(input.reason, false);
  return inTx(db, async (trx) => {
    const run = await loadRunForReview(trx, runId);
    if (run.status === 'completed' || run.status === 'cancelled') throw new AppError('CONFLICT', `run ${runId} is ${run.status}`, { status: run.status });
    const r = await trx.updateTable('bills').set({ status: 'cancelled', action_reason: reason, updated_at: sql<Date>`now()` as never }).where('run_id', '=', runId).where('status', '<>', 'issued').executeTakeFirst();
    await trx.updateTable('billing_runs').set({ status: 'cancelled', error: reason, updated_at: sql<Date>`now()` as never }).where('id', '=', runId).execute();
    // unclaimed partitions stay pending but nobody works on a cancelled run
    await writeAudit(trx, actor, { action: 'billing_run.cancel', entityType: 'billing_run', entityId: runId, orgUnitId: actor.orgUnitId, after: { period: run.period, trial: run.trial, billsCancelled: Number(r.numUpdatedRows), reason } });
    return { runId, status: 'cancelled', billsCancelled: Number(r.numUpdatedRows) };
  });
}

export async function listRunBills(db: Db, actor: Actor, runId: number, f: { flag?: string; status?: string; exceptions?: boolean; page: number; pageSize: number }) {
  requirePermission(actor, 'billing.run');
  const units = await scopeUnits(db, actor);
  let qb = db.kysely.selectFrom('bills as b').innerJoin('accounts as a', 'a.id', 'b.account_id').selectAll('b').select('a.name as account_name').where('b.run_id', '=', runId);
  if (units) qb = qb.where('b.org_unit_id', '=', sql<number>`any(${units}::bigint[])`);
  if (f.status) qb = qb.where('b.status', '=', f.status as never);
  if (f.flag) qb = qb.where(sql<boolean>`${f.flag} = any(b.review_flags)`);
  if (f.exceptions === true) qb = qb.where('b.exception_code', 'is not', null);
  if (f.exceptions === false) qb = qb.where('b.exception_code', 'is', null);
  const rows = await qb.orderBy('b.account_id').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  return { items: rows.map(billOut), page: f.page, pageSize: f.pageSize };
}

/** One bill with its lines, determinants and the readings it was computed from. */
export async function getBill(db: Db, actor: Actor, id: number) {
  const b = await db.kysely.selectFrom('bills as b').innerJoin('org_units as o', 'o.id', 'b.org_unit_id').innerJoin('accounts as a', 'a.id', 'b.account_id')
    .selectAll('b').select(['o.path', 'a.name as account_name', 'a.address']).where('b.id', '=', id).executeTakeFirst();
  if (!b) throw new AppError('NOT_FOUND', `bill ${id} not found`);
  authorizeAccount(actor, b.account_id, b.path);
  if (isCustomerOnly(actor) && (b.trial || b.status !== 'issued')) throw new AppError('NOT_FOUND', `bill ${id} not found`);
  const lines = await db.kysely.selectFrom('bill_lines').selectAll().where('account_id', '=', b.account_id).where('bill_id', '=', id).orderBy('line_no').execute();
  const det = (b.determinants ?? {}) as { readingIds?: number[] };
  const readings = det.readingIds?.length
    ? await db.kysely.selectFrom('register_readings as r').innerJoin('meters as m', 'm.id', 'r.meter_id')
      .select(['r.id', 'r.register', 'r.read_at', 'r.value', 'r.consumption', 'r.status', 'r.source', 'r.quality_flags', 'm.asset_no', 'm.multiplier'])
      .where('r.account_id', '=', b.account_id).where('r.id', 'in', det.readingIds).orderBy('r.register').orderBy('r.read_at').execute()
    : [];
  return {
    ...billOut(b),
    address: b.address,
    determinants: b.determinants,
    tariffRefs: b.tariff_refs,
    warnings: b.warnings,
    lines: lines.map((l) => ({ lineNo: l.line_no, code: l.code, name: { zh: l.name_zh, en: l.name_en }, quantity: l.quantity, unit: l.unit, unitPrice: l.unit_price, amount: l.amount, segment: l.segment, rule: l.rule })),
    readings: readings.map((r) => ({ id: r.id, register: r.register, readAt: r.read_at, value: r.value, consumption: r.consumption, status: r.status, source: r.source, qualityFlags: r.quality_flags, meterAssetNo: r.asset_no, multiplier: r.multiplier })),
  };
}

function isCustomerOnly(actor: Actor): boolean {
  return actor.roles.includes('customer') && !actor.permissions.has('account.read') && !actor.permissions.has('*');
}

function authorizeAccount(actor: Actor, accountId: number, path: string) {
  if (isCustomerOnly(actor)) {
    if (!actor.accountIds?.includes(accountId)) throw new AppError('OUT_OF_SCOPE', 'this account is not yours');
    return;
  }
  if (!actor.permissions.has('*') && !actor.permissions.has('account.read') && !actor.permissions.has('billing.run')) {
    throw new AppError('FORBIDDEN', 'permission account.read required', { permission: 'account.read' });
  }
  requireScope(actor, path, 'bill');
}

/** An account's real bills (no trial, no cancelled), newest period first. */
export async function accountBills(db: Db, actor: Actor, accountId: number, f: { page: number; pageSize: number }) {
  const a = await db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').select(['a.id', 'o.path']).where('a.id', '=', accountId).executeTakeFirst();
  if (!a) throw new AppError('NOT_FOUND', `account ${accountId} not found`);
  authorizeAccount(actor, a.id, a.path);
  const isCustomer = isCustomerOnly(actor);
  let qb = db.kysely.selectFrom('bills').selectAll().where('account_id', '=', accountId).where('trial', '=', false).where('status', '<>', 'cancelled');
  if (isCustomer) qb = qb.where('status', '=', 'issued');
  const rows = await qb.orderBy('period', 'desc').orderBy('id', 'desc').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  return { items: rows.map(billOut), page: f.page, pageSize: f.pageSize };
}
