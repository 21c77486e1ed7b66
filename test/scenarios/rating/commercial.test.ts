// Golden tests: domain-cn §2–§4 worked examples and §11 vectors B-1..B-5, PF-1..PF-3, I-1A, I-1B,
// plus the full §4.3 adjustment table.
import { describe, expect, it } from 'vitest';
import { rateBill } from '../../../src/domain/rating/rate-bill.js';
import { compileTariff } from '../../../src/domain/rating/compile.js';
import { pfAdjustmentHundredths, powerFactorHundredths } from '../../../src/domain/rating/engine.js';
import { periodPricesMicro } from '../../../src/domain/tariffs/prices.js';
import { checkTariffPolicy } from '../../../src/domain/tariffs/validate.js';
import { amountOf, sumOf, tariff, tariffJson } from './helpers.js';

const A = tariff('zj-large-industrial-tou-a.json');
const B = tariff('zj-large-industrial-tou-b.json');
const july = { periodStart: '2024-07-01', periodEnd: '2024-07-31' };
const i1 = {
  ...july,
  tou: { SHARP: 20000, PEAK: 60000, VALLEY: 120000 },
  capacityKva: 1000,
  contractDemandKw: 600,
  maxDemandKw: 650,
  reactiveKvarh: { forward: 120000 },
};

describe('§3.3 I-1 10 kV 大工业, July, Zhejiang-2024-style TOU', () => {
  it('I-1A: whole 平段 price floats → energy 116,046.00, basic 21,440.00, 力调 2,649.72, total 140,135.72', () => {
    const r = rateBill({ tariff: A, usage: i1 });
    expect(r.lines.slice(0, 3).map((l) => [l.code, l.unitPrice, l.amount])).toEqual([
      ['ENERGY_SHARP', '1.247400', '24948.00'],
      ['ENERGY_PEAK', '1.039500', '62370.00'],
      ['ENERGY_VALLEY', '0.239400', '28728.00'],
    ]);
    expect(sumOf(r, 'ENERGY_')).toBe('116046.00');
    expect(sumOf(r, 'BASIC_')).toBe('21440.00');
    expect(r.details.powerFactor).toBe('0.86');
    expect(r.details.pfAdjustmentPercent).toBe('2.00');
    expect(r.details.governmentFunds).toBe('5000.00');
    expect(r.details.ptfBase).toBe('132486.00');
    expect(amountOf(r, 'PF_ADJUSTMENT')).toBe('2649.72');
    expect(r.total).toBe('140135.72');
  });

  it('I-1B: funds not floated → energy 116,441.00, 力调 2,657.62, total 140,538.62', () => {
    const r = rateBill({ tariff: B, usage: i1 });
    expect(r.lines.slice(0, 3).map((l) => [l.unitPrice, l.amount])).toEqual([
      ['1.222900', '24458.00'],
      ['1.023250', '61395.00'],
      ['0.254900', '30588.00'],
    ]);
    expect(sumOf(r, 'ENERGY_')).toBe('116441.00');
    expect(r.details.ptfBase).toBe('132881.00');
    expect(amountOf(r, 'PF_ADJUSTMENT')).toBe('2657.62');
    expect(r.total).toBe('140538.62');
  });

  it('policy checks warn but accept: I-1B 峰/谷 4.01 passes, 尖/峰 1.195 < 1.2 flagged; 一般工商业 1.10 flagged', () => {
    const pb = periodPricesMicro(B);
    expect(pb[1] / pb[3]).toBeGreaterThan(4);
    expect(checkTariffPolicy(A)).toEqual([]); // 1.98/1.65 = 1.20 exactly, 1.65/0.38 = 4.34
    expect(checkTariffPolicy(B).map((x) => x.code)).toEqual(['CRITICAL_PEAK_RATIO']);
    const w = checkTariffPolicy(tariff('zj-general-commercial-tou.json'));
    expect(w.map((x) => x.code)).toEqual(['CRITICAL_PEAK_RATIO']);
  });

  it('ITEMISED lines (§3.2) give one line per component and period; same PF base rule', () => {
    const j = tariffJson('zj-large-industrial-tou-b.json');
    j.energyLineMode = 'ITEMISED';
    const r = rateBill({ tariff: j, usage: i1 });
    expect(amountOf(r, 'FUND_RENEWABLE')).toBe('3800.00');
    expect(amountOf(r, 'FUND_RESERVOIR')).toBe('1200.00');
    expect(amountOf(r, 'PURCHASE_SHARP')).toBe('16632.00'); // 20000 × 0.42 × 1.98
    // energy lines = 116,441.00 because every product is exact here
    const energy = r.lines.filter((l) => !l.code.startsWith('BASIC') && l.code !== 'PF_ADJUSTMENT');
    expect(energy.reduce((a, l) => a + Math.round(Number(l.amount) * 100), 0)).toBe(11644100);
    expect(r.details.ptfBase).toBe('132881.00');
  });

  it('monthly published component prices override the tariff values', () => {
    const r = rateBill({ tariff: B, usage: { ...i1, componentPrices: { PURCHASE: '0.430000' } } });
    // SHARP: (0.615 × 1.98) + 0.025 = 1.242700
    expect(r.lines[0].unitPrice).toBe('1.242700');
  });
});

