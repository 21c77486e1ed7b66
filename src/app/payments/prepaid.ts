/**
 * Prepaid (预付费/费控) accounts: plans, the daily deduction job, low-balance reminders and the
 * cut-off order when the balance falls to the floor. Rules and settings: docs/payments.md
 * ("Prepaid"), domain-cn §5.4 (notice), §1.3 (annual ladder on the cumulative year usage).
 *
 * Balance: the account's ledger (sum of entries; < 0 = credit). The prepaid balance shown to
 * users is the credit, −sum. A top-up is an ordinary payment (counter or channel) that becomes
 * credit; a deduction is one ledger entry (kind `adjustment`, not tied to a receivable, memo
 * `预付费日扣费 <day>`) linked from `prepaid_deductions.ledger_entry_id`.
 *
 * Daily energy of day D (Asia/Shanghai):
 * - frozen: the 00:00 frozen register values (日冻结) of D and D+1 for every meter installed on
 *   the account that day: (v(D+1) − v(D)) × multiplier per register, roll-over at 10^digits,
 *   exact (scaled integers), rounded half-up to 0.01 kWh;
 * - interval: the sum of the 96 fifteen-minute values of D (already × multiplier);
 * - auto: frozen when every meter has both values, else interval when all 96 points are there.
 * A day without complete data is skipped ("NO_DATA") and can be deducted by a later run.
 *
 * Amount: the rating engine (src/domain/rating) rates the day as a one-day period with the
 * account's tariff; an annual ladder gets `ladderPrevCum` = kWh deducted earlier in the same
 * calendar year (the ladder year), so the tier boundary is crossed on the exact day as the
 * billing code does on the cumulative year usage. Monthly lines (basic charge, PF adjustment,
 * fixed monthly charges, minimum top-up) are not part of a daily deduction.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import '../../db/schema-prepaid.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { rateBill, asTariffVersion, type BillLine } from '../../domain/rating/index.js';
import type { TariffVersion } from '../../domain/tariffs/schema.js';
import { addDays, checkDate, fen2, shanghaiDate, toFen } from '../../domain/payments/index.js';
import { inTx, requirePermission, can, type Actor, type Q, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { scopedAccount } from './accounts.js';
import { accountBalanceFen } from './post-payment.js';
import { enqueueMessage } from '../messaging/outbox.js';
import { normalizeMobile } from '../messaging/sender.js';

// ---------------------------------------------------------------------------------------------
// settings

export interface ControlSettings {
  /** reminder when the prepaid balance falls to or below this (元) */
  alertBalance: string;
  /** cut-off order when the prepaid balance falls to or below this (元) */
  cutoffFloor: string;
  /** §5.4: the cut-off notice must be delivered at least this many days before the cut-off */
  noticeDays: number;
  /** §5.4: re-notice at least this many minutes before the cut-off */
  renoticeMinutes: number;
  /** 《电力供应与使用条例》39: arrears overdue more than this many days */
  minOverdueDays: number;
  /** execution window (Asia/Shanghai, HH:mm, half-open) */
  executeFrom: string;
  executeTo: string;
  /** no cut-off on weekends and State Council holidays (调休 working weekends count as working) */
  noCutoffOnNonWorkingDays: boolean;
  /** §5.4 / 十项承诺: reconnection within this many hours after the debt is cleared */
  reconnectTargetHours: number;
}

export const SETTINGS_KEY = 'payments.prepaid_cutoff';
export const DEFAULT_SETTINGS: ControlSettings = {
  alertBalance: '20.00', cutoffFloor: '0.00', noticeDays: 7, renoticeMinutes: 30, minOverdueDays: 30,
  executeFrom: '08:00', executeTo: '18:00', noCutoffOnNonWorkingDays: true, reconnectTargetHours: 24,
};

const MONEY_RE = /^-?\d{1,8}(\.\d{1,2})?$/;
const HHMM_RE = /^([01]\d|2[0-3]):[0-5]\d$/;

/** A money setting: at most 2 decimals, |x| < 100,000,000. */
export function checkMoney(v: unknown, field: string): string {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !MONEY_RE.test(s.trim())) throw new ValidationError(field, 'must be an amount in 元 with at most 2 decimals, e.g. "20.00"');
  return fen2(toFen(s.trim()));
}

export function checkInt(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ValidationError(field, `must be an integer ${min}..${max}`);
  return v;
}

