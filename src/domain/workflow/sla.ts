/**
 * SLA clock (时限) for a stage: a limit in working (or calendar) days from the day the stage was
 * entered, stopped while the request waits for the customer (pauses, each with a reason),
 * with a warning `warnDays` before the limit and an alert after it. domain-cn §6.2.
 *
 * Day conventions: the day a stage is entered does not count; a pause from P to R stops the
 * clock for the days d with P < d <= R (work happened on P; R restarts the clock like a new
 * receipt). An open pause (no R) stops the clock from P on.
 *
 * Example: entered 2024-09-27 (Fri), limit 3 working days, no pause -> due 2024-10-08
 * (09-29 Sunday 调休 workday, 09-30, 10-08). Paused from 09-29 to 10-09: 09-29 still counts (1),
 * 09-30, 10-08 and 10-09 are paused, then 10-10 (2), 10-11 (3) -> due 2024-10-11.
 */
import type { WorkCalendar } from '../calendar/calendar.js';
import { addDays } from '../calendar/calendar.js';

export interface Pause {
  from: string;
  to: string | null;
  reason: string;
  note?: string | null;
}

export interface SlaLimit {
  days: number;
  unit?: 'working' | 'calendar';
}

export type SlaStatus = 'none' | 'ok' | 'warning' | 'overdue' | 'paused' | 'on_time' | 'late';

export interface SlaState {
  status: SlaStatus;
  limitDays: number | null;
  unit: 'working' | 'calendar';
  /** due day (null when no limit or the clock is stopped by an open pause) */
  dueOn: string | null;
  /** counted days used so far (up to asOf, or the completion day) */
  usedDays: number;
  /** limit - used (negative = overdue by that many) */
  remainingDays: number | null;
  pausedDays: number;
}

export function pausedOn(pauses: Pause[]): (d: string) => boolean {
  return (d) => pauses.some((p) => d > p.from && (p.to === null || d <= p.to));
}

function counts(cal: WorkCalendar, unit: 'working' | 'calendar', d: string) {
  return unit === 'calendar' || cal.isWorkingDay(d);
}

/** Counted days in (from, to], skipping paused days. */
export function usedDays(cal: WorkCalendar, unit: 'working' | 'calendar', from: string, to: string, pauses: Pause[]): { used: number; paused: number } {
  const isPaused = pausedOn(pauses);
  let used = 0;
  let paused = 0;
  for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) {
    if (!counts(cal, unit, d)) continue;
    if (isPaused(d)) paused++;
    else used++;
  }
  return { used, paused };
}

/** Due day of a limit entered on `startedOn`, extended by paused days; null while an open pause stops the clock. */
export function dueOn(cal: WorkCalendar, startedOn: string, limit: SlaLimit, pauses: Pause[]): string | null {
  if (pauses.some((p) => p.to === null)) return null;
  const unit = limit.unit ?? 'working';
  const isPaused = pausedOn(pauses);
  let d = startedOn;
  let left = limit.days;
  let guard = 0;
  while (left > 0) {
    d = addDays(d, 1);
    if (counts(cal, unit, d) && !isPaused(d)) left--;
    if (++guard > 5000) return null;
  }
  return d;
}

/**
 * The SLA state of one stage at `asOf` (or at `completedOn` once done).
 * warning: 0 <= remaining <= warnDays; overdue: remaining < 0; on_time/late once completed.
 */
export function slaState(
  cal: WorkCalendar,
  p: { startedOn: string; limit: SlaLimit | null; pauses: Pause[]; asOf: string; completedOn?: string | null; warnDays: number },
): SlaState {
  const unit = p.limit?.unit ?? 'working';
  const end = p.completedOn ?? p.asOf;
  const { used, paused } = usedDays(cal, unit, p.startedOn, end, p.pauses);
  if (!p.limit) return { status: 'none', limitDays: null, unit, dueOn: null, usedDays: used, remainingDays: null, pausedDays: paused };
  const remaining = p.limit.days - used;
  const due = dueOn(cal, p.startedOn, p.limit, p.pauses);
  let status: SlaStatus;
  if (p.completedOn) status = remaining >= 0 ? 'on_time' : 'late';
  else if (remaining < 0) status = 'overdue';
  else if (p.pauses.some((x) => x.to === null)) status = 'paused';
  else if (remaining <= p.warnDays) status = 'warning';
  else status = 'ok';
  return { status, limitDays: p.limit.days, unit, dueOn: due, usedDays: used, remainingDays: remaining, pausedDays: paused };
}
