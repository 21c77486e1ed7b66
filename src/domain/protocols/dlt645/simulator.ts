/**
 * Simulated DL/T 645-2007 meters (pure reply logic; the TCP side is src/jobs/meter-simulator.ts).
 *
 * Registers advance with a load shape per customer class, deterministically from the seed and
 * the clock passed in (`now`, epoch ms): energy(t) = R0 + size × ∫ shape, integrated hour by
 * hour from 2024-01-01 00:00 (Beijing time) and split into 尖/峰/平/谷 by an illustrative TOU
 * schedule. Restarting the simulator with the same seed gives the same readings.
 *
 * Address mapping (shared with the head-end and the demo data): meter index i (1-based) has
 * address `String(i).padStart(12, '0')`, e.g. 1 -> "000000000001", 10000 -> "000000010000".
 */
import { ERR, FN, buildAck, buildErrorReply, buildReadAddressReply, buildReadReply, formatChinaTime, interpretFrame } from './message.js';
import { BROADCAST_ADDRESS, decodeFrame, type RawFrame } from './frame.js';
import { lookupDi } from './di-table.js';
import type { Dlt645Value } from './formats.js';
import { Dlt645DecodeError, Dlt645EncodeError } from './errors.js';

export type CustomerClass = 'residential' | 'commercial' | 'industrial' | 'agriculture';

/** Request faults are probabilities per request; meter faults are shares of meters. */
export interface SimFaults {
  /** request gets no reply */
  noReply: number;
  /** reply sent after `lateMs` */
  late: number;
  /** reply with a corrupted checksum */
  badChecksum: number;
  /** abnormal reply (error word 0x01 其他错误) instead of the data */
  error: number;
  /** share of meters whose clock is off by 30 s .. 20 min */
  clockDrift: number;
  /** share of meters whose registers roll over 999999.99 -> 0 during the first hour of the run */
  rollover: number;
  /** share of meters with power-down events (03 11 00 xx); a meter in an outage does not answer */
  powerDown: number;
}

export const NO_FAULTS: SimFaults = { noReply: 0, late: 0, badChecksum: 0, error: 0, clockDrift: 0, rollover: 0, powerDown: 0 };

/** "no-reply=0.01,late=0.005,clock-drift=0.02" -> SimFaults (unknown names or bad numbers throw RangeError). */
export function parseFaults(text: string | undefined): SimFaults {
  const f: SimFaults = { ...NO_FAULTS };
  if (!text) return f;
  const names: Record<string, keyof SimFaults> = {
    'no-reply': 'noReply',
    late: 'late',
    'bad-checksum': 'badChecksum',
    error: 'error',
    'clock-drift': 'clockDrift',
    rollover: 'rollover',
    'power-down': 'powerDown',
  };
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = part.split('=');
    const key = names[k?.trim()];
    const p = Number(v);
    if (!key) throw new RangeError(`unknown fault "${k}" (known: ${Object.keys(names).join(', ')})`);
    if (v === undefined || !Number.isFinite(p) || p < 0 || p > 1) throw new RangeError(`fault ${k} needs a probability 0..1, got "${v}"`);
    f[key] = p;
  }
  return f;
}

export function meterAddress(index: number): string {
  if (!Number.isInteger(index) || index < 1 || index > 999_999_999_999) throw new RangeError(`meter index ${index} out of range`);
  return String(index).padStart(12, '0');
}

/** Inverse of meterAddress (undefined for a non-numeric address). */
export function meterIndexOf(address: string): number | undefined {
  return /^\d{12}$/.test(address) ? Number(address) : undefined;
}

// ------------------------------------------------------------------ deterministic randomness

/** 32-bit mix of integers -> [0, 1). */
export function hash01(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x | 0), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    h = Math.imul(h ^ Math.floor(x / 4294967296), 0x27d4eb2f) ^ (h >>> 15);
  }
  return (h >>> 0) / 4294967296;
}

export { prng } from '../../random.js';
import { prng } from '../../random.js';

