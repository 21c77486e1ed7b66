// Property test: the scaled-integer engine agrees with an independent decimal.js reference
// implementation of domain-cn §0–§4 on 110,000 random cases across components
// (ladder ± TOU, itemised and all-in commercial TOU, float bases, basic-charge methods with the
// 40 % floor / 105 % / 260 kWh/kVA rules, PF adjustment with all three standards and both Q modes,
// PF base components, fixed and minimum charges, amounts beyond 2^53 分·µ, tariff changes inside a period).
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';

// 110,000 fast-check cases take 10-25 s alone, several times that on a loaded 2-core CI box
vi.setConfig({ testTimeout: 300_000 });
import { rateBill } from '../../../src/domain/rating/rate-bill.js';
import { parseTariffVersion } from '../../../src/domain/tariffs/validate.js';
import type { TariffVersion } from '../../../src/domain/tariffs/schema.js';
import { tariffJson } from './helpers.js';

const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP });
const r2 = (x: Decimal.Value) => new D(x).toDecimalPlaces(2, D.ROUND_HALF_UP);
const r6 = (x: Decimal.Value) => new D(x).toDecimalPlaces(6, D.ROUND_HALF_UP);
const PERIODS = ['SHARP', 'PEAK', 'FLAT', 'VALLEY', 'DEEP'] as const;

// ---------- random tariff pools (seeded) ----------
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 4294967296);
}
const rnd = rng(20261127);
const int = (a: number, b: number) => a + Math.floor(rnd() * (b - a + 1));
const dec = (a: number, b: number, dp: number) => (a + rnd() * (b - a)).toFixed(dp);
const pick = <T,>(xs: readonly T[]) => xs[int(0, xs.length - 1)];
const subset = <T,>(xs: readonly T[]) => xs.filter(() => rnd() < 0.5);

const zjA = tariffJson('zj-large-industrial-tou-a.json') as { tou: { seasons: unknown[] } };

function residentialTariff(): Record<string, unknown> {
  const t1 = int(50, 3000);
  const t2 = t1 + int(1, 3000);
  const i1 = dec(0, 0.2, 2);
  const i2 = (Number(i1) + Number(dec(0, 0.5, 2))).toFixed(2);
  const tou = rnd() < 0.6;
  return {
    code: 'P-RES', name: { zh: '随机', en: 'random' }, province: 'X', customerClasses: ['居民'], voltageLevels: ['LV'], effectiveFrom: '2024-01-01',
    energyComponents: [{ code: 'ENERGY', name: { zh: '电度', en: 'energy' }, kind: 'ENERGY', price: dec(0.3, 0.9, 4) }],
    ladder: { cycle: pick(['MONTHLY', 'ANNUAL'] as const), thresholds: [t1, t2], increments: [i1, i2] },
    ...(tou
      ? { tou: { seasons: [{ months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], bands: [{ period: 'PEAK', from: '08:00', to: '22:00' }, { period: 'VALLEY', from: '22:00', to: '08:00' }] }], periodPrices: { PEAK: dec(0.4, 1, 4), VALLEY: dec(0.1, 0.4, 4) } } }
      : {}),
  };
}

const CODES = ['PURCHASE', 'LINE_LOSS', 'TRANSMISSION', 'SYSTEM_OPERATION', 'FUND_A', 'FUND_B'] as const;
const KINDS = ['PURCHASE', 'LINE_LOSS', 'TRANSMISSION', 'SYSTEM_OPERATION', 'GOVERNMENT_FUND', 'GOVERNMENT_FUND'] as const;
function commercialTariff(): Record<string, unknown> {
  const n = int(1, 6);
  const comps = CODES.slice(0, n).map((code, i) => ({ code, name: { zh: code, en: code }, kind: KINDS[i], price: dec(0, 0.5, 6) }));
  const codes = comps.map((c) => c.code);
  const floatBase = rnd() < 0.5 ? undefined : subset(codes);
  const method = pick(['CAPACITY', 'CONTRACT_DEMAND', 'ACTUAL_DEMAND'] as const);
  const t: Record<string, unknown> = {
    code: 'P-CI', name: { zh: '随机', en: 'random' }, province: 'X', customerClasses: ['大工业'], voltageLevels: ['10kV'], effectiveFrom: '2024-01-01',
    energyComponents: comps,
    energyLineMode: pick(['ALL_IN', 'ITEMISED'] as const),
    tou: { seasons: zjA.tou.seasons, ratios: { SHARP: dec(1.5, 2.2, 2), PEAK: dec(1.1, 1.8, 2), FLAT: '1', VALLEY: dec(0.2, 0.6, 2), DEEP: dec(0.1, 0.3, 2) }, ...(floatBase ? { floatBase } : {}) },
    basicCharge: { defaultMethod: method, capacityPrice: dec(10, 40, 2), demandPrice: dec(15, 50, 2) },
    powerFactor: { standard: pick(['0.90', '0.85', '0.80'] as const), qMode: pick(['FORWARD_ONLY', 'ABS_SUM'] as const), ...(rnd() < 0.5 ? { ptfBaseComponents: subset(codes) } : {}) },
  };
  if (rnd() < 0.3) t.fixedCharges = [{ code: 'F', name: { zh: '固定', en: 'fixed' }, amount: dec(0, 100, 2) }];
  if (rnd() < 0.3) t.minimumCharge = { amount: dec(0, 50000, 2) };
  return t;
}