/** Validate a (partial) settings object; returns the merged settings. */
export function validateSettings(base: ControlSettings, patch: Record<string, unknown>): ControlSettings {
  const out = { ...base };
  const known = Object.keys(DEFAULT_SETTINGS);
  for (const k of Object.keys(patch)) if (!known.includes(k)) throw new ValidationError(k, 'unknown setting');
  if (patch.alertBalance !== undefined) out.alertBalance = checkMoney(patch.alertBalance, 'alertBalance');
  if (patch.cutoffFloor !== undefined) out.cutoffFloor = checkMoney(patch.cutoffFloor, 'cutoffFloor');
  if (patch.noticeDays !== undefined) out.noticeDays = checkInt(patch.noticeDays, 'noticeDays', 1, 60);
  if (patch.renoticeMinutes !== undefined) out.renoticeMinutes = checkInt(patch.renoticeMinutes, 'renoticeMinutes', 0, 1440);
  if (patch.minOverdueDays !== undefined) out.minOverdueDays = checkInt(patch.minOverdueDays, 'minOverdueDays', 0, 365);
  if (patch.reconnectTargetHours !== undefined) out.reconnectTargetHours = checkInt(patch.reconnectTargetHours, 'reconnectTargetHours', 1, 168);
  for (const k of ['executeFrom', 'executeTo'] as const) {
    if (patch[k] !== undefined) {
      if (typeof patch[k] !== 'string' || !HHMM_RE.test(patch[k] as string)) throw new ValidationError(k, 'must be HH:mm');
      out[k] = patch[k] as string;
    }
  }
  if (patch.noCutoffOnNonWorkingDays !== undefined) {
    if (typeof patch.noCutoffOnNonWorkingDays !== 'boolean') throw new ValidationError('noCutoffOnNonWorkingDays', 'must be true or false');
    out.noCutoffOnNonWorkingDays = patch.noCutoffOnNonWorkingDays;
  }
  if (out.executeFrom >= out.executeTo) throw new ValidationError('executeTo', 'must be after executeFrom');
  if (toFen(out.cutoffFloor) > toFen(out.alertBalance)) throw new ValidationError('cutoffFloor', 'must not be above alertBalance');
  return out;
}

export async function loadControlSettings(q: Q): Promise<ControlSettings> {
  const r = await q.selectFrom('settings').select('value').where('key', '=', SETTINGS_KEY).executeTakeFirst();
  const v = (typeof r?.value === 'string' ? JSON.parse(r.value) : r?.value) as Record<string, unknown> | undefined;
  return { ...DEFAULT_SETTINGS, ...(v ?? {}) } as ControlSettings;
}

export async function getControlSettings(db: Db, actor: Actor) {
  if (!can(actor, 'cutoff.handle') && !can(actor, 'prepaid.manage')) requirePermission(actor, 'payment.supervise');
  return loadControlSettings(db.kysely);
}

/** Change settings (payment.supervise); audited. */
export async function updateControlSettings(db: Db, actor: Actor, patch: Record<string, unknown>) {
  requirePermission(actor, 'payment.supervise');
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new ValidationError('(body)', 'expected an object of settings');
  return inTx(db, async (trx) => {
    const before = await loadControlSettings(trx);
    const after = validateSettings(before, patch);
    await trx.insertInto('settings').values({ key: SETTINGS_KEY, value: JSON.stringify(after) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(after), updated_at: sql<Date>`now()` as never })).execute();
    await writeAudit(trx, actor, { action: 'prepaid.settings', entityType: 'setting', entityId: SETTINGS_KEY, before, after });
    return after;
  });
}

// ---------------------------------------------------------------------------------------------
// plans

export interface PlanInput {
  accountNo: string;
  startDay?: string;
  alertBalance?: unknown;
  cutoffFloor?: unknown;
  energySource?: 'auto' | 'frozen' | 'interval';
}

/** Enrol an account (payment mode 预付费 in the archive) in daily deduction, or change its plan. */
export async function upsertPlan(db: Db, actor: Actor, input: PlanInput, now = new Date()) {
  requirePermission(actor, 'prepaid.manage');
  const startDay = input.startDay === undefined ? shanghaiDate(now) : checkDate(input.startDay, 'startDay');
  const alert = input.alertBalance === undefined || input.alertBalance === null || input.alertBalance === '' ? null : checkMoney(input.alertBalance, 'alertBalance');
  const floor = input.cutoffFloor === undefined || input.cutoffFloor === null || input.cutoffFloor === '' ? null : checkMoney(input.cutoffFloor, 'cutoffFloor');
  if (alert !== null && floor !== null && toFen(floor) > toFen(alert)) throw new ValidationError('cutoffFloor', 'must not be above alertBalance');
  const source = input.energySource ?? 'auto';
  if (!['auto', 'frozen', 'interval'].includes(source)) throw new ValidationError('energySource', 'must be auto, frozen or interval');
  return inTx(db, async (trx) => {
    const acc = await scopedAccount(trx, actor, { accountNo: input.accountNo });
    if (acc.paymentMode !== 'prepaid') {
      throw new AppError('CONFLICT', `accountNo: account ${acc.accountNo} has payment mode ${acc.paymentMode}; set it to prepaid (预付费) in the archive first`, { field: 'accountNo', reason: 'NOT_PREPAID' });
    }
    if (acc.status === 'closed') throw new AppError('CONFLICT', `accountNo: account ${acc.accountNo} is closed`, { field: 'accountNo' });
    const before = await trx.selectFrom('prepaid_plans').selectAll().where('account_id', '=', acc.id).executeTakeFirst();
    const values = { org_unit_id: acc.orgUnitId, status: 'active' as const, start_day: startDay, alert_balance: alert, cutoff_floor: floor, energy_source: source, updated_at: now };
    await trx.insertInto('prepaid_plans').values({ account_id: acc.id, created_by: actor.userId, ...values })
      .onConflict((oc) => oc.column('account_id').doUpdateSet(values)).execute();
    await writeAudit(trx, actor, {
      action: before ? 'prepaid.plan.update' : 'prepaid.plan.create', entityType: 'account', entityId: acc.id, orgUnitId: acc.orgUnitId,
      before: before ? { startDay: before.start_day, alertBalance: before.alert_balance, cutoffFloor: before.cutoff_floor, energySource: before.energy_source, status: before.status } : null,
      after: { accountNo: acc.accountNo, startDay, alertBalance: alert, cutoffFloor: floor, energySource: source, status: 'active' },
    }, now);
    return getPlanIn(trx, acc.id);
  });
}

