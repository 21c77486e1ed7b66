/**
 * Bill an hourly (or sub-hourly) load profile month by month against an imported URDB rate with
 * NREL SAM semantics:
 * - energy: per month, kWh per TOU period; tiers apply to the month's TOTAL kWh (bounds in kWh,
 *   kWh × days for `kWh daily`, kWh × monthly peak kW for `kWh/kW`, both for `kWh/kW daily`), each tier's kWh is split
 *   across periods in proportion to their usage and priced at that period's tier rate;
 * - TOU demand: per month and demand period, the maximum interval kW, tiered;
 * - flat demand: per month, the maximum kW of the month, tiered by the month's flat period;
 * - fixed monthly charge; monthly minimum (top-up) and annual minimum (top-up in December).
 * Arithmetic is IEEE double like SAM (URDB rates and loads are binary floats); amounts are
 * rounded half-up to cents only for display, and the annual total is the rounded exact sum —
 * the convention SAM and the peer engine report, so totals compare to the cent.
 */
import { ValidationError } from '../errors.js';
import { formatMoney, parseScaled } from '../money/decimal.js';
import type { UrdbRate, UrdbTier } from './import.js';

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export interface UrdbCalendar {
  /** intervals per hour (1 = hourly 8760, 4 = 15-minute 35040) */
  perHour: number;
  n: number;
  /** first interval index of each month, plus n at [12] */
  monthStart: Int32Array;
  energyPeriod: Uint8Array;
  demandPeriod: Uint8Array;
}

export interface UrdbMonth {
  month: number;
  kwh: number;
  peakKw: number;
  energy: number;
  demand: number;
  fixed: number;
  minimum: number;
  total: number;
}

export interface UrdbBill {
  months: UrdbMonth[];
  annual: number;
}

/**
 * Day of week (0 = Monday … 6 = Sunday) of Jan 1. Without a year, Monday (SAM's convention and the
 * fixtures' calendar). Example: `jan1Weekday(2025) === 2` (Wednesday).
 */
export function jan1Weekday(year?: number): number {
  if (year === undefined) return 0;
  const d = new Date(Date.UTC(year, 0, 1)).getUTCDay(); // 0 = Sunday
  return (d + 6) % 7;
}

/** Precompute period per interval for a rate and load length (once per rate/year/length). */
export function compileUrdbCalendar(rate: UrdbRate, n: number, year?: number): UrdbCalendar {
  if (n % 8760 !== 0 || n === 0) throw new ValidationError('load', `expected 8760 × k values (hourly or sub-hourly, 365 days), got ${n}`);
  const perHour = n / 8760;
  const energyPeriod = new Uint8Array(n);
  const demandPeriod = new Uint8Array(n);
  const monthStart = new Int32Array(13);
  let dow = jan1Weekday(year);
  let i = 0;
  for (let m = 0; m < 12; m++) {
    monthStart[m] = i;
    for (let d = 0; d < MONTH_DAYS[m]; d++) {
      const weekend = dow >= 5;
      const es = weekend ? rate.energyWeekend : rate.energyWeekday;
      const ds = weekend ? rate.demandWeekend : rate.demandWeekday;
      for (let h = 0; h < 24; h++) {
        const ep = es[m][h];
        const dp = ds ? ds[m][h] : 0;
        for (let k = 0; k < perHour; k++, i++) {
          energyPeriod[i] = ep;
          demandPeriod[i] = dp;
        }
      }
      dow = (dow + 1) % 7;
    }
  }
  monthStart[12] = n;
  return { perHour, n, monthStart, energyPeriod, demandPeriod };
}

function tiered(value: number, tiers: UrdbTier[]): number {
  let lo = 0;
  let c = 0;
  for (let t = 0; t < tiers.length; t++) {
    const hi = tiers[t].max;
    if (value > lo) c += ((value < hi ? value : hi) - lo) * tiers[t].rate;
    lo = hi;
    if (value <= lo) break;
  }
  return c;
}

