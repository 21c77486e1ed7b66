/**
 * The only reader of process.env. Every setting is typed, documented and validated at start;
 * a bad value fails fast with the variable's name.
 */
import path from 'node:path';

export interface Env {
  /** PostgreSQL connection string; when unset the embedded PGlite engine is used. */
  databaseUrl: string | undefined;
  /** PGlite data folder (embedded engine only). Default `./data`. */
  dataDir: string;
  /** HTTP port. Default 3000. */
  port: number;
  /** HTTP bind address. Default 0.0.0.0 (use 127.0.0.1 to keep it local). */
  host: string;
  /** pino log level. Default info. */
  logLevel: string;
  /** Max connections in the PostgreSQL pool. Default 10. */
  dbPoolSize: number;
  /** Session lifetime in minutes. Default 480 (one working day). */
  sessionTtlMinutes: number;
  /** Failed logins before a lockout. Default 5. */
  loginMaxFailures: number;
  /** Lockout length in minutes. Default 15. */
  loginLockMinutes: number;
  /** Max request body in bytes. Default 1 MiB. */
  bodyLimit: number;
  /** Set cookies with Secure (behind HTTPS). Default false. */
  secureCookies: boolean;
  /**
   * Run the in-process job scheduler in `voltline serve` (src/jobs/scheduler.ts).
   * VOLTLINE_SCHEDULER=on|off; default on, but off when NODE_ENV=test (test servers never run
   * nightly jobs on their own).
   */
  scheduler: boolean;
  /**
   * Group posting of channel payments (src/app/payments/channel-batch.ts): notifications that
   * arrive together are posted in one transaction. VOLTLINE_CHANNEL_BATCH=on|off, default on.
   */
  channelBatch: boolean;
  /** Most payments in one group (VOLTLINE_CHANNEL_BATCH_MAX, default 256). */
  channelBatchMax: number;
  /** Groups in the database at once (VOLTLINE_CHANNEL_BATCH_INFLIGHT, default 2; PGlite 1). */
  channelBatchInFlight: number;
  /** SMS gateway base URL for the outbox (else setting `messaging.sms_gateway_url`). */
  smsGatewayUrl: string | undefined;
  /** Bearer token of the SMS gateway. */
  smsGatewayToken: string | undefined;
}

class EnvError extends Error {}

function onOff(name: string, raw: string | undefined, dflt: boolean): boolean {
  if (raw === undefined || raw === '') return dflt;
  const v = raw.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new EnvError(`${name} must be on or off, got "${raw}"`);
}

function int(name: string, raw: string | undefined, dflt: number, min = 0): number {
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new EnvError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return n;
}

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const databaseUrl = source.DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new EnvError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  return {
    databaseUrl,
    dataDir: path.resolve(source.VOLTLINE_DATA_DIR || './data'),
    port: int('PORT', source.PORT, 3000, 0),
    host: source.HOST || '0.0.0.0',
    logLevel: source.LOG_LEVEL || 'info',
    dbPoolSize: int('VOLTLINE_DB_POOL_SIZE', source.VOLTLINE_DB_POOL_SIZE, 10, 1),
    sessionTtlMinutes: int('VOLTLINE_SESSION_TTL_MINUTES', source.VOLTLINE_SESSION_TTL_MINUTES, 480, 1),
    loginMaxFailures: int('VOLTLINE_LOGIN_MAX_FAILURES', source.VOLTLINE_LOGIN_MAX_FAILURES, 5, 1),
    loginLockMinutes: int('VOLTLINE_LOGIN_LOCK_MINUTES', source.VOLTLINE_LOGIN_LOCK_MINUTES, 15, 1),
    bodyLimit: int('VOLTLINE_BODY_LIMIT', source.VOLTLINE_BODY_LIMIT, 1024 * 1024, 1024),
    secureCookies: source.VOLTLINE_SECURE_COOKIES === 'true',
    scheduler: onOff('VOLTLINE_SCHEDULER', source.VOLTLINE_SCHEDULER, source.NODE_ENV !== 'test'),
    channelBatch: onOff('VOLTLINE_CHANNEL_BATCH', source.VOLTLINE_CHANNEL_BATCH, true),
    channelBatchMax: int('VOLTLINE_CHANNEL_BATCH_MAX', source.VOLTLINE_CHANNEL_BATCH_MAX, 256, 1),
    channelBatchInFlight: int('VOLTLINE_CHANNEL_BATCH_INFLIGHT', source.VOLTLINE_CHANNEL_BATCH_INFLIGHT, 2, 1),
    smsGatewayUrl: source.VOLTLINE_SMS_GATEWAY_URL?.trim() || undefined,
    smsGatewayToken: source.VOLTLINE_SMS_GATEWAY_TOKEN || undefined,
  };
}

export const envDocs: Array<[string, string]> = [
  ['DATABASE_URL', 'postgres://user:pass@host:5432/db — use PostgreSQL >= 15 instead of the embedded engine'],
  ['VOLTLINE_DATA_DIR', 'embedded (PGlite) data folder, default ./data'],
  ['PORT / HOST', 'HTTP port (3000) and bind address (0.0.0.0)'],
  ['LOG_LEVEL', 'pino level: fatal|error|warn|info|debug (info)'],
  ['VOLTLINE_DB_POOL_SIZE', 'PostgreSQL pool size (10)'],
  ['VOLTLINE_SESSION_TTL_MINUTES', 'session lifetime (480)'],
  ['VOLTLINE_LOGIN_MAX_FAILURES / VOLTLINE_LOGIN_LOCK_MINUTES', 'lockout policy (5 failures, 15 min)'],
  ['VOLTLINE_BODY_LIMIT', 'max request body in bytes (1048576)'],
  ['VOLTLINE_SECURE_COOKIES', 'true behind HTTPS'],
  ['VOLTLINE_SCHEDULER', 'on|off: scheduled jobs inside `voltline serve` (on; off when NODE_ENV=test)'],
  ['VOLTLINE_CHANNEL_BATCH', 'on|off: group posting of channel payments, one transaction per group (on)'],
  ['VOLTLINE_CHANNEL_BATCH_MAX / VOLTLINE_CHANNEL_BATCH_INFLIGHT', 'largest group (256) and groups in the database at once (2)'],
  ['VOLTLINE_SMS_GATEWAY_URL / VOLTLINE_SMS_GATEWAY_TOKEN', 'SMS gateway of the outbox (else setting messaging.sms_gateway_url)'],
];
