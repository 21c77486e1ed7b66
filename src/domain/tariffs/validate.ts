/**
 * Tariff validation: structure (zod), semantic errors (bands, tiers, prices, PF standard) that
 * throw `ValidationError(field, message)`, policy checks (§2.1) that return warnings, and the
 * version-overlap check.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { parsePrice } from '../money/decimal.js';
import { periodPricesMicro, PERIOD_INDEX } from './prices.js';
import { zTariffVersion, type Band, type TariffVersion, type TouPeriod } from './schema.js';
import { DEFAULT_RULE_SET, type RuleSet } from './rule-set.js';

export interface TariffWarning {
  code: 'PEAK_VALLEY_RATIO' | 'CRITICAL_PEAK_RATIO';
  field: string;
  message: string;
}

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => String(p)).join('.') || '(root)';
}

/** Minutes since midnight of "HH:mm" (24:00 → 1440). Example: `minuteOf("08:30") === 510`. */
export function minuteOf(t: string): number {
  return Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
}

/** Minute ranges [from, to) of a band; a band whose end is before its start wraps midnight. */
export function bandRanges(b: Band): Array<[number, number]> {
  const f = minuteOf(b.from);
  const t = minuteOf(b.to);
  if (f < t) return [[f, t]];
  if (f > t) return [[f, 1440], [0, t]].filter(([a, c]) => a < c) as Array<[number, number]>;
  return [];
}

function hhmm(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** Throws when bands overlap, or (if `full`) leave minutes of the day uncovered. */
function checkBands(bands: Band[], field: string, full: boolean): void {
  const owner = new Int16Array(1440).fill(-1);
  bands.forEach((b, i) => {
    const ranges = bandRanges(b);
    if (ranges.length === 0) throw new ValidationError(`${field}.${i}`, `band ${b.from}–${b.to} is empty`);
    for (const [a, c] of ranges) {
      for (let m = a; m < c; m++) {
        if (owner[m] >= 0) {
          throw new ValidationError(`${field}.${i}`, `band ${b.period} ${b.from}–${b.to} overlaps band ${owner[m]} at ${hhmm(m)}`);
        }
        owner[m] = i;
      }
    }
  });
  if (full) {
    const first = owner.indexOf(-1);
    if (first >= 0) {
      let end = first;
      while (end < 1440 && owner[end] === -1) end++;
      throw new ValidationError(field, `hours ${hhmm(first)}–${hhmm(end)} are not covered by any band`);
    }
  }
}

/** The version's effective rule set: spec defaults overridden by `ruleSet`. */
export function resolveRuleSet(v: TariffVersion): RuleSet {
  const r = v.ruleSet ?? {};
  return {
    ...DEFAULT_RULE_SET,
    ...(r as Partial<RuleSet>),
    household: { ...DEFAULT_RULE_SET.household, ...(r.household ?? {}) },
    pfTable: (r.pfTable as RuleSet['pfTable'] | undefined) ?? DEFAULT_RULE_SET.pfTable,
  };
}

/**
 * Parse and validate a tariff version from JSON (object or string).
 * Throws `ValidationError(field, message)` naming the field path, e.g. `tou.seasons.0.bands`,
 * `ladder.thresholds.1`, `energyComponents.2.price`, `powerFactor.standard`.
 * Example: `parseTariffVersion(JSON.parse(fs.readFileSync('tariffs/zj-resident-annual-ladder-tou.json','utf8')))`.
 */
export function parseTariffVersion(json: unknown): TariffVersion {
  let raw = json;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (e) {
      throw new ValidationError('(root)', `not valid JSON: ${(e as Error).message}`);
    }
  }
  const res = zTariffVersion.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0];
    throw new ValidationError(pathOf(issue.path), issue.message, { issues: res.error.issues.length });
  }
  const v = res.data;
  checkSemantics(v);
  return v;
}