// ------------------------------------------------------------------ load shapes

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CN_OFFSET = 8 * HOUR;
/** origin of the register integrals: 2024-01-01 00:00 Beijing time (a Monday) */
export const ORIGIN_MS = Date.UTC(2024, 0, 1) - CN_OFFSET;

/** relative kW per kW of meter size, hours 0..23 (Beijing time) */
const SHAPES: Record<CustomerClass | 'solar', number[]> = {
  // evening peak 18–22, small morning bump
  residential: [0.25, 0.2, 0.18, 0.17, 0.17, 0.2, 0.35, 0.55, 0.5, 0.35, 0.3, 0.35, 0.45, 0.35, 0.3, 0.3, 0.35, 0.5, 0.8, 1.0, 1.0, 0.9, 0.65, 0.4],
  // daytime, shops and offices 8–21
  commercial: [0.15, 0.14, 0.13, 0.13, 0.13, 0.15, 0.2, 0.4, 0.75, 0.95, 1.0, 1.0, 0.9, 0.95, 1.0, 1.0, 0.95, 0.9, 0.85, 0.8, 0.7, 0.45, 0.25, 0.18],
  // three shifts: flat with dips at the changes 00, 08, 16 and a lunch dip
  industrial: [0.65, 0.8, 0.82, 0.82, 0.8, 0.8, 0.82, 0.8, 0.62, 0.85, 0.88, 0.88, 0.7, 0.86, 0.88, 0.88, 0.63, 0.84, 0.86, 0.86, 0.85, 0.84, 0.82, 0.8],
  // irrigation pumps, daytime
  agriculture: [0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.5, 0.85, 1.0, 1.0, 1.0, 0.9, 0.6, 0.8, 1.0, 1.0, 0.95, 0.8, 0.4, 0.1, 0.05, 0.05, 0.05, 0.05],
  // rooftop PV export
  solar: [0, 0, 0, 0, 0, 0, 0.05, 0.2, 0.4, 0.6, 0.75, 0.82, 0.85, 0.8, 0.7, 0.55, 0.35, 0.15, 0.03, 0, 0, 0, 0, 0],
};
/** month factors Jan..Dec */
const SEASON: Record<CustomerClass | 'solar', number[]> = {
  residential: [1.25, 1.2, 1.0, 0.9, 0.9, 1.1, 1.45, 1.5, 1.1, 0.9, 0.95, 1.15],
  commercial: [1.1, 1.0, 1.0, 0.95, 1.0, 1.2, 1.4, 1.45, 1.2, 1.0, 1.0, 1.05],
  industrial: [1.0, 0.75, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
  agriculture: [0.2, 0.2, 0.5, 0.9, 1.0, 1.2, 1.3, 1.2, 0.8, 0.4, 0.2, 0.2],
  solar: [0.6, 0.7, 0.85, 1.0, 1.1, 1.1, 1.15, 1.15, 1.0, 0.85, 0.7, 0.6],
};
/** Saturday/Sunday factor */
const WEEKEND: Record<CustomerClass | 'solar', number> = { residential: 1.1, commercial: 0.65, industrial: 0.8, agriculture: 1.0, solar: 1.0 };
const TAN_PHI: Record<CustomerClass, number> = { residential: 0.2, commercial: 0.4, industrial: 0.5, agriculture: 0.6 };

/**
 * Illustrative TOU bands (not tariff data): 尖 19–21, 峰 08–11 and 13–19, 平 11–13 and 21–22,
 * 谷 22–08. Tariff numbers follow State Grid: 1 尖, 2 峰, 3 平, 4 谷 (domain-cn §9.2).
 */
export const TOU_OF_HOUR: readonly number[] = [4, 4, 4, 4, 4, 4, 4, 4, 2, 2, 2, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 3, 4, 4];

type Profile = CustomerClass | 'solar';

interface DayInfo {
  month: number; // 0..11
  weekend: boolean;
}

function dayInfo(day: number): DayInfo {
  const d = new Date(ORIGIN_MS + day * DAY + CN_OFFSET);
  const dow = d.getUTCDay();
  return { month: d.getUTCMonth(), weekend: dow === 0 || dow === 6 };
}

/** kWh per kW in hour h of day `day` */
function hourEnergy(p: Profile, day: number, h: number, info = dayInfo(day)): number {
  return SHAPES[p][h] * SEASON[p][info.month] * (info.weekend ? WEEKEND[p] : 1);
}

/** cumulative per-kW energy by tariff (index 0 = total, 1..4 = 尖峰平谷) at the start of each day */
const dayCum = new Map<Profile, Float64Array[]>();

function cumAtDayStart(p: Profile, day: number): Float64Array {
  let arr = dayCum.get(p);
  if (!arr) dayCum.set(p, (arr = [new Float64Array(5)]));
  while (arr.length <= day) {
    const d = arr.length - 1;
    const prev = arr[d];
    const next = Float64Array.from(prev);
    const info = dayInfo(d);
    for (let h = 0; h < 24; h++) {
      const e = hourEnergy(p, d, h, info);
      next[0] += e;
      next[TOU_OF_HOUR[h]] += e;
    }
    arr.push(next);
  }
  return arr[day];
}

/** cumulative per-kW energy [total, 尖, 峰, 平, 谷] from ORIGIN_MS to t */
export function profileEnergy(p: Profile, t: number): number[] {
  const since = Math.max(0, t - ORIGIN_MS);
  const day = Math.floor(since / DAY);
  const base = cumAtDayStart(p, day);
  const out = Array.from(base);
  const into = since - day * DAY;
  const hours = Math.floor(into / HOUR);
  const info = dayInfo(day);
  for (let h = 0; h <= hours && h < 24; h++) {
    const frac = h < hours ? 1 : (into - hours * HOUR) / HOUR;
    const e = hourEnergy(p, day, h, info) * frac;
    out[0] += e;
    out[TOU_OF_HOUR[h]] += e;
  }
  return out;
}

/** instantaneous per-kW load at t (linear between hour midpoints) */
export function profilePower(p: Profile, t: number): number {
  const since = Math.max(0, t - ORIGIN_MS);
  const x = since / HOUR - 0.5;
  const h0 = Math.floor(x);
  const w = x - h0;
  const at = (hAbs: number) => {
    const hh = Math.max(0, hAbs);
    const day = Math.floor(hh / 24);
    return hourEnergy(p, day, hh % 24);
  };
  return at(h0) * (1 - w) + at(h0 + 1) * w;
}

const demandCache = new Map<string, { demand: number; hourAbs: number }>();

/** highest hourly per-kW load of the Beijing-time month containing t, from its start up to t */
function monthPeak(p: Profile, t: number, wholeMonth: boolean): { demand: number; hourAbs: number } {
  const local = new Date(t + CN_OFFSET);
  const monthStart = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - CN_OFFSET;
  const monthEnd = Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1) - CN_OFFSET;
  const startH = Math.max(0, Math.floor((monthStart - ORIGIN_MS) / HOUR));
  const endH = Math.max(startH, Math.floor(((wholeMonth ? monthEnd - 1 : t) - ORIGIN_MS) / HOUR));
  const key = `${p}|${startH}|${endH}`;
  const hit = demandCache.get(key);
  if (hit) return hit;
  let best = { demand: 0, hourAbs: startH };
  for (let hAbs = startH; hAbs <= endH; hAbs++) {
    const v = hourEnergy(p, Math.floor(hAbs / 24), hAbs % 24);
    if (v > best.demand) best = { demand: v, hourAbs: hAbs };
  }
  if (demandCache.size > 10_000) demandCache.clear();
  demandCache.set(key, best);
  return best;
}

