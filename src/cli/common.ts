/** Shared CLI plumbing: open the configured database, migrate, run, always close. */
import { readEnv, type Env } from '../config/env.js';
import { openDb, type Db } from '../db/database.js';
import { migrate } from '../db/migrate.js';

export async function withDb<T>(fn: (db: Db, env: Env) => Promise<T>, opts: { migrate?: boolean } = {}): Promise<T> {
  const env = readEnv();
  const db = await openDb(env);
  try {
    if (opts.migrate !== false) await migrate(db);
    return await fn(db, env);
  } finally {
    await db.close();
  }
}

export function intOpt(name: string, v: string | undefined, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return dflt;
  const n = Number(String(v).replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer ${min}..${max}, got ${v}`);
  return n;
}
