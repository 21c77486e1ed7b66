// Golden tests: domain-cn §1 worked examples and §11 vectors, R-2b, R-3, R-4.
import { describe, expect, it } from 'vitest';
import { rateBill } from '../../../src/domain/rating/rate-bill.js';
import { ValidationError } from '../../../src/domain/errors.js';
import { amountOf, tariff, tariffJson } from './helpers.js';

const zj = tariff('zj-resident-annual-ladder-tou.json');
const bj = tariff('bj-resident-monthly-ladder.json');
const july = { periodStart: '2024-07-01', periodEnd: '2024-07-31' };

describe('§1.4 R-2 Zhejiang annual ladder + TOU', () => {
  it('R-2: prevCum 2600, 峰 200, 谷 150 → 166.30', () => {
    const r = rateBill({ tariff: zj, usage: { ...july, tou: { PEAK: 200, VALLEY: 150 }, ladderPrevCum: 2600 } });
    expect(r.details.tiers).toEqual(['160', '190', '0']);
    expect(amountOf(r, 'ENERGY_PEAK')).toBe('113.60');
    expect(amountOf(r, 'ENERGY_VALLEY')).toBe('43.20');
    expect(amountOf(r, 'LADDER_T2_SURCHARGE')).toBe('9.50');
    expect(amountOf(r, 'LADDER_T3_SURCHARGE')).toBe('0.00');
    expect(r.total).toBe('166.30');
    expect(r.lines.map((l) => l.code)).toEqual(['ENERGY_PEAK', 'ENERGY_VALLEY', 'LADDER_T2_SURCHARGE', 'LADDER_T3_SURCHARGE']);
    const t2 = r.lines.find((l) => l.code === 'LADDER_T2_SURCHARGE')!;
    expect(t2).toMatchObject({ quantity: '190', unit: 'kWh', unitPrice: '0.050000', rule: 'domain-cn §1.4 ladder tier 2 surcharge' });
    expect(t2.name.zh).toBe('第二档加价电费');
  });

  it('R-2b: prevCum 4700, 峰 300, 谷 200 → tiers 0/100/400, 353.00', () => {
    const r = rateBill({ tariff: zj, usage: { ...july, tou: { PEAK: 300, VALLEY: 200 }, ladderPrevCum: 4700 } });
    expect(r.details.tiers).toEqual(['0', '100', '400']);
    expect(r.lines.map((l) => l.amount)).toEqual(['170.40', '57.60', '5.00', '120.00']);
    expect(r.total).toBe('353.00');
  });

  it('tier boundary is inclusive: 2760 cumulative stays in tier 1', () => {
    const r = rateBill({ tariff: zj, usage: { ...july, tou: { PEAK: 60, VALLEY: 0 }, ladderPrevCum: 2700 } });
    expect(r.details.tiers).toEqual(['60', '0', '0']);
  });

  it('register totals: TOU registers must sum to the total within tolerance', () => {
    expect(() => rateBill({ tariff: zj, usage: { ...july, kwh: 360, tou: { PEAK: 200, VALLEY: 150 } } })).toThrow(ValidationError);
    try {
      rateBill({ tariff: zj, usage: { ...july, kwh: 360, tou: { PEAK: 200, VALLEY: 150 } } });
    } catch (e) {
      expect((e as ValidationError).details?.field).toBe('usage.tou');
    }
    const ok = rateBill({ tariff: zj, usage: { ...july, kwh: 351, tou: { PEAK: 200, VALLEY: 150 } } });
    expect(ok.warnings.join()).toMatch(/reconciled/);
    expect(ok.details.segments[0].kwh).toBe('351');
    expect(ok.details.touKwh).toEqual({ PEAK: '200.57', VALLEY: '150.43' });
  });

  it('negative kWh is rejected naming the field', () => {
    expect(() => rateBill({ tariff: zj, usage: { ...july, tou: { PEAK: -1, VALLEY: 150 } } })).toThrow(/usage.tou.PEAK/);
    expect(() => rateBill({ tariff: bj, usage: { ...july, kwh: '-5' } })).toThrow(/usage.kwh/);
  });

  it('a TOU tariff needs per-period energy', () => {
    expect(() => rateBill({ tariff: zj, usage: { ...july, kwh: 300 } })).toThrow(/usage.tou/);
  });
});

