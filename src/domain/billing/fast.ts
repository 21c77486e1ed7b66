/**
 * Fast path of {@link billAccount} for billing runs: the same determinants, then — when the period
 * has ONE tariff version in force and nothing unusual happens — rating straight through the
 * numeric core (`compileTariff` + `rateSegment`, amounts in 分) instead of the string API
 * (`rateBill`: parse usage strings, validate, split, format). Everything the fast path does not
 * handle itself (exceptions, a tariff change inside the period, TOU registers not adding up to
 * the total, a value the engine would refuse, a rating warning other than the household one)
 * goes to `billAccount` unchanged, so the result is identical by construction for those; for the
 * rest it mirrors `rateBill`'s single-segment steps one for one (money per architecture §3,
 * rounding per domain-cn §0.4). test/integration/billing-fastpath.test.ts and the domain test
 * compare the two paths on random accounts of every class: same lines, totals, flags, refs.
 *
 * Pure; caches compiled tariffs per version object (compileTariff's own cache).
 */
import { formatMoney, parseQty } from '../money/decimal.js';
import { daysInMonth, dayNumber } from '../rating/calendar.js';
import { compileTariff, METHOD_CODE, type CompiledTariff } from '../rating/compile.js';
import { LineSink, SegmentInput, pfAdjustmentHundredths, powerFactorHundredths, rateSegment } from '../rating/engine.js';
import { formatLine } from '../rating/rate-bill.js';
import type { BillLine } from '../rating/types.js';
import { divRoundHalfUp } from '../money/decimal.js';
import { billAccount, type BillDraft, type BillHistory } from './bill-account.js';
import { computeDeterminants, type DeterminantInput } from './determinants.js';
import { DEFAULT_REVIEW_RULES, reviewFlags, type ReviewRuleSet } from './review.js';

const PF_STANDARDS = new Set(['0.90', '0.85', '0.80']);
const MANUAL = /manual review/i;
const T_FIXED_RULE = 'tariff fixed monthly charge';

const dayMemo = new Map<string, number | undefined>();
/** rating/calendar dayNumber, memoised; undefined for a date it refuses (the generic path reports it). */
function dayNo(date: string): number | undefined {
  let n = dayMemo.get(date);
  if (n === undefined && !dayMemo.has(date)) {
    try {
      n = dayNumber(date);
    } catch {
      n = undefined;
    }
    if (dayMemo.size >= 50_000) dayMemo.clear();
    dayMemo.set(date, n);
  }
  return n;
}

/** A TOU register the fast path takes as is: absent, or a non-negative integer kWh (the engine refuses negatives). */
function touOk(x: unknown): boolean {
  return x === undefined || (typeof x === 'number' && Number.isInteger(x) && x >= 0);
}

/** Reusable scratch state (one per worker). */
export class FastBiller {
  private sink = new LineSink();
  private si = new SegmentInput();
  private thr: number[] = [];
  /** bills rated by the fast path / handed to the generic path (for the bench and tests) */
  fast = 0;
  generic = 0;

  constructor(private rules: ReviewRuleSet = DEFAULT_REVIEW_RULES) {}

