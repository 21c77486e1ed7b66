/**
 * Test databases on both engines. PGlite always; PostgreSQL when DATABASE_URL is set (each test
 * file gets its own throwaway database, dropped at the end). Without DATABASE_URL the PostgreSQL
 * runs are skipped and say so loudly.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { openPglite, openPostgres, type Db, type Engine } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';

export const DATABASE_URL = process.env.DATABASE_URL;

let warned = false;
/**
 * Engines an integration test file runs on: PGlite without DATABASE_URL; PostgreSQL with it
 * (the README's `npm test` is run once per engine). VOLTLINE_TEST_BOTH=1 runs both in one pass.
 */
export function engines(): Engine[] {
  if (!DATABASE_URL) {
    if (!warned) {
      warned = true;
      console.warn('\n*** SKIPPED: PostgreSQL integration runs (DATABASE_URL is not set). Only PGlite was tested. ***\n');
    }
    return ['pglite'];
  }
  return process.env.VOLTLINE_TEST_BOTH === '1' ? ['pglite', 'postgres'] : ['postgres'];
}

export interface TestDb {
  db: Db;
  drop(): Promise<void>;
}

export async function createTestDb(engine: Engine): Promise<TestDb> {
  if (engine === 'pglite') {
    const db = await openPglite(undefined);
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  const name = `vl_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(DATABASE_URL!);
  url.pathname = '/' + name;
  const db = openPostgres(url.toString(), 20);
  await migrate(db);
  return {
    db,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
