/**
 * Cut-off / reconnection work orders for postpaid arrears (domain-cn §5.4): creation from the
 * arrears list only past the overdue limit, every notice rule refused with the rule's name
 * (NOTICE_EVIDENCE, NOTICE_LEAD_TIME, CUTOFF_TIME_FORBIDDEN, RENOTICE_REQUIRED, DEBT_CLEARED),
 * nothing written on a refusal, every state change audited (hash chain verifies), permission
 * and data scope on the API, settings validated.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { inTx, type Actor } from '../../src/app/context.js';
import { postReceivable } from '../../src/app/payments/receivables.js';
import { channelPay } from '../../src/app/payments/channel.js';
import { createCutoffOrder, executeOrder, recordNotice, scheduleCutoff } from '../../src/app/payments/cutoff.js';
import { reconnectCheck } from '../../src/app/payments/reconnect.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import { loadActor } from '../../src/app/security/auth.js';
import { addDays, shanghaiDate } from '../../src/domain/payments/index.js';
import '../../src/db/schema-payments.js';
import '../../src/db/schema-prepaid.js';

const at = (s: string) => new Date(s);

describe.each(engines())('cut-off orders on %s', (engine) => {
  let t: TestApp;
  let A: { id: number; account_no: string };
  let B: { id: number; account_no: string };
  let C: { id: number; account_no: string };
  let X: { id: number; account_no: string };
  let collector: Actor;
  let manager: Actor;
  let orderA = 0;

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 60 });
    const k = t.db.kysely;
    const cu = await k.selectFrom('users as u').innerJoin('org_units as o', 'o.id', 'u.org_unit_id').select(['u.id', 'o.path']).where('u.username', '=', 'collector').executeTakeFirstOrThrow();
    const mu = await k.selectFrom('users').select('id').where('username', '=', 'manager').executeTakeFirstOrThrow();
    collector = (await loadActor(t.db, cu.id))!;
    manager = (await loadActor(t.db, mu.id))!;
    const rows = await k.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').select(['a.id', 'a.account_no', 'o.path']).orderBy('a.id').execute();
    const mine = rows.filter((r) => r.path.startsWith(cu.path));
    [A, B, C] = mine;
    X = rows.find((r) => !r.path.startsWith(cu.path))!;
    const today = shanghaiDate(new Date());
    const rec = (accountId: number, amount: string, dueDate: string) => inTx(t.db, (trx) => postReceivable(trx, { accountId, period: '2026-09', amountFen: Math.round(Number(amount) * 100), dueDate }));
    await rec(A.id, '300.00', '2026-10-01');
    await rec(B.id, '120.00', addDays(today, -10));
    await rec(C.id, '80.00', '2026-09-15');
    await rec(X.id, '99.00', '2026-09-15');
    await k.insertInto('payment_channels').values({ code: 'COTEST', name: 'cut-off test', secret_current: 'x' }).execute();
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  const events = async (id: number) => t.db.kysely.selectFrom('cutoff_order_events').select(['from_state', 'to_state', 'action']).where('order_id', '=', id).orderBy('id').execute();
  const state = async (id: number) => (await t.db.kysely.selectFrom('cutoff_orders').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;

  it('orders come from the arrears list past the overdue limit; permission and data scope', async () => {
    const clerk = await t.login('collector');
    const cand = await t.call('GET', '/api/v1/cutoff/candidates', { cookie: clerk });
    expect(cand.status).toBe(200);
    const nos = cand.body.items.map((i: any) => i.accountNo);
    expect(nos).toContain(A.account_no);
    expect(nos).toContain(C.account_no);
    expect(nos).not.toContain(B.account_no); // only 10 days overdue
    expect(nos).not.toContain(X.account_no); // other 供电所

    const b = await t.call('POST', '/api/v1/cutoff/orders', { cookie: clerk, body: { accountNo: B.account_no } });
    expect(b.status).toBe(409);
    expect(b.body.error.details.rule).toBe('ARREARS_MIN_OVERDUE');
    expect(b.body.error.message).toMatch(/30/);
    const x = await t.call('POST', '/api/v1/cutoff/orders', { cookie: clerk, body: { accountNo: X.account_no } });
    expect(x.status).toBe(403);
    expect(x.body.error.code).toBe('OUT_OF_SCOPE');
    const reader = await t.login('reader');
    expect((await t.call('POST', '/api/v1/cutoff/orders', { cookie: reader, body: { accountNo: A.account_no } })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/cutoff/orders', { cookie: await t.login('customer') })).status).toBe(403);
    expect((await t.call('POST', '/api/v1/cutoff/orders', { cookie: clerk, body: {} })).body.error.details.field).toBe('accountNo');

    const a = await t.call('POST', '/api/v1/cutoff/orders', { cookie: clerk, body: { accountNo: A.account_no } });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ kind: 'cutoff', reason: 'arrears', state: 'created', amountOwed: '300.00' });
    orderA = a.body.id;
    const dup = await t.call('POST', '/api/v1/cutoff/orders', { cookie: clerk, body: { accountNo: A.account_no } });
    expect(dup.status).toBe(409);
    const count = await t.db.kysely.selectFrom('cutoff_orders').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
  });

  it('§5.4 rules refuse with their names and write nothing; the happy path is audited state by state', async () => {
    const clerk = await t.login('collector');
    // schedule before the notice
    const s0 = await t.call('POST', `/api/v1/cutoff/orders/${orderA}/schedule`, { cookie: clerk, body: { scheduledAt: '2027-03-03T10:00:00+08:00' } });
    expect(s0.status).toBe(409);
    expect(s0.body.error.details.rule).toBe('NOTICE_EVIDENCE');
    // notice without evidence / unknown method
    const n0 = await t.call('POST', `/api/v1/cutoff/orders/${orderA}/notices`, { cookie: clerk, body: { method: 'in_person', evidence: ' ' } });
    expect(n0.status).toBe(400);
    expect(n0.body.error.details.field).toBe('evidence');
    expect((await t.call('POST', `/api/v1/cutoff/orders/${orderA}/notices`, { cookie: clerk, body: { method: 'pigeon', evidence: 'x' } })).body.error.details.field).toBe('method');
    expect(await state(orderA)).toBe('created');

    // notice delivered Tue 2026-12-01 09:00 -> earliest cut-off 2026-12-08 09:00 (7 days)
    const n = await recordNotice(t.db, collector, orderA, { method: 'in_person', evidence: '客户签收 李四; photo 2026-12-01-001', deliveredAt: '2026-12-01T09:00:00+08:00' }, at('2026-12-01T09:30:00+08:00'));
    expect(n.state).toBe('notice_sent');
    expect(n.earliestCutoff).toBe('2026-12-08T01:00:00.000Z');
    const nowS = at('2026-12-01T10:00:00+08:00');
    const refuse = async (scheduledAt: string, rule: string) => {
      const before = (await events(orderA)).length;
      await expect(scheduleCutoff(t.db, collector, orderA, { scheduledAt }, nowS)).rejects.toMatchObject({ code: 'CONFLICT', details: { rule } });
      expect((await events(orderA)).length).toBe(before);
      expect(await state(orderA)).toBe('notice_sent');
    };
    await refuse('2026-12-04T10:00:00+08:00', 'NOTICE_LEAD_TIME');
    await refuse('2026-12-08T08:30:00+08:00', 'NOTICE_LEAD_TIME');
    await refuse('2026-12-12T10:00:00+08:00', 'CUTOFF_TIME_FORBIDDEN'); // Saturday
    await refuse('2026-12-09T19:00:00+08:00', 'CUTOFF_TIME_FORBIDDEN'); // after 18:00
    await refuse('2027-01-01T10:00:00+08:00', 'CUTOFF_TIME_FORBIDDEN'); // 元旦 holiday
    await expect(scheduleCutoff(t.db, collector, orderA, { scheduledAt: 'tomorrow' }, nowS)).rejects.toMatchObject({ details: { field: 'scheduledAt' } });
    const sc = await scheduleCutoff(t.db, collector, orderA, { scheduledAt: '2026-12-09T10:00:00+08:00' }, nowS);
    expect(sc.state).toBe('scheduled');

    // execution: collector lacks cutoff.execute; before the re-notice; re-notice too late
    const t1 = at('2026-12-09T10:00:00+08:00');
    await expect(executeOrder(t.db, collector, orderA, t1)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(executeOrder(t.db, manager, orderA, t1)).rejects.toMatchObject({ details: { rule: 'RENOTICE_REQUIRED' } });
    await recordNotice(t.db, collector, orderA, { kind: 'renotice', method: 'phone', evidence: '电话通知 户主 09:50', deliveredAt: '2026-12-09T09:50:00+08:00' }, at('2026-12-09T09:51:00+08:00'));
    await expect(executeOrder(t.db, manager, orderA, t1)).rejects.toMatchObject({ details: { rule: 'RENOTICE_REQUIRED' } });
    await expect(executeOrder(t.db, manager, orderA, at('2026-12-09T18:30:00+08:00'))).rejects.toMatchObject({ details: { rule: 'CUTOFF_TIME_FORBIDDEN' } });
    expect(await state(orderA)).toBe('scheduled');
    const ex = await executeOrder(t.db, manager, orderA, at('2026-12-09T10:20:00+08:00'));
    expect(ex.state).toBe('executed');
    expect(ex.command.meters.length).toBeGreaterThan(0);
    expect(ex.command.meters[0]).toMatchObject({ protocol: 'DL/T 645-2007', function: '1C', command: '1A', result: 'ack' });

    const clerkClose = await t.call('POST', `/api/v1/cutoff/orders/${orderA}/close`, { cookie: clerk, body: { note: '现场确认已停电' } });
    expect(clerkClose.status).toBe(200);
    expect(clerkClose.body.state).toBe('closed');
    expect((await events(orderA)).map((e) => `${e.from_state ?? ''}>${e.to_state}`)).toEqual([
      '>created', 'created>notice_sent', 'notice_sent>scheduled', 'scheduled>scheduled', 'scheduled>executed', 'executed>closed',
    ]);
    const audit = await t.db.kysely.selectFrom('audit_events').select(['action']).where('entity_type', '=', 'cutoff_order').where('entity_id', '=', String(orderA)).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['cutoff.create', 'cutoff.notice_sent', 'cutoff.scheduled', 'cutoff.renotice', 'cutoff.executed', 'cutoff.closed']);
    expect((await verifyAudit(t.db)).ok).toBe(true);
    // another 供电所's user cannot see it
    const clerk2 = await t.login('clerk2');
    expect((await t.call('GET', `/api/v1/cutoff/orders/${orderA}`, { cookie: clerk2 })).status).toBe(403);
  });

  it('a debt cleared before execution: DEBT_CLEARED refuses the cut-off; a payment cancels it at once; an executed cut-off gets a reconnection order when paid', async () => {
    const c = await createCutoffOrder(t.db, collector, { accountNo: C.account_no }, at('2026-12-01T08:00:00+08:00'));
    await recordNotice(t.db, collector, c.id, { method: 'posted', evidence: 'EMS 回执 1234', deliveredAt: '2026-12-01T09:00:00+08:00' }, at('2026-12-01T09:30:00+08:00'));
    await scheduleCutoff(t.db, collector, c.id, { scheduledAt: '2026-12-10T10:00:00+08:00' }, at('2026-12-01T10:00:00+08:00'));
    await recordNotice(t.db, collector, c.id, { kind: 'renotice', method: 'sms', evidence: 'SMS id 77', deliveredAt: '2026-12-10T09:00:00+08:00' }, at('2026-12-10T09:01:00+08:00'));
    // cleared outside a payment (e.g. a write-off settles the receivables): execution is refused
    // with DEBT_CLEARED and the poll cancels the order
    const openC = await t.db.kysely.selectFrom('receivables').select('id').where('account_id', '=', C.id).where('status', '=', 'open').execute();
    await sql`update receivables set status = 'settled', settled_at = now() where account_id = ${C.id} and status = 'open'`.execute(t.db.kysely);
    await expect(executeOrder(t.db, manager, c.id, at('2026-12-10T10:00:00+08:00'))).rejects.toMatchObject({ details: { rule: 'DEBT_CLEARED' } });
    const r = await reconnectCheck(t.db, undefined, at('2026-12-10T10:01:00+08:00'));
    expect(r.cancelledOrderIds).toEqual([c.id]);
    expect(r.reconnectOrderIds).toEqual([]);
    expect(await state(c.id)).toBe('cancelled');
    // a payment clears the debt: the payment itself cancels the open order (hook in postPayment)
    await sql`update receivables set status = 'open', settled_at = null where id = any(${openC.map((x) => x.id)}::int8[])`.execute(t.db.kysely);
    const c2 = await createCutoffOrder(t.db, collector, { accountNo: C.account_no }, at('2026-12-10T10:05:00+08:00'));
    await channelPay(t.db, 'COTEST', { accountNo: C.account_no, amount: '200.00', idempotencyKey: 'co-c-1' }, {}, at('2026-12-10T10:30:00+08:00'));
    expect(await state(c2.id)).toBe('cancelled');
    await expect(executeOrder(t.db, manager, c2.id, at('2026-12-10T11:00:00+08:00'))).rejects.toMatchObject({ details: { state: 'cancelled' } });

    // A was cut off: paying its arrears creates the reconnection order (24 h target, shown in the list)
    await channelPay(t.db, 'COTEST', { accountNo: A.account_no, amount: '400.00', idempotencyKey: 'co-a-1' }, {}, at('2026-12-09T15:00:00+08:00'));
    // the payment created it (hook); the poll finds nothing more to do
    const r2 = await reconnectCheck(t.db, undefined, at('2026-12-09T15:02:00+08:00'));
    expect(r2.reconnectOrderIds).toEqual([]);
    const list = await t.call('GET', '/api/v1/cutoff/orders?kind=reconnect', { cookie: await t.login('collector') });
    expect(list.body.items[0]).toMatchObject({ kind: 'reconnect', accountNo: A.account_no, state: 'created' });
    expect(list.body.items[0].sla.dueBy).toBe(new Date(at('2026-12-09T15:00:00+08:00').getTime() + 24 * 3_600_000).toISOString());
  });

  it('settings: only a supervisor changes them; bad values name the field; audited', async () => {
    const clerk = await t.login('collector');
    const mgr = await t.login('manager');
    expect((await t.call('GET', '/api/v1/prepaid/settings', { cookie: clerk })).body).toMatchObject({ noticeDays: 7, renoticeMinutes: 30, reconnectTargetHours: 24, alertBalance: '20.00' });
    expect((await t.call('PUT', '/api/v1/prepaid/settings', { cookie: clerk, body: { noticeDays: 3 } })).status).toBe(403);
    const bad = await t.call('PUT', '/api/v1/prepaid/settings', { cookie: mgr, body: { executeFrom: '25:00' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('executeFrom');
    expect((await t.call('PUT', '/api/v1/prepaid/settings', { cookie: mgr, body: { noticeDays: 0 } })).body.error.details.field).toBe('noticeDays');
    const ok = await t.call('PUT', '/api/v1/prepaid/settings', { cookie: mgr, body: { noticeDays: 5, alertBalance: '30.00' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ noticeDays: 5, alertBalance: '30.00', cutoffFloor: '0.00' });
    const a = await t.db.kysely.selectFrom('audit_events').select('action').where('action', '=', 'prepaid.settings').execute();
    expect(a).toHaveLength(1);
  });
});
