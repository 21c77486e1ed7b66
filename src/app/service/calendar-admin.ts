/**
 * Holiday calendar administration (节假日日历, issue 7 UI): a year's view with its provisional
 * flag, and the import of a whole year (the State Council notice as JSON) that replaces the
 * year's entries in one transaction, audited. Single days are still entered / removed with
 * upsertHolidays / deleteHoliday (support.ts). docs/service-requests.md "Administration".
 *
 * Provisional years: a year whose notice is not published yet is stored with a source text
 * starting with `provisional:` (e.g. 2027, migration 20261128T0410_holidays_2027.sql). The
 * calendar page shows a warning for such a year until the published notice is imported.
 */
import '../../db/schema-service.js';
import type { Db } from '../../db/database.js';
import { checkDay, unpublishedYears, weekday } from '../../domain/calendar/calendar.js';
import { ValidationError } from '../../domain/errors.js';
import { inTx, requirePermission, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { ADMIN_PERMISSION, listHolidays } from './support.js';

export const PROVISIONAL_PREFIX = 'provisional:';

export function isProvisionalSource(source: string | null | undefined): boolean {
  return !!source && source.trim().toLowerCase().startsWith(PROVISIONAL_PREFIX);
}

/** Years (of all stored rows) that hold provisional entries. */
export async function provisionalYears(db: Db): Promise<number[]> {
  const rows = await db.kysely.selectFrom('holiday_calendar').select(['day', 'source']).where('source', 'like', 'provisional:%').execute();
  return [...new Set(rows.map((r) => Number(String(r.day).slice(0, 4))))].sort();
}

/** The calendar (optionally one year) with the provisional years and the not-published notes. */
export async function calendarView(db: Db, year?: number) {
  const [base, prov] = await Promise.all([listHolidays(db, year), provisionalYears(db)]);
  return {
    ...base,
    items: base.items.map((i) => ({ ...i, provisional: isProvisionalSource(i.source) })),
    provisionalYears: prov,
    notPublished: unpublishedYears(),
  };
}

export interface YearImport {
  year: unknown;
  /** the notice, e.g. 国务院办公厅关于2028年部分节假日安排的通知 (…); applies to every day */
  source?: unknown;
  /** store as provisional (source prefixed with 'provisional:') */
  provisional?: unknown;
  /** holidays-cn.json format: [{ name, days: [...] }] */
  holidays?: unknown;
  workdays?: unknown;
}

interface Day {
  day: string;
  kind: 'holiday' | 'workday';
  name: string;
  source: string;
}

/**
 * Replace all entries of one year with the imported notice (holidays-cn.json year format:
 * `{ year, source, holidays: [{ name, days }], workdays: [{ name, days }] }`). Every day must be
 * in the year, listed once; a 调休 workday must be a Saturday or Sunday. Errors name the field
 * (e.g. `holidays.1.days.2`); nothing is written unless all of it is valid. Audited with the
 * year's entries before and after.
 */
export async function importYear(db: Db, actor: Actor, input: YearImport) {
  requirePermission(actor, ADMIN_PERMISSION);
  if (!input || typeof input !== 'object') throw new ValidationError('body', 'must be an object');
  const year = input.year;
  if (typeof year !== 'number' || !Number.isInteger(year) || year < 2000 || year > 2100) throw new ValidationError('year', 'must be a year 2000-2100');
  if (typeof input.source !== 'string' || !input.source.trim()) throw new ValidationError('source', 'required (the notice, e.g. 国务院办公厅关于2028年部分节假日安排的通知)');
  if (input.provisional !== undefined && typeof input.provisional !== 'boolean') throw new ValidationError('provisional', 'must be true or false');
  let source = input.source.trim().slice(0, 500);
  if (input.provisional === true && !isProvisionalSource(source)) source = `${PROVISIONAL_PREFIX} ${source}`;
  if (input.provisional === false && isProvisionalSource(source)) throw new ValidationError('source', "starts with 'provisional:' but provisional is false");
  const out: Day[] = [];
  const seen = new Map<string, string>();
  for (const kind of ['holidays', 'workdays'] as const) {
    const groups = input[kind] ?? [];
    if (!Array.isArray(groups)) throw new ValidationError(kind, 'must be a list of { name, days }');
    groups.forEach((g: unknown, gi: number) => {
      const grp = g as { name?: unknown; days?: unknown };
      const f = `${kind}.${gi}`;
      if (!grp || typeof grp !== 'object') throw new ValidationError(f, 'must be { name, days }');
      if (typeof grp.name !== 'string' || !grp.name.trim()) throw new ValidationError(`${f}.name`, 'required');
      if (!Array.isArray(grp.days) || grp.days.length === 0) throw new ValidationError(`${f}.days`, 'at least one day');
      grp.days.forEach((d: unknown, di: number) => {
        const field = `${f}.days.${di}`;
        const day = checkDay(field, d);
        if (!day.startsWith(`${year}-`)) throw new ValidationError(field, `${day} is not in ${year}`);
        if (seen.has(day)) throw new ValidationError(field, `${day} is listed twice (also ${seen.get(day)})`);
        seen.set(day, field);
        const dow = weekday(day);
        if (kind === 'workdays' && dow !== 0 && dow !== 6) throw new ValidationError(field, `${day} is a weekday; a 调休 workday is a Saturday or Sunday`);
        out.push({ day, kind: kind === 'holidays' ? 'holiday' : 'workday', name: (grp.name as string).trim().slice(0, 100), source });
      });
    });
  }
  if (!out.some((d) => d.kind === 'holiday')) throw new ValidationError('holidays', 'at least one holiday');
  out.sort((a, b) => (a.day < b.day ? -1 : 1));
  return inTx(db, async (trx) => {
    const before = await trx.selectFrom('holiday_calendar').select(['day', 'kind', 'name', 'source']).where('day', '>=', `${year}-01-01`).where('day', '<=', `${year}-12-31`).orderBy('day').execute();
    await trx.deleteFrom('holiday_calendar').where('day', '>=', `${year}-01-01`).where('day', '<=', `${year}-12-31`).execute();
    await trx.insertInto('holiday_calendar').values(out.map((d) => ({ ...d, updated_by: actor.userId }))).execute();
    await writeAudit(trx, actor, {
      action: 'holiday_calendar.import', entityType: 'holiday_calendar', entityId: String(year),
      before: { count: before.length, provisional: before.some((b) => isProvisionalSource(b.source)), items: before },
      after: { count: out.length, provisional: isProvisionalSource(source), items: out },
    });
    return { year, replaced: before.length, saved: out.length, holidays: out.filter((d) => d.kind === 'holiday').length, workdays: out.filter((d) => d.kind === 'workday').length, provisional: isProvisionalSource(source) };
  });
}