  /** Same contract and result as `billAccount(input, history, rules)`. */
  bill(input: DeterminantInput, history: BillHistory): BillDraft {
    const d = computeDeterminants(input);
    if (!d.ok || d.versions.length !== 1) return this.slow(input, history);
    const v = d.versions[0];
    const u = d.usage;
    const ct = compileTariff(v);
    const start = dayNo(u.periodStart);
    const end = dayNo(u.periodEnd);
    if (start === undefined || end === undefined || end < start) return this.slow(input, history);
    const D = end - start + 1;
    const month = Number(u.periodStart.slice(5, 7));
    const warnings: string[] = [];

    // --- energy (determinants give integer kWh; TOU already reconciled to the total)
    const kwh = u.kwh as number;
    if (!Number.isInteger(kwh) || kwh < 0) return this.slow(input, history);
    const total = kwh * 100;
    const e = this.si.e;
    e[0] = e[1] = e[2] = e[3] = e[4] = 0;
    if (u.tou) {
      const t = u.tou;
      const x0 = t.SHARP, x1 = t.PEAK, x2 = t.FLAT, x3 = t.VALLEY, x4 = t.DEEP;
      if (!touOk(x0) || !touOk(x1) || !touOk(x2) || !touOk(x3) || !touOk(x4)) return this.slow(input, history);
      e[0] = x0 === undefined ? 0 : (x0 as number) * 100;
      e[1] = x1 === undefined ? 0 : (x1 as number) * 100;
      e[2] = x2 === undefined ? 0 : (x2 as number) * 100;
      e[3] = x3 === undefined ? 0 : (x3 as number) * 100;
      e[4] = x4 === undefined ? 0 : (x4 as number) * 100;
      if (e[0] + e[1] + e[2] + e[3] + e[4] !== total) return this.slow(input, history); // reconcile warning: generic path
    } else {
      if (ct.hasTou) return this.slow(input, history);
      e[2] = total;
    }

    // --- PF (§4.2)
    let pf100 = -1;
    if (ct.pf) {
      const r = u.reactiveKvarh;
      if (!r || typeof r.forward !== 'number' || typeof r.reverse !== 'number' || !Number.isInteger(r.forward) || !Number.isInteger(r.reverse)) return this.slow(input, history);
      const fwd = Math.abs(r.forward * 100);
      const rev = Math.abs(r.reverse * 100);
      const Q = ct.pf.absSum ? fwd + rev : fwd;
      if (total === 0) {
        if (Q > 0) return this.slow(input, history); // manual-review warning: generic path
      } else pf100 = powerFactorHundredths(total, Q);
    }
    if (u.pfStandard !== undefined && !PF_STANDARDS.has(u.pfStandard)) return this.slow(input, history);

    // --- ladder
    const prev = u.ladderPrevCum === undefined ? 0 : (u.ladderPrevCum as number);
    if (typeof prev !== 'number' || !Number.isInteger(prev) || prev < 0) return this.slow(input, history);
    const prevCum0 = prev * 100;
    if (prevCum0 > 0 && ct.ladder && !ct.ladder.annual) warnings.push('usage.ladderPrevCum ignored: monthly ladder (domain-cn §1.3)');
    const hh = u.householdSize;
    if (hh !== undefined && (!Number.isInteger(hh) || hh < 1)) return this.slow(input, history);

    // --- basic charge inputs
    const method = u.basicChargeMethod === undefined ? -1 : METHOD_CODE[u.basicChargeMethod];
    if (method === undefined) return this.slow(input, history);
    let capacity = -1;
    let contract = -1;
    let maxDemand = -1;
    try {
      if (u.capacityKva !== undefined) capacity = parseQty(u.capacityKva);
      if (u.contractDemandKw !== undefined) contract = parseQty(u.contractDemandKw);
      if (u.maxDemandKw !== undefined) maxDemand = parseQty(u.maxDemandKw);
    } catch {
      return this.slow(input, history);
    }
    if ((u.capacityKva !== undefined && capacity < 0) || (u.contractDemandKw !== undefined && contract < 0) || (u.maxDemandKw !== undefined && maxDemand < 0)) return this.slow(input, history);
    let daysUsed = -1;
    let calDays = -1;
    if (u.daysUsed !== undefined) {
      if (!Number.isInteger(u.daysUsed) || u.daysUsed < 0) return this.slow(input, history);
      daysUsed = u.daysUsed;
      calDays = u.calendarDays ?? daysInMonth(Number(u.periodStart.slice(0, 4)), month);

      if (daysUsed > calDays) return this.slow(input, history);
    }

    // --- one segment through the numeric core (same steps as rateBill)
    const si = this.si;
    const sink = this.sink;
    sink.reset();
    si.month = month;
    si.total = total;
    si.prevCum = ct.ladder?.annual ? prevCum0 : 0;
    if (ct.ladder) {
      si.thresholds = this.thresholds(ct, hh, u.ladderOpenedMonth, D, warnings);
      if (si.thresholds.length === 1 && Number.isNaN(si.thresholds[0])) return this.slow(input, history);
    }
    si.method = method;
    si.capacity = capacity;
    si.contract = contract;
    si.maxDemand = maxDemand;
    si.billKwh = total;
    const basis = ct.rules.partialMonthBasis === 'DAYS_30' ? 30 : calDays;
    if (daysUsed >= 0) {
      si.prorNum = daysUsed * D;
      si.prorDen = basis * D;
    } else {
      si.prorNum = D;
      si.prorDen = D;
    }
    si.pfPctH = Number.NaN;
    if (ct.pf && pf100 >= 0) si.pfPctH = pfAdjustmentHundredths(ct, u.pfStandard ?? ct.pf.standard, pf100);
    sink.seg = 0;
    try {
      rateSegment(ct, si, sink);
    } catch {
      return this.slow(input, history); // the generic path turns it into RATING_ERROR with its message
    }
    for (const w of sink.warnings) warnings.push(w);
    for (const f of ct.fixed) {
      sink.push({ code: `FIXED_${f.code}`, name: f.name, unit: '月', rule: T_FIXED_RULE, kind: 'QTY' }, 100, f.amount * 10_000, f.amount);
    }
    if (ct.minimum >= 0 && sink.total < ct.minimum) {
      const top = ct.minimum - sink.total;
      sink.push({ code: 'MINIMUM_TOPUP', name: { zh: '最低电费补足', en: 'Minimum charge top-up' }, unit: '元', rule: 'tariff minimum monthly charge', kind: 'MONEY' }, top, 1_000_000, top);
    }
    const lines: BillLine[] = new Array(sink.n);
    for (let i = 0; i < sink.n; i++) lines[i] = formatLine(sink.tpl[i], sink.qty[i], sink.price[i], sink.amount[i], 0);
    const amount = formatMoney(sink.total);

    const firstBill = !history.hasEarlierBill && input.previousReadAt === null;
    const flags = reviewFlags(
      {
        customerClass: input.account.customerClass,
        kwh: d.det.kwh,
        amount,
        last: history.last,
        lastYear: history.lastYear,
        firstBill,
        tariffChange: false,
        determinantFlags: d.flags,
        manualReview: warnings.length > 0 && warnings.some((w) => MANUAL.test(w)),
      },
      this.rules,
    );
    this.fast++;
    return {
      accountId: input.account.id,
      status: flags.length ? 'review' : 'calculated',
      exceptionCode: null,
      flags,
      kwh: d.det.kwh,
      amount,
      lines,
      det: d.det,
      tariffCodes: [v.code],
      tariffRefs: [{ tariffCode: v.code, version: v.version, from: u.periodStart, to: u.periodEnd, days: D, kwh: String(kwh) }],
      warnings,
    };
  }

