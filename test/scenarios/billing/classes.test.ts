/**
 * Scenario: a year of monthly bills for the other customer classes and the period events a
 * billing run meets (issue 5 "Done when"), computed the way a billing run does (readings →
 * determinants → rating engine → review flags) and checked against an independent computation:
 * - 农业生产 (flat catalogue price): twelve months, amount = kWh × 0.6170 rounded to 分.
 * - 一般工商业 TOU (single-part): twelve months across both seasons; each TOU line = kWh of the
 *   period × the period price (ratios × components, computed here from the tariff file), rounded.
 * - Meter exchange (换表) inside the period: old meter's final advance + new meter's advance with
 *   its own multiplier are billed together and the bill says so.
 * - Partial first month (§3.4): a 大工业 account opened on the 10th pays the capacity charge for
 *   the days in service (22/31), and its first bill is flagged FIRST_BILL.
 * - Estimated then actual (§5.3): the estimated month is flagged, the next actual month is not,
 *   and the two months together bill exactly the metered advance.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { billAccount, type AccountFacts, type ReadingFact } from '../../../src/domain/billing/index.js';
import { parseTariffVersion } from '../../../src/domain/tariffs/validate.js';

const root = path.resolve(__dirname, '../../..');
const raw = (f: string) => JSON.parse(fs.readFileSync(path.join(root, 'tariffs', f), 'utf8'));
const AGRI = parseTariffVersion(raw('agriculture-flat.json'));
const GC_RAW = raw('zj-general-commercial-tou.json');
const GC = parseTariffVersion(GC_RAW);
const LI = parseTariffVersion(raw('zj-large-industrial-tou-a.json'));

const acc = (over: Partial<AccountFacts>): AccountFacts => ({
  id: 7, accountNo: '3310000007', customerClass: 'agricultural', tariffCode: AGRI.code, householdSize: 1, capacityKva: '30', contractDemandKw: null,
  basicChargeMethod: 'none', pfStandard: null, openedOn: '2020-01-01', status: 'active', ...over,
});
let id = 1;
const rd = (register: string, c: string | null, at: Date, o: Partial<ReadingFact> = {}): ReadingFact =>
  ({ id: id++, register, readAt: at, value: '1000', consumption: c, status: 'accepted', meterId: 1, multiplier: '1', ...o });
const monthEnd = (y: number, m: number) => new Date(Date.UTC(y, m, 1) - 8 * 3_600_000); // 00:00 local on the 1st of the next month
const period = (y: number, m: number) => `${y}-${String(m).padStart(2, '0')}`;
/** 分 of a decimal string */
const fen = (s: string) => Math.round(Number(s) * 100);
/** round half up of a non-negative product given in 分 × 10^k */
const half = (x: number) => Math.floor(x + 0.5);

