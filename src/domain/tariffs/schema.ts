/**
 * Tariff data model (电价 / 电价版本) as JSON, validated with zod. Prices are never in code:
 * they come from versioned tariff files such as `tariffs/*.json` (format: docs/tariffs.md).
 */
import { z } from 'zod';
import { DEFAULT_RULE_SET } from './rule-set.js';

const DEC_RE = /^-?\d+(\.\d+)?$/;
/** A decimal given as a string ("0.538") or a JSON number (0.538). Kept as a string. */
export const zDecimal = z
  .union([z.string(), z.number()])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
  .refine((s) => DEC_RE.test(s), { message: 'must be a decimal number' });
/** A non-negative decimal (prices, ratios). */
export const zNonNegDecimal = zDecimal.refine((s) => !s.startsWith('-'), { message: 'must not be negative' });

const zDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD');
const zTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:mm (00:00–24:00)');
export const zName = z.object({ zh: z.string().min(1), en: z.string().min(1) });

export const TOU_PERIODS = ['SHARP', 'PEAK', 'FLAT', 'VALLEY', 'DEEP'] as const;
export type TouPeriod = (typeof TOU_PERIODS)[number];
export const zPeriod = z.enum(TOU_PERIODS);

export const zBand = z.object({ period: zPeriod, from: zTime, to: zTime });
export const zSeason = z.object({
  name: z.string().optional(),
  months: z.array(z.number().int().min(1).max(12)).min(1),
  bands: z.array(zBand).min(1),
});
export const zHolidayOverride = z.object({
  holidayCode: z.string().min(1),
  days: z.enum(['ALL', 'FIRST_3']).default('ALL'),
  /** bands that replace the season's bands on those days; hours not listed keep the season's period */
  bands: z.array(zBand).min(1),
});

const zPeriodMap = z
  .object({ SHARP: zNonNegDecimal, PEAK: zNonNegDecimal, FLAT: zNonNegDecimal, VALLEY: zNonNegDecimal, DEEP: zNonNegDecimal })
  .partial();

export const zTouScheme = z.object({
  id: z.string().optional(),
  seasons: z.array(zSeason).min(1),
  holidayOverrides: z.array(zHolidayOverride).default([]),
  /** ratios against the FLAT price (§2.3); used with floatBase */
  ratios: zPeriodMap.optional(),
  /** energy component codes multiplied by the ratio; default: all components */
  floatBase: z.array(z.string()).optional(),
  /** explicit all-in period prices (e.g. residential 峰 0.568 / 谷 0.288); overrides ratios */
  periodPrices: zPeriodMap.optional(),
});

export const COMPONENT_KINDS = ['ENERGY', 'PURCHASE', 'LINE_LOSS', 'TRANSMISSION', 'SYSTEM_OPERATION', 'GOVERNMENT_FUND'] as const;
export const zComponent = z.object({
  code: z.string().min(1),
  name: zName,
  kind: z.enum(COMPONENT_KINDS),
  price: zNonNegDecimal,
  /** price published monthly (代理购电价 etc.): callers may pass the month's value in usage.componentPrices */
  publishedMonthly: z.boolean().default(false),
});

export const zLadder = z.object({
  cycle: z.enum(['MONTHLY', 'ANNUAL']),
  /** upper bounds (kWh, inclusive) of tier 1, tier 2, …; ascending */
  thresholds: z.array(z.number().int().positive()).min(1),
  /** surcharge of tier 2, tier 3, … over the tier-1 price (元/kWh); one per threshold */
  increments: z.array(zNonNegDecimal).min(1),
});

export const zBasicCharge = z.object({
  defaultMethod: z.enum(['CAPACITY', 'CONTRACT_DEMAND', 'ACTUAL_DEMAND']),
  /** 元/kVA·月 */
  capacityPrice: zNonNegDecimal.optional(),
  /** 元/kW·月 */
  demandPrice: zNonNegDecimal.optional(),
});