  private slow(input: DeterminantInput, history: BillHistory): BillDraft {
    this.generic++;
    return billAccount(input, history, this.rules);
  }

  /** rate-bill.ts ladderThresholds for a single segment (k = 0, one segment of D days). */
  private thresholds(ct: CompiledTariff, hh: number | undefined, openedMonth: number | undefined, D: number, warnings: string[]): number[] {
    const L = ct.ladder!;
    const R = ct.rules;
    const out = this.thr;
    out.length = 0;
    const addPerMonth = hh !== undefined && hh >= R.household.minSize ? R.household.addKwhPerMonth : 0;
    for (let i = 0; i < L.thresholds.length; i++) {
      let t = L.thresholds[i];
      if (addPerMonth && (R.household.scope === 'ALL_THRESHOLDS' || i === 0)) t += addPerMonth * (L.annual ? 12 : 1);
      if (L.annual) {
        if (openedMonth !== undefined) {
          const m = openedMonth;
          if (!Number.isInteger(m) || m < 1 || m > 12) {
            out.length = 0;
            out.push(Number.NaN); // generic path gives the ValidationError
            return out;
          }
          t = divRoundHalfUp(t * (13 - m), 12);
        }
      } else if (R.ladderProration === 'MONTHS') {
        // t × usage.ladderMonths: the determinants never set it (1)
      } else if (D < R.standardPeriodDays[0] || D > R.standardPeriodDays[1]) t = divRoundHalfUp(t * D, 30);
      out.push(t * 100);
    }
    if (addPerMonth) warnings.push(`household of ${hh}: ladder thresholds +${addPerMonth} kWh/month (${R.household.scope}, domain-cn §1.7)`);
    return out;
  }
}
