/**
 * Validation, estimation, editing (VEE) of register readings: pure functions, no I/O.
 * Numbers are exact: register values are decimal strings (<= 4 decimals), computed as BigInt
 * scaled by 10^4; consumption = (current - previous) x multiplier, rounded half-up to 4 decimals.
 * Rules are data: a versioned rule set with thresholds (DEFAULT_RULE_SET); every result carries
 * a rule code, a severity and a message in Chinese and English.
 */

export const REGISTERS = ['TOTAL', 'SHARP', 'PEAK', 'FLAT', 'VALLEY', 'REVERSE', 'REACTIVE', 'REACTIVE_REV', 'MAX_DEMAND'] as const;
export type Register = (typeof REGISTERS)[number];
/** registers whose value only grows (energy); MAX_DEMAND is an instantaneous maximum */
export const CUMULATIVE: readonly string[] = REGISTERS.filter((r) => r !== 'MAX_DEMAND');
export const TOU_REGISTERS = ['SHARP', 'PEAK', 'FLAT', 'VALLEY'] as const;

export const EXCEPTION_CODES = {
  DOOR_LOCKED: { zh: '门闭', en: 'Door locked' },
  STOPPED: { zh: '表计停走', en: 'Meter stopped' },
  REVERSED: { zh: '倒走', en: 'Meter running backwards' },
  UNREADABLE: { zh: '示数不清', en: 'Display unreadable' },
  FAULTY: { zh: '表计故障', en: 'Meter faulty' },
} as const;
export type ExceptionCode = keyof typeof EXCEPTION_CODES;

export const SOURCES = ['manual', 'phone', 'import', 'headend', 'estimate', 'exchange'] as const;
export type Source = (typeof SOURCES)[number];

export type Severity = 'error' | 'warning' | 'info';
export interface RuleResult {
  rule: string;
  severity: Severity;
  zh: string;
  en: string;
  details?: Record<string, unknown>;
}

export interface VeeRuleSet {
  version: string;
  /** a current-period daily rate above (1 + spikeRatio) x history flags SPIKE */
  spikeRatio: number;
  /** a current-period daily rate below (1 - dropRatio) x history flags DROP */
  dropRatio: number;
  /** history daily rates below this (kWh/day, after multiplier) are too small to judge spike/drop */
  minHistoryDailyKwh: number;
  /** a backwards register is read as a rollover only when the rollover consumption is at most this fraction of the register range */
  rolloverMaxFraction: number;
  /** sum of TOU register advances vs TOTAL advance: allowed |diff| <= abs + rel x total advance (register units) */
  sumToleranceAbs: number;
  sumToleranceRel: number;
  /** MAX_DEMAND x multiplier above contract demand x (1 + tolerance) flags DEMAND_ABOVE_CONTRACT */
  demandTolerance: number;
  /** readings stamped later than now + this many minutes are refused */
  futureSkewMinutes: number;
  /** zero consumption while history shows at least this many kWh/day flags ZERO_WITH_LOAD */
  zeroLoadDailyKwh: number;
}

export const DEFAULT_RULE_SET: Readonly<VeeRuleSet> = Object.freeze({
  version: '2026-11-27.1',
  spikeRatio: 0.5,
  dropRatio: 0.5,
  minHistoryDailyKwh: 0.1,
  rolloverMaxFraction: 0.1,
  sumToleranceAbs: 0.1,
  sumToleranceRel: 0.01,
  demandTolerance: 0,
  futureSkewMinutes: 10,
  zeroLoadDailyKwh: 0.5,
});

export function ruleSet(overrides: Partial<VeeRuleSet> = {}): VeeRuleSet {
  return { ...DEFAULT_RULE_SET, ...overrides };
}

// ---- exact decimals -------------------------------------------------------------------------

const SCALE = 4;
const ONE = 10n ** BigInt(SCALE);

