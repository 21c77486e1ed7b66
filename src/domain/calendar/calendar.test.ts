import { describe, expect, it } from 'vitest';
import { WorkCalendar, addDays, checkDay, shippedEntries, unpublishedYears, weekday } from './calendar.js';

const cal = WorkCalendar.shipped();

describe('shipped State Council calendar', () => {
  it('every 调休 workday is a weekend day and every entry is a real date', () => {
    for (const e of shippedEntries()) {
      expect(checkDay('day', e.day)).toBe(e.day);
      if (e.kind === 'workday') expect([0, 6], e.day).toContain(weekday(e.day));
      expect(e.source).toMatch(/国务院办公厅/);
    }
  });
  it('covers 2024-2026 and says 2027 is not published', () => {
    expect(cal.coveredYears).toEqual([2024, 2025, 2026]);
    expect(Object.keys(unpublishedYears())).toContain('2027');
    expect(cal.covers('2027-03-01')).toBe(false);
  });
  it('holiday counts per notice', () => {
    const count = (y: string, name: string) => shippedEntries().filter((e) => e.day.startsWith(y) && e.kind === 'holiday' && e.name === name).length;
    expect(count('2024', '春节')).toBe(8);
    expect(count('2025', '国庆节、中秋节')).toBe(8);
    expect(count('2026', '春节')).toBe(9);
  });
});

describe('working days (hand-checked)', () => {
  it('调休 Sunday works, holidays rest', () => {
    expect(cal.isWorkingDay('2024-09-29')).toBe(true); // Sunday, 国庆调休
    expect(cal.isWorkingDay('2024-10-07')).toBe(false); // Monday, 国庆
    expect(cal.isWorkingDay('2024-10-12')).toBe(true); // Saturday, 国庆调休
    expect(cal.isWorkingDay('2024-10-13')).toBe(false); // ordinary Sunday
    expect(cal.isWorkingDay('2026-02-14')).toBe(true); // Saturday, 春节调休
    expect(cal.isWorkingDay('2026-02-23')).toBe(false); // Monday, 春节
  });
  it('国庆 2024: received Friday 09-27, 3 working days -> 10-08', () => {
    // 09-28 Sat rest; 09-29 Sun 调休 (1); 09-30 Mon (2); 10-01..07 国庆; 10-08 Tue (3)
    expect(cal.addWorkingDays('2024-09-27', 3)).toBe('2024-10-08');
    // 10-08 (1), 10-09 (2), 10-10 (3), 10-11 (4), 10-12 Sat 调休 (5)
    expect(cal.addWorkingDays('2024-09-30', 5)).toBe('2024-10-12');
  });
  it('春节 2024: 02-08 + 2 -> 02-18 (Sunday 调休)', () => {
    // 02-09 Fri (1); 02-10..17 春节; 02-18 Sun 调休 (2)
    expect(cal.addWorkingDays('2024-02-08', 2)).toBe('2024-02-18');
  });
  it('春节 2026: 02-12 + 3 -> 02-24', () => {
    // 02-13 Fri (1); 02-14 Sat 调休 (2); 02-15..23 春节; 02-24 Tue (3)
    expect(cal.addWorkingDays('2026-02-12', 3)).toBe('2026-02-24');
  });
  it('国庆 2025 (8 days with 中秋): 09-26 + 3 -> 10-09', () => {
    // 09-27 Sat rest; 09-28 Sun 调休 (1); 09-29 Mon (2); 09-30 Tue (3)
    expect(cal.addWorkingDays('2025-09-26', 3)).toBe('2025-09-30');
    // 10-01..08 holidays; 10-09 Thu (4); 10-10 Fri (5); 10-11 Sat 调休 (6)
    expect(cal.addWorkingDays('2025-09-26', 6)).toBe('2025-10-11');
  });
  it('workingDaysBetween is the inverse of addWorkingDays', () => {
    for (const [d, n] of [['2024-09-27', 3], ['2024-02-08', 2], ['2026-02-12', 3], ['2025-12-30', 10]] as const) {
      expect(cal.workingDaysBetween(d, cal.addWorkingDays(d, n))).toBe(n);
    }
    expect(cal.workingDaysBetween('2024-10-01', '2024-10-07')).toBe(0);
    expect(cal.workingDaysBetween('2024-10-08', '2024-10-01')).toBe(0);
  });
  it('skip predicate (paused days) pushes the due date', () => {
    // pause covers 10-08 and 10-09: 3 working days from 09-27 land on 10-10
    expect(cal.addWorkingDays('2024-09-27', 3, (d) => d === '2024-10-08' || d === '2024-10-09')).toBe('2024-10-10');
  });
  it('an edited calendar (new year entered by admin) is used', () => {
    const c = new WorkCalendar([...shippedEntries(), { day: '2027-01-01', kind: 'holiday', name: '元旦', source: 'admin' }]);
    expect(c.isWorkingDay('2027-01-01')).toBe(false);
    expect(cal.isWorkingDay('2027-01-01')).toBe(true); // Friday, not shipped
  });
  it('bad dates name the field', () => {
    expect(() => checkDay('day', '2024-02-30')).toThrow(/day/);
    expect(addDays('2024-02-28', 2)).toBe('2024-03-01');
  });
});
