/**
 * Late fee (电费违约金), domain-cn §5.2: a daily rate on the overdue principal (欠费本金, never on
 * prior late fees: no compounding), from the first day after the due date (逾期之日) to the
 * payment day inclusive. Residential 1‰; others 2‰ on days in the bill's year (电费年份) and 3‰
 * on days in later years (跨年度). A rule set may carry a minimum total (1996: 1 元).
 *
 * Exact: fen × rate (scale 6) × days summed as BigInt, rounded half-up once to 分.
 * The SQL accrual job (src/app/payments/late-fees.ts) computes the same formula with numeric.
 */
import { divRoundHalfUpBig, parseScaled } from '../money/decimal.js';
import { addDays, dayNumber } from './dates.js';

export interface LateFeeRuleSet {
  id?: number;
  code: string;
  effectiveFrom: string;
  /** daily rates as decimal strings, e.g. "0.001" = 1‰ */
  residentialRate: string;
  otherCurrentRate: string;
  otherCrossYearRate: string;
  /** minimum total late fee of a receivable in 元, or null */
  minFee: string | null;
}

/** The two rule sets shipped as data (migration 20261128T0300_payments.sql). */
export const RULES_1996: LateFeeRuleSet = { code: 'GY1996', effectiveFrom: '1996-10-08', residentialRate: '0.001', otherCurrentRate: '0.002', otherCrossYearRate: '0.003', minFee: '1.00' };
export const RULES_2024: LateFeeRuleSet = { code: 'GY2024', effectiveFrom: '2024-06-01', residentialRate: '0.001', otherCurrentRate: '0.002', otherCrossYearRate: '0.003', minFee: null };

export const RESIDENTIAL_CLASS = 'residential';

export interface LateFeeInput {
  principalFen: number;
  customerClass: string;
  /** 电费年月 YYYY-MM: its year is the 电费年份 for the cross-year rate */
  period: string;
  /** first day charged (the day after the due date, or after the last charge / waiver) */
  fromDate: string;
  /** last day charged, inclusive (the payment day or the accrual day) */
  toDate: string;
}

export interface LateFeeResult {
  feeFen: number;
  days: number;
  daysCurrentYear: number;
  daysCrossYear: number;
}

/**
 * Late fee of one receivable over [fromDate, toDate] (inclusive), before any minimum.
 * Example (P-1): 300.00 元 residential, due 2024-07-15, paid 2024-08-04 →
 * `lateFee(RULES_2024, { principalFen: 30000, customerClass: 'residential', period: '2024-06', fromDate: '2024-07-16', toDate: '2024-08-04' }).feeFen === 600`.
 */
export function lateFee(rs: LateFeeRuleSet, i: LateFeeInput): LateFeeResult {
  const days = Math.max(0, dayNumber(i.toDate) - dayNumber(i.fromDate) + 1);
  if (days === 0 || i.principalFen <= 0) return { feeFen: 0, days, daysCurrentYear: days, daysCrossYear: 0 };
  const year = Number(i.period.slice(0, 4));
  const yearEnd = `${year}-12-31`;
  // days up to the end of the bill's year are 当年; the rest 跨年度
  const curEnd = i.toDate < yearEnd ? i.toDate : yearEnd;
  const daysCurrentYear = Math.max(0, dayNumber(curEnd) - dayNumber(i.fromDate) + 1);
  const daysCrossYear = days - daysCurrentYear;
  let rateDays: bigint;
  if (i.customerClass === RESIDENTIAL_CLASS) {
    rateDays = BigInt(parseScaled(rs.residentialRate, 6)) * BigInt(days);
  } else {
    rateDays = BigInt(parseScaled(rs.otherCurrentRate, 6)) * BigInt(daysCurrentYear) + BigInt(parseScaled(rs.otherCrossYearRate, 6)) * BigInt(daysCrossYear);
  }
  const feeFen = Number(divRoundHalfUpBig(BigInt(i.principalFen) * rateDays, 1_000_000n));
  return { feeFen, days, daysCurrentYear, daysCrossYear };
}

/**
 * Apply the rule set's minimum to the receivable's total: when something is owed but the total
 * (already charged + new) is below the minimum, the new charge tops it up to the minimum.
 * Example (P-3, 1996): charged 0, new 6 fen → 100 fen (1.00 元).
 */
export function withMinimum(rs: LateFeeRuleSet, chargedFen: number, newFeeFen: number): number {
  if (rs.minFee === null || newFeeFen <= 0) return newFeeFen;
  const min = parseScaled(rs.minFee, 2);
  return chargedFen + newFeeFen < min ? min - chargedFen : newFeeFen;
}

/** The first day a receivable's late fee is counted from: day after max(due, charged through, waived through). */
export function feeFromDate(dueDate: string, feeThrough: string | null, waivedThrough: string | null): string {
  let d = dueDate;
  if (feeThrough && feeThrough > d) d = feeThrough;
  if (waivedThrough && waivedThrough > d) d = waivedThrough;
  return addDays(d, 1);
}

/** The rule set in force on a day: latest effectiveFrom ≤ day. */
export function ruleSetOn<T extends { effectiveFrom: string }>(sets: T[], day: string): T | null {
  let best: T | null = null;
  for (const s of sets) if (s.effectiveFrom <= day && (!best || s.effectiveFrom > best.effectiveFrom)) best = s;
  return best;
}