export function toScaled(s: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,4}))?$/.exec(s.trim());
  if (!m) throw new Error(`not a decimal: ${s}`);
  const v = BigInt(m[2]) * ONE + BigInt((m[3] ?? '').padEnd(SCALE, '0'));
  return m[1] ? -v : v;
}

export function fromScaled(v: bigint, decimals = SCALE): string {
  const neg = v < 0n;
  let a = neg ? -v : v;
  if (decimals < SCALE) {
    const f = 10n ** BigInt(SCALE - decimals);
    a = (a + f / 2n) / f;
  }
  const d = 10n ** BigInt(decimals);
  const int = a / d;
  const frac = decimals ? '.' + (a % d).toString().padStart(decimals, '0') : '';
  return (neg && a !== 0n ? '-' : '') + int.toString() + frac;
}

/** value x multiplier, both scaled 10^4, result scaled 10^4 rounded half-up (away from zero) */
function mulScaled(a: bigint, b: bigint): bigint {
  const p = a * b;
  const neg = p < 0n;
  const q = ((neg ? -p : p) + ONE / 2n) / ONE;
  return neg ? -q : q;
}

export type ParsedValue = { ok: true; value: string } | { ok: false; result: RuleResult };

/** Check a reading as typed: numeric, non-negative, at most `digits` integer and `decimals` fraction digits. */
export function parseReadingValue(raw: unknown, digits: number, decimals: number): ParsedValue {
  const s = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) {
    return { ok: false, result: { rule: 'NOT_NUMERIC', severity: 'error', zh: `示数不是非负数字: ${JSON.stringify(raw)}`, en: `reading is not a non-negative number: ${JSON.stringify(raw)}` } };
  }
  const int = m[1].replace(/^0+(?=\d)/, '');
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (int.length > digits || frac.length > Math.min(decimals, SCALE)) {
    return {
      ok: false,
      result: {
        rule: 'TOO_MANY_DIGITS', severity: 'error',
        zh: `示数位数超出表计 (${digits} 位整数, ${decimals} 位小数)`, en: `reading has more digits than the meter (${digits} integer, ${decimals} decimal)`,
        details: { digits, decimals, value: s },
      },
    };
  }
  return { ok: true, value: fromScaled(toScaled(`${int}${frac ? '.' + frac : ''}`)) };
}

// ---- consumption ------------------------------------------------------------------------------

export interface Consumption {
  /** register advance in meter units (after rollover handling) */
  advance: string;
  /** advance x multiplier */
  kwh: string;
  rollover: boolean;
}

/**
 * 抄见电量 = (本次 - 上次) x 综合倍率. When current < previous and `allowRollover`, the register
 * wrapped: advance = (10^digits - previous) + current (§5.3). Returns null when current < previous
 * and rollover is not allowed.
 */
export function consumption(previous: string, current: string, multiplier: string, digits: number, allowRollover = true): Consumption | null {
  const p = toScaled(previous), c = toScaled(current);
  let adv = c - p;
  let rollover = false;
  if (adv < 0n) {
    if (!allowRollover) return null;
    adv = 10n ** BigInt(digits) * ONE - p + c;
    rollover = true;
  }
  return { advance: fromScaled(adv), kwh: fromScaled(mulScaled(adv, toScaled(multiplier))), rollover };
}

/** Consumption across a meter exchange: (old final - previous) x old multiplier + (new current - new initial) x new multiplier. */
export function exchangeConsumption(
  old: { previous: string; final: string; multiplier: string; digits: number },
  nu: { initial: string; current: string; multiplier: string; digits: number },
): { kwh: string; oldKwh: string; newKwh: string } {
  const a = consumption(old.previous, old.final, old.multiplier, old.digits)!;
  const b = consumption(nu.initial, nu.current, nu.multiplier, nu.digits)!;
  return { kwh: fromScaled(toScaled(a.kwh) + toScaled(b.kwh)), oldKwh: a.kwh, newKwh: b.kwh };
}

// ---- validation -------------------------------------------------------------------------------

