/**
 * `voltline reconnect-check [--every SECONDS]`
 * Finds accounts with cut-off orders whose debt is cleared (postpaid: no overdue arrears;
 * prepaid: balance above the floor): open cut-off orders are cancelled, executed cut-offs get a
 * reconnection order due within the 24 h target. Idempotent. With --every it keeps polling.
 */
import type { Command } from 'commander';
import { SYSTEM_ACTOR } from '../../app/context.js';
import { reconnectCheck } from '../../app/payments/reconnect.js';
import { intOpt, withDb } from '../common.js';

export function register(program: Command): void {
  program
    .command('reconnect-check')
    .description('create reconnection orders (复电) for accounts whose debt is cleared; cancel their open cut-off orders')
    .option('--every <seconds>', 'repeat every N seconds (default: run once)')
    .action(async (o: { every?: string }) => {
      const every = o.every === undefined ? 0 : intOpt('every', o.every, 0, 10, 86_400);
      await withDb(async (db) => {
        for (;;) {
          const r = await reconnectCheck(db, SYSTEM_ACTOR);
          console.log(JSON.stringify({ at: new Date().toISOString(), ...r }));
          if (!every) break;
          await new Promise((res) => setTimeout(res, every * 1000));
        }
      });
    });
}
