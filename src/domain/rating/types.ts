/**
 * Public types of the rating engine. Money and prices cross the boundary as decimal strings;
 * quantities may be given as numbers or decimal strings (≤ 2 dp).
 */
import type { TariffVersion, TariffVersionInput, TouPeriod } from '../tariffs/schema.js';

export type Qty = number | string;

/** A parsed tariff version or its raw JSON (validated by the engine). */
export type TariffLike = TariffVersion | TariffVersionInput | Record<string, unknown>;

export interface IntervalData {
  /** local (Asia/Shanghai) start of the first interval, 'YYYY-MM-DDTHH:mm' */
  start: string;
  /** 15 (96 points/day) or 60 (hourly, 8760/year); any divisor of 1440 */
  intervalMinutes: number;
  /** kWh per interval; interval i covers [start + i·Δ, start + (i+1)·Δ) and is classified by its start (§0.7) */
  values: Qty[];
}

export interface HolidayDay {
  date: string;
  /** e.g. SPRING_FESTIVAL, LABOUR_DAY, NATIONAL_DAY — matched against tou.holidayOverrides[].holidayCode */
  holidayCode: string;
  /** 1-based day of the holiday (for FIRST_3 overrides) */
  dayOfHoliday?: number;
}

export interface Usage {
  /** first day of the billing period (inclusive) */
  periodStart: string;
  /** last day of the billing period (inclusive) */
  periodEnd: string;
  /** total active energy kWh (总). Optional when TOU registers or interval data are given */
  kwh?: Qty;
  /** TOU registers (kWh per period, e.g. from meter tariffs 费率1-4) */
  tou?: Partial<Record<TouPeriod, Qty>>;
  /** interval data instead of registers (96-point or hourly) */
  interval?: IntervalData;
  /** holiday calendar for interval classification (data, never in code) */
  holidays?: HolidayDay[];
  /** kWh already billed in this ladder year (annual ladder) */
  ladderPrevCum?: Qty;
  /** 户籍人口 (§1.7) */
  householdSize?: number;
  /** MONTHS proration: number of months in this bill (双月抄表 = 2) */
  ladderMonths?: number;
  /** annual ladder, account opened this year in this month (1-12): thresholds × (13 − m)/12 (§1.5) */
  ladderOpenedMonth?: number;
  /** maximum demand kW (15-min) */
  maxDemandKw?: Qty;
  /** contract transformer capacity kVA (incl. HV motors) */
  capacityKva?: Qty;
  /** 合同最大需量 kW */
  contractDemandKw?: Qty;
  basicChargeMethod?: 'CAPACITY' | 'CONTRACT_DEMAND' | 'ACTUAL_DEMAND';
  /** days of the month the connection was in service (partial month, §3.4) */
  daysUsed?: number;
  /** calendar days of that month (default: days of the month of periodStart) */
  calendarDays?: number;
  /** reactive energy kvarh */
  reactiveKvarh?: { forward?: Qty; reverse?: Qty };
  /** override of the tariff's PF standard (per account, §4.1) */
  pfStandard?: '0.90' | '0.85' | '0.80';
  /** monthly published component prices (代理购电价 etc.), by component code */
  componentPrices?: Record<string, string>;
  /** frozen register readings (日冻结) on tariff-change dates: kWh consumed before that date within the period */
  frozenReadings?: Array<{ date: string; kwhBefore: Qty; tou?: Partial<Record<TouPeriod, Qty>> }>;
}

export interface RateInput {
  /**
   * one version, or all versions of the tariff (the engine picks those in force in the period).
   * Raw JSON is accepted and validated with parseTariffVersion (cached per object).
   */
  tariff: TariffLike | TariffLike[];
  usage: Usage;
}

export interface BillLine {
  code: string;
  name: { zh: string; en: string };
  quantity: string;
  unit: string;
  unitPrice: string;
  amount: string;
  /** where the line comes from, e.g. "domain-cn §1.4 ladder tier 2 surcharge" */
  rule: string;
  /** present when the period was split by a tariff change (§1.6) */
  segment?: number;
}

export interface RateSegmentInfo {
  tariffCode: string;
  version?: string | number;
  from: string;
  to: string;
  days: number;
  kwh: string;
}

export interface RateResult {
  lines: BillLine[];
  total: string;
  warnings: string[];
  details: {
    segments: RateSegmentInfo[];
    /** kWh per ladder tier of the whole bill */
    tiers?: string[];
    powerFactor?: string;
    pfAdjustmentPercent?: string;
    ptfBase?: string;
    governmentFunds?: string;
    touKwh?: Partial<Record<TouPeriod, string>>;
  };
}
