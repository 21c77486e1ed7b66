import { describe, expect, it } from 'vitest';
import { checkReading, checkRegisterSum, consumption, DEFAULT_RULE_SET, estimateReading, exchangeConsumption, parseReadingValue, ruleSet } from './vee.js';

const meter = { digits: 6, decimals: 2, multiplier: '1' };
const now = new Date('2026-11-27T12:00:00Z');
const d = (s: string) => new Date(s);

describe('consumption (§5.3)', () => {
  it('CT 200/5, PT 10000/100 -> multiplier 4000; 12345.67 -> 12845.67 = 2,000,000 kWh', () => {
    const m = (200 / 5) * (10000 / 100);
    expect(m).toBe(4000);
    expect(consumption('12345.67', '12845.67', String(m), 6)).toEqual({ advance: '500.0000', kwh: '2000000.0000', rollover: false });
  });
  it('rollover 999,950.00 -> 50.00 = 100 kWh with 6 digits', () => {
    expect(consumption('999950.00', '50.00', '1', 6)).toEqual({ advance: '100.0000', kwh: '100.0000', rollover: true });
    expect(consumption('999950.00', '50.00', '1', 6, false)).toBeNull();
  });
  it('exact decimals, half-up rounding of the product', () => {
    expect(consumption('0.01', '0.02', '0.5', 6)!.kwh).toBe('0.0050');
    expect(consumption('1.0001', '1.0002', '0.5', 6)!.kwh).toBe('0.0001');
  });
  it('meter exchange: old final - previous + new current - new initial', () => {
    const r = exchangeConsumption({ previous: '1000.00', final: '1100.00', multiplier: '1', digits: 6 }, { initial: '0.00', current: '50.00', multiplier: '1', digits: 6 });
    expect(r).toEqual({ kwh: '150.0000', oldKwh: '100.0000', newKwh: '50.0000' });
    const r2 = exchangeConsumption({ previous: '10.00', final: '12.00', multiplier: '4000', digits: 6 }, { initial: '5.00', current: '6.00', multiplier: '80', digits: 6 });
    expect(r2.kwh).toBe('8080.0000');
  });
});

describe('value checks', () => {
  it('refuses non-numeric and too many digits', () => {
    expect(parseReadingValue('abc', 6, 2)).toMatchObject({ ok: false, result: { rule: 'NOT_NUMERIC', severity: 'error' } });
    expect(parseReadingValue('-1', 6, 2)).toMatchObject({ ok: false, result: { rule: 'NOT_NUMERIC' } });
    expect(parseReadingValue('1234567.00', 6, 2)).toMatchObject({ ok: false, result: { rule: 'TOO_MANY_DIGITS' } });
    expect(parseReadingValue('12.345', 6, 2)).toMatchObject({ ok: false, result: { rule: 'TOO_MANY_DIGITS' } });
    expect(parseReadingValue('012.340', 6, 2)).toEqual({ ok: true, value: '12.3400' });
    expect(parseReadingValue(99.5, 6, 2)).toEqual({ ok: true, value: '99.5000' });
  });
});

