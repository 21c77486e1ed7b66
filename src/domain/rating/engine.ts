/**
 * The numeric core of the rating engine: one billing segment (one tariff version) in scaled
 * integers — kWh/kW at scale 2 ("centi"), prices at scale 6 (µ元), amounts in 分 — written into a
 * reusable {@link LineSink}. No strings are built and nothing is allocated per bill on the hot path
 * (warnings excepted). `rateBill` (rate-bill.ts) wraps it with parsing, validation and formatting.
 */
import { ValidationError } from '../errors.js';
import { amountFen, divRoundHalfUp, mulDivRound, mulRound } from '../money/decimal.js';
import type { CompiledTariff } from './compile.js';
import { METHOD_CODE } from './compile.js';

export interface LineTemplate {
  code: string;
  name: { zh: string; en: string };
  unit: string;
  rule: string;
  /** 'QTY' quantity at scale 2 / price µ元; 'MONEY' quantity in 分 / price = rate at scale 6 */
  kind: 'QTY' | 'MONEY';
}

const P_NAMES = [
  { zh: '尖峰电费', en: 'Critical-peak energy' },
  { zh: '高峰电费', en: 'Peak energy' },
  { zh: '平段电费', en: 'Flat energy' },
  { zh: '低谷电费', en: 'Valley energy' },
  { zh: '深谷电费', en: 'Deep-valley energy' },
];
const P_CODES = ['SHARP', 'PEAK', 'FLAT', 'VALLEY', 'DEEP'];
const P_ZH = ['尖', '峰', '平', '谷', '深谷'];
const TIER_ZH = ['一', '二', '三', '四', '五', '六'];

const T_ENERGY: LineTemplate = { code: 'ENERGY', name: { zh: '电度电费', en: 'Energy charge' }, unit: 'kWh', rule: 'domain-cn §0.3 flat energy price', kind: 'QTY' };
const T_PERIOD: LineTemplate[] = P_CODES.map((p, i) => ({
  code: `ENERGY_${p}`,
  name: P_NAMES[i],
  unit: 'kWh',
  rule: `domain-cn §2.3 TOU period ${p} price`,
  kind: 'QTY' as const,
}));
const T_TIER: LineTemplate[] = TIER_ZH.map((z, i) => ({
  code: `ENERGY_TIER${i + 1}`,
  name: { zh: `第${z}档电费`, en: `Tier ${i + 1} energy` },
  unit: 'kWh',
  rule: `domain-cn §1.3 ladder tier ${i + 1}`,
  kind: 'QTY' as const,
}));
const T_SURCHARGE: LineTemplate[] = TIER_ZH.map((z, i) => ({
  code: `LADDER_T${i + 1}_SURCHARGE`,
  name: { zh: `第${z}档加价电费`, en: `Tier ${i + 1} surcharge` },
  unit: 'kWh',
  rule: `domain-cn §1.4 ladder tier ${i + 1} surcharge`,
  kind: 'QTY' as const,
}));
const T_CAPACITY: LineTemplate = { code: 'BASIC_CAPACITY', name: { zh: '容量电费', en: 'Capacity charge' }, unit: 'kVA', rule: 'domain-cn §3.4 basic charge by transformer capacity', kind: 'QTY' };
const T_CAPACITY_PART: LineTemplate = { ...T_CAPACITY, rule: 'domain-cn §3.4 basic charge by capacity, partial month by days' };
const T_CONTRACT: LineTemplate = { code: 'BASIC_DEMAND', name: { zh: '需量电费', en: 'Demand charge' }, unit: 'kW', rule: 'domain-cn §3.4 contract demand (≤105 %: contract × price)', kind: 'QTY' };
const T_CONTRACT_OVER: LineTemplate = { code: 'BASIC_DEMAND', name: { zh: '需量电费', en: 'Demand charge' }, unit: 'kW', rule: 'domain-cn §3.4 contract demand exceeded 105 %: actual × price', kind: 'QTY' };
const T_OVERRUN: LineTemplate = { code: 'BASIC_DEMAND_OVERRUN', name: { zh: '超合同需量105%部分加收', en: 'Demand above 105 % of contract' }, unit: 'kW', rule: 'domain-cn §3.4 105 % rule (超过部分加一倍)', kind: 'QTY' };
const T_ACTUAL: LineTemplate = { code: 'BASIC_DEMAND', name: { zh: '需量电费', en: 'Demand charge' }, unit: 'kW', rule: 'domain-cn §3.4 actual maximum demand', kind: 'QTY' };
const T_PF: LineTemplate = { code: 'PF_ADJUSTMENT', name: { zh: '功率因数调整电费', en: 'Power-factor adjustment' }, unit: '元', rule: 'domain-cn §4.4 力调电费 = (基本电费 + 电度电费基数) × 调整%', kind: 'MONEY' };