function monthsBack(t: number, n: number): number {
  const local = new Date(t + CN_OFFSET);
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - n, 1) - CN_OFFSET;
}

const round2 = (x: number) => Math.floor(x * 100 + 1e-7) / 100;
const round4 = (x: number) => Math.round(x * 10000) / 10000;
const REGISTER_MOD = 1_000_000; // XXXXXX.XX
/** how the register value at the origin is split over total, 尖, 峰, 平, 谷 */
const INITIAL_SPLIT = [1, 0.1, 0.3, 0.25, 0.35];

// ------------------------------------------------------------------ meters

export interface MeterProfile {
  index: number;
  address: string;
  customerClass: CustomerClass;
  /** nominal size: kW at shape 1.0, primary side */
  sizeKw: number;
  /**
   * 综合倍率 (CT × PT ratio): large customers are metered through transformers, so the meter's
   * registers count secondary energy = primary / multiplier (domain-cn §5.3). 1 for direct meters.
   */
  multiplier: number;
  /** register value at ORIGIN_MS, kWh */
  initialKwh: number;
  /** rooftop PV size (kW), 0 for none: drives reverse active energy */
  pvKw: number;
  /** meter constant imp/kWh (04 00 04 09) */
  impPerKwh: number;
  /** clock offset of the meter, ms (clock-drift fault) */
  driftMs: number;
  /** rollover fault: register crosses 999999.99 at this instant */
  rolloverAt?: number;
  powerDown: boolean;
}

