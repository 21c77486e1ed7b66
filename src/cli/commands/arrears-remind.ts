/**
 * `voltline arrears-remind [--as-of YYYY-MM-DD] [--account 户号 ...] [--min-days N] [--repeat-days N]`
 * 催费: one SMS reminder per postpaid account in arrears (oldest receivable at least --min-days
 * past due), at most one per account in --repeat-days (default 7). Reminders go to the message
 * outbox (`voltline send-messages` or the scheduler delivers them); each one is audited.
 */
import type { Command } from 'commander';
import { SYSTEM_ACTOR } from '../../app/context.js';
import { sendArrearsReminders } from '../../app/payments/arrears.js';
import { withDb } from '../common.js';

export function register(program: Command): void {
  program
    .command('arrears-remind')
    .description('send arrears reminders (催费通知, SMS) to postpaid accounts in arrears; at most one per account per --repeat-days')
    .option('--as-of <date>', 'count arrears on this day (default today, Asia/Shanghai)')
    .option('--account <accountNo...>', 'only these accounts (户号)')
    .option('--min-days <n>', 'oldest receivable at least N days past due (default 1)')
    .option('--repeat-days <n>', 'at most one reminder per account in N days (default 7)')
    .action(async (o: { asOf?: string; account?: string[]; minDays?: string; repeatDays?: string }) => {
      await withDb(async (db) => {
        const r = await sendArrearsReminders(db, SYSTEM_ACTOR, { asOf: o.asOf, accountNos: o.account, minDaysOverdue: o.minDays, repeatDays: o.repeatDays });
        const { items, ...summary } = r;
        console.log(JSON.stringify({ ...summary, accounts: items.map((i) => i.accountNo) }));
      });
    });
}