const variantCache = new Map<LineTemplate, LineTemplate[]>();
/** Same line with the rule text extended (260 kWh/kVA discount, partial month); cached, no per-bill allocation. */
function variant(t: LineTemplate, highLoad: boolean, partial: boolean): LineTemplate {
  if (!highLoad && !partial) return t;
  let v = variantCache.get(t);
  if (!v) {
    const mk = (h: boolean, p: boolean): LineTemplate => ({
      ...t,
      rule: t.rule + (h ? '; demand price × 0.90 at ≥ 260 kWh/kVA (526号)' : '') + (p ? '; partial month by days' : ''),
    });
    v = [t, mk(true, false), mk(false, true), mk(true, true)];
    variantCache.set(t, v);
  }
  return v[(highLoad ? 1 : 0) + (partial ? 2 : 0)];
}

const itemTplCache = new WeakMap<CompiledTariff, LineTemplate[][]>();
function itemTemplates(ct: CompiledTariff): LineTemplate[][] {
  let t = itemTplCache.get(ct);
  if (!t) {
    t = ct.components.map((c) =>
      [...P_CODES.map((p, i) => ({
        code: `${c.code}_${p}`,
        name: { zh: `${c.name.zh}(${P_ZH[i]})`, en: `${c.name.en} (${p})` },
        unit: 'kWh',
        rule: `domain-cn §3.2 itemised ${c.kind}, TOU ${p} (floated)`,
        kind: 'QTY' as const,
      })), {
        code: c.code,
        name: c.name,
        unit: 'kWh',
        rule: `domain-cn §3.2 itemised ${c.kind}`,
        kind: 'QTY' as const,
      }],
    );
    itemTplCache.set(ct, t);
  }
  return t;
}

/** Reusable output buffer for bill lines (struct of arrays). */
export class LineSink {
  n = 0;
  tpl: LineTemplate[] = [];
  qty: number[] = [];
  price: number[] = [];
  amount: number[] = [];
  segment: number[] = [];
  warnings: string[] = [];
  /** kWh per tier of the last rated segment (centi) */
  tiers: number[] = [0, 0, 0, 0, 0, 0, 0];
  nTiers = 0;
  ptfBase = 0;
  funds = 0;
  total = 0;
  seg = 0;
  reset(): void {
    this.n = 0;
    this.total = 0;
    this.ptfBase = 0;
    this.funds = 0;
    this.nTiers = 0;
    this.seg = 0;
    if (this.warnings.length) this.warnings = [];
  }
  push(t: LineTemplate, qty: number, price: number, amount: number): void {
    const i = this.n++;
    this.tpl[i] = t;
    this.qty[i] = qty;
    this.price[i] = price;
    this.amount[i] = amount;
    this.segment[i] = this.seg;
    this.total += amount;
  }
}

/** Numeric input of one segment. Reuse one instance across bills on hot paths. */
export class SegmentInput {
  /** billing month 1..12 (season selection) */
  month = 1;
  /** kWh per TOU period (centi), SHARP..DEEP */
  e: number[] = [0, 0, 0, 0, 0];
  /** total kWh of the segment (centi) */
  total = 0;
  /** effective ladder thresholds (centi) after proration / household / split */
  thresholds: number[] = [];
  /** ladder cumulative kWh before this segment (centi) */
  prevCum = 0;
  /** basic-charge method (METHOD_CODE) or −1 for the tariff default */
  method = -1;
  capacity = -1;
  contract = -1;
  maxDemand = -1;
  /** kWh of the whole bill (centi) for the 260 kWh/kVA rule */
  billKwh = 0;
  /** basic charge × num/den (partial month, split periods) */
  prorNum = 1;
  prorDen = 1;
  /** PF adjustment, hundredths of a percent; NaN = none */
  pfPctH = Number.NaN;
}

/**
 * Allocate `q` kWh over ladder tiers given `prev` already billed this ladder year (§1.3):
 * tier_i = max(0, min(prev+q, T_i) − max(prev, T_{i−1})). Writes into `out`, returns tier count.
 * Example: prev 2600, q 350, T [2760, 4800] → [160, 190, 0].
 */
