import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { billUrdb, cents, jan1Weekday, parseLoadCsv } from './bill.js';
import { importUrdbRate } from './import.js';

const row = (f: (h: number) => number) => Array.from({ length: 24 }, (_, h) => f(h));
const all = (f: (h: number) => number) => Array.from({ length: 12 }, () => row(f));

function rate(unit: string, extra: Record<string, unknown> = {}) {
  return {
    name: 'hand example',
    energyweekdayschedule: all((h) => (h < 12 ? 0 : 1)),
    energyweekendschedule: all((h) => (h < 12 ? 0 : 1)),
    energyratestructure: [
      [{ max: unit === 'kWh' ? 100 : unit === 'kWh daily' ? 10 : 50, rate: 0.1, unit }, { rate: 0.2, unit }],
      [{ max: unit === 'kWh' ? 100 : unit === 'kWh daily' ? 10 : 50, rate: 0.3, unit }, { rate: 0.4, unit }],
    ],
    demandweekdayschedule: all((h) => (h >= 15 && h <= 19 ? 0 : 1)),
    demandweekendschedule: all(() => 1),
    demandratestructure: [[{ max: 100, rate: 20 }, { rate: 15 }], [{ max: 100, rate: 10 }, { rate: 5 }]],
    flatdemandstructure: [[{ max: 1e38, rate: 5 }]],
    flatdemandmonths: new Array(12).fill(0),
    fixedmonthlycharge: 30,
    ...extra,
  };
}

function load(): Float64Array {
  const l = new Float64Array(8760).fill(1);
  l[31 * 24 + 16] = 150; // Feb 1, 16:00
  return l;
}

describe('URDB import', () => {
  it('reads the API response, bare items and JSON-encoded strings', () => {
    const r = importUrdbRate(JSON.stringify(JSON.stringify({ items: [rate('kWh')] })));
    expect(r.energyTiers[0][1].max).toBe(Infinity);
    expect(r.flatDemandMonths).toHaveLength(12);
  });

  it('rejects an unknown unit with the typed UNSUPPORTED code naming the field', () => {
    try {
      importUrdbRate(rate('kWh/kVA'));
      throw new Error('expected UNSUPPORTED');
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('UNSUPPORTED');
      expect((e as AppError).details?.field).toBe('energyratestructure.0.0.unit');
    }
    expect(() => importUrdbRate(rate('kWh', { demandrateunit: 'hp' }))).toThrow(/demandrateunit/);
  });

  it('rejects schedules pointing at missing periods', () => {
    const bad = rate('kWh');
    bad.energyweekdayschedule[3][5] = 7;
    expect(() => importUrdbRate(bad)).toThrow(/energyweekdayschedule.3.5/);
  });
});

describe('URDB billing (hand-computed, 1 kW flat load, Jan = 744 kWh split 372/372)', () => {
  it('kWh tiers on the month total split by period share: 5 + 64.4 + 15 + 128.8 = 213.20', () => {
    const b = billUrdb(importUrdbRate(rate('kWh')), load());
    expect(cents(b.months[0].energy)).toBe('213.20');
  });
  it('kWh/kW tiers scale with the month peak (1 kW → 50 kWh): 218.20', () => {
    expect(cents(billUrdb(importUrdbRate(rate('kWh/kW')), load()).months[0].energy)).toBe('218.20');
  });
  it('kWh/kW daily tiers scale with peak × days (1 kW × 31 × 10 = 310 kWh): 192.20', () => {
    const r = rate('kWh daily');
    for (const p of r.energyratestructure) for (const t of p) t.unit = 'kWh/kW daily';
    expect(cents(billUrdb(importUrdbRate(r), load()).months[0].energy)).toBe('192.20');
  });
  it('kWh daily tiers scale with days (31 × 10 = 310 kWh): 192.20', () => {
    expect(cents(billUrdb(importUrdbRate(rate('kWh daily')), load()).months[0].energy)).toBe('192.20');
  });
  it('TOU + flat demand tiers on monthly maxima; weekday calendar from the year', () => {
    const r = importUrdbRate(rate('kWh'));
    const monday = billUrdb(r, load()); // SAM: Jan 1 is a Monday → Feb 1 is a Thursday
    expect(cents(monday.months[1].demand)).toBe('3510.00'); // 100×20+50×15 + 1×10 + 150×5
    expect(cents(monday.months[0].demand)).toBe('35.00');
    expect(jan1Weekday(2025)).toBe(2);
    const y2025 = billUrdb(r, load(), undefined, 2025); // Feb 1 2025 is a Saturday
    expect(cents(y2025.months[1].demand)).toBe('2020.00'); // 1×20 + 100×10+50×5 + 150×5
  });
  it('minimum monthly charge tops up; fixed charge every month', () => {
    const b = billUrdb(importUrdbRate(rate('kWh', { minmonthlycharge: 300 })), load());
    expect(cents(b.months[0].fixed)).toBe('30.00');
    expect(cents(b.months[0].minimum)).toBe('21.80');
    expect(cents(b.months[0].total)).toBe('300.00');
  });
  it('parses load CSVs with an optional header', () => {
    expect(Array.from(parseLoadCsv('Exported Data (8760)\n1.5\n2\n'))).toEqual([1.5, 2]);
    expect(() => parseLoadCsv('1\nx\n')).toThrow(/load.2/);
  });
});
