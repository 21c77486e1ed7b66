import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { allocateTiers, powerFactorHundredths } from './engine.js';
import { dayNumber, daysInclusive, daysInMonth, dateOf } from './calendar.js';

describe('allocateTiers (§1.3)', () => {
  it('matches the spec formula', () => {
    const out: number[] = [];
    expect(allocateTiers(2600, 350, [2760, 4800], out)).toBe(3);
    expect(out.slice(0, 3)).toEqual([160, 190, 0]);
    allocateTiers(4700, 500, [2760, 4800], out);
    expect(out.slice(0, 3)).toEqual([0, 100, 400]);
    allocateTiers(0, 0, [240, 400], out);
    expect(out.slice(0, 3)).toEqual([0, 0, 0]);
  });
  it('tiers always sum to q (property)', () => {
    fc.assert(
      fc.property(fc.nat(10_000_000), fc.nat(10_000_000), fc.nat(5000), fc.nat(5000), (prev, q, a, b) => {
        const out: number[] = [];
        const n = allocateTiers(prev, q, [a + 1, a + b + 2], out);
        expect(out.slice(0, n).reduce((x, y) => x + y, 0)).toBe(q);
      }),
    );
  });
});

describe('powerFactorHundredths (§4.2)', () => {
  it('is exact at rounding boundaries (agrees with decimal.js on random P, Q)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.nat(1e9), (p, q) => {
        const ref = new Decimal(p).div(new Decimal(p).pow(2).plus(new Decimal(q).pow(2)).sqrt()).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
        expect(powerFactorHundredths(p, q)).toBe(ref.mul(100).toNumber());
      }),
      { numRuns: 20_000 },
    );
    // cosφ exactly 0.855 would round up: P = 855, Q = √(1000² − 855²) is irrational, so use a near miss
    expect(powerFactorHundredths(100000, 48432)).toBe(90);
  });
});

describe('calendar', () => {
  it('counts civil days', () => {
    expect(daysInclusive('2024-06-16', '2024-07-15')).toBe(30);
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(dateOf(dayNumber('2024-02-29'))).toBe('2024-02-29');
    expect(() => dayNumber('2024-02-30', 'usage.periodEnd')).toThrow(/usage.periodEnd/);
  });
});
