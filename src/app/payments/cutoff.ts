/**
 * Cut-off (停电) and reconnection (复电) work orders for arrears (postpaid) and prepaid accounts.
 * The states are a workflow definition run by the shared engine (src/domain/workflow/engine.ts):
 *
 *   cut-off:       created -> notice_sent -> scheduled -> executed -> closed   (cancel from open)
 *   reconnection:  created -> executed -> closed
 *
 * Rules (domain-cn §5.4 and 《电力供应与使用条例》39; numbers are settings, see prepaid.ts):
 * - ARREARS_MIN_OVERDUE: a postpaid order needs arrears overdue more than `minOverdueDays` (30);
 * - NOTICE_EVIDENCE: a notice (停电通知书) with delivery method and evidence must be recorded
 *   before the order leaves `created`;
 * - NOTICE_LEAD_TIME: the cut-off is scheduled and executed no earlier than `noticeDays` (7)
 *   days after the notice was delivered;
 * - RENOTICE_REQUIRED: a re-notice delivered at least `renoticeMinutes` (30) before execution;
 * - CUTOFF_TIME_FORBIDDEN: no cut-off on non-working days (weekends, State Council holidays) or
 *   outside `executeFrom`..`executeTo` (Asia/Shanghai);
 * - DEBT_CLEARED: no cut-off once the debt is cleared (the order is cancelled instead).
 * Each refusal is a 409 CONFLICT whose `details.rule` names the rule.
 *
 * Execution sends a DL/T 645-2007 control frame (0x1C; command 0x1A 跳闸 for a cut-off, 0x1B
 * 合闸允许 for a reconnection) built with the project codec to the meter's address. The demo
 * head-end has no control channel (the meter simulator does not implement 0x1C), so the
 * acknowledgment is the codec's normal reply frame produced by `simulatedHeadEnd` and the order
 * records `simulated: true` with both frames.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import '../../db/schema-prepaid.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { availableActions, decide, type WorkflowDef, type Guard, type Action } from '../../domain/workflow/engine.js';
import { buildAck, buildControl, decodeMessage, FN } from '../../domain/protocols/dlt645/index.js';
import { WorkCalendar } from '../../domain/calendar/calendar.js';
import { fen2, shanghaiDate, toFen } from '../../domain/payments/index.js';
import { can, inTx, requirePermission, type Actor, type Q, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { scopedAccount } from './accounts.js';
import { accountBalanceFen } from './post-payment.js';
import { loadControlSettings, storeReminder, type ControlSettings } from './prepaid.js';
import { loadCalendar } from '../service/support.js';
import type { CutoffState, NoticeMethod } from '../../db/schema-prepaid.js';

const HANDLERS = ['collector', 'manager'];

/** Cut-off workflow as data (guards are supplied per call). */
export const CUTOFF_WORKFLOW: WorkflowDef = {
  code: 'cutoff',
  name: { zh: '欠费停电', en: 'Cut-off' },
  stages: [
    { code: 'created', name: { zh: '已创建', en: 'Created' }, roles: HANDLERS, permission: 'cutoff.handle' },
    { code: 'notice_sent', name: { zh: '已送达通知', en: 'Notice delivered' }, roles: HANDLERS, permission: 'cutoff.handle' },
    { code: 'scheduled', name: { zh: '已排期', en: 'Scheduled' }, roles: ['manager'], permission: 'cutoff.execute' },
    { code: 'executed', name: { zh: '已停电', en: 'Executed' }, roles: HANDLERS, permission: 'cutoff.handle' },
  ],
  transitions: [
    { from: 'created', action: 'pass', to: 'notice_sent', guard: 'notice' },
    { from: 'notice_sent', action: 'pass', to: 'scheduled', guard: 'schedule' },
    { from: 'scheduled', action: 'pass', to: 'executed', guard: 'execute' },
    { from: 'executed', action: 'pass', to: 'completed' },
    ...['created', 'notice_sent', 'scheduled'].map((from) => ({ from, action: 'cancel' as Action, to: 'cancelled', needsReason: true, permission: 'cutoff.handle' })),
  ],
};