const resPool = Array.from({ length: 300 }, () => parseTariffVersion(residentialTariff()));
const ciPool = Array.from({ length: 300 }, () => parseTariffVersion(commercialTariff()));

// ---------- decimal reference implementation (domain-cn §0–§4), independent of the engine ----------
interface RefLine { amount: Decimal }

function tiers(prev: Decimal, q: Decimal, T: Decimal[]): Decimal[] {
  const out: Decimal[] = [];
  let lower = new D(0);
  const end = prev.plus(q);
  for (const up of [...T, new D(Infinity)]) {
    const lo = D.max(prev, lower);
    const hi = D.min(end, up);
    out.push(D.max(0, hi.minus(lo)));
    lower = up;
  }
  return out;
}

function refResidential(v: TariffVersion, u: { peak: Decimal; valley: Decimal; flat: Decimal; prev: Decimal; days: number }): Decimal[] {
  const L = v.ladder!;
  let T = L.thresholds.map((t) => new D(t));
  if (L.cycle === 'MONTHLY' && (u.days < 28 || u.days > 31)) T = T.map((t) => t.mul(u.days).div(30).toDecimalPlaces(0, D.ROUND_HALF_UP));
  const lines: Decimal[] = [];
  const base = new D(v.energyComponents[0].price);
  const inc = L.increments.map((x) => new D(x));
  if (v.tou) {
    const E = u.peak.plus(u.valley);
    lines.push(r2(u.peak.mul(v.tou.periodPrices!.PEAK!)), r2(u.valley.mul(v.tou.periodPrices!.VALLEY!)));
    const t = tiers(L.cycle === 'ANNUAL' ? u.prev : new D(0), E, T);
    for (let i = 1; i < t.length; i++) lines.push(r2(t[i].mul(inc[i - 1])));
  } else {
    const t = tiers(L.cycle === 'ANNUAL' ? u.prev : new D(0), u.flat, T);
    t.forEach((q, i) => lines.push(r2(q.mul(i === 0 ? base : base.plus(inc[i - 1])))));
  }
  return lines;
}

function pfPct(std: string, pf: Decimal): Decimal {
  const S = new D(std);
  const d = S.minus(pf).mul(100).toDecimalPlaces(0, D.ROUND_HALF_UP).toNumber();
  if (d > 0) return new D(0.5).mul(Math.min(d, 20)).plus(Math.min(Math.max(d - 20, 0), 5)).plus(new D(2).mul(Math.max(d - 25, 0)));
  const u = -d;
  if (u === 0) return new D(0);
  if (std === '0.90') return new D(-0.15).mul(Math.min(u, 5));
  if (std === '0.85') return u <= 5 ? new D(-0.1).mul(u) : new D(-0.5).minus(new D(0.15).mul(Math.min(u, 9) - 5));
  return u <= 10 ? new D(-0.1).mul(u) : new D(-1).minus(new D(0.15).mul(Math.min(u, 12) - 10));
}

