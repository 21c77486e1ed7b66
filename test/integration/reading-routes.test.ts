/**
 * Reading routes administration (抄表段管理), on PGlite and (with DATABASE_URL) PostgreSQL:
 * create a route, edit reading day and reader with an optimistic-lock version (stale -> 409),
 * reader validation (role, scope) naming the field, out-of-scope routes 403, audit events,
 * list counts (accounts, this period's tasks) after generating tasks and reading one.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import { currentPeriod } from '../../src/app/metering/routes.js';

describe.each(engines())('reading routes admin on %s', (engine) => {
  let t: TestApp;
  let st01: { id: number; path: string }, st02: { id: number; path: string };
  let ids: Record<string, number>;
  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 120 });
    const ous = await t.db.kysely.selectFrom('org_units').select(['id', 'code', 'path']).where('code', 'in', ['ST01', 'ST02']).execute();
    st01 = ous.find((o) => o.code === 'ST01')!;
    st02 = ous.find((o) => o.code === 'ST02')!;
    const users = await t.db.kysely.selectFrom('users').select(['id', 'username']).execute();
    ids = Object.fromEntries(users.map((u) => [u.username, u.id]));
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  const audits = (action: string) => t.db.kysely.selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('id').execute();

  it('lists the routes in scope with org unit, reading day, reader and counts', async () => {
    const checker = await t.login('checker');
    const r = await t.call('GET', '/api/v1/metering/routes', { cookie: checker });
    expect(r.status).toBe(200);
    expect(r.body.period).toBe(currentPeriod());
    expect(r.body.items.length).toBeGreaterThan(0);
    const dbCount = await t.db.kysely.selectFrom('reading_routes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(r.body.items.length).toBe(Number(dbCount.n)); // the county checker sees every station's routes
    const first = r.body.items[0];
    const dbRoute = await t.db.kysely.selectFrom('reading_routes').selectAll().where('id', '=', first.id).executeTakeFirstOrThrow();
    expect(first).toMatchObject({ id: dbRoute.id, code: dbRoute.code, orgUnit: { id: dbRoute.org_unit_id, name: expect.any(String) }, readingDay: dbRoute.reading_day, version: dbRoute.version, status: 'active' });
    expect(first.reader?.id ?? null).toBe(dbRoute.reader_user_id === null ? null : Number(dbRoute.reader_user_id));
    const accounts = await t.db.kysely.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).where('reading_route_id', '=', first.id).where('status', '<>', 'closed').executeTakeFirstOrThrow();
    expect(first.accountCount).toBe(Number(accounts.n));
    expect(first.accountCount).toBeGreaterThan(0);
    // task counts of this period as stored (the demo data may already hold some)
    const st = await t.db.kysely.selectFrom('reading_tasks').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('route_id', '=', first.id).where('billing_period', '=', currentPeriod()).groupBy('status').execute();
    const want: Record<string, number> = { total: 0, pending: 0, read: 0, exception: 0, skipped: 0 };
    for (const r of st) { want[r.status] = Number(r.n); want.total += Number(r.n); }
    expect(first.tasks).toEqual(want);
    // a station-level reader sees only that station's routes
    const reader = await t.login('reader');
    const mine = await t.call('GET', '/api/v1/metering/routes', { cookie: reader });
    expect(mine.status).toBe(200);
    expect(mine.body.items.length).toBeGreaterThan(0);
    expect(mine.body.items.every((i: any) => i.orgUnit.id === st01.id)).toBe(true);
    const bad = await t.call('GET', '/api/v1/metering/routes?period=2026-13', { cookie: checker });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('period');
  });

  let routeId = 0;
  it('creates a route (audited); a duplicate code is a 409, a bad reading day names the field', async () => {
    const checker = await t.login('checker');
    const r = await t.call('POST', '/api/v1/metering/routes', { cookie: checker, body: { code: 'RTEST01', name: '城关测试抄表段', orgUnitId: st01.id, readingDay: 12, readerUserId: ids.reader } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ code: 'RTEST01', readingDay: 12, version: 1, reader: { id: ids.reader, username: 'reader' }, orgUnit: { id: st01.id } });
    routeId = r.body.id;
    const a = await audits('reading_route.create');
    expect(a.at(-1)).toMatchObject({ entity_type: 'reading_route', entity_id: String(routeId), actor_name: 'checker' });
    const dup = await t.call('POST', '/api/v1/metering/routes', { cookie: checker, body: { code: 'RTEST01', name: 'x', orgUnitId: st01.id, readingDay: 1 } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details.field).toBe('code');
    const day = await t.call('POST', '/api/v1/metering/routes', { cookie: checker, body: { code: 'RTEST02', name: 'x', orgUnitId: st01.id, readingDay: 32 } });
    expect(day.status).toBe(400);
    expect(day.body.error.details.field).toBe('readingDay');
    const n = await t.db.kysely.selectFrom('reading_routes').select('id').where('code', '=', 'RTEST02').execute();
    expect(n).toHaveLength(0);
    // a reader cannot create routes
    const reader = await t.login('reader');
    const forb = await t.call('POST', '/api/v1/metering/routes', { cookie: reader, body: { code: 'RTEST03', name: 'x', orgUnitId: st01.id, readingDay: 3 } });
    expect(forb.status).toBe(403);
  });

  it('edits reading day and reader with the version; a stale version is a 409 and writes nothing', async () => {
    const checker = await t.login('checker');
    const r = await t.call('PATCH', `/api/v1/metering/routes/${routeId}`, { cookie: checker, body: { version: 1, readingDay: 20, readerUserId: null } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ readingDay: 20, version: 2, reader: null });
    const stale = await t.call('PATCH', `/api/v1/metering/routes/${routeId}`, { cookie: checker, body: { version: 1, readingDay: 5 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'CONFLICT', details: { field: 'version', currentVersion: 2 } });
    const row = await t.db.kysely.selectFrom('reading_routes').selectAll().where('id', '=', routeId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ reading_day: 20, version: 2, reader_user_id: null });
    const ok = await t.call('PATCH', `/api/v1/metering/routes/${routeId}`, { cookie: checker, body: { version: 2, readerUserId: ids.reader, name: '城关测试抄表段（改）' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ version: 3, reader: { id: ids.reader }, name: '城关测试抄表段（改）', readingDay: 20 });
    const a = await audits('reading_route.update');
    expect(a).toHaveLength(2);
    const last = a.at(-1)!;
    expect(last.before).toMatchObject({ version: 2, reader: null });
    expect(last.after).toMatchObject({ version: 3, reader: { id: ids.reader } });
    const missing = await t.call('PATCH', `/api/v1/metering/routes/${routeId}`, { cookie: checker, body: { readingDay: 5 } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.field).toBe('version');
  });

  it('refuses a reader without reading.write, or whose scope does not cover the route, naming readerUserId', async () => {
    const checker = await t.login('checker');
    const clerk = await t.call('PATCH', `/api/v1/metering/routes/${routeId}`, { cookie: checker, body: { version: 3, readerUserId: ids.clerk } });
    expect(clerk.status).toBe(400);
    expect(clerk.body.error.details.field).toBe('readerUserId');
    expect(clerk.body.error.message).toMatch(/not a meter reader/);
    // the 城关 reader cannot be assigned to a 东城 route
    const r02 = await t.db.kysely.selectFrom('reading_routes').select(['id', 'version']).where('org_unit_id', '=', st02.id).orderBy('code').executeTakeFirstOrThrow();
    const far = await t.call('PATCH', `/api/v1/metering/routes/${r02.id}`, { cookie: checker, body: { version: r02.version, readerUserId: ids.reader } });
    expect(far.status).toBe(400);
    expect(far.body.error.details.field).toBe('readerUserId');
    expect(far.body.error.message).toMatch(/outside the data scope/);
    const unknown = await t.call('PATCH', `/api/v1/metering/routes/${routeId}`, { cookie: checker, body: { version: 3, readerUserId: 999999 } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details.field).toBe('readerUserId');
    const row = await t.db.kysely.selectFrom('reading_routes').select(['version', 'reader_user_id']).where('id', '=', routeId).executeTakeFirstOrThrow();
    expect(row).toEqual({ version: 3, reader_user_id: ids.reader });
    // the readers list offers only users who can read that route
    const list = await t.call('GET', `/api/v1/metering/readers?routeId=${routeId}`, { cookie: checker });
    expect(list.status).toBe(200);
    const names = list.body.items.map((u: any) => u.username);
    expect(names).toContain('reader');
    expect(names).not.toContain('clerk');
    const list02 = await t.call('GET', `/api/v1/metering/readers?routeId=${r02.id}`, { cookie: checker });
    expect(list02.body.items.map((u: any) => u.username)).not.toContain('reader');
  });

  it('an out-of-scope route is a 403 for a station-level checker', async () => {
    const admin = await t.login('admin');
    const u = await t.call('POST', '/api/v1/users', { cookie: admin, body: { username: 'checker02', displayName: '东城核算员', password: 'Checker#02-2026x', orgUnitId: st02.id, roles: ['billing_checker'] } });
    expect(u.status).toBe(201);
    const c2 = await t.login('checker02', 'Checker#02-2026x');
    const patch = await t.call('PATCH', `/api/v1/metering/routes/${routeId}`, { cookie: c2, body: { version: 3, readingDay: 7 } });
    expect(patch.status).toBe(403);
    expect(patch.body.error.code).toBe('OUT_OF_SCOPE');
    const create = await t.call('POST', '/api/v1/metering/routes', { cookie: c2, body: { code: 'RTEST04', name: 'x', orgUnitId: st01.id, readingDay: 3 } });
    expect(create.status).toBe(403);
    const list = await t.call('GET', '/api/v1/metering/routes', { cookie: c2 });
    expect(list.body.items.some((i: any) => i.id === routeId)).toBe(false);
    expect(list.body.items.every((i: any) => i.orgUnit.id === st02.id)).toBe(true);
    const row = await t.db.kysely.selectFrom('reading_routes').select(['version', 'reading_day']).where('id', '=', routeId).executeTakeFirstOrThrow();
    expect(row).toEqual({ version: 3, reading_day: 20 });
  });

  it('list counts follow task generation and readings', async () => {
    const checker = await t.login('checker');
    const period = currentPeriod();
    const seeded = await t.db.kysely.selectFrom('reading_routes').select(['id', 'version']).where('org_unit_id', '=', st01.id).where('code', '<>', 'RTEST01').orderBy('code').executeTakeFirstOrThrow();
    await t.call('PATCH', `/api/v1/metering/routes/${seeded.id}`, { cookie: checker, body: { version: seeded.version, readerUserId: ids.reader, readingDay: 9 } });
    const g = await t.call('POST', '/api/v1/reading-tasks/generate', { cookie: checker, body: { period, routeIds: [seeded.id], assignedTo: ids.reader } });
    expect(g.status).toBe(200);
    const created = g.body.routes[0].created;
    expect(created).toBeGreaterThan(0);
    const tasks = await t.db.kysely.selectFrom('reading_tasks').select(['account_id', 'assigned_to']).where('route_id', '=', seeded.id).where('billing_period', '=', period).execute();
    expect(tasks.every((x) => x.assigned_to === ids.reader)).toBe(true);
    // read one meter
    const reader = await t.login('reader');
    const acc = await t.db.kysely.selectFrom('meter_installations as mi').innerJoin('accounts as a', 'a.id', 'mi.account_id')
      .select(['a.id', 'mi.initial_readings', 'mi.installed_on']).where('a.id', '=', tasks[0].account_id).where('mi.removed_on', 'is', null).executeTakeFirstOrThrow();
    const init = (acc.initial_readings as Record<string, string>).TOTAL;
    const sub = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [{ clientId: crypto.randomUUID(), accountId: acc.id, readAt: new Date(Date.now() - 60_000).toISOString(), readings: { TOTAL: (Number(init) + 10).toFixed(2) } }] } });
    expect(sub.status).toBe(200);
    const list = await t.call('GET', `/api/v1/metering/routes?period=${period}`, { cookie: checker });
    const item = list.body.items.find((i: any) => i.id === seeded.id);
    const readNow = await t.db.kysely.selectFrom('reading_tasks').select(['status']).where('route_id', '=', seeded.id).where('billing_period', '=', period).execute();
    const expected = { total: created, pending: readNow.filter((x) => x.status === 'pending').length, read: readNow.filter((x) => x.status === 'read').length, exception: readNow.filter((x) => x.status === 'exception').length, skipped: 0 };
    expect(expected.read).toBeGreaterThanOrEqual(1);
    expect(item.tasks).toEqual(expected);
    expect(item.tasks.pending + item.tasks.read + item.tasks.exception).toBe(created);
    expect(item).toMatchObject({ readingDay: 9, reader: { id: ids.reader, name: expect.any(String) } });
    // another period has no tasks
    const other = await t.call('GET', '/api/v1/metering/routes?period=2020-01', { cookie: checker });
    expect(other.body.items.find((i: any) => i.id === seeded.id).tasks.total).toBe(0);
    // the audit chain still verifies
    const v = await verifyAudit(t.db);
    expect(v.ok).toBe(true);
  });
});