/** Reconnection workflow: no notice, no time window (restore as soon as possible, ≤ 24 h). */
export const RECONNECT_WORKFLOW: WorkflowDef = {
  code: 'reconnect',
  name: { zh: '复电', en: 'Reconnection' },
  stages: [
    { code: 'created', name: { zh: '待复电', en: 'To reconnect' }, roles: HANDLERS, permission: 'cutoff.handle' },
    { code: 'executed', name: { zh: '已复电', en: 'Reconnected' }, roles: HANDLERS, permission: 'cutoff.handle' },
  ],
  transitions: [
    { from: 'created', action: 'pass', to: 'executed' },
    { from: 'executed', action: 'pass', to: 'completed' },
    { from: 'created', action: 'cancel', to: 'cancelled', needsReason: true },
  ],
};

const dbState = (s: string): CutoffState => (s === 'completed' ? 'closed' : (s as CutoffState));
const wfState = (s: string) => (s === 'closed' ? 'completed' : s);

function ruleError(rule: string, message: string, extra: Record<string, unknown> = {}): AppError {
  return new AppError('CONFLICT', `${rule}: ${message}`, { rule, ...extra });
}

// ---------------------------------------------------------------------------------------------
// time rules (pure)

/** Asia/Shanghai local day and HH:mm of an instant. */
export function localParts(at: Date): { day: string; hhmm: string } {
  const t = new Date(at.getTime() + 8 * 3_600_000).toISOString();
  return { day: t.slice(0, 10), hhmm: t.slice(11, 16) };
}

/** Refuses a cut-off at a forbidden time (non-working day, outside the window). */
export function checkCutoffTime(at: Date, s: ControlSettings, cal: WorkCalendar, field = 'scheduledAt'): void {
  const { day, hhmm } = localParts(at);
  if (s.noCutoffOnNonWorkingDays && !cal.isWorkingDay(day)) {
    const name = cal.nameOf(day);
    throw ruleError('CUTOFF_TIME_FORBIDDEN', `no cut-off on a non-working day (${day}${name ? ` ${name}` : ''}, Asia/Shanghai)`, { field, day });
  }
  if (hhmm < s.executeFrom || hhmm >= s.executeTo) {
    throw ruleError('CUTOFF_TIME_FORBIDDEN', `cut-off only between ${s.executeFrom} and ${s.executeTo} Asia/Shanghai (got ${hhmm})`, { field, time: hhmm });
  }
}

/** Earliest instant a cut-off may happen after a notice delivered at `deliveredAt` (§5.4). */
export function earliestCutoff(deliveredAt: Date, s: ControlSettings): Date {
  return new Date(deliveredAt.getTime() + s.noticeDays * 86_400_000);
}

// ---------------------------------------------------------------------------------------------
// debt

/** Overdue outstanding (postpaid) in 分: open receivables past their due date. */
export async function overdueFen(q: Q, accountId: number, today: string): Promise<{ fen: number; oldestDue: string | null }> {
  const r = await q.selectFrom('receivables').select([
    sql<string>`coalesce(sum(amount - principal_paid + fee_charged - fee_paid), 0)::text`.as('o'),
    sql<string | null>`min(due_date)::text`.as('d'),
  ]).where('account_id', '=', accountId).where('status', '=', 'open').where('due_date', '<', today).executeTakeFirstOrThrow();
  return { fen: toFen(r.o), oldestDue: r.d };
}

/** Is the reason for a cut-off still there? prepaid: balance ≤ floor; arrears: overdue > 0. */
export async function stillOwes(q: Q, accountId: number, reason: string, today: string): Promise<{ owes: boolean; amount: string }> {
  if (reason === 'prepaid') {
    const s = await loadControlSettings(q);
    const p = await q.selectFrom('prepaid_plans').select(['cutoff_floor', 'status']).where('account_id', '=', accountId).executeTakeFirst();
    const bal = -(await accountBalanceFen(q, accountId));
    const floor = toFen(p?.cutoff_floor ?? s.cutoffFloor);
    return { owes: !!p && p.status === 'active' && bal <= floor, amount: fen2(bal) };
  }
  const o = await overdueFen(q, accountId, today);
  return { owes: o.fen > 0, amount: fen2(o.fen) };
}

// ---------------------------------------------------------------------------------------------
// head-end (remote control)

export const CONTROL_TRIP = 0x1a;
export const CONTROL_ALLOW_CLOSE = 0x1b;

/**
 * The demo head-end for 费控 commands: encodes the 0x1C frame, and — the meter simulator has no
 * control channel — answers with the codec's normal reply (acknowledgment).
 */
