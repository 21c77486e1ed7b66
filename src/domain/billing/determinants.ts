/**
 * Billing determinants (计费因子) from accepted readings — pure, no I/O, no clock.
 *
 * A reading's `consumption` already is (advance × 综合倍率) incl. rollover and meter exchange
 * (docs/metering.md), so the energy of a register in a billing period is the sum of the
 * consumption of its accepted/estimated readings of that period, rounded half-up to integer kWh
 * (domain-cn §0.4, energyScale 0). The period runs from the day after the previous reading to the
 * day of the last reading of this period (§1.6 "2024-06-16…07-15 (30 d)"); a reading taken at
 * 00:00 local time (月冻结 at the settlement instant) closes the previous day. The first bill
 * starts on the installation day.
 *
 * Output: the rating engine's `Usage` plus the tariff versions in force (split at a tariff change
 * by the engine, §1.6), or an exception code when the account cannot be rated.
 */
import { divRoundHalfUp } from '../money/decimal.js';
import type { Usage } from '../rating/types.js';
import type { TariffVersion, TouPeriod } from '../tariffs/schema.js';

export const ENERGY_REGISTERS = ['TOTAL', 'SHARP', 'PEAK', 'FLAT', 'VALLEY'] as const;
const TOU_REGS: TouPeriod[] = ['SHARP', 'PEAK', 'FLAT', 'VALLEY'];
/** registers whose consumption the determinants use (index into the sums of computeDeterminants) */
const REG_INDEX: Record<string, number | undefined> = Object.assign(Object.create(null), { SHARP: 0, PEAK: 1, FLAT: 2, VALLEY: 3, TOTAL: 4, REACTIVE: 5, REACTIVE_REV: 6 });

/** Exception codes: the account is put on the exception list (bill in review, no lines). */
export type ExceptionCode =
  | 'MISSING_READING'
  | 'CONSUMPTION_UNKNOWN'
  | 'ZERO_MULTIPLIER'
  | 'NEGATIVE_ENERGY'
  | 'NO_TARIFF'
  | 'TARIFF_GAP'
  | 'MISSING_TOU'
  | 'MISSING_REACTIVE'
  | 'MISSING_DEMAND'
  | 'RATING_ERROR';

export interface ReadingFact {
  id: number;
  register: string;
  readAt: Date;
  value: string | null;
  /** (advance × multiplier) as stored, 4 dp; null when unknown */
  consumption: string | null;
  status: 'accepted' | 'estimated' | string;
  meterId: number;
  /** the meter's 综合倍率 */
  multiplier: string;
  source?: string;
}

export interface AccountFacts {
  id: number;
  accountNo: string;
  customerClass: string;
  tariffCode: string | null;
  householdSize: number;
  capacityKva: string;
  contractDemandKw: string | null;
  /** none | capacity | contract_demand | actual_demand */
  basicChargeMethod: string;
  pfStandard: string | null;
  /** YYYY-MM-DD */
  openedOn: string;
  status: string;
  /** 暂停/减容 capacity sealed off in this period (kVA), when known */
  suspendedCapacityKva?: string | null;
}

export interface DeterminantInput {
  /** billing period YYYY-MM (电费年月) */
  period: string;
  account: AccountFacts;
  /** accepted/estimated readings of this period (billing_period = period), any order */
  readings: ReadingFact[];
  /** read time of the latest accepted/estimated TOTAL reading before this period; null = none */
  previousReadAt: Date | null;
  /** installation day of the meter (first bill starts there) */
  installedOn: string | null;
  /** kWh (integer) consumed earlier in this ladder year (电费年月 Jan … period−1) */
  ladderPrevCumKwh: number;
  /** active catalogue versions of the account's tariff code (any dates) */
  tariffVersions: TariffVersion[];
}

export interface Determinants {
  periodStart: string;
  periodEnd: string;
  days: number;
  previousReadAt: string | null;
  currentReadAt: string | null;
  /** integer kWh */
  kwh: number;
  tou?: Partial<Record<TouPeriod, number>>;
  reactive?: { forward: number; reverse: number };
  maxDemandKw?: string;
  ladderPrevCum?: number;
  ladderOpenedMonth?: number;
  householdSize?: number;
  capacityKva?: string;
  suspendedCapacityKva?: string;
  contractDemandKw?: string;
  basicChargeMethod?: string;
  pfStandard?: string;
  daysUsed?: number;
  estimated: boolean;
  meterExchange: boolean;
  readingIds: number[];
  segments: Array<{ tariffCode: string; version: string; from: string; to: string }>;
}

