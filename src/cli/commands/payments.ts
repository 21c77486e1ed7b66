/**
 * Payments CLI:
 *   voltline accrue-late-fees [--as-of YYYY-MM-DD]       nightly late-fee accrual (违约金计提), JSON out
 *   voltline simulate-bank [--port P] [--url U] [--channel C] [--secret S] [--pay 户号:金额 ...]
 *       a simulated bank on loopback: signs requests to /api/v1/channel/*, retries a payment
 *       notification until acknowledged; without --secret the channel is created (or its
 *       current secret read) in the configured database. With --pay it pays and exits;
 *       otherwise it serves POST /pay, /reverse, /query and GET /transactions on 127.0.0.1:P.
 */
import type { Command } from 'commander';
import { ValidationError } from '../../domain/errors.js';
import { checkDate, parsePaymentAmount } from '../../domain/payments/index.js';
import { SYSTEM_ACTOR } from '../../app/context.js';
import { accrueLateFees } from '../../app/payments/late-fees.js';
import { createChannel } from '../../app/payments/channel.js';
import { SimulatedBank } from '../../app/payments/bank-simulator.js';
import { intOpt, withDb } from '../common.js';
import '../../db/schema-payments.js';

export function register(program: Command): void {
  program
    .command('accrue-late-fees')
    .description('accrue late fees (违约金) of all open overdue receivables as of a day; prints JSON')
    .option('--as-of <date>', 'accrue through this day YYYY-MM-DD (default: today, Asia/Shanghai)')
    .action(async (o: { asOf?: string }) => {
      if (o.asOf !== undefined) checkDate(o.asOf, 'asOf');
      await withDb(async (db) => {
        const r = await accrueLateFees(db, o.asOf, SYSTEM_ACTOR);
        console.log(JSON.stringify(r, null, 2));
      });
    });

  program
    .command('simulate-bank')
    .description('a simulated bank on loopback that pays / reverses through the signed channel API')
    .option('--port <port>', 'serve the bank demo API on 127.0.0.1:PORT', '3901')
    .option('--url <url>', 'Voltline base URL', 'http://127.0.0.1:3000')
    .option('--channel <code>', 'channel code', 'BANK_SIM')
    .option('--secret <secret>', 'channel secret (default: create the channel / read its secret from the database)')
    .option('--pay <items...>', 'pay 户号:金额 (e.g. 3310000001:100.00) and exit')
    .action(async (o: { port: string; url: string; channel: string; secret?: string; pay?: string[] }) => {
      const port = intOpt('port', o.port, 3901, 1, 65535);
      const url = new URL(o.url);
      if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new ValidationError('url', 'the simulated bank talks to loopback only');
      if (!/^[A-Z0-9_]{2,20}$/.test(o.channel)) throw new ValidationError('channel', '2-20 of A-Z 0-9 _');
      const pays = (o.pay ?? []).map((p, i) => {
        const [accountNo, amount] = p.split(':');
        if (!accountNo || !amount) throw new ValidationError(`pay.${i}`, 'expected 户号:金额');
        parsePaymentAmount(amount, `pay.${i}`);
        return { accountNo, amount };
      });
      let secret = o.secret;
      if (!secret) {
        secret = await withDb(async (db) => {
          const ch = await db.kysely.selectFrom('payment_channels').select('secret_current').where('code', '=', o.channel).executeTakeFirst();
          if (ch) return ch.secret_current;
          return (await createChannel(db, SYSTEM_ACTOR, { code: o.channel, name: `模拟银行 ${o.channel}`, kind: 'bank' })).secret;
        });
      }
      const bank = new SimulatedBank({ url: url.origin, channel: o.channel, secret, log: (m) => console.error(`[bank] ${m}`) });
      if (pays.length) {
        const out = [];
        for (const p of pays) out.push(await bank.pay(p.accountNo, p.amount));
        console.log(JSON.stringify(out, null, 2));
        if (out.some((r) => r.status !== 200)) process.exitCode = 1;
        return;
      }
      await bank.listen(port);
      console.log(`simulated bank ${o.channel} on http://127.0.0.1:${port} -> ${url.origin} (POST /pay {accountNo, amount}, /reverse, /query; GET /transactions)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    });
}