describe('rules', () => {
  const prev = { value: '1000.00', readAt: d('2026-10-27T02:00:00Z') };
  const hist = [{ kwh: '300', days: 30 }, { kwh: '310', days: 31 }];
  const base = { register: 'TOTAL', readAt: d('2026-11-26T02:00:00Z'), now, meter, previous: prev, history: hist };

  it('accepts a normal reading with its consumption', () => {
    const r = checkReading({ ...base, value: '1300.00' });
    expect(r.status).toBe('accepted');
    expect(r.kwh).toBe('300.0000');
    expect(r.results).toEqual([]);
    expect(r.ruleSetVersion).toBe(DEFAULT_RULE_SET.version);
  });
  it('flags a spike above +50% and a drop below -50%, threshold configurable', () => {
    const s = checkReading({ ...base, value: '1600.00' });
    expect(s.status).toBe('pending_review');
    expect(s.results[0]).toMatchObject({ rule: 'SPIKE', severity: 'warning' });
    expect(s.results[0].zh).toMatch(/突增/);
    expect(checkReading({ ...base, value: '1100.00' }).results[0].rule).toBe('DROP');
    expect(checkReading({ ...base, value: '1600.00' }, ruleSet({ spikeRatio: 1.5 })).status).toBe('accepted');
  });
  it('zero consumption with load', () => {
    expect(checkReading({ ...base, value: '1000.00' }).results[0].rule).toBe('ZERO_WITH_LOAD');
  });
  it('backwards register: small wrap near the top is a rollover, otherwise flagged', () => {
    const roll = checkReading({ ...base, previous: { ...prev, value: '999950.00' }, value: '250.00', history: [] });
    expect(roll.status).toBe('accepted');
    expect(roll.results[0].rule).toBe('ROLLOVER');
    expect(roll.kwh).toBe('300.0000');
    const back = checkReading({ ...base, value: '900.00' });
    expect(back.status).toBe('pending_review');
    expect(back.results[0]).toMatchObject({ rule: 'REGISTER_BACKWARDS', severity: 'warning' });
    expect(back.kwh).toBeNull();
  });
  it('exchange consumption is added', () => {
    const r = checkReading({ ...base, previous: { value: '0.00', readAt: d('2026-11-10T00:00:00Z') }, value: '150.00', exchangeKwh: '150', history: [] });
    expect(r.kwh).toBe('300.0000');
    expect(r.results[0].rule).toBe('METER_EXCHANGE');
  });
  it('future timestamp and missing value are errors; exception code goes to review', () => {
    expect(checkReading({ ...base, readAt: d('2026-11-28T00:00:00Z'), value: '1300' }).results[0].rule).toBe('FUTURE_TIMESTAMP');
    expect(checkReading({ ...base, value: null }).status).toBe('rejected');
    const locked = checkReading({ ...base, value: null, exceptionCode: 'DOOR_LOCKED' });
    expect(locked.status).toBe('pending_review');
    expect(locked.results[0].zh).toMatch(/门闭/);
    expect(checkReading({ ...base, value: '1300', exceptionCode: 'NOPE' }).status).toBe('rejected');
    expect(checkReading({ ...base, value: '1234567' }).results[0].rule).toBe('TOO_MANY_DIGITS');
  });
  it('demand above contract', () => {
    const r = checkReading({ register: 'MAX_DEMAND', value: '0.1500', readAt: base.readAt, now, meter: { digits: 6, decimals: 4, multiplier: '4000' }, contractDemandKw: '500' });
    expect(r.results[0]).toMatchObject({ rule: 'DEMAND_ABOVE_CONTRACT' });
    expect(checkReading({ register: 'MAX_DEMAND', value: '0.1000', readAt: base.readAt, now, meter: { digits: 6, decimals: 4, multiplier: '4000' }, contractDemandKw: '500' }).status).toBe('accepted');
  });
  it('register sum mismatch with tolerance', () => {
    expect(checkRegisterSum({ TOTAL: '300', SHARP: '20', PEAK: '100', FLAT: '100', VALLEY: '80' })).toBeNull();
    expect(checkRegisterSum({ TOTAL: '300', PEAK: '100', VALLEY: '200.05' })).toBeNull();
    expect(checkRegisterSum({ TOTAL: '300', PEAK: '100', VALLEY: '150' })?.rule).toBe('REGISTER_SUM_MISMATCH');
  });
});

describe('estimation', () => {
  it('previous period consumption, wraps at 10^digits', () => {
    const e = estimateReading({ previous: { value: '1000.00', readAt: d('2026-10-27T00:00:00Z') }, readAt: d('2026-11-27T00:00:00Z'), basis: { advance: '300.00', days: 31 }, digits: 6, decimals: 2, multiplier: '2' });
    expect(e).toMatchObject({ value: '1300.0000', advance: '300.0000', kwh: '600.0000' });
    expect(estimateReading({ previous: { value: '999900', readAt: d('2026-10-27T00:00:00Z') }, readAt: d('2026-11-27T00:00:00Z'), basis: { advance: '300', days: 30 }, digits: 6, decimals: 2, multiplier: '1' }).value).toBe('200.0000');
    expect(estimateReading({ previous: { value: '10', readAt: d('2026-10-27T00:00:00Z') }, readAt: d('2026-11-27T00:00:00Z'), basis: null, digits: 6, decimals: 2, multiplier: '1' }).value).toBe('10.0000');
  });
});
