/**
 * Prepaid (预付费/费控): daily deduction from daily frozen values with the ZJ residential annual
 * ladder + TOU tariff (amounts computed by hand below), one deduction per account-day (re-run
 * writes nothing), a reminder exactly at the alert balance, a cut-off order at ≤ 0, and a
 * payment that clears the debt -> reconnection order with its 24 h target.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { inTx, SYSTEM_ACTOR, type Actor } from '../../src/app/context.js';
import { channelPay } from '../../src/app/payments/channel.js';
import { reconnectCheck, onPaymentPosted } from '../../src/app/payments/reconnect.js';
import { runPrepaidDeduction, dayEnergy } from '../../src/app/payments/prepaid.js';
import { executeOrder, recordNotice, scheduleCutoff, closeOrder } from '../../src/app/payments/cutoff.js';
import { reconcileLedger } from '../../src/app/payments/ledger.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import { loadActor } from '../../src/app/security/auth.js';
import '../../src/db/schema-payments.js';
import '../../src/db/schema-prepaid.js';

const at = (s: string) => new Date(s);

describe.each(engines())('prepaid on %s', (engine) => {
  let t: TestApp;
  let acc: { id: number; account_no: string };
  let meterId: number;
  let manager: Actor;
  let scopePath = '';

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 60 });
    const k = t.db.kysely;
    const collector = await k.selectFrom('users as u').innerJoin('org_units as o', 'o.id', 'u.org_unit_id').select(['o.path']).where('u.username', '=', 'collector').executeTakeFirstOrThrow();
    const rows = await sql<{ id: number; account_no: string; meter_id: number; path: string }>`
      select a.id, a.account_no, min(i.meter_id) as meter_id, o.path from accounts a join org_units o on o.id = a.org_unit_id
        join meter_installations i on i.account_id = a.id and i.removed_on is null
       group by a.id, a.account_no, o.path having count(*) = 1 order by a.id`.execute(k);
    scopePath = collector.path;
    const r = rows.rows.find((x) => x.path.startsWith(collector.path))!;
    acc = { id: r.id, account_no: r.account_no };
    meterId = Number(r.meter_id);
    // the account: residential, prepaid, ZJ annual ladder + TOU; meter multiplier 1
    await k.updateTable('accounts').set({ payment_mode: 'prepaid', tariff_code: 'ZJ-RES-1H1B-LT1KV', customer_class: 'residential', household_size: 1, phone: '13800138000' }).where('id', '=', acc.id).execute();
    await k.updateTable('meters').set({ multiplier: '1', digits: 6 }).where('id', '=', meterId).execute();
    await k.insertInto('payment_channels').values({ code: 'PPTEST', name: 'prepaid test', secret_current: 'x' }).execute();
    const m = await k.selectFrom('users').select('id').where('username', '=', 'manager').executeTakeFirstOrThrow();
    manager = (await loadActor(t.db, m.id))!;
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  async function frozen(day: string, total: string, peak: string, valley: string) {
    await t.db.kysely.insertInto('daily_frozen_readings').values({ account_id: acc.id, meter_id: meterId, day, registers: JSON.stringify({ TOTAL: total, PEAK: peak, VALLEY: valley }), source: 'headend' }).execute();
  }
  const balance = async () => (await t.call('GET', `/api/v1/prepaid/accounts/${acc.account_no}`, { cookie: await t.login('collector') })).body.balance as string;
  const ledgerCount = async () => (await t.db.kysely.selectFrom('ledger_entries').select(sql<number>`count(*)::int`.as('n')).where('account_id', '=', acc.id).executeTakeFirstOrThrow()).n;

  it('day energy: register difference × multiplier, roll-over at 10^digits (domain-cn §5.3)', () => {
    expect(dayEnergy('1000.00', '1006.00', '1', 6)).toBe('6.00');
    expect(dayEnergy('999950.00', '50.00', '1', 6)).toBe('100.00');
    expect(dayEnergy('12345.67', '12845.67', '4000', 6)).toBe('2000000.00');
    expect(dayEnergy('10.1234', '10.1300', '1', 6)).toBe('0.01'); // 0.0066 kWh -> 0.01 half-up
  });

  it('enrolment needs the 预付费 payment mode; bad thresholds name the field', async () => {
    const clerk = await t.login('collector');
    const bad = await t.call('PUT', `/api/v1/prepaid/accounts/${acc.account_no}`, { cookie: clerk, body: { alertBalance: '20.001' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('alertBalance');
    const other = await t.db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').select('a.account_no')
      .where('a.payment_mode', '=', 'postpaid').where('a.id', '<>', acc.id).where('o.path', 'like', `${scopePath}%`).executeTakeFirstOrThrow();
    const post = await t.call('PUT', `/api/v1/prepaid/accounts/${other.account_no}`, { cookie: clerk, body: {} });
    expect(post.status).toBe(409);
    expect(post.body.error.details).toMatchObject({ field: 'accountNo', reason: 'NOT_PREPAID' });
    const ok = await t.call('PUT', `/api/v1/prepaid/accounts/${acc.account_no}`, { cookie: clerk, body: { startDay: '2026-11-10', energySource: 'frozen' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'active', alertBalance: '20.00', cutoffFloor: '0.00', balance: '0.00' });
    const reader = await t.login('reader');
    expect((await t.call('PUT', `/api/v1/prepaid/accounts/${acc.account_no}`, { cookie: reader, body: {} })).status).toBe(403);
  });

  it('two days deducted with hand-computed amounts across the ladder boundary; re-run writes nothing; reminder at exactly 20.00', async () => {
    const k = t.db.kysely;
    // 2,750.00 kWh deducted earlier this ladder year (history)
    await k.insertInto('prepaid_deductions').values({ account_id: acc.id, org_unit_id: (await k.selectFrom('accounts').select('org_unit_id').where('id', '=', acc.id).executeTakeFirstOrThrow()).org_unit_id, day: '2026-06-30', source: 'frozen', kwh: '2750.00', ladder_prev_cum: '0', tariff_code: 'ZJ-RES-1H1B-LT1KV', amount: '0.00', lines: '[]', balance_after: '0.00' }).execute();
    await frozen('2026-11-10', '1000.00', '600.00', '400.00');
    await frozen('2026-11-11', '1006.00', '604.00', '402.00');
    await frozen('2026-11-12', '1016.00', '611.00', '405.00');
    // top-up 27.99 元
    await channelPay(t.db, 'PPTEST', { accountNo: acc.account_no, amount: '27.99', idempotencyKey: 'pp-topup-1' }, {}, at('2026-11-10T09:00:00+08:00'));
    expect(await balance()).toBe('27.99');

    // Day 1 (11-10): 6 kWh = PEAK 4 + VALLEY 2, cumulative 2750 -> 2756 (tier 1 only):
    //   4 × 0.568 = 2.272 -> 2.27; 2 × 0.288 = 0.576 -> 0.58; total 2.85
    const d1 = await runPrepaidDeduction(t.db, SYSTEM_ACTOR, '2026-11-10', { now: at('2026-11-11T02:00:00+08:00') });
    expect(d1.outcomes.find((o) => o.accountNo === acc.account_no)).toMatchObject({ status: 'deducted', kwh: '6.00', amount: '2.85', balance: '25.14', reminder: false });
    // Day 2 (11-11): 10 kWh = PEAK 7 + VALLEY 3, cumulative 2756 -> 2766: 4 kWh tier 1, 6 kWh tier 2:
    //   7 × 0.568 = 3.976 -> 3.98; 3 × 0.288 = 0.864 -> 0.86; tier-2 surcharge 6 × 0.05 = 0.30; total 5.14
    //   balance 25.14 − 5.14 = 20.00 = the alert balance -> one low-balance reminder
    const d2 = await runPrepaidDeduction(t.db, SYSTEM_ACTOR, '2026-11-11', { now: at('2026-11-12T02:00:00+08:00') });
    const o2 = d2.outcomes.find((o) => o.accountNo === acc.account_no)!;
    expect(o2).toMatchObject({ status: 'deducted', kwh: '10.00', amount: '5.14', balance: '20.00', reminder: true });
    const row2 = await k.selectFrom('prepaid_deductions').selectAll().where('account_id', '=', acc.id).where('day', '=', '2026-11-11').executeTakeFirstOrThrow();
    expect(row2.ladder_prev_cum).toBe('2756.00');
    const lines = (row2.lines as { lines: Array<{ code: string; amount: string }> }).lines;
    expect(lines.find((l) => l.code.includes('SURCHARGE'))?.amount).toBe('0.30');

    // re-run both days: nothing new
    const before = await ledgerCount();
    const again = await runPrepaidDeduction(t.db, SYSTEM_ACTOR, '2026-11-11', { now: at('2026-11-12T03:00:00+08:00') });
    expect(again.outcomes.find((o) => o.accountNo === acc.account_no)?.status).toBe('exists');
    await runPrepaidDeduction(t.db, SYSTEM_ACTOR, '2026-11-10', { now: at('2026-11-12T03:00:00+08:00') });
    expect(await ledgerCount()).toBe(before);
    expect(await balance()).toBe('20.00');
    // the database refuses a second deduction for the same day even outside the job
    await expect(k.insertInto('prepaid_deductions').values({ account_id: acc.id, org_unit_id: 1, day: '2026-11-11', source: 'frozen', kwh: '1', tariff_code: 'X', amount: '1', lines: '[]', balance_after: '0' }).execute()).rejects.toThrow();
    const rem = await k.selectFrom('payment_reminders').selectAll().where('account_id', '=', acc.id).execute();
    expect(rem.map((r) => [r.kind, r.balance])).toEqual([['low_balance', '20.00']]);
    // the SMS is in the shared outbox, linked to the reminder
    const out = await k.selectFrom('message_outbox').select(['template_code', 'recipient_phone', 'source_id', 'text_zh']).where('source_type', '=', 'payment_reminder').execute();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ template_code: 'payments.low_balance', recipient_phone: '13800138000', source_id: String(rem[0].id) });
    expect(out[0].text_zh).toContain('20.00');
    // a day without the next frozen value is not deducted (no data) and a future day is refused
    const d3 = await runPrepaidDeduction(t.db, SYSTEM_ACTOR, '2026-11-12', { now: at('2026-11-13T02:00:00+08:00') });
    expect(d3.outcomes.find((o) => o.accountNo === acc.account_no)?.status).toBe('no_data');
    await expect(runPrepaidDeduction(t.db, SYSTEM_ACTOR, '2026-11-13', { now: at('2026-11-13T02:00:00+08:00') })).rejects.toMatchObject({ details: { field: 'day' } });
    expect((await reconcileLedger(k, [acc.id])).ok).toBe(true);
  });

  it('balance ≤ 0 -> cut-off order; after notice, schedule, re-notice and execution a payment creates a reconnection order due in 24 h', async () => {
    const k = t.db.kysely;
    // Day 3 (11-12): 40 kWh = PEAK 30 + VALLEY 10, all tier 2 (cumulative 2766 -> 2806):
    //   30 × 0.568 = 17.04; 10 × 0.288 = 2.88; surcharge 40 × 0.05 = 2.00; total 21.92 -> 20.00 − 21.92 = −1.92
    await frozen('2026-11-13', '1056.00', '641.00', '415.00');
    const d3 = await runPrepaidDeduction(t.db, SYSTEM_ACTOR, '2026-11-12', { now: at('2026-11-13T02:00:00+08:00') });
    const o3 = d3.outcomes.find((o) => o.accountNo === acc.account_no)!;
    expect(o3).toMatchObject({ status: 'deducted', amount: '21.92', balance: '-1.92' });
    expect(o3.cutoffOrderId).toBeTruthy();
    const order = await k.selectFrom('cutoff_orders').selectAll().where('id', '=', o3.cutoffOrderId!).executeTakeFirstOrThrow();
    expect(order).toMatchObject({ kind: 'cutoff', reason: 'prepaid', state: 'created', amount_owed: '1.92' });
    const kinds = (await k.selectFrom('payment_reminders').select('kind').where('account_id', '=', acc.id).orderBy('id').execute()).map((r) => r.kind);
    expect(kinds).toEqual(['low_balance', 'cutoff_pending']);

    // §5.4 workflow: notice (Mon 11-16 09:00), scheduled Tue 11-24 10:00, re-notice 09:00, executed 10:00
    const collector = (await loadActor(t.db, (await k.selectFrom('users').select('id').where('username', '=', 'collector').executeTakeFirstOrThrow()).id))!;
    await recordNotice(t.db, collector, order.id, { method: 'in_person', evidence: '客户签收 张三, photo #1', deliveredAt: '2026-11-16T09:00:00+08:00' }, at('2026-11-16T09:30:00+08:00'));
    await scheduleCutoff(t.db, collector, order.id, { scheduledAt: '2026-11-24T10:00:00+08:00' }, at('2026-11-16T10:00:00+08:00'));
    await recordNotice(t.db, collector, order.id, { kind: 'renotice', method: 'phone', evidence: '电话通知 13800000000 09:00', deliveredAt: '2026-11-24T09:00:00+08:00' }, at('2026-11-24T09:01:00+08:00'));
    const ex = await executeOrder(t.db, manager, order.id, at('2026-11-24T10:00:00+08:00'));
    expect(ex.state).toBe('executed');
    expect(ex.command.meters[0]).toMatchObject({ function: '1C', command: '1A', result: 'ack', simulated: true });
    expect(ex.command.meters[0].requestHex).toMatch(/^68.{12}681C/);

    // not cleared yet: a 1.00 payment leaves −0.92 -> no reconnection
    await channelPay(t.db, 'PPTEST', { accountNo: acc.account_no, amount: '1.00', idempotencyKey: 'pp-topup-2' }, {}, at('2026-11-24T11:00:00+08:00'));
    expect((await reconnectCheck(t.db, SYSTEM_ACTOR, at('2026-11-24T11:01:00+08:00'))).reconnectOrderIds).toEqual([]);
    // 50.00 clears it: the payment creates one reconnection order (hook in postPayment), due 24 h after
    const now = at('2026-11-24T11:10:00+08:00');
    await channelPay(t.db, 'PPTEST', { accountNo: acc.account_no, amount: '50.00', idempotencyKey: 'pp-topup-3' }, {}, now);
    const made = await k.selectFrom('cutoff_orders').select('id').where('account_id', '=', acc.id).where('kind', '=', 'reconnect').execute();
    expect(made).toHaveLength(1);
    const rc = { reconnectOrderIds: made.map((x) => Number(x.id)) };
    // idempotent: the hook and the poll again create nothing more
    expect((await inTx(t.db, (trx) => onPaymentPosted(trx, acc.id, SYSTEM_ACTOR, now))).reconnectOrderIds).toEqual([]);
    expect((await reconnectCheck(t.db, SYSTEM_ACTOR, now)).reconnectOrderIds).toEqual([]);
    const rid = rc.reconnectOrderIds[0];
    const clerk = await t.login('collector');
    const view = await t.call('GET', `/api/v1/cutoff/orders/${rid}`, { cookie: clerk });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ kind: 'reconnect', state: 'created', cutoffOrderId: order.id });
    expect(new Date(view.body.sla.dueBy).getTime() - now.getTime()).toBe(24 * 3_600_000);
    const done = await executeOrder(t.db, collector, rid, at('2026-11-24T11:40:00+08:00'));
    expect(done.state).toBe('executed');
    expect(done.sla?.status).toBe('on_time');
    expect(done.command.meters[0].command).toBe('1B');
    await closeOrder(t.db, collector, order.id, 'reconnected', at('2026-11-24T12:00:00+08:00'));
    expect(await balance()).toBe('49.08');
    expect((await reconcileLedger(k, [acc.id])).ok).toBe(true);
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });
  it('concurrent runs of the same day deduct once (unique account-day)', async () => {
    const k = t.db.kysely;
    await frozen('2026-11-14', '1061.00', '644.00', '417.00');
    const before = await ledgerCount();
    const runs = await Promise.all([1, 2, 3, 4].map(() => runPrepaidDeduction(t.db, SYSTEM_ACTOR, '2026-11-13', { accountNos: [acc.account_no], now: at('2026-11-14T02:00:00+08:00') })));
    const statuses = runs.map((r) => r.outcomes[0].status).sort();
    expect(statuses).toEqual(['deducted', 'exists', 'exists', 'exists']);
    expect(await ledgerCount()).toBe(before + 1);
    const n = await k.selectFrom('prepaid_deductions').select(sql<number>`count(*)::int`.as('n')).where('account_id', '=', acc.id).where('day', '=', '2026-11-13').executeTakeFirstOrThrow();
    expect(n.n).toBe(1);
    expect((await reconcileLedger(k, [acc.id])).ok).toBe(true);
  });
});
