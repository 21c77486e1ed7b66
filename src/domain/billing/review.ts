/**
 * Review rules (电费审核规则) as data: which bills a checker must look at before issue.
 * Thresholds are a versioned rule set (defaults below; override per utility) — never code.
 * All comparisons are exact (amounts in 分, energy in integer kWh).
 */
import { parseMoney } from '../money/decimal.js';

export type ReviewFlag =
  | 'AMOUNT_VS_LAST'
  | 'KWH_VS_LAST'
  | 'AMOUNT_VS_LAST_YEAR'
  | 'KWH_VS_LAST_YEAR'
  | 'ZERO_ENERGY'
  | 'ESTIMATED_READING'
  | 'FIRST_BILL'
  | 'TARIFF_CHANGE'
  | 'LARGE_AMOUNT'
  | 'TOU_MISMATCH'
  | 'RATING_WARNING';

export interface ReviewRuleSet {
  version: string;
  /** flag when amount / kWh differ from the base by more than this share (0.5 = ±50 %) */
  changeRatio: string;
  /** comparisons are skipped when the base energy is below this (kWh) … */
  minBaseKwh: number;
  /** … or the base amount below this (元) */
  minBaseAmount: string;
  /** flag bills above this amount (元), per customer class, `default` for the others */
  largeAmount: Record<string, string>;
  /** rules switched off by code */
  disabled: string[];
}

export const DEFAULT_REVIEW_RULES: ReviewRuleSet = {
  version: '2026-11-28.1',
  changeRatio: '0.5',
  minBaseKwh: 10,
  minBaseAmount: '5.00',
  largeAmount: { residential: '2000.00', commercial: '100000.00', large_industrial: '2000000.00', agricultural: '50000.00', default: '100000.00' },
  disabled: [],
};

/** Every flag and exception with its text for the checker (zh/en) and whether it blocks approval. */
export const FLAG_INFO: Record<string, { zh: string; en: string; exception?: boolean }> = {
  AMOUNT_VS_LAST: { zh: '电费较上期变化超过阈值', en: 'Amount differs from last period beyond the threshold' },
  KWH_VS_LAST: { zh: '电量较上期变化超过阈值', en: 'Energy differs from last period beyond the threshold' },
  AMOUNT_VS_LAST_YEAR: { zh: '电费较去年同期变化超过阈值', en: 'Amount differs from the same period last year beyond the threshold' },
  KWH_VS_LAST_YEAR: { zh: '电量较去年同期变化超过阈值', en: 'Energy differs from the same period last year beyond the threshold' },
  ZERO_ENERGY: { zh: '零电量', en: 'Zero energy' },
  ESTIMATED_READING: { zh: '估抄示数', en: 'Estimated reading' },
  FIRST_BILL: { zh: '首次出账', en: 'First bill of the account' },
  TARIFF_CHANGE: { zh: '计费期内调价分劈', en: 'Tariff change inside the period (split by days)' },
  LARGE_AMOUNT: { zh: '大额电费', en: 'Amount above the large-bill threshold' },
  TOU_MISMATCH: { zh: '分时示数之和与总示数不符', en: 'TOU registers do not add up to the total' },
  RATING_WARNING: { zh: '计费引擎提示需人工复核', en: 'The rating engine asks for manual review' },
  MISSING_READING: { zh: '缺少本期有效示数', en: 'No accepted reading for the period', exception: true },
  CONSUMPTION_UNKNOWN: { zh: '示数电量未知', en: 'Reading consumption unknown', exception: true },
  ZERO_MULTIPLIER: { zh: '综合倍率为零', en: 'Multiplier is zero', exception: true },
  NEGATIVE_ENERGY: { zh: '负电量', en: 'Negative energy', exception: true },
  NO_TARIFF: { zh: '未配置电价', en: 'No tariff', exception: true },
  TARIFF_GAP: { zh: '电价版本有空档', en: 'Gap between tariff versions', exception: true },
  MISSING_TOU: { zh: '分时电价缺少分时示数', en: 'TOU tariff without TOU readings', exception: true },
  MISSING_REACTIVE: { zh: '力调电价缺少无功示数', en: 'Power-factor tariff without reactive readings', exception: true },
  MISSING_DEMAND: { zh: '需量计费缺少最大需量', en: 'Demand billing without a maximum-demand reading', exception: true },
  RATING_ERROR: { zh: '计费失败', en: 'Rating failed', exception: true },
};