export interface FleetOptions {
  count: number;
  seed: number;
  faults?: Partial<SimFaults>;
  /** simulator start (epoch ms): rollover meters roll over within an hour after it */
  startMs: number;
  /** first meter index (default 1) */
  firstIndex?: number;
}

/** customer class share: 70 % residential, 15 % commercial, 8 % industrial, 7 % agriculture */
export function classOf(seed: number, index: number): CustomerClass {
  const r = hash01(seed, index, 1);
  return r < 0.7 ? 'residential' : r < 0.85 ? 'commercial' : r < 0.93 ? 'industrial' : 'agriculture';
}

/** Deterministic meter profile from (seed, index); `startMs` (simulator start) only places rollover faults. */
export function meterProfile(seed: number, index: number, faults: SimFaults = NO_FAULTS, startMs = ORIGIN_MS): MeterProfile {
  const cls = classOf(seed, index);
  const r = (salt: number) => hash01(seed, index, salt);
  const size = cls === 'residential' ? 2 + 6 * r(2) : cls === 'commercial' ? 15 + 85 * r(2) : cls === 'industrial' ? 200 + 1800 * r(2) : 10 + 60 * r(2);
  const pvKw = (cls === 'residential' || cls === 'commercial') && r(3) < 0.12 ? round2(size * (0.5 + r(4))) : 0;
  // CT ratios x/5 (and 10 kV PT 100 for industry) keeping the secondary load under ~40 kW
  const multiplier = size <= 40 ? 1 : cls === 'industrial' ? 100 * [1, 2, 4, 8, 10, 20].find((k) => size / (100 * k) <= 40)! : [10, 20, 40, 60, 80].find((k) => size / k <= 40)!;
  const p: MeterProfile = {
    index,
    address: meterAddress(index),
    customerClass: cls,
    sizeKw: round2(size),
    multiplier,
    initialKwh: round2(r(5) * 20_000),
    pvKw,
    impPerKwh: cls === 'residential' ? 1200 : 6400,
    driftMs: 0,
    powerDown: r(8) < faults.powerDown,
  };
  if (r(6) < faults.clockDrift) p.driftMs = Math.round((r(7) < 0.5 ? -1 : 1) * (30_000 + r(9) * 1_170_000));
  if (r(10) < faults.rollover) p.rolloverAt = startMs + 60_000 + Math.floor(r(11) * 3_000_000);
  return p;
}

export interface OutageEvent {
  start: number;
  /** undefined while the outage lasts */
  end?: number;
}

const OUTAGE_BUCKET = 3 * DAY;

/** Power-down events of a power-down meter up to `now`, newest first (about one per 6 days). */
export function outages(seed: number, m: MeterProfile, now: number, max = 10): { total: number; recent: OutageEvent[] } {
  if (!m.powerDown) return { total: 0, recent: [] };
  const last = Math.floor((now - ORIGIN_MS) / OUTAGE_BUCKET);
  const first = Math.max(0, last - 120); // events of the last year count
  const recent: OutageEvent[] = [];
  let total = 0;
  for (let b = last; b >= first; b--) {
    if (hash01(seed, m.index, 100, b) >= 0.5) continue;
    const start = ORIGIN_MS + b * OUTAGE_BUCKET + Math.floor(hash01(seed, m.index, 101, b) * (OUTAGE_BUCKET - 5 * HOUR));
    if (start > now) continue;
    const u = hash01(seed, m.index, 102, b);
    const dur = Math.round(60_000 + u * u * u * 4 * HOUR); // mostly short
    total++;
    if (recent.length < max) recent.push({ start, end: start + dur <= now ? start + dur : undefined });
  }
  return { total, recent };
}