export function allocateTiers(prev: number, q: number, thresholds: number[], out: number[]): number {
  const end = prev + q;
  let lower = 0;
  const n = thresholds.length;
  for (let i = 0; i < n; i++) {
    const upper = thresholds[i];
    const lo = prev > lower ? prev : lower;
    const hi = end < upper ? end : upper;
    out[i] = hi > lo ? hi - lo : 0;
    lower = upper;
  }
  const lo = prev > lower ? prev : lower;
  out[n] = end > lo ? end - lo : 0;
  return n + 1;
}

/**
 * Rate one segment into `sink`. Throws ValidationError for input the tariff cannot bill.
 * Example: see rate-bill.ts; benchmarks call this directly with a precompiled tariff.
 */
export function rateSegment(ct: CompiledTariff, s: SegmentInput, sink: LineSink): void {
  const baseBefore = sink.ptfBase;
  const L = ct.ladder;
  // ---- A. energy (§1, §2, §3.2)
  if (ct.itemised) {
    const tpls = itemTemplates(ct);
    for (let c = 0; c < ct.components.length; c++) {
      const comp = ct.components[c];
      let amt = 0;
      if (comp.floated && ct.hasTou) {
        for (let p = 0; p < 5; p++) {
          const e = s.e[p];
          if (e === 0 && ((ct.monthMask[s.month] >> p) & 1) === 0) continue;
          const price = comp.periodPrice[p];
          if (price < 0) throw new ValidationError(`usage.tou.${P_CODES[p]}`, `tariff has no price for period ${P_CODES[p]}`);
          const a = amountFen(e, price);
          sink.push(tpls[c][p], e, price, a);
          amt += a;
        }
      } else {
        amt = amountFen(s.total, comp.price);
        sink.push(tpls[c][5], s.total, comp.price, amt);
      }
      if (comp.inPtf) sink.ptfBase += amt;
    }
  } else {
    let energy = 0;
    if (ct.hasTou) {
      const mask = ct.monthMask[s.month];
      for (let p = 0; p < 5; p++) {
        const e = s.e[p];
        if (e === 0 && ((mask >> p) & 1) === 0) continue;
        const price = ct.periodPrice[p];
        if (price < 0) throw new ValidationError(`usage.tou.${P_CODES[p]}`, `tariff has no price for period ${P_CODES[p]}`);
        const a = amountFen(e, price);
        sink.push(T_PERIOD[p], e, price, a);
        energy += a;
      }
      if (L) {
        const nt = allocateTiers(s.prevCum, s.total, s.thresholds, sink.tiers);
        sink.nTiers = nt;
        for (let i = 1; i < nt; i++) {
          const a = amountFen(sink.tiers[i], L.increments[i - 1]);
          sink.push(T_SURCHARGE[i], sink.tiers[i], L.increments[i - 1], a);
          energy += a;
        }
      }
    } else if (L) {
      const nt = allocateTiers(s.prevCum, s.total, s.thresholds, sink.tiers);
      sink.nTiers = nt;
      for (let i = 0; i < nt; i++) {
        const price = i === 0 ? ct.flatPrice : ct.flatPrice + L.increments[i - 1];
        const a = amountFen(sink.tiers[i], price);
        sink.push(T_TIER[i], sink.tiers[i], price, a);
        energy += a;
      }
    } else {
      const a = amountFen(s.total, ct.flatPrice);
      sink.push(T_ENERGY, s.total, ct.flatPrice, a);
      energy += a;
    }
    // 力调 base: energy charge minus the (unfloated) components outside the base (§4.4)
    sink.ptfBase += ct.nonPtfPrice === 0 ? energy : energy - amountFen(s.total, ct.nonPtfPrice);
  }
  if (ct.fundPrice !== 0) sink.funds += amountFen(s.total, ct.fundPrice);

  // ---- B. basic charge (§3.4)
  const b = ct.basic;
  if (b) {
    const method = s.method >= 0 ? s.method : b.method;
    const partial = s.prorNum !== s.prorDen;
    let basic = 0;
    if (method === METHOD_CODE.CAPACITY) {
      if (s.capacity < 0) throw new ValidationError('usage.capacityKva', 'required for the capacity method');
      if (b.capacityPrice < 0) throw new ValidationError('basicCharge.capacityPrice', 'tariff has no capacity price');
      let a = amountFen(s.capacity, b.capacityPrice);
      if (partial) a = mulDivRound(a, s.prorNum, s.prorDen);
      sink.push(partial ? T_CAPACITY_PART : T_CAPACITY, s.capacity, b.capacityPrice, a);
      basic += a;
    } else {
      if (b.demandPrice < 0) throw new ValidationError('basicCharge.demandPrice', 'tariff has no demand price');
      if (s.maxDemand < 0) throw new ValidationError('usage.maxDemandKw', 'required for demand methods');
      let price = b.demandPrice;
      let hl = false;
      // 260 kWh/kVA → 90 % (526号, §3.4): kWh × 10^6 ≥ 260 × 10^6 × kVA (scaled integers)
      if (s.capacity > 0 && s.billKwh * 1e6 >= ct.highLoadKwhPerKva * s.capacity) {
        price = mulRound(price, 6, ct.highLoadFactor, 6, 6);
        hl = true;
      }
      if (method === METHOD_CODE.CONTRACT_DEMAND) {
        if (s.contract < 0) throw new ValidationError('usage.contractDemandKw', 'required for the contract-demand method');
        let dc = s.contract;
        if (s.capacity > 0) {
          const floor = mulRound(s.capacity, 2, ct.floorRatio, 6, 2);
          if (dc < floor) {
            sink.warnings.push(`contract demand ${dc / 100} kW raised to the ${ct.rules.contractDemandFloorRatio} × capacity floor ${floor / 100} kW (domain-cn §3.4)`);
            dc = floor;
          }
        }
        const thr = dc * ct.overrunRatio; // scale 8
        const da8 = s.maxDemand * 1_000_000;
        if (da8 <= thr) {
          let a = amountFen(dc, price);
          if (partial) a = mulDivRound(a, s.prorNum, s.prorDen);
          sink.push(variant(T_CONTRACT, hl, partial), dc, price, a);
          basic += a;
        } else {
          let a = amountFen(s.maxDemand, price);
          const excess8 = da8 - thr;
          const pprice = mulRound(price, 6, ct.penaltyMultiplier, 6, 6);
          let a2 = mulRound(excess8, 8, pprice, 6, 2);
          if (partial) {
            a = mulDivRound(a, s.prorNum, s.prorDen);
            a2 = mulDivRound(a2, s.prorNum, s.prorDen);
          }
          sink.push(variant(T_CONTRACT_OVER, hl, partial), s.maxDemand, price, a);
          sink.push(variant(T_OVERRUN, hl, partial), divRoundHalfUp(excess8, 1_000_000), pprice, a2);
          basic += a + a2;
        }
      } else {
        let a = amountFen(s.maxDemand, price);
        if (partial) a = mulDivRound(a, s.prorNum, s.prorDen);
        sink.push(variant(T_ACTUAL, hl, partial), s.maxDemand, price, a);
        basic += a;
      }
    }
    sink.ptfBase += basic;
  }

  // ---- C. power-factor adjustment (§4.4)
  if (ct.pf && s.pfPctH === s.pfPctH) {
    // base of this segment = basic + energy base accumulated since startLine
    const base = sink.ptfBase - baseBefore;
    const a = mulDivRound(base, s.pfPctH, 10_000);
    sink.push(T_PF, base, s.pfPctH * 100, a);
  }
}

