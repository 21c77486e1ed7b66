/**
 * One account, one period: determinants → rating engine (rateBill) → review flags → a bill draft.
 * Pure. The billing run (src/app/billing/run.ts) calls this for every account of a partition.
 */
import { AppError } from '../errors.js';
import { rateBill } from '../rating/rate-bill.js';
import type { BillLine } from '../rating/types.js';
import { computeDeterminants, type DeterminantInput, type Determinants, type ExceptionCode } from './determinants.js';
import { DEFAULT_REVIEW_RULES, reviewFlags, type PriorBill, type ReviewRuleSet } from './review.js';

export interface BillDraft {
  accountId: number;
  status: 'calculated' | 'review';
  exceptionCode: ExceptionCode | null;
  exceptionMessage?: string;
  flags: string[];
  kwh: number;
  /** decimal string 元 */
  amount: string;
  lines: BillLine[];
  det: Partial<Determinants>;
  tariffCodes: string[];
  tariffRefs: Array<{ tariffCode: string; version?: string | number; from: string; to: string; days: number; kwh: string }>;
  warnings: string[];
}

export interface BillHistory {
  last?: PriorBill | null;
  lastYear?: PriorBill | null;
  /** a real bill of an earlier period exists */
  hasEarlierBill: boolean;
}

const MANUAL = /manual review/i;

export function billAccount(input: DeterminantInput, history: BillHistory, rules: ReviewRuleSet = DEFAULT_REVIEW_RULES): BillDraft {
  const d = computeDeterminants(input);
  const base = { accountId: input.account.id, lines: [] as BillLine[], tariffCodes: input.account.tariffCode ? [input.account.tariffCode] : [], tariffRefs: [], warnings: [] as string[] };
  if (!d.ok) {
    return { ...base, status: 'review', exceptionCode: d.exception, exceptionMessage: d.message, flags: [d.exception, ...d.flags], kwh: d.det.kwh ?? 0, amount: '0.00', det: d.det };
  }
  let result;
  try {
    result = rateBill({ tariff: d.versions.length === 1 ? d.versions[0] : d.versions, usage: d.usage });
  } catch (e) {
    const msg = e instanceof AppError || e instanceof Error ? e.message : String(e);
    return { ...base, status: 'review', exceptionCode: 'RATING_ERROR', exceptionMessage: msg, flags: ['RATING_ERROR', ...d.flags], kwh: d.det.kwh, amount: '0.00', det: d.det };
  }
  const firstBill = !history.hasEarlierBill && input.previousReadAt === null;
  const flags = reviewFlags(
    {
      customerClass: input.account.customerClass,
      kwh: d.det.kwh,
      amount: result.total,
      last: history.last,
      lastYear: history.lastYear,
      firstBill,
      tariffChange: result.details.segments.length > 1,
      determinantFlags: d.flags,
      manualReview: result.warnings.some((w) => MANUAL.test(w)),
    },
    rules,
  );
  return {
    ...base,
    status: flags.length ? 'review' : 'calculated',
    exceptionCode: null,
    flags,
    kwh: d.det.kwh,
    amount: result.total,
    lines: result.lines,
    det: d.det,
    tariffCodes: [...new Set(result.details.segments.map((s) => s.tariffCode))],
    tariffRefs: result.details.segments,
    warnings: result.warnings,
  };
}
