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
}

class EnvError extends Error {}

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
];
