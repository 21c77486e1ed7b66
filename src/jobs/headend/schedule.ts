/**
 * Per-meter polling schedule (pure): which meters are due now. A meter is read once per slot
 * (e.g. daily, slots aligned to `phaseMs` after midnight UTC+8 – pass what the meter type says);
 * after a failure it is retried within the same slot with exponential backoff. The state is
 * plain data, so a job that stores it resumes after a restart exactly where it stopped: the
 * meters already read in this slot are not due, the others are.
 *
 * Example: intervalMs = 86_400_000, phaseMs = 3_600_000 - 8 * 3_600_000 (01:00 Beijing time).
 */
import type { PollResult } from './poller.js';

export interface ScheduleState {
  address: string;
  /** slot length, ms (15 min, 1 h, 1 day ...) */
  intervalMs: number;
  /** slot start offset from the Unix epoch, ms (default 0) */
  phaseMs?: number;
  lastAttemptAt?: number;
  lastSuccessAt?: number;
  consecutiveFailures?: number;
  lastReason?: string | null;
}

export interface ScheduleOptions {
  /** first retry after a failure (default 5 min), doubled per failure */
  retryBaseMs?: number;
  /** longest retry wait (default 1 h) */
  retryMaxMs?: number;
}

/** start of the slot containing `t` */
export function slotStart(s: ScheduleState, t: number): number {
  const phase = s.phaseMs ?? 0;
  return Math.floor((t - phase) / s.intervalMs) * s.intervalMs + phase;
}

/** When this meter should next be polled (may be in the past = due now). */
export function nextDueAt(s: ScheduleState, now: number, o: ScheduleOptions = {}): number {
  const slot = slotStart(s, now);
  if (s.lastSuccessAt !== undefined && s.lastSuccessAt >= slot) return slot + s.intervalMs;
  const failures = s.consecutiveFailures ?? 0;
  if (failures > 0 && s.lastAttemptAt !== undefined && s.lastAttemptAt >= slot) {
    const wait = Math.min(o.retryMaxMs ?? 3_600_000, (o.retryBaseMs ?? 300_000) * 2 ** (failures - 1));
    return Math.min(s.lastAttemptAt + wait, slot + s.intervalMs);
  }
  return slot;
}

/** Meters due at `now`, most overdue first, at most `limit`. */
export function dueMeters<T extends ScheduleState>(states: T[], now: number, o: ScheduleOptions & { limit?: number } = {}): T[] {
  return states
    .map((s) => ({ s, at: nextDueAt(s, now, o) }))
    .filter((x) => x.at <= now)
    .sort((a, b) => a.at - b.at || (a.s.address < b.s.address ? -1 : 1))
    .slice(0, o.limit ?? Infinity)
    .map((x) => x.s);
}

/** New state after a poll result (pure). */
export function applyResult<T extends ScheduleState>(s: T, r: Pick<PollResult, 'ok' | 'reason'>, now: number): T {
  return {
    ...s,
    lastAttemptAt: now,
    lastSuccessAt: r.ok ? now : s.lastSuccessAt,
    consecutiveFailures: r.ok ? 0 : (s.consecutiveFailures ?? 0) + 1,
    lastReason: r.ok ? null : r.reason,
  };
}
