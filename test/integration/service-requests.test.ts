/**
 * Service requests (业扩报装与变更用电, issue 7) end to end through the API, on PGlite and (with
 * DATABASE_URL) PostgreSQL: every request type walked to completion with its archive effect;
 * an SLA pause and an overdue alert across 国庆 2024 with its 调休 Saturday; bad input (state,
 * role, documents, fields, 暂停 length, capacity below zero, 过户 with arrears) changes nothing;
 * the on-time report matches hand-computed figures; portal apply / progress / rating.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { setArrearsCheck } from '../../src/app/service/support.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');
const PDF = Buffer.from('%PDF-1.4\n%test\n').toString('base64');
const RES_TARIFF = 'ZJ-RES-1H1B-LT1KV';
const ID = '330102199001011234';

describe.each(engines())('service requests on %s', (engine) => {
  let t: TestApp;
  let admin: string, clerk: string, clerk2: string, engineer: string, manager: string, customer: string;
  let custAccount: { id: number; account_no: string; customer_id: number; contract_capacity_kva: string };
  let industrial: { id: number; customer_id: number; contract_capacity_kva: string; voltage_level: string; tariff_code: string | null };
  let st01: number;

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 160 });
    admin = await t.login('admin');
    // counter clerks take applications (journey 营业员 #3); see the migration / report for the built-in role
    const roles = await t.call('GET', '/api/v1/roles', { cookie: admin });
    const cc = roles.body.items.find((r: any) => r.code === 'counter_clerk');
    if (!cc.permissions.includes('request.handle')) {
      const p = await t.call('PATCH', '/api/v1/roles/counter_clerk', { cookie: admin, body: { permissions: [...cc.permissions, 'request.handle'] } });
      expect(p.status).toBe(200);
    }
    [clerk, clerk2, engineer, manager, customer] = await Promise.all(['clerk', 'clerk2', 'engineer', 'manager', 'customer'].map((u) => t.login(u)));
    const k = t.db.kysely;
    const link = await k.selectFrom('customer_logins').innerJoin('users', 'users.id', 'customer_logins.user_id').select('account_id').where('users.username', '=', 'customer').executeTakeFirstOrThrow();
    custAccount = await k.selectFrom('accounts').select(['id', 'account_no', 'customer_id', 'contract_capacity_kva']).where('id', '=', link.account_id).executeTakeFirstOrThrow();
    industrial = await k.selectFrom('accounts').select(['id', 'customer_id', 'contract_capacity_kva', 'voltage_level', 'tariff_code']).where('customer_class', '=', 'large_industrial').where('status', '=', 'active').orderBy('id').executeTakeFirstOrThrow();
    st01 = (await k.selectFrom('org_units').select('id').where('code', '=', 'ST01').executeTakeFirstOrThrow()).id;
  }, 180_000);
  afterAll(async () => {
    setArrearsCheck(null);
    await t?.drop();
  });

  const get = async (id: number, cookie = engineer) => (await t.call('GET', `/api/v1/service/requests/${id}`, { cookie })).body;
  const doc = (id: number, kind: string, cookie = engineer) =>
    t.call('POST', `/api/v1/service/requests/${id}/documents`, { cookie, body: { kind, fileName: `${kind}.png`, contentType: 'image/png', dataBase64: PNG } });
  const pass = (id: number, on: string, form?: Record<string, unknown>, cookie = engineer) =>
    t.call('POST', `/api/v1/service/requests/${id}/transition`, { cookie, body: { action: 'pass', on, ...(form ? { form } : {}) } });

  /** Walk a request to completion: attach the stage's mandatory documents, then pass with its form. */
  async function walk(id: number, on: string, forms: Record<string, Record<string, unknown>> = {}) {
    for (let i = 0; i < 12; i++) {
      const r = await get(id);
      if (r.status !== 'open') return r;
      for (const d of r.requiredDocuments.filter((x: any) => !x.present)) expect((await doc(id, d.kind)).status).toBe(201);
      const p = await pass(id, on, forms[r.stage]);
      expect(p.status, `${r.type} ${r.stage}: ${JSON.stringify(p.body)}`).toBe(200);
    }
    throw new Error('did not finish');
  }

  async function apply(body: Record<string, unknown>, cookie = engineer) {
    const r = await t.call('POST', '/api/v1/service/requests', { cookie, body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: number; requestNo: string; promisedOn: string };
  }

  const versions = (accountId: number) =>
    t.db.kysely.selectFrom('account_versions').select(['effective_from', 'effective_to', 'attributes', 'reason']).where('account_id', '=', accountId).orderBy('effective_from').execute();

  it('lists the 16 request types with stages and §6.2 limits', async () => {
    const r = await t.call('GET', '/api/v1/service/types', { cookie: clerk });
    expect(r.status).toBe(200);
    expect(r.body.items.map((x: any) => x.code)).toEqual(expect.arrayContaining(['new_lv_resident', 'new_lv_nonresident', 'new_hv', 'reduce_capacity', 'suspend', 'temp_swap', 'relocate', 'move_meter', 'temp_removal', 'transfer', 'split', 'merge', 'close', 'change_voltage', 'change_class']));
    const hv = r.body.items.find((x: any) => x.code === 'new_hv');
    expect(hv.stages.find((s: any) => s.code === 'design_review').limit).toEqual({ days: 10, unit: 'working' });
    const cal = await t.call('GET', '/api/v1/service/holidays?year=2024', { cookie: clerk });
    expect(cal.body.items.filter((d: any) => d.kind === 'workday').map((d: any) => d.day)).toContain('2024-10-12');
    expect(cal.body.notPublished['2027']).toMatch(/not/i);
  });

  it('低压居民新装 end to end across 国庆 2024: promised date, pause, warning, overdue alert on the 调休 Saturday, account created', async () => {
    const a = await apply({
      type: 'new_lv_resident', receivedOn: '2024-09-26', applicantName: '王小明', applicantPhone: '13800000001',
      data: { address: '示范县人民路1号101室', capacityKva: '8', applicant: { name: '王小明', idType: 'resident_id', idNumber: ID, phone: '13800000001' } },
    }, clerk);
    // 1 + 3 + 3 working days from Thu 09-26: 09-27, 09-29 (Sun 调休), 09-30, 10-08, 10-09, 10-10, 10-11
    expect(a.promisedOn).toBe('2024-10-11');
    expect(a.requestNo).toMatch(/^YK20240926\d{6}$/);
    // accept without the ID proof: refused, nothing changes
    const noDoc = await pass(a.id, '2024-09-27', undefined, clerk);
    expect(noDoc.status).toBe(400);
    expect(noDoc.body.error.details.field).toBe('documents');
    expect(noDoc.body.error.message).toMatch(/id_proof/);
    expect((await doc(a.id, 'id_proof', clerk)).status).toBe(201);
    expect((await pass(a.id, '2024-09-27', undefined, clerk)).status).toBe(200);
    let r = await get(a.id);
    expect(r.stage).toBe('survey');
    expect(r.current.dueOn).toBe('2024-10-08'); // 09-29 (调休), 09-30, 10-08
    // waiting for the customer from Sunday 09-29 to 10-09: the clock stops
    const pz = await t.call('POST', `/api/v1/service/requests/${a.id}/pause`, { cookie: engineer, body: { reason: 'documents_incomplete', note: '缺房产证明', on: '2024-09-29' } });
    expect(pz.status).toBe(200);
    expect((await pass(a.id, '2024-09-30')).status).toBe(409); // paused
    const rs = await t.call('POST', `/api/v1/service/requests/${a.id}/resume`, { cookie: engineer, body: { on: '2024-10-09' } });
    expect(rs.body.dueOn).toBe('2024-10-11'); // 09-29 (1), paused to 10-09, 10-10 (2), 10-11 (3)
    // SLA check: 10-10 one day left -> warning; Saturday 10-12 (调休 workday) -> overdue by one
    const w = await t.call('POST', '/api/v1/service/sla-check', { cookie: engineer, body: { asOf: '2024-10-10' } });
    const wi = w.body.items.find((i: any) => i.requestNo === a.requestNo);
    expect(wi).toMatchObject({ status: 'warning', remainingDays: 1, dueOn: '2024-10-11', raised: true });
    const o = await t.call('POST', '/api/v1/service/sla-check', { cookie: engineer, body: { asOf: '2024-10-12' } });
    expect(o.body.items.find((i: any) => i.requestNo === a.requestNo)).toMatchObject({ status: 'overdue', remainingDays: -1, raised: true });
    const again = await t.call('POST', '/api/v1/service/sla-check', { cookie: engineer, body: { asOf: '2024-10-12' } });
    expect(again.body.items.find((i: any) => i.requestNo === a.requestNo).raised).toBe(false); // alert raised once
    const staffMsgs = await t.db.kysely.selectFrom('notifications').select('event').where('request_id', '=', a.id).where('audience', '=', 'staff').execute();
    expect(staffMsgs.map((m) => m.event).sort()).toEqual(['sla_alert', 'sla_warning']);
    // survey done late on Monday 10-14
    expect((await pass(a.id, '2024-10-14')).body.onTime).toBe(false);
    // contract needs the signed contract
    expect((await pass(a.id, '2024-10-14', undefined, clerk)).body.error.message).toMatch(/contract_signed/);
    expect((await doc(a.id, 'contract_signed', clerk)).status).toBe(201);
    expect((await pass(a.id, '2024-10-14', undefined, clerk)).status).toBe(200);
    // 装表接电 without the meter data: field named, nothing created
    const before = await t.db.kysely.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const miss = await pass(a.id, '2024-10-15', { effectiveOn: '2024-10-15' });
    expect(miss.status).toBe(400);
    expect(miss.body.error.details.field).toBe('data.tariffCode');
    const badTariff = await pass(a.id, '2024-10-15', { effectiveOn: '2024-10-15', tariffCode: 'NOPE', meterAssetNo: 'SR00000001', commAddress: '990000000001', initialReading: '0' });
    expect(badTariff.body.error.details.field).toBe('data.tariffCode');
    expect(Number((await t.db.kysely.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)).toBe(Number(before.n));
    const c = await pass(a.id, '2024-10-15', { effectiveOn: '2024-10-15', tariffCode: RES_TARIFF, meterAssetNo: 'SR00000001', commAddress: '990000000001', initialReading: '0.00' });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body.onTime).toBe(true);
    const accId = c.body.effect.accountId;
    const acc = await t.db.kysely.selectFrom('accounts').selectAll().where('id', '=', accId).executeTakeFirstOrThrow();
    expect(acc).toMatchObject({ tariff_code: RES_TARIFF, opened_on: '2024-10-15', customer_class: 'residential', voltage_level: 'LV220', org_unit_id: st01, name: '王小明' });
    const inst = await t.db.kysely.selectFrom('meter_installations').selectAll().where('account_id', '=', accId).executeTakeFirstOrThrow();
    expect(inst.initial_readings).toEqual({ TOTAL: '0.00' });
    expect(inst.installed_on).toBe('2024-10-15');
    expect((await versions(accId))[0]).toMatchObject({ effective_from: '2024-10-15' });
    expect((await pass(a.id, '2024-10-16', undefined, clerk)).body.status).toBe('completed');
    r = await get(a.id, clerk);
    expect(r.status).toBe('completed');
    expect(r.stages.map((s: any) => [s.stage, s.onTime])).toEqual([['accept', true], ['survey', false], ['contract', null], ['connect', true], ['archive', null]]);
    expect(r.stages[1].pauses).toEqual([{ from: '2024-09-29', to: '2024-10-09', reason: 'documents_incomplete', note: '缺房产证明' }]);
    expect(r.notifications.filter((n: any) => n.audience === 'customer').map((n: any) => n.event)).toEqual(['submitted', 'stage_passed', 'paused', 'resumed', 'stage_passed', 'stage_passed', 'stage_passed', 'completed']);
    // the clerk rates on the customer's behalf, once
    expect((await t.call('POST', `/api/v1/service/requests/${a.id}/rating`, { cookie: clerk, body: { rating: 5 } })).status).toBe(200);
    expect((await t.call('POST', `/api/v1/service/requests/${a.id}/rating`, { cookie: clerk, body: { rating: 4 } })).status).toBe(409);
  });

  it('on-time report matches the hand-computed figures (accept 1/1, survey 0/1, connect 1/1 = 66.7 %)', async () => {
    const r = await t.call('GET', '/api/v1/service/reports/on-time?from=2024-09-01&to=2024-10-31', { cookie: manager });
    expect(r.status).toBe(200);
    expect(r.body.total).toEqual({ total: 3, onTime: 2, late: 1, rate: '66.7' });
    expect(r.body.byStage.map((s: any) => [s.stage, s.total, s.onTime, s.rate])).toEqual([['accept', 1, 1, '100.0'], ['connect', 1, 1, '100.0'], ['survey', 1, 0, '0.0']]);
    expect(r.body.byOrgUnit).toHaveLength(1);
    expect(r.body.byOrgUnit[0]).toMatchObject({ orgUnitId: st01, total: 3, onTime: 2, rate: '66.7' });
    // another 供电所's clerk sees none of it
    const other = await t.call('GET', '/api/v1/service/reports/on-time?from=2024-09-01&to=2024-10-31', { cookie: clerk2 });
    expect(other.body.total.total).toBe(0);
    expect((await t.call('GET', '/api/v1/service/reports/on-time?from=2024-10-31&to=2024-09-01', { cookie: manager })).body.error.details.field).toBe('to');
  });

  it('refuses bad transitions and leaves the request unchanged', async () => {
    const a = await apply({ type: 'change_class', accountId: custAccount.id, data: { newTariffCode: RES_TARIFF } }, clerk);
    const snap = async () => {
      const r = await get(a.id);
      return { stage: r.stage, version: r.version, stages: r.stages.length };
    };
    const s0 = await snap();
    // not allowed from the state: nothing to return to at 受理
    const ret = await t.call('POST', `/api/v1/service/requests/${a.id}/transition`, { cookie: clerk, body: { action: 'return', reason: 'x' } });
    expect(ret.status).toBe(409);
    expect(ret.body.error.details.field).toBe('action');
    // reject without a reason
    const rej = await t.call('POST', `/api/v1/service/requests/${a.id}/transition`, { cookie: clerk, body: { action: 'reject' } });
    expect(rej.body.error.details.field).toBe('reason');
    // the customer may not move it; the other station's clerk is out of scope
    expect((await t.call('POST', `/api/v1/service/requests/${a.id}/transition`, { cookie: customer, body: { action: 'pass' } })).status).toBe(403);
    expect((await t.call('POST', `/api/v1/service/requests/${a.id}/transition`, { cookie: clerk2, body: { action: 'pass' } })).body.error.code).toBe('OUT_OF_SCOPE');
    // future day, stale version
    expect((await t.call('POST', `/api/v1/service/requests/${a.id}/transition`, { cookie: clerk, body: { action: 'pass', on: '2099-01-01' } })).body.error.details.field).toBe('on');
    expect((await t.call('POST', `/api/v1/service/requests/${a.id}/transition`, { cookie: clerk, body: { action: 'pass', version: 99 } })).body.error.details.field).toBe('version');
    expect(await snap()).toEqual(s0);
    // pass 受理, then the clerk may not do the engineer's 现场勘查
    await doc(a.id, 'id_proof', clerk);
    expect((await pass(a.id, undefined as never, undefined, clerk)).status).toBe(200);
    const wrongRole = await pass(a.id, undefined as never, undefined, clerk);
    expect(wrongRole.status).toBe(403);
    expect(wrongRole.body.error.message).toMatch(/service_engineer/);
    // same type twice for one account
    const dup = await t.call('POST', '/api/v1/service/requests', { cookie: clerk, body: { type: 'change_class', accountId: custAccount.id, data: { newTariffCode: RES_TARIFF } } });
    expect(dup.status).toBe(409);
    // cancel with a reason ends it
    const cancel = await t.call('POST', `/api/v1/service/requests/${a.id}/transition`, { cookie: engineer, body: { action: 'cancel', reason: '客户撤回' } });
    expect(cancel.body.status).toBe('cancelled');
    // assignment: only a user who works the stage
    const b = await apply({ type: 'relocate', accountId: industrial.id, data: { newAddress: '新地址1号' } });
    const users = Object.fromEntries((await t.db.kysely.selectFrom('users').select(['id', 'username']).execute()).map((u) => [u.username, u.id]));
    expect((await t.call('POST', `/api/v1/service/requests/${b.id}/assign`, { cookie: engineer, body: { userId: users.reader } })).body.error.details.field).toBe('userId');
    const as = await t.call('POST', `/api/v1/service/requests/${b.id}/assign`, { cookie: engineer, body: { userId: users.engineer } });
    expect(as.status).toBe(200);
    const mine = await t.call('GET', '/api/v1/service/requests?mine=true', { cookie: engineer });
    expect(mine.body.items.map((i: any) => i.id)).toContain(b.id);
    await t.call('POST', `/api/v1/service/requests/${b.id}/transition`, { cookie: engineer, body: { action: 'cancel', reason: 'test' } });
  });

  it('refuses bad applications naming the field: 暂停 length and yearly total, capacity below zero, unknown type, documents', async () => {
    const count = async () => Number((await t.db.kysely.selectFrom('service_requests').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const n0 = await count();
    const bad = async (body: Record<string, unknown>, field: string, status = 400) => {
      const r = await t.call('POST', '/api/v1/service/requests', { cookie: engineer, body });
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.error.details.field).toBe(field);
      return r;
    };
    const cap = Number(industrial.contract_capacity_kva);
    await bad({ type: 'suspend', accountId: industrial.id, data: { effectiveOn: '2025-03-01', until: '2025-03-14' } }, 'data.until');
    await bad({ type: 'suspend', accountId: industrial.id, data: { effectiveOn: '2025-01-01', until: '2025-07-03' } }, 'data.until'); // 184 days
    await bad({ type: 'reduce_capacity', accountId: industrial.id, data: { decreaseKva: String(cap + 1) } }, 'data.decreaseKva');
    await bad({ type: 'reduce_capacity', accountId: industrial.id, data: { decreaseKva: '-5' } }, 'data.decreaseKva');
    await bad({ type: 'nope', accountId: industrial.id }, 'type');
    await bad({ type: 'reduce_capacity', data: { decreaseKva: '1' } }, 'accountId');
    await bad({ type: 'new_lv_resident', data: { address: 'x', applicant: { name: 'a', idNumber: '123' } } }, 'data.applicant.idNumber');
    expect(await count()).toBe(n0);
    // document checks: type must match the bytes, size limit, kind
    const a = await apply({ type: 'move_meter', accountId: industrial.id, receivedOn: '2025-02-03', data: {} });
    const mism = await t.call('POST', `/api/v1/service/requests/${a.id}/documents`, { cookie: engineer, body: { kind: 'id_proof', fileName: 'x.jpg', contentType: 'image/jpeg', dataBase64: PNG } });
    expect(mism.body.error.details.field).toBe('dataBase64');
    const big = await t.call('POST', `/api/v1/service/requests/${a.id}/documents`, { cookie: engineer, body: { kind: 'id_proof', fileName: 'x.pdf', contentType: 'application/pdf', dataBase64: Buffer.concat([Buffer.from('%PDF-'), Buffer.alloc(5 * 1024 * 1024)]).toString('base64') } });
    expect(big.status).toBe(413);
    expect((await t.call('POST', `/api/v1/service/requests/${a.id}/documents`, { cookie: engineer, body: { kind: 'selfie', fileName: 'x.pdf', contentType: 'application/pdf', dataBase64: PDF } })).body.error.details.field).toBe('kind');
    const ok = await t.call('POST', `/api/v1/service/requests/${a.id}/documents`, { cookie: engineer, body: { kind: 'id_proof', fileName: '身份证.pdf', contentType: 'application/pdf', dataBase64: PDF } });
    expect(ok.status).toBe(201);
    const bytes = await t.app.inject({ method: 'GET', url: `/api/v1/service/requests/${a.id}/documents/${ok.body.id}`, headers: { cookie: engineer } });
    expect(bytes.headers['content-type']).toBe('application/pdf');
    expect(bytes.rawPayload.toString()).toBe('%PDF-1.4\n%test\n');
    const ref = await t.call('POST', `/api/v1/service/requests/${a.id}/documents`, { cookie: engineer, body: { kind: 'site_photo', fileName: 'site.jpg', reference: 'photo:2f1c7f8e-0000-4000-8000-000000000001' } });
    expect(ref.status).toBe(201);
    await walk(a.id, '2025-02-03', { execute: { effectiveOn: '2025-02-03', newLocation: '户外表箱2号' } });
  });

  it('capacity changes are effective-dated from the sealing day (减容, 暂停, 增容, 暂换)', async () => {
    const cap = industrial.contract_capacity_kva.replace(/\.00$/, '');
    const capN = Number(cap);
    const dec = String(Math.floor(capN / 4));
    const red = await apply({ type: 'reduce_capacity', accountId: industrial.id, receivedOn: '2025-03-03', data: { decreaseKva: dec } });
    await walk(red.id, '2025-03-04', { seal: { effectiveOn: '2025-03-10' } });
    const afterRed = String(capN - Number(dec));
    let v = await versions(industrial.id);
    const at = (d: string) => v.find((x) => x.effective_from <= d && (x.effective_to === null || d < x.effective_to))!.attributes as any;
    expect(at('2025-03-09').contractCapacityKva).toBe(cap);
    expect(at('2025-03-10').contractCapacityKva).toBe(afterRed);
    // 暂停 all remaining capacity 2025-04-01..04-30: suspended, restored 05-01
    const sus = await apply({ type: 'suspend', accountId: industrial.id, receivedOn: '2025-03-20', data: { effectiveOn: '2025-04-01', until: '2025-04-30' } });
    // while it is open, a second 暂停 for the account is refused
    expect((await t.call('POST', '/api/v1/service/requests', { cookie: engineer, body: { type: 'suspend', accountId: industrial.id, data: { effectiveOn: '2025-06-01', until: '2025-06-30' } } })).body.error.details.field).toBe('accountId');
    await walk(sus.id, '2025-03-21', { seal: { effectiveOn: '2025-04-01' } });
    // a second suspension would pass 6 months in 2025 (30 + 160 days)
    const second = await t.call('POST', '/api/v1/service/requests', { cookie: engineer, body: { type: 'suspend', accountId: industrial.id, data: { effectiveOn: '2025-06-01', until: '2025-11-07' } } });
    expect(second.body.error.details.field).toBe('data.until');
    expect(second.body.error.message).toMatch(/190 days/);
    v = await versions(industrial.id);
    expect(at('2025-04-01')).toMatchObject({ contractCapacityKva: '0', status: 'suspended' });
    expect(at('2025-05-01')).toMatchObject({ contractCapacityKva: afterRed, status: 'active' });
    // 增容 back above the original from 2025-06-02
    const inc = await apply({ type: 'increase_capacity', accountId: industrial.id, receivedOn: '2025-05-06', data: { newCapacityKva: String(capN + 100) } });
    await walk(inc.id, '2025-05-07', { connect: { effectiveOn: '2025-06-02' } });
    v = await versions(industrial.id);
    expect(at('2025-06-02').contractCapacityKva).toBe(String(capN + 100));
    // 暂换 to a larger transformer 07-01..07-31, back on 08-01
    const sw = await apply({ type: 'temp_swap', accountId: industrial.id, receivedOn: '2025-06-16', data: { newCapacityKva: String(capN + 200), until: '2025-07-31' } });
    await walk(sw.id, '2025-06-17', { execute: { effectiveOn: '2025-07-01' } });
    v = await versions(industrial.id);
    expect(at('2025-07-15').contractCapacityKva).toBe(String(capN + 200));
    expect(at('2025-08-01').contractCapacityKva).toBe(String(capN + 100));
    // every change is audited with the request number
    const ev = await t.db.kysely.selectFrom('audit_events').select('after').where('action', '=', 'account.update').where('entity_id', '=', String(industrial.id)).execute();
    expect(ev.length).toBeGreaterThanOrEqual(4);
  });

  it('改压, 改类, 迁址, 暂拆 change the archive from their day', async () => {
    const cv = await apply({ type: 'change_voltage', accountId: industrial.id, receivedOn: '2025-08-04', data: { newVoltageLevel: 'MV20' } });
    await walk(cv.id, '2025-08-05', { connect: { effectiveOn: '2025-09-01' } });
    const cc = await apply({ type: 'change_class', accountId: industrial.id, receivedOn: '2025-08-04', data: { newCustomerClass: 'commercial', newTariffCode: 'ZJ-GC-LT1KV-TOU' } });
    await walk(cc.id, '2025-08-05', { execute: { effectiveOn: '2025-09-01' } });
    const v = await versions(industrial.id);
    const at = (d: string) => v.find((x) => x.effective_from <= d && (x.effective_to === null || d < x.effective_to))!.attributes as any;
    expect(at('2025-08-31')).toMatchObject({ voltageLevel: industrial.voltage_level, tariffCode: industrial.tariff_code });
    expect(at('2025-09-01')).toMatchObject({ voltageLevel: 'MV20', customerClass: 'commercial', tariffCode: 'ZJ-GC-LT1KV-TOU' });
    const rl = await apply({ type: 'relocate', accountId: industrial.id, receivedOn: '2025-09-01', data: { newAddress: '示范县工业园区8号' } });
    await walk(rl.id, '2025-09-02', { connect: { effectiveOn: '2025-09-02' } });
    expect((await t.db.kysely.selectFrom('accounts').select('address').where('id', '=', industrial.id).executeTakeFirstOrThrow()).address).toBe('示范县工业园区8号');
    const other = await t.db.kysely.selectFrom('accounts').select(['id']).where('customer_class', '=', 'residential').where('id', '<>', custAccount.id).where('status', '=', 'active').orderBy('id', 'desc').executeTakeFirstOrThrow();
    const tr = await apply({ type: 'temp_removal', accountId: other.id, receivedOn: '2025-09-01', data: {} });
    await walk(tr.id, '2025-09-02', { execute: { effectiveOn: '2025-09-10' } });
    const ov = await versions(other.id);
    expect((ov.at(-1)!.attributes as any).status).toBe('suspended');
    expect(ov.at(-1)!.effective_from).toBe('2025-09-10');
  });

  it('分户 then 并户 then 销户 (final reading, meters removed, settlement hook pending)', async () => {
    const k = t.db.kysely;
    const cap = Number((await k.selectFrom('accounts').select('contract_capacity_kva').where('id', '=', industrial.id).executeTakeFirstOrThrow()).contract_capacity_kva);
    const sp = await apply({ type: 'split', accountId: industrial.id, receivedOn: '2025-10-09', data: { splitKva: '50', newCustomer: { customerId: industrial.customer_id, name: '分户一车间' } } });
    const done = await walk(sp.id, '2025-10-10', { execute: { effectiveOn: '2025-10-10', newAccountNo: '7700000000001', meterAssetNo: 'SPLIT0001', commAddress: '990000000101', initialReading: '0', meterType: 'three_phase_ct', registers: ['TOTAL', 'PEAK', 'VALLEY'] } });
    const newId = done.effects.at(-1).summary.newAccountId;
    const nacc = await k.selectFrom('accounts').selectAll().where('id', '=', newId).executeTakeFirstOrThrow();
    expect(nacc).toMatchObject({ account_no: '7700000000001', customer_id: industrial.customer_id, opened_on: '2025-10-10' });
    expect(Number(nacc.contract_capacity_kva)).toBe(50);
    expect(Number((await k.selectFrom('accounts').select('contract_capacity_kva').where('id', '=', industrial.id).executeTakeFirstOrThrow()).contract_capacity_kva)).toBe(cap - 50);
    // 并户 the split account back
    const mg = await apply({ type: 'merge', accountId: industrial.id, receivedOn: '2025-11-03', data: { mergeAccountId: newId } });
    await walk(mg.id, '2025-11-04', { execute: { effectiveOn: '2025-11-05', mergeFinalReading: '123.45' } });
    expect(Number((await k.selectFrom('accounts').select('contract_capacity_kva').where('id', '=', industrial.id).executeTakeFirstOrThrow()).contract_capacity_kva)).toBe(cap);
    const merged = await k.selectFrom('accounts').select(['status', 'closed_on']).where('id', '=', newId).executeTakeFirstOrThrow();
    expect(merged).toMatchObject({ status: 'closed', closed_on: '2025-11-05' });
    // 销户: a final reading below the initial one is refused, then closed
    const cl = await apply({ type: 'close', accountId: industrial.id, receivedOn: '2025-12-01', data: {} });
    await walk(cl.id, '2025-12-02', {}).catch(() => undefined); // stops at execute without the final reading
    let r = await get(cl.id);
    expect(r.stage).toBe('execute');
    const miss = await pass(cl.id, '2025-12-02', { effectiveOn: '2025-12-03' });
    expect(miss.body.error.details.field).toBe('data.finalReading');
    const ok = await pass(cl.id, '2025-12-02', { effectiveOn: '2025-12-03', finalReading: '99999.9' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.effect.summary.settlement.status).toBe('pending');
    r = await walk(cl.id, '2025-12-03');
    const acc = await k.selectFrom('accounts').select(['status', 'closed_on']).where('id', '=', industrial.id).executeTakeFirstOrThrow();
    expect(acc).toMatchObject({ status: 'closed', closed_on: '2025-12-03' });
    const open = await k.selectFrom('meter_installations').select('id').where('account_id', '=', industrial.id).where('removed_on', 'is', null).execute();
    expect(open).toHaveLength(0);
    // a closed account takes no more requests
    expect((await t.call('POST', '/api/v1/service/requests', { cookie: engineer, body: { type: 'change_class', accountId: industrial.id, data: { newTariffCode: RES_TARIFF } } })).body.error.details.field).toBe('accountId');
  });

  it('低压非居民 and 高压新装 (重要客户: 设计审查 and 中间检查; 双电源 scheme 25 days)', async () => {
    const nr = await apply({ type: 'new_lv_nonresident', receivedOn: '2025-04-07', orgUnitId: st01, applicantName: '示范商店', data: { address: '商业街2号', capacityKva: '30', applicant: { name: '示范商店', idType: 'credit_code', idNumber: '91330100MA2XXXXX1Y' } } });
    const d1 = await walk(nr.id, '2025-04-08', { connect: { effectiveOn: '2025-04-09', tariffCode: 'ZJ-GC-LT1KV-TOU', meterAssetNo: 'NR00000001', commAddress: '990000000201', initialReading: '0' } });
    expect(d1.status).toBe('completed');
    expect(d1.stages.map((s: any) => s.stage)).toEqual(['accept', 'survey', 'contract', 'connect', 'archive']);
    const hv = await apply({ type: 'new_hv', receivedOn: '2025-05-06', orgUnitId: st01, applicantName: '示范化工', data: { address: '工业园区9号', capacityKva: '1250', important: true, dualSupply: true, applicant: { name: '示范化工', idType: 'credit_code', idNumber: '91330100MA2YYYYY2Z' } } });
    let r = await get(hv.id);
    expect(r.plan.map((p: any) => p.code)).toEqual(['accept', 'survey', 'scheme', 'design_review', 'mid_check', 'completion_check', 'contract', 'connect', 'archive']);
    expect(r.plan.find((p: any) => p.code === 'scheme').limit.days).toBe(25);
    // 1+5+25+10+5+5+5 = 56 working days from 2025-05-06
    const cal = await t.call('GET', '/api/v1/service/holidays', { cookie: engineer });
    expect(cal.status).toBe(200);
    expect(hv.promisedOn > '2025-07-20').toBe(true);
    r = await walk(hv.id, '2025-05-07', { connect: { effectiveOn: '2025-06-30', tariffCode: 'ZJ-LI-10KV-TOU-A', meterAssetNo: 'HV00000001', commAddress: '990000000301', initialReading: '0', voltageLevel: 'MV10', basicChargeMethod: 'capacity', meterType: 'three_phase_3w_hv', ctPrimary: '100', ctSecondary: '5', ptPrimary: '10000', ptSecondary: '100' } });
    expect(r.status).toBe('completed');
    const acc = await t.db.kysely.selectFrom('accounts').selectAll().where('id', '=', r.accountId).executeTakeFirstOrThrow();
    expect(acc).toMatchObject({ customer_class: 'large_industrial', voltage_level: 'MV10', basic_charge_method: 'capacity' });
    expect(Number(acc.contract_capacity_kva)).toBe(1250);
    const m = await t.db.kysely.selectFrom('meters').select('multiplier').where('asset_no', '=', 'HV00000001').executeTakeFirstOrThrow();
    expect(Number(m.multiplier)).toBe(2000);
  });

  it('portal: the customer applies 过户 for own account (blocked with arrears), uploads, follows progress and rates', async () => {
    // another account is not theirs
    const notMine = await t.call('POST', '/api/v1/service/requests', { cookie: customer, body: { type: 'transfer', accountId: industrial.id, data: { newName: 'x' } } });
    expect(notMine.status).toBe(403);
    setArrearsCheck(async (_q, accountId) => (accountId === custAccount.id ? { amount: '123.45' } : null));
    const blocked = await t.call('POST', '/api/v1/service/requests', { cookie: customer, body: { type: 'transfer', accountId: custAccount.id, data: { newCustomer: { name: '李四', idType: 'resident_id', idNumber: '330102198001011230', phone: '13900000002' } } } });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.details.field).toBe('accountId');
    expect(blocked.body.error.message).toMatch(/123.45/);
    setArrearsCheck(null);
    const a = await apply({ type: 'transfer', accountId: custAccount.id, receivedOn: '2025-06-03', data: { newCustomer: { name: '李四', idType: 'resident_id', idNumber: '330102198001011230', phone: '13900000002' } } }, customer);
    expect((await doc(a.id, 'id_proof', customer)).status).toBe(201);
    expect((await doc(a.id, 'transfer_agreement', customer)).status).toBe(201);
    const mine = await t.call('GET', '/api/v1/service/requests', { cookie: customer });
    expect(mine.body.items.map((i: any) => i.id)).toContain(a.id);
    let r = await get(a.id, customer);
    expect(r.data).toBeUndefined(); // staff data hidden from the portal
    expect(r.nextStage.code).toBe('contract');
    expect(r.promisedOn).toBeTruthy();
    // arrears appearing after the application stop 受理 (the definition's guard); nothing moves
    setArrearsCheck(async (_q, accountId) => (accountId === custAccount.id ? { amount: '10.00' } : null));
    const g = await pass(a.id, '2025-06-04', undefined, clerk);
    expect(g.status).toBe(409);
    expect(g.body.error.details.guard).toBe('no_arrears');
    expect((await get(a.id)).stage).toBe('accept');
    setArrearsCheck(null);
    // rating before completion refused
    expect((await t.call('POST', `/api/v1/service/requests/${a.id}/rating`, { cookie: customer, body: { rating: 5 } })).status).toBe(409);
    const done = await walk(a.id, '2025-06-04', { execute: { effectiveOn: '2025-06-05' } });
    expect(done.status).toBe('completed');
    const acc = await t.db.kysely.selectFrom('accounts').select(['customer_id', 'name']).where('id', '=', custAccount.id).executeTakeFirstOrThrow();
    expect(acc.name).toBe('李四');
    expect(acc.customer_id).not.toBe(custAccount.customer_id);
    const v = await versions(custAccount.id);
    expect(v.find((x) => x.effective_from === '2025-06-05')!.reason).toMatch(/ladder year restarts/);
    r = await get(a.id, customer);
    expect(r.canRate).toBe(true);
    expect(r.notifications.at(-1).event).toBe('completed');
    expect((await t.call('POST', `/api/v1/service/requests/${a.id}/rating`, { cookie: customer, body: { rating: 6 } })).body.error.details.field).toBe('rating');
    expect((await t.call('POST', `/api/v1/service/requests/${a.id}/rating`, { cookie: customer, body: { rating: 5, comment: '很快' } })).status).toBe(200);
    // a customer never sees someone else's request
    const others = await t.db.kysely.selectFrom('service_requests').select('id').where('created_by', '<>', (await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'customer').executeTakeFirstOrThrow()).id).where('account_id', '<>', custAccount.id).executeTakeFirstOrThrow();
    expect((await t.call('GET', `/api/v1/service/requests/${others.id}`, { cookie: customer })).status).toBe(403);
  });

  it('calendar and SLA profile are data an administrator edits (audited); the queue shows days left', async () => {
    const bad = await t.call('PUT', '/api/v1/service/holidays', { cookie: admin, body: { items: [{ day: '2027-01-04', kind: 'workday', name: 'x', source: 'y' }] } });
    expect(bad.body.error.details.field).toBe('items.0.kind'); // a Monday cannot be a 调休 workday
    expect((await t.call('PUT', '/api/v1/service/holidays', { cookie: clerk, body: { items: [{ day: '2027-01-01', kind: 'holiday', name: '元旦', source: 'x' }] } })).status).toBe(403);
    const ok = await t.call('PUT', '/api/v1/service/holidays', { cookie: admin, body: { items: [{ day: '2027-01-01', kind: 'holiday', name: '元旦', source: '国务院办公厅关于2027年部分节假日安排的通知' }] } });
    expect(ok.status).toBe(200);
    const y = await t.call('GET', '/api/v1/service/holidays?year=2027', { cookie: clerk });
    // 2027 also has the provisional statutory days (migration 20261128T0410); the PUT replaced 01-01's source
    expect(y.body.items.filter((d: any) => d.day === '2027-01-01' && d.source === '国务院办公厅关于2027年部分节假日安排的通知')).toHaveLength(1);
    expect((await t.call('DELETE', '/api/v1/service/holidays/2027-01-01', { cookie: admin })).status).toBe(200);
    const prof = (await t.call('GET', '/api/v1/service/sla-profile', { cookie: admin })).body;
    expect(prof.limits.new_lv_resident.survey.days).toBe(3);
    const badP = await t.call('PUT', '/api/v1/service/sla-profile', { cookie: admin, body: { ...prof, code: 'strict', limits: { ...prof.limits, new_lv_resident: { survey: { days: -2 } } } } });
    expect(badP.body.error.details.field).toBe('limits.new_lv_resident.survey.days');
    const p2 = await t.call('PUT', '/api/v1/service/sla-profile', { cookie: admin, body: { ...prof, code: 'strict', name: '省公司时限', limits: { ...prof.limits, new_lv_resident: { ...prof.limits.new_lv_resident, survey: { days: 2 } } } } });
    expect(p2.status).toBe(200);
    const types = await t.call('GET', '/api/v1/service/types', { cookie: clerk });
    expect(types.body.items.find((x: any) => x.code === 'new_lv_resident').stages.find((s: any) => s.code === 'survey').limit.days).toBe(2);
    // queue: an open request today shows days left
    const a = await apply({ type: 'change_class', accountId: custAccount.id, data: { newTariffCode: RES_TARIFF } }, clerk);
    const q = await t.call('GET', '/api/v1/service/requests?role=counter_clerk', { cookie: clerk });
    const item = q.body.items.find((i: any) => i.id === a.id);
    expect(item).toMatchObject({ stage: 'accept', daysLeft: 1, slaStatus: 'warning' });
    const q2 = await t.call('GET', '/api/v1/service/requests?role=collector', { cookie: clerk });
    expect(q2.body.items.find((i: any) => i.id === a.id)).toBeUndefined();
    const q3 = await t.call('GET', '/api/v1/service/requests?role=service_engineer&stage=accept', { cookie: engineer });
    expect(q3.body.items.find((i: any) => i.id === a.id)).toBeTruthy(); // 受理 is worked by clerks and engineers
    expect((await t.call('GET', '/api/v1/service/requests', { cookie: clerk2 })).body.items.find((i: any) => i.id === a.id)).toBeUndefined();
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });
});
