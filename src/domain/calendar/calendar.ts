/**
 * Working-day calendar (工作日历) with the State Council holiday arrangements (放假调休),
 * including 调休 working weekends. Pure: the entries are data (holidays-cn.json, or rows of the
 * holiday_calendar table); no clock, no I/O. Dates are 'YYYY-MM-DD' calendar days
 * (Asia/Shanghai). domain-cn §6.2: "SLA clock counts working days using the State Council
 * holiday calendar (调休 workdays count)".
 *
 * Conventions (documented in docs/service-requests.md):
 * - a day is a working day when it is listed as 'workday' (调休), or it is Monday-Friday and not
 *   listed as 'holiday';
 * - `addWorkingDays(d, n)` does not count d itself: a request received on d with a limit of n
 *   working days is due at the end of the n-th working day after d.
 *   Example: addWorkingDays('2024-09-27', 3) === '2024-10-08' (9-29 Sunday is a 调休 workday,
 *   9-30 Monday, 10-01..07 国庆 holidays, 10-08 Tuesday).
 */
import data from './holidays-cn.json' with { type: 'json' };
import { ValidationError } from '../errors.js';

export type DayKind = 'holiday' | 'workday';

export interface CalendarEntry {
  day: string;
  kind: DayKind;
  name: string;
  source: string;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Parse 'YYYY-MM-DD' strictly; throws ValidationError naming `field`. */
export function checkDay(field: string, v: unknown): string {
  if (typeof v !== 'string' || !DAY_RE.test(v)) throw new ValidationError(field, 'must be a date YYYY-MM-DD');
  const t = Date.parse(v + 'T00:00:00Z');
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== v) throw new ValidationError(field, 'is not a calendar date');
  return v;
}

function toUtc(day: string): number {
  return Date.parse(day + 'T00:00:00Z');
}

/** day + n calendar days. */
export function addDays(day: string, n: number): string {
  return new Date(toUtc(day) + n * 86_400_000).toISOString().slice(0, 10);
}

/** Calendar days from a to b (b - a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((toUtc(b) - toUtc(a)) / 86_400_000);
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: string): number {
  return new Date(toUtc(day)).getUTCDay();
}

/** The shipped entries from holidays-cn.json (2024-2026; 2027 not yet published, see the file). */
export function shippedEntries(): CalendarEntry[] {
  const out: CalendarEntry[] = [];
  const years = (data as { years: Record<string, { source: string; holidays: Array<{ name: string; days: string[] }>; workdays: Array<{ name: string; days: string[] }> }> }).years;
  for (const y of Object.keys(years).sort()) {
    const yr = years[y];
    for (const h of yr.holidays) for (const d of h.days) out.push({ day: d, kind: 'holiday', name: h.name, source: yr.source });
    for (const w of yr.workdays) for (const d of w.days) out.push({ day: d, kind: 'workday', name: w.name, source: yr.source });
  }
  return out.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

/** Years for which the shipped file has no arrangement yet, with the note. */
export function unpublishedYears(): Record<string, string> {
  return { ...((data as { notPublished?: Record<string, string> }).notPublished ?? {}) };
}

export class WorkCalendar {
  private readonly kinds = new Map<string, DayKind>();
  private readonly names = new Map<string, string>();
  /** years with at least one entry */
  readonly coveredYears: number[];

  constructor(entries: Iterable<CalendarEntry>) {
    const years = new Set<number>();
    for (const e of entries) {
      this.kinds.set(e.day, e.kind);
      this.names.set(e.day, e.name);
      years.add(Number(e.day.slice(0, 4)));
    }
    this.coveredYears = [...years].sort();
  }

  /** The shipped calendar (holidays-cn.json). */
  static shipped(): WorkCalendar {
    return new WorkCalendar(shippedEntries());
  }

  isWorkingDay(day: string): boolean {
    const k = this.kinds.get(day);
    if (k === 'workday') return true;
    if (k === 'holiday') return false;
    const w = weekday(day);
    return w !== 0 && w !== 6;
  }

  /** The holiday / 调休 name of a day, if listed. */
  nameOf(day: string): string | undefined {
    return this.names.get(day);
  }

  /** True when the calendar holds the State Council arrangement for this day's year. */
  covers(day: string): boolean {
    return this.coveredYears.includes(Number(day.slice(0, 4)));
  }

  /**
   * The n-th working day after `day` (day itself not counted); n = 0 returns day.
   * Example: addWorkingDays('2024-02-08', 2) === '2024-02-19' (02-09 Friday, 02-10..17 春节,
   * 02-18 Sunday 调休 workday).
   */
  addWorkingDays(day: string, n: number, skip?: (d: string) => boolean): string {
    if (!Number.isInteger(n) || n < 0) throw new ValidationError('workingDays', 'must be a non-negative integer');
    let d = day;
    let left = n;
    let guard = 0;
    while (left > 0) {
      d = addDays(d, 1);
      if (this.isWorkingDay(d) && !(skip && skip(d))) left--;
      if (++guard > 5000) throw new ValidationError('workingDays', 'too far in the future');
    }
    return d;
  }

  /** Working days d with from < d <= to (0 when to <= from). */
  workingDaysBetween(from: string, to: string, skip?: (d: string) => boolean): number {
    let n = 0;
    for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (this.isWorkingDay(d) && !(skip && skip(d))) n++;
    return n;
  }
}
