/**
 * `voltline missing-readings [--period YYYY-MM] [--as-of YYYY-MM-DD] [--route ID]`
 * Runs the missing-reading rule (漏抄): flags pending reading tasks overdue past the active rule
 * set's missingGraceDays without a stored reading; prints JSON (the list and counts). Audited.
 */
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import { SYSTEM_ACTOR } from '../../app/context.js';
import { checkDate, flagMissingReadings } from '../../app/metering/missing.js';
import { checkPeriod } from '../../app/metering/tasks.js';
import { withDb } from '../common.js';

export function register(program: Command): void {
  program
    .command('missing-readings')
    .description('flag reading tasks overdue without a reading (漏抄) and list them as JSON')
    .option('--period <period>', 'billing period YYYY-MM (default: all periods)')
    .option('--as-of <date>', 'evaluate as of this day YYYY-MM-DD (default: today, Asia/Shanghai)')
    .option('--route <id>', 'only this reading route')
    .action(async (o: { period?: string; asOf?: string; route?: string }) => {
      let routeId: number | undefined;
      if (o.route !== undefined) {
        routeId = Number(o.route);
        if (!Number.isInteger(routeId) || routeId <= 0) throw new ValidationError('route', `must be a route id, got "${o.route}"`);
      }
      // bad options fail before the database is opened
      if (o.period !== undefined) checkPeriod(o.period, 'period');
      if (o.asOf !== undefined) checkDate(o.asOf, 'asOf');
      await withDb(async (db) => {
        const r = await flagMissingReadings(db, SYSTEM_ACTOR, { period: o.period, asOf: o.asOf, routeId });
        console.log(JSON.stringify({ ...r, missing: r.items.length }, null, 2));
      });
    });
}
