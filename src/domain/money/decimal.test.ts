import { describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import {
  amountFen, divRoundHalfUp, formatMoney, formatQty, formatScaled, mulDivRound, mulRound, numberToPlain,
  parseMoney, parsePrice, parseQty, parseScaled, rescale,
} from './decimal.js';
import { ValidationError } from '../errors.js';

describe('money/decimal', () => {
  it('parses decimal strings at a scale', () => {
    expect(parseScaled('0.538000', 6)).toBe(538000);
    expect(parseMoney('113.60')).toBe(11360);
    expect(parsePrice('0.4883')).toBe(488300);
    expect(parseQty('350')).toBe(35000);
    expect(parseScaled('-1.5', 2)).toBe(-150);
    expect(parseScaled('0.0000005', 6)).toBe(1); // extra digits round half-up
    expect(parseScaled('0.0000004', 6)).toBe(0);
    expect(parseScaled(1e-7, 7)).toBe(1);
    expect(() => parseScaled('1,5', 2, 'usage.kwh')).toThrow(ValidationError);
    expect(() => parseScaled('abc', 2, 'usage.kwh')).toThrow(/usage.kwh/);
  });

  it('formats back to strings', () => {
    expect(formatMoney(16630)).toBe('166.30');
    expect(formatMoney(-5)).toBe('-0.05');
    expect(formatScaled(1247400, 6)).toBe('1.247400');
    expect(formatQty(35000)).toBe('350');
    expect(formatQty(12345)).toBe('123.45');
    expect(numberToPlain(1.5e21)).toBe('1500000000000000000000');
  });

  it('rounds half up (away from zero) in one place', () => {
    expect(divRoundHalfUp(11719200, 100000)).toBe(117);
    expect(divRoundHalfUp(15, 10)).toBe(2);
    expect(divRoundHalfUp(14, 10)).toBe(1);
    expect(divRoundHalfUp(-15, 10)).toBe(-2);
    expect(divRoundHalfUp(-14, 10)).toBe(-1);
    expect(rescale(1247400, 6, 2)).toBe(125);
  });

  it('multiplies quantity × price to 0.01 元 (domain-cn §0.3 examples)', () => {
    expect(amountFen(20000, 568000)).toBe(11360); // 200 × 0.568
    expect(amountFen(24000, 488300)).toBe(11719); // 240 × 0.4883 = 117.192
    expect(amountFen(16000, 538300)).toBe(8613); // 160 × 0.5383 = 86.128
    expect(mulRound(2000000, 2, 1247400, 6, 2)).toBe(2494800);
    expect(mulDivRound(2300000, 20, 30)).toBe(1533333);
  });

  it('stays exact beyond 2^53 (BigInt path) — agrees with decimal.js', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 13n), max: 10n ** 13n }), fc.integer({ min: -99_999_999, max: 99_999_999 }), (q, p) => {
        const qty = Number(q);
        const got = amountFen(qty, p);
        const ref = new Decimal(qty.toString()).div(100).mul(new Decimal(p).div(1e6)).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
        expect(formatMoney(got)).toBe(ref.toFixed(2));
      }),
      { numRuns: 5000 },
    );
  });
});
