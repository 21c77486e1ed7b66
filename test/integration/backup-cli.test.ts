/**
 * Backup/restore round trip (equal row counts and checksums, across engines when DATABASE_URL
 * is set) and the `voltline` CLI end to end on an embedded data folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { engines, createTestDb, type TestDb } from '../support/db.js';
import { seed } from '../../src/jobs/seed.js';
import { backup, restore, summarise, tableReferences } from '../../src/jobs/backup.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');

describe.each(engines())('backup and restore on %s', (engine) => {
  let src: TestDb, dst: TestDb;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-backup-'));
  beforeAll(async () => {
    src = await createTestDb(engine);
    await seed(src.db, { accounts: 120, months: 0, seed: 3 });
    dst = await createTestDb(engine);
  });
  afterAll(async () => {
    await src?.drop();
    await dst?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips every table with equal counts and checksums, and the audit chain still verifies', async () => {
    const file = path.join(dir, 'a.vlbak');
    const b = await backup(src.db, file);
    expect(b.tables.find((t) => t.name === 'accounts')!.rows).toBe(120);
    const r = await restore(dst.db, file);
    expect(r.tables).toEqual(await summarise(src.db));
    expect(await verifyAudit(dst.db)).toMatchObject({ ok: true });
    // identity sequences continue after the restored ids
    const ou = await dst.db.kysely.insertInto('org_units').values({ code: 'AFTER', name: 'x', kind: 'hall', parent_id: 1 }).returning('id').executeTakeFirstOrThrow();
    expect(ou.id).toBeGreaterThan(10);
  });

  it('orders tables by every reference, the ones checked by triggers instead of foreign keys included', async () => {
    const refs = (await tableReferences(src.db.kysely)).map((r) => `${r.child}->${r.parent}`);
    expect(refs).toEqual(expect.arrayContaining(['bills->accounts', 'bills->billing_runs', 'register_readings->accounts',
      'register_readings->meters', 'register_readings->metering_points', 'payments->accounts']));
    expect(refs.filter((r) => r.startsWith('register_readings->'))).toHaveLength(3);
  });

  it('refuses to restore over data without --force, and with force replaces it', async () => {
    const file = path.join(dir, 'a.vlbak');
    await expect(restore(dst.db, file)).rejects.toThrow(/not empty/);
    const r = await restore(dst.db, file, { force: true });
    expect(r.tables).toEqual(await summarise(src.db));
  });

  it('rejects a truncated file and leaves the database as it was', async () => {
    const file = path.join(dir, 'a.vlbak');
    const cut = path.join(dir, 'cut.vlbak');
    const zlib = await import('node:zlib');
    const text = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
    fs.writeFileSync(cut, zlib.gzipSync(text.slice(0, Math.floor(text.length / 2)).replace(/\n[^\n]*$/, '\n')));
    const before = await summarise(dst.db);
    await expect(restore(dst.db, cut, { force: true })).rejects.toThrow(/truncated/);
    expect(await summarise(dst.db)).toEqual(before);
  });
});

describe('voltline CLI on an embedded data folder', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-cli-'));
  const restoredDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-cli2-'));
  const env = { ...process.env, VOLTLINE_DATA_DIR: dataDir, DATABASE_URL: '' };
  const cli = (args: string[], e = env) => run(process.execPath, [path.join(root, 'bin/voltline.mjs'), ...args], { env: e, cwd: root, timeout: 120_000 });
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(restoredDir, { recursive: true, force: true });
  });

  it('seeds, adds a user, verifies the audit chain, backs up and restores', async () => {
    const s = await cli(['seed', '--accounts', '50', '--seed', '5', '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ accounts: 50 });
    const u = await cli(['user', 'add', 'ops1', '--role', 'administrator', '--org', 'C01', '--password', 'Ops@20261127']);
    expect(u.stdout).toMatch(/user ops1 created/);
    const bad = await cli(['user', 'add', 'ops2', '--role', 'administrator', '--org', 'C01', '--password', 'weak']).catch((e) => e);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/password/);
    const v = await cli(['audit', 'verify']);
    expect(v.stdout).toMatch(/audit chain OK: \d+ events verified/);
    const file = path.join(dataDir, '..', `vl-cli-${process.pid}.vlbak`);
    const b = await cli(['backup', file]);
    expect(b.stdout).toMatch(/backup written/);
    const r = await cli(['restore', file], { ...env, VOLTLINE_DATA_DIR: restoredDir });
    expect(r.stdout).toMatch(/counts and checksums match/);
    const v2 = await cli(['audit', 'verify'], { ...env, VOLTLINE_DATA_DIR: restoredDir });
    expect(v2.stdout).toMatch(/audit chain OK/);
    fs.rmSync(file, { force: true });
  }, 240_000);
});