describe('§1.2/§1.3 R-1 Beijing monthly ladder', () => {
  it('R-1: 500 kWh → 117.19 + 86.13 + 78.83 = 282.15', () => {
    const r = rateBill({ tariff: bj, usage: { ...july, kwh: 500 } });
    expect(r.lines.map((l) => l.amount)).toEqual(['117.19', '86.13', '78.83']);
    expect(r.lines.map((l) => l.unitPrice)).toEqual(['0.488300', '0.538300', '0.788300']);
    expect(r.total).toBe('282.15');
  });

  it('R-4: 45-day period, thresholds × 45/30 = 360/600 → 383.81', () => {
    const r = rateBill({ tariff: bj, usage: { periodStart: '2024-06-01', periodEnd: '2024-07-15', kwh: 700 } });
    expect(r.details.tiers).toEqual(['360', '240', '100']);
    expect(r.lines.map((l) => l.amount)).toEqual(['175.79', '129.19', '78.83']);
    expect(r.total).toBe('383.81');
  });

  it('31-day and 28-day periods are standard months (no proration)', () => {
    expect(rateBill({ tariff: bj, usage: { ...july, kwh: 500 } }).details.tiers).toEqual(['240', '160', '100']);
    expect(rateBill({ tariff: bj, usage: { periodStart: '2023-02-01', periodEnd: '2023-02-28', kwh: 500 } }).details.tiers).toEqual(['240', '160', '100']);
  });

  it('MONTHS proration (双月抄表 ×2) is a rule-set option', () => {
    const j = tariffJson('bj-resident-monthly-ladder.json');
    j.ruleSet = { ladderProration: 'MONTHS' };
    const r = rateBill({ tariff: j, usage: { periodStart: '2024-06-01', periodEnd: '2024-07-31', kwh: 900, ladderMonths: 2 } });
    expect(r.details.tiers).toEqual(['480', '320', '100']);
  });
});

describe('§1.5 annual ladder opened mid-year; §1.7 multi-person household', () => {
  it('opened in July: thresholds × 6/12 = 1380/2400', () => {
    const r = rateBill({ tariff: zj, usage: { ...july, tou: { PEAK: 1000, VALLEY: 500 }, ladderOpenedMonth: 7 } });
    expect(r.details.tiers).toEqual(['1380', '120', '0']);
  });

  it('household of 5: +100 kWh/month on every threshold (annual: +1200) by default', () => {
    const r = rateBill({ tariff: zj, usage: { ...july, tou: { PEAK: 300, VALLEY: 200 }, ladderPrevCum: 3700, householdSize: 5 } });
    // thresholds 3960/6000 → tier1 260, tier2 240
    expect(r.details.tiers).toEqual(['260', '240', '0']);
    expect(r.warnings.join()).toMatch(/household/);
  });

  it('household rule is configurable: first threshold only, monthly +100', () => {
    const j = tariffJson('bj-resident-monthly-ladder.json');
    j.ruleSet = { household: { minSize: 5, addKwhPerMonth: 100, scope: 'FIRST_THRESHOLD_ONLY' } };
    const r = rateBill({ tariff: j, usage: { ...july, kwh: 500, householdSize: 6 } });
    expect(r.details.tiers).toEqual(['340', '60', '100']);
    expect(rateBill({ tariff: j, usage: { ...july, kwh: 500, householdSize: 4 } }).details.tiers).toEqual(['240', '160', '100']);
  });

  it('合表 users do not step', () => {
    const r = rateBill({ tariff: tariff('zj-resident-shared-meter.json'), usage: { ...july, kwh: 5000 } });
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatchObject({ code: 'ENERGY', quantity: '5000', unitPrice: '0.558000', amount: '2790.00' });
  });
});

describe('§1.6 R-3 tariff change inside a billing period', () => {
  const base = tariffJson('zj-resident-shared-meter.json');
  const oldV = { ...base, code: 'R3', effectiveFrom: '2024-01-01', effectiveTo: '2024-07-01', energyComponents: [{ code: 'ENERGY', name: { zh: '电价', en: 'price' }, kind: 'ENERGY', price: '0.538' }] };
  const newV = { ...base, code: 'R3', effectiveFrom: '2024-07-01', effectiveTo: null, energyComponents: [{ code: 'ENERGY', name: { zh: '电价', en: 'price' }, kind: 'ENERGY', price: '0.548' }] };

  it('R-3: 2024-06-16…07-15, 300 kWh, 15 of 30 days old → 150 × 0.538 = 80.70, 150 × 0.548 = 82.20', () => {
    const r = rateBill({ tariff: [newV, oldV], usage: { periodStart: '2024-06-16', periodEnd: '2024-07-15', kwh: 300 } });
    expect(r.details.segments.map((s) => [s.from, s.to, s.days, s.kwh])).toEqual([
      ['2024-06-16', '2024-06-30', 15, '150'],
      ['2024-07-01', '2024-07-15', 15, '150'],
    ]);
    expect(r.lines.map((l) => [l.quantity, l.amount, l.segment])).toEqual([
      ['150', '80.70', 1],
      ['150', '82.20', 2],
    ]);
    expect(r.total).toBe('162.90');
  });

  it('310 kWh with 10 of 31 days old → E_old 100, E_new 210', () => {
    const r = rateBill({ tariff: [oldV, newV], usage: { periodStart: '2024-06-21', periodEnd: '2024-07-21', kwh: 310 } });
    expect(r.details.segments.map((s) => s.kwh)).toEqual(['100', '210']);
  });

  it('frozen readings on the change date win over proration', () => {
    const r = rateBill({
      tariff: [oldV, newV],
      usage: { periodStart: '2024-06-16', periodEnd: '2024-07-15', kwh: 300, frozenReadings: [{ date: '2024-07-01', kwhBefore: 120 }] },
    });
    expect(r.details.segments.map((s) => s.kwh)).toEqual(['120', '180']);
    expect(r.total).toBe('163.20'); // 64.56 + 98.64
  });

  it('monthly ladder thresholds are split by the same day ratio', () => {
    const b = tariffJson('bj-resident-monthly-ladder.json');
    const o = { ...b, effectiveTo: '2024-07-01' };
    const n = { ...b, effectiveFrom: '2024-07-01', energyComponents: [{ code: 'ENERGY', name: { zh: '电价', en: 'price' }, kind: 'ENERGY', price: '0.5000' }] };
    const r = rateBill({ tariff: [o, n], usage: { periodStart: '2024-06-16', periodEnd: '2024-07-15', kwh: 500 } });
    // 250 kWh per half; thresholds 120/200 per half
    expect(r.details.tiers).toEqual(['240', '160', '100']);
    expect(r.lines.filter((l) => l.segment === 1).map((l) => l.quantity)).toEqual(['120', '80', '50']);
  });
});