export function simulatedHeadEnd(address: string, command: number, until: Date) {
  const untilText = new Date(until.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
  const req = buildControl(address, command, untilText, '02000000', '00000000');
  const reply = buildAck(address, FN.CONTROL);
  const m = decodeMessage(reply);
  const ok = m.control.direction === 'reply' && !m.control.error && m.control.func === FN.CONTROL;
  return {
    protocol: 'DL/T 645-2007', function: '1C', command: command.toString(16).toUpperCase(), commandName: command === CONTROL_TRIP ? '跳闸 trip' : '合闸允许 allow closing',
    address, requestHex: Buffer.from(req).toString('hex').toUpperCase(), replyHex: Buffer.from(reply).toString('hex').toUpperCase(),
    result: ok ? 'ack' : 'error', simulated: true,
  };
}

async function meterAddresses(q: Q, accountId: number): Promise<string[]> {
  const rows = await q.selectFrom('meter_installations as i').innerJoin('meters as m', 'm.id', 'i.meter_id').select(['m.comm_address'])
    .where('i.account_id', '=', accountId).where('i.removed_on', 'is', null).execute();
  return rows.map((r) => r.comm_address);
}

// ---------------------------------------------------------------------------------------------
// orders

interface OrderRow {
  id: number;
  kind: 'cutoff' | 'reconnect';
  account_id: number;
  org_unit_id: number;
  reason: string;
  state: CutoffState;
  scheduled_at: Date | null;
  path: string;
  account_no: string;
}

async function loadOrder(trx: Q, actor: Actor, id: number, lock = false): Promise<OrderRow> {
  let qb = trx.selectFrom('cutoff_orders as c').innerJoin('org_units as o', 'o.id', 'c.org_unit_id').innerJoin('accounts as a', 'a.id', 'c.account_id')
    .select(['c.id', 'c.kind', 'c.account_id', 'c.org_unit_id', 'c.reason', 'c.state', 'c.scheduled_at', 'o.path', 'a.account_no']).where('c.id', '=', id);
  if (lock) qb = qb.modifyEnd(sql`for update of c`);
  const o = await qb.executeTakeFirst();
  if (!o) throw new AppError('NOT_FOUND', `cut-off order ${id} not found`, { field: 'id' });
  if (actor.orgPath && !o.path.startsWith(actor.orgPath)) throw new AppError('OUT_OF_SCOPE', 'order is outside your data scope', { field: 'id' });
  return o as OrderRow;
}

async function noticesOf(q: Q, orderId: number) {
  return q.selectFrom('cutoff_notices').select(['id', 'kind', 'method', 'evidence', 'delivered_at', 'recorded_by', 'recorded_at']).where('order_id', '=', orderId).orderBy('id').execute();
}

async function transition(trx: Trx, actor: Actor, o: OrderRow, action: Action, opts: { reason?: string; note?: string; set?: Record<string, unknown>; guards?: Record<string, Guard>; expect?: CutoffState[] }, now: Date) {
  if (opts.expect && !opts.expect.includes(o.state)) {
    throw new AppError('CONFLICT', `action: order ${o.id} is ${o.state}; this step needs ${opts.expect.join(' or ')}`, { field: 'action', state: o.state });
  }
  const def = o.kind === 'cutoff' ? CUTOFF_WORKFLOW : RECONNECT_WORKFLOW;
  const d = decide(def, { state: wfState(o.state), data: {}, documents: [] }, { action, actor, reason: opts.reason ?? null, guards: opts.guards });
  const to = dbState(d.to);
  const stamp: Record<string, unknown> = { state: to, updated_at: now, ...(opts.set ?? {}) };
  if (to === 'executed') stamp.executed_at = now;
  if (to === 'closed') stamp.closed_at = now;
  if (to === 'cancelled') Object.assign(stamp, { cancelled_at: now, cancel_reason: opts.reason ?? null });
  const upd = await trx.updateTable('cutoff_orders').set(stamp as never).where('id', '=', o.id).where('state', '=', o.state).returning('id').executeTakeFirst();
  if (!upd) throw new AppError('CONFLICT', `order ${o.id} changed meanwhile; reload`, { field: 'id' });
  const note = opts.reason ?? opts.note ?? null;
  await trx.insertInto('cutoff_order_events').values({ order_id: o.id, from_state: o.state, to_state: to, action: action === 'pass' ? `to_${to}` : action, note, actor_id: actor.userId, actor_name: actor.username, at: now }).execute();
  await writeAudit(trx, actor, { action: `cutoff.${action === 'pass' ? to : action}`, entityType: 'cutoff_order', entityId: o.id, orgUnitId: o.org_unit_id, before: { state: o.state }, after: { state: to, kind: o.kind, accountNo: o.account_no, ...(note ? { note } : {}), ...(opts.set ?? {}) } }, now);
  return to;
}

/**
 * Create a cut-off order for an account in arrears (from the arrears list). Refused unless the
 * oldest open receivable is overdue more than minOverdueDays (ARREARS_MIN_OVERDUE).
 */
export async function createCutoffOrder(db: Db, actor: Actor, input: { accountNo: string; note?: string }, now = new Date()) {
  requirePermission(actor, 'cutoff.handle');
  if (!input || typeof input.accountNo !== 'string' || !input.accountNo.trim()) throw new ValidationError('accountNo', 'required');
  return inTx(db, async (trx) => {
    const acc = await scopedAccount(trx, actor, { accountNo: input.accountNo });
    const s = await loadControlSettings(trx);
    const today = shanghaiDate(now);
    const prepaid = await trx.selectFrom('prepaid_plans').select('status').where('account_id', '=', acc.id).where('status', '=', 'active').executeTakeFirst();
    let reason: 'arrears' | 'prepaid' = 'arrears';
    let owed: string;
    if (prepaid) {
      const st = await stillOwes(trx, acc.id, 'prepaid', today);
      if (!st.owes) throw ruleError('DEBT_CLEARED', `prepaid balance ${st.amount} is above the cut-off floor`, { field: 'accountNo' });
      reason = 'prepaid';
      owed = fen2(-toFen(st.amount));
    } else {
      const o = await overdueFen(trx, acc.id, today);
      if (o.fen <= 0 || !o.oldestDue) throw ruleError('ARREARS_MIN_OVERDUE', `account ${acc.accountNo} has no overdue arrears`, { field: 'accountNo' });
      const days = Math.round((Date.parse(today) - Date.parse(o.oldestDue)) / 86_400_000);
      if (days <= s.minOverdueDays) {
        throw ruleError('ARREARS_MIN_OVERDUE', `arrears are overdue ${days} days; a cut-off needs more than ${s.minOverdueDays} (《电力供应与使用条例》第三十九条)`, { field: 'accountNo', days, minOverdueDays: s.minOverdueDays });
      }
      owed = fen2(o.fen);
    }
    const open = await trx.selectFrom('cutoff_orders').select('id').where('account_id', '=', acc.id).where('kind', '=', 'cutoff').where('state', 'in', ['created', 'notice_sent', 'scheduled']).executeTakeFirst();
    if (open) throw new AppError('CONFLICT', `account ${acc.accountNo} already has open cut-off order ${open.id}`, { field: 'accountNo', orderId: open.id });
    const row = await trx.insertInto('cutoff_orders').values({ kind: 'cutoff', account_id: acc.id, org_unit_id: acc.orgUnitId, reason, state: 'created', amount_owed: owed, created_by: actor.userId, created_at: now, updated_at: now })
      .returning('id').executeTakeFirstOrThrow();
    await trx.insertInto('cutoff_order_events').values({ order_id: row.id, from_state: null, to_state: 'created', action: 'create', note: input.note ?? null, actor_id: actor.userId, actor_name: actor.username, at: now }).execute();
    await writeAudit(trx, actor, { action: 'cutoff.create', entityType: 'cutoff_order', entityId: row.id, orgUnitId: acc.orgUnitId, after: { kind: 'cutoff', reason, accountNo: acc.accountNo, amountOwed: owed } }, now);
    return getOrderIn(trx, actor, row.id, now);
  });
}

const METHODS: NoticeMethod[] = ['in_person', 'posted', 'sms', 'app', 'phone', 'registered_mail'];

/**
 * Record a notice with its delivery evidence. kind `notice` (停电通知书) moves a created order
 * to notice_sent; kind `renotice` (停电前再通知) is recorded on a scheduled order.
 */
export async function recordNotice(db: Db, actor: Actor, id: number, input: { kind?: unknown; method?: unknown; evidence?: unknown; deliveredAt?: unknown }, now = new Date()) {
  requirePermission(actor, 'cutoff.handle');
  const kind = input.kind ?? 'notice';
  if (kind !== 'notice' && kind !== 'renotice') throw new ValidationError('kind', 'must be notice or renotice');
  if (!METHODS.includes(input.method as NoticeMethod)) throw new ValidationError('method', `must be one of ${METHODS.join(', ')}`);
  if (typeof input.evidence !== 'string' || !input.evidence.trim()) throw new ValidationError('evidence', 'delivery evidence is required (签收人/照片/回执编号), domain-cn §5.4');
  if (input.evidence.length > 1000) throw new ValidationError('evidence', 'at most 1000 characters');
  const at = input.deliveredAt === undefined ? now : new Date(String(input.deliveredAt));
  if (Number.isNaN(at.getTime())) throw new ValidationError('deliveredAt', 'must be an ISO date-time');
  if (at.getTime() > now.getTime() + 60_000) throw new ValidationError('deliveredAt', 'must not be in the future');
  return inTx(db, async (trx) => {
    const o = await loadOrder(trx, actor, id, true);
    if (o.kind !== 'cutoff') throw new AppError('CONFLICT', 'notices belong to cut-off orders', { field: 'id' });
    if (kind === 'notice' && o.state !== 'created') throw new AppError('CONFLICT', `kind: the notice is recorded while the order is created (it is ${o.state})`, { field: 'kind', state: o.state });
    if (kind === 'renotice' && o.state !== 'scheduled') throw new AppError('CONFLICT', `kind: the re-notice is recorded once the cut-off is scheduled (it is ${o.state})`, { field: 'kind', state: o.state });
    const n = await trx.insertInto('cutoff_notices').values({ order_id: o.id, kind, method: input.method as NoticeMethod, evidence: (input.evidence as string).trim(), delivered_at: at, recorded_by: actor.userId }).returning('id').executeTakeFirstOrThrow();
    if (kind === 'notice') {
      await transition(trx, actor, o, 'pass', { note: `notice #${n.id} ${String(input.method)} delivered ${at.toISOString()}`, guards: { notice: () => null }, expect: ['created'] }, now);
    } else {
      await trx.insertInto('cutoff_order_events').values({ order_id: o.id, from_state: o.state, to_state: o.state, action: 'renotice', note: `re-notice #${n.id} ${String(input.method)} delivered ${at.toISOString()}`, actor_id: actor.userId, actor_name: actor.username, at: now }).execute();
      await writeAudit(trx, actor, { action: 'cutoff.renotice', entityType: 'cutoff_order', entityId: o.id, orgUnitId: o.org_unit_id, after: { noticeId: n.id, method: input.method, deliveredAt: at.toISOString() } }, now);
    }
    return getOrderIn(trx, actor, o.id, now);
  });
}

/** Schedule the cut-off (notice_sent -> scheduled): NOTICE_LEAD_TIME and CUTOFF_TIME_FORBIDDEN. */
export async function scheduleCutoff(db: Db, actor: Actor, id: number, input: { scheduledAt?: unknown }, now = new Date()) {
  requirePermission(actor, 'cutoff.handle');
  const at = new Date(String(input.scheduledAt ?? ''));
  if (input.scheduledAt === undefined || Number.isNaN(at.getTime())) throw new ValidationError('scheduledAt', 'required, an ISO date-time');
  if (at.getTime() < now.getTime()) throw new ValidationError('scheduledAt', 'must not be in the past');
  return inTx(db, async (trx) => {
    const o = await loadOrder(trx, actor, id, true);
    if (o.kind === 'cutoff' && o.state === 'created') throw ruleError('NOTICE_EVIDENCE', 'record the delivered notice (停电通知书) with its evidence first (domain-cn §5.4)', { field: 'scheduledAt', state: o.state });
    const s = await loadControlSettings(trx);
    const cal = await loadCalendar(trx);
    const notices = await noticesOf(trx, o.id);
    const guards: Record<string, Guard> = {
      schedule: () => {
        const n = notices.find((x) => x.kind === 'notice');
        if (!n) throw ruleError('NOTICE_EVIDENCE', 'no notice with delivery evidence is recorded (domain-cn §5.4)', { field: 'scheduledAt' });
        const earliest = earliestCutoff(n.delivered_at, s);
        if (at < earliest) throw ruleError('NOTICE_LEAD_TIME', `the notice was delivered ${n.delivered_at.toISOString()}; a cut-off needs ${s.noticeDays} days' notice (domain-cn §5.4), earliest ${earliest.toISOString()}`, { field: 'scheduledAt', earliest: earliest.toISOString() });
        checkCutoffTime(at, s, cal, 'scheduledAt');
        return null;
      },
    };
    await transition(trx, actor, o, 'pass', { note: `scheduled for ${at.toISOString()}`, set: { scheduled_at: at }, guards, expect: ['notice_sent'] }, now);
    return getOrderIn(trx, actor, o.id, now);
  });
}

/**
 * Execute an order: a cut-off (scheduled -> executed, permission cutoff.execute) re-checks every
 * rule at the moment of execution; a reconnection (created -> executed) has no time rule. The
 * remote command goes to every meter of the account through the head-end.
 */
export async function executeOrder(db: Db, actor: Actor, id: number, now = new Date()) {
  return inTx(db, async (trx) => {
    const o = await loadOrder(trx, actor, id, true);
    const addresses = await meterAddresses(trx, o.account_id);
    const cmd = o.kind === 'cutoff' ? CONTROL_TRIP : CONTROL_ALLOW_CLOSE;
    const guards: Record<string, Guard> = {};
    if (o.kind === 'cutoff') {
      const s = await loadControlSettings(trx);
      const cal = await loadCalendar(trx);
      const notices = await noticesOf(trx, o.id);
      guards.execute = () => null;
      const n = notices.find((x) => x.kind === 'notice');
      // the state check first (the engine refuses other states with a clear message)
      if (o.state === 'scheduled') {
        requirePermission(actor, 'cutoff.execute');
        if (!n) throw ruleError('NOTICE_EVIDENCE', 'no notice with delivery evidence is recorded (domain-cn §5.4)', { field: 'id' });
        const earliest = earliestCutoff(n.delivered_at, s);
        if (now < earliest) throw ruleError('NOTICE_LEAD_TIME', `notice delivered ${n.delivered_at.toISOString()}: not before ${earliest.toISOString()} (${s.noticeDays} days, domain-cn §5.4)`, { field: 'id', earliest: earliest.toISOString() });
        if (o.scheduled_at && now < o.scheduled_at) throw ruleError('NOT_YET_SCHEDULED', `scheduled for ${o.scheduled_at.toISOString()}`, { field: 'id' });
        checkCutoffTime(now, s, cal, 'id');
        const re = notices.filter((x) => x.kind === 'renotice' && x.delivered_at.getTime() <= now.getTime() - s.renoticeMinutes * 60_000);
        if (s.renoticeMinutes > 0 && !re.length) throw ruleError('RENOTICE_REQUIRED', `a re-notice must be delivered at least ${s.renoticeMinutes} minutes before the cut-off (domain-cn §5.4)`, { field: 'id' });
        const st = await stillOwes(trx, o.account_id, o.reason, shanghaiDate(now));
        if (!st.owes) throw ruleError('DEBT_CLEARED', `the debt is cleared (${st.amount}); cancel the order`, { field: 'id' });
      }
    }
    const until = new Date(now.getTime() + 86_400_000);
    const command = { operator: actor.username, at: now.toISOString(), meters: addresses.map((a) => simulatedHeadEnd(a, cmd, until)) };
    if (!addresses.length) (command as Record<string, unknown>).note = 'no installed meter: manual field execution recorded';
    const failed = command.meters.filter((m) => m.result !== 'ack');
    if (failed.length) throw new AppError('CONFLICT', `head-end refused the command for ${failed.map((f) => f.address).join(', ')}`, { field: 'id', rule: 'HEADEND_ERROR' });
    await transition(trx, actor, o, 'pass', { note: `remote ${o.kind === 'cutoff' ? '跳闸' : '合闸允许'} ${addresses.join(', ') || '(manual)'}`, set: { command: JSON.stringify(command) }, guards, expect: [o.kind === 'cutoff' ? 'scheduled' : 'created'] }, now);
    if (o.kind === 'reconnect') {
      const acc = await trx.selectFrom('accounts').select(['phone', 'account_no']).where('id', '=', o.account_id).executeTakeFirstOrThrow();
      await storeReminder(trx, { accountId: o.account_id, orgUnitId: o.org_unit_id, kind: 'reconnected', phone: acc.phone, body: `【复电通知】户号${acc.account_no}已恢复供电。` });
    }
    return getOrderIn(trx, actor, o.id, now);
  });
}

/** Close an executed order. */
export async function closeOrder(db: Db, actor: Actor, id: number, note?: string, now = new Date()) {
  return inTx(db, async (trx) => {
    const o = await loadOrder(trx, actor, id, true);
    await transition(trx, actor, o, 'pass', { note: note ?? 'closed', expect: ['executed'] }, now);
    return getOrderIn(trx, actor, o.id, now);
  });
}

/** Cancel an open order with a reason. */
export async function cancelOrder(db: Db, actor: Actor, id: number, reason: string, now = new Date()) {
  return inTx(db, async (trx) => {
    const o = await loadOrder(trx, actor, id, true);
    await transition(trx, actor, o, 'cancel', { reason }, now);
    return getOrderIn(trx, actor, o.id, now);
  });
}

function slaOf(o: { kind: string; due_by: Date | null; executed_at: Date | null; state: string; created_at: Date; cleared_at: Date | null }, now: Date) {
  if (o.kind !== 'reconnect' || !o.due_by) return null;
  const end = o.executed_at ?? now;
  const remainingMinutes = Math.round((o.due_by.getTime() - end.getTime()) / 60_000);
  const elapsedMinutes = Math.round((end.getTime() - (o.cleared_at ?? o.created_at).getTime()) / 60_000);
  const status = o.executed_at ? (remainingMinutes >= 0 ? 'on_time' : 'late') : o.state === 'cancelled' ? 'none' : remainingMinutes < 0 ? 'overdue' : remainingMinutes < 240 ? 'warning' : 'ok';
  return { dueBy: o.due_by.toISOString(), remainingMinutes, elapsedMinutes, status };
}

async function getOrderIn(q: Q, actor: Actor, id: number, now = new Date()) {
  const o = await q.selectFrom('cutoff_orders as c').innerJoin('accounts as a', 'a.id', 'c.account_id')
    .select(['c.id', 'c.kind', 'c.account_id', 'a.account_no', 'a.name', 'c.org_unit_id', 'c.reason', 'c.state', 'c.amount_owed', 'c.scheduled_at', 'c.executed_at', 'c.closed_at', 'c.cancelled_at', 'c.cancel_reason', 'c.cutoff_order_id', 'c.cleared_at', 'c.due_by', 'c.command', 'c.created_at', 'c.updated_at'])
    .where('c.id', '=', id).executeTakeFirstOrThrow();
  const notices = await noticesOf(q, id);
  const events = await q.selectFrom('cutoff_order_events').select(['id', 'from_state', 'to_state', 'action', 'note', 'actor_name', 'at']).where('order_id', '=', id).orderBy('id').execute();
  const def = o.kind === 'cutoff' ? CUTOFF_WORKFLOW : RECONNECT_WORKFLOW;
  const s = await loadControlSettings(q);
  const notice = notices.find((n) => n.kind === 'notice');
  return {
    id: o.id, kind: o.kind, accountId: o.account_id, accountNo: o.account_no, accountName: o.name, reason: o.reason, state: o.state, amountOwed: o.amount_owed,
    scheduledAt: o.scheduled_at, executedAt: o.executed_at, closedAt: o.closed_at, cancelledAt: o.cancelled_at, cancelReason: o.cancel_reason,
    cutoffOrderId: o.cutoff_order_id, clearedAt: o.cleared_at, command: typeof o.command === 'string' ? JSON.parse(o.command) : o.command, createdAt: o.created_at, updatedAt: o.updated_at,
    earliestCutoff: notice ? earliestCutoff(notice.delivered_at, s).toISOString() : null,
    sla: slaOf(o, now),
    actions: availableActions(def, { state: wfState(o.state), data: {}, documents: [] }, actor),
    notices: notices.map((n) => ({ id: n.id, kind: n.kind, method: n.method, evidence: n.evidence, deliveredAt: n.delivered_at, recordedAt: n.recorded_at })),
    events: events.map((e) => ({ id: e.id, from: e.from_state, to: e.to_state, action: e.action, note: e.note, actor: e.actor_name, at: e.at })),
  };
}

export async function getOrder(db: Db, actor: Actor, id: number, now = new Date()) {
  requireRead(actor);
  await loadOrder(db.kysely, actor, id);
  return getOrderIn(db.kysely, actor, id, now);
}

function requireRead(actor: Actor) {
  if (!can(actor, 'cutoff.handle') && !can(actor, 'cutoff.execute')) requirePermission(actor, 'payment.supervise');
}

/** Orders in scope, newest first, with the reconnection SLA (24 h target). */
export async function listOrders(db: Db, actor: Actor, f: { kind?: string; state?: string; accountNo?: string; page: number; pageSize: number }, now = new Date()) {
  requireRead(actor);
  let qb = db.kysely.selectFrom('cutoff_orders as c').innerJoin('org_units as o', 'o.id', 'c.org_unit_id').innerJoin('accounts as a', 'a.id', 'c.account_id');
  if (actor.orgPath) qb = qb.where('o.path', 'like', `${actor.orgPath}%`);
  if (f.kind) qb = qb.where('c.kind', '=', f.kind as 'cutoff');
  if (f.state === 'open') qb = qb.where('c.state', 'in', ['created', 'notice_sent', 'scheduled']);
  else if (f.state) qb = qb.where('c.state', '=', f.state as CutoffState);
  if (f.accountNo) qb = qb.where('a.account_no', '=', f.accountNo);
  const rows = await qb.select(['c.id', 'c.kind', 'a.account_no', 'a.name', 'c.reason', 'c.state', 'c.amount_owed', 'c.scheduled_at', 'c.executed_at', 'c.due_by', 'c.cleared_at', 'c.created_at', 'c.cutoff_order_id', 'o.name as org_name'])
    .orderBy('c.id', 'desc').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  const total = await qb.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
  return {
    items: rows.map((o) => ({
      id: o.id, kind: o.kind, accountNo: o.account_no, accountName: o.name, orgUnit: o.org_name, reason: o.reason, state: o.state, amountOwed: o.amount_owed,
      scheduledAt: o.scheduled_at, executedAt: o.executed_at, createdAt: o.created_at, cutoffOrderId: o.cutoff_order_id, sla: slaOf(o, now),
    })),
    total: total.n, page: f.page, pageSize: f.pageSize,
  };
}

/** Arrears accounts eligible for a cut-off order (overdue > minOverdueDays, no open order). */
export async function cutoffCandidates(db: Db, actor: Actor, f: { asOf?: string; page: number; pageSize: number }, now = new Date()) {
  requirePermission(actor, 'cutoff.handle');
  const s = await loadControlSettings(db.kysely);
  const day = f.asOf ?? shanghaiDate(now);
  const scope = actor.orgPath ? sql`and o.path like ${actor.orgPath + '%'}` : sql``;
  const rows = await sql<{ account_id: number; account_no: string; name: string; oldest_due: string; days: number; outstanding: string; open_order: number | null }>`
    select r.account_id, a.account_no, a.name, min(r.due_date)::text as oldest_due, (${day}::date - min(r.due_date))::int as days,
           sum(r.amount - r.principal_paid + r.fee_charged - r.fee_paid)::text as outstanding,
           (select max(c.id) from cutoff_orders c where c.account_id = r.account_id and c.kind = 'cutoff' and c.state in ('created','notice_sent','scheduled')) as open_order
      from receivables r join accounts a on a.id = r.account_id join org_units o on o.id = r.org_unit_id
     where r.status = 'open' and r.due_date < ${day}::date ${scope}
     group by r.account_id, a.account_no, a.name
    having (${day}::date - min(r.due_date)) > ${s.minOverdueDays}
     order by days desc, r.account_id limit ${f.pageSize} offset ${(f.page - 1) * f.pageSize}`.execute(db.kysely);
  return {
    asOf: day, minOverdueDays: s.minOverdueDays,
    items: rows.rows.map((r) => ({ accountId: r.account_id, accountNo: r.account_no, accountName: r.name, oldestDueDate: r.oldest_due, daysOverdue: r.days, outstanding: fen2(toFen(r.outstanding)), openOrderId: r.open_order })),
    page: f.page, pageSize: f.pageSize,
  };
}