interface CiUsage { e: Record<string, Decimal>; cap: Decimal; contract: Decimal; demand: Decimal; fwd: Decimal; rev: Decimal; method?: string }
function refCommercial(v: TariffVersion, u: CiUsage): Decimal[] {
  const lines: Decimal[] = [];
  const tou = v.tou!;
  const ratio = (p: string) => new D((tou.ratios as Record<string, string>)[p] ?? (p === 'FLAT' ? 1 : NaN));
  const floated = (code: string) => !tou.floatBase || tou.floatBase.includes(code);
  const inPtf = (c: { code: string; kind: string }) => (v.powerFactor!.ptfBaseComponents ? v.powerFactor!.ptfBaseComponents.includes(c.code) : c.kind !== 'GOVERNMENT_FUND');
  const E = PERIODS.reduce((a, p) => a.plus(u.e[p] ?? 0), new D(0));
  const present = ['SHARP', 'PEAK', 'VALLEY']; // July bands of the Zhejiang 2024 scheme
  let ptf = new D(0);
  if (v.energyLineMode === 'ITEMISED') {
    for (const c of v.energyComponents) {
      let amt = new D(0);
      if (floated(c.code)) for (const p of present) {
        const a = r2(new D(u.e[p] ?? 0).mul(r6(new D(c.price).mul(ratio(p)))));
        lines.push(a);
        amt = amt.plus(a);
      } else {
        amt = r2(E.mul(c.price));
        lines.push(amt);
      }
      if (inPtf(c)) ptf = ptf.plus(amt);
    }
  } else {
    let fl = new D(0);
    let fixed = new D(0);
    for (const c of v.energyComponents) (floated(c.code) ? (fl = fl.plus(c.price)) : (fixed = fixed.plus(c.price)));
    let energy = new D(0);
    for (const p of present) {
      const a = r2(new D(u.e[p] ?? 0).mul(r6(fl.mul(ratio(p))).plus(fixed)));
      lines.push(a);
      energy = energy.plus(a);
    }
    const nonPtf = v.energyComponents.filter((c) => !inPtf(c)).reduce((a, c) => a.plus(c.price), new D(0));
    ptf = nonPtf.isZero() ? energy : energy.minus(r2(E.mul(nonPtf)));
  }
  // basic charge §3.4
  const b = v.basicCharge!;
  const method = u.method ?? b.defaultMethod;
  let basic = new D(0);
  if (method === 'CAPACITY') {
    basic = r2(u.cap.mul(b.capacityPrice!));
    lines.push(basic);
  } else {
    let price = new D(b.demandPrice!);
    if (E.div(u.cap).gte(260)) price = r6(price.mul('0.90'));
    if (method === 'ACTUAL_DEMAND') {
      basic = r2(u.demand.mul(price));
      lines.push(basic);
    } else {
      const dc = D.max(u.contract, r2(u.cap.mul('0.40')));
      if (u.demand.lte(dc.mul('1.05'))) {
        basic = r2(dc.mul(price));
        lines.push(basic);
      } else {
        const a1 = r2(u.demand.mul(price));
        const a2 = r2(u.demand.minus(dc.mul('1.05')).mul(price));
        lines.push(a1, a2);
        basic = a1.plus(a2);
      }
    }
  }
  ptf = ptf.plus(basic);
  // PF §4
  const Q = v.powerFactor!.qMode === 'ABS_SUM' ? u.fwd.plus(u.rev) : u.fwd;
  if (!E.isZero()) {
    const pf = Q.isZero() ? new D(1) : E.div(E.pow(2).plus(Q.pow(2)).sqrt()).toDecimalPlaces(2, D.ROUND_HALF_UP);
    lines.push(r2(ptf.mul(pfPct(v.powerFactor!.standard, pf)).div(100)));
  }
  for (const f of v.fixedCharges) lines.push(new D(f.amount));
  if (v.minimumCharge) {
    const tot = lines.reduce((a, x) => a.plus(x), new D(0));
    if (tot.lt(v.minimumCharge.amount)) lines.push(new D(v.minimumCharge.amount).minus(tot));
  }
  return lines;
}

const kwh = (max: number) => fc.oneof(fc.integer({ min: 0, max }), fc.integer({ min: 0, max: max * 100 }).map((x) => x / 100));
function check(got: { lines: { amount: string }[]; total: string }, want: Decimal[]) {
  expect(got.lines.map((l) => l.amount)).toEqual(want.map((x) => x.toFixed(2)));
  expect(got.total).toBe(want.reduce((a, x) => a.plus(x), new D(0)).toFixed(2));
}