export class SimulatedMeter {
  /** clock offset, ms; set to 0 by a broadcast time within ±5 min */
  driftMs: number;
  private readonly rolloverOffset: number;

  constructor(
    readonly seed: number,
    readonly profile: MeterProfile,
  ) {
    this.driftMs = profile.driftMs;
    this.rolloverOffset = 0;
    if (profile.rolloverAt !== undefined) {
      // choose R0 so that the forward total crosses 1,000,000 at rolloverAt
      const e = (profileEnergy(profile.customerClass, profile.rolloverAt)[0] * profile.sizeKw) / profile.multiplier;
      this.rolloverOffset = REGISTER_MOD - 0.005 - e - profile.initialKwh;
    }
  }

  get address(): string {
    return this.profile.address;
  }

  /** secondary-side size, kW (what the meter itself sees) */
  private get kw(): number {
    return this.profile.sizeKw / this.profile.multiplier;
  }

  /** true while a power-down event lasts: the meter does not answer */
  isDown(now: number): boolean {
    if (!this.profile.powerDown) return false;
    const o = outages(this.seed, this.profile, now, 1).recent[0];
    return !!o && o.end === undefined;
  }

  private forward(t: number): number[] {
    const p = this.profile;
    const e = profileEnergy(p.customerClass, t);
    const r0 = p.initialKwh + this.rolloverOffset;
    return e.map((x, i) => round2((((r0 * INITIAL_SPLIT[i] + x * this.kw) % REGISTER_MOD) + REGISTER_MOD) % REGISTER_MOD));
  }

  /** 组合无功1 = 第一象限无功 (inductive load): active × tanφ of the class */
  private reactive(t: number): number[] {
    const p = this.profile;
    const tan = TAN_PHI[p.customerClass];
    return profileEnergy(p.customerClass, t).map((x, i) => round2(((p.initialKwh * INITIAL_SPLIT[i] + x * this.kw) * tan) % REGISTER_MOD));
  }

  private reverse(t: number): number[] {
    const p = this.profile;
    if (!p.pvKw) return [0, 0, 0, 0, 0];
    return profileEnergy('solar', t).map((x) => round2(((x * p.pvKw * 0.6) / p.multiplier) % REGISTER_MOD));
  }

