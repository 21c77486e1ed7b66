/**
 * The UI's display formatting (web/src/app/format.ts). Pure functions, no browser: kept with the
 * browser tests because web/ has no unit-test runner of its own. Money is formatted from the
 * API's decimal strings without float arithmetic.
 */
import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, formatMoney, formatQuantity } from '../../web/src/app/format.ts';

describe('web display formatting', () => {
  it('formats money as ¥1,234.56 from decimal strings', () => {
    expect(formatMoney('1234.56')).toBe('¥1,234.56');
    expect(formatMoney('1234.5')).toBe('¥1,234.50');
    expect(formatMoney('0')).toBe('¥0.00');
    expect(formatMoney('1234567890123.45')).toBe('¥1,234,567,890,123.45');
    expect(formatMoney('-12')).toBe('-¥12.00');
    expect(formatMoney(1234.56)).toBe('¥1,234.56');
    expect(formatMoney(null)).toBe('-');
    expect(formatMoney('')).toBe('-');
  });

  it('rounds extra decimals half up by string, never through floats', () => {
    expect(formatMoney('999.995')).toBe('¥1,000.00');
    expect(formatMoney('1.005')).toBe('¥1.01'); // 1.005 is 1.00499... as a float
    expect(formatMoney('2.674999')).toBe('¥2.67');
    expect(formatMoney('-0.005')).toBe('-¥0.01');
  });

  it('formats quantities and dates', () => {
    expect(formatQuantity('12345.67', 'kWh')).toBe('12,345.67 kWh');
    expect(formatQuantity(1000)).toBe('1,000');
    expect(formatDate('2026-03-01')).toBe('2026-03-01');
    expect(formatDate('2026-02-28T16:30:00.000Z')).toBe('2026-03-01'); // Asia/Shanghai
    expect(formatDateTime('2026-02-28T16:30:05.000Z')).toBe('2026-03-01 00:30:05');
    expect(formatDate(null)).toBe('-');
  });
});
