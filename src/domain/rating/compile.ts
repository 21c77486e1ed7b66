/**
 * Precompile a tariff version into flat numeric tables (scaled integers) once, so that rating a
 * bill allocates nothing per operation. Compiled tariffs are cached per version object.
 */
import { mulRound, parsePrice, parseQty, PRICE_SCALE } from '../money/decimal.js';
import { periodPricesMicro, PERIOD_INDEX } from '../tariffs/prices.js';
import type { RuleSet } from '../tariffs/rule-set.js';
import type { TariffVersion } from '../tariffs/schema.js';
import { bandRanges, resolveRuleSet } from '../tariffs/validate.js';

export interface CompiledComponent {
  code: string;
  name: { zh: string; en: string };
  kind: string;
  price: number;
  /** price of this component in each period (µ元), −1 when the period has no price */
  periodPrice: number[];
  floated: boolean;
  inPtf: boolean;
}

export interface CompiledTariff {
  version: TariffVersion;
  rules: RuleSet;
  hasTou: boolean;
  itemised: boolean;
  /** all-in price per period SHARP..DEEP (µ元/kWh), −1 = not priced */
  periodPrice: number[];
  /** all-in flat price (Σ components) */
  flatPrice: number;
  /** bit mask of periods present in the season bands of month 1..12 */
  monthMask: number[];
  /** period index per minute of day, per month 1..12 */
  minuteMap: Uint8Array[];
  holidayMaps: Array<{ code: string; first3: boolean; map: Int8Array }>;
  ladder: { annual: boolean; thresholds: number[]; increments: number[] } | null;
  components: CompiledComponent[];
  /** Σ prices of components outside the 力调 base (µ元) */
  nonPtfPrice: number;
  /** Σ GOVERNMENT_FUND prices (µ元) */
  fundPrice: number;
  basic: { method: number; capacityPrice: number; demandPrice: number } | null;
  pf: { standard: '0.90' | '0.85' | '0.80'; absSum: boolean } | null;
  /** adjustment in hundredths of a percent: inc[d] for pf below standard by d steps; dec[std][u] above */
  pfInc: Int32Array;
  pfDec: Record<'0.90' | '0.85' | '0.80', Int32Array>;
  fixed: Array<{ code: string; name: { zh: string; en: string }; amount: number }>;
  minimum: number;
  tolCenti: number;
  floorRatio: number;
  overrunRatio: number;
  penaltyMultiplier: number;
  highLoadKwhPerKva: number;
  highLoadFactor: number;
}

export const METHOD_CODE = { CAPACITY: 0, CONTRACT_DEMAND: 1, ACTUAL_DEMAND: 2 } as const;

function stepTable(steps: Array<{ count?: number; pctPerStep: string }>, n: number): Int32Array {
  const out = new Int32Array(n + 1);
  let d = 0;
  let acc = 0;
  for (const s of steps) {
    const per = Math.round(parsePrice(s.pctPerStep) / 10_000); // hundredths of a percent
    const count = s.count ?? Infinity;
    for (let k = 0; k < count && d < n; k++) {
      acc += per;
      out[++d] = acc;
    }
  }
  for (let k = d + 1; k <= n; k++) out[k] = acc; // capped
  return out;
}

const cache = new WeakMap<TariffVersion, CompiledTariff>();

/**
 * Compile (and cache) a validated tariff version.
 * Example: `const ct = compileTariff(parseTariffVersion(json)); ct.periodPrice[1] // PEAK µ元`.
 * `overrides` (monthly published component prices, µ元 by code) bypass the cache.
 */
