/**
 * Missing reading rule (漏抄): pending tasks overdue past the grace days (rule-set param
 * missingGraceDays) without a reading are flagged; a reading clears the flag on the next run;
 * one audit event per run; scope and permission; the CLI.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { missingReadingAccounts } from '../../src/app/metering/missing.js';

const DAY = 86_400_000;
const addDays = (d: string, n: number) => new Date(Date.parse(d + 'T00:00:00Z') + n * DAY).toISOString().slice(0, 10);
const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');

describe.each(engines())('missing readings on %s', (engine) => {
  let t: TestApp;
  let route = 0;
  let period = '';
  let due = '';
  let tasks: Array<{ id: number; account_id: number }> = [];
  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 60 });
    const acc = await t.db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').select(['a.reading_route_id'])
      .where('o.code', '=', 'ST01').where('a.status', '=', 'active').where('a.reading_route_id', 'is not', null).executeTakeFirstOrThrow();
    route = Number(acc.reading_route_id);
    period = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
    const checker = await t.login('checker');
    const g = await t.call('POST', '/api/v1/reading-tasks/generate', { cookie: checker, body: { period, routeIds: [route] } });
    expect(g.status).toBe(200);
    due = g.body.routes[0].dueDate;
    tasks = (await t.db.kysely.selectFrom('reading_tasks').select(['id', 'account_id']).where('route_id', '=', route).where('billing_period', '=', period).orderBy('sequence').execute())
      .map((r) => ({ id: Number(r.id), account_id: Number(r.account_id) }));
    expect(tasks.length).toBeGreaterThanOrEqual(2);
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('flags nothing within the grace days, everything without a reading after them; one audit event per run', async () => {
    const checker = await t.login('checker');
    const within = await t.call('POST', '/api/v1/metering/missing-readings/flag', { cookie: checker, body: { period, asOf: addDays(due, 2) } });
    expect(within.status).toBe(200);
    expect(within.body).toMatchObject({ graceDays: 2, items: [], newlyFlagged: 0 });
    const after = await t.call('POST', '/api/v1/metering/missing-readings/flag', { cookie: checker, body: { period, asOf: addDays(due, 3) } });
    expect(after.body.items).toHaveLength(tasks.length);
    expect(after.body.newlyFlagged).toBe(tasks.length);
    expect(after.body.items[0]).toMatchObject({ billingPeriod: period, dueDate: due, daysOverdue: 3, route: { id: route }, account: { accountNo: expect.stringMatching(/^\d+$/) }, meter: { assetNo: expect.any(String) } });
    const flagged = await t.db.kysely.selectFrom('reading_tasks').select(['status', 'missing_flagged_at']).where('route_id', '=', route).where('billing_period', '=', period).execute();
    expect(flagged.every((r) => r.status === 'pending' && r.missing_flagged_at !== null)).toBe(true);
    const events = await t.db.kysely.selectFrom('audit_events').select(['after']).where('action', '=', 'reading_task.flag_missing').execute();
    expect(events).toHaveLength(2);
    const ev = typeof events[1].after === 'string' ? JSON.parse(events[1].after) : events[1].after;
    expect(ev).toMatchObject({ period, missing: tasks.length, graceDays: 2 });
    expect((await missingReadingAccounts(t.db.kysely, period)).sort()).toEqual([...new Set(tasks.map((x) => x.account_id))].sort());
  });

  it('a reading for the meter/period clears the flag on the next run; the list shows the rest', async () => {
    const reader = await t.login('reader');
    const checker = await t.login('checker');
    const a = tasks[0];
    const last = await t.db.kysely.selectFrom('meter_installations').select(['initial_readings']).where('account_id', '=', a.account_id).where('removed_on', 'is', null).executeTakeFirstOrThrow();
    const init = (last.initial_readings as Record<string, string>).TOTAL;
    const s = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [{ clientId: crypto.randomUUID(), accountId: a.account_id, readAt: new Date(Date.now() - 3600_000).toISOString(), readings: { TOTAL: (Number(init) + 10).toFixed(2) }, billingPeriod: period, exceptionCode: 'DOOR_LOCKED' }] } });
    expect(s.status).toBe(200);
    const again = await t.call('POST', '/api/v1/metering/missing-readings/flag', { cookie: checker, body: { period, asOf: addDays(due, 5) } });
    expect(again.body.items.map((i: any) => i.taskId)).not.toContain(a.id);
    expect(again.body.items).toHaveLength(tasks.length - 1);
    expect(again.body.items[0].daysOverdue).toBe(5);
    expect(again.body.newlyFlagged).toBe(0);
    expect(again.body.cleared).toBe(1);
    const l = await t.call('GET', `/api/v1/metering/missing-readings?period=${period}&routeId=${route}`, { cookie: checker });
    expect(l.status).toBe(200);
    expect(l.body.total).toBe(tasks.length - 1);
    expect(l.body.items.map((i: any) => i.taskId)).not.toContain(a.id);
  });

  it('a longer grace in the active rule set un-flags; permission, scope and bad input', async () => {
    const checker = await t.login('checker');
    const d = await t.call('POST', '/api/v1/metering/rule-sets', { cookie: checker, body: { params: { missingGraceDays: 10 } } });
    await t.call('POST', `/api/v1/metering/rule-sets/${d.body.version}/activate`, { cookie: checker, body: {} });
    const r = await t.call('POST', '/api/v1/metering/missing-readings/flag', { cookie: checker, body: { period, asOf: addDays(due, 5) } });
    expect(r.body).toMatchObject({ graceDays: 10, items: [], ruleSetVersion: d.body.version });
    expect(r.body.cleared).toBe(tasks.length - 1);
    const clerk = await t.login('clerk');
    expect((await t.call('GET', '/api/v1/metering/missing-readings', { cookie: clerk })).status).toBe(403);
    const bad = await t.call('POST', '/api/v1/metering/missing-readings/flag', { cookie: checker, body: { asOf: '2026-02-30' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('asOf');
    const badp = await t.call('GET', '/api/v1/metering/missing-readings?period=2026-13', { cookie: checker });
    expect(badp.body.error.details.field).toBe('period');
    // grace back to 2, flagged again; a reader of another station (clerk2 has no reading.review) — the scope filter
    // is checked with a user whose org unit does not contain the route: none of its tasks are listed
    const d2 = await t.call('POST', '/api/v1/metering/rule-sets', { cookie: checker, body: { params: { missingGraceDays: 2 } } });
    await t.call('POST', `/api/v1/metering/rule-sets/${d2.body.version}/activate`, { cookie: checker, body: {} });
    await t.call('POST', '/api/v1/metering/missing-readings/flag', { cookie: checker, body: { period, asOf: addDays(due, 5) } });
    const { listMissingReadings } = await import('../../src/app/metering/missing.js');
    const other = await t.db.kysely.selectFrom('org_units').select(['id', 'path']).where('code', '=', 'ST02').executeTakeFirstOrThrow();
    const outside = await listMissingReadings(t.db, { userId: null, username: 'x', displayName: 'x', orgUnitId: other.id, orgPath: other.path, roles: [], permissions: new Set(['reading.review']) }, { period });
    expect(outside.total).toBe(0);
    const inside = await t.call('GET', `/api/v1/metering/missing-readings?period=${period}`, { cookie: checker });
    expect(inside.body.total).toBe(tasks.length - 1);
  });

  it('CLI: voltline missing-readings prints JSON and names a bad option', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-missing-'));
    try {
      const env = { ...process.env, VOLTLINE_DATA_DIR: dir, DATABASE_URL: '' };
      const ok = await run('node', [path.join(root, 'bin/voltline.mjs'), 'missing-readings', '--period', '2026-11', '--as-of', '2026-11-30'], { env, cwd: root });
      expect(JSON.parse(ok.stdout)).toMatchObject({ period: '2026-11', asOf: '2026-11-30', graceDays: 2, missing: 0, items: [] });
      const bad = await run('node', [path.join(root, 'bin/voltline.mjs'), 'missing-readings', '--as-of', '30.11.2026'], { env, cwd: root }).catch((e) => e);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/asOf/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