/** End a plan (e.g. back to postpaid); deductions stop. */
export async function endPlan(db: Db, actor: Actor, accountNo: string, reason: string) {
  requirePermission(actor, 'prepaid.manage');
  if (!reason || !reason.trim()) throw new ValidationError('reason', 'required');
  return inTx(db, async (trx) => {
    const acc = await scopedAccount(trx, actor, { accountNo });
    const p = await trx.updateTable('prepaid_plans').set({ status: 'ended', updated_at: new Date() }).where('account_id', '=', acc.id).where('status', '=', 'active').returning('account_id').executeTakeFirst();
    if (!p) throw new AppError('NOT_FOUND', `account ${accountNo} has no active prepaid plan`, { field: 'accountNo' });
    await writeAudit(trx, actor, { action: 'prepaid.plan.end', entityType: 'account', entityId: acc.id, orgUnitId: acc.orgUnitId, before: { status: 'active' }, after: { status: 'ended', reason } });
    return getPlanIn(trx, acc.id);
  });
}

async function getPlanIn(q: Q, accountId: number) {
  const s = await loadControlSettings(q);
  const p = await q.selectFrom('prepaid_plans as p').innerJoin('accounts as a', 'a.id', 'p.account_id')
    .select(['p.account_id', 'a.account_no', 'a.name', 'p.status', 'p.start_day', 'p.alert_balance', 'p.cutoff_floor', 'p.energy_source', 'p.alert_state', 'p.last_deducted_day'])
    .where('p.account_id', '=', accountId).executeTakeFirstOrThrow();
  const bal = await accountBalanceFen(q, accountId);
  return {
    accountId: p.account_id, accountNo: p.account_no, accountName: p.name, status: p.status, startDay: p.start_day,
    alertBalance: p.alert_balance ?? s.alertBalance, cutoffFloor: p.cutoff_floor ?? s.cutoffFloor, alertBalanceIsDefault: p.alert_balance === null, cutoffFloorIsDefault: p.cutoff_floor === null,
    energySource: p.energy_source, alertState: p.alert_state, lastDeductedDay: p.last_deducted_day,
    // prepaid balance = credit on the ledger (negative ledger balance)
    balance: fen2(-bal),
  };
}

/** One prepaid account: plan, balance, recent deductions, reminders, cut-off orders. */
export async function getPrepaidAccount(db: Db, actor: Actor, accountNo: string) {
  if (!can(actor, 'prepaid.manage')) requirePermission(actor, 'payment.collect');
  const k = db.kysely;
  const acc = await scopedAccount(k, actor, { accountNo });
  const has = await k.selectFrom('prepaid_plans').select('account_id').where('account_id', '=', acc.id).executeTakeFirst();
  if (!has) throw new AppError('NOT_FOUND', `account ${accountNo} has no prepaid plan`, { field: 'accountNo', paymentMode: acc.paymentMode });
  const plan = await getPlanIn(k, acc.id);
  const deductions = await k.selectFrom('prepaid_deductions').select(['id', 'day', 'source', 'kwh', 'tou', 'ladder_prev_cum', 'tariff_code', 'amount', 'lines', 'balance_after', 'created_at'])
    .where('account_id', '=', acc.id).orderBy('day', 'desc').limit(62).execute();
  const reminders = await k.selectFrom('payment_reminders').select(['id', 'kind', 'channel', 'body', 'balance', 'status', 'created_at']).where('account_id', '=', acc.id).orderBy('id', 'desc').limit(20).execute();
  const orders = await k.selectFrom('cutoff_orders').select(['id', 'kind', 'reason', 'state', 'created_at', 'due_by', 'executed_at']).where('account_id', '=', acc.id).orderBy('id', 'desc').limit(20).execute();
  return {
    ...plan,
    deductions: deductions.map((d) => ({ id: d.id, day: d.day, source: d.source, kwh: d.kwh, tou: d.tou, ladderPrevCum: d.ladder_prev_cum, tariffCode: d.tariff_code, amount: d.amount, lines: d.lines, balanceAfter: d.balance_after, createdAt: d.created_at })),
    reminders: reminders.map((r) => ({ id: r.id, kind: r.kind, channel: r.channel, body: r.body, balance: r.balance, status: r.status, createdAt: r.created_at })),
    orders: orders.map((o) => ({ id: o.id, kind: o.kind, reason: o.reason, state: o.state, createdAt: o.created_at, dueBy: o.due_by, executedAt: o.executed_at })),
  };
}

