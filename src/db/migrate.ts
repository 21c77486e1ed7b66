/**
 * Forward-only plain-SQL migrations from src/db/migrations, applied in file-name order, each in
 * its own transaction together with its schema_migrations row. A session-level advisory lock
 * keeps two processes (server + workers) from migrating at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Db } from './database.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
const LOCK_KEY = 7_461_331_001;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export function listMigrations(): MigrationFile[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((name) => {
      const text = fs.readFileSync(path.join(dir, name), 'utf8');
      return { name, sql: text, checksum: crypto.createHash('sha256').update(text).digest('hex') };
    });
}

export async function migrate(db: Db, log: (m: string) => void = () => {}): Promise<string[]> {
  await db.execScript(`create table if not exists schema_migrations (
    name text primary key, checksum text not null, applied_at timestamptz not null default now())`);
  const applied: string[] = [];
  const run = async () => {
    const done = await sql<{ name: string; checksum: string }>`select name, checksum from schema_migrations`.execute(
      db.kysely,
    );
    const seen = new Map(done.rows.map((r) => [r.name, r.checksum]));
    for (const m of listMigrations()) {
      const prev = seen.get(m.name);
      if (prev) {
        if (prev !== m.checksum) log(`warning: migration ${m.name} changed after it was applied`);
        continue;
      }
      const esc = m.name.replace(/'/g, "''");
      await db.execScript(
        `begin;\n${m.sql}\n;insert into schema_migrations (name, checksum) values ('${esc}', '${m.checksum}');\ncommit;`,
      );
      applied.push(m.name);
      log(`applied ${m.name}`);
    }
  };
  if (db.engine === 'postgres' && db.pool) {
    const client = await db.pool.connect();
    try {
      await client.query('select pg_advisory_lock($1)', [LOCK_KEY]);
      await run();
    } finally {
      await client.query('select pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
      client.release();
    }
  } else {
    await run();
  }
  return applied;
}

/**
 * Tables that migrations fill with reference rows (holiday calendar, default rule sets …): a
 * freshly migrated database has rows there and is still "empty" for a restore.
 */
export function migrationSeededTables(): Set<string> {
  const out = new Set<string>();
  for (const m of listMigrations()) for (const x of m.sql.matchAll(/\binsert\s+into\s+([a-z_][a-z0-9_]*)/gi)) out.add(x[1].toLowerCase());
  out.add('schema_migrations');
  return out;
}
