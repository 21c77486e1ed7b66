/**
 * Reconnection after payment (复电): when a payment clears the debt of an account with a cut-off
 * order, open cut-off orders are cancelled and an executed cut-off gets a reconnection order due
 * within `reconnectTargetHours` (24 h, domain-cn §5.4 / 十项承诺) of the moment the debt cleared.
 *
 * Two ways in, both idempotent (one reconnection per cut-off: unique index):
 * - `onPaymentPosted(trx, accountId)` — meant to be called by postPayment inside the payment's
 *   transaction (one cheap query when the account has no cut-off order);
 * - `reconnectCheck(db)` — the polling job (`voltline reconnect-check`, every few minutes) that
 *   finds cleared accounts with cut-off orders and does the same, one transaction per account.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-prepaid.js';
import { shanghaiDate } from '../../domain/payments/index.js';
import { inTx, SYSTEM_ACTOR, type Actor, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { loadControlSettings, applyThresholds, storeReminder } from './prepaid.js';
import { stillOwes } from './cutoff.js';
import { PREPARED } from '../../db/database.js';

export interface ReconnectOutcome {
  accountId: number;
  cleared: boolean;
  cancelledOrderIds: number[];
  reconnectOrderIds: number[];
}

/**
 * After a posted payment (or a reversal, or the poll): if the account's cut-off reason is gone,
 * cancel its open cut-off orders and create reconnection orders for executed cut-offs.
 */
export async function onPaymentPosted(trx: Trx, accountId: number, actor: Actor = SYSTEM_ACTOR, now = new Date()): Promise<ReconnectOutcome> {
  const out: ReconnectOutcome = { accountId, cleared: false, cancelledOrderIds: [], reconnectOrderIds: [] };
  const orders = await trx.selectFrom('cutoff_orders as c')
    .select(['c.id', 'c.state', 'c.reason', 'c.org_unit_id'])
    .where('c.account_id', '=', accountId).where('c.kind', '=', 'cutoff')
    .where((eb) => eb.or([
      eb('c.state', 'in', ['created', 'notice_sent', 'scheduled']),
      eb.and([eb('c.state', 'in', ['executed', 'closed']), eb.not(eb.exists(eb.selectFrom('cutoff_orders as r').select('r.id').whereRef('r.cutoff_order_id', '=', 'c.id').where('r.kind', '=', 'reconnect').where('r.state', '<>', 'cancelled')))]),
    ]))
    .orderBy('c.id').modifyEnd(PREPARED).execute();
  // prepaid: a top-up moves the reminder state back (one lookup when the account is postpaid)
  const plan = await trx.selectFrom('prepaid_plans').select('status').where('account_id', '=', accountId).modifyEnd(PREPARED).executeTakeFirst();
  if (plan?.status === 'active') await applyThresholds(trx, actor, accountId, now);
  if (!orders.length) return out;
  const today = shanghaiDate(now);
  const s = await loadControlSettings(trx);
  const acc = await trx.selectFrom('accounts').select(['account_no', 'phone']).where('id', '=', accountId).executeTakeFirstOrThrow();
  for (const o of orders) {
    const st = await stillOwes(trx, accountId, o.reason, today);
    if (st.owes) continue;
    out.cleared = true;
    if (o.state === 'executed' || o.state === 'closed') {
      const dueBy = new Date(now.getTime() + s.reconnectTargetHours * 3_600_000);
      const r = await trx.insertInto('cutoff_orders').values({
        kind: 'reconnect', account_id: accountId, org_unit_id: o.org_unit_id, reason: 'debt_cleared', state: 'created', amount_owed: st.amount,
        cutoff_order_id: o.id, cleared_at: now, due_by: dueBy, created_by: actor.userId, created_at: now, updated_at: now,
      }).onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
      if (!r) continue;
      out.reconnectOrderIds.push(r.id);
      await trx.insertInto('cutoff_order_events').values({ order_id: r.id, from_state: null, to_state: 'created', action: 'create', note: `debt cleared (${st.amount}); cut-off order ${o.id}; due by ${dueBy.toISOString()}`, actor_id: actor.userId, actor_name: actor.username, at: now }).execute();
      await storeReminder(trx, { accountId, orgUnitId: o.org_unit_id, kind: 'reconnected', phone: acc.phone, body: `【复电通知】户号${acc.account_no}欠费已结清，将在${s.reconnectTargetHours}小时内恢复供电。`, balance: st.amount });
      await writeAudit(trx, actor, { action: 'cutoff.reconnect_create', entityType: 'cutoff_order', entityId: r.id, orgUnitId: o.org_unit_id, after: { kind: 'reconnect', cutoffOrderId: o.id, accountNo: acc.account_no, dueBy: dueBy.toISOString(), balance: st.amount } }, now);
    } else {
      const up = await trx.updateTable('cutoff_orders').set({ state: 'cancelled', cancelled_at: now, cancel_reason: 'debt cleared 欠费已结清', updated_at: now })
        .where('id', '=', o.id).where('state', '=', o.state).returning('id').executeTakeFirst();
      if (!up) continue;
      out.cancelledOrderIds.push(o.id);
      await trx.insertInto('cutoff_order_events').values({ order_id: o.id, from_state: o.state, to_state: 'cancelled', action: 'cancel', note: 'debt cleared 欠费已结清', actor_id: actor.userId, actor_name: actor.username, at: now }).execute();
      await writeAudit(trx, actor, { action: 'cutoff.cancel', entityType: 'cutoff_order', entityId: o.id, orgUnitId: o.org_unit_id, before: { state: o.state }, after: { state: 'cancelled', reason: 'debt cleared', balance: st.amount } }, now);
    }
  }
  return out;
}

