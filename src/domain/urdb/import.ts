/**
 * Import an OpenEI Utility Rate Database (URDB) rate item into a normalized structure
 * (semantics of NREL SAM's utility-rate module, issue 3): 0-based period schedules 12×24 for
 * weekdays/weekends, energy tiers in `kWh`, `kWh daily`, `kWh/kW`, TOU and flat demand tiers in
 * `kW`, fixed monthly charge, minimum monthly and annual charges. Unknown units are rejected with
 * `AppError('UNSUPPORTED', …)` naming the field.
 */
import { AppError, ValidationError } from '../errors.js';

export type EnergyUnit = 'kWh' | 'kWh daily' | 'kWh/kW' | 'kWh/kW daily';

export interface UrdbTier {
  /** upper bound of the tier (in the tier's unit); Infinity for the last tier */
  max: number;
  /** $/kWh or $/kW, rate + adj */
  rate: number;
}

export interface UrdbEnergyTier extends UrdbTier {
  unit: EnergyUnit;
}

export interface UrdbRate {
  name: string;
  label?: string;
  utility?: string;
  energyWeekday: number[][];
  energyWeekend: number[][];
  energyTiers: UrdbEnergyTier[][];
  demandWeekday: number[][] | null;
  demandWeekend: number[][] | null;
  demandTiers: UrdbTier[][];
  /** flat (monthly) demand: period per month and tiers per period */
  flatDemandMonths: number[] | null;
  flatDemandTiers: UrdbTier[][];
  fixedMonthly: number;
  minMonthly: number;
  minAnnual: number;
}

const HUGE = 1e37; // URDB/SAM use 1e38 (or 9.99e37) for "no upper bound"

function unsupported(field: string, message: string): AppError {
  return new AppError('UNSUPPORTED', `${field}: ${message}`, { field });
}

function schedule(v: unknown, field: string, periods: number): number[][] {
  let s = v;
  if (typeof s === 'string') {
    try {
      s = JSON.parse(s);
    } catch {
      throw new ValidationError(field, 'not a JSON 12×24 matrix');
    }
  }
  if (!Array.isArray(s) || s.length !== 12) throw new ValidationError(field, 'must be 12 rows (months) of 24 hours');
  return s.map((row, m) => {
    if (!Array.isArray(row) || row.length !== 24) throw new ValidationError(`${field}.${m}`, 'must have 24 hours');
    return row.map((x, h) => {
      const p = Number(x);
      if (!Number.isInteger(p) || p < 0 || p >= periods) throw new ValidationError(`${field}.${m}.${h}`, `period ${x} is not in 0..${periods - 1}`);
      return p;
    });
  });
}

function tiers(v: unknown, field: string, energy: boolean): Array<Array<UrdbTier & { unit?: EnergyUnit }>> {
  if (!Array.isArray(v) || v.length === 0) throw new ValidationError(field, 'must be a non-empty array of periods');
  return v.map((period, p) => {
    if (!Array.isArray(period) || period.length === 0) throw new ValidationError(`${field}.${p}`, 'must be a non-empty array of tiers');
    let last = -Infinity;
    return period.map((t: Record<string, unknown>, i: number) => {
      const f = `${field}.${p}.${i}`;
      const rate = Number(t.rate ?? 0) + Number(t.adj ?? 0);
      if (!Number.isFinite(rate)) throw new ValidationError(`${f}.rate`, 'must be a number');
      let max = t.max === undefined || t.max === null ? Infinity : Number(t.max);
      if (!Number.isFinite(max) && max !== Infinity) throw new ValidationError(`${f}.max`, 'must be a number');
      if (max >= HUGE) max = Infinity;
      if (max <= last) throw new ValidationError(`${f}.max`, `tiers out of order (${max} ≤ ${last})`);
      last = max;
      const out: UrdbTier & { unit?: EnergyUnit } = { max, rate };
      if (energy) {
        const unit = (t.unit ?? 'kWh') as string;
        if (unit !== 'kWh' && unit !== 'kWh daily' && unit !== 'kWh/kW' && unit !== 'kWh/kW daily') {
          throw unsupported(`${f}.unit`, `energy tier unit "${unit}" is not supported (kWh, kWh daily, kWh/kW, kWh/kW daily)`);
        }
        out.unit = unit;
      } else if (t.unit !== undefined && t.unit !== 'kW') {
        throw unsupported(`${f}.unit`, `demand tier unit "${String(t.unit)}" is not supported (kW)`);
      }
      return out;
    });
  });
}

