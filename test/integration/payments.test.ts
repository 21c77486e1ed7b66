/**
 * Payments and collections (issue 6): receivables from issued bills (idempotent), the ledger
 * reconciles, counter flow with void and 日结, the signed channel API (idempotent retries, every
 * bad input refused with its code and nothing posted), late-fee golden numbers P-1..P-3 through
 * payment and through the accrual job, and on PostgreSQL the concurrency guarantees.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { postIssuedBills, postReceivable } from '../../src/app/payments/receivables.js';
import { channelPay } from '../../src/app/payments/channel.js';
import { accrueLateFees } from '../../src/app/payments/late-fees.js';
import { reconcileLedger } from '../../src/app/payments/ledger.js';
import { inTx, SYSTEM_ACTOR } from '../../src/app/context.js';
import { signRequest } from '../../src/domain/payments/signature.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import '../../src/db/schema-payments.js';
import '../../src/db/schema-billing.js';

describe.each(engines())('payments on %s', (engine) => {
  let t: TestApp;
  let accs: Array<{ id: number; account_no: string }> = [];
  let outOfScope: { id: number; account_no: string };
  let next = 0;
  const take = () => accs[next++];

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 120 });
    const collector = await t.db.kysely.selectFrom('users as u').innerJoin('org_units as o', 'o.id', 'u.org_unit_id').select(['o.path']).where('u.username', '=', 'collector').executeTakeFirstOrThrow();
    const rows = await t.db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').select(['a.id', 'a.account_no', 'o.path']).orderBy('a.id').execute();
    accs = rows.filter((r) => r.path.startsWith(collector.path));
    outOfScope = rows.find((r) => !r.path.startsWith(collector.path))!;
    expect(accs.length).toBeGreaterThan(8);
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  async function setClass(accountId: number, cls: string) {
    await t.db.kysely.updateTable('accounts').set({ customer_class: cls }).where('id', '=', accountId).execute();
  }
  async function receivable(accountId: number, amount: string, dueDate: string, period: string) {
    return inTx(t.db, (trx) => postReceivable(trx, { accountId, period, amountFen: Math.round(Number(amount) * 100), dueDate }));
  }
  async function issuedBill(accountId: number, period: string, amount: string, dueDate: string, trial = false) {
    const k = t.db.kysely;
    const run = await k.insertInto('billing_runs').values({ period, scope: '{}', filter: '{}', scope_key: `test-${crypto.randomUUID()}`, reading_cutoff: new Date(), trial, status: 'completed' }).returning('id').executeTakeFirstOrThrow();
    const a = await k.selectFrom('accounts').select(['org_unit_id', 'account_no', 'customer_class']).where('id', '=', accountId).executeTakeFirstOrThrow();
    const b = await k.insertInto('bills').values({
      account_id: accountId, run_id: run.id, period, trial, status: 'issued', org_unit_id: a.org_unit_id, account_no: a.account_no, customer_class: a.customer_class,
      amount_total: amount, due_date: dueDate, issued_at: new Date(),
    }).returning('id').executeTakeFirstOrThrow();
    return b.id;
  }
  const count = async (table: 'payments' | 'ledger_entries') => (await t.db.kysely.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;

  it('issued bills become receivables once (idempotent); trial bills never; the ledger reconciles', async () => {
    const a = take();
    const b1 = await issuedBill(a.id, '2026-08', '120.50', '2026-09-15');
    const b2 = await issuedBill(a.id, '2026-09', '80.00', '2026-10-15');
    const bt = await issuedBill(a.id, '2026-10', '99.00', '2026-11-15', true);
    const r1 = await inTx(t.db, (trx) => postIssuedBills(trx, [b1, b2, bt]));
    expect(r1).toEqual({ posted: 2, amount: '200.50', creditApplied: '0.00' });
    const r2 = await inTx(t.db, (trx) => postIssuedBills(trx, [b1, b2, bt]));
    expect(r2.posted).toBe(0);
    const clerk = await t.login('collector');
    const l = await t.call('GET', `/api/v1/payments/accounts/${a.account_no}/ledger`, { cookie: clerk });
    expect(l.status).toBe(200);
    expect(l.body.balance).toBe('200.50');
    expect(l.body.entries.map((e: any) => e.kind)).toEqual(['bill', 'bill']);
    expect(l.body.items.map((i: any) => i.period)).toEqual(['2026-08', '2026-09']);
    expect((await reconcileLedger(t.db.kysely, [a.id])).ok).toBe(true);
    // the ledger is append-only
    await expect(sql`update ledger_entries set amount = 1 where account_id = ${a.id}`.execute(t.db.kysely)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ledger_entries where account_id = ${a.id}`.execute(t.db.kysely)).rejects.toThrow(/append-only/);
  });

  it('预收冲抵: credit already on the account pays newly issued bills and debit adjustments at once; no late fee or arrears on what it covers', async () => {
    const a = take();
    await setClass(a.id, 'residential');
    const clerk = await t.login('collector');
    // 100.00 paid with nothing owed → credit
    const pay = await channelPay(t.db, 'GOLD', { accountNo: a.account_no, amount: '100.00', idempotencyKey: 'GOLD-CREDIT-0001' }, {}, new Date('2026-08-01T10:00:00+08:00'));
    expect(pay.result).toMatchObject({ credit: '100.00', balanceAfter: '-100.00' });
    // a bill of 60.00 is issued: the credit settles it
    const b1 = await issuedBill(a.id, '2026-08', '60.00', '2026-09-15');
    const r1 = await inTx(t.db, (trx) => postIssuedBills(trx, [b1]));
    expect(r1).toEqual({ posted: 1, amount: '60.00', creditApplied: '60.00' });
    const rec1 = await t.db.kysely.selectFrom('receivables').select(['id', 'status', 'principal_paid']).where('bill_id', '=', b1).executeTakeFirstOrThrow();
    expect(rec1).toMatchObject({ status: 'settled', principal_paid: '60.00' });
    // a bill of 70.00: 40.00 of credit left pays part of it
    const b2 = await issuedBill(a.id, '2026-09', '70.00', '2026-10-15');
    expect((await inTx(t.db, (trx) => postIssuedBills(trx, [b2]))).creditApplied).toBe('40.00');
    const rec2 = await t.db.kysely.selectFrom('receivables').select(['id', 'status', 'principal_paid']).where('bill_id', '=', b2).executeTakeFirstOrThrow();
    expect(rec2).toMatchObject({ status: 'open', principal_paid: '40.00' });
    // the late fee runs on the 30.00 not covered (residential 1‰: 10-16 .. 11-14 = 30 days → 0.90)
    await accrueLateFees(t.db, '2026-11-14');
    const acc = await t.db.kysely.selectFrom('late_fee_accruals').select(['receivable_id', 'principal', 'amount']).where('account_id', '=', a.id).execute();
    expect(acc.map((x) => [Number(x.receivable_id), x.principal, x.amount])).toEqual([[Number(rec2.id), '30.00', '0.90']]);
    const due = await t.call('GET', `/api/v1/payments/accounts/${a.account_no}/due`, { cookie: clerk });
    expect(due.body).toMatchObject({ balance: '30.00', credit: '0.00' });
    // a debit adjustment while there is no credit: nothing to apply
    const adj = await inTx(t.db, (trx) => postReceivable(trx, { accountId: a.id, period: '2026-10', amountFen: 500, dueDate: '2026-12-15' }));
    expect(adj.creditApplied).toBe('0.00');
    // money first, then a debit adjustment: applied
    await channelPay(t.db, 'GOLD', { accountNo: a.account_no, amount: '50.00', idempotencyKey: 'GOLD-CREDIT-0002' }, {}, new Date('2026-11-14T10:00:00+08:00'));
    const adj2 = await inTx(t.db, (trx) => postReceivable(trx, { accountId: a.id, period: '2026-11', amountFen: 1234, dueDate: '2027-01-15' }));
    expect(adj2.creditApplied).toBe('12.34');
    expect((await reconcileLedger(t.db.kysely, [a.id])).ok).toBe(true);
    const audits = await t.db.kysely.selectFrom('audit_events').select(['after']).where('action', '=', 'ledger.credit_apply').where('entity_id', '=', String(a.id)).orderBy('id').execute();
    expect(audits.map((x) => (x.after as any).applied)).toEqual(['60.00', '40.00', '12.34']);
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });

  it('late fee golden numbers through payment: P-1 6.00, P-2 520.00 (cross-year), then allocation oldest first', async () => {
    // channel for direct calls
    await t.db.kysely.insertInto('payment_channels').values({ code: 'GOLD', name: 'golden', secret_current: 'x' }).execute();
    const p1 = take();
    await setClass(p1.id, 'residential');
    await receivable(p1.id, '300.00', '2024-07-15', '2024-06');
    const r1 = await channelPay(t.db, 'GOLD', { accountNo: p1.account_no, amount: '306.00', idempotencyKey: 'gold-p1-0001' }, {}, new Date('2024-08-04T10:00:00+08:00'));
    expect(r1.result).toMatchObject({ lateFeePaid: '6.00', principalPaid: '300.00', credit: '0.00', balanceAfter: '0.00', payDate: '2024-08-04' });
    expect(r1.result.allocations[0].settled).toBe(true);

    const p2 = take();
    await setClass(p2.id, 'commercial');
    await receivable(p2.id, '10000.00', '2024-12-20', '2024-11');
    await receivable(p2.id, '500.00', '2025-01-20', '2024-12');
    // 10,600.00 pays 520.00 fee + 10,000.00, then 80.00 of the December bill (not yet overdue)
    const r2 = await channelPay(t.db, 'GOLD', { accountNo: p2.account_no, amount: '10600.00', idempotencyKey: 'gold-p2-0001' }, {}, new Date('2025-01-10T09:00:00+08:00'));
    expect(r2.result.lateFeePaid).toBe('520.00');
    expect(r2.result.allocations.map((x) => [x.period, x.fee, x.principal, x.settled])).toEqual([['2024-11', '520.00', '10000.00', true], ['2024-12', '0.00', '80.00', false]]);
    expect(r2.result.balanceAfter).toBe('420.00');
    expect((await reconcileLedger(t.db.kysely, [p1.id, p2.id])).ok).toBe(true);
  });

  it('late-fee accrual job: golden numbers P-1, P-2, P-3 (1996 minimum 1.00 vs 2024 0.06), idempotent', async () => {
    const a = take(), b = take(), c = take(), d = take();
    await setClass(a.id, 'residential');
    await setClass(b.id, 'large_industrial');
    await setClass(c.id, 'residential');
    await setClass(d.id, 'residential');
    const ra = await receivable(a.id, '300.00', '2024-07-15', '2024-06');
    const rb = await receivable(b.id, '10000.00', '2024-12-20', '2024-11');
    const rc = await receivable(c.id, '20.00', '2024-03-01', '2024-02'); // overdue from 2024-03-02: 1996 rule set in force
    const rd = await receivable(d.id, '20.00', '2024-07-01', '2024-06'); // 2024 rule set
    const get = async (id: number) => t.db.kysely.selectFrom('late_fee_accruals').selectAll().where('receivable_id', '=', id).executeTakeFirst();
    await accrueLateFees(t.db, '2024-08-04');
    expect((await get(ra.id))).toMatchObject({ days: 20, amount: '6.00', from_date: '2024-07-16' });
    await accrueLateFees(t.db, '2024-07-04');
    expect((await get(rd.id))).toMatchObject({ days: 3, amount: '0.06' });
    await accrueLateFees(t.db, '2024-03-04');
    expect((await get(rc.id))).toMatchObject({ days: 3, amount: '1.00' });
    const r = await accrueLateFees(t.db, '2025-01-10');
    expect((await get(rb.id))).toMatchObject({ days: 21, days_cross_year: 10, amount: '520.00' });
    const again = await accrueLateFees(t.db, '2025-01-10');
    expect(again.amount).toBe(r.amount);
    expect(again.receivables).toBe(r.receivables);
    // arrears aging as of 2025-01-10 (admin sees every unit)
    const admin = await t.login('admin');
    const ar = await t.call('GET', '/api/v1/payments/arrears?asOf=2025-01-10&pageSize=100', { cookie: admin });
    expect(ar.status).toBe(200);
    const row = (no: string) => ar.body.items.find((i: any) => i.accountNo === no);
    expect(row(b.account_no)).toMatchObject({ bucket: 'd1_30', daysOverdue: 21, outstanding: '10000.00', accruedLateFee: '520.00' });
    // 2024-07-15 -> 2025-01-10 = 179 days; 300.00 x 1‰ x 179 = 53.70
    expect(row(a.account_no)).toMatchObject({ bucket: 'd91_180', daysOverdue: 179, outstanding: '300.00', accruedLateFee: '53.70' });
    expect(ar.body.buckets.find((x: any) => x.code === 'd1_30').accounts).toBeGreaterThanOrEqual(1);
    const col = await t.login('collector');
    const oos = await t.call('GET', '/api/v1/payments/arrears?asOf=2025-01-10&pageSize=100', { cookie: col });
    expect(oos.body.items.length).toBeLessThanOrEqual(ar.body.items.length);
    await expect(accrueLateFees(t.db, '2025-13-01')).rejects.toThrow(/asOf/);
  });

  it('counter: open shift, several accounts on one receipt, receipt PDF, void with reason, close (日结), supervisor approval', async () => {
    const collector = await t.login('collector');
    const manager = await t.login('manager');
    const a = take(), b = take();
    await receivable(a.id, '150.00', '2099-01-15', '2098-12');
    await receivable(b.id, '88.80', '2099-01-15', '2098-12');
    const before = await count('payments');
    const noShift = await t.call('POST', '/api/v1/payments/counter', { cookie: collector, body: { items: [{ accountNo: a.account_no, amount: '150.00' }], method: 'cash' } });
    expect(noShift.status).toBe(409);
    expect(noShift.body.error.details.reason).toBe('NO_OPEN_SHIFT');
    const open = await t.call('POST', '/api/v1/payments/shifts', { cookie: collector, body: {} });
    expect(open.status).toBe(200);
    const shiftId = open.body.id;
    expect((await t.call('POST', '/api/v1/payments/shifts', { cookie: collector, body: {} })).status).toBe(409);

    // bad inputs: nothing posted
    const bads: Array<[unknown, string]> = [
      [{ items: [{ accountNo: a.account_no, amount: '1.005' }], method: 'cash' }, 'items.0.amount'],
      [{ items: [{ accountNo: a.account_no, amount: '-1' }], method: 'cash' }, 'items.0.amount'],
      [{ items: [{ accountNo: a.account_no, amount: '99999999' }], method: 'cash' }, 'items.0.amount'],
      [{ items: [{ accountNo: a.account_no, amount: '1' }], method: 'cash', currency: 'USD' }, 'currency'],
      [{ items: [{ accountNo: a.account_no, amount: '1' }, { accountNo: 'nope', amount: '1' }], method: 'cash' }, 'items.1.accountNo'],
      [{ items: [{ accountNo: a.account_no, amount: '1' }], method: 'cheque' }, 'method'],
    ];
    for (const [body, field] of bads) {
      const r = await t.call('POST', '/api/v1/payments/counter', { cookie: collector, body });
      expect([400, 404], JSON.stringify(body)).toContain(r.status);
      expect(r.body.error.details.field, JSON.stringify(body)).toBe(field);
    }
    const oos = await t.call('POST', '/api/v1/payments/counter', { cookie: collector, body: { items: [{ accountNo: outOfScope.account_no, amount: '1' }], method: 'cash' } });
    expect(oos.status).toBe(403);
    expect(await count('payments')).toBe(before);

    const requestId = 'counter-req-0001';
    const pay = await t.call('POST', '/api/v1/payments/counter', { cookie: collector, body: { items: [{ accountNo: a.account_no, amount: '150.00' }, { accountNo: b.account_no, amount: '100.00' }], method: 'cash', tendered: '300', requestId } });
    expect(pay.status).toBe(200);
    expect(pay.body).toMatchObject({ total: '250.00', change: '50.00', replayed: false });
    expect(pay.body.payments[1]).toMatchObject({ principalPaid: '88.80', credit: '11.20', balanceAfter: '-11.20' });
    // a double submit posts nothing new
    const dbl = await t.call('POST', '/api/v1/payments/counter', { cookie: collector, body: { items: [{ accountNo: a.account_no, amount: '150.00' }, { accountNo: b.account_no, amount: '100.00' }], method: 'cash', tendered: '300', requestId } });
    expect(dbl.body.replayed).toBe(true);
    expect(dbl.body.receiptNo).toBe(pay.body.receiptNo);
    expect(await count('payments')).toBe(before + 2);
    const card = await t.call('POST', '/api/v1/payments/counter', { cookie: collector, body: { items: [{ accountNo: a.account_no, amount: '20.00' }], method: 'card' } });
    expect(card.status).toBe(200);

    const pdf = await t.app.inject({ method: 'GET', url: `/api/v1/payments/receipts/${pay.body.receiptNo}/pdf`, headers: { cookie: collector } });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.headers['x-receipt-font']).toBe('cjk');

    const v0 = await t.call('POST', `/api/v1/payments/${card.body.payments[0].paymentId}/void`, { cookie: collector, body: {} });
    expect(v0.status).toBe(400);
    expect(v0.body.error.details.field).toBe('reason');
    const v1 = await t.call('POST', `/api/v1/payments/${card.body.payments[0].paymentId}/void`, { cookie: collector, body: { reason: '刷卡金额录错' } });
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ status: 'voided', balanceAfter: '0.00' });

    const cur = await t.call('GET', '/api/v1/payments/shifts/current', { cookie: collector });
    expect(cur.body.shift).toMatchObject({ id: shiftId, payments: 2, total: '250.00', voided: { count: 1, amount: '20.00' } });

    const wrong = await t.call('POST', `/api/v1/payments/shifts/${shiftId}/close`, { cookie: collector, body: { countedCash: '240.00' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details.field).toBe('differenceReason');
    const close = await t.call('POST', `/api/v1/payments/shifts/${shiftId}/close`, { cookie: collector, body: { countedCash: '250.00' } });
    expect(close.status).toBe(200);
    expect(close.body).toMatchObject({ status: 'closed', systemCash: '250.00', countedCash: '250.00', difference: '0.00' });
    expect(close.body.report.byMethod.cash).toEqual({ count: 2, amount: '250.00' });

    // void after the shift closed: refused, nothing changes
    const late = await t.call('POST', `/api/v1/payments/${pay.body.payments[0].paymentId}/void`, { cookie: collector, body: { reason: '收错了' } });
    expect(late.status).toBe(409);
    expect(late.body.error.details.reason).toBe('SHIFT_CLOSED');

    expect((await t.call('POST', `/api/v1/payments/shifts/${shiftId}/decision`, { cookie: collector, body: { decision: 'approve' } })).status).toBe(403);
    const list = await t.call('GET', '/api/v1/payments/shifts?status=closed', { cookie: manager });
    expect(list.body.items.map((s: any) => s.id)).toContain(shiftId);
    const ok = await t.call('POST', `/api/v1/payments/shifts/${shiftId}/decision`, { cookie: manager, body: { decision: 'approve', note: '核对无误' } });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('approved');
    const rep = await t.call('GET', `/api/v1/payments/shifts/${shiftId}`, { cookie: manager });
    expect(rep.body.items.map((i: any) => i.status)).toEqual(['posted', 'posted', 'voided']);
    expect((await reconcileLedger(t.db.kysely)).ok).toBe(true);
    const audit = await t.db.kysely.selectFrom('audit_events').select('action').where('action', 'in', ['shift.open', 'payment.post', 'payment.void', 'shift.close', 'shift.approve']).execute();
    expect(new Set(audit.map((x) => x.action)).size).toBe(5);
  });

  describe('channel API', () => {
    let secret = '';
    const code = 'BANK_A';
    const PAY = '/api/v1/channel/pay';
    async function signed(path: string, body: unknown, o: { ts?: number; nonce?: string; sig?: string; secret?: string; code?: string } = {}) {
      const raw = typeof body === 'string' ? body : JSON.stringify(body);
      const ts = String(o.ts ?? Math.floor(Date.now() / 1000));
      const nonce = o.nonce ?? crypto.randomUUID();
      const sig = o.sig ?? signRequest(o.secret ?? secret, 'POST', path, ts, nonce, raw);
      return t.call('POST', path, { body: raw, headers: { 'x-channel-code': o.code ?? code, 'x-timestamp': ts, 'x-nonce': nonce, 'x-signature': sig } });
    }

    it('a supervisor creates the channel; the secret is shown once', async () => {
      const manager = await t.login('manager');
      const collector = await t.login('collector');
      expect((await t.call('POST', '/api/v1/payments/channels', { cookie: collector, body: { code, name: '示范银行' } })).status).toBe(403);
      const c = await t.call('POST', '/api/v1/payments/channels', { cookie: manager, body: { code, name: '示范银行' } });
      expect(c.status).toBe(200);
      secret = c.body.secret;
      expect(secret).toMatch(/^[0-9a-f]{48}$/);
      const l = await t.call('GET', '/api/v1/payments/channels', { cookie: manager });
      expect(JSON.stringify(l.body)).not.toContain(secret);
    });

    it('query, pay, retry returns the original result (posted once), reverse', async () => {
      const a = take();
      await receivable(a.id, '66.60', '2099-02-01', '2098-12');
      const q = await signed('/api/v1/channel/query', { accountNo: a.account_no });
      expect(q.status).toBe(200);
      expect(q.body).toMatchObject({ amountDue: '66.60', currency: 'CNY' });
      const before = await count('payments');
      const body = { accountNo: a.account_no, amount: '66.60', currency: 'CNY', idempotencyKey: 'BANKA-TXN-0001' };
      const p1 = await signed(PAY, body);
      expect(p1.status).toBe(200);
      expect(p1.headers['idempotent-replayed']).toBe('false');
      for (let i = 0; i < 3; i++) {
        const again = await signed(PAY, body);
        expect(again.status).toBe(200);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.body).toEqual(p1.body);
      }
      expect(await count('payments')).toBe(before + 1);
      const mismatch = await signed(PAY, { ...body, amount: '60.00' });
      expect(mismatch.status).toBe(409);
      expect(mismatch.body.error.code).toBe('IDEMPOTENCY_MISMATCH');
      const due = await signed('/api/v1/channel/query', { accountNo: a.account_no });
      expect(due.body.amountDue).toBe('0.00');
      const rev = await signed('/api/v1/channel/reverse', { idempotencyKey: 'BANKA-TXN-0001', reason: '客户撤销' });
      expect(rev.status).toBe(200);
      expect(rev.body).toMatchObject({ status: 'reversed', balanceAfter: '66.60' });
      const rev2 = await signed('/api/v1/channel/reverse', { idempotencyKey: 'BANKA-TXN-0001' });
      expect(rev2.headers['idempotent-replayed']).toBe('true');
      expect((await signed('/api/v1/channel/reverse', { idempotencyKey: 'NO-SUCH-TXN' })).body.error.code).toBe('PAYMENT_NOT_FOUND');
      expect((await reconcileLedger(t.db.kysely, [a.id])).ok).toBe(true);
    });

    it('bad requests: each gets its code and nothing is posted', async () => {
      const a = take();
      await receivable(a.id, '10.00', '2099-02-01', '2098-12');
      const pc = await count('payments');
      const lc = await count('ledger_entries');
      const good = { accountNo: a.account_no, amount: '10.00', currency: 'CNY', idempotencyKey: 'BANKA-BAD-0001' };
      const now = Math.floor(Date.now() / 1000);
      const cases: Array<[Promise<{ status: number; body: any }>, number, string, string?]> = [
        [signed(PAY, good, { ts: now - 301 }), 401, 'TIMESTAMP_STALE', 'x-timestamp'],
        [signed(PAY, good, { ts: now + 400 }), 401, 'TIMESTAMP_STALE', 'x-timestamp'],
        [signed(PAY, good, { sig: 'ab'.repeat(32) }), 401, 'SIGNATURE_INVALID', 'x-signature'],
        [signed(PAY, good, { secret: 'not-the-secret' }), 401, 'SIGNATURE_INVALID', 'x-signature'],
        [signed(PAY, good, { code: 'NOBANK' }), 401, 'CHANNEL_UNKNOWN', 'x-channel-code'],
        [signed(PAY, { ...good, accountNo: '9999999999' }), 404, 'ACCOUNT_NOT_FOUND', 'accountNo'],
        [signed(PAY, { ...good, amount: '10.005' }), 400, 'AMOUNT_INVALID', 'amount'],
        [signed(PAY, { ...good, amount: 10.005 }), 400, 'AMOUNT_INVALID', 'amount'],
        [signed(PAY, { ...good, amount: '-10.00' }), 400, 'AMOUNT_INVALID', 'amount'],
        [signed(PAY, { ...good, amount: '0' }), 400, 'AMOUNT_INVALID', 'amount'],
        [signed(PAY, { ...good, amount: '100000000.00' }), 400, 'AMOUNT_INVALID', 'amount'],
        [signed(PAY, { ...good, currency: 'USD' }), 400, 'CURRENCY_UNSUPPORTED', 'currency'],
        [signed(PAY, { ...good, idempotencyKey: undefined }), 400, 'VALIDATION_FAILED', 'idempotencyKey'],
        [signed(PAY, '{"not json'), 400, 'VALIDATION_FAILED', 'body'],
      ];
      for (const [p, status, errCode, field] of cases) {
        const r = await p;
        expect(r.status, errCode).toBe(status);
        expect(r.body.error.code).toBe(errCode);
        if (field) expect(r.body.error.details.field, errCode).toBe(field);
      }
      // a captured request replayed with the same nonce
      const nonce = 'replay-nonce-0001';
      const first = await signed('/api/v1/channel/query', { accountNo: a.account_no }, { nonce });
      expect(first.status).toBe(200);
      const replay = await signed('/api/v1/channel/query', { accountNo: a.account_no }, { nonce });
      expect(replay.status).toBe(409);
      expect(replay.body.error.code).toBe('NONCE_REUSED');
      // a body altered after signing
      const ts = String(now);
      const sig = signRequest(secret, 'POST', PAY, ts, 'tamper-nonce-01', JSON.stringify(good));
      const tampered = await t.call('POST', PAY, { body: JSON.stringify({ ...good, amount: '1.00' }), headers: { 'x-channel-code': code, 'x-timestamp': ts, 'x-nonce': 'tamper-nonce-01', 'x-signature': sig } });
      expect(tampered.body.error.code).toBe('SIGNATURE_INVALID');
      expect(await count('payments')).toBe(pc);
      expect(await count('ledger_entries')).toBe(lc);
    });

    it('secret rotation: the previous secret works during the grace period only', async () => {
      const manager = await t.login('manager');
      const a = take();
      const old = secret;
      const r = await t.call('POST', `/api/v1/payments/channels/${code}/rotate`, { cookie: manager, body: { graceHours: 1 } });
      expect(r.status).toBe(200);
      secret = r.body.secret;
      expect((await signed('/api/v1/channel/query', { accountNo: a.account_no }, { secret: old })).status).toBe(200);
      expect((await signed('/api/v1/channel/query', { accountNo: a.account_no })).status).toBe(200);
      const r2 = await t.call('POST', `/api/v1/payments/channels/${code}/rotate`, { cookie: manager, body: { graceHours: 0 } });
      const mid = secret;
      secret = r2.body.secret;
      expect((await signed('/api/v1/channel/query', { accountNo: a.account_no }, { secret: mid })).body.error.code).toBe('SIGNATURE_INVALID');
      expect((await signed('/api/v1/channel/query', { accountNo: a.account_no })).status).toBe(200);
      await t.call('POST', `/api/v1/payments/channels/${code}/enabled`, { cookie: manager, body: { enabled: false } });
      expect((await signed('/api/v1/channel/query', { accountNo: a.account_no })).body.error.code).toBe('CHANNEL_DISABLED');
      await t.call('POST', `/api/v1/payments/channels/${code}/enabled`, { cookie: manager, body: { enabled: true } });
    });

    const dupN = engine === 'postgres' ? 1000 : 25;
    it(`${dupN} concurrent duplicate notifications post exactly one payment${engine === 'postgres' ? '' : ' (PGlite: small; the 1,000 run is on PostgreSQL)'}`, async () => {
      if (engine !== 'postgres') console.warn('\n*** payments: 1,000-way concurrency tests need PostgreSQL (DATABASE_URL); PGlite runs a 25-way version (one connection). ***\n');
      const a = take();
      await receivable(a.id, '500.00', '2099-02-01', '2098-12');
      const body = { accountNo: a.account_no, amount: '500.00', idempotencyKey: 'BANKA-DUP-0001' };
      const rs = await Promise.all(Array.from({ length: dupN }, () => signed(PAY, body)));
      expect(rs.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
      expect(new Set(rs.map((r) => r.body.paymentId)).size).toBe(1);
      expect(rs.filter((r) => r.headers['idempotent-replayed'] === 'false').length).toBe(1);
      const n = await t.db.kysely.selectFrom('payments').select(sql<number>`count(*)::int`.as('n')).where('account_id', '=', a.id).executeTakeFirstOrThrow();
      expect(n.n).toBe(1);
      expect((await reconcileLedger(t.db.kysely, [a.id])).ok).toBe(true);
    }, 300_000);

    it(`${dupN} concurrent payments to one account leave a correct balance`, async () => {
      const a = take();
      await receivable(a.id, '1000.00', '2099-02-01', '2098-12');
      await receivable(a.id, '234.56', '2099-03-01', '2099-01');
      const rs = await Promise.all(Array.from({ length: dupN }, (_, i) => signed(PAY, { accountNo: a.account_no, amount: `${1 + (i % 7)}.0${i % 10}`, idempotencyKey: `BANKA-CON-${String(i).padStart(5, '0')}` })));
      expect(rs.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
      const paid = Array.from({ length: dupN }, (_, i) => (1 + (i % 7)) * 100 + (i % 10)).reduce((s, x) => s + x, 0);
      const bal = await t.db.kysely.selectFrom('ledger_entries').select(sql<string>`sum(amount)::text`.as('b')).where('account_id', '=', a.id).executeTakeFirstOrThrow();
      expect(Math.round(Number(bal.b) * 100)).toBe(123456 - paid);
      expect((await reconcileLedger(t.db.kysely, [a.id])).ok).toBe(true);
    }, 300_000);
  });

  it('reconciliation (对账): long / short / mismatch lists, malformed file refused whole, audited resolutions', async () => {
    const collector = await t.login('collector');
    const manager = await t.login('manager');
    await t.db.kysely.insertInto('payment_channels').values({ code: 'RECON', name: 'recon bank', secret_current: 'x' }).execute();
    const a = take(), b = take(), c = take();
    for (const x of [a, b, c]) await receivable(x.id, '100.00', '2099-02-01', '2098-12');
    const day = new Date('2026-11-20T10:00:00+08:00');
    const pa = await channelPay(t.db, 'RECON', { accountNo: a.account_no, amount: '10.00', idempotencyKey: 'RECON-A-0001' }, {}, day);
    await channelPay(t.db, 'RECON', { accountNo: b.account_no, amount: '20.00', idempotencyKey: 'RECON-B-0001' }, {}, day);
    const pc = await channelPay(t.db, 'RECON', { accountNo: c.account_no, amount: '30.00', idempotencyKey: 'RECON-C-0001' }, {}, day);
    const pcount = await count('payments');
    const bad = await t.call('POST', '/api/v1/payments/statements', { cookie: collector, body: { channelCode: 'RECON', statementDate: '2026-11-20', csv: 'idempotencyKey,accountNo,amount\nRECON-A-0001,' + a.account_no + ',10.00\nRECON-B-0001,' + b.account_no + ',20.005\n' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('lines.3.amount');
    const bad2 = await t.call('POST', '/api/v1/payments/statements', { cookie: collector, body: { channelCode: 'RECON', statementDate: '2026-11-20', csv: 'idempotencyKey,accountNo,amount\nRECON-A-0001,' + a.account_no + '\n' } });
    expect(bad2.body.error.details.field).toBe('lines.2');
    expect(await t.db.kysely.selectFrom('channel_statements').select('id').execute()).toEqual([]);
    // A matches, B is missing (short), C differs (mismatch), D is only in the file (long)
    const csv = ['idempotencyKey,accountNo,amount,currency', `RECON-A-0001,${a.account_no},10.00,CNY`, `RECON-C-0001,${c.account_no},33.00,CNY`, `RECON-D-0001,${a.account_no},5.00,CNY`].join('\r\n');
    const imp = await t.call('POST', '/api/v1/payments/statements', { cookie: collector, body: { channelCode: 'RECON', statementDate: '2026-11-20', csv, fileName: 'recon-20261120.csv' } });
    expect(imp.status).toBe(200);
    expect(imp.body).toMatchObject({ lines: 3, matched: 1, long: 1, short: 1, mismatch: 1 });
    expect((await t.call('POST', '/api/v1/payments/statements', { cookie: collector, body: { channelCode: 'RECON', statementDate: '2026-11-20', csv } })).status).toBe(409);
    const st = await t.call('GET', `/api/v1/payments/statements/${imp.body.statementId}`, { cookie: collector });
    const item = (k: string) => st.body.items.find((i: any) => i.kind === k);
    expect(item('matched').paymentId).toBe(pa.result.paymentId);
    expect(item('mismatch')).toMatchObject({ paymentId: pc.result.paymentId, statementAmount: '33.00', postedAmount: '30.00' });
    expect(item('short').idempotencyKey).toBe('RECON-B-0001');
    expect(await count('payments')).toBe(pcount);
    // resolutions (supervisor, note required, action must fit the kind)
    const res = (id: number, body: unknown, cookie = manager) => t.call('POST', `/api/v1/payments/statements/items/${id}/resolve`, { cookie, body });
    expect((await res(item('long').id, { action: 'posted' })).body.error.details.field).toBe('note');
    expect((await res(item('long').id, { action: 'reversed', note: '错误操作' })).body.error.details.field).toBe('action');
    expect((await res(item('long').id, { action: 'posted', note: '银行已扣款' }, collector)).status).toBe(403);
    const long = await res(item('long').id, { action: 'posted', note: '银行已扣款，补记' });
    expect(long.status).toBe(200);
    expect((await res(item('long').id, { action: 'posted', note: '再来一次' })).status).toBe(409);
    const short = await res(item('short').id, { action: 'reversed', note: '银行未收到款项' });
    expect(short.status).toBe(200);
    expect((await res(item('mismatch').id, { action: 'channel_error', note: '银行金额有误，已通知' })).status).toBe(200);
    const bal = await t.call('GET', `/api/v1/payments/accounts/${b.account_no}/due`, { cookie: collector });
    expect(bal.body.amountDue).toBe('100.00');
    expect(await count('payments')).toBe(pcount + 1);
    expect((await reconcileLedger(t.db.kysely, [a.id, b.id, c.id])).ok).toBe(true);
    const audit = await t.db.kysely.selectFrom('audit_events').select('action').where('action', 'in', ['statement.import', 'statement.resolve']).execute();
    expect(audit.length).toBe(4);
  });

  it('late-fee waiver only through approval: request with reason, supervisor approves, the fee is gone', async () => {
    const collector = await t.login('collector');
    const manager = await t.login('manager');
    const a = take();
    await setClass(a.id, 'residential');
    const r = await receivable(a.id, '300.00', '2024-07-15', '2024-06');
    await t.db.kysely.insertInto('payment_channels').values({ code: 'WAIVE', name: 'w', secret_current: 'x' }).onConflict((oc) => oc.doNothing()).execute();
    // a partial payment on 2024-08-04 charges 6.00 fee and pays 1.00 of it: 5.00 charged, unpaid
    const p = await channelPay(t.db, 'WAIVE', { accountNo: a.account_no, amount: '1.00', idempotencyKey: 'WAIVE-0001' }, {}, new Date('2024-08-04T10:00:00+08:00'));
    expect(p.result.lateFeePaid).toBe('1.00');
    expect((await t.call('POST', '/api/v1/payments/waivers', { cookie: collector, body: { receivableId: r.id, waiveThrough: '2099-12-31' } })).body.error.details.field).toBe('reason');
    expect((await t.call('POST', '/api/v1/payments/waivers', { cookie: collector, body: { receivableId: r.id, waiveThrough: '2024-07-01', reason: '系统故障' } })).body.error.details.field).toBe('waiveThrough');
    const req = await t.call('POST', '/api/v1/payments/waivers', { cookie: collector, body: { receivableId: r.id, waiveThrough: '2099-12-31', reason: '银行系统故障导致逾期' } });
    expect(req.status).toBe(200);
    expect((await t.call('POST', '/api/v1/payments/waivers', { cookie: collector, body: { receivableId: r.id, waiveThrough: '2099-12-31', reason: '重复申请' } })).status).toBe(409);
    expect((await t.call('POST', `/api/v1/payments/waivers/${req.body.id}/decision`, { cookie: collector, body: { decision: 'approve' } })).status).toBe(403);
    const before = await t.call('GET', `/api/v1/payments/accounts/${a.account_no}/due`, { cookie: collector });
    expect(Number(before.body.lateFee)).toBeGreaterThan(5);
    const ok = await t.call('POST', `/api/v1/payments/waivers/${req.body.id}/decision`, { cookie: manager, body: { decision: 'approve', note: '核实属实' } });
    expect(ok.status).toBe(200);
    expect(ok.body.cancelledFee).toBe('5.00');
    const after = await t.call('GET', `/api/v1/payments/accounts/${a.account_no}/due`, { cookie: collector });
    expect(after.body).toMatchObject({ lateFee: '0.00', amountDue: '300.00', balance: '300.00' });
    expect((await reconcileLedger(t.db.kysely, [a.id])).ok).toBe(true);
  });

  it('the audit chain stays valid', async () => {
    const r = await verifyAudit(t.db);
    expect(r.ok).toBe(true);
  });
});
