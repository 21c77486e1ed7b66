/**
 * Calendar helpers on 'YYYY-MM-DD' strings (Asia/Shanghai civil dates; no time zone maths needed
 * because dates are civil dates and China has no DST — domain-cn §0.6).
 */
import { ValidationError } from '../errors.js';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Day number (days since 1970-01-01) of a civil date. Example: `dayNumber("1970-01-02") === 1`. */
export function dayNumber(date: string, field = 'date'): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new ValidationError(field, `must be YYYY-MM-DD, got "${date}"`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) throw new ValidationError(field, `not a calendar date: "${date}"`);
  return Math.round(Date.UTC(y, mo - 1, d) / 86_400_000);
}

/** Civil date of a day number. Example: `dateOf(1) === "1970-01-02"`. */
export function dateOf(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** Days in a month. Example: `daysInMonth(2024, 2) === 29`. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Calendar days of [start, end] inclusive. Example: `daysInclusive("2024-06-16","2024-07-15") === 30`. */
export function daysInclusive(start: string, end: string): number {
  return dayNumber(end) - dayNumber(start) + 1;
}
