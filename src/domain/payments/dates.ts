/** Calendar-day arithmetic on 'YYYY-MM-DD' strings (no time zone involved). Pure. */
import { ValidationError } from '../errors.js';

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 of a 'YYYY-MM-DD' date. Example: `dayNumber('1970-01-02') === 1`. */
export function dayNumber(d: string): number {
  const m = DATE_RE.exec(d);
  if (!m) throw new RangeError(`not a date: ${d}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / DAY_MS;
}

export function fromDayNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

/** d + n days. Example: `addDays('2024-12-31', 1) === '2025-01-01'`. */
export function addDays(d: string, n: number): string {
  return fromDayNumber(dayNumber(d) + n);
}

/** The later of two dates (null ignored). */
export function maxDate(a: string, b: string | null | undefined): string {
  return b && b > a ? b : a;
}

/** Check a 'YYYY-MM-DD' input naming the field. */
export function checkDate(v: unknown, field: string): string {
  if (typeof v !== 'string' || !DATE_RE.test(v)) throw new ValidationError(field, 'must be a date YYYY-MM-DD');
  const d = fromDayNumber(dayNumber(v));
  if (d !== v) throw new ValidationError(field, `not a calendar date: ${v}`);
  return v;
}

/** The calendar date in Asia/Shanghai (UTC+8, no DST) of an instant. */
export function shanghaiDate(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}