/**
 * Import a URDB rate: an API response `{ items: [rate] }`, a bare rate item, or either as a JSON
 * string (some stored fixtures are JSON-encoded strings).
 * Example: `importUrdbRate(JSON.parse(fs.readFileSync('urdbv7.json', 'utf8'))).energyTiers.length === 2`.
 */
export function importUrdbRate(json: unknown): UrdbRate {
  let r: unknown = json;
  for (let i = 0; i < 2 && typeof r === 'string'; i++) {
    try {
      r = JSON.parse(r);
    } catch {
      throw new ValidationError('rate', 'not valid JSON');
    }
  }
  if (r && typeof r === 'object' && Array.isArray((r as { items?: unknown }).items)) {
    const items = (r as { items: unknown[] }).items;
    if (items.length !== 1) throw new ValidationError('rate.items', `expected exactly one rate item, got ${items.length}`);
    r = items[0];
  }
  if (!r || typeof r !== 'object') throw new ValidationError('rate', 'expected a URDB rate object');
  const o = r as Record<string, unknown>;
  if (!o.energyratestructure) throw new ValidationError('energyratestructure', 'required');
  const energyTiers = tiers(o.energyratestructure, 'energyratestructure', true) as UrdbEnergyTier[][];
  const ep = energyTiers.length;
  const energyWeekday = schedule(o.energyweekdayschedule, 'energyweekdayschedule', ep);
  const energyWeekend = schedule(o.energyweekendschedule ?? o.energyweekdayschedule, 'energyweekendschedule', ep);
  for (const unitField of ['demandrateunit', 'flatdemandunit', 'demandunits'] as const) {
    const u = o[unitField];
    if (u !== undefined && u !== 'kW') throw unsupported(unitField, `demand unit "${String(u)}" is not supported (kW)`);
  }
  let demandTiers: UrdbTier[][] = [];
  let demandWeekday: number[][] | null = null;
  let demandWeekend: number[][] | null = null;
  if (o.demandratestructure) {
    demandTiers = tiers(o.demandratestructure, 'demandratestructure', false);
    demandWeekday = schedule(o.demandweekdayschedule, 'demandweekdayschedule', demandTiers.length);
    demandWeekend = schedule(o.demandweekendschedule ?? o.demandweekdayschedule, 'demandweekendschedule', demandTiers.length);
  }
  let flatDemandTiers: UrdbTier[][] = [];
  let flatDemandMonths: number[] | null = null;
  if (o.flatdemandstructure) {
    flatDemandTiers = tiers(o.flatdemandstructure, 'flatdemandstructure', false);
    const fm = o.flatdemandmonths ?? new Array(12).fill(0);
    if (!Array.isArray(fm) || fm.length !== 12) throw new ValidationError('flatdemandmonths', 'must have 12 entries');
    flatDemandMonths = fm.map((x, m) => {
      const p = Number(x);
      if (!Number.isInteger(p) || p < 0 || p >= flatDemandTiers.length) throw new ValidationError(`flatdemandmonths.${m}`, `period ${x} is not in 0..${flatDemandTiers.length - 1}`);
      return p;
    });
  }
  let fixedMonthly = 0;
  if (o.fixedmonthlycharge !== undefined) fixedMonthly = Number(o.fixedmonthlycharge);
  else if (o.fixedchargefirstmeter !== undefined) {
    const unit = (o.fixedchargeunits ?? '$/month') as string;
    if (unit !== '$/month') throw unsupported('fixedchargeunits', `fixed charge unit "${unit}" is not supported ($/month)`);
    fixedMonthly = Number(o.fixedchargefirstmeter);
  }
  let minMonthly = Number(o.minmonthlycharge ?? 0);
  if (o.minchargeunits !== undefined && o.minchargeunits !== '$/month' && o.mincharge !== undefined) {
    throw unsupported('minchargeunits', `minimum charge unit "${String(o.minchargeunits)}" is not supported ($/month)`);
  }
  if (o.mincharge !== undefined && o.minmonthlycharge === undefined) minMonthly = Number(o.mincharge);
  const minAnnual = Number(o.annualmincharge ?? 0);
  for (const [f, v] of [['fixedmonthlycharge', fixedMonthly], ['minmonthlycharge', minMonthly], ['annualmincharge', minAnnual]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new ValidationError(f, 'must be a non-negative number');
  }
  return {
    name: String(o.name ?? o.label ?? 'URDB rate'),
    label: o.label as string | undefined,
    utility: o.utility as string | undefined,
    energyWeekday,
    energyWeekend,
    energyTiers,
    demandWeekday,
    demandWeekend,
    demandTiers,
    flatDemandMonths,
    flatDemandTiers,
    fixedMonthly,
    minMonthly,
    minAnnual,
  };
}