export interface PriorBill {
  kwh: number;
  /** decimal string 元 */
  amount: string;
}

export interface ReviewContext {
  customerClass: string;
  kwh: number;
  amount: string;
  last?: PriorBill | null;
  lastYear?: PriorBill | null;
  firstBill: boolean;
  tariffChange: boolean;
  /** flags already raised by the determinants (ESTIMATED_READING, TOU_MISMATCH) */
  determinantFlags: string[];
  /** rating warnings that ask for manual review */
  manualReview: boolean;
}

/** true when `cur` is outside base × (1 ± ratio); ratio as a decimal string, exact. */
export function beyond(cur: number, base: number, ratio: string): boolean {
  const r = Math.round(Number(ratio) * 10_000);
  const c = cur * 10_000;
  return c > base * (10_000 + r) || c < base * (10_000 - r);
}

const FEN_RE = /^-?\d+\.\d\d$/;
/** 元 string → 分; the engine's totals always have 2 decimals (fast path), anything else is parsed exactly. */
function fen(s: string, field: string): number {
  const n = s.length;
  if (n >= 4 && n <= 15 && s.charCodeAt(n - 3) === 46) {
    // d…d.dd (optionally negative): digits only around the dot
    const v = Number(s.slice(0, n - 3)) * 100;
    const c1 = s.charCodeAt(n - 2) - 48;
    const c2 = s.charCodeAt(n - 1) - 48;
    if (Number.isInteger(v) && c1 >= 0 && c1 <= 9 && c2 >= 0 && c2 <= 9 && FEN_RE.test(s)) return s.charCodeAt(0) === 45 ? v - c1 * 10 - c2 : v + c1 * 10 + c2;
  }
  return FEN_RE.test(s) ? Number(s.replace('.', '')) : parseMoney(s, field);
}

const compiled = new WeakMap<ReviewRuleSet, { minAmt: number; large: Map<string, number>; order: string[] }>();
function compile(rules: ReviewRuleSet) {
  let c = compiled.get(rules);
  if (!c) {
    c = {
      minAmt: parseMoney(rules.minBaseAmount, 'minBaseAmount'),
      large: new Map(Object.entries(rules.largeAmount).map(([k, v]) => [k, parseMoney(v, `largeAmount.${k}`)])),
      order: Object.keys(FLAG_INFO),
    };
    compiled.set(rules, c);
  }
  return c;
}

function addFlag(out: string[], f: string): void {
  if (!out.includes(f)) out.push(f);
}

function compareTo(out: string[], ctx: ReviewContext, amt: number, base: PriorBill | null | undefined, kwhFlag: ReviewFlag, amtFlag: ReviewFlag, rules: ReviewRuleSet, minAmt: number): void {
  if (!base) return;
  if (base.kwh >= rules.minBaseKwh && beyond(ctx.kwh, base.kwh, rules.changeRatio)) addFlag(out, kwhFlag);
  const b = fen(base.amount, 'amount');
  if (b >= minAmt && beyond(amt, b, rules.changeRatio)) addFlag(out, amtFlag);
}

/** Apply the rule set; returns the flags in a stable order. */
export function reviewFlags(ctx: ReviewContext, rules: ReviewRuleSet = DEFAULT_REVIEW_RULES): string[] {
  const c = compile(rules);
  const out: string[] = [];
  const amt = fen(ctx.amount, 'amount');
  compareTo(out, ctx, amt, ctx.last, 'KWH_VS_LAST', 'AMOUNT_VS_LAST', rules, c.minAmt);
  compareTo(out, ctx, amt, ctx.lastYear, 'KWH_VS_LAST_YEAR', 'AMOUNT_VS_LAST_YEAR', rules, c.minAmt);
  if (ctx.kwh === 0) addFlag(out, 'ZERO_ENERGY');
  for (const f of ctx.determinantFlags) addFlag(out, f);
  if (ctx.firstBill) addFlag(out, 'FIRST_BILL');
  if (ctx.tariffChange) addFlag(out, 'TARIFF_CHANGE');
  const large = c.large.get(ctx.customerClass) ?? c.large.get('default');
  if (large !== undefined && amt > large) addFlag(out, 'LARGE_AMOUNT');
  if (ctx.manualReview) addFlag(out, 'RATING_WARNING');
  if (out.length === 0) return out;
  return out.filter((f) => !rules.disabled.includes(f)).sort((a, b) => c.order.indexOf(a) - c.order.indexOf(b));
}
