/**
 * VEE rule sets as data: the seeded active version equals the code defaults, drafts validate
 * every threshold (errors name the field), activation is audited and changes what the pure
 * VEE function decides with getActiveRuleSet, retire/rollback, permissions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { getActiveRuleSet, readActiveRuleSet } from '../../src/app/metering/rule-sets.js';
import { checkReading, DEFAULT_RULE_SET } from '../../src/domain/metering/vee.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import { writeXlsx, xlsxToCsvText } from '../../src/domain/formats/xlsx.js';

const DAY = 86_400_000;

describe.each(engines())('VEE rule sets on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 20 });
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  // 30 days at 10 kWh/day of history, now 13 kWh/day: +30 %
  const now = new Date('2026-11-27T10:00:00+08:00');
  const input = {
    register: 'TOTAL', value: '1390', readAt: new Date(now.getTime() - DAY), now,
    meter: { digits: 6, decimals: 2, multiplier: '1' },
    previous: { value: '1000', readAt: new Date(now.getTime() - 31 * DAY) },
    history: [{ kwh: '300', days: 30 }],
  };

  it('seeds the code defaults as the active version; anyone with reading.read sees it', async () => {
    const clerk = await t.login('clerk');
    const a = await t.call('GET', '/api/v1/metering/rule-sets/active', { cookie: clerk });
    expect(a.status).toBe(200);
    expect(a.body.version).toBe(DEFAULT_RULE_SET.version);
    const { version: _v, ...defaults } = DEFAULT_RULE_SET;
    expect(a.body.params).toEqual({ ...defaults, missingGraceDays: 2 });
    const rules = await getActiveRuleSet(t.db);
    expect(rules).toMatchObject({ version: DEFAULT_RULE_SET.version, spikeRatio: 0.5 });
    expect(checkReading(input, rules).status).toBe('accepted');
    const l = await t.call('GET', '/api/v1/metering/rule-sets', { cookie: clerk });
    expect(l.body.items.map((i: any) => [i.version, i.status])).toEqual([[DEFAULT_RULE_SET.version, 'active']]);
    expect(l.body.params.find((p: any) => p.key === 'spikeRatio')).toMatchObject({ min: 0, minExclusive: true, max: 10 });
  });

  it('refuses bad thresholds naming the field, and users without reading.rules', async () => {
    const checker = await t.login('checker');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ spikeRatio: 0 }, 'params.spikeRatio'], [{ spikeRatio: 10.5 }, 'params.spikeRatio'], [{ spikeRatio: 'abc' }, 'params.spikeRatio'],
      [{ dropRatio: 1.2 }, 'params.dropRatio'], [{ futureSkewMinutes: 1.5 }, 'params.futureSkewMinutes'], [{ missingGraceDays: -1 }, 'params.missingGraceDays'],
      [{ spikeRatio: 0.3, bogus: 1 }, 'params.bogus'], [{}, 'params'], [{ spikeRatio: 0.5 }, 'params'],
    ];
    for (const [params, field] of cases) {
      const r = await t.call('POST', '/api/v1/metering/rule-sets', { cookie: checker, body: { params } });
      expect(r.status, JSON.stringify(params)).toBe(400);
      expect(r.body.error.details.field).toBe(field);
    }
    const bad = await t.call('POST', '/api/v1/metering/rule-sets', { cookie: checker, body: { params: { spikeRatio: 0.3 }, version: 'no spaces' } });
    expect(bad.body.error.details.field).toBe('version');
    const clerk = await t.login('clerk');
    const f = await t.call('POST', '/api/v1/metering/rule-sets', { cookie: clerk, body: { params: { spikeRatio: 0.3 } } });
    expect(f.status).toBe(403);
    const n = await t.db.kysely.selectFrom('vee_rule_sets').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);
  });

  let draft = '';
  it('a draft with spikeRatio 0.2 changes nothing until activated; activation is audited and changes the VEE outcome', async () => {
    const checker = await t.login('checker');
    const d = await t.call('POST', '/api/v1/metering/rule-sets', { cookie: checker, body: { params: { spikeRatio: 0.2, missingGraceDays: '3' }, note: '收紧突增阈值' } });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ status: 'draft', basedOn: DEFAULT_RULE_SET.version, note: '收紧突增阈值', createdBy: '核算员 赵敏' });
    expect(d.body.params).toMatchObject({ spikeRatio: 0.2, dropRatio: 0.5, missingGraceDays: 3 });
    expect(d.body.version).toMatch(/^\d{4}-\d{2}-\d{2}\.1$/);
    draft = d.body.version;
    // still the old one in force
    expect((await readActiveRuleSet(t.db.kysely)).spikeRatio).toBe(0.5);
    expect(checkReading(input, await getActiveRuleSet(t.db)).status).toBe('accepted');

    const clerk = await t.login('clerk');
    expect((await t.call('POST', `/api/v1/metering/rule-sets/${draft}/activate`, { cookie: clerk, body: {} })).status).toBe(403);
    const a = await t.call('POST', `/api/v1/metering/rule-sets/${draft}/activate`, { cookie: checker, body: {} });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ version: draft, status: 'active', previous: DEFAULT_RULE_SET.version, activatedBy: '核算员 赵敏' });
    const rules = await getActiveRuleSet(t.db); // cache was invalidated by the activation
    expect(rules).toMatchObject({ version: draft, spikeRatio: 0.2, missingGraceDays: 3 });
    const chk = checkReading(input, rules);
    expect(chk.status).toBe('pending_review');
    expect(chk.flags).toContain('SPIKE');
    expect(chk.ruleSetVersion).toBe(draft);

    const list = await t.call('GET', '/api/v1/metering/rule-sets', { cookie: clerk });
    expect(list.body.active).toBe(draft);
    expect(list.body.items.find((i: any) => i.version === DEFAULT_RULE_SET.version).status).toBe('retired');
    const ev = await t.db.kysely.selectFrom('audit_events').selectAll().where('action', '=', 'vee_rule_set.activate').executeTakeFirstOrThrow();
    const before = typeof ev.before === 'string' ? JSON.parse(ev.before) : ev.before;
    const after = typeof ev.after === 'string' ? JSON.parse(ev.after) : ev.after;
    expect(before).toMatchObject({ active: DEFAULT_RULE_SET.version, params: { spikeRatio: 0.5 } });
    expect(after).toMatchObject({ active: draft, params: { spikeRatio: 0.2 } });
    expect(await t.db.kysely.selectFrom('audit_events').select('id').where('action', '=', 'vee_rule_set.create').execute()).toHaveLength(1);
  });

  it('refuses to activate the active one or retire it; retires a draft; rolls back to a retired version', async () => {
    const checker = await t.login('checker');
    expect((await t.call('POST', `/api/v1/metering/rule-sets/${draft}/activate`, { cookie: checker, body: {} })).status).toBe(409);
    expect((await t.call('POST', `/api/v1/metering/rule-sets/${draft}/retire`, { cookie: checker })).status).toBe(409);
    expect((await t.call('POST', '/api/v1/metering/rule-sets/nope/activate', { cookie: checker, body: {} })).status).toBe(404);
    const d2 = await t.call('POST', '/api/v1/metering/rule-sets', { cookie: checker, body: { params: { dropRatio: 0.4 }, version: 'test-v2' } });
    expect(d2.body).toMatchObject({ version: 'test-v2', basedOn: draft, params: { spikeRatio: 0.2, dropRatio: 0.4 } });
    expect((await t.call('POST', '/api/v1/metering/rule-sets', { cookie: checker, body: { params: { dropRatio: 0.3 }, version: 'test-v2' } })).status).toBe(409);
    const r = await t.call('POST', '/api/v1/metering/rule-sets/test-v2/retire', { cookie: checker });
    expect(r.body.status).toBe('retired');
    const back = await t.call('POST', `/api/v1/metering/rule-sets/${DEFAULT_RULE_SET.version}/activate`, { cookie: checker, body: { note: 'rollback' } });
    expect(back.status).toBe(200);
    expect(await getActiveRuleSet(t.db)).toMatchObject({ version: DEFAULT_RULE_SET.version, spikeRatio: 0.5 });
    const actives = await t.db.kysely.selectFrom('vee_rule_sets').select('version').where('status', '=', 'active').execute();
    expect(actives).toHaveLength(1);
    // the partial unique index holds even against a direct write
    await expect(t.db.kysely.updateTable('vee_rule_sets').set({ status: 'active' }).where('version', '=', draft).execute()).rejects.toThrow();
    expect(await verifyAudit(t.db)).toMatchObject({ ok: true });
  });

  it('an .xlsx workbook feeds the CSV import unchanged: Excel row numbers in the report, date cells as readAt', async () => {
    const a = await t.db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
      .innerJoin('meter_installations as mi', 'mi.account_id', 'a.id').innerJoin('meters as m', 'm.id', 'mi.meter_id')
      .select(['a.account_no', 'mi.initial_readings', 'm.multiplier'])
      .where('o.code', '=', 'ST01').where('a.status', '=', 'active').where('mi.removed_on', 'is', null).where('m.multiplier', '=', '1.0000')
      .orderBy('a.id').executeTakeFirstOrThrow();
    const total = (Number((a.initial_readings as Record<string, string>).TOTAL) + 12.5).toFixed(2);
    const day = new Date(Date.now() + 8 * 3600_000 - DAY).toISOString().slice(0, 10);
    const buf = writeXlsx([{ name: '抄表', header: true, rows: [
      ['accountNo', 'meterAssetNo', 'register', 'readAt', 'value', 'exceptionCode'],
      [Number(a.account_no), null, 'TOTAL', { date: `${day} 09:30` }, Number(total)],
      [],
      [a.account_no, null, 'BOGUS', `${day} 09:31`, '1'],
    ] }]);
    const reader = await t.login('reader');
    const r = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body: { csv: xlsxToCsvText(buf), fileName: 'readings.xlsx' } });
    expect(r.status).toBe(200);
    expect(r.body.rows.map((x: any) => [x.row, x.status])).toEqual([[2, 'accepted'], [4, 'rejected']]);
    expect(r.body.rows[0]).toMatchObject({ value: total + '00', consumption: '12.5000', readAt: new Date(`${day}T09:30:00+08:00`).toISOString() });
    expect(() => xlsxToCsvText(Buffer.from('accountNo,register\n'))).toThrow(/xlsx: not an \.xlsx file/);
  });

  it('measures: cached getActiveRuleSet vs a read per call', async () => {
    const N = 200;
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await readActiveRuleSet(t.db.kysely);
    const uncached = (performance.now() - t0) / N;
    t0 = performance.now();
    for (let i = 0; i < N; i++) await getActiveRuleSet(t.db);
    const cached = (performance.now() - t0) / N;
    console.log(JSON.stringify({ engine, readPerCallMs: +uncached.toFixed(3), cachedMs: +cached.toFixed(4) }));
    expect(cached).toBeLessThan(uncached);
  });
});
