import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import {
  addDays, allocatePayment, balanceFen, checkCurrency, checkTimestamp, fen2, feeFromDate, lateFee, parsePaymentAmount,
  receivableBalances, RULES_1996, RULES_2024, ruleSetOn, signRequest, toFen, verifySignature, withMinimum, type LedgerEntry,
} from './index.js';
import { ValidationError } from '../errors.js';

describe('payments/late fee (domain-cn §5.2 worked examples)', () => {
  it('P-1 residential 300.00, due 2024-07-15, paid 2024-08-04 → 20 days → 6.00', () => {
    const r = lateFee(RULES_2024, { principalFen: 30000, customerClass: 'residential', period: '2024-06', fromDate: feeFromDate('2024-07-15', null, null), toDate: '2024-08-04' });
    expect(r.days).toBe(20);
    expect(fen2(r.feeFen)).toBe('6.00');
  });

  it('P-2 non-residential cross-year 10,000.00 (2024-11), due 2024-12-20, paid 2025-01-10 → 220 + 300 = 520.00', () => {
    const r = lateFee(RULES_2024, { principalFen: 1_000_000, customerClass: 'commercial', period: '2024-11', fromDate: '2024-12-21', toDate: '2025-01-10' });
    expect(r.daysCurrentYear).toBe(11);
    expect(r.daysCrossYear).toBe(10);
    expect(fen2(r.feeFen)).toBe('520.00');
  });

  it('P-3 residential 20.00 for 3 days: 1996 minimum → 1.00; 2024 → 0.06', () => {
    const i = { principalFen: 2000, customerClass: 'residential', period: '2024-01', fromDate: '2024-03-01', toDate: '2024-03-03' };
    expect(fen2(withMinimum(RULES_1996, 0, lateFee(RULES_1996, i).feeFen))).toBe('1.00');
    expect(fen2(withMinimum(RULES_2024, 0, lateFee(RULES_2024, i).feeFen))).toBe('0.06');
    // the minimum tops up the total, it does not add to an already charged fee
    expect(withMinimum(RULES_1996, 100, 6)).toBe(6);
    expect(withMinimum(RULES_1996, 40, 6)).toBe(60);
    expect(withMinimum(RULES_1996, 0, 0)).toBe(0);
  });

  it('no fee on or before the due date; waiver and earlier charges move the start', () => {
    expect(lateFee(RULES_2024, { principalFen: 30000, customerClass: 'residential', period: '2024-06', fromDate: '2024-07-16', toDate: '2024-07-15' }).feeFen).toBe(0);
    expect(feeFromDate('2024-07-15', '2024-07-20', null)).toBe('2024-07-21');
    expect(feeFromDate('2024-07-15', '2024-07-20', '2024-07-25')).toBe('2024-07-26');
  });

  it('picks the rule set in force on the first overdue day', () => {
    expect(ruleSetOn([RULES_1996, RULES_2024], '2024-05-31')?.code).toBe('GY1996');
    expect(ruleSetOn([RULES_1996, RULES_2024], '2024-06-01')?.code).toBe('GY2024');
    expect(ruleSetOn([RULES_2024], '2020-01-01')).toBeNull();
  });

  it('agrees with a decimal.js day-by-day reference on random cases', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 1e9 }), fc.boolean(), fc.integer({ min: 0, max: 800 }), fc.integer({ min: 0, max: 900 }), fc.integer({ min: 1, max: 12 }),
      (p, res, startOff, len, month) => {
        const period = `2024-${String(month).padStart(2, '0')}`;
        const from = addDays('2024-01-01', startOff);
        const to = addDays(from, len - 1);
        const got = lateFee(RULES_2024, { principalFen: p, customerClass: res ? 'residential' : 'commercial', period, fromDate: from, toDate: to });
        let acc = new Decimal(0);
        for (let d = 0; d < len; d++) {
          const day = addDays(from, d);
          const rate = res ? '0.001' : day.slice(0, 4) === '2024' ? '0.002' : '0.003';
          acc = acc.add(new Decimal(p).div(100).mul(rate));
        }
        expect(fen2(got.feeFen)).toBe(acc.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2));
      }), { numRuns: 300 });
  });
});