describe('engine ≡ decimal reference (fast-check)', () => {
  it('residential ladder ± TOU, monthly proration (50,000 cases)', () => {
    fc.assert(
      fc.property(fc.nat(resPool.length - 1), kwh(3000), kwh(3000), fc.integer({ min: 0, max: 9000 }), fc.integer({ min: 1, max: 62 }), (i, a, b, prev, days) => {
        const v = resPool[i];
        const start = new Date(Date.UTC(2024, 0, 1));
        const end = new Date(start.getTime() + (days - 1) * 86400000).toISOString().slice(0, 10);
        const usage = v.tou
          ? { periodStart: '2024-01-01', periodEnd: end, tou: { PEAK: a, VALLEY: b }, ladderPrevCum: prev }
          : { periodStart: '2024-01-01', periodEnd: end, kwh: a, ladderPrevCum: prev };
        const got = rateBill({ tariff: v, usage });
        check(got, refResidential(v, { peak: new D(a), valley: new D(b), flat: new D(a), prev: new D(prev), days }));
      }),
      { numRuns: 50_000, seed: 7 },
    );
  });

  it('commercial TOU (all-in / itemised, float bases) + basic charge + PF + fixed/minimum (50,000 cases)', () => {
    const big = fc.oneof(kwh(200_000), fc.integer({ min: 0, max: 2_000_000_000 })); // beyond 2^53 in 分·µ
    fc.assert(
      fc.property(
        fc.nat(ciPool.length - 1), big, big, big, fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 3000 }), kwh(3000), kwh(300_000), kwh(300_000),
        fc.constantFrom(undefined, 'CAPACITY', 'CONTRACT_DEMAND', 'ACTUAL_DEMAND'),
        (i, s, p, va, cap, contract, demand, fwd, rev, method) => {
          const v = ciPool[i];
          const usage = {
            periodStart: '2024-07-01', periodEnd: '2024-07-31',
            tou: { SHARP: s, PEAK: p, VALLEY: va },
            capacityKva: cap, contractDemandKw: contract, maxDemandKw: demand,
            reactiveKvarh: { forward: fwd, reverse: rev },
            ...(method ? { basicChargeMethod: method as 'CAPACITY' } : {}),
          };
          const got = rateBill({ tariff: v, usage });
          check(got, refCommercial(v, { e: { SHARP: new D(s), PEAK: new D(p), VALLEY: new D(va) }, cap: new D(cap), contract: new D(contract), demand: new D(demand), fwd: new D(fwd), rev: new D(rev), method }));
        },
      ),
      { numRuns: 50_000, seed: 11 },
    );
  });

  it('§1.6 tariff change inside the period: split by days, monthly ladder thresholds split too (10,000 cases)', () => {
    const base = { code: 'P-SPLIT', name: { zh: '随机', en: 'random' }, province: 'X', customerClasses: ['居民'], voltageLevels: ['LV'] };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 2, max: 60 }), fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 3000, max: 9000 }), fc.integer({ min: 3000, max: 9000 }), fc.boolean(), fc.integer({ min: 10, max: 900 }),
        (E, days, kr, pOld, pNew, ladder, t1) => {
          const k = 1 + (kr % (days - 1)); // change day strictly inside the period
          const start = Date.UTC(2024, 2, 1);
          const iso = (d: number) => new Date(start + d * 86400000).toISOString().slice(0, 10);
          const change = iso(k);
          const mk = (price: number, from: string, to: string | null) => ({
            ...base, effectiveFrom: from, effectiveTo: to,
            energyComponents: [{ code: 'ENERGY', name: { zh: '电度', en: 'energy' }, kind: 'ENERGY', price: (price / 10000).toFixed(4) }],
            ...(ladder ? { ladder: { cycle: 'MONTHLY', thresholds: [t1, t1 * 2], increments: ['0.05', '0.30'] } } : {}),
          });
          const got = rateBill({ tariff: [mk(pOld, '2024-01-01', change), mk(pNew, change, null)], usage: { periodStart: iso(0), periodEnd: iso(days - 1), kwh: E } });
          // reference
          const dOld = k;
          const eOld = new D(E).mul(dOld).div(days).toDecimalPlaces(0, D.ROUND_HALF_UP);
          const eNew = new D(E).minus(eOld);
          const want: Decimal[] = [];
          const prices = [new D(pOld).div(10000), new D(pNew).div(10000)];
          if (!ladder) want.push(r2(eOld.mul(prices[0])), r2(eNew.mul(prices[1])));
          else {
            let T = [new D(t1), new D(t1 * 2)];
            if (days < 28 || days > 31) T = T.map((t) => t.mul(days).div(30).toDecimalPlaces(0, D.ROUND_HALF_UP));
            const tOld = T.map((t) => t.mul(dOld).div(days).toDecimalPlaces(0, D.ROUND_HALF_UP));
            const tNew = T.map((t, i) => t.minus(tOld[i]));
            for (const [e, th, pr] of [[eOld, tOld, prices[0]], [eNew, tNew, prices[1]]] as const) {
              tiers(new D(0), e, th).forEach((q, i) => want.push(r2(q.mul(i === 0 ? pr : pr.plus(i === 1 ? '0.05' : '0.30')))));
            }
          }
          check(got, want);
        },
      ),
      { numRuns: 10_000, seed: 13 },
    );
  });
});
