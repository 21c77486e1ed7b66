/**
 * Late-fee waivers (违约金减免, domain-cn §5.2): only through an approval workflow with a reason.
 * A collector requests a waiver of a receivable's late fee up to a day; a supervisor (not the
 * requester) approves or rejects. Approval sets receivables.waived_through (no fee accrues for
 * those days) and, when the waiver covers every day already charged, cancels the charged but
 * unpaid fee with a negative `adjustment` fee entry. Audited.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { checkDate, fen2, toFen } from '../../domain/payments/index.js';
import { inTx, requirePermission, requireScope, type Actor, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';

function reasonOf(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim().length < 2) throw new ValidationError(field, 'required (at least 2 characters)');
  if (v.length > 500) throw new ValidationError(field, 'at most 500 characters');
  return v.trim();
}

async function scopedReceivable(trx: Trx, actor: Actor, id: number, lock = false) {
  let q = trx.selectFrom('receivables as r').innerJoin('org_units as o', 'o.id', 'r.org_unit_id').selectAll('r').select('o.path').where('r.id', '=', id);
  if (lock) q = q.forUpdate('r');
  const r = await q.executeTakeFirst();
  if (!r) throw new AppError('NOT_FOUND', `receivable ${id} not found`, { field: 'receivableId' });
  requireScope(actor, r.path, 'receivable');
  return r;
}

export async function requestWaiver(db: Db, actor: Actor, input: { receivableId: number; waiveThrough: string; reason?: unknown }) {
  requirePermission(actor, 'payment.collect');
  const through = checkDate(input.waiveThrough, 'waiveThrough');
  const reason = reasonOf(input.reason, 'reason');
  return inTx(db, async (trx) => {
    const r = await scopedReceivable(trx, actor, input.receivableId);
    if (r.status !== 'open') throw new AppError('CONFLICT', `receivable ${r.id} is ${r.status}`, { reason: 'RECEIVABLE_NOT_OPEN' });
    if (through <= r.due_date) throw new ValidationError('waiveThrough', `must be after the due date ${r.due_date}`);
    const w = await trx.insertInto('late_fee_waivers').values({ receivable_id: r.id, account_id: r.account_id, waive_through: through, reason, requested_by: actor.userId })
      .onConflict((oc) => oc.column('receivable_id').where('status', '=', 'requested').doNothing()).returningAll().executeTakeFirst();
    if (!w) throw new AppError('CONFLICT', `receivable ${r.id} already has a waiver request pending`, { reason: 'WAIVER_PENDING' });
    await writeAudit(trx, actor, { action: 'waiver.request', entityType: 'late_fee_waiver', entityId: w.id, orgUnitId: r.org_unit_id, after: { receivableId: r.id, waiveThrough: through, reason } });
    return { id: w.id, receivableId: r.id, waiveThrough: through, status: w.status, reason };
  });
}

export async function decideWaiver(db: Db, actor: Actor, id: number, input: { decision: 'approve' | 'reject'; note?: unknown }) {
  requirePermission(actor, 'payment.supervise');
  const note = input.decision === 'reject' ? reasonOf(input.note, 'note') : typeof input.note === 'string' ? input.note.trim().slice(0, 500) : null;
  return inTx(db, async (trx) => {
    const w = await trx.selectFrom('late_fee_waivers').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!w) throw new AppError('NOT_FOUND', `waiver ${id} not found`, { field: 'id' });
    if (w.status !== 'requested') throw new AppError('CONFLICT', `waiver ${id} is ${w.status}`, { reason: 'WAIVER_DECIDED' });
    if (w.requested_by !== null && w.requested_by === actor.userId) throw new AppError('FORBIDDEN', 'the requester cannot decide their own waiver');
    const r = await scopedReceivable(trx, actor, w.receivable_id, true);
    let cancelled = 0;
    if (input.decision === 'approve') {
      const unpaid = toFen(r.fee_charged) - toFen(r.fee_paid);
      if (unpaid > 0 && (r.fee_through ?? r.due_date) <= w.waive_through) {
        cancelled = unpaid;
        await trx.insertInto('ledger_entries').values({ account_id: r.account_id, kind: 'adjustment', component: 'fee', amount: fen2(-unpaid), receivable_id: r.id, payment_id: null, entry_date: sql<string>`(now() at time zone 'Asia/Shanghai')::date` as never, memo: `违约金减免 waiver ${id}` }).execute();
      }
      const settled = toFen(r.amount) === toFen(r.principal_paid) && cancelled === toFen(r.fee_charged) - toFen(r.fee_paid);
      await sql`update receivables set waived_through = greatest(coalesce(waived_through, due_date), ${w.waive_through}::date), fee_charged = fee_charged - ${fen2(cancelled)}::numeric,
          status = ${settled ? 'settled' : r.status}, settled_at = ${settled ? sql`now()` : sql`settled_at`} where id = ${r.id}`.execute(trx);
    }
    const status = input.decision === 'approve' ? 'approved' : 'rejected';
    await trx.updateTable('late_fee_waivers').set({ status, decided_by: actor.userId, decided_at: sql<Date>`now()` as never, decision_note: note }).where('id', '=', id).execute();
    await writeAudit(trx, actor, { action: `waiver.${input.decision}`, entityType: 'late_fee_waiver', entityId: id, orgUnitId: r.org_unit_id, before: { status: 'requested' }, after: { status, note, waiveThrough: w.waive_through, cancelledFee: fen2(cancelled) } });
    return { id, status, receivableId: r.id, waiveThrough: w.waive_through, cancelledFee: fen2(cancelled) };
  });
}

export async function listWaivers(db: Db, actor: Actor, f: { status?: string; page: number; pageSize: number }) {
  requirePermission(actor, 'payment.supervise');
  let q = db.kysely.selectFrom('late_fee_waivers as w').innerJoin('receivables as r', 'r.id', 'w.receivable_id').innerJoin('org_units as o', 'o.id', 'r.org_unit_id').innerJoin('accounts as a', 'a.id', 'w.account_id')
    .select(['w.id', 'w.receivable_id', 'a.account_no', 'r.period', 'w.waive_through', 'w.reason', 'w.status', 'w.requested_by', 'w.requested_at', 'w.decided_by', 'w.decided_at', 'w.decision_note']);
  if (actor.orgPath) q = q.where('o.path', 'like', `${actor.orgPath}%`);
  if (f.status) q = q.where('w.status', '=', f.status as never);
  const rows = await q.orderBy('w.id', 'desc').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  return { items: rows.map((w) => ({ id: w.id, receivableId: w.receivable_id, accountNo: w.account_no, period: w.period, waiveThrough: w.waive_through, reason: w.reason, status: w.status, requestedBy: w.requested_by, requestedAt: w.requested_at, decidedBy: w.decided_by, decidedAt: w.decided_at, note: w.decision_note })), page: f.page, pageSize: f.pageSize };
}
