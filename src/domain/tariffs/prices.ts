/**
 * Derived prices of a tariff version, in scaled integers (µ元 = scale 6).
 */
import { parsePrice, mulRound, PRICE_SCALE } from '../money/decimal.js';
import { TOU_PERIODS, type TariffVersion, type TouPeriod } from './schema.js';

export const PERIOD_INDEX: Record<TouPeriod, number> = { SHARP: 0, PEAK: 1, FLAT: 2, VALLEY: 3, DEEP: 4 };

/**
 * All-in flat price (Σ components) in µ元/kWh, with optional per-code overrides (monthly published prices).
 * Example: components 0.42 + 0.015 + 0.15 + 0.02 + 0.025 → `630000`.
 */
export function flatPriceMicro(v: TariffVersion, overrides?: Record<string, number>): number {
  let s = 0;
  for (const c of v.energyComponents) s += overrides?.[c.code] ?? parsePrice(c.price);
  return s;
}

/**
 * Price of one component in one TOU period (µ元): floated components × ratio (rounded to 6 dp), others as is.
 * Example: 上网电价 0.42 with PEAK ratio 1.65, floated → `693000`.
 */
export function componentPeriodPriceMicro(v: TariffVersion, code: string, period: TouPeriod, overrides?: Record<string, number>): number {
  const c = v.energyComponents.find((x) => x.code === code)!;
  const base = overrides?.[c.code] ?? parsePrice(c.price);
  const tou = v.tou;
  if (!tou || tou.periodPrices?.[period] !== undefined) return base;
  const floated = !tou.floatBase || tou.floatBase.includes(c.code);
  if (!floated) return base;
  const ratio = ratioMicro(v, period);
  if (ratio < 0) return -1;
  return mulRound(base, PRICE_SCALE, ratio, PRICE_SCALE, PRICE_SCALE);
}

/** Ratio of a period vs FLAT in µ (FLAT defaults to 1); −1 when the period has no ratio. */
export function ratioMicro(v: TariffVersion, period: TouPeriod): number {
  const r = v.tou?.ratios?.[period];
  if (r !== undefined) return parsePrice(r);
  return period === 'FLAT' ? 1_000_000 : -1;
}

/**
 * All-in price of each TOU period (µ元/kWh), index SHARP..DEEP; −1 where the period is not priced.
 * Period price = Σ_{c∈floatBase} price_c × ratio_p + Σ_{c∉floatBase} price_c, rounded to 6 dp (§2.3).
 * Example (I-1 variant B): PEAK → `1023250` (0.605 × 1.65 + 0.025).
 */
export function periodPricesMicro(v: TariffVersion, overrides?: Record<string, number>): number[] {
  const out = [-1, -1, -1, -1, -1];
  const tou = v.tou;
  for (const p of TOU_PERIODS) {
    const i = PERIOD_INDEX[p];
    if (!tou) {
      if (p === 'FLAT') out[i] = flatPriceMicro(v, overrides);
      continue;
    }
    const explicit = tou.periodPrices?.[p];
    if (explicit !== undefined) {
      out[i] = parsePrice(explicit);
      continue;
    }
    if (tou.periodPrices && !tou.ratios) continue; // explicit price list: unlisted periods are not priced
    const ratio = ratioMicro(v, p);
    if (ratio < 0) continue;
    // Σ floated × ratio, rounded once to 6 dp, plus the non-floated components
    let floated = 0;
    let fixed = 0;
    for (const c of v.energyComponents) {
      const price = overrides?.[c.code] ?? parsePrice(c.price);
      if (!tou.floatBase || tou.floatBase.includes(c.code)) floated += price;
      else fixed += price;
    }
    out[i] = mulRound(floated, PRICE_SCALE, ratio, PRICE_SCALE, PRICE_SCALE) + fixed;
  }
  return out;
}