export type DeterminantOutcome =
  | { ok: true; usage: Usage; versions: TariffVersion[]; det: Determinants; flags: string[] }
  | { ok: false; exception: ExceptionCode; message: string; det: Partial<Determinants>; flags: string[] };

const DAY = 86_400_000;
const SHANGHAI = 8 * 3_600_000;

// Small memo caches: a billing run meets the same few read instants and dates over and over.
const MEMO_MAX = 50_000;
const billingDayMemo = new Map<number, string>();
const addDaysMemo = new Map<string, string>();
const dayNoMemo = new Map<string, number>();

/** Civil date (Asia/Shanghai) a reading closes: a reading at 00:00:00 closes the previous day. */
export function billingDay(readAt: Date): string {
  const t = readAt.getTime();
  let d = billingDayMemo.get(t);
  if (d === undefined) {
    d = new Date(t + SHANGHAI - 1000).toISOString().slice(0, 10);
    if (billingDayMemo.size >= MEMO_MAX) billingDayMemo.clear();
    billingDayMemo.set(t, d);
  }
  return d;
}

const isoMemo = new Map<number, string>();
function iso(d: Date): string {
  const t = d.getTime();
  let s = isoMemo.get(t);
  if (s === undefined) {
    s = d.toISOString();
    if (isoMemo.size >= MEMO_MAX) isoMemo.clear();
    isoMemo.set(t, s);
  }
  return s;
}

function dayNo(date: string): number {
  let n = dayNoMemo.get(date);
  if (n === undefined) {
    n = Date.parse(date + 'T00:00:00Z');
    if (dayNoMemo.size >= MEMO_MAX) dayNoMemo.clear();
    dayNoMemo.set(date, n);
  }
  return n;
}

export function addDays(date: string, n: number): string {
  if (n === 1 || n === -1) {
    const key = n === 1 ? date : '-' + date;
    let d = addDaysMemo.get(key);
    if (d === undefined) {
      d = new Date(dayNo(date) + n * DAY).toISOString().slice(0, 10);
      if (addDaysMemo.size >= MEMO_MAX) addDaysMemo.clear();
      addDaysMemo.set(key, d);
    }
    return d;
  }
  return new Date(Date.parse(date + 'T00:00:00Z') + n * DAY).toISOString().slice(0, 10);
}

export function daysBetweenInclusive(from: string, to: string): number {
  return Math.round((dayNo(to) - dayNo(from)) / DAY) + 1;
}

/** Fast exact parse of a decimal string into an integer at scale 4 (≤ 4 dp; more are rounded half-up). */
export function dec4(s: string): number {
  const neg = s.charCodeAt(0) === 45;
  const t = neg ? s.slice(1) : s;
  const dot = t.indexOf('.');
  let v: number;
  if (dot < 0) v = Number(t) * 10_000;
  else {
    const frac = t.slice(dot + 1);
    v = Number(t.slice(0, dot) || '0') * 10_000 + Number((frac.slice(0, 4) + '0000').slice(0, 4));
    if (frac.length > 4 && frac.charCodeAt(4) >= 53) v += 1;
  }
  if (!Number.isFinite(v)) throw new Error(`not a decimal: ${s}`);
  return neg ? -v : v;
}

function fmt2(centi: number): string {
  const neg = centi < 0;
  const a = Math.abs(centi);
  const s = `${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`.replace(/\.00$/, '').replace(/(\.\d)0$/, '$1');
  return neg ? '-' + s : s;
}

const inForceMemo = new WeakMap<TariffVersion[], Map<string, Map<string, { versions: TariffVersion[] } | { gap: string }>>>();
/** {@link versionsInForce}, memoised per versions array (read-only result, shared). */
function versionsInForceMemo(versions: TariffVersion[], start: string, end: string): { versions: TariffVersion[] } | { gap: string } {
  let byStart = inForceMemo.get(versions);
  if (!byStart) inForceMemo.set(versions, (byStart = new Map()));
  let m = byStart.get(start);
  if (!m) {
    if (byStart.size >= 5_000) byStart.clear();
    byStart.set(start, (m = new Map()));
  }
  let r = m.get(end);
  if (r === undefined) {
    r = versionsInForce(versions, start, end);
    m.set(end, r);
  }
  return r;
}