export interface MeterInfo {
  digits: number;
  decimals: number;
  multiplier: string;
}

export interface HistoryPoint {
  /** consumption (kWh, after multiplier) over `days` days */
  kwh: string;
  days: number;
}

export interface ReadingCheckInput {
  register: string;
  /** the reading as typed (string/number), or null with an exception code (e.g. 门闭) */
  value: unknown;
  readAt: Date;
  now: Date;
  meter: MeterInfo;
  exceptionCode?: string | null;
  /** the previous accepted/estimated reading of this register on this meter (or the install reading) */
  previous?: { value: string; readAt: Date } | null;
  /**
   * consumption already registered on the meter this one replaced since the previous reading
   * (old final - previous) x old multiplier; set when `previous` is the new meter's initial reading
   */
  exchangeKwh?: string | null;
  /** recent periods of this register, newest first */
  history?: HistoryPoint[];
  /** contract demand (kW) for MAX_DEMAND */
  contractDemandKw?: string | null;
}

export interface ReadingCheck {
  /** normalised value (4 decimals), null when none was given or it was refused */
  value: string | null;
  consumption: Consumption | null;
  /** consumption including the exchanged meter's part */
  kwh: string | null;
  results: RuleResult[];
  /** rejected: an error result; pending_review: a warning; accepted otherwise */
  status: 'accepted' | 'pending_review' | 'rejected';
  flags: string[];
  ruleSetVersion: string;
}

const DAY = 86_400_000;