describe('payments/amount', () => {
  it('accepts CNY with up to 2 decimals', () => {
    expect(parsePaymentAmount('300')).toBe(30000);
    expect(parsePaymentAmount('300.5')).toBe(30050);
    expect(parsePaymentAmount(12.34)).toBe(1234);
    expect(parsePaymentAmount('10000000.00')).toBe(1_000_000_000);
    expect(checkCurrency(undefined)).toBe('CNY');
    expect(checkCurrency('CNY')).toBe('CNY');
  });
  it('refuses bad amounts naming the field and the reason', () => {
    const reason = (v: unknown) => {
      try {
        parsePaymentAmount(v, 'items.0.amount');
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        expect((e as ValidationError).details?.field).toBe('items.0.amount');
        return (e as ValidationError).details?.reason;
      }
      return 'accepted';
    };
    expect(reason('1.005')).toBe('AMOUNT_DECIMALS');
    expect(reason(1.005)).toBe('AMOUNT_DECIMALS');
    expect(reason('-5')).toBe('AMOUNT_NOT_POSITIVE');
    expect(reason('0.00')).toBe('AMOUNT_NOT_POSITIVE');
    expect(reason('10000000.01')).toBe('AMOUNT_TOO_LARGE');
    expect(reason('1e3')).toBe('AMOUNT_FORMAT');
    expect(reason('1,000')).toBe('AMOUNT_FORMAT');
    expect(reason(null)).toBe('AMOUNT_FORMAT');
    expect(reason(Infinity)).toBe('AMOUNT_FORMAT');
    expect(() => checkCurrency('USD')).toThrow(/currency/);
  });
  it('converts database numerics to fen', () => {
    expect(toFen('-0.05')).toBe(-5);
    expect(toFen('123.4')).toBe(12340);
    expect(toFen('7')).toBe(700);
  });
});

