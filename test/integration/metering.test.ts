/**
 * Meter reading integration tests, on PGlite and (with DATABASE_URL) PostgreSQL: reading tasks,
 * phone submit with offline re-send, CSV import (mixed rows, idempotent re-import), VEE flags,
 * review accept/edit/estimate, consumption across a meter exchange, permission and scope.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import { writeXlsx, xlsxRows } from '../../src/domain/formats/xlsx.js';

const DAY = 86_400_000;
const iso = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString().slice(0, 19) + 'Z';
const add = (v: string, d: number) => (Number(v) + d).toFixed(2);

interface Acc { id: number; account_no: string; meter_id: number; asset_no: string; metering_point_id: number; multiplier: string; registers: string[]; initial: Record<string, string>; route: number }

describe.each(engines())('metering on %s', (engine) => {
  let t: TestApp;
  let accs: Acc[];
  let other: Acc; // an account outside 城关
  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 120 });
    const old = new Date(Date.now() - 400 * DAY).toISOString().slice(0, 10);
    const rows = await t.db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
      .innerJoin('meter_installations as mi', 'mi.account_id', 'a.id').innerJoin('meters as m', 'm.id', 'mi.meter_id')
      .select(['a.id', 'a.account_no', 'mi.meter_id', 'm.asset_no', 'mi.metering_point_id', 'm.multiplier', 'm.registers', 'mi.initial_readings', 'a.reading_route_id', 'o.code'])
      .where('mi.installed_on', '<', old).where('a.status', '=', 'active').where('m.multiplier', '=', '1.0000').orderBy('a.id').execute();
    const map = (r: any): Acc => ({ ...r, initial: r.initial_readings, route: r.reading_route_id });
    accs = rows.filter((r) => r.code === 'ST01').map(map);
    other = map(rows.find((r) => r.code === 'ST02'));
    expect(accs.length).toBeGreaterThanOrEqual(10);
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  const visit = (a: Acc, daysAgo: number, total: string, extra: Record<string, unknown> = {}) => {
    const adv = Number(total) - Number(a.initial.TOTAL);
    const readings: Record<string, string> = { TOTAL: total };
    // keep 峰+谷 advances equal to the total advance
    if (a.registers.includes('PEAK') && a.registers.includes('VALLEY') && !a.registers.includes('FLAT')) {
      readings.PEAK = add(a.initial.PEAK, Math.round(adv * 0.6 * 100) / 100);
      readings.VALLEY = add(a.initial.VALLEY, Math.round((adv - Math.round(adv * 0.6 * 100) / 100) * 100) / 100);
    }
    return { clientId: crypto.randomUUID(), accountId: a.id, readAt: iso(daysAgo), readings, ...extra };
  };

  it('generates reading tasks for a route and period, idempotently; the reader sees them in walking order', async () => {
    const checker = await t.login('checker');
    const period = new Date().toISOString().slice(0, 7);
    const g = await t.call('POST', '/api/v1/reading-tasks/generate', { cookie: checker, body: { period, routeIds: [accs[0].route] } });
    expect(g.status).toBe(200);
    expect(g.body.routes[0].created).toBeGreaterThan(0);
    // no assignee given: the route's assigned reader (none here)
    expect(g.body.routes[0].assignedTo).toBeNull();
    const again = await t.call('POST', '/api/v1/reading-tasks/generate', { cookie: checker, body: { period, routeIds: [accs[0].route] } });
    expect(again.body.routes[0]).toMatchObject({ created: 0, total: g.body.routes[0].created });
    const reader = await t.login('reader');
    const list = await t.call('GET', `/api/v1/reading-routes/${accs[0].route}/tasks?period=${period}`, { cookie: reader });
    expect(list.status).toBe(200);
    const seq = list.body.items.map((i: any) => i.sequence);
    expect(seq).toEqual([...seq].sort((a, b) => a - b));
    const mine = list.body.items.find((i: any) => i.account.id === accs[0].id);
    expect(mine.status).toBe('pending');
    expect(Number(mine.lastReadings.TOTAL.value)).toBe(Number(accs[0].initial.TOTAL));
    // with a reader assigned to the route, the next period's tasks go to that reader
    const readerUser = await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'reader').executeTakeFirstOrThrow();
    await t.db.kysely.updateTable('reading_routes').set({ reader_user_id: readerUser.id }).where('id', '=', accs[0].route).execute();
    const g2 = await t.call('POST', '/api/v1/reading-tasks/generate', { cookie: checker, body: { period: '2020-01', routeIds: [accs[0].route] } });
    expect(g2.body.routes[0].assignedTo).toBe(readerUser.id);
    const mineOnly = await t.call('GET', `/api/v1/reading-routes/${accs[0].route}/tasks?period=2020-01&mine=true`, { cookie: reader });
    expect(mineOnly.body.items.length).toBe(g2.body.routes[0].created);
    await t.db.kysely.updateTable('reading_routes').set({ status: 'inactive' }).where('id', '=', accs[0].route).execute();
    const inactive = await t.call('POST', '/api/v1/reading-tasks/generate', { cookie: checker, body: { period: '2020-02', routeIds: [accs[0].route] } });
    expect(inactive.status).toBe(400);
    expect(inactive.body.error.details.field).toBe('routeIds');
    await t.db.kysely.updateTable('reading_routes').set({ status: 'active', reader_user_id: null }).where('id', '=', accs[0].route).execute();
    await t.db.kysely.deleteFrom('reading_tasks').where('billing_period', '=', '2020-01').execute();
    const bad = await t.call('POST', '/api/v1/reading-tasks/generate', { cookie: checker, body: { period: '2026-13', routeIds: [accs[0].route] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('period');
  });

  it('phone submit stores readings with consumption; a re-sent batch is de-duplicated and returns the original results', async () => {
    const reader = await t.login('reader');
    const a = accs[0];
    const v = { ...visit(a, 1, add(a.initial.TOTAL, 100)), exceptionCode: null, photoRef: 'photos/2026/11/a.jpg', gps: { lat: 30.2741, lon: 120.1551 } };
    const r = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [v] } });
    expect(r.status).toBe(200);
    const total = r.body.items[0].readings.find((x: any) => x.register === 'TOTAL');
    expect(total).toMatchObject({ status: 'accepted', consumption: '100.0000' });
    expect(r.body.summary.stored).toBe(Object.keys(v.readings).length);
    const n0 = await t.db.kysely.selectFrom('register_readings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const again = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [v] } });
    expect(again.status).toBe(200);
    expect(again.body.items[0].duplicate).toBe(true);
    expect(again.body.items[0].readings.find((x: any) => x.register === 'TOTAL')).toMatchObject({ readingId: total.readingId, status: 'accepted', consumption: '100.0000' });
    expect(again.body.summary.stored).toBe(0);
    const n1 = await t.db.kysely.selectFrom('register_readings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(n1.n)).toBe(Number(n0.n));
    const row = await t.db.kysely.selectFrom('register_readings').selectAll().where('id', '=', total.readingId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ source: 'phone', photo_ref: 'photos/2026/11/a.jpg', client_id: v.clientId });
    expect(Number(row.gps_lat)).toBeCloseTo(30.2741);
    // the task is marked read
    const task = await t.db.kysely.selectFrom('reading_tasks').select('status').where('account_id', '=', a.id).executeTakeFirst();
    expect(task?.status).toBe('read');
    // history
    const h = await t.call('GET', `/api/v1/accounts/${a.id}/readings?register=TOTAL`, { cookie: reader });
    expect(h.status).toBe(200);
    expect(h.body.items[0]).toMatchObject({ value: add(a.initial.TOTAL, 100) + '00', status: 'accepted', gps: { lat: 30.2741, lon: 120.1551 } });
    // bad input names the field
    const bad = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [{ ...v, clientId: 'nope' }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('items.0.clientId');
    const fut = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [{ ...visit(a, -2, add(a.initial.TOTAL, 200)) }] } });
    expect(fut.body.items[0].readings[0]).toMatchObject({ status: 'rejected', reason: 'FUTURE_TIMESTAMP' });
  });

  let spikeId = 0, backwardsId = 0, stoppedId = 0;
  it('VEE flags a spike against history and a register that went backwards', async () => {
    const reader = await t.login('reader');
    const a = accs[1];
    const first = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [visit(a, 61, add(a.initial.TOTAL, 100)), visit(a, 31, add(a.initial.TOTAL, 200))] } });
    expect(first.body.items.flatMap((i: any) => i.readings).every((x: any) => x.status === 'accepted')).toBe(true);
    const spike = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [visit(a, 1, add(a.initial.TOTAL, 1200))] } });
    const st = spike.body.items[0].readings.find((x: any) => x.register === 'TOTAL');
    expect(st.status).toBe('pending_review');
    expect(st.ruleResults.map((r: any) => r.rule)).toContain('SPIKE');
    expect(st.ruleResults.find((r: any) => r.rule === 'SPIKE')).toMatchObject({ severity: 'warning', zh: expect.stringMatching(/突增/), en: expect.stringMatching(/above history/) });
    spikeId = st.readingId;

    const b = accs[2];
    const back = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [{ accountId: b.id, readAt: iso(1), readings: { TOTAL: add(b.initial.TOTAL, -500) } }] } });
    const bt = back.body.items[0].readings[0];
    expect(bt.status).toBe('pending_review');
    expect(bt.ruleResults[0].rule).toBe('REGISTER_BACKWARDS');
    expect(bt.consumption).toBeNull();
    backwardsId = bt.readingId;

    const c = accs[3];
    const stopped = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [{ accountId: c.id, readAt: iso(1), readings: { TOTAL: add(c.initial.TOTAL, 10) }, exceptionCode: 'STOPPED' }] } });
    expect(stopped.body.items[0].readings[0].ruleResults[0]).toMatchObject({ rule: 'EXCEPTION_REPORTED', zh: expect.stringMatching(/表计停走/) });
    stoppedId = stopped.body.items[0].readings[0].readingId;
  });

  it('the billing checker reviews the queue: accept, edit (audited), estimate', async () => {
    const checker = await t.login('checker');
    const q = await t.call('GET', '/api/v1/readings/review?pageSize=100', { cookie: checker });
    expect(q.status).toBe(200);
    const ids = q.body.items.map((i: any) => i.id);
    expect(ids).toEqual(expect.arrayContaining([spikeId, backwardsId, stoppedId]));
    expect(q.body.items.find((i: any) => i.id === spikeId)).toMatchObject({ accountNo: accs[1].account_no, ruleResults: expect.any(Array) });

    const acc = await t.call('POST', `/api/v1/readings/${stoppedId}/accept`, { cookie: checker, body: { reason: '现场核实' } });
    expect(acc.status).toBe(200);
    expect(acc.body.status).toBe('accepted');
    expect((await t.call('POST', `/api/v1/readings/${stoppedId}/accept`, { cookie: checker, body: {} })).status).toBe(409);

    const b = accs[2];
    const noReason = await t.call('POST', `/api/v1/readings/${backwardsId}/edit`, { cookie: checker, body: { value: add(b.initial.TOTAL, 50) } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details.field).toBe('reason');
    const ed = await t.call('POST', `/api/v1/readings/${backwardsId}/edit`, { cookie: checker, body: { value: add(b.initial.TOTAL, 50), reason: '抄错一位, 照片核对' } });
    expect(ed.status).toBe(200);
    expect(ed.body).toMatchObject({ status: 'accepted', consumption: '50.0000', originalValue: add(b.initial.TOTAL, -500) + '00' });
    const audit = await t.db.kysely.selectFrom('audit_events').selectAll().where('action', '=', 'reading.edit').execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0].after)).toMatch(/抄错一位/);

    const a = accs[1];
    const es = await t.call('POST', `/api/v1/readings/${spikeId}/estimate`, { cookie: checker, body: { basis: 'previous_period', reason: '突增待核' } });
    expect(es.status).toBe(200);
    // previous reading + the previous period's advance (100)
    expect(es.body).toMatchObject({ status: 'estimated', value: add(a.initial.TOTAL, 300) + '00', consumption: '100.0000', basis: 'previous_period' });
    const row = await t.db.kysely.selectFrom('register_readings').select(['status', 'source', 'quality_flags']).where('id', '=', spikeId).executeTakeFirstOrThrow();
    expect(row.status).toBe('estimated');
    expect(row.quality_flags).toContain('ESTIMATED');
    // the next actual reading is computed against the estimate and says it settles it
    const reader0 = await t.login('reader');
    const next = await t.call('POST', '/api/v1/readings', { cookie: reader0, body: { items: [{ accountId: a.id, readAt: iso(0.5), readings: { TOTAL: add(a.initial.TOTAL, 320) } }] } });
    expect(next.body.items[0].readings[0]).toMatchObject({ consumption: '20.0000' });
    expect(next.body.items[0].readings[0].ruleResults.map((r: any) => r.rule)).toContain('SETTLES_ESTIMATE');
    const q2 = await t.call('GET', '/api/v1/readings/review?pageSize=100', { cookie: checker });
    expect(q2.body.items.map((i: any) => i.id)).not.toContain(spikeId);
    // a meter reader may not review
    const reader = await t.login('reader');
    expect((await t.call('GET', '/api/v1/readings/review', { cookie: reader })).status).toBe(403);
  });

  it('门闭: a visit with only an exception code goes to review, the task shows the exception, the checker estimates it', async () => {
    const reader = await t.login('reader');
    const a = accs[0];
    const r = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [{ clientId: crypto.randomUUID(), accountId: a.id, readAt: iso(0.5), exceptionCode: 'DOOR_LOCKED', photoRef: 'photos/door.jpg' }] } });
    expect(r.status).toBe(200);
    const x = r.body.items[0].readings[0];
    expect(x).toMatchObject({ register: 'TOTAL', status: 'pending_review', value: null });
    const task = await t.db.kysely.selectFrom('reading_tasks').select(['status', 'exception_code']).where('account_id', '=', a.id).executeTakeFirst();
    expect(task).toMatchObject({ status: 'exception', exception_code: 'DOOR_LOCKED' });
    const checker = await t.login('checker');
    expect((await t.call('POST', `/api/v1/readings/${x.readingId}/accept`, { cookie: checker, body: {} })).status).toBe(409);
    const es = await t.call('POST', `/api/v1/readings/${x.readingId}/estimate`, { cookie: checker, body: {} });
    expect(es.status).toBe(200);
    // previous reading (initial + 100) + the previous period's advance (100 since installation) scaled to this period's length
    expect(es.body).toMatchObject({ status: 'estimated', basis: 'previous_period' });
    expect(Number(es.body.value)).toBeGreaterThanOrEqual(Number(add(a.initial.TOTAL, 100)));
    expect(Number(es.body.value)).toBeLessThan(Number(add(a.initial.TOTAL, 101)));
  });

  it('CSV import: per-row report, good rows stored, re-import changes nothing', async () => {
    const reader = await t.login('reader');
    const tpl = await t.call('GET', '/api/v1/readings/import-template', { cookie: reader });
    expect(tpl.status).toBe(200);
    expect(String(tpl.headers['content-type'])).toMatch(/text\/csv/);
    expect(tpl.body).toMatch(/accountNo,meterAssetNo,register,readAt,value,exceptionCode/);
    const [e, f, g] = [accs[4], accs[5], accs[6]];
    await t.db.kysely.updateTable('accounts').set({ status: 'closed', closed_on: new Date().toISOString().slice(0, 10) }).where('id', '=', g.id).execute();
    const at = iso(2);
    const csv = [
      'accountNo,meterAssetNo,register,readAt,value,exceptionCode',
      `${e.account_no},,TOTAL,${at},${add(e.initial.TOTAL, 10)},`, // 2 ok
      `,${f.asset_no},TOTAL,${at},${add(f.initial.TOTAL, 20)},`, // 3 ok by asset no
      `${e.account_no},,TOTAL,${at},${add(e.initial.TOTAL, 10)},`, // 4 duplicate in file
      `${e.account_no},,TOTAL,${at}`, // 5 malformed
      `9999999999,,TOTAL,${at},100,`, // 6 unknown
      `${g.account_no},,TOTAL,${at},${add(g.initial.TOTAL, 10)},`, // 7 closed
      `${accs[7].account_no},,TOTAL,${iso(-3)},${add(accs[7].initial.TOTAL, 10)},`, // 8 future
      `${accs[8].account_no},,TOTAL,${at},abc,`, // 9 non-numeric
      `${accs[9].account_no},,TOTAL,${at},12345678,`, // 10 too many digits
      `"${other.account_no}",,TOTAL,${at},${add(other.initial.TOTAL, 10)},`, // 11 out of scope for the reader
    ].join('\r\n');
    const r = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body: { csv, fileName: 'nov.csv' } });
    expect(r.status).toBe(200);
    const by = Object.fromEntries(r.body.rows.map((x: any) => [x.row, x]));
    expect(by[2]).toMatchObject({ status: 'accepted', readingId: expect.any(Number), consumption: '10.0000' });
    expect(by[3].status).toBe('accepted');
    expect(by[4]).toMatchObject({ status: 'rejected', reason: 'DUPLICATE' });
    expect(by[5]).toMatchObject({ status: 'rejected', reason: 'MALFORMED_ROW' });
    expect(by[6]).toMatchObject({ status: 'rejected', reason: 'UNKNOWN_METER' });
    expect(by[7]).toMatchObject({ status: 'rejected', reason: 'ACCOUNT_CLOSED' });
    expect(by[8]).toMatchObject({ status: 'rejected', reason: 'FUTURE_TIMESTAMP' });
    expect(by[9]).toMatchObject({ status: 'rejected', reason: 'NOT_NUMERIC' });
    expect(by[10]).toMatchObject({ status: 'rejected', reason: 'TOO_MANY_DIGITS' });
    expect(by[11]).toMatchObject({ status: 'rejected', reason: 'OUT_OF_SCOPE' });
    expect(by[5].message.en).toBeTruthy();
    expect(r.body.summary).toMatchObject({ rows: 10, stored: 2, rejected: 8 });
    const stored = await t.db.kysely.selectFrom('register_readings').select(['source', 'consumption']).where('account_id', 'in', [e.id, f.id]).where('source', '=', 'import').execute();
    expect(stored.map((s) => s.consumption).sort()).toEqual(['10.0000', '20.0000']);
    const count = async () => Number((await t.db.kysely.selectFrom('register_readings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const again = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body: { csv, fileName: 'nov.csv' } });
    expect(again.status).toBe(200);
    expect(again.body.summary.stored).toBe(0);
    expect(again.body.rows.find((x: any) => x.row === 2)).toMatchObject({ status: 'rejected', reason: 'DUPLICATE' });
    expect(await count()).toBe(before);
    const audits = await t.db.kysely.selectFrom('audit_events').select('after').where('action', '=', 'reading.import').execute();
    expect(audits).toHaveLength(2);
    expect(audits[0].after).toMatchObject({ rows: 10, stored: 2, fileName: 'nov.csv' });
    const noHeader = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body: { csv: 'a,b\n1,2' } });
    expect(noHeader.status).toBe(400);
    expect(noHeader.body.error.details.field).toBe('csv');
  });

  it('validation uses the active rule set: a stricter spike threshold flags a +35 % month, and the reading records the version', async () => {
    const reader = await t.login('reader');
    const checker = await t.login('checker');
    const a = accs[8];
    // history: 100 kWh per 30 days, then +135 kWh (+35 %): accepted under the default ±50 %
    const base = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [visit(a, 90, add(a.initial.TOTAL, 100)), visit(a, 60, add(a.initial.TOTAL, 200))] } });
    expect(base.status).toBe(200);
    const ok = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [visit(a, 30, add(a.initial.TOTAL, 335))] } });
    const okTotal = ok.body.items[0].readings.find((x: any) => x.register === 'TOTAL');
    expect(okTotal.ruleResults.map((r: any) => r.rule)).not.toContain('SPIKE');
    const d = await t.call('POST', '/api/v1/metering/rule-sets', { cookie: checker, body: { params: { spikeRatio: 0.2 }, note: 'stricter spikes' } });
    expect(d.status).toBeLessThan(300);
    const version = d.body.version;
    expect((await t.call('POST', `/api/v1/metering/rule-sets/${version}/activate`, { cookie: checker, body: {} })).status).toBe(200);
    try {
      // the next month +135 kWh again vs a history now averaging ~112/30 d: above +20 %
      const r = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [visit(a, 1, add(a.initial.TOTAL, 480))] } });
      const total = r.body.items[0].readings.find((x: any) => x.register === 'TOTAL');
      expect(total, JSON.stringify(total)).toMatchObject({ status: 'pending_review' });
      expect(total.ruleResults.map((x: any) => x.rule)).toContain('SPIKE');
      const row = await t.db.kysely.selectFrom('register_readings').select('rule_set_version').where('id', '=', total.readingId).executeTakeFirstOrThrow();
      expect(row.rule_set_version).toBe(version);
      expect((await t.call('GET', '/api/v1/readings/rules', { cookie: reader })).body.ruleSet).toMatchObject({ version, spikeRatio: 0.2 });
    } finally {
      // back to the defaults for the other tests
      const list = await t.call('GET', '/api/v1/metering/rule-sets', { cookie: checker });
      const first = list.body.items.find((x: any) => x.version !== version);
      await t.call('POST', `/api/v1/metering/rule-sets/${first.version}/activate`, { cookie: checker, body: {} });
    }
  });

  it('Excel import: template download, a workbook with a date-formatted readAt, per-row report, re-import changes nothing', async () => {
    const reader = await t.login('reader');
    const tpl = await t.app.inject({ method: 'GET', url: '/api/v1/readings/import-template?format=xlsx', headers: { cookie: reader } });
    expect(tpl.statusCode).toBe(200);
    expect(String(tpl.headers['content-type'])).toMatch(/spreadsheetml/);
    const tplRows = xlsxRows(tpl.rawPayload);
    expect(tplRows[0]).toEqual(['accountNo', 'meterAssetNo', 'register', 'readAt', 'value', 'exceptionCode']);
    expect(tplRows[1][0]).toBe('3310000001'); // text, not 3.31E+09
    const a = accs[9];
    const book = writeXlsx([{ name: '抄表', header: true, textColumns: [0], rows: [
      ['accountNo', 'register', 'readAt', 'value'],
      [a.account_no, 'TOTAL', { date: '2026-03-10 09:30' }, Number(add(a.initial.TOTAL, 88))],
      ['9999999999', 'TOTAL', { date: '2026-03-10 09:31' }, 1],
    ] }]);
    const body = { xlsx: book.toString('base64'), fileName: 'march.xlsx' };
    const r = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body });
    expect(r.status).toBe(200);
    expect(r.body.rows.map((x: any) => [x.row, x.status, x.reason ?? null])).toEqual([[2, 'accepted', null], [3, 'rejected', 'UNKNOWN_METER']]);
    expect(r.body.rows[0]).toMatchObject({ consumption: '88.0000', readAt: new Date('2026-03-10T09:30:00+08:00').toISOString() });
    const again = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body });
    expect(again.body.summary).toMatchObject({ stored: 0 });
    expect(again.body.rows[0]).toMatchObject({ status: 'rejected', reason: 'DUPLICATE' });
    const notZip = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body: { xlsx: Buffer.from('hello, not a workbook').toString('base64') } });
    expect(notZip.status).toBe(400);
    expect(notZip.body.error.details.field).toBe('xlsx');
    const both = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body: { csv: 'a', xlsx: 'AAAA' } });
    expect(both.status).toBe(400);
  });

  it('an oversized import is refused as a whole: more than 50,000 rows, or a body over the import limit', async () => {
    const reader = await t.login('reader');
    const n0 = await t.db.kysely.selectFrom('register_readings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const rows = 'accountNo,register,readAt,value\n' + `${accs[0].account_no},TOTAL,2026-01-01,1\n`.repeat(50_001);
    const many = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body: { csv: rows } });
    expect(many.status).toBe(413);
    expect(many.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { field: 'csv' } });
    const huge = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body: { csv: 'x'.repeat(17 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    expect(huge.body.error.details.field).toBe('body');
    const n1 = await t.db.kysely.selectFrom('register_readings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(n1.n)).toBe(Number(n0.n));
  });

  it('consumption across a meter exchange: old final - previous + new current - new initial', async () => {
    const admin = await t.login('admin');
    const reader = await t.login('reader');
    const a = accs[10] ?? accs[accs.length - 1];
    const r1 = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [{ accountId: a.id, readAt: iso(40), readings: { TOTAL: add(a.initial.TOTAL, 100) } }] } });
    expect(r1.body.items[0].readings[0].status).toBe('accepted');
    const m = await t.call('POST', '/api/v1/meters', { cookie: admin, body: { assetNo: 'EXCH0000001', commAddress: '990000000001', meterType: 'single_phase', registers: ['TOTAL'] } });
    expect(m.status).toBe(201);
    const exchangedOn = new Date(Date.now() - 20 * DAY + 8 * 3600_000).toISOString().slice(0, 10);
    const ex = await t.call('POST', `/api/v1/metering-points/${a.metering_point_id}/meter-exchange`, {
      cookie: admin, body: { newMeterId: m.body.id, exchangedOn, oldReadings: { TOTAL: add(a.initial.TOTAL, 150) }, newReadings: { TOTAL: '0.00' }, reason: '轮换' },
    });
    expect(ex.status).toBe(200);
    const r2 = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [{ accountId: a.id, readAt: iso(1), readings: { TOTAL: '30.00' } }] } });
    const x = r2.body.items[0].readings[0];
    expect(x).toMatchObject({ status: 'accepted', meterId: m.body.id, consumption: '80.0000' });
    expect(x.ruleResults.map((r: any) => r.rule)).toContain('METER_EXCHANGE');
  });

  it('monthly usage per billing period sums accepted and estimated consumption per register', async () => {
    const reader = await t.login('reader');
    const a = accs[5];
    const at = (y: number, m: number) => `${y}-${String(m).padStart(2, '0')}-10T09:00:00+08:00`;
    // three monthly visits in the past year: +40, +55, +70 kWh (multiplier 1)
    const base = Number(a.initial.TOTAL);
    const visits = [[2026, 6, 40], [2026, 7, 95], [2026, 8, 165]].map(([y, m, adv]) => ({
      ...visit(a, 0, (base + adv).toFixed(2)), readAt: at(y, m),
    }));
    const r = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: visits } });
    expect(r.status).toBe(200);
    const clerk = await t.login('clerk');
    const u = await t.call('GET', `/api/v1/accounts/${a.id}/usage?months=4&to=2026-08`, { cookie: clerk });
    expect(u.status).toBe(200);
    expect(u.body.items.map((i: any) => i.period)).toEqual(['2026-05', '2026-06', '2026-07', '2026-08']);
    const total = u.body.items.map((i: any) => i.registers.TOTAL ?? null);
    expect(total[0]).toBeNull();
    // the first reading is against the installation reading: 40; then 55 and 70
    expect(total.slice(1).map(Number)).toEqual([40, 55, 70]);
    expect((await t.call('GET', `/api/v1/accounts/${a.id}/usage?to=2026-13`, { cookie: clerk })).body.error.details.field).toBe('to');
    const clerk2 = await t.login('clerk2');
    expect((await t.call('GET', `/api/v1/accounts/${a.id}/usage`, { cookie: clerk2 })).body.error.code).toBe('OUT_OF_SCOPE');
  });

  it('permission and data scope', async () => {
    const collector = await t.login('collector');
    const a = accs[0];
    const body = { items: [{ accountId: a.id, readAt: iso(0.5), readings: { TOTAL: add(a.initial.TOTAL, 101) } }] };
    const c = await t.call('POST', '/api/v1/readings', { cookie: collector, body });
    expect(c.status).toBe(403);
    expect(c.body.error.code).toBe('FORBIDDEN');
    const clerk2 = await t.login('clerk2');
    expect((await t.call('POST', '/api/v1/readings', { cookie: clerk2, body })).status).toBe(403);
    expect((await t.call('GET', `/api/v1/accounts/${a.id}/readings`, { cookie: clerk2 })).body.error.code).toBe('OUT_OF_SCOPE');
    // a meter reader of 东城 may not submit for 城关
    const admin = await t.login('admin');
    const st2 = await t.db.kysely.selectFrom('org_units').select('id').where('code', '=', 'ST02').executeTakeFirstOrThrow();
    const u = await t.call('POST', '/api/v1/users', { cookie: admin, body: { username: 'reader2', displayName: '抄表员 东城', password: 'Field@Pass2026x', orgUnitId: st2.id, roles: ['meter_reader'] } });
    expect(u.status).toBe(201);
    const r2 = await t.login('reader2', 'Field@Pass2026x');
    const s = await t.call('POST', '/api/v1/readings', { cookie: r2, body });
    expect(s.status).toBe(403);
    expect(s.body.error.code).toBe('OUT_OF_SCOPE');
    const own = await t.call('POST', '/api/v1/readings', { cookie: r2, body: { items: [{ accountId: other.id, readAt: iso(1), readings: { TOTAL: add(other.initial.TOTAL, 5) } }] } });
    expect(own.status).toBe(200);
    expect((await t.call('GET', `/api/v1/reading-routes/${accs[0].route}/tasks?period=2026-11`, { cookie: r2 })).status).toBe(403);
  });

  it('a bulk CSV import (COPY path) stores every field and reports every stored reading with its id; re-importing it stores nothing', async () => {
    const reader = await t.login('reader');
    const pool = accs.slice(10);
    expect(pool.length).toBeGreaterThanOrEqual(1);
    const perAccount = Math.ceil(150 / pool.length);
    const lines = ['accountNo,meterAssetNo,register,readAt,value,exceptionCode'];
    const want = new Map<string, string>();
    const stamp = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY).toISOString().slice(0, 19) + 'Z';
    for (const a of pool) {
      for (let v = 0; v < perAccount; v++) {
        const at = stamp(380 - v);
        const value = add(a.initial.TOTAL, 5 * (v + 1));
        lines.push(`${a.account_no},${a.asset_no},TOTAL,${at},${value},`);
        want.set(`${a.meter_id}:${new Date(at).toISOString()}`, value);
      }
    }
    // two unusual rows: 门闭 (no value, an exception code) and a spike (rule results, flags)
    const p0 = pool[0];
    const locked = stamp(300), spike = stamp(250);
    lines.push(`${p0.account_no},${p0.asset_no},TOTAL,${locked},,DOOR_LOCKED`);
    lines.push(`${p0.account_no},${p0.asset_no},TOTAL,${spike},${add(p0.initial.TOTAL, 5 * perAccount + 90_000)},`);
    const n = pool.length * perAccount + 2;
    const r = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body: { csv: lines.join('\n'), fileName: 'bulk.csv' } });
    expect(r.status).toBe(200);
    expect(r.body.bulk).toBe('copy');
    expect(r.body.summary).toMatchObject({ rows: n, stored: n, rejected: 0 });
    const ids = r.body.rows.map((x: any) => x.readingId);
    expect(ids.every((x: unknown) => typeof x === 'number')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // each reported id is the stored row of that line, with every field the report gives
    const rows = await t.db.kysely.selectFrom('register_readings')
      .select(['id', 'meter_id', 'read_at', 'value', 'source', 'consumption', 'status', 'exception_code', 'quality_flags', 'rule_results', 'rule_set_version', 'billing_period', 'entered_by'])
      .where('id', 'in', ids).execute();
    expect(rows).toHaveLength(ids.length);
    const byId = new Map(rows.map((x) => [Number(x.id), x]));
    for (const x of r.body.rows) {
      const row = byId.get(x.readingId)!;
      expect(new Date(row.read_at).toISOString()).toBe(x.readAt);
      expect(Number(row.meter_id)).toBe(x.meterId);
      expect(row.status).toBe(x.status);
      expect(row.consumption).toBe(x.consumption ?? null);
      expect(row.rule_results).toEqual(x.ruleResults);
      expect(row.source).toBe('import');
      expect(row.rule_set_version).toBeTruthy();
      // the period of the reading's Asia/Shanghai day
      expect(row.billing_period).toBe(new Date(Date.parse(x.readAt) + 8 * 3600_000).toISOString().slice(0, 7));
      expect(row.entered_by).not.toBeNull();
      const w = want.get(`${x.meterId}:${x.readAt}`);
      if (w !== undefined) {
        expect(Number(row.value).toFixed(2)).toBe(w);
        // consumption chains inside the file: 5 kWh from the install reading, then 5 kWh per visit
        expect(row.consumption).toBe('5.0000');
        expect(row.status).toBe('accepted');
      }
    }
    const lockedRow = r.body.rows.find((x: any) => x.readAt === new Date(locked).toISOString());
    expect(lockedRow.status).toBe('pending_review');
    expect(byId.get(lockedRow.readingId)).toMatchObject({ value: null, exception_code: 'DOOR_LOCKED' });
    const spikeRow = r.body.rows.find((x: any) => x.readAt === new Date(spike).toISOString());
    expect(spikeRow.status).toBe('pending_review');
    expect(spikeRow.ruleResults.map((x: any) => x.rule)).toContain('SPIKE');
    expect(byId.get(spikeRow.readingId)!.quality_flags).toContain('SPIKE');
    const again = await t.call('POST', '/api/v1/readings/import', { cookie: reader, body: { csv: lines.join('\n'), fileName: 'bulk.csv' } });
    expect(again.status).toBe(200);
    expect(again.body.summary).toMatchObject({ stored: 0, duplicates: n });
    expect(again.body.rows.every((x: any) => x.reason === 'DUPLICATE')).toBe(true);
  });

  it('keeps the audit chain intact', async () => {
    const v = await verifyAudit(t.db);
    expect(v.ok).toBe(true);
  });
});