describe('§1.6 with TOU and interval data', () => {
  const j = tariffJson('zj-resident-annual-ladder-tou.json');
  const oldV = { ...j, effectiveTo: '2024-07-01' };
  const newV = { ...j, effectiveFrom: '2024-07-01', tou: { ...(j.tou as object), periodPrices: { PEAK: '0.600', VALLEY: '0.300' } } };

  it('the total is split by days (integer kWh), registers by share; the annual cumulative carries over', () => {
    const r = rateBill({ tariff: [oldV, newV], usage: { periodStart: '2024-06-16', periodEnd: '2024-07-15', tou: { PEAK: 201, VALLEY: 99 }, ladderPrevCum: 2700 } });
    expect(r.details.segments.map((s) => s.kwh)).toEqual(['150', '150']);
    const seg1 = r.lines.filter((l) => l.segment === 1);
    const seg2 = r.lines.filter((l) => l.segment === 2);
    expect(seg1.map((l) => [l.code, l.quantity])).toEqual([['ENERGY_PEAK', '101'], ['ENERGY_VALLEY', '49'], ['LADDER_T2_SURCHARGE', '90'], ['LADDER_T3_SURCHARGE', '0']]);
    expect(seg2.map((l) => [l.code, l.quantity, l.unitPrice])).toEqual([
      ['ENERGY_PEAK', '100', '0.600000'],
      ['ENERGY_VALLEY', '50', '0.300000'],
      ['LADDER_T2_SURCHARGE', '150', '0.050000'],
      ['LADDER_T3_SURCHARGE', '0', '0.300000'],
    ]);
    expect(r.details.tiers).toEqual(['60', '240', '0']);
  });

  it('interval data are assigned to the version in force on their date (no proration needed)', () => {
    // 2024-06-30 and 2024-07-01, hourly, 1 kWh each hour
    const values = new Array(48).fill(1);
    const r = rateBill({ tariff: [oldV, newV], usage: { periodStart: '2024-06-30', periodEnd: '2024-07-01', interval: { start: '2024-06-30T00:00', intervalMinutes: 60, values } } });
    expect(r.details.segments.map((s) => s.kwh)).toEqual(['24', '24']);
    expect(r.lines.filter((l) => l.segment === 2 && l.code === 'ENERGY_PEAK')[0]).toMatchObject({ quantity: '14', amount: '8.40' });
    expect(() =>
      rateBill({ tariff: [oldV, newV], usage: { periodStart: '2024-06-30', periodEnd: '2024-06-30', interval: { start: '2024-06-30T00:00', intervalMinutes: 60, values } } }),
    ).toThrow(/usage.interval.values.24/);
  });

  it('a period with no version in force is an error naming the tariff', () => {
    expect(() => rateBill({ tariff: newV, usage: { periodStart: '2024-06-16', periodEnd: '2024-07-15', tou: { PEAK: 1, VALLEY: 1 } } })).toThrow(/tariff: no tariff version in force on 2024-06-16/);
  });
});

describe('periods outside the scheme', () => {
  it('energy on a period the tariff does not price is rejected naming the register', () => {
    expect(() => rateBill({ tariff: zj, usage: { ...july, tou: { PEAK: 1, VALLEY: 1, FLAT: 5 } } })).toThrow(/usage.tou.FLAT/);
  });
});