export function checkReading(input: ReadingCheckInput, rules: VeeRuleSet = DEFAULT_RULE_SET): ReadingCheck {
  const results: RuleResult[] = [];
  const out = (value: string | null, cons: Consumption | null, kwh: string | null): ReadingCheck => {
    const status = results.some((r) => r.severity === 'error') ? 'rejected' : results.some((r) => r.severity === 'warning') ? 'pending_review' : 'accepted';
    return { value, consumption: cons, kwh, results, status, flags: [...new Set(results.map((r) => r.rule))], ruleSetVersion: rules.version };
  };
  if (!(REGISTERS as readonly string[]).includes(input.register)) {
    results.push({ rule: 'UNKNOWN_REGISTER', severity: 'error', zh: `未知寄存器 ${input.register}`, en: `unknown register ${input.register}` });
    return out(null, null, null);
  }
  if (Number.isNaN(input.readAt.getTime())) {
    results.push({ rule: 'BAD_TIMESTAMP', severity: 'error', zh: '抄表时间无效', en: 'invalid reading time' });
    return out(null, null, null);
  }
  if (input.readAt.getTime() > input.now.getTime() + rules.futureSkewMinutes * 60_000) {
    results.push({ rule: 'FUTURE_TIMESTAMP', severity: 'error', zh: '抄表时间晚于当前时间', en: 'reading time is in the future', details: { readAt: input.readAt.toISOString() } });
  }
  const exc = input.exceptionCode ?? null;
  if (exc !== null && !(exc in EXCEPTION_CODES)) {
    results.push({ rule: 'UNKNOWN_EXCEPTION', severity: 'error', zh: `未知异常代码 ${exc}`, en: `unknown exception code ${exc}` });
  }
  if (exc && exc in EXCEPTION_CODES) {
    const e = EXCEPTION_CODES[exc as ExceptionCode];
    results.push({ rule: 'EXCEPTION_REPORTED', severity: 'warning', zh: `现场异常: ${e.zh}`, en: `field exception: ${e.en}`, details: { exceptionCode: exc } });
  }
  if (input.value === null || input.value === undefined || input.value === '') {
    if (!exc) results.push({ rule: 'MISSING_VALUE', severity: 'error', zh: '缺少示数 (无示数时须填写异常代码)', en: 'value missing (give an exception code when there is no value)' });
    return out(null, null, null);
  }
  const parsed = parseReadingValue(input.value, input.meter.digits, input.meter.decimals);
  if (!parsed.ok) {
    results.push(parsed.result);
    return out(null, null, null);
  }
  const value = parsed.value;
  if (results.some((r) => r.severity === 'error')) return out(value, null, null);

  if (input.register === 'MAX_DEMAND') {
    if (input.contractDemandKw && Number(input.contractDemandKw) > 0) {
      const kw = toScaled(value) * toScaled(input.meter.multiplier) / ONE;
      const limit = Number(input.contractDemandKw) * (1 + rules.demandTolerance);
      if (Number(fromScaled(kw)) > limit) {
        results.push({
          rule: 'DEMAND_ABOVE_CONTRACT', severity: 'warning',
          zh: `最大需量 ${fromScaled(kw, 2)} kW 超过合同需量 ${input.contractDemandKw} kW`, en: `maximum demand ${fromScaled(kw, 2)} kW exceeds the contract demand ${input.contractDemandKw} kW`,
          details: { demandKw: fromScaled(kw), contractDemandKw: input.contractDemandKw },
        });
      }
    }
    return out(value, null, null);
  }

  const prev = input.previous;
  if (!prev) return out(value, null, null);
  if (input.readAt.getTime() <= prev.readAt.getTime()) {
    results.push({ rule: 'NOT_AFTER_PREVIOUS', severity: 'warning', zh: '抄表时间不晚于上次抄表', en: 'reading time is not after the previous reading', details: { previousReadAt: prev.readAt.toISOString() } });
  }
  let cons = consumption(prev.value, value, input.meter.multiplier, input.meter.digits, true)!;
  if (cons.rollover) {
    const range = 10 ** input.meter.digits;
    if (Number(cons.advance) <= range * rules.rolloverMaxFraction) {
      results.push({ rule: 'ROLLOVER', severity: 'info', zh: `示数翻转: ${prev.value} → ${value}`, en: `register rolled over: ${prev.value} -> ${value}`, details: { advance: cons.advance } });
    } else {
      results.push({
        rule: 'REGISTER_BACKWARDS', severity: 'warning',
        zh: `示数倒走: ${prev.value} → ${value} (非翻转; 核实是否换表或抄错)`, en: `register went backwards: ${prev.value} -> ${value} (not a rollover; check for a meter exchange or a misread)`,
        details: { previous: prev.value, current: value },
      });
      return out(value, null, null);
    }
  }
  const kwh = input.exchangeKwh ? fromScaled(toScaled(input.exchangeKwh) + toScaled(cons.kwh)) : cons.kwh;
  if (input.exchangeKwh) results.push({ rule: 'METER_EXCHANGE', severity: 'info', zh: `含换表前旧表电量 ${input.exchangeKwh} kWh`, en: `includes ${input.exchangeKwh} kWh from the replaced meter` });

  // history comparison on daily rates
  const days = Math.max((input.readAt.getTime() - prev.readAt.getTime()) / DAY, 1 / 24);
  const hist = (input.history ?? []).filter((h) => h.days > 0);
  if (hist.length) {
    const histDaily = hist.reduce((s, h) => s + Number(h.kwh), 0) / hist.reduce((s, h) => s + h.days, 0);
    const daily = Number(kwh) / days;
    if (Number(kwh) === 0 && histDaily >= rules.zeroLoadDailyKwh) {
      results.push({ rule: 'ZERO_WITH_LOAD', severity: 'warning', zh: '零电量但历史有负荷 (疑似停走)', en: 'zero consumption while history shows load (meter stopped?)', details: { historyDailyKwh: histDaily.toFixed(4) } });
    } else if (histDaily >= rules.minHistoryDailyKwh) {
      const ratio = daily / histDaily;
      if (ratio > 1 + rules.spikeRatio) {
        results.push({ rule: 'SPIKE', severity: 'warning', zh: `电量突增 ${Math.round((ratio - 1) * 100)}% (阈值 ±${rules.spikeRatio * 100}%)`, en: `consumption ${Math.round((ratio - 1) * 100)}% above history (threshold ${rules.spikeRatio * 100}%)`, details: { ratio: ratio.toFixed(3), dailyKwh: daily.toFixed(4), historyDailyKwh: histDaily.toFixed(4) } });
      } else if (ratio < 1 - rules.dropRatio) {
        results.push({ rule: 'DROP', severity: 'warning', zh: `电量突降 ${Math.round((1 - ratio) * 100)}% (阈值 ±${rules.dropRatio * 100}%)`, en: `consumption ${Math.round((1 - ratio) * 100)}% below history (threshold ${rules.dropRatio * 100}%)`, details: { ratio: ratio.toFixed(3), dailyKwh: daily.toFixed(4), historyDailyKwh: histDaily.toFixed(4) } });
      }
    }
  } else if (Number(kwh) === 0 && exc === 'STOPPED') {
    // covered by EXCEPTION_REPORTED
  }
  return out(value, cons, kwh);
}

