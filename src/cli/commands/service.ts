/**
 * Service requests (业扩报装与变更用电) on the command line:
 *   voltline sla-check [--as-of YYYY-MM-DD] [--json]
 *       raise SLA warnings (before the limit) and overdue alerts (once per stage visit, stored as
 *       staff notifications, audited) and print the requests in warning / overdue state;
 *       exit code 0 (also when some are overdue: this is a report, not a test).
 *   voltline holidays [--year YYYY]
 *       print the working-day calendar (State Council 放假调休) the SLA clock uses.
 */
import type { Command } from 'commander';
import { SYSTEM_ACTOR } from '../../app/context.js';
import { slaCheck } from '../../app/service/report.js';
import { listHolidays } from '../../app/service/support.js';
import { checkDay, unpublishedYears } from '../../domain/calendar/calendar.js';
import { ValidationError } from '../../domain/errors.js';
import { withDb } from '../common.js';

export function register(program: Command): void {
  program
    .command('sla-check')
    .description('raise 业扩 SLA warnings and overdue alerts and print the overdue requests')
    .option('--as-of <date>', 'evaluate as of this day YYYY-MM-DD (default: today, Asia/Shanghai)')
    .option('--json', 'print JSON instead of a table')
    .action(async (o: { asOf?: string; json?: boolean }) => {
      if (o.asOf !== undefined) checkDay('asOf', o.asOf);
      await withDb(async (db) => {
        const r = await slaCheck(db, SYSTEM_ACTOR, { asOf: o.asOf });
        if (o.json) {
          console.log(JSON.stringify(r, null, 2));
          return;
        }
        const overdue = r.items.filter((i) => i.status === 'overdue');
        const warn = r.items.filter((i) => i.status === 'warning');
        console.log(`SLA check as of ${r.asOf}: ${overdue.length} overdue, ${warn.length} due soon; raised ${r.alertsRaised} alert(s), ${r.warningsRaised} warning(s)`);
        if (r.uncoveredYear) console.log(`warning: the holiday calendar has no State Council arrangement for ${r.asOf.slice(0, 4)}; weekends only (voltline holidays, PUT /api/v1/service/holidays)`);
        for (const i of [...overdue, ...warn]) {
          const days = i.remainingDays! < 0 ? `${-i.remainingDays!} day(s) overdue` : `${i.remainingDays} day(s) left`;
          console.log(`${i.status === 'overdue' ? 'OVERDUE' : 'warning'}\t${i.requestNo}\t${i.stage}\tdue ${i.dueOn ?? '(paused)'}\t${days}\t${i.orgUnitName}`);
        }
      });
    });

  program
    .command('holidays')
    .description('print the working-day calendar (State Council 放假调休) used by the SLA clock')
    .option('--year <year>', 'only this year')
    .action(async (o: { year?: string }) => {
      let year: number | undefined;
      if (o.year !== undefined) {
        year = Number(o.year);
        if (!Number.isInteger(year) || year < 2000 || year > 2100) throw new ValidationError('year', `must be a year, got "${o.year}"`);
      }
      await withDb(async (db) => {
        const r = await listHolidays(db, year);
        console.log(`covered years: ${r.coveredYears.join(', ') || '(none)'}`);
        for (const [y, note] of Object.entries(unpublishedYears())) if (!r.coveredYears.includes(Number(y))) console.log(`${y}: ${note}`);
        for (const d of r.items) console.log(`${d.day}\t${d.kind === 'holiday' ? '休' : '班'}\t${d.name}`);
      });
    });
}