describe('§2.3 TOU from 96-point interval data, holiday 深谷', () => {
  it('classifies points by their start and applies the 深谷 override on named holidays', () => {
    // one day, 2024-10-01 (National Day, months "other"): 96 points × 1 kWh
    const values = new Array(96).fill('1');
    const r = rateBill({
      tariff: A,
      usage: {
        periodStart: '2024-10-01',
        periodEnd: '2024-10-01',
        interval: { start: '2024-10-01T00:00', intervalMinutes: 15, values },
        holidays: [{ date: '2024-10-01', holidayCode: 'NATIONAL_DAY', dayOfHoliday: 1 }],
        capacityKva: 1000,
        maxDemandKw: 10,
        basicChargeMethod: 'ACTUAL_DEMAND',
        reactiveKvarh: { forward: 0 },
      },
    });
    // bands (other months): SHARP 15–17 (2h), PEAK 08–11, 13–15, 17–22 (10h → 3h of it 10–11 in DEEP? no: DEEP 10–14 overrides PEAK 10–11, VALLEY 11–13, PEAK 13–14)
    expect(r.details.touKwh).toEqual({ SHARP: '8', PEAK: '32', VALLEY: '40', DEEP: '16' });
  });

  it('FIRST_3 holiday overrides apply on the first three days only', () => {
    const j = tariffJson('zj-large-industrial-tou-a.json') as { tou: { holidayOverrides: Array<{ days: string }> } };
    for (const h of j.tou.holidayOverrides) h.days = 'FIRST_3';
    const day = (date: string, dayOfHoliday: number) =>
      rateBill({
        tariff: j,
        usage: {
          periodStart: date, periodEnd: date,
          interval: { start: `${date}T00:00`, intervalMinutes: 60, values: new Array(24).fill(1) },
          holidays: [{ date, holidayCode: 'NATIONAL_DAY', dayOfHoliday }],
          capacityKva: 1000, maxDemandKw: 1, basicChargeMethod: 'ACTUAL_DEMAND', reactiveKvarh: { forward: 0 },
        },
      }).details.touKwh;
    expect(day('2024-10-03', 3)?.DEEP).toBe('4');
    expect(day('2024-10-04', 4)?.DEEP).toBeUndefined();
  });

  it('negative interval values are rejected naming the point', () => {
    expect(() =>
      rateBill({
        tariff: tariff('zj-general-commercial-tou.json'),
        usage: { periodStart: '2024-10-02', periodEnd: '2024-10-02', interval: { start: '2024-10-02T00:00', intervalMinutes: 60, values: [1, -1] } },
      }),
    ).toThrow(/usage.interval.values.1/);
  });
});

