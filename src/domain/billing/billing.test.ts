/**
 * Billing domain: determinants from readings and review rules, golden numbers from
 * domain-cn §1.4 (R-2, R-2b), §1.6, §3.3 (I-1 variant A) and §5.3 (multiplier).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTariffVersion } from '../tariffs/validate.js';
import type { TariffVersion } from '../tariffs/schema.js';
import { billAccount, beyond, billingDay, computeDeterminants, DEFAULT_REVIEW_RULES, reviewFlags, versionsInForce, type AccountFacts, type ReadingFact } from './index.js';

const tariff = (f: string) => parseTariffVersion(JSON.parse(fs.readFileSync(path.join(__dirname, '../../../tariffs', f), 'utf8')));
const RES = tariff('zj-resident-annual-ladder-tou.json');
const LI = tariff('zj-large-industrial-tou-a.json');

const acc = (over: Partial<AccountFacts> = {}): AccountFacts => ({
  id: 1, accountNo: '3310000001', customerClass: 'residential', tariffCode: RES.code, householdSize: 3, capacityKva: '8', contractDemandKw: null,
  basicChargeMethod: 'none', pfStandard: null, openedOn: '2020-05-01', status: 'active', ...over,
});
let nextId = 1;
const rd = (register: string, consumption: string | null, at = '2024-07-31T10:00:00+08:00', over: Partial<ReadingFact> = {}): ReadingFact => ({
  id: nextId++, register, readAt: new Date(at), value: '1000.00', consumption, status: 'accepted', meterId: 9, multiplier: '1', ...over,
});
const PREV = new Date('2024-06-30T10:00:00+08:00');

describe('determinants', () => {
  it('R-2: residential ladder + TOU from register consumption and the ladder-year cumulative → 166.30', () => {
    const b = billAccount(
      { period: '2024-07', account: acc(), readings: [rd('TOTAL', '350.0000'), rd('PEAK', '200.0000'), rd('VALLEY', '150.0000')], previousReadAt: PREV, installedOn: '2020-05-01', ladderPrevCumKwh: 2600, tariffVersions: [RES] },
      { hasEarlierBill: true, last: { kwh: 300, amount: '150.00' } },
    );
    expect(b.exceptionCode).toBeNull();
    expect(b.amount).toBe('166.30');
    expect(b.det).toMatchObject({ periodStart: '2024-07-01', periodEnd: '2024-07-31', days: 31, kwh: 350, tou: { PEAK: 200, VALLEY: 150 }, ladderPrevCum: 2600, householdSize: 3 });
    expect(b.lines.map((l) => [l.code, l.amount])).toEqual([['ENERGY_PEAK', '113.60'], ['ENERGY_VALLEY', '43.20'], ['LADDER_T2_SURCHARGE', '9.50'], ['LADDER_T3_SURCHARGE', '0.00']]);
    expect(b.status).toBe('calculated');
    expect(b.flags).toEqual([]);
  });

  it('R-2b: 峰 300 谷 200 with 4700 kWh already billed → 353.00 (tiers 0/100/400)', () => {
    const b = billAccount(
      { period: '2024-07', account: acc(), readings: [rd('TOTAL', '500'), rd('PEAK', '300'), rd('VALLEY', '200')], previousReadAt: PREV, installedOn: null, ladderPrevCumKwh: 4700, tariffVersions: [RES] },
      { hasEarlierBill: true },
    );
    expect(b.amount).toBe('353.00');
  });

  it('energies are rounded half-up to integer kWh; TOU rounding is reconciled to the total; a big mismatch is flagged', () => {
    const d = computeDeterminants({ period: '2024-07', account: acc(), readings: [rd('TOTAL', '350.5000'), rd('PEAK', '200.5000'), rd('VALLEY', '150.0000')], previousReadAt: PREV, installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [RES] });
    expect(d.ok && d.det.kwh).toBe(351);
    expect(d.ok && d.det.tou).toEqual({ PEAK: 201, VALLEY: 150 });
    expect(d.flags).toEqual([]);
    const m = computeDeterminants({ period: '2024-07', account: acc(), readings: [rd('TOTAL', '350'), rd('PEAK', '100'), rd('VALLEY', '100')], previousReadAt: PREV, installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [RES] });
    expect(m.flags).toContain('TOU_MISMATCH');
    expect(m.ok && m.det.tou).toEqual({ PEAK: 175, VALLEY: 175 });
  });

  it('I-1 variant A: 大工业 two-part with 105 % rule and PF from reactive energy → 140,135.72; demand = value × multiplier', () => {
    const li = acc({ customerClass: 'large_industrial', tariffCode: LI.code, capacityKva: '1000', contractDemandKw: '600', basicChargeMethod: 'contract_demand', pfStandard: '0.90' });
    const at = '2024-07-31T10:00:00+08:00';
    const b = billAccount(
      {
        period: '2024-07', account: li, previousReadAt: PREV, installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [LI],
        readings: [rd('TOTAL', '200000'), rd('SHARP', '20000'), rd('PEAK', '60000'), rd('VALLEY', '120000'), rd('REACTIVE', '120000'), rd('MAX_DEMAND', null, at, { value: '0.1625', multiplier: '4000' })],
      },
      { hasEarlierBill: true },
    );
    expect(b.exceptionCode).toBeNull();
    expect(b.det).toMatchObject({ maxDemandKw: '650', contractDemandKw: '600', capacityKva: '1000', basicChargeMethod: 'CONTRACT_DEMAND', reactive: { forward: 120000, reverse: 0 }, pfStandard: '0.90' });
    expect(b.amount).toBe('140135.72');
    expect(b.lines.find((l) => l.code === 'PF_ADJUSTMENT')?.amount).toBe('2649.72');
  });

  it('R-3: a tariff change inside the period is split by days (300 kWh, 0.538 → 0.548 from 07-01) and flagged', () => {
    const base = { code: 'T-FLAT', name: { zh: '测试', en: 'test' }, province: '330000', customerClasses: ['x'], voltageLevels: ['x'] };
    const v1 = parseTariffVersion({ ...base, version: 'a', effectiveFrom: '2024-01-01', effectiveTo: '2024-07-01', energyComponents: [{ code: 'ENERGY', name: { zh: '电度', en: 'Energy' }, kind: 'ENERGY', price: '0.538' }] });
    const v2 = parseTariffVersion({ ...base, version: 'b', effectiveFrom: '2024-07-01', energyComponents: [{ code: 'ENERGY', name: { zh: '电度', en: 'Energy' }, kind: 'ENERGY', price: '0.548' }] });
    const b = billAccount(
      { period: '2024-07', account: acc({ tariffCode: 'T-FLAT' }), readings: [rd('TOTAL', '300', '2024-07-15T09:00:00+08:00')], previousReadAt: new Date('2024-06-15T09:00:00+08:00'), installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [v2, v1] },
      { hasEarlierBill: true },
    );
    expect(b.det).toMatchObject({ periodStart: '2024-06-16', periodEnd: '2024-07-15', days: 30 });
    expect(b.lines.map((l) => [l.amount, l.segment])).toEqual([['80.70', 1], ['82.20', 2]]);
    expect(b.amount).toBe('162.90');
    expect(b.flags).toContain('TARIFF_CHANGE');
    expect(b.tariffRefs.map((s) => s.kwh)).toEqual(['150', '150']);
  });

  it('a tariff version gap, no tariff, a missing reading, unknown consumption, zero multiplier and missing PF inputs are exceptions', () => {
    const base = { code: 'T-GAP', name: { zh: '测试', en: 'test' }, province: '330000', customerClasses: ['x'], voltageLevels: ['x'], energyComponents: [{ code: 'ENERGY', name: { zh: '电度', en: 'Energy' }, kind: 'ENERGY', price: '0.5' }] };
    const v1 = parseTariffVersion({ ...base, version: 'a', effectiveFrom: '2024-01-01', effectiveTo: '2024-07-01' });
    const v2 = parseTariffVersion({ ...base, version: 'b', effectiveFrom: '2024-07-05' });
    const inp = (over: object) => ({ period: '2024-07', account: acc({ tariffCode: 'T-GAP' }), readings: [rd('TOTAL', '100')], previousReadAt: PREV, installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [v1, v2] as TariffVersion[], ...over });
    expect(billAccount(inp({}), { hasEarlierBill: true })).toMatchObject({ exceptionCode: 'TARIFF_GAP', status: 'review', lines: [], amount: '0.00' });
    expect(billAccount(inp({ account: acc({ tariffCode: null }) }), { hasEarlierBill: true }).exceptionCode).toBe('NO_TARIFF');
    expect(billAccount(inp({ readings: [] }), { hasEarlierBill: true }).exceptionCode).toBe('MISSING_READING');
    expect(billAccount(inp({ readings: [rd('TOTAL', null)] }), { hasEarlierBill: true }).exceptionCode).toBe('CONSUMPTION_UNKNOWN');
    expect(billAccount(inp({ readings: [rd('TOTAL', '10', undefined, { multiplier: '0' })] }), { hasEarlierBill: true }).exceptionCode).toBe('ZERO_MULTIPLIER');
    expect(billAccount(inp({ readings: [rd('TOTAL', '-10')] }), { hasEarlierBill: true }).exceptionCode).toBe('NEGATIVE_ENERGY');
    const li = acc({ customerClass: 'large_industrial', tariffCode: LI.code, capacityKva: '1000', contractDemandKw: '600', basicChargeMethod: 'contract_demand' });
    const liIn = { period: '2024-07', account: li, previousReadAt: PREV, installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [LI] };
    expect(billAccount({ ...liIn, readings: [rd('TOTAL', '100')] }, { hasEarlierBill: true }).exceptionCode).toBe('MISSING_TOU');
    expect(billAccount({ ...liIn, readings: [rd('TOTAL', '100'), rd('PEAK', '100'), rd('REACTIVE', '10')] }, { hasEarlierBill: true }).exceptionCode).toBe('MISSING_DEMAND');
    expect(billAccount({ ...liIn, readings: [rd('TOTAL', '100'), rd('PEAK', '100'), rd('MAX_DEMAND', null, undefined, { value: '1' })] }, { hasEarlierBill: true }).exceptionCode).toBe('MISSING_REACTIVE');
  });

  it('first bill starts on the installation day; a reading at 00:00 closes the previous day; estimated readings are flagged', () => {
    const d = computeDeterminants({ period: '2024-07', account: acc({ openedOn: '2024-07-10' }), readings: [rd('TOTAL', '100', '2024-08-01T00:00:00+08:00', { status: 'estimated' }), rd('PEAK', '60', '2024-08-01T00:00:00+08:00'), rd('VALLEY', '40', '2024-08-01T00:00:00+08:00')], previousReadAt: null, installedOn: '2024-07-10', ladderPrevCumKwh: 0, tariffVersions: [RES] });
    expect(d.ok).toBe(true);
    expect(d.det).toMatchObject({ periodStart: '2024-07-10', periodEnd: '2024-07-31', days: 22, ladderOpenedMonth: 7, estimated: true });
    expect(d.flags).toEqual(['ESTIMATED_READING']);
    expect(billingDay(new Date('2024-08-01T00:00:00+08:00'))).toBe('2024-07-31');
    expect(billingDay(new Date('2024-08-01T00:00:01+08:00'))).toBe('2024-08-01');
    const b = billAccount({ period: '2024-07', account: acc({ openedOn: '2024-07-10' }), readings: [rd('TOTAL', '100'), rd('PEAK', '60'), rd('VALLEY', '40')], previousReadAt: null, installedOn: '2024-07-10', ladderPrevCumKwh: 0, tariffVersions: [RES] }, { hasEarlierBill: false });
    expect(b.flags).toContain('FIRST_BILL');
  });

  it('versionsInForce finds the versions covering a period in order', () => {
    expect('versions' in versionsInForce([RES], '2024-07-01', '2024-07-31')).toBe(true);
    expect(versionsInForce([RES], '2010-07-01', '2010-07-31')).toMatchObject({ gap: expect.stringMatching(/no version/) });
  });
});

describe('review rules', () => {
  const ctx = { customerClass: 'residential', kwh: 300, amount: '150.00', firstBill: false, tariffChange: false, determinantFlags: [], manualReview: false };
  it('±50 % vs last period and same period last year, on kWh and amount (exact boundaries)', () => {
    expect(beyond(150, 100, '0.5')).toBe(false);
    expect(beyond(151, 100, '0.5')).toBe(true);
    expect(beyond(50, 100, '0.5')).toBe(false);
    expect(beyond(49, 100, '0.5')).toBe(true);
    expect(reviewFlags({ ...ctx, last: { kwh: 199, amount: '99.99' } })).toEqual(['AMOUNT_VS_LAST', 'KWH_VS_LAST']);
    expect(reviewFlags({ ...ctx, last: { kwh: 200, amount: '100.00' } })).toEqual([]);
    expect(reviewFlags({ ...ctx, lastYear: { kwh: 700, amount: '150.00' } })).toEqual(['KWH_VS_LAST_YEAR']);
    // tiny bases are not compared
    expect(reviewFlags({ ...ctx, last: { kwh: 5, amount: '2.00' } })).toEqual([]);
  });
  it('zero energy, first bill, tariff change, large amount per class, determinant flags; rules can be switched off', () => {
    expect(reviewFlags({ ...ctx, kwh: 0, amount: '0.00', firstBill: true, tariffChange: true, determinantFlags: ['ESTIMATED_READING'] })).toEqual(['ZERO_ENERGY', 'ESTIMATED_READING', 'FIRST_BILL', 'TARIFF_CHANGE']);
    expect(reviewFlags({ ...ctx, amount: '2000.01' })).toEqual(['LARGE_AMOUNT']);
    expect(reviewFlags({ ...ctx, amount: '2000.01', customerClass: 'commercial' })).toEqual([]);
    expect(reviewFlags({ ...ctx, kwh: 0, firstBill: true }, { ...DEFAULT_REVIEW_RULES, disabled: ['FIRST_BILL'] })).toEqual(['ZERO_ENERGY']);
  });
});
