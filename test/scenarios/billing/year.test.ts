/**
 * Scenario: monthly bills over more than a year, computed the way a billing run does (readings →
 * determinants → rating engine → review flags), checked against an independent computation.
 * - Residential (Zhejiang annual ladder + TOU, domain-cn §1.3/§1.4): the ladder-year cumulative
 *   grows month by month, crosses 2760 and 4800 inside the year, and resets in January (rollover).
 * - 大工业 (two-part + 105 % rule + PF, §3.4/§4): PF penalty and reward months, demand under and over
 *   105 % of the contract.
 * - A tariff change in the middle of a reading period is split by days (§1.6) and flagged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { billAccount, type AccountFacts, type ReadingFact } from '../../../src/domain/billing/index.js';
import { parseTariffVersion } from '../../../src/domain/tariffs/validate.js';

const root = path.resolve(__dirname, '../../..');
const tariff = (f: string) => parseTariffVersion(JSON.parse(fs.readFileSync(path.join(root, 'tariffs', f), 'utf8')));
const RES = tariff('zj-resident-annual-ladder-tou.json');
const LI = tariff('zj-large-industrial-tou-a.json');

const acc = (over: Partial<AccountFacts>): AccountFacts => ({
  id: 1, accountNo: '3310000001', customerClass: 'residential', tariffCode: RES.code, householdSize: 3, capacityKva: '8', contractDemandKw: null,
  basicChargeMethod: 'none', pfStandard: null, openedOn: '2020-01-01', status: 'active', ...over,
});
let id = 1;
const rd = (register: string, c: string | null, at: Date, value = '1000'): ReadingFact => ({ id: id++, register, readAt: at, value, consumption: c, status: 'accepted', meterId: 1, multiplier: '1' });
const monthEnd = (y: number, m: number) => new Date(Date.UTC(y, m, 1) - 8 * 3_600_000); // 00:00 local on the 1st of the next month
const period = (y: number, m: number) => `${y}-${String(m).padStart(2, '0')}`;

/** Independent: 峰/谷 at tier-1 period prices + tier surcharges (0.05, 0.30) from the cumulative (分). */
function expectedResidentialFen(prevCum: number, peak: number, valley: number): number {
  const q = peak + valley;
  const t1 = Math.min(Math.max(2760 - prevCum, 0), q);
  const t2 = Math.min(Math.max(4800 - Math.max(prevCum, 2760), 0), q - t1);
  const t3 = q - t1 - t2;
  // round each line half-up to 分 (all products here are whole 分 or half 分 at most)
  const r = (x: number) => Math.round(x);
  return r(peak * 56.8) + r(valley * 28.8) + r(t2 * 5) + r(t3 * 30);
}