/** Prepaid accounts in scope with balance and state; `low` = at or below their alert balance. */
export async function listPrepaid(db: Db, actor: Actor, f: { status?: string; low?: boolean; page: number; pageSize: number }) {
  if (!can(actor, 'prepaid.manage')) requirePermission(actor, 'payment.collect');
  const s = await loadControlSettings(db.kysely);
  const scope = actor.orgPath ? sql`and o.path like ${actor.orgPath + '%'}` : sql``;
  const status = f.status ? sql`and p.status = ${f.status}` : sql``;
  const base = sql`
    select p.account_id, a.account_no, a.name, p.status, p.start_day, p.alert_state, p.last_deducted_day,
           coalesce(p.alert_balance, ${s.alertBalance}::numeric) as alert_balance, coalesce(p.cutoff_floor, ${s.cutoffFloor}::numeric) as cutoff_floor,
           -coalesce((select sum(e.amount) from ledger_entries e where e.account_id = p.account_id), 0) as balance
      from prepaid_plans p join accounts a on a.id = p.account_id join org_units o on o.id = p.org_unit_id
     where true ${scope} ${status}`;
  const low = f.low ? sql`where x.balance <= x.alert_balance` : sql``;
  const rows = await sql<{ account_id: number; account_no: string; name: string; status: string; start_day: string; alert_state: string; last_deducted_day: string | null; alert_balance: string; cutoff_floor: string; balance: string }>`
    select x.* from (${base}) x ${low} order by x.balance, x.account_id limit ${f.pageSize} offset ${(f.page - 1) * f.pageSize}`.execute(db.kysely);
  const total = await sql<{ n: number }>`select count(*)::int as n from (${base}) x ${low}`.execute(db.kysely);
  return {
    items: rows.rows.map((r) => ({
      accountId: r.account_id, accountNo: r.account_no, accountName: r.name, status: r.status, startDay: r.start_day, alertState: r.alert_state, lastDeductedDay: r.last_deducted_day,
      alertBalance: fen2(toFen(r.alert_balance)), cutoffFloor: fen2(toFen(r.cutoff_floor)), balance: fen2(toFen(r.balance)),
    })),
    total: total.rows[0].n, page: f.page, pageSize: f.pageSize, settings: s,
  };
}

// ---------------------------------------------------------------------------------------------
// daily energy

const TOU_REGS = ['SHARP', 'PEAK', 'FLAT', 'VALLEY', 'DEEP'] as const;
const SCALE4 = 10_000n;

/** Decimal string -> integer at scale 4 (BigInt); at most 4 decimals are used (more: refused). */
function s4(v: unknown, field: string): bigint {
  const s = String(v).trim();
  const m = /^(-?)(\d+)(?:\.(\d{1,4}))?$/.exec(s);
  if (!m) throw new ValidationError(field, `not a decimal with ≤ 4 places: "${s}"`);
  const x = BigInt(m[2]) * SCALE4 + BigInt((m[3] ?? '').padEnd(4, '0'));
  return m[1] === '-' ? -x : x;
}

/** scale-8 BigInt -> kWh string with 2 decimals, half-up (values are ≥ 0). */
function round8to2(x: bigint): string {
  const q = (x + 500_000n) / 1_000_000n;
  const str = q.toString().padStart(3, '0');
  return `${str.slice(0, -2)}.${str.slice(-2)}`;
}

/**
 * Energy of one meter over a day from two frozen register values:
 * (v1 − v0) × multiplier, with roll-over at 10^digits when v1 < v0 (domain-cn §5.3).
 * Example: dayEnergy('999950.00', '50.00', '1', 6) === '100.00'.
 */
export function dayEnergy(v0: string, v1: string, multiplier: string, digits: number): string {
  let d = s4(v1, 'register') - s4(v0, 'register');
  if (d < 0n) d += 10n ** BigInt(digits) * SCALE4;
  return round8to2(d * s4(multiplier, 'multiplier'));
}

export interface DayEnergy {
  source: 'frozen' | 'interval';
  kwh: string;
  tou?: Partial<Record<(typeof TOU_REGS)[number], string>>;
  /** reactive energy kvarh (REACTIVE register), for tariffs that need it (monthly PF line) */
  reactive?: string;
  interval?: { start: string; intervalMinutes: number; values: string[] };
}

function addKwh(a: string, b: string): string {
  return fen2(toFen(a) + toFen(b));
}