/** Versions of one code in force in [start, end] in date order, or a gap description. */
export function versionsInForce(versions: TariffVersion[], start: string, end: string): { versions: TariffVersion[] } | { gap: string } {
  const list = versions
    .filter((v) => v.effectiveFrom <= end && (v.effectiveTo == null || v.effectiveTo > start))
    .sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1));
  if (list.length === 0) return { gap: `no version in force between ${start} and ${end}` };
  if (list[0].effectiveFrom > start) return { gap: `no version in force on ${start} (first from ${list[0].effectiveFrom})` };
  for (let i = 1; i < list.length; i++) {
    const prevTo = list[i - 1].effectiveTo;
    if (prevTo == null || prevTo !== list[i].effectiveFrom) return { gap: `gap between versions: ${prevTo ?? 'open'} … ${list[i].effectiveFrom}` };
  }
  const last = list[list.length - 1];
  if (last.effectiveTo != null && last.effectiveTo <= end) return { gap: `no version in force on ${end} (last until ${last.effectiveTo})` };
  return { versions: list };
}

const METHOD: Record<string, Usage['basicChargeMethod']> = {
  capacity: 'CAPACITY',
  contract_demand: 'CONTRACT_DEMAND',
  actual_demand: 'ACTUAL_DEMAND',
};

/** Split integer `total` over `parts` by their shares (largest remainder); parts may be zero. */
function scaleTo(parts: number[], total: number): number[] {
  let sum = 0;
  for (const p of parts) sum += p;
  if (sum === total) return parts.slice(); // p × total / sum = p exactly
  if (sum <= 0) return parts.map((_, i) => (i === 0 ? total : 0));
  const raw = parts.map((p) => (p * total) / sum);
  const out = raw.map(Math.floor);
  let rest = total - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; rest > 0; k = (k + 1) % order.length, rest--) out[order[k][1]]++;
  return out;
}

/** integer kWh of register k (Σ consumption rounded half-up), undefined when it had no reading */
function kwhAt(sums: number[], seen: boolean[], k: number): number | undefined {
  return seen[k] ? divRoundHalfUp(sums[k], 10_000) : undefined;
}

/**
 * Compute the determinants of one account for one period.
 * Example (domain-cn §1.4 R-2): TOTAL 350, PEAK 200, VALLEY 150, ladderPrevCumKwh 2600 →
 * usage `{ kwh: 350, tou: { PEAK: 200, VALLEY: 150 }, ladderPrevCum: 2600, … }`.
 */