export function compileTariff(v: TariffVersion, overrides?: Record<string, number>): CompiledTariff {
  if (!overrides) {
    const hit = cache.get(v);
    if (hit) return hit;
  }
  const rules = resolveRuleSet(v);
  const periodPrice = periodPricesMicro(v, overrides);
  const ptfSet = v.powerFactor?.ptfBaseComponents;
  const components: CompiledComponent[] = v.energyComponents.map((c) => {
    const price = overrides?.[c.code] ?? parsePrice(c.price);
    const floated = !!v.tou && !v.tou.periodPrices && (!v.tou.floatBase || v.tou.floatBase.includes(c.code));
    const pp = [-1, -1, -1, -1, -1];
    for (let i = 0; i < 5; i++) {
      if (periodPrice[i] < 0) continue;
      if (!floated) pp[i] = price;
      else {
        const key = (['SHARP', 'PEAK', 'FLAT', 'VALLEY', 'DEEP'] as const)[i];
        const r = v.tou!.ratios?.[key];
        const ratio = r !== undefined ? parsePrice(r) : 1_000_000;
        pp[i] = mulRound(price, PRICE_SCALE, ratio, PRICE_SCALE, PRICE_SCALE);
      }
    }
    return {
      code: c.code,
      name: c.name,
      kind: c.kind,
      price,
      periodPrice: pp,
      floated,
      inPtf: ptfSet ? ptfSet.includes(c.code) : c.kind !== 'GOVERNMENT_FUND',
    };
  });
  const minuteMap: Uint8Array[] = [];
  const monthMask = new Array<number>(13).fill(0);
  const holidayMaps: CompiledTariff['holidayMaps'] = [];
  if (v.tou) {
    for (const s of v.tou.seasons) {
      const map = new Uint8Array(1440);
      let mask = 0;
      for (const b of s.bands) {
        const p = PERIOD_INDEX[b.period];
        mask |= 1 << p;
        for (const [a, c] of bandRanges(b)) map.fill(p, a, c);
      }
      for (const m of s.months) {
        minuteMap[m] = map;
        monthMask[m] = mask;
      }
    }
    for (const h of v.tou.holidayOverrides) {
      const map = new Int8Array(1440).fill(-1);
      for (const b of h.bands) for (const [a, c] of bandRanges(b)) map.fill(PERIOD_INDEX[b.period], a, c);
      holidayMaps.push({ code: h.holidayCode, first3: h.days === 'FIRST_3', map });
    }
  } else {
    for (let m = 1; m <= 12; m++) monthMask[m] = 1 << PERIOD_INDEX.FLAT;
  }
  let nonPtf = 0;
  let fund = 0;
  for (const c of components) {
    if (!c.inPtf) nonPtf += c.price;
    if (c.kind === 'GOVERNMENT_FUND') fund += c.price;
  }
  const ct: CompiledTariff = {
    version: v,
    rules,
    hasTou: !!v.tou,
    itemised: v.energyLineMode === 'ITEMISED',
    periodPrice,
    flatPrice: components.reduce((s, c) => s + c.price, 0),
    monthMask,
    minuteMap,
    holidayMaps,
    ladder: v.ladder
      ? { annual: v.ladder.cycle === 'ANNUAL', thresholds: v.ladder.thresholds.slice(), increments: v.ladder.increments.map((x) => parsePrice(x)) }
      : null,
    components,
    nonPtfPrice: nonPtf,
    fundPrice: fund,
    basic: v.basicCharge
      ? {
          method: METHOD_CODE[v.basicCharge.defaultMethod],
          capacityPrice: v.basicCharge.capacityPrice !== undefined ? parsePrice(v.basicCharge.capacityPrice) : -1,
          demandPrice: v.basicCharge.demandPrice !== undefined ? parsePrice(v.basicCharge.demandPrice) : -1,
        }
      : null,
    pf: v.powerFactor ? { standard: v.powerFactor.standard as '0.90' | '0.85' | '0.80', absSum: v.powerFactor.qMode === 'ABS_SUM' } : null,
    pfInc: stepTable(rules.pfTable.increase, 100),
    pfDec: {
      '0.90': stepTable(rules.pfTable.decrease['0.90'], 100),
      '0.85': stepTable(rules.pfTable.decrease['0.85'], 100),
      '0.80': stepTable(rules.pfTable.decrease['0.80'], 100),
    },
    fixed: v.fixedCharges.map((f) => ({ code: f.code, name: f.name, amount: parseQty(f.amount) })),
    minimum: v.minimumCharge ? parseQty(v.minimumCharge.amount) : -1,
    tolCenti: parseQty(rules.touSumToleranceKwh),
    floorRatio: parsePrice(rules.contractDemandFloorRatio),
    overrunRatio: parsePrice(rules.overrunThresholdRatio),
    penaltyMultiplier: parsePrice(rules.overrunPenaltyMultiplier),
    highLoadKwhPerKva: parsePrice(rules.highLoadKwhPerKva),
    highLoadFactor: parsePrice(rules.highLoadDemandPriceFactor),
  };
  if (!overrides) cache.set(v, ct);
  return ct;
}