/** The energy of day D for an account, or null when the data is incomplete. */
export async function readDayEnergy(q: Q, accountId: number, day: string, source: 'auto' | 'frozen' | 'interval'): Promise<DayEnergy | null> {
  const next = addDays(day, 1);
  if (source !== 'interval') {
    const meters = await q.selectFrom('meter_installations as i').innerJoin('meters as m', 'm.id', 'i.meter_id')
      .select(['m.id', 'm.multiplier', 'm.digits'])
      .where('i.account_id', '=', accountId).where('i.installed_on', '<=', day)
      .where((eb) => eb.or([eb('i.removed_on', 'is', null), eb('i.removed_on', '>', next)])).execute();
    if (meters.length) {
      const fz = await q.selectFrom('daily_frozen_readings').select(['meter_id', 'day', 'registers'])
        .where('account_id', '=', accountId).where('day', 'in', [day, next]).where('meter_id', 'in', meters.map((m) => m.id)).execute();
      const regsOf = (mid: number, d: string) => {
        const r = fz.find((x) => x.meter_id === mid && x.day === d)?.registers;
        return (typeof r === 'string' ? JSON.parse(r) : r) as Record<string, string> | undefined;
      };
      let ok = true;
      let kwh = '0.00';
      const tou: Record<string, string> = {};
      let touOk = true;
      let reactive = '0.00';
      for (const m of meters) {
        const r0 = regsOf(m.id, day);
        const r1 = regsOf(m.id, next);
        if (!r0?.TOTAL || !r1?.TOTAL) {
          ok = false;
          break;
        }
        kwh = addKwh(kwh, dayEnergy(r0.TOTAL, r1.TOTAL, m.multiplier, m.digits));
        const regs = TOU_REGS.filter((p) => r0[p] !== undefined && r1[p] !== undefined);
        if (!regs.length) touOk = false;
        for (const p of regs) tou[p] = addKwh(tou[p] ?? '0.00', dayEnergy(r0[p], r1[p], m.multiplier, m.digits));
        if (r0.REACTIVE !== undefined && r1.REACTIVE !== undefined) reactive = addKwh(reactive, dayEnergy(r0.REACTIVE, r1.REACTIVE, m.multiplier, m.digits));
      }
      if (ok) return { source: 'frozen', kwh, reactive, ...(touOk && Object.keys(tou).length ? { tou } : {}) };
    }
    if (source === 'frozen') return null;
  }
  // interval readings: [D 00:00, D+1 00:00) Asia/Shanghai
  const from = new Date(`${day}T00:00:00+08:00`);
  const to = new Date(`${next}T00:00:00+08:00`);
  const rows = await q.selectFrom('interval_readings').select(['ts', sql<string>`sum(energy_kwh)::text`.as('e')])
    .where('account_id', '=', accountId).where('ts', '>=', from).where('ts', '<', to).groupBy('ts').orderBy('ts').execute();
  if (rows.length < 96) return null;
  // each interval rounded to 0.01 kWh (the engine's quantity scale); kWh = their sum
  const values = rows.map((r) => round8to2(s4(r.e, 'energy_kwh') * SCALE4));
  const kwh = values.reduce((a, v) => addKwh(a, v), '0.00');
  return { source: 'interval', kwh, interval: { start: `${day}T00:00`, intervalMinutes: 15, values } };
}

// ---------------------------------------------------------------------------------------------
// reminders

export type ReminderKind = 'low_balance' | 'cutoff_pending' | 'cutoff_notice' | 'reconnected' | 'arrears';

/**
 * Store a reminder (payment_reminders) and enqueue the SMS in the shared outbox
 * (src/app/messaging, source payment_reminder <id>) when the account phone is a mobile number;
 * both in the caller's transaction.
 */
export async function storeReminder(trx: Trx, r: { accountId: number; orgUnitId: number; kind: ReminderKind; phone: string | null; body: string; balance?: string | null }) {
  const row = await trx.insertInto('payment_reminders').values({ account_id: r.accountId, org_unit_id: r.orgUnitId, kind: r.kind, channel: 'sms', recipient: r.phone, body: r.body, balance: r.balance ?? null })
    .returning('id').executeTakeFirstOrThrow();
  const to = normalizeMobile(r.phone);
  let outboxId: number | null = null;
  if (to) outboxId = (await enqueueMessage(trx, { recipientPhone: to, templateCode: `payments.${r.kind}`, params: { balance: r.balance ?? null }, textZh: r.body, sourceType: 'payment_reminder', sourceId: row.id })).id;
  return { id: row.id, outboxId };
}

// ---------------------------------------------------------------------------------------------
// daily deduction

/** Lines of a monthly nature that a daily deduction leaves to the monthly settlement. */
export function isDailyLine(code: string): boolean {
  return !(code.startsWith('BASIC_') || code === 'PF_ADJUSTMENT' || code.startsWith('FIXED_') || code === 'MINIMUM_TOPUP');
}

