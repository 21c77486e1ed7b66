/**
 * Rebilling (退补电费): a checker corrects the inputs of one or more issued bills of one account
 * (reading values, the 综合倍率, the tariff code from a date), the system re-rates each affected
 * period with the SAME domain code the billing run uses (`billAccount` → determinants → rateBill,
 * tariff versions in force at the time, split by days at a tariff change, domain-cn §1.6), diffs
 * line by line against what was charged and stores adjustment lines (debit / credit per line)
 * with the total. The issued bill is never edited.
 *
 * States: draft → submitted → approved → posted, or rejected (reason). Two-person rule: when
 * |total| exceeds the threshold (setting `billing.adjustment_approval_threshold`, default
 * 1000.00 元 — domain-cn gives no figure) a second user, not the creator or submitter, approves;
 * at or below it the submit approves (audited). Posting writes one ledger entry of kind
 * `adjustment`: a receivable (the customer owes more) or an unallocated credit (the customer is
 * credited); posting twice does nothing the second time. Every state change is audited.
 *
 * What was charged = the issued bill's lines, or — when an earlier adjustment of that bill was
 * posted — that adjustment's corrected lines (each adjustment states the full corrected inputs
 * relative to the readings as stored, so a second correction diffs against the first one).
 */
import { sql, type Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-billing.js';
import '../../db/schema-payments.js';
import '../../db/schema-adjustments.js';
import type { BillAdjustmentsTable, AdjustmentReason } from '../../db/schema-adjustments.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { billAccount } from '../../domain/billing/bill-account.js';
import type { AccountFacts, Determinants, ReadingFact } from '../../domain/billing/determinants.js';
import { asTariffVersion } from '../../domain/rating/rate-bill.js';
import type { BillLine } from '../../domain/rating/types.js';
import type { TariffVersion } from '../../domain/tariffs/schema.js';
import { addDays, checkDate, fen2, shanghaiDate, toFen } from '../../domain/payments/index.js';
import { can, inTx, requirePermission, requireScope, type Actor, type Q, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { postReceivable } from '../payments/receivables.js';
import { applyCreditWhereHeld } from '../payments/refunds.js';
import { DEFAULT_DUE_DAYS } from './review.js';
import { actorUnits } from './run.js';

export const REASON_CATEGORIES = ['reading_error', 'multiplier_error', 'tariff_error', 'other'] as const;
export const ADJUSTMENT_STATUSES = ['draft', 'submitted', 'approved', 'rejected', 'posted'] as const;
/** Two-person threshold (元) when the setting is absent. */
export const DEFAULT_APPROVAL_THRESHOLD = '1000.00';
export const THRESHOLD_SETTING = 'billing.adjustment_approval_threshold';
const MAX_PERIODS = 24;
const PERIOD_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
const VALUE_RE = /^\d{1,10}(\.\d{1,4})?$/;

export interface AdjustmentInput {
  accountId: number;
  periods: string[];
  reasonCategory: AdjustmentReason;
  reason: string;
  corrections?: {
    readings?: Array<{ readingId: number; value: string }>;
    multiplier?: { correct: string; billed?: string; meterId?: number };
    tariff?: { code: string; from?: string };
  };
}

// ---------------------------------------------------------------- exact scale-4 helpers

const S4 = 10_000n;
function to4(s: string, field: string): bigint {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(String(s).trim());
  if (!m) throw new ValidationError(field, `not a decimal: ${s}`);
  const frac = (m[3] ?? '').padEnd(5, '0');
  let v = BigInt(m[2]) * S4 + BigInt(frac.slice(0, 4));
  if (Number(frac[4]) >= 5) v += 1n;
  return m[1] ? -v : v;
}
function divHalfUp(n: bigint, d: bigint): bigint {
  const neg = n < 0n !== d < 0n;
  const an = n < 0n ? -n : n;
  const ad = d < 0n ? -d : d;
  const q = (an + ad / 2n) / ad;
  return neg ? -q : q;
}
function fmt4(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${a / S4}.${String(a % S4).padStart(4, '0')}`;
}

// ---------------------------------------------------------------- input checks

function checkInput(raw: AdjustmentInput): AdjustmentInput {
  if (!raw || typeof raw !== 'object') throw new ValidationError('body', 'required');
  if (!Number.isSafeInteger(raw.accountId) || raw.accountId <= 0) throw new ValidationError('accountId', 'must be a positive integer');
  if (!Array.isArray(raw.periods) || raw.periods.length === 0) throw new ValidationError('periods', 'at least one billing period (YYYY-MM)');
  if (raw.periods.length > MAX_PERIODS) throw new ValidationError('periods', `at most ${MAX_PERIODS} periods`);
  raw.periods.forEach((p, i) => {
    if (typeof p !== 'string' || !PERIOD_RE.test(p)) throw new ValidationError(`periods.${i}`, 'must be YYYY-MM');
  });
  if (new Set(raw.periods).size !== raw.periods.length) throw new ValidationError('periods', 'a period is listed twice');
  if (!REASON_CATEGORIES.includes(raw.reasonCategory)) throw new ValidationError('reasonCategory', `one of ${REASON_CATEGORIES.join(', ')}`);
  if (typeof raw.reason !== 'string' || !raw.reason.trim()) throw new ValidationError('reason', 'required');
  if (raw.reason.length > 500) throw new ValidationError('reason', 'at most 500 characters');
  const c = raw.corrections ?? {};
  const readings = c.readings ?? [];
  if (!Array.isArray(readings)) throw new ValidationError('corrections.readings', 'must be a list');
  if (readings.length > 200) throw new ValidationError('corrections.readings', 'at most 200 readings');
  const seen = new Set<number>();
  readings.forEach((r, i) => {
    if (!r || !Number.isSafeInteger(r.readingId) || r.readingId <= 0) throw new ValidationError(`corrections.readings.${i}.readingId`, 'must be a positive integer');
    if (seen.has(r.readingId)) throw new ValidationError(`corrections.readings.${i}.readingId`, 'reading corrected twice');
    seen.add(r.readingId);
    if (typeof r.value !== 'string' || !VALUE_RE.test(r.value.trim())) throw new ValidationError(`corrections.readings.${i}.value`, 'a non-negative reading with at most 4 decimals, e.g. "5300.00"');
  });
  if (c.multiplier) {
    const m = c.multiplier;
    if (typeof m.correct !== 'string' || !VALUE_RE.test(m.correct.trim()) || to4(m.correct, 'corrections.multiplier.correct') <= 0n) throw new ValidationError('corrections.multiplier.correct', 'a positive multiplier, e.g. "60"');
    if (m.billed !== undefined && (typeof m.billed !== 'string' || !VALUE_RE.test(m.billed.trim()) || to4(m.billed, 'corrections.multiplier.billed') <= 0n)) throw new ValidationError('corrections.multiplier.billed', 'a positive multiplier, e.g. "40"');
    if (m.meterId !== undefined && (!Number.isSafeInteger(m.meterId) || m.meterId <= 0)) throw new ValidationError('corrections.multiplier.meterId', 'must be a positive integer');
  }
  if (c.tariff) {
    if (typeof c.tariff.code !== 'string' || !c.tariff.code.trim() || c.tariff.code.length > 64) throw new ValidationError('corrections.tariff.code', 'required');
    if (c.tariff.from !== undefined && c.tariff.from !== null && c.tariff.from !== '') checkDate(c.tariff.from, 'corrections.tariff.from');
  }
  const corrections = {
    ...(readings.length ? { readings: readings.map((r) => ({ readingId: r.readingId, value: r.value.trim() })) } : {}),
    ...(c.multiplier ? { multiplier: { correct: c.multiplier.correct.trim(), ...(c.multiplier.billed ? { billed: c.multiplier.billed.trim() } : {}), ...(c.multiplier.meterId ? { meterId: c.multiplier.meterId } : {}) } } : {}),
    ...(c.tariff ? { tariff: { code: c.tariff.code.trim(), ...(c.tariff.from ? { from: c.tariff.from } : {}) } } : {}),
  };
  if (raw.reasonCategory === 'reading_error' && !corrections.readings) throw new ValidationError('corrections.readings', 'a reading error needs at least one corrected reading');
  if (raw.reasonCategory === 'multiplier_error' && !corrections.multiplier) throw new ValidationError('corrections.multiplier', 'a multiplier error needs the correct multiplier');
  if (raw.reasonCategory === 'tariff_error' && !corrections.tariff) throw new ValidationError('corrections.tariff', 'a tariff assignment error needs the correct tariff code');
  if (!corrections.readings && !corrections.multiplier && !corrections.tariff) throw new ValidationError('corrections', 'nothing to correct: give corrected readings, multiplier or tariff');
  return { accountId: raw.accountId, periods: [...raw.periods].sort(), reasonCategory: raw.reasonCategory, reason: raw.reason.trim(), corrections };
}

// ---------------------------------------------------------------- computation

export interface DiffLine {
  lineNo: number;
  billId: number;
  period: string;
  code: string;
  name: { zh: string; en: string };
  segment: number | null;
  unit: string;
  original: { quantity: string | null; unitPrice: string | null; amount: string };
  corrected: { quantity: string | null; unitPrice: string | null; amount: string };
  difference: string;
  direction: 'debit' | 'credit' | 'none';
}

interface BaseLine {
  code: string;
  name_zh: string;
  name_en: string;
  segment: number | null;
  unit: string;
  quantity: string | null;
  unit_price: string | null;
  amount: string;
}

async function loadThreshold(q: Q): Promise<string> {
  const s = await q.selectFrom('settings').select('value').where('key', '=', THRESHOLD_SETTING).executeTakeFirst();
  const v = s?.value as unknown;
  const raw = typeof v === 'string' || typeof v === 'number' ? String(v) : v && typeof v === 'object' && 'amount' in (v as object) ? String((v as { amount: unknown }).amount) : null;
  if (raw && /^\d{1,12}(\.\d{1,2})?$/.test(raw)) return fen2(toFen(raw));
  return DEFAULT_APPROVAL_THRESHOLD;
}

const METHOD_BACK: Record<string, string> = { CAPACITY: 'capacity', CONTRACT_DEMAND: 'contract_demand', ACTUAL_DEMAND: 'actual_demand' };

/** Versions of `oldCode` before `from` and of `newCode` from `from` on, clipped (a tariff assignment changed inside the period). */
function spliceVersions(oldV: TariffVersion[], newV: TariffVersion[], from: string): TariffVersion[] {
  const out: TariffVersion[] = [];
  for (const v of oldV) {
    if (v.effectiveFrom >= from) continue;
    const to = v.effectiveTo != null && v.effectiveTo < from ? v.effectiveTo : from;
    out.push(asTariffVersion({ ...v, effectiveTo: to }));
  }
  for (const v of newV) {
    if (v.effectiveTo != null && v.effectiveTo <= from) continue;
    out.push(asTariffVersion({ ...v, effectiveFrom: v.effectiveFrom > from ? v.effectiveFrom : from }));
  }
  return out;
}

const EXC_FIELD: Record<string, string> = {
  NEGATIVE_ENERGY: 'corrections.readings',
  CONSUMPTION_UNKNOWN: 'corrections.readings',
  ZERO_MULTIPLIER: 'corrections.multiplier.correct',
  NO_TARIFF: 'corrections.tariff.code',
  TARIFF_GAP: 'corrections.tariff.code',
  MISSING_TOU: 'corrections.tariff.code',
  MISSING_REACTIVE: 'corrections.tariff.code',
  MISSING_DEMAND: 'corrections.tariff.code',
};

/**
 * Re-rate the issued bills of `input.periods` with the corrected inputs and diff them line by line.
 * Read-only. Throws ValidationError naming the field for bad input.
 */
export async function computeAdjustment(q: Q, actor: Actor, raw: AdjustmentInput) {
  const input = checkInput(raw);
  const c = input.corrections!;
  const acc = await q.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
    .select(['a.id', 'a.account_no', 'a.name', 'a.org_unit_id', 'a.customer_class', 'a.tariff_code', 'a.household_size', 'a.contract_capacity_kva', 'a.contract_demand_kw', 'a.basic_charge_method', 'a.pf_standard', 'a.opened_on', 'a.status', 'o.path'])
    .where('a.id', '=', input.accountId).executeTakeFirst();
  if (!acc) throw new ValidationError('accountId', `account ${input.accountId} not found`);
  requireScope(actor, acc.path, 'account');

  const bills = await q.selectFrom('bills').selectAll().where('account_id', '=', acc.id).where('period', 'in', input.periods).where('trial', '=', false).where('status', '=', 'issued').execute();
  const billOf = new Map(bills.map((b) => [b.period, b]));
  input.periods.forEach((p) => {
    if (!billOf.has(p)) throw new ValidationError(`periods.${raw.periods.indexOf(p)}`, `account ${acc.account_no} has no issued bill for ${p} (only issued bills are rebilled)`);
  });
  const ordered = input.periods.map((p) => billOf.get(p)!);
  const billIds = ordered.map((b) => b.id);
  const issuedLines = await q.selectFrom('bill_lines').selectAll().where('account_id', '=', acc.id).where('bill_id', 'in', billIds).orderBy('bill_id').orderBy('line_no').execute();
  // latest posted adjustment per bill: its corrected lines are what is charged now
  const posted = await q.selectFrom('bill_adjustment_lines as l').innerJoin('bill_adjustments as a', 'a.id', 'l.adjustment_id')
    .select(['l.adjustment_id', 'l.bill_id', 'l.code', 'l.name_zh', 'l.name_en', 'l.segment', 'l.unit', 'l.corrected_quantity', 'l.corrected_unit_price', 'l.corrected_amount', 'l.line_no'])
    .where('a.account_id', '=', acc.id).where('a.status', '=', 'posted').where('l.bill_id', 'in', billIds).orderBy('l.adjustment_id').orderBy('l.line_no').execute();
  const latestAdj = new Map<number, number>();
  for (const p of posted) latestAdj.set(p.bill_id, Math.max(latestAdj.get(p.bill_id) ?? 0, p.adjustment_id));
  const baseOf = (billId: number): BaseLine[] => {
    const adj = latestAdj.get(billId);
    if (adj !== undefined) {
      return posted.filter((p) => p.bill_id === billId && p.adjustment_id === adj && p.corrected_quantity !== null)
        .map((p) => ({ code: p.code, name_zh: p.name_zh, name_en: p.name_en, segment: p.segment, unit: p.unit, quantity: p.corrected_quantity, unit_price: p.corrected_unit_price, amount: p.corrected_amount }));
    }
    return issuedLines.filter((l) => l.bill_id === billId).map((l) => ({ code: l.code, name_zh: l.name_zh, name_en: l.name_en, segment: l.segment, unit: l.unit, quantity: l.quantity, unit_price: l.unit_price, amount: l.amount }));
  };

  // stored determinants omit what the bill has in columns (period, days, kWh)
  const dets = new Map(ordered.map((b) => [b.id, { ...((b.determinants ?? {}) as Partial<Determinants>), periodStart: b.period_start ?? undefined, periodEnd: b.period_end ?? undefined, days: b.days ?? undefined, kwh: Math.round(Number(b.energy_kwh)) }]));
  const usedIds = new Set<number>();
  for (const b of ordered) for (const id of dets.get(b.id)!.readingIds ?? []) usedIds.add(id);
  const corrIds = (c.readings ?? []).map((r) => r.readingId);
  const readingRows = usedIds.size + corrIds.length === 0 ? [] : await q.selectFrom('register_readings as r').innerJoin('meters as m', 'm.id', 'r.meter_id')
    .select(['r.id', 'r.account_id', 'r.meter_id', 'r.register', 'r.read_at', 'r.billing_period', 'r.value', 'r.consumption', 'r.status', 'r.source', 'm.multiplier'])
    .where('r.account_id', '=', acc.id).where('r.id', 'in', [...usedIds, ...corrIds]).execute();
  const rowById = new Map(readingRows.map((r) => [r.id, r]));
  const warnings: Array<{ code: string; zh: string; en: string; period?: string }> = [];

  // reading corrections → consumption deltas (scale 4): the reading itself (+) and the next reading of the register (−)
  const consDelta = new Map<number, bigint>();
  const valueOverride = new Map<number, string>();
  for (const [i, rc] of (c.readings ?? []).entries()) {
    const r = rowById.get(rc.readingId);
    const field = `corrections.readings.${i}.readingId`;
    if (!r) throw new ValidationError(field, `reading ${rc.readingId} is not a reading of account ${acc.account_no}`);
    if (r.value === null) throw new ValidationError(field, `reading ${rc.readingId} has no value (exception reading)`);
    const oldV = to4(r.value, field);
    const newV = to4(rc.value, `corrections.readings.${i}.value`);
    if (oldV === newV) throw new ValidationError(`corrections.readings.${i}.value`, `equals the stored value ${r.value}`);
    if (r.register === 'MAX_DEMAND') {
      if (!usedIds.has(r.id)) throw new ValidationError(field, `reading ${r.id} (${r.billing_period}) is not used by the selected bills`);
      valueOverride.set(r.id, rc.value);
      continue;
    }
    const delta = divHalfUp((newV - oldV) * to4(r.multiplier, 'multiplier'), S4);
    const next = await q.selectFrom('register_readings').select(['id', 'billing_period'])
      .where('account_id', '=', acc.id).where('meter_id', '=', r.meter_id).where('register', '=', r.register).where('read_at', '>', r.read_at)
      .where('status', 'in', ['accepted', 'estimated']).orderBy('read_at').limit(1).executeTakeFirst();
    const selfUsed = usedIds.has(r.id);
    const nextUsed = !!next && usedIds.has(next.id);
    if (!selfUsed && !nextUsed) throw new ValidationError(field, `reading ${r.id} (${r.billing_period}) does not affect the selected bills; add period ${r.billing_period}${next ? ` or ${next.billing_period}` : ''}`);
    if (selfUsed) consDelta.set(r.id, (consDelta.get(r.id) ?? 0n) + delta);
    else warnings.push({ code: 'PERIOD_NOT_INCLUDED', period: r.billing_period, zh: `示数 ${r.id} 属于 ${r.billing_period}，该期未包含在本次退补中`, en: `reading ${r.id} belongs to ${r.billing_period}, which is not part of this adjustment` });
    if (next) {
      if (nextUsed) consDelta.set(next.id, (consDelta.get(next.id) ?? 0n) - delta);
      else warnings.push({ code: 'NEXT_PERIOD_AFFECTED', period: next.billing_period, zh: `更正示数后 ${next.billing_period} 的抄见电量也会变化，请同时退补该期`, en: `correcting this reading also changes the energy of ${next.billing_period}; include that period too` });
    }
  }

  // multiplier correction: consumption × correct / billed (domain-cn §5.3: (实际倍率 − 错误倍率) × 抄见示数差)
  let mult: { correct: bigint; billed: Map<number, bigint>; meterId?: number } | null = null;
  if (c.multiplier) {
    const meterIds = new Set(readingRows.filter((r) => usedIds.has(r.id)).map((r) => r.meter_id));
    if (c.multiplier.meterId !== undefined && !meterIds.has(c.multiplier.meterId)) throw new ValidationError('corrections.multiplier.meterId', `meter ${c.multiplier.meterId} was not read for the selected bills`);
    const billed = new Map<number, bigint>();
    for (const r of readingRows) billed.set(r.meter_id, c.multiplier.billed ? to4(c.multiplier.billed, 'corrections.multiplier.billed') : to4(r.multiplier, 'multiplier'));
    const correct = to4(c.multiplier.correct, 'corrections.multiplier.correct');
    const targets = c.multiplier.meterId ? [c.multiplier.meterId] : [...meterIds];
    if (targets.every((m) => billed.get(m) === correct)) throw new ValidationError('corrections.multiplier.correct', `equals the billed multiplier ${fmt4(correct)}; give the multiplier that was billed in corrections.multiplier.billed`);
    mult = { correct, billed, meterId: c.multiplier.meterId };
  }

  // tariff: versions in force (active catalogue), per code
  const codes = new Set<string>();
  for (const b of ordered) for (const code of b.tariff_codes ?? []) codes.add(code);
  if (c.tariff) codes.add(c.tariff.code);
  const tv = codes.size ? await q.selectFrom('tariff_versions').select(['code', 'document']).where('status', '=', 'active').where('code', 'in', [...codes]).execute() : [];
  const versionsOf = new Map<string, TariffVersion[]>();
  for (const r of tv) (versionsOf.get(r.code) ?? versionsOf.set(r.code, []).get(r.code)!).push(asTariffVersion(r.document));
  if (c.tariff && !versionsOf.has(c.tariff.code)) throw new ValidationError('corrections.tariff.code', `tariff ${c.tariff.code} has no active version in the catalogue`);
  const tariffFrom = c.tariff ? c.tariff.from ?? dets.get(ordered[0].id)!.periodStart ?? `${ordered[0].period}-01` : null;

  const lines: DiffLine[] = [];
  const periods: Array<Record<string, unknown>> = [];
  let carry = 0; // corrected − charged kWh of earlier rebilled periods of the same ladder year
  let carryYear = '';
  let origFen = 0;
  let corrFen = 0;
  for (const [pi, b] of ordered.entries()) {
    const det = dets.get(b.id)!;
    if (!det.readingIds?.length || !det.periodStart || !det.periodEnd) throw new AppError('CONFLICT', `bill ${b.id} (${b.period}) has no determinants to re-rate`, { field: `periods.${pi}` });
    if (b.period.slice(0, 4) !== carryYear) {
      carry = 0;
      carryYear = b.period.slice(0, 4);
    }
    const origCode = (b.tariff_codes ?? [])[0] ?? acc.tariff_code;
    const facts = (code: string | null): AccountFacts => ({
      id: acc.id,
      accountNo: acc.account_no,
      customerClass: b.customer_class,
      tariffCode: code,
      householdSize: det.householdSize ?? acc.household_size,
      capacityKva: det.capacityKva ?? acc.contract_capacity_kva,
      contractDemandKw: det.contractDemandKw ?? acc.contract_demand_kw,
      basicChargeMethod: det.basicChargeMethod ? METHOD_BACK[det.basicChargeMethod] ?? acc.basic_charge_method : acc.basic_charge_method,
      pfStandard: det.pfStandard ?? acc.pf_standard,
      openedOn: acc.opened_on,
      status: acc.status,
    });
    const facts0: ReadingFact[] = [];
    const facts1: ReadingFact[] = [];
    for (const id of det.readingIds) {
      const r = rowById.get(id);
      if (!r) throw new AppError('CONFLICT', `reading ${id} used by bill ${b.id} no longer exists`);
      const base: ReadingFact = { id: r.id, register: r.register, readAt: new Date(r.read_at), value: r.value, consumption: r.consumption, status: r.status === 'estimated' ? 'estimated' : 'accepted', meterId: r.meter_id, multiplier: r.multiplier, source: r.source };
      facts0.push(base);
      let cons = r.consumption;
      let m = r.multiplier;
      if (cons !== null && consDelta.has(r.id)) cons = fmt4(to4(cons, 'consumption') + consDelta.get(r.id)!);
      if (mult && (mult.meterId === undefined || mult.meterId === r.meter_id)) {
        const billed = mult.billed.get(r.meter_id)!;
        if (cons !== null) cons = fmt4(divHalfUp(to4(cons, 'consumption') * mult.correct, billed));
        m = fmt4(mult.correct);
      }
      facts1.push({ ...base, consumption: cons, multiplier: m, value: valueOverride.get(r.id) ?? r.value });
    }
    const common = { period: b.period, previousReadAt: det.previousReadAt ? new Date(det.previousReadAt) : null, installedOn: det.periodStart };
    const history = { hasEarlierBill: true };
    // 1) the issued inputs, to confirm the bill is reproducible with today's catalogue
    const again = billAccount({ ...common, account: facts(origCode), readings: facts0, ladderPrevCumKwh: det.ladderPrevCum ?? 0, tariffVersions: origCode ? versionsOf.get(origCode) ?? [] : [] }, history);
    if (again.exceptionCode || toFen(again.amount) !== toFen(b.amount_total)) {
      warnings.push({ code: 'NOT_REPRODUCIBLE', period: b.period, zh: `${b.period} 账单按原始数据重算为 ${again.amount} 元，与发行金额 ${b.amount_total} 元不同（电价目录已变更？）；差额按发行明细计算`, en: `${b.period}: re-rating the issued inputs gives ${again.amount}, not the issued ${b.amount_total} (catalogue changed?); the difference is taken against the issued lines` });
    }
    if (latestAdj.has(b.id)) {
      warnings.push({ code: 'PRIOR_ADJUSTMENT', period: b.period, zh: `${b.period} 已过账退补单 #${latestAdj.get(b.id)}：差额按该单更正后的金额计算；更正项须完整填写（相对于原始示数/档案）`, en: `${b.period}: adjustment #${latestAdj.get(b.id)} was posted; the difference is taken against its corrected lines; state every correction in full (relative to the stored readings and archive)` });
    }
    // 2) the corrected inputs
    let code = origCode;
    let versions = origCode ? versionsOf.get(origCode) ?? [] : [];
    if (c.tariff && tariffFrom) {
      if (tariffFrom <= det.periodStart) {
        code = c.tariff.code;
        versions = versionsOf.get(c.tariff.code)!;
      } else if (tariffFrom <= det.periodEnd) {
        versions = spliceVersions(versions, versionsOf.get(c.tariff.code)!, tariffFrom);
        code = c.tariff.code;
      }
    }
    const fixed = billAccount({ ...common, account: facts(code), readings: facts1, ladderPrevCumKwh: Math.max(0, (det.ladderPrevCum ?? 0) + carry), tariffVersions: versions }, history);
    if (fixed.exceptionCode) {
      throw new ValidationError(EXC_FIELD[fixed.exceptionCode] ?? `periods.${raw.periods.indexOf(b.period)}`, `${b.period}: the corrected bill cannot be rated (${fixed.exceptionCode}): ${fixed.exceptionMessage ?? ''}`, { period: b.period, exceptionCode: fixed.exceptionCode });
    }
    carry += fixed.kwh - Math.round(Number(b.energy_kwh));
    // diff line by line, keyed by (tariff segment, line code)
    const base = baseOf(b.id);
    const key = (code: string, seg: number | null | undefined) => `${seg ?? 0}|${code}`;
    const baseMap = new Map(base.map((l) => [key(l.code, l.segment), l]));
    const seen = new Set<string>();
    let pOrig = 0;
    let pCorr = 0;
    const push = (o: BaseLine | undefined, n: BillLine | undefined) => {
      const oa = o ? toFen(o.amount) : 0;
      const na = n ? toFen(n.amount) : 0;
      pOrig += oa;
      pCorr += na;
      const d = na - oa;
      lines.push({
        lineNo: lines.length + 1, billId: b.id, period: b.period, code: (n?.code ?? o?.code)!,
        name: n ? n.name : { zh: o!.name_zh, en: o!.name_en }, segment: n ? n.segment ?? null : o!.segment, unit: n?.unit ?? o?.unit ?? '',
        original: { quantity: o?.quantity ?? null, unitPrice: o?.unit_price ?? null, amount: fen2(oa) },
        corrected: { quantity: n?.quantity ?? null, unitPrice: n?.unitPrice ?? null, amount: fen2(na) },
        difference: fen2(d), direction: d > 0 ? 'debit' : d < 0 ? 'credit' : 'none',
      });
    };
    for (const n of fixed.lines) {
      const k = key(n.code, n.segment);
      seen.add(k);
      push(baseMap.get(k), n);
    }
    for (const o of base) if (!seen.has(key(o.code, o.segment))) push(o, undefined);
    origFen += pOrig;
    corrFen += pCorr;
    periods.push({
      period: b.period, billId: b.id, periodStart: det.periodStart, periodEnd: det.periodEnd, days: det.days,
      original: { kwh: Math.round(Number(b.energy_kwh)), amount: fen2(pOrig), issuedAmount: b.amount_total, tariffCodes: b.tariff_codes, tou: det.tou ?? null, ladderPrevCum: det.ladderPrevCum ?? null, postedAdjustmentId: latestAdj.get(b.id) ?? null },
      corrected: { kwh: fixed.kwh, amount: fixed.amount, tariffCodes: fixed.tariffCodes, tariffRefs: fixed.tariffRefs, tou: fixed.det.tou ?? null, ladderPrevCum: fixed.det.ladderPrevCum ?? null, maxDemandKw: fixed.det.maxDemandKw ?? null, warnings: fixed.warnings },
      difference: fen2(pCorr - pOrig),
    });
  }
  const threshold = await loadThreshold(q);
  const totalFen = corrFen - origFen;
  return {
    input,
    account: { id: acc.id, accountNo: acc.account_no, name: acc.name, orgUnitId: acc.org_unit_id, customerClass: acc.customer_class, path: acc.path },
    billIds,
    periods,
    lines,
    warnings,
    originalTotal: fen2(origFen),
    correctedTotal: fen2(corrFen),
    amountTotal: fen2(totalFen),
    direction: totalFen > 0 ? 'debit' : totalFen < 0 ? 'credit' : 'none',
    approvalThreshold: threshold,
    requiresSecondApproval: Math.abs(totalFen) > toFen(threshold),
  };
}