describe('a year of monthly bills', () => {
  it('residential: ladder cumulative crosses both thresholds in the year and resets in January', () => {
    const usage = [300, 280, 320, 310, 300, 520, 680, 720, 500, 300, 290, 330, 310, 300]; // 2025-11 … 2026-12
    let y = 2025, m = 11;
    let cum = 0;
    let prevAt: Date | null = monthEnd(2025, 10);
    const seen: Array<{ p: string; prevCum: number; amount: string }> = [];
    for (const q of usage) {
      if (m === 1) cum = 0; // ladder year = calendar year of the 电费年月
      const peak = Math.round(q * 0.6);
      const valley = q - peak;
      const at = monthEnd(y, m);
      const b = billAccount(
        { period: period(y, m), account: acc({}), readings: [rd('TOTAL', String(q), at), rd('PEAK', String(peak), at), rd('VALLEY', String(valley), at)], previousReadAt: prevAt, installedOn: null, ladderPrevCumKwh: cum, tariffVersions: [RES] },
        { hasEarlierBill: true },
      );
      expect(b.exceptionCode).toBeNull();
      expect(Math.round(Number(b.amount) * 100)).toBe(expectedResidentialFen(cum, peak, valley));
      expect(b.det.periodStart).toBe(`${period(y, m)}-01`);
      seen.push({ p: period(y, m), prevCum: cum, amount: b.amount });
      cum += q;
      prevAt = at;
      if (++m === 13) { m = 1; y++; }
    }
    // 2026: cumulative before Sep = 300+310+300+520+680+720+500 (Jan–Jul 2026 are usage[2..8]) …
    const jan = seen.find((s) => s.p === '2026-01')!;
    expect(jan.prevCum).toBe(0);
    const dec2025 = seen.find((s) => s.p === '2025-12')!;
    expect(dec2025.prevCum).toBe(300);
    // tier 2 begins inside 2026 (cumulative passes 2760) and tier 3 is never reached with this usage
    const crossing = seen.find((s) => s.p.startsWith('2026') && s.prevCum < 2760 && s.prevCum + usage[seen.indexOf(s)] > 2760)!;
    expect(crossing).toBeTruthy();
  });

  it('大工业: PF penalty and reward months; demand under and over 105 % of the contract', () => {
    const li = acc({ customerClass: 'large_industrial', tariffCode: LI.code, capacityKva: '1000', contractDemandKw: '600', basicChargeMethod: 'contract_demand', pfStandard: '0.90' });
    const months = [
      // [kWh, kvarh, demand kW] → PF, basic
      { p: '2026-03', kwh: 200000, q: 120000, kw: 650, pf: '0.86', pct: '2.00', basic: '21440.00' }, // §3.3 / B-2
      { p: '2026-04', kwh: 100000, q: 20000, kw: 620, pf: '0.98', pct: '-0.75', basic: '19200.00' }, // reward; B-4
      { p: '2026-05', kwh: 100000, q: 48432, kw: 500, pf: '0.90', pct: '0.00', basic: '19200.00' },
      { p: '2026-06', kwh: 100000, q: 120000, kw: 700, pf: '0.64', pct: '17.00', basic: '24640.00' }, // 700×32 + (700−630)×32
    ];
    let prevAt = new Date('2026-02-28T16:00:00Z');
    for (const mo of months) {
      const [y, m] = mo.p.split('-').map(Number);
      const at = monthEnd(y, m);
      const sharp = mo.kwh / 10, peak = (mo.kwh * 3) / 10, valley = mo.kwh - sharp - peak;
      const b = billAccount(
        {
          period: mo.p, account: li, previousReadAt: prevAt, installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [LI],
          readings: [rd('TOTAL', String(mo.kwh), at), rd('SHARP', String(sharp), at), rd('PEAK', String(peak), at), rd('VALLEY', String(valley), at), rd('REACTIVE', String(mo.q), at), rd('MAX_DEMAND', null, at, String(mo.kw))],
        },
        { hasEarlierBill: true },
      );
      expect(b.exceptionCode).toBeNull();
      const basic = b.lines.filter((l) => l.code.startsWith('BASIC_')).reduce((s, l) => s + Math.round(Number(l.amount) * 100), 0);
      expect((basic / 100).toFixed(2)).toBe(mo.basic);
      const pf = b.lines.find((l) => l.code === 'PF_ADJUSTMENT');
      if (mo.pct === '0.00') expect(pf === undefined || pf.amount === '0.00').toBe(true);
      else {
        expect(pf).toBeDefined();
        // 力调 = round2(base × pct), base = basic + energy excl. government funds
        const base = Math.round(Number(pf!.quantity) * 100);
        expect(Math.round(Number(pf!.amount) * 100)).toBe(Math.round((base * Number(mo.pct)) / 100));
        expect(Number(pf!.amount) < 0).toBe(Number(mo.pct) < 0);
      }
      prevAt = at;
    }
  });

  it('tariff change inside a reading period (readings on the 15th): split by days, both segments rated, flagged for review', () => {
    const base = { code: 'T-RES-FLAT', name: { zh: '测试', en: 'test' }, province: '330000', customerClasses: ['x'], voltageLevels: ['x'] };
    const comp = (price: string) => [{ code: 'ENERGY', name: { zh: '电度', en: 'Energy' }, kind: 'ENERGY', price }];
    const v1 = parseTariffVersion({ ...base, version: 'old', effectiveFrom: '2024-01-01', effectiveTo: '2024-07-01', energyComponents: comp('0.538') });
    const v2 = parseTariffVersion({ ...base, version: 'new', effectiveFrom: '2024-07-01', energyComponents: comp('0.548') });
    // 310 kWh over 06-21 … 07-21 (31 days), 10 days old → E_old = 100, E_new = 210 (§1.6)
    const b = billAccount(
      { period: '2024-07', account: acc({ tariffCode: 'T-RES-FLAT' }), readings: [rd('TOTAL', '310', new Date('2024-07-21T09:00:00+08:00'))], previousReadAt: new Date('2024-06-20T09:00:00+08:00'), installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [v1, v2] },
      { hasEarlierBill: true },
    );
    expect(b.det.days).toBe(31);
    expect(b.tariffRefs.map((s) => [s.version, s.kwh])).toEqual([['old', '100'], ['new', '210']]);
    expect(b.amount).toBe((100 * 0.538 + 210 * 0.548).toFixed(2));
    expect(b.flags).toContain('TARIFF_CHANGE');
    expect(b.status).toBe('review');
  });
});