function checkSemantics(v: TariffVersion): void {
  if (v.effectiveTo && v.effectiveTo <= v.effectiveFrom) {
    throw new ValidationError('effectiveTo', `must be after effectiveFrom (${v.effectiveFrom})`);
  }
  const codes = new Set<string>();
  v.energyComponents.forEach((c, i) => {
    if (codes.has(c.code)) throw new ValidationError(`energyComponents.${i}.code`, `duplicate component code ${c.code}`);
    codes.add(c.code);
  });
  if (v.ladder) {
    const { thresholds, increments } = v.ladder;
    for (let i = 1; i < thresholds.length; i++) {
      if (thresholds[i] <= thresholds[i - 1]) {
        throw new ValidationError(`ladder.thresholds.${i}`, `tiers out of order: ${thresholds[i]} must be greater than ${thresholds[i - 1]}`);
      }
    }
    if (increments.length !== thresholds.length) {
      throw new ValidationError('ladder.increments', `need one increment per threshold (${thresholds.length}), got ${increments.length}`);
    }
    for (let i = 1; i < increments.length; i++) {
      if (parsePrice(increments[i]) < parsePrice(increments[i - 1])) {
        throw new ValidationError(`ladder.increments.${i}`, `tiers out of order: surcharge ${increments[i]} is below tier ${i + 1}'s ${increments[i - 1]}`);
      }
    }
    if (v.energyLineMode === 'ITEMISED') throw new ValidationError('energyLineMode', 'a ladder tariff must use ALL_IN lines');
  }
  if (v.tou) {
    const seen = new Map<number, number>();
    v.tou.seasons.forEach((s, si) => {
      for (const m of s.months) {
        if (seen.has(m)) throw new ValidationError(`tou.seasons.${si}.months`, `month ${m} is already in season ${seen.get(m)}`);
        seen.set(m, si);
      }
      checkBands(s.bands, `tou.seasons.${si}.bands`, true);
    });
    for (let m = 1; m <= 12; m++) if (!seen.has(m)) throw new ValidationError('tou.seasons', `month ${m} is not in any season`);
    v.tou.holidayOverrides.forEach((h, hi) => checkBands(h.bands, `tou.holidayOverrides.${hi}.bands`, false));
    for (const code of v.tou.floatBase ?? []) {
      if (!codes.has(code)) throw new ValidationError('tou.floatBase', `unknown component code ${code}`);
    }
    const prices = periodPricesMicro(v);
    const used = new Set<TouPeriod>();
    v.tou.seasons.forEach((s) => s.bands.forEach((b) => used.add(b.period)));
    v.tou.holidayOverrides.forEach((h) => h.bands.forEach((b) => used.add(b.period)));
    for (const p of used) {
      if (prices[PERIOD_INDEX[p]] < 0) throw new ValidationError(`tou.ratios.${p}`, `period ${p} is used in bands but has no ratio or price`);
    }
  }
  if (v.powerFactor?.ptfBaseComponents) {
    for (const code of v.powerFactor.ptfBaseComponents) {
      if (!codes.has(code)) throw new ValidationError('powerFactor.ptfBaseComponents', `unknown component code ${code}`);
    }
  }
  if (v.basicCharge) {
    const b = v.basicCharge;
    if (b.defaultMethod === 'CAPACITY' && b.capacityPrice === undefined) {
      throw new ValidationError('basicCharge.capacityPrice', 'required for the CAPACITY method');
    }
    if (b.defaultMethod !== 'CAPACITY' && b.demandPrice === undefined) {
      throw new ValidationError('basicCharge.demandPrice', `required for the ${b.defaultMethod} method`);
    }
  }
}

/**
 * Policy checks of 发改价格〔2021〕1093号 (§2.1): peak/valley ≥ ruleSet.peakValleyMinRatio (3 or 4),
 * critical(SHARP)/peak ≥ ruleSet.criticalPeakMinRatio (1.2). They return warnings; the tariff is accepted.
 * Example: Zhejiang 2024 一般工商业 draft (尖 1.65 / 峰 1.50 = 1.10) → one `CRITICAL_PEAK_RATIO` warning.
 */
export function checkTariffPolicy(v: TariffVersion): TariffWarning[] {
  const out: TariffWarning[] = [];
  if (!v.tou) return out;
  const rules = resolveRuleSet(v);
  const p = periodPricesMicro(v);
  const [sharp, peak, , valley] = p;
  const pv = parsePrice(rules.peakValleyMinRatio);
  const cp = parsePrice(rules.criticalPeakMinRatio);
  // compare a/b ≥ r  ⇔  a × 10^6 ≥ r × b (all scaled integers, exact)
  if (peak > 0 && valley > 0 && pv > 0 && peak * 1e6 < pv * valley) {
    out.push({
      code: 'PEAK_VALLEY_RATIO',
      field: 'tou',
      message: `peak/valley = ${(peak / valley).toFixed(3)} < ${rules.peakValleyMinRatio} (发改价格〔2021〕1093号, domain-cn §2.1)`,
    });
  }
  if (sharp > 0 && peak > 0 && cp > 0 && sharp * 1e6 < cp * peak) {
    out.push({
      code: 'CRITICAL_PEAK_RATIO',
      field: 'tou',
      message: `critical/peak = ${(sharp / peak).toFixed(3)} < ${rules.criticalPeakMinRatio} (domain-cn §2.1)`,
    });
  }
  return out;
}

/** Parse + policy check in one call. Example: `const { version, warnings } = validateTariffVersion(json)`. */
export function validateTariffVersion(json: unknown): { version: TariffVersion; warnings: TariffWarning[] } {
  const version = parseTariffVersion(json);
  return { version, warnings: checkTariffPolicy(version) };
}

/**
 * Two versions of the same tariff scope (same `code`; with `by: 'CLASS'` also: same province and
 * intersecting customer classes and voltage levels) must not be in force on the same day.
 * Throws `ValidationError('effectiveFrom', …)` on overlap. Date ranges are half-open
 * [effectiveFrom, effectiveTo). Example: `assertNoOverlap(existing, candidate)`.
 */
export function assertNoOverlap(a: TariffVersion, b: TariffVersion, by: 'CODE' | 'CLASS' = 'CODE'): void {
  const sameScope =
    by === 'CODE'
      ? a.code === b.code
      : a.province === b.province &&
        a.customerClasses.some((c) => b.customerClasses.includes(c)) &&
        a.voltageLevels.some((x) => b.voltageLevels.includes(x));
  if (!sameScope) return;
  const aTo = a.effectiveTo ?? '9999-12-31';
  const bTo = b.effectiveTo ?? '9999-12-31';
  if (a.effectiveFrom < bTo && b.effectiveFrom < aTo) {
    throw new ValidationError(
      'effectiveFrom',
      `version ${b.code}@${b.effectiveFrom} overlaps version ${a.code}@${a.effectiveFrom}–${a.effectiveTo ?? 'open'} of the same scope`,
    );
  }
}

/** Check a whole list pairwise. Example: `assertNoOverlaps(allVersionsOfCode)`. */
export function assertNoOverlaps(list: TariffVersion[], by: 'CODE' | 'CLASS' = 'CODE'): void {
  for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) assertNoOverlap(list[i], list[j], by);
}

export { z };