function requireAdjust(actor: Actor) {
  if (!can(actor, 'billing.adjust') && !can(actor, 'billing.adjust.approve')) requirePermission(actor, 'billing.adjust');
}

/** Preview (no write): the per-line diff (original, corrected, difference) and the total. */
export async function previewAdjustment(db: Db, actor: Actor, input: AdjustmentInput) {
  requirePermission(actor, 'billing.adjust');
  const r = await computeAdjustment(db.kysely, actor, input);
  const { path: _p, ...account } = r.account;
  return { ...r, account, input: undefined };
}

type AdjRow = Selectable<BillAdjustmentsTable>;

export function adjustmentOut(a: AdjRow & { created_by_name?: string | null; approved_by_name?: string | null }) {
  return {
    id: a.id, accountId: a.account_id, accountNo: a.account_no, orgUnitId: a.org_unit_id, customerClass: a.customer_class,
    status: a.status, reasonCategory: a.reason_category, reason: a.reason, corrections: a.corrections, periods: a.periods, billIds: a.bill_ids,
    originalTotal: a.original_total, correctedTotal: a.corrected_total, amountTotal: a.amount_total,
    direction: toFen(a.amount_total) > 0 ? 'debit' : 'credit',
    approvalThreshold: a.approval_threshold, requiresSecondApproval: a.requires_second_approval,
    createdBy: a.created_by, createdByName: a.created_by_name ?? undefined, createdAt: a.created_at,
    submittedBy: a.submitted_by, submittedAt: a.submitted_at,
    approvedBy: a.approved_by, approvedByName: a.approved_by_name ?? undefined, approvedAt: a.approved_at, approvalNote: a.approval_note,
    rejectedBy: a.rejected_by, rejectedAt: a.rejected_at, rejectReason: a.reject_reason,
    postedBy: a.posted_by, postedAt: a.posted_at, receivableId: a.receivable_id, ledgerEntryId: a.ledger_entry_id,
  };
}