  /** Register value of a DI at `now`, or undefined if this meter has no such data. */
  read(di: string, now: number): Dlt645Value | undefined {
    const p = this.profile;
    const d3 = di.slice(0, 2);
    const d2 = parseInt(di.slice(2, 4), 16);
    const d1 = parseInt(di.slice(4, 6), 16);
    const d0 = parseInt(di.slice(6, 8), 16);
    const clock = now + this.driftMs;
    if (d3 === '00') {
      if (d0 > 12) return undefined;
      const t = d0 === 0 ? now : monthsBack(now, d0 - 1); // settlement day: 1st 00:00
      let regs: number[];
      if (d2 === 0 || d2 === 1) regs = this.forward(t);
      else if (d2 === 2) regs = this.reverse(t);
      else if (d2 === 3 || d2 === 5) regs = this.reactive(t);
      else if (d2 >= 4 && d2 <= 8) regs = [0, 0, 0, 0, 0];
      else return undefined;
      if (d1 === 0xff) return regs;
      return d1 <= 4 ? regs[d1] : undefined;
    }
    if (d3 === '01') {
      if (d2 !== 1 || d1 !== 0 || d0 > 12) return undefined;
      const t = d0 === 0 ? now : monthsBack(now, d0);
      const peak = monthPeak(p.customerClass, d0 === 0 ? now : t, d0 !== 0);
      return { demand: round4(peak.demand * this.kw * 1.08), time: formatChinaTime(ORIGIN_MS + peak.hourAbs * HOUR + 15 * 60_000).slice(0, 16) };
    }
    if (d3 === '02') {
      const kw = profilePower(p.customerClass, now) * this.kw - (p.pvKw ? (profilePower('solar', now) * p.pvKw * 0.6) / p.multiplier : 0);
      const wobble = hash01(this.seed, p.index, 200, Math.floor(now / 60_000)) - 0.5;
      const volts = round2(220 + wobble * 8);
      const pf = Math.cos(Math.atan(TAN_PHI[p.customerClass]));
      const phases = p.customerClass === 'residential' ? 1 : 3;
      switch (di) {
        case '02010100':
        case '02010200':
        case '02010300':
          return di === '02010100' || phases === 3 ? Math.round(volts * 10) / 10 : undefined;
        case '02020100':
          return Math.round(((kw * 1000) / (volts * pf * phases)) * 1000) / 1000;
        case '02030000':
          return round4(kw);
        case '02040000':
          return round4(kw * TAN_PHI[p.customerClass]);
        case '02060000':
          return Math.round(pf * 1000) / 1000;
        case '02800002':
          return round2(50 + wobble * 0.04);
        default:
          return undefined;
      }
    }
    if (d3 === '03') {
      if (di === '03300D00' || di === '03300E00') return 0;
      if (di.startsWith('031100') && d0 <= 10) {
        const o = outages(this.seed, p, now);
        if (d0 === 0) return o.total;
        const ev = o.recent[d0 - 1];
        const zero = '2000-00-00 00:00:00';
        if (!ev) return { start: zero, end: zero };
        return { start: formatChinaTime(ev.start + this.driftMs), end: ev.end ? formatChinaTime(ev.end + this.driftMs) : zero };
      }
      return undefined;
    }
    if (d3 === '04') {
      const local = formatChinaTime(clock);
      switch (di) {
        case '04000101': {
          const dow = new Date(clock + CN_OFFSET).getUTCDay();
          return `${local.slice(0, 10)} W${dow}`;
        }
        case '04000102':
          return local.slice(11);
        case '04000401':
        case '04000402':
          return p.address;
        case '04000409':
          return p.impPerKwh;
        case '04000B01':
          return '01日 00时';
        default:
          return undefined;
      }
    }
    if (d3 === '05' && d2 === 0x06 && d0 >= 1 && d0 <= 62) {
      // daily freeze at 00:00 local: 上n次 = n-1 days before today's midnight
      const todayStart = Math.floor((now + CN_OFFSET) / DAY) * DAY - CN_OFFSET;
      const t = todayStart - (d0 - 1) * DAY;
      if (d1 === 0) return formatChinaTime(t).slice(0, 16);
      if (d1 === 1) return this.forward(t);
      if (d1 === 2) return this.reverse(t);
    }
    return undefined;
  }
}

export function createFleet(o: FleetOptions): SimulatedMeter[] {
  const faults = { ...NO_FAULTS, ...o.faults };
  const first = o.firstIndex ?? 1;
  return Array.from({ length: o.count }, (_, i) => new SimulatedMeter(o.seed, meterProfile(o.seed, first + i, faults, o.startMs)));
}

// ------------------------------------------------------------------ request handling

const KNOWN_FUNCTIONS = new Set<number>(Object.values(FN));

export interface SimReply {
  bytes: Uint8Array;
  /** send after this many ms (late fault), 0 = now */
  delayMs: number;
  /** which fault shaped this reply, if any */
  fault?: 'late' | 'bad-checksum' | 'error';
}

export interface HandleOptions {
  now: number;
  faults: SimFaults;
  /** PRNG for request faults */
  random: () => number;
  /** delay of a late reply, ms (default 2000) */
  lateMs?: number;
}

/**
 * What a bus of meters (a concentrator's RS-485 port) answers to one request frame: zero or one
 * reply. Broadcast time (0x08, address 999999999999) sets every meter's clock whose offset is
 * within ±5 min and gets no reply; read address (0x13) to the wildcard address is answered by
 * the first meter only (a point-to-point line); an unknown DI gets an abnormal reply with error
 * word 0x02 (无请求数据); write / clear / control get 0x04 (密码错/未授权): the simulator is read only.
 * Undecodable frames get no reply (as on a real bus).
 */