/**
 * Rate one day. Pure. `prevCumKwh` = kWh of the same ladder year before this day.
 * Example (ZJ annual ladder 2760/4800 kWh, 0.538 + 0.05 / + 0.30; no TOU registers):
 *   prevCum 2755.00, 10.00 kWh -> 5.00 × 0.538 + 5.00 × 0.588 = 2.69 + 2.94 = 5.63
 */
export function rateDay(versions: TariffVersion[], day: string, e: DayEnergy, prevCumKwh: string, extra: { householdSize?: number } = {}) {
  // monthly parts of the tariff (basic charge, PF adjustment, fixed and minimum charges) belong
  // to the monthly settlement, not to a daily deduction
  const daily = versions.map((v) => ({ ...v, basicCharge: undefined, powerFactor: undefined, fixedCharges: [], minimumCharge: undefined }));
  const hasTou = daily.some((v) => !!v.tou);
  const usage: Record<string, unknown> = { periodStart: day, periodEnd: day, ladderPrevCum: prevCumKwh };
  const warnings: string[] = [];
  if (extra.householdSize !== undefined) usage.householdSize = extra.householdSize;
  if (hasTou && e.interval) usage.interval = e.interval;
  else {
    usage.kwh = e.kwh;
    if (hasTou && e.tou) {
      const scaled = scaleTou(e.tou, e.kwh);
      if (scaled.moved > 0) warnings.push(`TOU registers (${scaled.sum} kWh) scaled to the total ${e.kwh} kWh as billing does`);
      usage.tou = scaled.tou;
    }
  }
  const r = rateBill({ tariff: daily, usage: usage as never });
  const lines: BillLine[] = r.lines.filter((l) => isDailyLine(l.code));
  const amountFen = lines.reduce((s, l) => s + toFen(l.amount), 0);
  return { lines, amount: fen2(amountFen), warnings: [...warnings, ...r.warnings] };
}

/**
 * TOU register energies scaled to the total (largest remainder, 0.01 kWh), as the billing
 * determinants do: per-register rounding × multiplier can differ from the total.
 * Example: scaleTou({PEAK: '10.00', VALLEY: '10.00'}, '19.99') -> PEAK 10.00, VALLEY 9.99.
 */
export function scaleTou(tou: Record<string, string>, total: string): { tou: Record<string, string>; sum: string; moved: number } {
  const keys = Object.keys(tou);
  const parts = keys.map((k) => BigInt(toFen(tou[k])));
  const sum = parts.reduce((a, b) => a + b, 0n);
  const T = BigInt(toFen(total));
  if (sum === T || sum === 0n) return { tou, sum: fen2(sum), moved: 0 };
  const base = parts.map((p) => (p * T) / sum);
  const rem = parts.map((p, i) => ({ i, r: (p * T) % sum }));
  let left = T - base.reduce((a, b) => a + b, 0n);
  rem.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const x of rem) {
    if (left <= 0n) break;
    base[x.i] += 1n;
    left -= 1n;
  }
  return { tou: Object.fromEntries(keys.map((k, i) => [k, fen2(base[i])])), sum: fen2(sum), moved: Number(T > sum ? T - sum : sum - T) };
}

export interface DeductOutcome {
  accountNo: string;
  status: 'deducted' | 'exists' | 'no_data' | 'not_started' | 'error';
  amount?: string;
  kwh?: string;
  balance?: string;
  reminder?: boolean;
  cutoffOrderId?: number | null;
  message?: string;
}

async function tariffVersionsOf(q: Q, code: string): Promise<TariffVersion[]> {
  const rows = await q.selectFrom('tariff_versions').select(['document']).where('code', '=', code).where('status', '=', 'active').execute();
  return rows.map((r) => asTariffVersion(r.document));
}

/**
 * Deduct day D for one account in the caller's transaction. Exactly once per account-day: the
 * deduction row is inserted first (unique (account_id, day)); a conflict writes nothing.
 */