/** Create a draft adjustment (re-rated and diffed now; the lines are stored). */
export async function createAdjustment(db: Db, actor: Actor, input: AdjustmentInput) {
  requirePermission(actor, 'billing.adjust');
  return inTx(db, async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${'bill_adjustment:' + String(input?.accountId)}))`.execute(trx);
    const r = await computeAdjustment(trx, actor, input);
    if (r.amountTotal === '0.00') throw new ValidationError('corrections', 'the corrected bills equal what was charged: nothing to adjust');
    const open = await trx.selectFrom('bill_adjustments').select(['id', 'status']).where('account_id', '=', r.account.id)
      .where('status', 'in', ['draft', 'submitted', 'approved']).where(sql<boolean>`bill_ids && ${sql.val(r.billIds)}::bigint[]`).executeTakeFirst();
    if (open) throw new AppError('CONFLICT', `adjustment ${open.id} (${open.status}) already covers one of these bills; post or reject it first`, { adjustmentId: open.id, field: 'periods' });
    const row = await trx.insertInto('bill_adjustments').values({
      account_id: r.account.id, org_unit_id: r.account.orgUnitId, account_no: r.account.accountNo, customer_class: r.account.customerClass,
      reason_category: r.input.reasonCategory, reason: r.input.reason, corrections: JSON.stringify(r.input.corrections), periods: r.input.periods, bill_ids: r.billIds,
      detail: JSON.stringify(r.periods), warnings: JSON.stringify(r.warnings), original_total: r.originalTotal, corrected_total: r.correctedTotal, amount_total: r.amountTotal,
      approval_threshold: r.approvalThreshold, requires_second_approval: r.requiresSecondApproval, created_by: actor.userId,
    }).returningAll().executeTakeFirstOrThrow();
    await trx.insertInto('bill_adjustment_lines').values(r.lines.map((l) => ({
      adjustment_id: row.id, line_no: l.lineNo, bill_id: l.billId, period: l.period, code: l.code, name_zh: l.name.zh, name_en: l.name.en, segment: l.segment, unit: l.unit,
      original_quantity: l.original.quantity, corrected_quantity: l.corrected.quantity, original_unit_price: l.original.unitPrice, corrected_unit_price: l.corrected.unitPrice,
      original_amount: l.original.amount, corrected_amount: l.corrected.amount, difference: l.difference, direction: l.direction,
    }))).execute();
    await writeAudit(trx, actor, { action: 'bill_adjustment.create', entityType: 'bill_adjustment', entityId: row.id, orgUnitId: row.org_unit_id, after: { accountNo: row.account_no, periods: row.periods, billIds: row.bill_ids, reasonCategory: row.reason_category, reason: row.reason, corrections: r.input.corrections, originalTotal: row.original_total, correctedTotal: row.corrected_total, amountTotal: row.amount_total, requiresSecondApproval: row.requires_second_approval } });
    return { ...(await loadOut(trx, row.id)), warnings: r.warnings };
  });
}

async function loadOut(q: Q, id: number) {
  const a = await q.selectFrom('bill_adjustments as a').leftJoin('users as uc', 'uc.id', 'a.created_by').leftJoin('users as ua', 'ua.id', 'a.approved_by')
    .selectAll('a').select(['uc.username as created_by_name', 'ua.username as approved_by_name']).where('a.id', '=', id).executeTakeFirstOrThrow();
  const lines = await q.selectFrom('bill_adjustment_lines').selectAll().where('adjustment_id', '=', id).orderBy('line_no').execute();
  return {
    ...adjustmentOut(a),
    detail: a.detail,
    warnings: a.warnings,
    lines: lines.map((l) => ({
      lineNo: l.line_no, billId: l.bill_id, period: l.period, code: l.code, name: { zh: l.name_zh, en: l.name_en }, segment: l.segment, unit: l.unit,
      original: { quantity: l.original_quantity, unitPrice: l.original_unit_price, amount: l.original_amount },
      corrected: { quantity: l.corrected_quantity, unitPrice: l.corrected_unit_price, amount: l.corrected_amount },
      difference: l.difference, direction: l.direction,
    })),
  };
}

async function loadForUpdate(trx: Trx, actor: Actor, id: number) {
  const a = await trx.selectFrom('bill_adjustments as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').selectAll('a').select('o.path').where('a.id', '=', id).executeTakeFirst();
  if (!a) throw new AppError('NOT_FOUND', `adjustment ${id} not found`);
  requireScope(actor, a.path, 'adjustment');
  await sql`select id from bill_adjustments where id = ${id} for update`.execute(trx);
  return (await trx.selectFrom('bill_adjustments').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as AdjRow;
}

function requireState(a: AdjRow, allowed: string[], what: string) {
  if (!allowed.includes(a.status)) throw new AppError('CONFLICT', `adjustment ${a.id} is ${a.status}: it cannot be ${what}`, { status: a.status });
}

const snap = (a: AdjRow) => ({ status: a.status, amountTotal: a.amount_total });

/** Submit a draft. At or below the threshold the submit approves it (audited as such). */
export async function submitAdjustment(db: Db, actor: Actor, id: number) {
  requirePermission(actor, 'billing.adjust');
  return inTx(db, async (trx) => {
    const a = await loadForUpdate(trx, actor, id);
    requireState(a, ['draft'], 'submitted');
    const auto = !a.requires_second_approval;
    await trx.updateTable('bill_adjustments').set({
      status: auto ? 'approved' : 'submitted', submitted_by: actor.userId, submitted_at: sql<Date>`now()` as never,
      ...(auto ? { approved_by: actor.userId, approved_at: sql<Date>`now()` as never, approval_note: 'auto: below the two-person threshold' } : {}),
      updated_at: sql<Date>`now()` as never,
    }).where('id', '=', id).execute();
    await writeAudit(trx, actor, { action: 'bill_adjustment.submit', entityType: 'bill_adjustment', entityId: id, orgUnitId: a.org_unit_id, before: snap(a), after: { status: auto ? 'approved' : 'submitted', autoApproved: auto, amountTotal: a.amount_total, threshold: a.approval_threshold } });
    return loadOut(trx, id);
  });
}

/** Approve a submitted adjustment: a different user from the creator and the submitter (two-person rule). */
export async function approveAdjustment(db: Db, actor: Actor, id: number, input: { note?: string } = {}) {
  requirePermission(actor, 'billing.adjust.approve');
  const note = typeof input.note === 'string' && input.note.trim() ? input.note.trim() : null;
  if (note && note.length > 500) throw new ValidationError('note', 'at most 500 characters');
  return inTx(db, async (trx) => {
    const a = await loadForUpdate(trx, actor, id);
    requireState(a, ['submitted'], 'approved');
    if (actor.userId === null || actor.userId === a.created_by || actor.userId === a.submitted_by) {
      throw new AppError('FORBIDDEN', `two-person rule: adjustment ${id} (${a.amount_total} 元, above ${a.approval_threshold}) must be approved by a different user than the one who created or submitted it`, { rule: 'TWO_PERSON' });
    }
    await trx.updateTable('bill_adjustments').set({ status: 'approved', approved_by: actor.userId, approved_at: sql<Date>`now()` as never, approval_note: note, updated_at: sql<Date>`now()` as never }).where('id', '=', id).execute();
    await writeAudit(trx, actor, { action: 'bill_adjustment.approve', entityType: 'bill_adjustment', entityId: id, orgUnitId: a.org_unit_id, before: snap(a), after: { status: 'approved', note } });
    return loadOut(trx, id);
  });
}

/** Reject (reason required) a draft, submitted or approved (not yet posted) adjustment. */
export async function rejectAdjustment(db: Db, actor: Actor, id: number, input: { reason?: string } = {}) {
  requirePermission(actor, 'billing.adjust.approve');
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (!reason) throw new ValidationError('reason', 'required');
  if (reason.length > 500) throw new ValidationError('reason', 'at most 500 characters');
  return inTx(db, async (trx) => {
    const a = await loadForUpdate(trx, actor, id);
    requireState(a, ['draft', 'submitted', 'approved'], 'rejected');
    await trx.updateTable('bill_adjustments').set({ status: 'rejected', rejected_by: actor.userId, rejected_at: sql<Date>`now()` as never, reject_reason: reason, updated_at: sql<Date>`now()` as never }).where('id', '=', id).execute();
    await writeAudit(trx, actor, { action: 'bill_adjustment.reject', entityType: 'bill_adjustment', entityId: id, orgUnitId: a.org_unit_id, before: snap(a), after: { status: 'rejected', reason } });
    return loadOut(trx, id);
  });
}

/**
 * Post an approved adjustment: one `adjustment` ledger entry (debit → a receivable due after the
 * class's due days; credit → unallocated credit on the account). Idempotent: a posted adjustment
 * is returned unchanged with `alreadyPosted: true` and nothing is written.
 */
export async function postAdjustment(db: Db, actor: Actor, id: number, now = new Date()) {
  requirePermission(actor, 'billing.adjust');
  return inTx(db, async (trx) => {
    const a = await loadForUpdate(trx, actor, id);
    if (a.status === 'posted') return { ...(await loadOut(trx, id)), alreadyPosted: true };
    requireState(a, ['approved'], 'posted');
    const fen = toFen(a.amount_total);
    const today = shanghaiDate(now);
    const memo = `退补 adjustment ${a.id} (${a.periods.join(', ')})`;
    let receivableId: number | null = null;
    let entryId: number;
    if (fen > 0) {
      const s = await trx.selectFrom('settings').select('value').where('key', '=', 'billing.due_days').executeTakeFirst();
      const days = { ...DEFAULT_DUE_DAYS, ...((s?.value as Record<string, number> | undefined) ?? {}) };
      const due = addDays(today, days[a.customer_class] ?? days.default ?? 15);
      receivableId = (await postReceivable(trx, { accountId: a.account_id, period: today.slice(0, 7), amountFen: fen, dueDate: due, memo, source: 'adjustment' }, { actor })).id;
      const e = await trx.selectFrom('ledger_entries').select('id').where('receivable_id', '=', receivableId).where('kind', '=', 'adjustment').executeTakeFirstOrThrow();
      entryId = e.id;
    } else {
      const e = await trx.insertInto('ledger_entries').values({
        account_id: a.account_id, kind: 'adjustment', component: null, amount: fen2(fen), receivable_id: null, payment_id: null,
        entry_date: sql<string>`(now() at time zone 'Asia/Shanghai')::date` as never, memo,
      }).returning('id').executeTakeFirstOrThrow();
      entryId = e.id;
      // the credit pays what the account still owes (预收冲抵)
      await applyCreditWhereHeld(trx, actor, [a.account_id], memo, now);
    }
    await trx.updateTable('bill_adjustments').set({ status: 'posted', posted_by: actor.userId, posted_at: sql<Date>`now()` as never, receivable_id: receivableId, ledger_entry_id: entryId, updated_at: sql<Date>`now()` as never }).where('id', '=', id).execute();
    await writeAudit(trx, actor, { action: 'bill_adjustment.post', entityType: 'bill_adjustment', entityId: id, orgUnitId: a.org_unit_id, before: snap(a), after: { status: 'posted', amountTotal: a.amount_total, ledgerEntryId: entryId, receivableId } });
    return { ...(await loadOut(trx, id)), alreadyPosted: false };
  });
}

export async function getAdjustment(db: Db, actor: Actor, id: number) {
  requireAdjust(actor);
  const a = await db.kysely.selectFrom('bill_adjustments as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').select(['a.id', 'o.path']).where('a.id', '=', id).executeTakeFirst();
  if (!a) throw new AppError('NOT_FOUND', `adjustment ${id} not found`);
  requireScope(actor, a.path, 'adjustment');
  return loadOut(db.kysely, id);
}

/** Adjustments in the actor's data scope, newest first. */
export async function listAdjustments(db: Db, actor: Actor, f: { status?: string; accountId?: number; accountNo?: string; billId?: number; page: number; pageSize: number }) {
  requireAdjust(actor);
  let qb = db.kysely.selectFrom('bill_adjustments as a').leftJoin('users as uc', 'uc.id', 'a.created_by').leftJoin('users as ua', 'ua.id', 'a.approved_by')
    .selectAll('a').select(['uc.username as created_by_name', 'ua.username as approved_by_name']);
  if (f.status) qb = qb.where('a.status', '=', f.status as never);
  if (f.accountId) qb = qb.where('a.account_id', '=', f.accountId);
  if (f.accountNo) qb = qb.where('a.account_no', '=', f.accountNo);
  if (f.billId) qb = qb.where(sql<boolean>`a.bill_ids @> ${sql.val([f.billId])}::bigint[]`);
  const mine = await actorUnits(db, actor);
  if (mine) qb = qb.where('a.org_unit_id', 'in', mine.size ? [...mine] : [-1]);
  const rows = await qb.orderBy('a.id', 'desc').limit(f.pageSize + 1).offset((f.page - 1) * f.pageSize).execute();
  return { items: rows.slice(0, f.pageSize).map(adjustmentOut), page: f.page, pageSize: f.pageSize, hasMore: rows.length > f.pageSize };
}
