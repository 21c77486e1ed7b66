/**
 * Structured diff of two tariff versions (pure): which price components, prices, ladder tiers,
 * TOU bands, ratios, basic-charge and power-factor values changed. Used by
 * `GET /api/v1/tariffs/compare` and the compare page.
 *
 * Example: `diffTariffVersions(v2012, v2024).changes` →
 *   `[{ section: 'components', path: 'energyComponents.ENERGY.price', change: 'changed', before: '0.538', after: '0.558' }, …]`
 */
import { formatPrice } from '../../domain/money/decimal.js';
import { periodPricesMicro, PERIOD_INDEX } from '../../domain/tariffs/prices.js';
import { TOU_PERIODS, type TariffVersion, type TouPeriod, type Band } from '../../domain/tariffs/schema.js';
import { bandRanges } from '../../domain/tariffs/validate.js';

export type DiffSection =
  | 'general'
  | 'components'
  | 'periodPrices'
  | 'ladder'
  | 'tou'
  | 'ratios'
  | 'bands'
  | 'basicCharge'
  | 'powerFactor'
  | 'fixedCharges'
  | 'minimumCharge'
  | 'ruleSet';

export interface TariffChange {
  section: DiffSection;
  /** dotted path, components and charges keyed by code, e.g. `energyComponents.PURCHASE.price`, `tou.seasons.0.bands` */
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

export interface TariffDiff {
  changes: TariffChange[];
  /** sections with at least one change (for highlighting) */
  sections: DiffSection[];
  /** all-in price per TOU period (元/kWh, 6 dp) of each side; FLAT only without TOU */
  periodPrices: { a: Partial<Record<TouPeriod, string>>; b: Partial<Record<TouPeriod, string>> };
}

const same = (x: unknown, y: unknown) => JSON.stringify(x ?? null) === JSON.stringify(y ?? null);

/** Canonical decimal text so "0.5380" and 0.538 compare equal. */
function dec(v: unknown): unknown {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return v.includes('.') ? v.replace(/\.?0+$/, '') : v;
  return v;
}

/** All-in price per TOU period as decimal strings. */
export function periodPriceTable(v: TariffVersion): Partial<Record<TouPeriod, string>> {
  const micro = periodPricesMicro(v);
  const out: Partial<Record<TouPeriod, string>> = {};
  for (const p of TOU_PERIODS) {
    const m = micro[PERIOD_INDEX[p]];
    if (m >= 0) out[p] = formatPrice(m);
  }
  return out;
}

/** The period of each 15-minute slot of the day (96 slots) for a list of bands; null where not covered. */
export function bandSlots(bands: Band[], base?: Array<TouPeriod | null>): Array<TouPeriod | null> {
  const out: Array<TouPeriod | null> = base ? [...base] : new Array(96).fill(null);
  for (const b of bands) {
    for (const [from, to] of bandRanges(b)) {
      for (let m = from; m < to; m += 15) out[Math.floor(m / 15)] = b.period;
    }
  }
  return out;
}

function slotsToRanges(slots: Array<TouPeriod | null>): Array<{ from: string; to: string; period: TouPeriod | null }> {
  const hhmm = (s: number) => `${String(Math.floor((s * 15) / 60)).padStart(2, '0')}:${String((s * 15) % 60).padStart(2, '0')}`;
  const out: Array<{ from: string; to: string; period: TouPeriod | null }> = [];
  let start = 0;
  for (let i = 1; i <= slots.length; i++) {
    if (i === slots.length || slots[i] !== slots[start]) {
      out.push({ from: hhmm(start), to: i === 96 ? '24:00' : hhmm(i), period: slots[start] });
      start = i;
    }
  }
  return out;
}

function diffMap<T>(
  out: TariffChange[],
  section: DiffSection,
  prefix: string,
  a: Record<string, T> | undefined,
  b: Record<string, T> | undefined,
  norm: (x: T) => unknown = (x) => x,
): void {
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  for (const k of keys) {
    const x = a?.[k];
    const y = b?.[k];
    if (x === undefined && y !== undefined) out.push({ section, path: `${prefix}.${k}`, change: 'added', after: y });
    else if (x !== undefined && y === undefined) out.push({ section, path: `${prefix}.${k}`, change: 'removed', before: x });
    else if (x !== undefined && y !== undefined && !same(norm(x), norm(y))) out.push({ section, path: `${prefix}.${k}`, change: 'changed', before: x, after: y });
  }
}

function byCode<T extends { code: string }>(list: T[] | undefined): Record<string, T> {
  return Object.fromEntries((list ?? []).map((x) => [x.code, x]));
}

/** Structured diff a → b. */
export function diffTariffVersions(a: TariffVersion, b: TariffVersion): TariffDiff {
  const out: TariffChange[] = [];
  const general: Array<keyof TariffVersion> = ['code', 'version', 'name', 'province', 'customerClasses', 'voltageLevels', 'effectiveFrom', 'effectiveTo', 'energyLineMode', 'sourceDoc'];
  for (const k of general) {
    const x = k === 'version' && a[k] !== undefined ? String(a[k]) : a[k];
    const y = k === 'version' && b[k] !== undefined ? String(b[k]) : b[k];
    if (!same(x, y)) out.push({ section: 'general', path: k, change: 'changed', before: x ?? null, after: y ?? null });
  }

  // price components by code: price and other attributes
  const ca = byCode(a.energyComponents);
  const cb = byCode(b.energyComponents);
  for (const code of new Set([...Object.keys(ca), ...Object.keys(cb)])) {
    const x = ca[code];
    const y = cb[code];
    if (!x) out.push({ section: 'components', path: `energyComponents.${code}`, change: 'added', after: y });
    else if (!y) out.push({ section: 'components', path: `energyComponents.${code}`, change: 'removed', before: x });
    else {
      if (dec(x.price) !== dec(y.price)) out.push({ section: 'components', path: `energyComponents.${code}.price`, change: 'changed', before: x.price, after: y.price });
      for (const f of ['kind', 'name', 'publishedMonthly'] as const) {
        if (!same(x[f], y[f])) out.push({ section: 'components', path: `energyComponents.${code}.${f}`, change: 'changed', before: x[f], after: y[f] });
      }
    }
  }

  // derived all-in period prices
  const pa = periodPriceTable(a);
  const pb = periodPriceTable(b);
  diffMap(out, 'periodPrices', 'periodPrices', pa, pb, dec);

  // ladder
  if (a.ladder || b.ladder) {
    if (!a.ladder) out.push({ section: 'ladder', path: 'ladder', change: 'added', after: b.ladder });
    else if (!b.ladder) out.push({ section: 'ladder', path: 'ladder', change: 'removed', before: a.ladder });
    else {
      if (a.ladder.cycle !== b.ladder.cycle) out.push({ section: 'ladder', path: 'ladder.cycle', change: 'changed', before: a.ladder.cycle, after: b.ladder.cycle });
      const n = Math.max(a.ladder.thresholds.length, b.ladder.thresholds.length);
      for (let i = 0; i < n; i++) {
        const x = a.ladder.thresholds[i];
        const y = b.ladder.thresholds[i];
        if (x !== y) out.push({ section: 'ladder', path: `ladder.thresholds.${i}`, change: x === undefined ? 'added' : y === undefined ? 'removed' : 'changed', before: x, after: y });
        const xi = a.ladder.increments[i];
        const yi = b.ladder.increments[i];
        if (dec(xi) !== dec(yi)) out.push({ section: 'ladder', path: `ladder.increments.${i}`, change: xi === undefined ? 'added' : yi === undefined ? 'removed' : 'changed', before: xi, after: yi });
      }
    }
  }

  // TOU: ratios, explicit prices, float base, seasons (compared by month), holiday overrides
  if (a.tou || b.tou) {
    if (!a.tou) out.push({ section: 'tou', path: 'tou', change: 'added', after: b.tou });
    else if (!b.tou) out.push({ section: 'tou', path: 'tou', change: 'removed', before: a.tou });
    else {
      diffMap(out, 'ratios', 'tou.ratios', a.tou.ratios as Record<string, string> | undefined, b.tou.ratios as Record<string, string> | undefined, dec);
      diffMap(out, 'ratios', 'tou.periodPrices', a.tou.periodPrices as Record<string, string> | undefined, b.tou.periodPrices as Record<string, string> | undefined, dec);
      if (!same(a.tou.floatBase, b.tou.floatBase)) out.push({ section: 'ratios', path: 'tou.floatBase', change: 'changed', before: a.tou.floatBase ?? null, after: b.tou.floatBase ?? null });
      // bands: compare the day profile of every month so a regrouping of seasons is not a change
      const monthSlots = (v: TariffVersion, m: number) => {
        const s = v.tou!.seasons.find((x) => x.months.includes(m));
        return s ? bandSlots(s.bands) : new Array(96).fill(null);
      };
      const changedMonths: number[] = [];
      for (let m = 1; m <= 12; m++) if (!same(monthSlots(a, m), monthSlots(b, m))) changedMonths.push(m);
      // group months with the same before/after profiles into one change
      const groups = new Map<string, number[]>();
      for (const m of changedMonths) {
        const key = JSON.stringify([monthSlots(a, m), monthSlots(b, m)]);
        groups.set(key, [...(groups.get(key) ?? []), m]);
      }
      for (const [key, months] of groups) {
        const [sa, sb] = JSON.parse(key) as [Array<TouPeriod | null>, Array<TouPeriod | null>];
        out.push({
          section: 'bands',
          path: `tou.bands.months.${months.join(',')}`,
          change: 'changed',
          before: slotsToRanges(sa).filter((r) => r.period),
          after: slotsToRanges(sb).filter((r) => r.period),
        });
      }
      const ha = Object.fromEntries(a.tou.holidayOverrides.map((h) => [h.holidayCode, h]));
      const hb = Object.fromEntries(b.tou.holidayOverrides.map((h) => [h.holidayCode, h]));
      diffMap(out, 'bands', 'tou.holidayOverrides', ha, hb);
    }
  }

  // basic charge, PF, fixed and minimum charges, rule set
  if (a.basicCharge || b.basicCharge) {
    if (!a.basicCharge) out.push({ section: 'basicCharge', path: 'basicCharge', change: 'added', after: b.basicCharge });
    else if (!b.basicCharge) out.push({ section: 'basicCharge', path: 'basicCharge', change: 'removed', before: a.basicCharge });
    else diffMap(out, 'basicCharge', 'basicCharge', a.basicCharge as Record<string, string>, b.basicCharge as Record<string, string>, dec);
  }
  if (a.powerFactor || b.powerFactor) {
    if (!a.powerFactor) out.push({ section: 'powerFactor', path: 'powerFactor', change: 'added', after: b.powerFactor });
    else if (!b.powerFactor) out.push({ section: 'powerFactor', path: 'powerFactor', change: 'removed', before: a.powerFactor });
    else diffMap(out, 'powerFactor', 'powerFactor', a.powerFactor as Record<string, unknown>, b.powerFactor as Record<string, unknown>);
  }
  diffMap(out, 'fixedCharges', 'fixedCharges', byCode(a.fixedCharges), byCode(b.fixedCharges), (x) => ({ ...x, amount: dec(x.amount) }));
  if (!same(dec(a.minimumCharge?.amount), dec(b.minimumCharge?.amount))) {
    out.push({ section: 'minimumCharge', path: 'minimumCharge.amount', change: !a.minimumCharge ? 'added' : !b.minimumCharge ? 'removed' : 'changed', before: a.minimumCharge?.amount, after: b.minimumCharge?.amount });
  }
  diffMap(out, 'ruleSet', 'ruleSet', a.ruleSet as Record<string, unknown>, b.ruleSet as Record<string, unknown>);

  return { changes: out, sections: [...new Set(out.map((c) => c.section))], periodPrices: { a: pa, b: pb } };
}