export async function deductAccountDay(trx: Trx, actor: Actor, accountId: number, day: string, now = new Date()): Promise<DeductOutcome> {
  const plan = await trx.selectFrom('prepaid_plans as p').innerJoin('accounts as a', 'a.id', 'p.account_id')
    .select(['p.account_id', 'p.org_unit_id', 'p.start_day', 'p.energy_source', 'a.account_no', 'a.tariff_code', 'a.household_size'])
    .where('p.account_id', '=', accountId).where('p.status', '=', 'active').executeTakeFirst();
  if (!plan) throw new AppError('NOT_FOUND', `account ${accountId} has no active prepaid plan`, { field: 'accountId' });
  if (day < plan.start_day) return { accountNo: plan.account_no, status: 'not_started' };
  const done = await trx.selectFrom('prepaid_deductions').select('id').where('account_id', '=', accountId).where('day', '=', day).executeTakeFirst();
  if (done) return { accountNo: plan.account_no, status: 'exists' };
  if (!plan.tariff_code) throw new AppError('CONFLICT', `account ${plan.account_no} has no tariff`, { field: 'tariffCode' });
  const energy = await readDayEnergy(trx, accountId, day, plan.energy_source);
  if (!energy) return { accountNo: plan.account_no, status: 'no_data' };
  const versions = await tariffVersionsOf(trx, plan.tariff_code);
  if (!versions.length) throw new AppError('CONFLICT', `tariff ${plan.tariff_code} has no active version`, { field: 'tariffCode' });
  const year = day.slice(0, 4);
  const cum = await trx.selectFrom('prepaid_deductions').select(sql<string>`coalesce(sum(kwh), 0)::text`.as('k'))
    .where('account_id', '=', accountId).where('day', '>=', `${year}-01-01`).where('day', '<', day).executeTakeFirstOrThrow();
  const prevCum = fen2(toFen(cum.k));
  const rated = rateDay(versions, day, energy, prevCum, { householdSize: plan.household_size });
  const ins = await trx.insertInto('prepaid_deductions').values({
    account_id: accountId, org_unit_id: plan.org_unit_id, day, source: energy.source, kwh: energy.kwh, tou: energy.tou ? JSON.stringify(energy.tou) : null,
    ladder_prev_cum: prevCum, tariff_code: plan.tariff_code, amount: rated.amount, lines: JSON.stringify({ lines: rated.lines, warnings: rated.warnings }), balance_after: '0',
  }).onConflict((oc) => oc.columns(['account_id', 'day']).doNothing()).returning('id').executeTakeFirst();
  if (!ins) return { accountNo: plan.account_no, status: 'exists' };
  let entryId: number | null = null;
  if (toFen(rated.amount) > 0) {
    const e = await trx.insertInto('ledger_entries').values({
      account_id: accountId, kind: 'adjustment', component: null, amount: rated.amount, receivable_id: null, payment_id: null, entry_date: day,
      memo: `预付费日扣费 ${day} ${energy.kwh} kWh (prepaid deduction #${ins.id})`,
    } as never).returning('id').executeTakeFirstOrThrow();
    entryId = (e as { id: number }).id;
  }
  const balFen = -(await accountBalanceFen(trx, accountId));
  await trx.updateTable('prepaid_deductions').set({ ledger_entry_id: entryId, balance_after: fen2(balFen) }).where('id', '=', ins.id).execute();
  await trx.updateTable('prepaid_plans').set({ last_deducted_day: sql<string>`greatest(last_deducted_day, ${day}::date)` as never, updated_at: now }).where('account_id', '=', accountId).execute();
  const t = await applyThresholds(trx, actor, accountId, now);
  return { accountNo: plan.account_no, status: 'deducted', amount: rated.amount, kwh: energy.kwh, balance: fen2(balFen), reminder: t.reminder, cutoffOrderId: t.cutoffOrderId };
}

/**
 * Threshold rules after a balance change (deduction or top-up):
 * - balance ≤ floor: a cut-off order (reason prepaid) unless one is open; a reminder that the
 *   supply will be cut after notice (§5.4);
 * - floor < balance ≤ alert: one low-balance reminder per crossing;
 * - balance > alert: state back to normal (the next crossing reminds again).
 */