describe('§3.4 basic charge B-1..B-5 (容量 23 元/kVA·月, 需量 32 元/kW·月)', () => {
  const tou = { SHARP: 20000, PEAK: 60000, VALLEY: 120000 };
  const u = { ...july, tou, capacityKva: 1000, reactiveKvarh: { forward: 0 } };
  it('B-1 capacity 1000 kVA → 23,000.00', () => {
    const r = rateBill({ tariff: A, usage: { ...u, basicChargeMethod: 'CAPACITY' } });
    expect(sumOf(r, 'BASIC_')).toBe('23000.00');
    expect(r.lines.find((l) => l.code === 'BASIC_CAPACITY')).toMatchObject({ quantity: '1000', unit: 'kVA', unitPrice: '23.000000' });
  });
  it('B-2 contract 600, actual 650 (> 630) → 650×32 + 20×32 = 21,440.00', () => {
    const r = rateBill({ tariff: A, usage: { ...u, contractDemandKw: 600, maxDemandKw: 650 } });
    expect(amountOf(r, 'BASIC_DEMAND')).toBe('20800.00');
    expect(r.lines.find((l) => l.code === 'BASIC_DEMAND_OVERRUN')).toMatchObject({ quantity: '20', amount: '640.00' });
    expect(sumOf(r, 'BASIC_')).toBe('21440.00');
  });
  it('B-3 actual-demand method 650 kW → 20,800.00; with ≥ 260 kWh/kVA → 650 × 28.80 = 18,720.00', () => {
    const r1 = rateBill({ tariff: A, usage: { ...u, basicChargeMethod: 'ACTUAL_DEMAND', maxDemandKw: 650 } });
    expect(sumOf(r1, 'BASIC_')).toBe('20800.00');
    const r2 = rateBill({
      tariff: A,
      usage: { ...u, tou: { SHARP: 30000, PEAK: 90000, VALLEY: 160000 }, basicChargeMethod: 'ACTUAL_DEMAND', maxDemandKw: 650 },
    });
    expect(r2.lines.find((l) => l.code === 'BASIC_DEMAND')).toMatchObject({ unitPrice: '28.800000', amount: '18720.00' });
    expect(r2.lines.find((l) => l.code === 'BASIC_DEMAND')!.rule).toMatch(/260 kWh\/kVA/);
    // 259.99 kWh/kVA stays at full price
    const r3 = rateBill({
      tariff: A,
      usage: { ...u, tou: { SHARP: 30000, PEAK: 90000, VALLEY: 139999.99 }, basicChargeMethod: 'ACTUAL_DEMAND', maxDemandKw: 650 },
    });
    expect(sumOf(r3, 'BASIC_')).toBe('20800.00');
  });
  it('B-4 contract 600, actual 620 (≤ 630) → 19,200.00; actual 500 → still 19,200.00', () => {
    expect(sumOf(rateBill({ tariff: A, usage: { ...u, contractDemandKw: 600, maxDemandKw: 620 } }), 'BASIC_')).toBe('19200.00');
    expect(sumOf(rateBill({ tariff: A, usage: { ...u, contractDemandKw: 600, maxDemandKw: 630 } }), 'BASIC_')).toBe('19200.00');
    expect(sumOf(rateBill({ tariff: A, usage: { ...u, contractDemandKw: 600, maxDemandKw: 500 } }), 'BASIC_')).toBe('19200.00');
  });
  it('B-5 new connection 6-11 in June: 23,000 × 20/30 = 15,333.33', () => {
    const r = rateBill({
      tariff: A,
      usage: { ...u, periodStart: '2024-06-11', periodEnd: '2024-06-30', basicChargeMethod: 'CAPACITY', daysUsed: 20 },
    });
    expect(sumOf(r, 'BASIC_')).toBe('15333.33');
    expect(r.lines.find((l) => l.code === 'BASIC_CAPACITY')!.rule).toMatch(/partial month/);
  });
  it('contract demand below 40 % of capacity is raised to the floor (warning)', () => {
    const r = rateBill({ tariff: A, usage: { ...u, contractDemandKw: 300, maxDemandKw: 200 } });
    expect(sumOf(r, 'BASIC_')).toBe('12800.00'); // 400 × 32
    expect(r.warnings.join()).toMatch(/floor/);
  });
});