/**
 * 尖+峰+平+谷 vs 总: compares register advances since the previous reading (the meters' stored
 * offsets need not add up, their advances must). Returns a warning or null.
 */
export function checkRegisterSum(advances: Partial<Record<string, string>>, rules: VeeRuleSet = DEFAULT_RULE_SET): RuleResult | null {
  const total = advances.TOTAL;
  const parts = TOU_REGISTERS.filter((r) => advances[r] !== undefined);
  if (total === undefined || parts.length === 0) return null;
  const sum = parts.reduce((s, r) => s + toScaled(advances[r]!), 0n);
  const diff = sum - toScaled(total);
  const tol = rules.sumToleranceAbs + rules.sumToleranceRel * Number(total);
  if (Math.abs(Number(fromScaled(diff))) <= tol) return null;
  return {
    rule: 'REGISTER_SUM_MISMATCH', severity: 'warning',
    zh: `分时示数增量之和 ${fromScaled(sum)} 与总 ${total} 不符`, en: `sum of time-of-use advances ${fromScaled(sum)} differs from TOTAL advance ${total}`,
    details: { registers: parts, sum: fromScaled(sum), total, tolerance: tol.toFixed(4) },
  };
}

// ---- estimation -------------------------------------------------------------------------------

export type EstimateBasis = 'previous_period' | 'same_period_last_year';

/**
 * 暂按前次用电量 (§5.3): estimated reading = previous reading + the basis period's register
 * advance, scaled to the days since the previous reading, wrapping at 10^digits.
 */
export function estimateReading(input: {
  previous: { value: string; readAt: Date };
  readAt: Date;
  basis: { advance: string; days: number } | null;
  digits: number;
  decimals: number;
  multiplier: string;
}): { value: string; advance: string; kwh: string; results: RuleResult[] } {
  const days = Math.max((input.readAt.getTime() - input.previous.readAt.getTime()) / DAY, 0);
  let adv = 0n;
  if (input.basis && input.basis.days > 0) {
    // scale the basis period's advance to this period's length (whole periods of equal length give the same advance)
    const ratio = Math.abs(days - input.basis.days) < 1.5 ? 1 : days / input.basis.days;
    adv = ratio === 1 ? toScaled(input.basis.advance) : BigInt(Math.round(Number(toScaled(input.basis.advance)) * ratio));
  }
  const f = 10n ** BigInt(SCALE - Math.min(input.decimals, SCALE));
  adv = (adv / f) * f; // the register shows only `decimals` places
  const range = 10n ** BigInt(input.digits) * ONE;
  const v = (toScaled(input.previous.value) + adv) % range;
  return {
    value: fromScaled(v),
    advance: fromScaled(adv),
    kwh: fromScaled(mulScaled(adv, toScaled(input.multiplier))),
    results: [{ rule: 'ESTIMATED', severity: 'info', zh: '估算示数 (按前次用电量)', en: 'estimated reading (previous consumption)' }],
  };
}