export const zPowerFactor = z.object({
  standard: z
    .union([z.string(), z.number()])
    .transform((v) => (typeof v === 'number' ? v.toFixed(2) : v.trim()))
    .refine((s) => s === '0.90' || s === '0.85' || s === '0.80', { message: 'PF standard must be one of 0.80, 0.85, 0.90' }),
  qMode: z.enum(['FORWARD_ONLY', 'ABS_SUM']).default('FORWARD_ONLY'),
  /** energy component codes whose charge is in the 力调 base; default: all but GOVERNMENT_FUND */
  ptfBaseComponents: z.array(z.string()).optional(),
});

const zPfStep = z.object({ count: z.number().int().positive().optional(), pctPerStep: zNonNegDecimal });
export const zRuleSet = z
  .object({
    id: z.string(),
    sourceDoc: z.string(),
    ladderProration: z.enum(['DAYS_OVER_30', 'MONTHS']),
    standardPeriodDays: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    household: z.object({
      minSize: z.number().int().positive(),
      addKwhPerMonth: z.number().int().nonnegative(),
      scope: z.enum(['ALL_THRESHOLDS', 'FIRST_THRESHOLD_ONLY']),
    }),
    touSumToleranceKwh: zNonNegDecimal,
    touReconcile: z.enum(['PRO_RATA', 'FLAT']),
    contractDemandFloorRatio: zNonNegDecimal,
    overrunThresholdRatio: zNonNegDecimal,
    overrunPenaltyMultiplier: zNonNegDecimal,
    highLoadKwhPerKva: zNonNegDecimal,
    highLoadDemandPriceFactor: zNonNegDecimal,
    partialMonthBasis: z.enum(['CALENDAR_DAYS', 'DAYS_30']),
    pfTable: z.object({
      increase: z.array(zPfStep).min(1),
      decrease: z.object({ '0.90': z.array(zPfStep), '0.85': z.array(zPfStep), '0.80': z.array(zPfStep) }),
    }),
    peakValleyMinRatio: zNonNegDecimal,
    criticalPeakMinRatio: zNonNegDecimal,
  })
  .partial();

export const zFixedCharge = z.object({ code: z.string().min(1), name: zName, amount: zNonNegDecimal });

export const zTariffVersion = z.object({
  code: z.string().min(1),
  version: z.union([z.string(), z.number()]).optional(),
  name: zName,
  province: z.string().min(1),
  customerClasses: z.array(z.string().min(1)).min(1),
  voltageLevels: z.array(z.string().min(1)).min(1),
  /** first day in force (inclusive) */
  effectiveFrom: zDate,
  /** first day no longer in force (exclusive, half-open like §0.6); null/absent = open-ended */
  effectiveTo: zDate.nullable().optional(),
  sourceDoc: z.string().optional(),
  energyComponents: z.array(zComponent).min(1),
  /** ALL_IN: one line per TOU period / ladder tier at the all-in price; ITEMISED: one line per price component (§3.2) */
  energyLineMode: z.enum(['ALL_IN', 'ITEMISED']).default('ALL_IN'),
  ladder: zLadder.optional(),
  tou: zTouScheme.optional(),
  basicCharge: zBasicCharge.optional(),
  powerFactor: zPowerFactor.optional(),
  fixedCharges: z.array(zFixedCharge).default([]),
  /** monthly minimum charge: if the bill is lower, a top-up line brings it to this amount */
  minimumCharge: z.object({ amount: zNonNegDecimal }).optional(),
  ruleSet: zRuleSet.default({}),
});

export type TariffVersionInput = z.input<typeof zTariffVersion>;
export type TariffVersion = z.output<typeof zTariffVersion>;
export type TouScheme = z.output<typeof zTouScheme>;
export type Band = z.output<typeof zBand>;
export type EnergyComponent = z.output<typeof zComponent>;
export { DEFAULT_RULE_SET };
