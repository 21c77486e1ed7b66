/**
 * `voltline send-messages [--gateway URL] [--token T] [--limit N] [--json]`
 * Drains the message outbox once: every due message gets one delivery attempt through the SMS
 * gateway; a retryable failure is rescheduled with backoff for a later run. The gateway URL comes
 * from --gateway, else env VOLTLINE_SMS_GATEWAY_URL, else setting `messaging.sms_gateway_url`.
 * Meant for cron (e.g. every minute). Exit code 0 even when messages are retrying.
 */
import type { Command } from 'commander';
import { withDb, intOpt } from '../common.js';
import { sendOutboxOnce } from '../../app/messaging/gateway-config.js';

export function register(program: Command): void {
  program
    .command('send-messages')
    .description('send the due messages of the outbox once through the SMS gateway (短信外发)')
    .option('--gateway <url>', 'SMS gateway base URL, e.g. http://127.0.0.1:9300')
    .option('--token <t>', 'Bearer token of the gateway (else env VOLTLINE_SMS_GATEWAY_TOKEN)')
    .option('--limit <n>', 'at most this many messages in this run')
    .option('--json', 'print JSON')
    .action(async (o: { gateway?: string; token?: string; limit?: string; json?: boolean }) => {
      const limit = o.limit === undefined ? undefined : intOpt('limit', o.limit, 0, 1, 1_000_000);
      await withDb(async (db, env) => {
        const { gatewayUrl: url, outbox, ...stats } = await sendOutboxOnce(db, { url: o.gateway, token: o.token, envUrl: env.smsGatewayUrl, envToken: env.smsGatewayToken, limit });
        if (o.json) console.log(JSON.stringify({ ...stats, outbox }));
        else {
          console.log(`sent ${stats.sent}, retrying ${stats.retrying}, failed ${stats.failed} (attempted ${stats.attempted}) via ${url}`);
          for (const e of stats.errors.slice(0, 20)) console.log(`  message ${e.id} attempt ${e.attempt}: ${e.error}${e.retryAt ? ` — retry at ${e.retryAt}` : ' — failed'}`);
          console.log(`outbox: ${Object.entries(outbox).map(([k, v]) => `${k} ${v}`).join(', ') || 'empty'}`);
        }
      });
    });
}
