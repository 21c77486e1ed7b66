import { describe, expect, it } from 'vitest';
import { applyResult, dueMeters, nextDueAt, type ScheduleState } from './schedule.js';

const DAY = 86_400_000;
const H = 3_600_000;
const phase = H - 8 * H; // 01:00 Beijing time
const day0 = Date.parse('2026-11-27T01:00:00+08:00');

describe('per-meter schedule', () => {
  const fresh = (address: string): ScheduleState => ({ address, intervalMs: DAY, phaseMs: phase });

  it('a never-read meter is due at its slot start; after success, at the next slot', () => {
    const s = fresh('000000000001');
    expect(nextDueAt(s, day0 + 5 * H)).toBe(day0);
    const done = applyResult(s, { ok: true, reason: null }, day0 + 5 * H);
    expect(nextDueAt(done, day0 + 6 * H)).toBe(day0 + DAY);
    expect(dueMeters([done], day0 + 6 * H)).toEqual([]);
    expect(dueMeters([done], day0 + DAY)).toEqual([done]);
  });

  it('failures back off exponentially within the slot, capped', () => {
    let s = fresh('000000000002');
    const t = day0 + 2 * H;
    s = applyResult(s, { ok: false, reason: 'TIMEOUT' }, t);
    expect(nextDueAt(s, t)).toBe(t + 5 * 60_000);
    s = applyResult(s, { ok: false, reason: 'TIMEOUT' }, t + 5 * 60_000);
    expect(nextDueAt(s, t + 5 * 60_000)).toBe(t + 15 * 60_000);
    for (let i = 0; i < 10; i++) s = applyResult(s, { ok: false, reason: 'TIMEOUT' }, t + H);
    expect(nextDueAt(s, t + H)).toBe(t + 2 * H);
    expect(s.lastReason).toBe('TIMEOUT');
    // a failure from a previous slot does not delay the new slot
    expect(nextDueAt(s, day0 + DAY + 1)).toBe(day0 + DAY);
  });

  it('resumes after a restart: only the meters not yet read in this slot are due, most overdue first', () => {
    const a = applyResult(fresh('000000000001'), { ok: true, reason: null }, day0 + 10);
    const b = fresh('000000000002');
    const c = applyResult(fresh('000000000003'), { ok: false, reason: 'BAD_CHECKSUM' }, day0 + 20);
    const persisted = JSON.parse(JSON.stringify([c, b, a])) as ScheduleState[];
    expect(dueMeters(persisted, day0 + H).map((s) => s.address)).toEqual(['000000000002', '000000000003']);
    expect(dueMeters(persisted, day0 + H, { limit: 1 }).map((s) => s.address)).toEqual(['000000000002']);
  });
});