/**
 * The polling job: accounts with a cut-off order still waiting (open, or executed without a
 * reconnection) whose reason is gone — found in one statement (prepaid: credit above the floor;
 * arrears: no overdue open receivable) — then one transaction per such account.
 */
export async function reconnectCheck(db: Db, actor: Actor = SYSTEM_ACTOR, now = new Date()) {
  const t0 = Date.now();
  const s = await loadControlSettings(db.kysely);
  const today = shanghaiDate(now);
  const { rows } = await sql<{ account_id: number; cleared: boolean }>`
    select c.account_id,
           bool_or(case when c.reason = 'prepaid'
                 then -coalesce((select sum(e.amount) from ledger_entries e where e.account_id = c.account_id), 0)
                      > coalesce((select p.cutoff_floor from prepaid_plans p where p.account_id = c.account_id), ${s.cutoffFloor}::numeric)
                 else not exists (select 1 from receivables r where r.account_id = c.account_id and r.status = 'open' and r.due_date < ${today}::date
                                    and r.amount - r.principal_paid + r.fee_charged - r.fee_paid > 0) end) as cleared
      from cutoff_orders c join org_units o on o.id = c.org_unit_id
     where c.kind = 'cutoff' and o.path like ${actor.orgPath + '%'}
       and (c.state in ('created', 'notice_sent', 'scheduled')
            or (c.state in ('executed', 'closed') and not exists (select 1 from cutoff_orders r where r.cutoff_order_id = c.id and r.kind = 'reconnect' and r.state <> 'cancelled')))
     group by c.account_id`.execute(db.kysely);
  const outcomes: ReconnectOutcome[] = [];
  for (const r of rows.filter((x) => x.cleared)) outcomes.push(await inTx(db, (trx) => onPaymentPosted(trx, r.account_id, actor, now)));
  const reconnect = outcomes.flatMap((o) => o.reconnectOrderIds);
  const cancelled = outcomes.flatMap((o) => o.cancelledOrderIds);
  return { checkedAccounts: rows.length, clearedAccounts: outcomes.filter((o) => o.cleared).length, reconnectOrderIds: reconnect, cancelledOrderIds: cancelled, ms: Date.now() - t0 };
}