export function handleRequest(meters: ReadonlyMap<string, SimulatedMeter> | SimulatedMeter[], frame: Uint8Array | RawFrame, o: HandleOptions): SimReply | null {
  let raw: RawFrame;
  try {
    raw = frame instanceof Uint8Array ? decodeFrame(frame) : frame;
  } catch (e) {
    if (e instanceof Dlt645DecodeError) return null;
    throw e;
  }
  const list = Array.isArray(meters) ? meters : [...meters.values()];
  const byAddr = Array.isArray(meters) ? undefined : meters;
  const fn = raw.control & 0x1f;
  if (raw.control & 0x80) return null; // a reply on the bus: ignore
  if (!KNOWN_FUNCTIONS.has(fn)) return null; // not a DL/T 645-2007 function: a meter stays silent
  if (fn === FN.BROADCAST_TIME && raw.address === BROADCAST_ADDRESS) {
    try {
      const m = interpretFrame(raw);
      const t = Date.parse(m.time!.replace(' ', 'T') + '+08:00');
      if (Number.isFinite(t)) for (const meter of list) if (Math.abs(o.now + meter.driftMs - t) <= 5 * 60_000) meter.driftMs = t - o.now;
    } catch {
      /* bad time: ignored like a meter would */
    }
    return null;
  }
  let meter: SimulatedMeter | undefined;
  if (fn === FN.READ_ADDRESS && /^A+$/.test(raw.address)) meter = list[0];
  else if (raw.address.includes('A')) {
    const re = new RegExp('^' + raw.address.replace(/AA/g, '..') + '$');
    meter = list.find((m) => re.test(m.address));
  } else meter = byAddr ? byAddr.get(raw.address) : list.find((m) => m.address === raw.address);
  if (!meter) return null;
  if (meter.isDown(o.now)) return null;
  const r = o.random();
  const f = o.faults;
  if (r < f.noReply) return null;
  const addr = meter.address;
  let reply: Uint8Array;
  let fault: SimReply['fault'];
  let delayMs = 0;
  if (r < f.noReply + f.error) {
    reply = buildErrorReply(addr, fn, ERR.OTHER);
    fault = 'error';
  } else {
    reply = safeAnswer(meter, raw, fn, o.now);
  }
  const r2 = o.random();
  if (r2 < f.badChecksum) {
    reply = Uint8Array.from(reply);
    reply[reply.length - 2] ^= 0x5a;
    fault = 'bad-checksum';
  } else if (r2 < f.badChecksum + f.late) {
    delayMs = o.lateMs ?? 2000;
    fault = 'late';
  }
  return { bytes: reply, delayMs, fault };
}

function answer(meter: SimulatedMeter, raw: RawFrame, fn: number, now: number): Uint8Array {
  const addr = meter.address;
  switch (fn) {
    case FN.READ: {
      if (raw.data.length < 4) return buildErrorReply(addr, fn, ERR.OTHER);
      const di = Array.from(raw.data.subarray(0, 4)).reverse().map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
      const v = lookupDi(di) ? meter.read(di, now) : undefined;
      if (v === undefined) return buildErrorReply(addr, fn, ERR.NO_DATA);
      return buildReadReply(addr, di, v);
    }
    case FN.READ_FOLLOW_UP:
      return buildErrorReply(addr, fn, ERR.NO_DATA);
    case FN.READ_ADDRESS:
      return buildReadAddressReply(addr);
    case FN.FREEZE:
      return buildAck(addr, fn);
    default:
      return buildErrorReply(addr, fn, ERR.UNAUTHORIZED);
  }
}

/** answer(), but a value that does not fit its format becomes an abnormal reply, never a crash */
function safeAnswer(meter: SimulatedMeter, raw: RawFrame, fn: number, now: number): Uint8Array {
  try {
    return answer(meter, raw, fn, now);
  } catch (e) {
    if (e instanceof Dlt645EncodeError) return buildErrorReply(meter.address, fn, ERR.OTHER);
    throw e;
  }
}