describe('a year of monthly bills for the other classes', () => {
  it('农业生产 flat: twelve months, each kWh × 0.6170 to the 分, no review flag on steady use', () => {
    const usage = [1200, 900, 1500, 2600, 3100, 2900, 3300, 3400, 2500, 1800, 1300, 1100];
    let prevAt: Date | null = monthEnd(2025, 12);
    let last: { kwh: number; amount: string } | null = null;
    let yearFen = 0;
    usage.forEach((q, i) => {
      const at = monthEnd(2026, i + 1);
      const b = billAccount(
        { period: period(2026, i + 1), account: acc({}), readings: [rd('TOTAL', String(q), at)], previousReadAt: prevAt, installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [AGRI] },
        { hasEarlierBill: true, last },
      );
      expect(b.exceptionCode).toBeNull();
      // 0.6170 元/kWh = 61.70 分: kWh × 6170 / 100 分, half up
      expect(fen(b.amount)).toBe(half((q * 6170) / 100));
      expect(b.kwh).toBe(q);
      expect(b.det.days).toBe(new Date(Date.UTC(2026, i + 1, 0)).getUTCDate());
      // month-on-month change beyond ±50 % is flagged for review (Mar→Apr 1500→2600 is +73 %)
      const jump = last !== null && Math.abs(q - last.kwh) / last.kwh > 0.5;
      expect(b.flags.includes('KWH_VS_LAST')).toBe(jump);
      yearFen += fen(b.amount);
      last = { kwh: q, amount: b.amount };
      prevAt = at;
    });
    expect(yearFen).toBe(usage.reduce((s, q) => s + half((q * 6170) / 100), 0));
  });

  it('一般工商业 TOU: twelve months over both seasons; each period line = kWh × period price', () => {
    // period price (元/kWh, 6 dp) from the file, not from the engine: the components named in
    // tou.floatBase × the period ratio + the others; without floatBase the whole 平段 price floats
    const comps = GC_RAW.energyComponents as Array<{ kind: string; price: string }>;
    const ratios = GC_RAW.tou.ratios as Record<string, string>;
    const floatBase = GC_RAW.tou.floatBase as string[] | undefined;
    const floats = (c: { kind: string }) => !floatBase || floatBase.includes(c.kind);
    const floating = comps.filter(floats).reduce((s, c) => s + Math.round(Number(c.price) * 1e6), 0);
    const funds = comps.filter((c) => !floats(c)).reduce((s, c) => s + Math.round(Number(c.price) * 1e6), 0);
    const micro = (p: string) => half((floating * Number(ratios[p]) * 100) / 100) + funds;
    let prevAt: Date | null = monthEnd(2025, 12);
    for (let m = 1; m <= 12; m++) {
      const at = monthEnd(2026, m);
      const tou = { SHARP: 400 + m * 10, PEAK: 2000 + m * 35, FLAT: 0, VALLEY: 1500 + m * 20 };
      const total = tou.SHARP + tou.PEAK + tou.VALLEY;
      const b = billAccount(
        {
          period: period(2026, m), account: acc({ customerClass: 'commercial', tariffCode: GC.code }), previousReadAt: prevAt, installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [GC],
          readings: [rd('TOTAL', String(total), at), rd('SHARP', String(tou.SHARP), at), rd('PEAK', String(tou.PEAK), at), rd('VALLEY', String(tou.VALLEY), at)],
        },
        { hasEarlierBill: true },
      );
      expect(b.exceptionCode).toBeNull();
      expect(b.det.tou).toEqual({ SHARP: tou.SHARP, PEAK: tou.PEAK, VALLEY: tou.VALLEY });
      let expectFen = 0;
      for (const p of ['SHARP', 'PEAK', 'VALLEY'] as const) {
        const line = b.lines.find((l) => l.code === `ENERGY_${p}`);
        expect(line, `${period(2026, m)} ENERGY_${p}`).toBeDefined();
        expect(Math.round(Number(line!.unitPrice) * 1e6)).toBe(micro(p));
        // amount = kWh × price (micro 元) → 分, half up
        const f = half((tou[p] * micro(p)) / 10_000);
        expect(fen(line!.amount)).toBe(f);
        expectFen += f;
      }
      expect(fen(b.amount)).toBe(expectFen);
      prevAt = at;
    }
  });
});

