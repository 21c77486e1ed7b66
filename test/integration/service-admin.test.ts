/**
 * Service administration (issue 7 UI): the 2027 provisional calendar (migration
 * 20261128T0410) and the working-day count across 春节 2027; importing a year (admin only,
 * fields named, nothing written on bad input, audited); SLA profiles (list, strict save, activate,
 * history; clerk 403; fields named; audited); an account's open requests for the account view.
 * PGlite, and PostgreSQL with DATABASE_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { loadCalendar } from '../../src/app/service/support.js';
import { WorkCalendar } from '../../src/domain/calendar/calendar.js';

const RES_TARIFF = 'ZJ-RES-1H1B-LT1KV';

describe.each(engines())('service administration on %s', (engine) => {
  let t: TestApp;
  let admin: string, clerk: string, clerk2: string, customer: string;
  let accountId: number;

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 40 });
    admin = await t.login('admin');
    const roles = await t.call('GET', '/api/v1/roles', { cookie: admin });
    const cc = roles.body.items.find((r: any) => r.code === 'counter_clerk');
    if (!cc.permissions.includes('request.handle')) {
      expect((await t.call('PATCH', '/api/v1/roles/counter_clerk', { cookie: admin, body: { permissions: [...cc.permissions, 'request.handle'] } })).status).toBe(200);
    }
    [clerk, clerk2, customer] = await Promise.all(['clerk', 'clerk2', 'customer'].map((u) => t.login(u)));
    const link = await t.db.kysely.selectFrom('customer_logins').innerJoin('users', 'users.id', 'customer_logins.user_id').select('account_id').where('users.username', '=', 'customer').executeTakeFirstOrThrow();
    accountId = link.account_id;
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  const audits = (action: string, entityId: string) =>
    t.db.kysely.selectFrom('audit_events').select(['id', 'actor_name', 'after']).where('action', '=', action).where('entity_id', '=', entityId).execute();

  it('2027 is seeded as provisional statutory days and the SLA clock counts across 春节 2027 with them', async () => {
    const r = await t.call('GET', '/api/v1/service/holidays?year=2027', { cookie: clerk });
    expect(r.status).toBe(200);
    expect(r.body.provisionalYears).toContain(2027);
    expect(r.body.provisionalYears).not.toContain(2026);
    const days = r.body.items.map((d: any) => d.day);
    expect(days).toEqual(['2027-01-01', '2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-04-05', '2027-05-01', '2027-05-02', '2027-06-09', '2027-09-15', '2027-10-01', '2027-10-02', '2027-10-03']);
    expect(r.body.items.every((d: any) => d.kind === 'holiday' && d.provisional && /^provisional:/.test(d.source))).toBe(true);
    // the SLA clock reads the table: Thu 02-04 + 2 working days -> 02-05 Fri and 02-08 Mon are 春节 -> 02-09 (1), 02-10 (2)
    const cal = await loadCalendar(t.db.kysely);
    expect(cal.addWorkingDays('2027-02-04', 2)).toBe('2027-02-10');
    expect(cal.workingDaysBetween('2027-02-04', '2027-02-12')).toBe(4); // 09, 10, 11, 12
    expect(cal.isWorkingDay('2027-02-05')).toBe(false);
    // without the 2027 rows (the shipped 2024-2026 file) it would be 02-08
    expect(WorkCalendar.shipped().addWorkingDays('2027-02-04', 2)).toBe('2027-02-08');
    // 国庆 2027: Thu 09-30 + 1 -> 10-01 Fri holiday, weekend (statutory) -> Mon 10-04
    expect(cal.addWorkingDays('2027-09-30', 1)).toBe('2027-10-04');
  });

  it('import a year: admin only, bad input names the field and writes nothing, replaces the year, audited', async () => {
    const notice = {
      year: 2028, source: '国务院办公厅关于2028年部分节假日安排的通知 (test data)',
      holidays: [{ name: '元旦', days: ['2028-01-01', '2028-01-02', '2028-01-03'] }, { name: '劳动节', days: ['2028-05-01', '2028-05-02'] }],
      workdays: [{ name: '劳动节调休', days: ['2028-04-29'] }],
    };
    expect((await t.call('POST', '/api/v1/service/holidays/import', { cookie: clerk, body: notice })).status).toBe(403);
    const bad = async (body: unknown, field: string) => {
      const r = await t.call('POST', '/api/v1/service/holidays/import', { cookie: admin, body });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.details.field).toBe(field);
    };
    await bad({ ...notice, workdays: [{ name: '调休', days: ['2028-05-03'] }] }, 'workdays.0.days.0'); // a Wednesday
    await bad({ ...notice, holidays: [...notice.holidays, { name: '春节', days: ['2027-12-31'] }] }, 'holidays.2.days.0');
    await bad({ ...notice, holidays: [{ name: '元旦', days: ['2028-01-01', '2028-02-30'] }] }, 'holidays.0.days.1');
    await bad({ ...notice, holidays: [{ name: '元旦', days: ['2028-01-01'] }, { name: 'x', days: ['2028-01-01'] }] }, 'holidays.1.days.0');
    await bad({ ...notice, source: ' ' }, 'source');
    await bad({ ...notice, year: '2028' }, 'year');
    await bad({ ...notice, holidays: [{ name: '', days: ['2028-01-01'] }] }, 'holidays.0.name');
    expect((await t.call('GET', '/api/v1/service/holidays?year=2028', { cookie: admin })).body.items).toHaveLength(0);

    const ok = await t.call('POST', '/api/v1/service/holidays/import', { cookie: admin, body: notice });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ year: 2028, replaced: 0, saved: 6, holidays: 5, workdays: 1, provisional: false });
    const y = await t.call('GET', '/api/v1/service/holidays?year=2028', { cookie: clerk });
    expect(y.body.items.map((d: any) => `${d.day}:${d.kind}`)).toEqual(['2028-01-01:holiday', '2028-01-02:holiday', '2028-01-03:holiday', '2028-04-29:workday', '2028-05-01:holiday', '2028-05-02:holiday']);
    // importing again replaces (a removed day disappears)
    const again = await t.call('POST', '/api/v1/service/holidays/import', { cookie: admin, body: { ...notice, holidays: [notice.holidays[0]], provisional: true } });
    expect(again.body).toMatchObject({ replaced: 6, saved: 4, provisional: true });
    const y2 = await t.call('GET', '/api/v1/service/holidays?year=2028', { cookie: clerk });
    expect(y2.body.items.map((d: any) => d.day)).toEqual(['2028-01-01', '2028-01-02', '2028-01-03', '2028-04-29']);
    expect(y2.body.items[0].source).toMatch(/^provisional: 国务院办公厅/);
    expect(y2.body.provisionalYears).toEqual(expect.arrayContaining([2027, 2028]));
    const ev = await audits('holiday_calendar.import', '2028');
    expect(ev).toHaveLength(2);
    expect(ev[0].actor_name).toBe('admin');
    expect((ev[1].after as any).count).toBe(4);
    // single-day edit (existing PUT) on a provisional day: the name and source change
    const put = await t.call('PUT', '/api/v1/service/holidays', { cookie: admin, body: { items: [{ day: '2027-06-09', kind: 'holiday', name: '端午节（调整）', source: 'provisional: test edit' }] } });
    expect(put.status).toBe(200);
    const d = (await t.call('GET', '/api/v1/service/holidays?year=2027', { cookie: clerk })).body.items.find((x: any) => x.day === '2027-06-09');
    expect(d).toMatchObject({ name: '端午节（调整）', provisional: true });
  });

  it('SLA profiles: list, strict save naming the field, activate, history; clerk 403; audited', async () => {
    expect((await t.call('GET', '/api/v1/service/sla-profiles', { cookie: clerk })).status).toBe(403);
    const list = await t.call('GET', '/api/v1/service/sla-profiles', { cookie: admin });
    expect(list.status).toBe(200);
    expect(list.body.items[0]).toMatchObject({ code: 'default', active: true, stored: false });
    expect(list.body.keys.new_hv).toEqual(expect.arrayContaining(['survey', 'scheme', 'scheme_dual', 'connect']));
    const base = list.body.items[0].params;
    const withLimit = (type: string, stage: string, days: unknown) => ({ ...base, code: 'prov_a', name: '省公司时限A', limits: { ...base.limits, [type]: { ...base.limits[type], [stage]: { days, unit: 'working' } } } });
    expect((await t.call('POST', '/api/v1/service/sla-profiles', { cookie: clerk, body: withLimit('new_lv_resident', 'survey', 2) })).status).toBe(403);
    for (const [body, field] of [
      [withLimit('new_lv_resident', 'survey', -1), 'limits.new_lv_resident.survey.days'],
      [withLimit('new_lv_resident', 'survey', 2.5), 'limits.new_lv_resident.survey.days'],
      [withLimit('new_lv_resident', 'survey', '2'), 'limits.new_lv_resident.survey.days'],
      [withLimit('new_lv_resident', 'design_review', 3), 'limits.new_lv_resident.design_review'],
      [{ ...withLimit('new_lv_resident', 'survey', 2), limits: { ...base.limits, nope: {} } }, 'limits.nope'],
      [{ ...withLimit('new_lv_resident', 'survey', 2), warnDays: -1 }, 'warnDays'],
      [{ ...withLimit('new_lv_resident', 'survey', 2), code: 'Bad Code' }, 'code'],
    ] as const) {
      const r = await t.call('POST', '/api/v1/service/sla-profiles', { cookie: admin, body });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.details.field).toBe(field);
    }
    expect((await t.call('GET', '/api/v1/service/sla-profile', { cookie: admin })).body.code).toBe('default');

    const a = await t.call('POST', '/api/v1/service/sla-profiles', { cookie: admin, body: withLimit('new_lv_resident', 'survey', 2) });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    const b = await t.call('POST', '/api/v1/service/sla-profiles', { cookie: admin, body: { ...withLimit('new_lv_resident', 'survey', 4), code: 'prov_b', name: '省公司时限B' } });
    expect(b.status).toBe(200);
    let types = (await t.call('GET', '/api/v1/service/types', { cookie: clerk })).body;
    expect(types.items.find((x: any) => x.code === 'new_lv_resident').stages.find((s: any) => s.code === 'survey').limit.days).toBe(4);
    expect((await t.call('POST', '/api/v1/service/sla-profiles/prov_a/activate', { cookie: clerk })).status).toBe(403);
    expect((await t.call('POST', '/api/v1/service/sla-profiles/nosuch/activate', { cookie: admin })).status).toBe(404);
    const act = await t.call('POST', '/api/v1/service/sla-profiles/prov_a/activate', { cookie: admin });
    expect(act.body).toMatchObject({ code: 'prov_a', changed: true });
    types = (await t.call('GET', '/api/v1/service/types', { cookie: clerk })).body;
    expect(types.items.find((x: any) => x.code === 'new_lv_resident').stages.find((s: any) => s.code === 'survey').limit.days).toBe(2);
    const list2 = (await t.call('GET', '/api/v1/service/sla-profiles', { cookie: admin })).body;
    expect(list2.items.map((p: any) => `${p.code}:${p.active}`)).toEqual(['prov_a:true', 'prov_b:false']);
    const hist = await t.call('GET', '/api/v1/service/sla-profiles/prov_a/history', { cookie: admin });
    expect(hist.body.items.map((h: any) => h.action)).toEqual(['sla_profile.activate', 'sla_profile.activate']);
    expect((await audits('sla_profile.activate', 'prov_a'))).toHaveLength(2);
    expect((await t.call('GET', '/api/v1/service/sla-profiles/prov_a/history', { cookie: clerk })).status).toBe(403);
  });

  it("an account's open requests for the account view (clerk in scope; other station refused; filters named)", async () => {
    const app = await t.call('POST', '/api/v1/service/requests', { cookie: clerk, body: { type: 'change_class', accountId, data: { newTariffCode: RES_TARIFF } } });
    expect(app.status, JSON.stringify(app.body)).toBe(201);
    const r = await t.call('GET', `/api/v1/service/requests?accountId=${accountId}`, { cookie: clerk });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.items.map((i: any) => i.id)).toContain(app.body.id);
    expect(r.body.items.every((i: any) => i.accountId === accountId && i.status === 'open')).toBe(true);
    const item = r.body.items.find((i: any) => i.id === app.body.id);
    expect(item).toMatchObject({ type: 'change_class', stage: 'accept', promisedOn: app.body.promisedOn, overdue: false });
    expect(item.stageName.zh).toBeTruthy();
    // another account has none of these
    const other = await t.db.kysely.selectFrom('accounts').select('id').where('id', '!=', accountId).orderBy('id').executeTakeFirstOrThrow();
    const r2 = await t.call('GET', `/api/v1/service/requests?accountId=${other.id}&status=all`, { cookie: admin });
    expect(r2.body.items.map((i: any) => i.id)).not.toContain(app.body.id);
    // the customer sees own account's requests
    expect((await t.call('GET', `/api/v1/service/requests?accountId=${accountId}`, { cookie: customer })).body.items.map((i: any) => i.id)).toContain(app.body.id);
    expect((await t.call('GET', `/api/v1/service/requests?accountId=${other.id}`, { cookie: customer })).status).toBe(403);
    // clerk2 (another 供电所) is refused the account
    const scoped = await t.call('GET', `/api/v1/service/requests?accountId=${accountId}`, { cookie: clerk2 });
    expect(scoped.status).toBe(403);
    const bad = await t.call('GET', `/api/v1/service/requests?accountId=${accountId}&role=counter_clerk`, { cookie: clerk });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('role');
    const none = await t.call('GET', '/api/v1/service/requests?accountId=99999999', { cookie: clerk });
    expect(none.body.error.details.field).toBe('accountId');
  });
});