describe('§4 power-factor adjustment', () => {
  const ct = compileTariff(A);
  const adj = (std: '0.90' | '0.85' | '0.80', pf: number) => (pfAdjustmentHundredths(ct, std, pf) / 100).toFixed(2);

  it('§4.4 PF examples (P = 100,000 kWh) and PF-1/PF-2', () => {
    const rows: Array<[number, string, string, string, string]> = [
      [0, '1.00', '-0.75', '-1.10', '-1.30'],
      [20000, '0.98', '-0.75', '-1.10', '-1.30'],
      [40000, '0.93', '-0.45', '-0.95', '-1.30'],
      [48432, '0.90', '0.00', '-0.50', '-1.00'],
      [60000, '0.86', '2.00', '-0.10', '-0.60'],
      [75000, '0.80', '5.00', '2.50', '0.00'],
      [120000, '0.64', '17.00', '11.00', '8.00'],
    ];
    for (const [q, pf, s90, s85, s80] of rows) {
      const p100 = powerFactorHundredths(100000_00, q * 100);
      expect((p100 / 100).toFixed(2)).toBe(pf);
      expect([adj('0.90', p100), adj('0.85', p100), adj('0.80', p100)]).toEqual([s90, s85, s80]);
    }
  });

  it('full §4.3 lookup table', () => {
    const table: Record<'0.90' | '0.85' | '0.80', Array<[number, number]>> = {
      '0.90': [[100, -0.75], [95, -0.75], [94, -0.6], [93, -0.45], [92, -0.3], [91, -0.15], [90, 0], [89, 0.5], [85, 2.5], [80, 5], [75, 7.5], [70, 10],
        [69, 11], [68, 12], [67, 13], [66, 14], [65, 15], [64, 17], [63, 19], [62, 21], [61, 23], [60, 25], [55, 35], [50, 45]],
      '0.85': [[100, -1.1], [94, -1.1], [93, -0.95], [92, -0.8], [91, -0.65], [90, -0.5], [89, -0.4], [88, -0.3], [87, -0.2], [86, -0.1], [85, 0],
        [84, 0.5], [80, 2.5], [75, 5], [70, 7.5], [65, 10], [64, 11], [60, 15], [59, 17], [55, 25], [50, 35]],
      '0.80': [[100, -1.3], [92, -1.3], [91, -1.15], [90, -1], [89, -0.9], [85, -0.5], [81, -0.1], [80, 0], [79, 0.5], [70, 5], [60, 10], [59, 11], [55, 15], [54, 17], [50, 25]],
    };
    for (const std of ['0.90', '0.85', '0.80'] as const) {
      for (const [pf, pct] of table[std]) expect([std, pf, adj(std, pf)]).toEqual([std, pf, pct.toFixed(2)]);
      for (let pf = 99; pf >= 96; pf--) expect(adj(std, pf)).toBe(table[std][0][1].toFixed(2)); // capped
    }
  });

  it('PF-3: (21,440.00 + 150,000.00) × 2.0 % = 3,428.80', () => {
    const j = tariffJson('agriculture-flat.json');
    j.energyComponents = [{ code: 'ENERGY', name: { zh: '电度', en: 'energy' }, kind: 'ENERGY', price: '0.75' }];
    j.basicCharge = { defaultMethod: 'CONTRACT_DEMAND', demandPrice: '32' };
    j.powerFactor = { standard: '0.90' };
    const r = rateBill({
      tariff: j,
      usage: { ...july, kwh: 200000, contractDemandKw: 600, maxDemandKw: 650, capacityKva: 1000, reactiveKvarh: { forward: 120000 } },
    });
    expect(r.details.ptfBase).toBe('171440.00');
    expect(amountOf(r, 'PF_ADJUSTMENT')).toBe('3428.80');
    expect(r.lines.find((l) => l.code === 'PF_ADJUSTMENT')).toMatchObject({ quantity: '171440.00', unitPrice: '0.020000' });
  });

  it('Q mode ABS_SUM adds reverse reactive energy; per-account standard override', () => {
    const j = tariffJson('zj-large-industrial-tou-b.json');
    (j.powerFactor as Record<string, unknown>).qMode = 'ABS_SUM';
    const r = rateBill({ tariff: j, usage: { ...i1, reactiveKvarh: { forward: 60000, reverse: 60000 } } });
    expect(r.details.powerFactor).toBe('0.86');
    const r2 = rateBill({ tariff: B, usage: { ...i1, reactiveKvarh: { forward: 60000, reverse: 60000 } } });
    expect(r2.details.powerFactor).toBe('0.96');
    const r3 = rateBill({ tariff: B, usage: { ...i1, pfStandard: '0.85' } });
    expect(r3.details.pfAdjustmentPercent).toBe('-0.10');
    expect(() => rateBill({ tariff: B, usage: { ...i1, pfStandard: '0.95' as '0.90' } })).toThrow(/usage.pfStandard/);
  });

  it('P = 0 and Q > 0: no automatic charge, flagged for review', () => {
    const r = rateBill({ tariff: B, usage: { ...i1, tou: { SHARP: 0, PEAK: 0, VALLEY: 0 }, reactiveKvarh: { forward: 10 } } });
    expect(r.lines.find((l) => l.code === 'PF_ADJUSTMENT')).toBeUndefined();
    expect(r.warnings.join()).toMatch(/manual review/);
  });
});

describe('fixed and minimum charges', () => {
  it('adds fixed monthly lines and tops up to the minimum', () => {
    const j = tariffJson('agriculture-flat.json');
    j.fixedCharges = [{ code: 'METER', name: { zh: '计量装置费', en: 'Meter charge' }, amount: '5.00' }];
    j.minimumCharge = { amount: '20.00' };
    const r = rateBill({ tariff: j, usage: { ...july, kwh: 10 } });
    expect(r.lines.map((l) => [l.code, l.amount])).toEqual([
      ['ENERGY', '6.17'],
      ['FIXED_METER', '5.00'],
      ['MINIMUM_TOPUP', '8.83'],
    ]);
    expect(r.total).toBe('20.00');
  });
});
