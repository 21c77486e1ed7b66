/**
 * `voltline prepaid-deduct --day YYYY-MM-DD [--account 户号 ...]`
 * Daily prepaid (预付费) deduction for one finished day: energy from daily frozen values (or
 * 15-minute intervals) rated with the account's tariff, one ledger entry per account-day,
 * reminders and cut-off orders at the thresholds. Idempotent: re-running a day deducts nothing
 * twice. Prints the summary as JSON. Default day: yesterday (Asia/Shanghai).
 */
import type { Command } from 'commander';
import { SYSTEM_ACTOR } from '../../app/context.js';
import { runPrepaidDeduction } from '../../app/payments/prepaid.js';
import { addDays, checkDate, shanghaiDate } from '../../domain/payments/index.js';
import { withDb } from '../common.js';

export function register(program: Command): void {
  program
    .command('prepaid-deduct')
    .description('deduct one day of prepaid (预付费) energy charges from the balances (idempotent) and raise reminders / cut-off orders')
    .option('--day <date>', 'the day to charge, YYYY-MM-DD (default: yesterday, Asia/Shanghai)')
    .option('--account <accountNo...>', 'only these accounts (户号)')
    .option('--verbose', 'print every account outcome')
    .action(async (o: { day?: string; account?: string[]; verbose?: boolean }) => {
      const day = o.day === undefined ? addDays(shanghaiDate(new Date()), -1) : checkDate(o.day, 'day');
      await withDb(async (db) => {
        const r = await runPrepaidDeduction(db, SYSTEM_ACTOR, day, { accountNos: o.account });
        const { outcomes, ...summary } = r;
        console.log(JSON.stringify(o.verbose ? r : { ...summary, problems: outcomes.filter((x) => x.status === 'error' || x.status === 'no_data') }, null, 2));
      });
    });
}