describe('period events', () => {
  it('换表 inside the period: the old meter\'s final advance and the new meter\'s advance × its multiplier are billed together', () => {
    const at = monthEnd(2026, 5);
    const exchangeAt = new Date('2026-05-12T10:00:00+08:00');
    // old meter: 1234.50 → 1354.50 (×1) = 120 kWh up to the exchange; new meter ×40: 0 → 5.00 = 200 kWh
    const b = billAccount(
      {
        period: '2026-05', account: acc({}), previousReadAt: monthEnd(2026, 4), installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [AGRI],
        readings: [
          rd('TOTAL', '120.0000', exchangeAt, { meterId: 11, multiplier: '1', value: '1354.50', source: 'exchange' }),
          rd('TOTAL', '200.0000', at, { meterId: 12, multiplier: '40', value: '5.00' }),
        ],
      },
      { hasEarlierBill: true },
    );
    expect(b.exceptionCode).toBeNull();
    expect(b.kwh).toBe(320);
    expect(b.det.meterExchange).toBe(true);
    expect(b.det.periodEnd).toBe('2026-05-31');
    expect(b.amount).toBe('197.44'); // 320 × 0.6170
    // a zero multiplier on the new meter is an exception, not a bill
    const z = billAccount(
      { period: '2026-05', account: acc({}), previousReadAt: monthEnd(2026, 4), installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [AGRI],
        readings: [rd('TOTAL', '200.0000', at, { meterId: 12, multiplier: '0' })] },
      { hasEarlierBill: true },
    );
    expect(z.exceptionCode).toBe('ZERO_MULTIPLIER');
    expect(z.amount).toBe('0.00');
  });

  it('partial first month (§3.4): opened on 03-10, the capacity charge is for 22 of 31 days and the bill is flagged FIRST_BILL', () => {
    const li = acc({ customerClass: 'large_industrial', tariffCode: LI.code, capacityKva: '1000', basicChargeMethod: 'capacity', pfStandard: '0.90', openedOn: '2026-03-10' });
    const at = monthEnd(2026, 3);
    const b = billAccount(
      {
        period: '2026-03', account: li, previousReadAt: null, installedOn: '2026-03-10', ladderPrevCumKwh: 0, tariffVersions: [LI],
        readings: [rd('TOTAL', '50000', at), rd('SHARP', '5000', at), rd('PEAK', '15000', at), rd('VALLEY', '30000', at), rd('REACTIVE', '20000', at)],
      },
      { hasEarlierBill: false },
    );
    expect(b.exceptionCode).toBeNull();
    expect(b.det.periodStart).toBe('2026-03-10');
    expect(b.det.days).toBe(22);
    expect(b.det.daysUsed).toBe(22);
    const basic = b.lines.filter((l) => l.code.startsWith('BASIC_')).reduce((s, l) => s + fen(l.amount), 0);
    // 1000 kVA × 23 元 × 22 / 31 = 16,322.580… → 16,322.58
    expect(basic).toBe(half((1000 * 2300 * 22) / 31));
    expect(b.flags).toContain('FIRST_BILL');
    expect(b.status).toBe('review');
    // the same account a month later: a whole month, no FIRST_BILL
    const next = billAccount(
      {
        period: '2026-04', account: li, previousReadAt: at, installedOn: '2026-03-10', ladderPrevCumKwh: 0, tariffVersions: [LI],
        readings: [rd('TOTAL', '60000', monthEnd(2026, 4)), rd('SHARP', '6000', monthEnd(2026, 4)), rd('PEAK', '18000', monthEnd(2026, 4)), rd('VALLEY', '36000', monthEnd(2026, 4)), rd('REACTIVE', '24000', monthEnd(2026, 4))],
      },
      { hasEarlierBill: true },
    );
    expect(next.det.daysUsed).toBeUndefined();
    expect(next.lines.filter((l) => l.code.startsWith('BASIC_')).reduce((s, l) => s + fen(l.amount), 0)).toBe(1000 * 2300);
    expect(next.flags).not.toContain('FIRST_BILL');
  });

  it('estimated then actual (§5.3): the estimate is flagged, the next actual month settles it, together they bill the metered advance', () => {
    // register: 5000.00 at the end of May (actual); June estimated at +310 (door locked);
    // July actual 5655.00 → July's consumption is counted from the estimate: 5655 − 5310 = 345
    const june = billAccount(
      { period: '2026-06', account: acc({}), previousReadAt: monthEnd(2026, 5), installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [AGRI],
        readings: [rd('TOTAL', '310.0000', monthEnd(2026, 6), { status: 'estimated', source: 'estimate', value: '5310.00' })] },
      { hasEarlierBill: true, last: { kwh: 300, amount: '185.10' } },
    );
    expect(june.flags).toContain('ESTIMATED_READING');
    expect(june.status).toBe('review');
    expect(june.det.estimated).toBe(true);
    const july = billAccount(
      { period: '2026-07', account: acc({}), previousReadAt: monthEnd(2026, 6), installedOn: null, ladderPrevCumKwh: 0, tariffVersions: [AGRI],
        readings: [rd('TOTAL', '345.0000', monthEnd(2026, 7), { value: '5655.00' })] },
      { hasEarlierBill: true, last: { kwh: 310, amount: june.amount } },
    );
    expect(july.flags).not.toContain('ESTIMATED_READING');
    expect(july.det.estimated).toBe(false);
    expect(june.kwh + july.kwh).toBe(655); // 5655 − 5000
    expect(fen(june.amount) + fen(july.amount)).toBe(half((310 * 6170) / 100) + half((345 * 6170) / 100));
  });
});
