/**
 * Customer portal (客户自助, issues 5 and 6): the customer sees only their own accounts (403
 * OUT_OF_SCOPE for anybody else's account, bill, usage, payments, receipt; staff without
 * portal.self get 403), what is due with the late fee through today (hand-computed), bills with
 * lines and readings, monthly usage against last year; pays online through the PORTAL channel
 * (amount validation names the field; a double submit with the same key posts once; the balance
 * afterwards is hand-computed; audited as the customer) and downloads the receipt PDF.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { postIssuedBills } from '../../src/app/payments/receivables.js';
import { reconcileLedger } from '../../src/app/payments/ledger.js';
import { inTx } from '../../src/app/context.js';
import { addDays, shanghaiDate, toFen } from '../../src/domain/payments/index.js';
import '../../src/db/schema-payments.js';
import '../../src/db/schema-billing.js';

describe.each(engines())('customer portal on %s', (engine) => {
  let t: TestApp;
  let cookie = '';
  let mine: { id: number; account_no: string };
  let other: { id: number; account_no: string };
  let billA = 0;
  let billB = 0;
  const today = shanghaiDate(new Date());
  const thisMonth = today.slice(0, 7);
  const monthsAgo = (n: number) => {
    const [y, m] = thisMonth.split('-').map(Number);
    const i = y * 12 + (m - 1) - n;
    return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
  };

  const k = () => t.db.kysely;
  const paymentsOf = async (accountId: number) =>
    (await k().selectFrom('payments').select(sql<number>`count(*)::int`.as('n')).where('account_id', '=', accountId).executeTakeFirstOrThrow()).n;

  async function issuedBill(accountId: number, period: string, amount: string, dueDate: string) {
    const run = await k().insertInto('billing_runs').values({ period, scope: '{}', filter: '{}', scope_key: `test-${crypto.randomUUID()}`, reading_cutoff: new Date(), trial: false, status: 'completed' }).returning('id').executeTakeFirstOrThrow();
    const a = await k().selectFrom('accounts').select(['org_unit_id', 'account_no', 'customer_class']).where('id', '=', accountId).executeTakeFirstOrThrow();
    const b = await k().insertInto('bills').values({
      account_id: accountId, run_id: run.id, period, trial: false, status: 'issued', org_unit_id: a.org_unit_id, account_no: a.account_no, customer_class: a.customer_class,
      amount_total: amount, energy_kwh: '200', due_date: dueDate, issued_at: new Date(),
    }).returning('id').executeTakeFirstOrThrow();
    await k().insertInto('bill_lines').values([
      { account_id: accountId, bill_id: b.id, line_no: 1, code: 'ENERGY_T1', name_zh: '第一档电量电费', name_en: 'Tier 1 energy', quantity: '200', unit: 'kWh', unit_price: '0.5', amount, segment: 1, rule: null },
    ]).execute();
    await inTx(t.db, (trx) => postIssuedBills(trx, [b.id]));
    return b.id;
  }

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 60 });
    const link = await k().selectFrom('customer_logins as l').innerJoin('users as u', 'u.id', 'l.user_id').innerJoin('accounts as a', 'a.id', 'l.account_id')
      .select(['a.id', 'a.account_no', 'a.customer_class']).where('u.username', '=', 'customer').executeTakeFirstOrThrow();
    expect(link.customer_class).toBe('residential');
    mine = { id: link.id, account_no: link.account_no };
    other = await k().selectFrom('accounts').select(['id', 'account_no']).where('id', '<>', mine.id).orderBy('id').executeTakeFirstOrThrow();
    cookie = await t.login('customer');
    // A: 100.00 due 10 days ago (residential 1‰/day → 10 days = 1.00); B: 58.37 due in 5 days
    billA = await issuedBill(mine.id, monthsAgo(2), '100.00', addDays(today, -10));
    billB = await issuedBill(mine.id, monthsAgo(1), '58.37', addDays(today, 5));
    await issuedBill(other.id, monthsAgo(1), '77.00', addDays(today, 5));
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });
  afterEach(() => {
    delete process.env.VOLTLINE_PORTAL_MAX_PAYMENT;
  });

  it('my accounts: only mine, amount due with the late fee through today, due date, overdue', async () => {
    const r = await t.call('GET', '/api/v1/portal/accounts', { cookie });
    expect(r.status).toBe(200);
    expect(r.body.items.map((a: any) => a.id)).toEqual([mine.id]);
    const a = r.body.items[0];
    expect(a.accountNo).toBe(mine.account_no);
    expect(a.lateFee).toBe('1.00');
    expect(a.amountDue).toBe('159.37'); // 100.00 + 1.00 + 58.37
    expect(a.balance).toBe('158.37'); // the fee is charged into the ledger only when paid
    expect(a.dueDate).toBe(addDays(today, -10));
    expect(a.overdue).toBe(true);
    expect(a.overdueDays).toBe(10);
    expect(a.items.map((i: any) => i.outstanding)).toEqual(['101.00', '58.37']);
  });

  it('scope: another account, its bill, usage, payments, a payment for it → 403 OUT_OF_SCOPE; staff without portal.self → 403', async () => {
    for (const url of [`/api/v1/portal/accounts/${other.id}/bills`, `/api/v1/portal/accounts/${other.id}/usage`, `/api/v1/portal/accounts/${other.id}/payments`]) {
      const r = await t.call('GET', url, { cookie });
      expect(r.status, url).toBe(403);
      expect(r.body.error.code, url).toBe('OUT_OF_SCOPE');
    }
    const otherBill = await k().selectFrom('bills').select('id').where('account_id', '=', other.id).executeTakeFirstOrThrow();
    const b = await t.call('GET', `/api/v1/portal/bills/${otherBill.id}`, { cookie });
    expect(b.status).toBe(403);
    expect(b.body.error.code).toBe('OUT_OF_SCOPE');
    const before = await paymentsOf(other.id);
    const p = await t.call('POST', '/api/v1/portal/payments', { cookie, body: { accountId: other.id, amount: '10.00', idempotencyKey: crypto.randomUUID() } });
    expect(p.status).toBe(403);
    expect(p.body.error.code).toBe('OUT_OF_SCOPE');
    expect(await paymentsOf(other.id)).toBe(before);
    const staff = await t.login('collector');
    const s = await t.call('GET', '/api/v1/portal/accounts', { cookie: staff });
    expect(s.status).toBe(403);
    expect(s.body.error.code).toBe('FORBIDDEN');
    expect((await t.call('GET', '/api/v1/portal/accounts', {})).status).toBe(401);
  });

  it('bills: history newest first, one bill with its lines, readings and the PDF link', async () => {
    const r = await t.call('GET', `/api/v1/portal/accounts/${mine.id}/bills`, { cookie });
    expect(r.status).toBe(200);
    expect(r.body.items.map((b: any) => b.id)).toEqual([billB, billA]);
    const d = await t.call('GET', `/api/v1/portal/bills/${billA}`, { cookie });
    expect(d.status).toBe(200);
    expect(d.body.amountTotal).toBe('100.00');
    expect(d.body.lines).toHaveLength(1);
    expect(d.body.lines[0].name.zh).toBe('第一档电量电费');
    expect(d.body.pdfUrl).toBe(`/api/v1/bills/${billA}/pdf`);
    expect(Array.isArray(d.body.readings)).toBe(true);
    expect((await t.call('GET', '/api/v1/portal/bills/999999999', { cookie })).status).toBe(404);
    // the bill PDF the page links to (billing's endpoint) answers the customer for their own bill only
    const pdf = await t.app.inject({ method: 'GET', url: `/api/v1/bills/${billA}/pdf`, headers: { cookie } });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const otherBill = await k().selectFrom('bills').select('id').where('account_id', '=', other.id).executeTakeFirstOrThrow();
    const otherPdf = await t.call('GET', `/api/v1/bills/${otherBill.id}/pdf`, { cookie });
    expect(otherPdf.status).toBe(403);
  });

  it('usage: monthly kWh from accepted readings, last year alongside; months validated', async () => {
    const inst = await k().selectFrom('meter_installations').select(['meter_id', 'metering_point_id']).where('account_id', '=', mine.id).where('removed_on', 'is', null).executeTakeFirstOrThrow();
    const row = (period: string, register: string, kwh: string, status = 'accepted') => ({
      account_id: mine.id, meter_id: inst.meter_id, metering_point_id: inst.metering_point_id, register, read_at: new Date(`${period}-20T02:00:00Z`),
      billing_period: period, value: '1000', consumption: kwh, source: 'manual', status,
    });
    await k().insertInto('register_readings').values([
      row(monthsAgo(1), 'TOTAL', '210.5'), row(monthsAgo(1), 'PEAK', '80'), row(monthsAgo(1), 'VALLEY', '130.5'),
      row(monthsAgo(13), 'TOTAL', '190'), row(monthsAgo(2), 'TOTAL', '99', 'rejected'),
    ] as never).execute();
    const r = await t.call('GET', `/api/v1/portal/accounts/${mine.id}/usage?months=12`, { cookie });
    expect(r.status).toBe(200);
    expect(r.body.items).toHaveLength(12);
    expect(r.body.to).toBe(thisMonth);
    const last = r.body.items.find((i: any) => i.period === monthsAgo(1));
    expect(last.kwh).toBe('210.50');
    expect(last.registers.PEAK).toBe('80.00');
    expect(last.lastYearKwh).toBe('190.00');
    expect(r.body.items.find((i: any) => i.period === monthsAgo(2)).kwh).toBeNull(); // rejected readings do not count
    const bad = await t.call('GET', `/api/v1/portal/accounts/${mine.id}/usage?months=0`, { cookie });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('months');
  });

  it('amount validation names the field: 0, negative, 3 decimals, above the configured maximum; nothing posted', async () => {
    process.env.VOLTLINE_PORTAL_MAX_PAYMENT = '500.00';
    const before = await paymentsOf(mine.id);
    for (const [amount, reason] of [['0', 'AMOUNT_NOT_POSITIVE'], ['0.00', 'AMOUNT_NOT_POSITIVE'], ['-5.00', 'AMOUNT_NOT_POSITIVE'], ['10.005', 'AMOUNT_DECIMALS'], ['500.01', 'AMOUNT_TOO_LARGE'], ['abc', 'AMOUNT_FORMAT']] as const) {
      const r = await t.call('POST', '/api/v1/portal/payments', { cookie, body: { accountId: mine.id, amount, idempotencyKey: crypto.randomUUID() } });
      expect(r.status, amount).toBe(400);
      expect(r.body.error.details.field, amount).toBe('amount');
      expect(r.body.error.details.reason, amount).toBe(reason);
    }
    const cur = await t.call('POST', '/api/v1/portal/payments', { cookie, body: { accountId: mine.id, amount: '1.00', currency: 'USD', idempotencyKey: crypto.randomUUID() } });
    expect(cur.status).toBe(400);
    expect(cur.body.error.details.field).toBe('currency');
    const key = await t.call('POST', '/api/v1/portal/payments', { cookie, body: { accountId: mine.id, amount: '1.00', idempotencyKey: 'x' } });
    expect(key.status).toBe(400);
    expect(key.body.error.details.field).toBe('idempotencyKey');
    expect(await paymentsOf(mine.id)).toBe(before);
    const acc = await t.call('GET', '/api/v1/portal/accounts', { cookie });
    expect(acc.body.maxPayment).toBe('500.00');
  });

  it('pay: a double submit with the same key posts once; balance and amount due hand-computed; audited; receipt PDF', async () => {
    const before = await paymentsOf(mine.id);
    const key = crypto.randomUUID();
    const body = { accountId: mine.id, amount: '120.00', idempotencyKey: key };
    const [r1, r2] = await Promise.all([t.call('POST', '/api/v1/portal/payments', { cookie, body }), t.call('POST', '/api/v1/portal/payments', { cookie, body })]);
    expect([r1.status, r2.status].sort()).toEqual([200, 201]);
    expect(r1.body.paymentId).toBe(r2.body.paymentId);
    expect(r1.body.receiptNo).toBe(r2.body.receiptNo);
    expect([r1.body.replayed, r2.body.replayed].sort()).toEqual([false, true]);
    expect(await paymentsOf(mine.id)).toBe(before + 1);
    const r = r1.status === 201 ? r1.body : r2.body;
    // oldest first, fee first: A's fee 1.00 + principal 100.00, then 19.00 of B
    expect(r.lateFeePaid).toBe('1.00');
    expect(r.principalPaid).toBe('119.00');
    expect(r.credit).toBe('0.00');
    expect(r.balanceAfter).toBe('39.37'); // 158.37 + 1.00 (fee charged) - 120.00
    expect(r.receiptNo).toMatch(/^WS\d{8}\d{8}$/);
    // a third submit (e.g. page reload) with the same key but another amount is refused
    const clash = await t.call('POST', '/api/v1/portal/payments', { cookie, body: { ...body, amount: '121.00' } });
    expect(clash.status).toBe(409);
    expect(clash.body.error.details.field).toBe('idempotencyKey');
    expect(await paymentsOf(mine.id)).toBe(before + 1);

    const acc = await t.call('GET', '/api/v1/portal/accounts', { cookie });
    expect(acc.body.items[0].balance).toBe('39.37');
    expect(acc.body.items[0].amountDue).toBe('39.37');
    expect(acc.body.items[0].lateFee).toBe('0.00');
    expect(acc.body.items[0].overdue).toBe(false);
    expect((await reconcileLedger(k(), [mine.id])).ok).toBe(true);

    const audit = await k().selectFrom('audit_events').select(['actor_name', 'after']).where('action', '=', 'payment.post').where('entity_id', '=', String(r.paymentId)).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0].actor_name).toBe('customer');
    expect((audit[0].after as any).channel).toBe('PORTAL');

    const list = await t.call('GET', `/api/v1/portal/accounts/${mine.id}/payments`, { cookie });
    expect(list.status).toBe(200);
    expect(list.body.items[0]).toMatchObject({ id: r.paymentId, amount: '120.00', receiptNo: r.receiptNo, status: 'posted', receiptUrl: `/api/v1/portal/receipts/${r.receiptNo}/pdf` });
    const pdf = await t.app.inject({ method: 'GET', url: `/api/v1/portal/receipts/${r.receiptNo}/pdf`, headers: { cookie } });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('ten concurrent submits of one attempt post one payment; the balance moves once', async () => {
    const before = await paymentsOf(mine.id);
    const bal = (await t.call('GET', '/api/v1/portal/accounts', { cookie })).body.items[0].balance;
    const body = { accountId: mine.id, amount: '10.00', idempotencyKey: crypto.randomUUID() };
    const rs = await Promise.all(Array.from({ length: 10 }, () => t.call('POST', '/api/v1/portal/payments', { cookie, body })));
    expect(rs.map((r) => r.status).filter((s) => s === 201)).toHaveLength(1);
    expect(rs.every((r) => r.status === 200 || r.status === 201)).toBe(true);
    expect(new Set(rs.map((r) => r.body.paymentId)).size).toBe(1);
    expect(await paymentsOf(mine.id)).toBe(before + 1);
    const after = (await t.call('GET', '/api/v1/portal/accounts', { cookie })).body.items[0].balance;
    // balance in fen, exact: before - 10.00
    expect(toFen(after)).toBe(toFen(bal) - 1000);
    expect((await reconcileLedger(k(), [mine.id])).ok).toBe(true);
  });

  it("receipts of somebody else's payment → 403; unknown → 404", async () => {
    const collector = await t.login('collector');
    // a payment on another account through the channel code path, with a receipt number
    await inTx(t.db, async (trx) => {
      await sql`insert into payments (account_id, org_unit_id, channel, method, amount, idempotency_key, request_hash, receipt_no, pay_date)
        select id, org_unit_id, 'TESTCH', 'transfer', 1.00, 'other-1', 'h', 'WS2099010100000001', current_date from accounts where id = ${other.id}`.execute(trx);
    });
    const r = await t.call('GET', '/api/v1/portal/receipts/WS2099010100000001/pdf', { cookie });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('OUT_OF_SCOPE');
    expect((await t.call('GET', '/api/v1/portal/receipts/WS2099010100009999/pdf', { cookie })).status).toBe(404);
    // and the collector's own receipt API is not opened to customers
    expect((await t.call('GET', '/api/v1/payments/receipts/WS2099010100000001/pdf', { cookie })).status).toBe(403);
    expect(collector).toBeTruthy();
  });
});