/** Parse a load CSV: one kW value per line; a non-numeric first line is a header. Example: `parseLoadCsv("kW\n1.5\n2")`. */
export function parseLoadCsv(text: string): Float64Array {
  const lines = text.split(/\r?\n/);
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i].trim();
    if (s === '') continue;
    const v = Number(s.split(',')[0]);
    if (!Number.isFinite(v)) {
      if (out.length === 0 && i === 0) continue; // header
      throw new ValidationError(`load.${i + 1}`, `not a number: "${s}"`);
    }
    if (v < 0) throw new ValidationError(`load.${i + 1}`, 'negative load (export/net metering is not supported)');
    out.push(v);
  }
  return Float64Array.from(out);
}

/**
 * Bill a full year of load (kW per interval) against a URDB rate.
 * Example: `billUrdb(rate, parseLoadCsv(csv)).annual` ≈ 771.776 for SAM's residential TOU test.
 * Reusable scratch buffers make repeated calls allocation-light; pass a precompiled calendar for speed.
 */
export function billUrdb(rate: UrdbRate, load: Float64Array | number[], cal?: UrdbCalendar, year?: number): UrdbBill {
  const c = cal ?? compileUrdbCalendar(rate, load.length, year);
  if (c.n !== load.length) throw new ValidationError('load', `calendar is for ${c.n} values, load has ${load.length}`);
  const hours = 1 / c.perHour;
  const np = rate.energyTiers.length;
  const nd = Math.max(1, rate.demandTiers.length);
  const ep = new Float64Array(np);
  const dmax = new Float64Array(nd);
  const months: UrdbMonth[] = [];
  let annual = 0;
  for (let m = 0; m < 12; m++) {
    ep.fill(0);
    dmax.fill(0);
    let peak = 0;
    const a = c.monthStart[m];
    const b = c.monthStart[m + 1];
    for (let i = a; i < b; i++) {
      const kw = load[i];
      ep[c.energyPeriod[i]] += kw;
      const d = c.demandPeriod[i];
      if (kw > dmax[d]) dmax[d] = kw;
      if (kw > peak) peak = kw;
    }
    let E = 0;
    for (let p = 0; p < np; p++) {
      ep[p] *= hours;
      E += ep[p];
    }
    // energy: tiers on the month's total, split by period usage share
    let energy = 0;
    if (E > 0) {
      for (let p = 0; p < np; p++) {
        if (ep[p] === 0) continue;
        const share = ep[p] / E;
        const tiers = rate.energyTiers[p];
        let lo = 0;
        for (let t = 0; t < tiers.length; t++) {
          const tier = tiers[t];
          const u = tier.unit;
          const hi = u === 'kWh' ? tier.max : u === 'kWh daily' ? tier.max * MONTH_DAYS[m] : u === 'kWh/kW' ? tier.max * peak : tier.max * peak * MONTH_DAYS[m];
          if (E > lo) energy += ((E < hi ? E : hi) - lo) * share * tier.rate;
          lo = hi;
          if (E <= lo) break;
        }
      }
    }
    let demand = 0;
    if (rate.demandWeekday) for (let d = 0; d < rate.demandTiers.length; d++) demand += tiered(dmax[d], rate.demandTiers[d]);
    if (rate.flatDemandMonths) demand += tiered(peak, rate.flatDemandTiers[rate.flatDemandMonths[m]]);
    const fixed = rate.fixedMonthly;
    let total = energy + demand + fixed;
    const minimum = total < rate.minMonthly ? rate.minMonthly - total : 0;
    total += minimum;
    months.push({ month: m + 1, kwh: E, peakKw: peak, energy, demand, fixed, minimum, total });
    annual += total;
  }
  if (annual < rate.minAnnual) {
    const top = rate.minAnnual - annual;
    const dec = months[11];
    dec.minimum += top;
    dec.total += top;
    annual += top;
  }
  return { months, annual };
}

/** Round a double half-up to cents as a money string. Example: `cents(771.775986) === "771.78"`. */
export function cents(x: number): string {
  return formatMoney(parseScaled(x.toFixed(9), 2));
}

/** JSON shape printed by `voltline rate-urdb --json`. */
export function urdbBillJson(bill: UrdbBill) {
  return {
    months: bill.months.map((m) => ({
      month: m.month,
      kwh: m.kwh.toFixed(3),
      peakKw: m.peakKw.toFixed(3),
      energy: cents(m.energy),
      demand: cents(m.demand),
      fixed: cents(m.fixed),
      minimum: cents(m.minimum),
      total: cents(m.total),
    })),
    annual: cents(bill.annual),
    annualExact: bill.annual.toFixed(6),
  };
}