describe('payments/allocation', () => {
  it('oldest first, fee before principal by default; configurable', () => {
    const open = [
      { id: 2, dueDate: '2024-09-15', principalFen: 8000, feeFen: 0 },
      { id: 1, dueDate: '2024-08-15', principalFen: 10000, feeFen: 200 },
    ];
    expect(allocatePayment(15000, open)).toEqual({ allocations: [{ receivableId: 1, feeFen: 200, principalFen: 10000 }, { receivableId: 2, feeFen: 0, principalFen: 4800 }], remainderFen: 0 });
    expect(allocatePayment(100, open)).toEqual({ allocations: [{ receivableId: 1, feeFen: 100, principalFen: 0 }], remainderFen: 0 });
    expect(allocatePayment(100, open, 'principal_first')).toEqual({ allocations: [{ receivableId: 1, feeFen: 0, principalFen: 100 }], remainderFen: 0 });
    expect(allocatePayment(20000, open).remainderFen).toBe(1800);
  });

  const openArb = fc.array(fc.record({ id: fc.integer({ min: 1, max: 1e6 }), dueDate: fc.constantFrom('2024-01-10', '2024-02-10', '2024-03-10'), principalFen: fc.integer({ min: 0, max: 1e7 }), feeFen: fc.integer({ min: 0, max: 1e5 }) }), { maxLength: 8 })
    .map((xs) => xs.map((x, i) => ({ ...x, id: i + 1 })));

  it('property: never over-allocates; allocated + remainder = amount', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5e7 }), openArb, fc.constantFrom('fee_first' as const, 'principal_first' as const), (amt, open, order) => {
      const r = allocatePayment(amt, open, order);
      let sum = 0;
      for (const a of r.allocations) {
        const o = open.find((x) => x.id === a.receivableId)!;
        expect(a.feeFen).toBeLessThanOrEqual(o.feeFen);
        expect(a.principalFen).toBeLessThanOrEqual(o.principalFen);
        expect(a.feeFen).toBeGreaterThanOrEqual(0);
        expect(a.principalFen).toBeGreaterThanOrEqual(0);
        sum += a.feeFen + a.principalFen;
      }
      expect(sum + r.remainderFen).toBe(amt);
      expect(r.remainderFen).toBeGreaterThanOrEqual(0);
      const owed = open.reduce((s, o) => s + o.principalFen + o.feeFen, 0);
      expect(r.remainderFen).toBe(Math.max(0, amt - owed));
    }), { numRuns: 2000 });
  });

  it('property: sum of ledger entries = balance = what receivables still owe − credit', () => {
    fc.assert(fc.property(openArb, fc.array(fc.integer({ min: 1, max: 2e7 }), { maxLength: 6 }), (open, payments) => {
      const entries: LedgerEntry[] = [];
      for (const o of open) {
        if (o.principalFen > 0) entries.push({ kind: 'bill', amountFen: o.principalFen, receivableId: o.id, component: 'principal' });
        if (o.feeFen > 0) entries.push({ kind: 'late_fee', amountFen: o.feeFen, receivableId: o.id, component: 'fee' });
      }
      let credit = 0;
      for (const p of payments) {
        const bal = receivableBalances(entries);
        const state = open.map((o) => ({ id: o.id, dueDate: o.dueDate, principalFen: bal.get(o.id)?.principalFen ?? 0, feeFen: bal.get(o.id)?.feeFen ?? 0 }));
        const r = allocatePayment(p, state);
        for (const a of r.allocations) {
          if (a.feeFen) entries.push({ kind: 'payment', amountFen: -a.feeFen, receivableId: a.receivableId, component: 'fee' });
          if (a.principalFen) entries.push({ kind: 'payment', amountFen: -a.principalFen, receivableId: a.receivableId, component: 'principal' });
        }
        if (r.remainderFen) entries.push({ kind: 'payment', amountFen: -r.remainderFen, receivableId: null, component: null });
        credit += r.remainderFen;
      }
      const per = receivableBalances(entries);
      let owed = 0;
      for (const b of per.values()) {
        expect(b.principalFen).toBeGreaterThanOrEqual(0);
        expect(b.feeFen).toBeGreaterThanOrEqual(0);
        owed += b.principalFen + b.feeFen;
      }
      expect(balanceFen(entries)).toBe(owed - credit);
      const total = open.reduce((s, o) => s + o.principalFen + o.feeFen, 0) - payments.reduce((s, p) => s + p, 0);
      expect(balanceFen(entries)).toBe(total);
    }), { numRuns: 1000 });
  });
});

describe('payments/signature', () => {
  const args = ['POST', '/api/v1/channel/pay', '1800000000', 'nonce-1', '{"a":1}'] as const;
  it('verifies with the current or previous secret, refuses anything altered', () => {
    const sig = signRequest('old', ...args);
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(verifySignature(['new', 'old'], sig, ...args)).toBe(true);
    expect(verifySignature(['new'], sig, ...args)).toBe(false);
    expect(verifySignature(['old'], sig, 'POST', '/api/v1/channel/pay', '1800000000', 'nonce-1', '{"a":2}')).toBe(false);
    expect(verifySignature(['old'], sig, 'POST', '/api/v1/channel/pay', '1800000001', 'nonce-1', '{"a":1}')).toBe(false);
    expect(verifySignature(['old'], 'zz', ...args)).toBe(false);
    expect(verifySignature(['old'], sig.toUpperCase(), ...args)).toBe(true);
  });
  it('timestamps within ±300 s', () => {
    expect(checkTimestamp('1800000000', 1_800_000_299_000)).toBe('ok');
    expect(checkTimestamp('1800000000', 1_800_000_301_000)).toBe('stale');
    expect(checkTimestamp('1800000000', 1_799_999_699_000)).toBe('stale');
    expect(checkTimestamp('abc', 0)).toBe('malformed');
  });
});