export async function applyThresholds(trx: Trx, actor: Actor, accountId: number, now = new Date()): Promise<{ reminder: boolean; cutoffOrderId: number | null; state: string }> {
  const p = await trx.selectFrom('prepaid_plans as p').innerJoin('accounts as a', 'a.id', 'p.account_id')
    .select(['p.account_id', 'p.org_unit_id', 'p.alert_state', 'p.alert_balance', 'p.cutoff_floor', 'p.status', 'a.account_no', 'a.phone'])
    .where('p.account_id', '=', accountId).executeTakeFirst();
  if (!p || p.status !== 'active') return { reminder: false, cutoffOrderId: null, state: 'none' };
  const s = await loadControlSettings(trx);
  const bal = -(await accountBalanceFen(trx, accountId));
  const alert = toFen(p.alert_balance ?? s.alertBalance);
  const floor = toFen(p.cutoff_floor ?? s.cutoffFloor);
  const remind = async (kind: 'low_balance' | 'cutoff_pending', body: string) => {
    await storeReminder(trx, { accountId, orgUnitId: p.org_unit_id, kind, phone: p.phone, body, balance: fen2(bal) });
  };
  if (bal <= floor) {
    let orderId: number | null = null;
    let reminder = false;
    // an open order, or an executed cut-off not yet reconnected: nothing new
    const open = await trx.selectFrom('cutoff_orders as c').select('c.id').where('c.account_id', '=', accountId).where('c.kind', '=', 'cutoff')
      .where((eb) => eb.or([
        eb('c.state', 'in', ['created', 'notice_sent', 'scheduled']),
        eb.and([eb('c.state', '=', 'executed'), eb.not(eb.exists(eb.selectFrom('cutoff_orders as r').select('r.id').whereRef('r.cutoff_order_id', '=', 'c.id').where('r.kind', '=', 'reconnect').where('r.state', '<>', 'cancelled')))]),
      ])).executeTakeFirst();
    if (!open) {
      const o = await trx.insertInto('cutoff_orders').values({ kind: 'cutoff', account_id: accountId, org_unit_id: p.org_unit_id, reason: 'prepaid', state: 'created', amount_owed: fen2(-bal), created_by: actor.userId, created_at: now, updated_at: now })
        .onConflict((oc) => oc.doNothing()).returning('id').executeTakeFirst();
      if (o) {
        orderId = o.id;
        await trx.insertInto('cutoff_order_events').values({ order_id: o.id, from_state: null, to_state: 'created', action: 'create', note: `prepaid balance ${fen2(bal)} ≤ floor ${fen2(floor)}`, actor_id: actor.userId, actor_name: actor.username, at: now }).execute();
        await writeAudit(trx, actor, { action: 'cutoff.create', entityType: 'cutoff_order', entityId: o.id, orgUnitId: p.org_unit_id, after: { kind: 'cutoff', reason: 'prepaid', accountNo: p.account_no, balance: fen2(bal), floor: fen2(floor) } }, now);
      }
    } else orderId = open.id;
    if (p.alert_state !== 'cutoff') {
      await remind('cutoff_pending', `【电费提醒】户号${p.account_no}预付电费余额${fen2(bal)}元，已低于停电阈值${fen2(floor)}元，请及时充值，否则将依规定提前通知后停电。`);
      reminder = true;
      await trx.updateTable('prepaid_plans').set({ alert_state: 'cutoff', updated_at: now }).where('account_id', '=', accountId).execute();
    }
    return { reminder, cutoffOrderId: orderId, state: 'cutoff' };
  }
  if (bal <= alert) {
    if (p.alert_state === 'normal') {
      await remind('low_balance', `【电费提醒】户号${p.account_no}预付电费余额${fen2(bal)}元，已低于提醒金额${fen2(alert)}元，请及时充值。`);
      await trx.updateTable('prepaid_plans').set({ alert_state: 'reminded', updated_at: now }).where('account_id', '=', accountId).execute();
      return { reminder: true, cutoffOrderId: null, state: 'reminded' };
    }
    if (p.alert_state === 'cutoff') await trx.updateTable('prepaid_plans').set({ alert_state: 'reminded', updated_at: now }).where('account_id', '=', accountId).execute();
    return { reminder: false, cutoffOrderId: null, state: 'reminded' };
  }
  if (p.alert_state !== 'normal') await trx.updateTable('prepaid_plans').set({ alert_state: 'normal', updated_at: now }).where('account_id', '=', accountId).execute();
  return { reminder: false, cutoffOrderId: null, state: 'normal' };
}

/**
 * The deduction job for one day: every active plan (in the actor's scope), one transaction per
 * account (one bad account does not stop the others), one summary audit event. Re-running the
 * same day deducts nothing twice ("exists").
 */
export async function runPrepaidDeduction(db: Db, actor: Actor, dayInput: string, opts: { accountNos?: string[]; now?: Date } = {}) {
  requirePermission(actor, 'prepaid.manage');
  const day = checkDate(dayInput, 'day');
  const now = opts.now ?? new Date();
  if (day >= shanghaiDate(now)) throw new ValidationError('day', `must be a finished day (before ${shanghaiDate(now)}): the frozen value of the next day closes it`);
  let qb = db.kysely.selectFrom('prepaid_plans as p').innerJoin('org_units as o', 'o.id', 'p.org_unit_id').innerJoin('accounts as a', 'a.id', 'p.account_id')
    .select(['p.account_id', 'a.account_no']).where('p.status', '=', 'active').where('p.start_day', '<=', day);
  if (actor.orgPath) qb = qb.where('o.path', 'like', `${actor.orgPath}%`);
  if (opts.accountNos?.length) qb = qb.where('a.account_no', 'in', opts.accountNos);
  const plans = await qb.orderBy('p.account_id').execute();
  const t0 = Date.now();
  const outcomes: DeductOutcome[] = [];
  for (const p of plans) {
    try {
      outcomes.push(await inTx(db, (trx) => deductAccountDay(trx, actor, p.account_id, day, now)));
    } catch (e) {
      outcomes.push({ accountNo: p.account_no, status: 'error', message: (e as Error).message });
    }
  }
  const count = (s: DeductOutcome['status']) => outcomes.filter((o) => o.status === s).length;
  const totalFen = outcomes.reduce((s, o) => s + (o.status === 'deducted' && o.amount ? toFen(o.amount) : 0), 0);
  const summary = {
    day, accounts: plans.length, deducted: count('deducted'), exists: count('exists'), noData: count('no_data'), errors: count('error'),
    amount: fen2(totalFen), reminders: outcomes.filter((o) => o.reminder).length, cutoffOrders: outcomes.filter((o) => o.status === 'deducted' && o.cutoffOrderId).length, ms: Date.now() - t0,
  };
  await inTx(db, (trx) => writeAudit(trx, actor, { action: 'prepaid.deduct', entityType: 'prepaid_run', entityId: day, after: summary }, now));
  return { ...summary, outcomes };
}