export function computeDeterminants(input: DeterminantInput): DeterminantOutcome {
  const { account: a, readings } = input;
  const flags: string[] = [];
  // Σ consumption (scale 4) per register: SHARP PEAK FLAT VALLEY (0-3), TOTAL 4, REACTIVE 5, REACTIVE_REV 6
  const sums = [0, 0, 0, 0, 0, 0, 0];
  const seen = [false, false, false, false, false, false, false];
  let maxDemandMilli = -1n;
  let currentReadAt: Date | null = null;
  let estimated = false;
  let exchange = false;
  const ids: number[] = [];
  for (const r of readings) {
    ids.push(r.id);
    if (r.status === 'estimated' || r.source === 'estimate') estimated = true;
    if (r.source === 'exchange') exchange = true;
    if (dec4(r.multiplier) <= 0) {
      return { ok: false, exception: 'ZERO_MULTIPLIER', message: `meter ${r.meterId} has multiplier ${r.multiplier}`, det: { readingIds: ids }, flags };
    }
    if (r.register === 'MAX_DEMAND') {
      if (r.value !== null) {
        // kW = indicated demand × multiplier, kept at 3 dp (milli-kW) then rounded to 2 dp
        const v = (BigInt(dec4(r.value)) * BigInt(dec4(r.multiplier))) / 100_000n;
        if (v > maxDemandMilli) maxDemandMilli = v;
      }
      continue;
    }
    if (r.consumption === null) {
      return { ok: false, exception: 'CONSUMPTION_UNKNOWN', message: `reading ${r.id} (${r.register}) has no consumption`, det: { readingIds: ids }, flags };
    }
    const k = REG_INDEX[r.register];
    const c = dec4(r.consumption);
    if (k !== undefined) {
      sums[k] += c;
      seen[k] = true;
      if (k <= 4 && (!currentReadAt || r.readAt > currentReadAt)) currentReadAt = r.readAt;
    }
  }
  const touRaw = [kwhAt(sums, seen, 0), kwhAt(sums, seen, 1), kwhAt(sums, seen, 2), kwhAt(sums, seen, 3)];
  const hasTou = seen[0] || seen[1] || seen[2] || seen[3];
  let total = kwhAt(sums, seen, 4);
  if (!currentReadAt || (total === undefined && !hasTou)) {
    return { ok: false, exception: 'MISSING_READING', message: `no accepted energy reading for ${input.period}`, det: { readingIds: ids }, flags };
  }
  if (total === undefined) total = touRaw.reduce<number>((s, x) => s + (x ?? 0), 0);
  const periodEnd = billingDay(currentReadAt);
  let periodStart = input.previousReadAt ? addDays(billingDay(input.previousReadAt), 1) : input.installedOn ?? a.openedOn;
  if (periodStart > periodEnd) periodStart = periodEnd;
  const days = daysBetweenInclusive(periodStart, periodEnd);
  const det: Determinants = {
    periodStart,
    periodEnd,
    days,
    previousReadAt: input.previousReadAt ? iso(input.previousReadAt) : null,
    currentReadAt: iso(currentReadAt),
    kwh: total,
    estimated,
    meterExchange: exchange,
    readingIds: ids,
    segments: [],
  };
  if (estimated) flags.push('ESTIMATED_READING');
  if (total < 0) return { ok: false, exception: 'NEGATIVE_ENERGY', message: `energy ${total} kWh is negative`, det, flags };

  if (!a.tariffCode || input.tariffVersions.length === 0) {
    return { ok: false, exception: 'NO_TARIFF', message: a.tariffCode ? `tariff ${a.tariffCode} has no active version in the catalogue` : 'the account has no tariff', det, flags };
  }
  const inForce = versionsInForceMemo(input.tariffVersions, periodStart, periodEnd);
  if ('gap' in inForce) return { ok: false, exception: 'TARIFF_GAP', message: `tariff ${a.tariffCode}: ${inForce.gap}`, det, flags };
  const versions = inForce.versions;
  // plain loops (no per-account closures: this runs once per account of a billing run)
  let anyTou = false;
  for (const v of versions) {
    det.segments.push({
      tariffCode: v.code,
      version: String(v.version ?? ''),
      from: v.effectiveFrom > periodStart ? v.effectiveFrom : periodStart,
      to: v.effectiveTo != null && addDays(v.effectiveTo, -1) < periodEnd ? addDays(v.effectiveTo, -1) : periodEnd,
    });
    if (v.tou) anyTou = true;
  }

  const usage: Usage = { periodStart, periodEnd, kwh: total };
  if (anyTou) {
    if (!hasTou) return { ok: false, exception: 'MISSING_TOU', message: 'the tariff is time-of-use but the meter has no TOU register readings', det, flags };
    const parts = [0, 0, 0, 0];
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      const x = touRaw[i];
      parts[i] = x === undefined || x < 0 ? 0 : x;
      sum += parts[i];
    }
    const diff = total - sum;
    // rounding of several registers may differ from the rounded total by a few kWh; more is a mismatch
    if (Math.abs(diff) > Math.max(TOU_REGS.length, Math.round(total / 100))) flags.push('TOU_MISMATCH');
    const fixed = scaleTo(parts, total);
    const tou: Partial<Record<TouPeriod, number>> = {};
    for (let i = 0; i < 4; i++) if (touRaw[i] !== undefined) tou[TOU_REGS[i]] = fixed[i];
    usage.tou = tou;
    det.tou = tou;
  }
  const ladder = versions.find((v) => v.ladder);
  if (ladder) {
    usage.householdSize = a.householdSize;
    det.householdSize = a.householdSize;
    if (ladder.ladder!.cycle === 'ANNUAL') {
      usage.ladderPrevCum = Math.max(0, input.ladderPrevCumKwh);
      det.ladderPrevCum = usage.ladderPrevCum as number;
      if (a.openedOn.slice(0, 4) === input.period.slice(0, 4)) {
        usage.ladderOpenedMonth = Number(a.openedOn.slice(5, 7));
        det.ladderOpenedMonth = usage.ladderOpenedMonth;
      }
    }
  }
  if (versions.some((v) => v.basicCharge)) {
    let cap = dec4(a.capacityKva);
    if (a.suspendedCapacityKva) {
      cap = Math.max(0, cap - dec4(a.suspendedCapacityKva));
      det.suspendedCapacityKva = a.suspendedCapacityKva;
    }
    usage.capacityKva = fmt2(divRoundHalfUp(cap, 100));
    det.capacityKva = usage.capacityKva as string;
    const method = METHOD[a.basicChargeMethod];
    if (method) {
      usage.basicChargeMethod = method;
      det.basicChargeMethod = method;
    }
    if (a.contractDemandKw) {
      usage.contractDemandKw = fmt2(divRoundHalfUp(dec4(a.contractDemandKw), 100));
      det.contractDemandKw = usage.contractDemandKw as string;
    }
    const effMethod = method ?? versions.find((v) => v.basicCharge)!.basicCharge!.defaultMethod;
    if (maxDemandMilli >= 0n) {
      usage.maxDemandKw = fmt2(divRoundHalfUp(Number(maxDemandMilli), 10));
      det.maxDemandKw = usage.maxDemandKw as string;
    } else if (effMethod === 'ACTUAL_DEMAND' || effMethod === 'CONTRACT_DEMAND') {
      return { ok: false, exception: 'MISSING_DEMAND', message: 'two-part tariff billed on demand but no MAX_DEMAND reading', det, flags };
    }
    // partial first month (§3.4): days in service of the month the period starts in
    const monthStart = periodStart.slice(0, 8) + '01';
    if (a.openedOn > monthStart && a.openedOn <= periodEnd && a.openedOn.slice(0, 7) === periodStart.slice(0, 7)) {
      const y = Number(periodStart.slice(0, 4));
      const m = Number(periodStart.slice(5, 7));
      const cal = new Date(Date.UTC(y, m, 0)).getUTCDate();
      usage.daysUsed = cal - Number(a.openedOn.slice(8, 10)) + 1;
      det.daysUsed = usage.daysUsed;
    }
  }
  if (versions.some((v) => v.powerFactor)) {
    const fwd = kwhAt(sums, seen, 5);
    const rev = kwhAt(sums, seen, 6);
    if (fwd === undefined && rev === undefined) return { ok: false, exception: 'MISSING_REACTIVE', message: 'power-factor tariff but no reactive energy reading', det, flags };
    usage.reactiveKvarh = { forward: Math.abs(fwd ?? 0), reverse: Math.abs(rev ?? 0) };
    det.reactive = { forward: Math.abs(fwd ?? 0), reverse: Math.abs(rev ?? 0) };
    if (a.pfStandard) {
      usage.pfStandard = Number(a.pfStandard).toFixed(2) as Usage['pfStandard'];
      det.pfStandard = usage.pfStandard;
    }
  }
  return { ok: true, usage, versions, det, flags };
}

/**
 * What a bill keeps in its `determinants` column: the determinants minus what the bill's own
 * columns already hold (period_start, period_end, days, energy_kwh; the segments are tariff_refs)
 * and minus false flags, plus the exception message when the account could not be rated. Keeps
 * the written row narrow (the billing run writes one per account).
 * Example: `{ kwh: 350, days: 31, …, tou: {PEAK: 200, VALLEY: 150}, estimated: false }` →
 * `{ tou: {PEAK: 200, VALLEY: 150}, readingIds: […], … }`.
 */
export function storedDeterminants(det: Partial<Determinants>, exceptionMessage?: string): Record<string, unknown> {
  const { periodStart: _s, periodEnd: _e, days: _d, kwh: _k, segments: _g, estimated, meterExchange, ...rest } = det;
  const out: Record<string, unknown> = rest;
  if (estimated) out.estimated = true;
  if (meterExchange) out.meterExchange = true;
  if (exceptionMessage) out.exception = exceptionMessage;
  return out;
}