/**
 * cosφ = P/√(P²+Q²) rounded half-up to 2 dp (§4.2), returned ×100 (0..100), exact.
 * Example: P 200000, Q 120000 → 86 (0.857 → 0.86).
 */
export function powerFactorHundredths(pCenti: number, qCenti: number): number {
  if (qCenti === 0) return 100;
  const f = (pCenti / Math.hypot(pCenti, qCenti)) * 100;
  const frac = f - Math.floor(f);
  if (Math.abs(frac - 0.5) > 1e-7) return Math.round(f);
  // exact near a rounding boundary: pf ≥ (2n+1)/200  ⇔  200²·P² ≥ (2n+1)²·(P²+Q²)
  const n = Math.floor(f);
  const P = BigInt(pCenti);
  const Q = BigInt(qCenti);
  const k = BigInt(2 * n + 1);
  return 40000n * P * P >= k * k * (P * P + Q * Q) ? n + 1 : n;
}

/**
 * Adjustment in hundredths of a percent for a rounded PF (×100) and standard (§4.3 table, data-driven).
 * Example: standard 0.90, pf 86 → 200 (+2.00 %); standard 0.85, pf 86 → −10 (−0.10 %).
 */
export function pfAdjustmentHundredths(ct: CompiledTariff, standard: '0.90' | '0.85' | '0.80', pf100: number): number {
  const s = standard === '0.90' ? 90 : standard === '0.85' ? 85 : 80;
  const d = s - pf100;
  if (d > 0) return ct.pfInc[d > 100 ? 100 : d];
  if (d < 0) return -ct.pfDec[standard][-d > 100 ? 100 : -d];
  return 0;
}
