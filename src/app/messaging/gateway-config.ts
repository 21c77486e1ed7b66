/**
 * Which SMS gateway the outbox is sent through: an explicit URL (CLI --gateway), else the
 * environment (VOLTLINE_SMS_GATEWAY_URL, read by src/config/env.ts), else setting
 * `messaging.sms_gateway_url`. Shared by `voltline send-messages` and the scheduler's
 * send-messages job.
 */
import type { Db } from '../../db/database.js';
import { ValidationError } from '../../domain/errors.js';
import { outboxSummary, sendDueMessages, type DrainStats } from './outbox.js';
import { HttpSmsGateway } from './sms-gateway.js';

export interface GatewayChoice {
  /** explicit URL (wins over env and setting) */
  url?: string;
  token?: string | null;
  /** from Env (smsGatewayUrl / smsGatewayToken) */
  envUrl?: string;
  envToken?: string;
}

/** The configured gateway URL, or null when none is configured anywhere. */
export async function resolveSmsGatewayUrl(db: Db, c: GatewayChoice = {}): Promise<string | null> {
  let url = c.url ?? c.envUrl;
  if (!url) {
    const s = await db.kysely.selectFrom('settings').select('value').where('key', '=', 'messaging.sms_gateway_url').executeTakeFirst();
    url = typeof s?.value === 'string' ? s.value : undefined;
  }
  return url || null;
}

export function smsGatewayFor(url: string, token: string | null | undefined): HttpSmsGateway {
  try {
    return new HttpSmsGateway({ baseUrl: url, token: token ?? null });
  } catch {
    throw new ValidationError('gateway', `not a URL: ${url}`);
  }
}

export interface SendOutboxResult extends DrainStats {
  gatewayUrl: string;
  outbox: Record<string, number>;
}

/**
 * Send the due messages once through the configured gateway; throws VALIDATION_FAILED (field
 * `gateway`) when no gateway is configured or the URL is not a URL.
 */
export async function sendOutboxOnce(db: Db, c: GatewayChoice & { limit?: number; now?: () => Date } = {}): Promise<SendOutboxResult> {
  const url = await resolveSmsGatewayUrl(db, c);
  if (!url) throw new ValidationError('gateway', 'no SMS gateway: pass --gateway URL, set VOLTLINE_SMS_GATEWAY_URL or setting messaging.sms_gateway_url');
  const sender = smsGatewayFor(url, c.token ?? c.envToken ?? null);
  const stats = await sendDueMessages(db, sender, { limit: c.limit, now: c.now });
  return { ...stats, gatewayUrl: url, outbox: await outboxSummary(db.kysely) };
}
