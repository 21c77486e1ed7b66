/**
 * The read API of the payments UI (src/api/payments/ui.routes.ts): find accounts with the amount
 * due (户号 / name / bill id, scope), arrears with org-unit / route / bucket filters and totals,
 * routes in scope, statements for collectors and supervisors, an account's payments with
 * receipts. Permission and data scope on each; bad input names the field.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { postIssuedBills, postReceivable } from '../../src/app/payments/receivables.js';
import { inTx } from '../../src/app/context.js';
import '../../src/db/schema-payments.js';
import '../../src/db/schema-billing.js';

describe.each(engines())('payments UI API on %s', (engine) => {
  let t: TestApp;
  let accs: Array<{ id: number; account_no: string; name: string; org_unit_id: number; reading_route_id: number | null }> = [];
  let outOfScope: { id: number; account_no: string; org_unit_id: number };
  let collectorUnit: { id: number; path: string };
  let next = 0;
  const take = () => accs[next++];

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 80 });
    const k = t.db.kysely;
    collectorUnit = await k.selectFrom('users as u').innerJoin('org_units as o', 'o.id', 'u.org_unit_id').select(['o.id', 'o.path']).where('u.username', '=', 'collector').executeTakeFirstOrThrow();
    const rows = await k.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
      .select(['a.id', 'a.account_no', 'a.name', 'a.org_unit_id', 'a.reading_route_id', 'o.path']).orderBy('a.id').execute();
    accs = rows.filter((r) => r.path.startsWith(collectorUnit.path) && r.reading_route_id !== null);
    outOfScope = rows.find((r) => !r.path.startsWith(collectorUnit.path))!;
    expect(accs.length).toBeGreaterThan(8);
    expect(outOfScope).toBeTruthy();
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  const receivable = (accountId: number, amount: string, dueDate: string, period: string) =>
    inTx(t.db, (trx) => postReceivable(trx, { accountId, period, amountFen: Math.round(Number(amount) * 100), dueDate }));

  it('finds accounts by 户号, name and bill id with the amount due (late fee to today); scope and permission enforced', async () => {
    const collector = await t.login('collector');
    const a = take();
    await t.db.kysely.updateTable('accounts').set({ customer_class: 'residential', name: '缴费界面测试户' }).where('id', '=', a.id).execute();
    // overdue since 10 days before today: residential 1‰ per day on 100.00 -> 0.10 a day
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const due = new Date(Date.parse(today) - 10 * 86_400_000).toISOString().slice(0, 10);
    await receivable(a.id, '100.00', due, '2026-01');

    const byNo = await t.call('GET', `/api/v1/payments/ui/due?q=${a.account_no}`, { cookie: collector });
    expect(byNo.status).toBe(200);
    expect(byNo.body.items[0]).toMatchObject({ accountNo: a.account_no, accountId: a.id, lateFee: '1.00', amountDue: '101.00' });
    expect(byNo.body.items[0].items[0]).toMatchObject({ period: '2026-01', principalOutstanding: '100.00', lateFee: '1.00', overdueDays: 10 });

    const byName = await t.call('GET', `/api/v1/payments/ui/due?q=${encodeURIComponent('缴费界面测试')}`, { cookie: collector });
    expect(byName.body.items.map((i: any) => i.accountNo)).toEqual([a.account_no]);

    // by bill id
    const k = t.db.kysely;
    const run = await k.insertInto('billing_runs').values({ period: '2026-02', scope: '{}', filter: '{}', scope_key: `ui-${crypto.randomUUID()}`, reading_cutoff: new Date(), trial: false, status: 'completed' }).returning('id').executeTakeFirstOrThrow();
    const bill = await k.insertInto('bills').values({ account_id: a.id, run_id: run.id, period: '2026-02', trial: false, status: 'issued', org_unit_id: a.org_unit_id, account_no: a.account_no, customer_class: 'residential', amount_total: '50.00', due_date: '2099-03-15', issued_at: new Date() }).returning('id').executeTakeFirstOrThrow();
    await inTx(t.db, (trx) => postIssuedBills(trx, [bill.id]));
    const byBill = await t.call('GET', `/api/v1/payments/ui/due?q=${bill.id}`, { cookie: collector });
    const hit = byBill.body.items.find((i: any) => i.accountNo === a.account_no);
    expect(hit).toMatchObject({ amountDue: '151.00' });

    // out of scope: not found (never listed), LIKE wildcards are literal
    const oos = await t.call('GET', `/api/v1/payments/ui/due?q=${outOfScope.account_no}`, { cookie: collector });
    expect(oos.body.items).toEqual([]);
    const wild = await t.call('GET', `/api/v1/payments/ui/due?q=${encodeURIComponent('%')}`, { cookie: collector });
    expect(wild.body.items).toEqual([]);
    // bad input and permission
    const empty = await t.call('GET', '/api/v1/payments/ui/due?q=', { cookie: collector });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details.field).toBe('q');
    const clerk = await t.login('clerk');
    expect((await t.call('GET', `/api/v1/payments/ui/due?q=${a.account_no}`, { cookie: clerk })).status).toBe(403);
    expect((await t.call('GET', `/api/v1/payments/ui/due?q=${a.account_no}`)).status).toBe(401);
  });

  it('arrears: aging buckets, filters by org unit, route and bucket, totals; scope and bad input', async () => {
    const manager = await t.login('manager');
    const asOf = '2030-06-30';
    const b = take(), c = take(), d = take();
    await receivable(b.id, '10.00', '2030-06-20', '2030-05'); // 10 days: d1_30
    await receivable(c.id, '20.50', '2030-04-01', '2030-03'); // 90 days: d61_90
    await receivable(c.id, '5.25', '2030-05-25', '2030-04'); // same account, oldest counts
    await receivable(d.id, '30.00', '2029-12-01', '2029-11'); // 211 days: d181_
    const all = await t.call('GET', `/api/v1/payments/ui/arrears?asOf=${asOf}&pageSize=100`, { cookie: manager });
    expect(all.status).toBe(200);
    const mine = all.body.items.filter((i: any) => [b.account_no, c.account_no, d.account_no].includes(i.accountNo));
    expect(mine.map((i: any) => [i.accountNo, i.bucket, i.daysOverdue, i.outstanding, i.receivables])).toEqual([
      [d.account_no, 'd181_', 211, '30.00', 1],
      [c.account_no, 'd61_90', 90, '25.75', 2],
      [b.account_no, 'd1_30', 10, '10.00', 1],
    ]);
    expect(mine[0].routeCode).toBeTruthy();
    // totals = sum of buckets (exact, in fen)
    const sum = all.body.buckets.reduce((s: bigint, x: any) => s + BigInt(x.outstanding.replace('.', '')), 0n);
    expect(BigInt(all.body.totals.outstanding.replace('.', ''))).toBe(sum);
    expect(all.body.totals.accounts).toBe(all.body.buckets.reduce((s: number, x: any) => s + x.accounts, 0));
    expect(all.body.total).toBe(all.body.totals.accounts);

    const bucket = await t.call('GET', `/api/v1/payments/ui/arrears?asOf=${asOf}&bucket=d61_90&pageSize=100`, { cookie: manager });
    expect(bucket.body.items.every((i: any) => i.bucket === 'd61_90')).toBe(true);
    expect(bucket.body.items.map((i: any) => i.accountNo)).toContain(c.account_no);
    expect(bucket.body.total).toBe(bucket.body.buckets.find((x: any) => x.code === 'd61_90').accounts);

    const route = await t.call('GET', `/api/v1/payments/ui/arrears?asOf=${asOf}&routeId=${d.reading_route_id}&pageSize=100`, { cookie: manager });
    expect(route.body.items.map((i: any) => i.accountNo)).toContain(d.account_no);
    expect(route.body.items.every((i: any) => i.routeId === d.reading_route_id)).toBe(true);

    const org = await t.call('GET', `/api/v1/payments/ui/arrears?asOf=${asOf}&orgUnitId=${collectorUnit.id}&pageSize=100`, { cookie: manager });
    expect(org.body.totals.accounts).toBe(all.body.totals.accounts);
    // the account of another station is not in this station's arrears even when it owes
    await receivable(outOfScope.id, '99.00', '2030-01-01', '2029-12');
    const again = await t.call('GET', `/api/v1/payments/ui/arrears?asOf=${asOf}&pageSize=100`, { cookie: manager });
    expect(again.body.items.map((i: any) => i.accountNo)).not.toContain(outOfScope.account_no);
    const admin = await t.login('admin');
    const adm = await t.call('GET', `/api/v1/payments/ui/arrears?asOf=${asOf}&orgUnitId=${outOfScope.org_unit_id}&pageSize=100`, { cookie: admin });
    expect(adm.body.items.map((i: any) => i.accountNo)).toContain(outOfScope.account_no);

    const foreign = await t.call('GET', `/api/v1/payments/ui/arrears?orgUnitId=${outOfScope.org_unit_id}`, { cookie: manager });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('OUT_OF_SCOPE');
    const bad = await t.call('GET', '/api/v1/payments/ui/arrears?bucket=d0', { cookie: manager });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('bucket');
    const badDate = await t.call('GET', '/api/v1/payments/ui/arrears?asOf=2030-02-30', { cookie: manager });
    expect(badDate.status).toBe(400);
    expect(badDate.body.error.details.field).toBe('asOf');

    const routes = await t.call('GET', '/api/v1/payments/ui/routes', { cookie: manager });
    expect(routes.status).toBe(200);
    expect(routes.body.items.map((r: any) => r.id)).toContain(d.reading_route_id);
    const clerk = await t.login('clerk');
    expect((await t.call('GET', '/api/v1/payments/ui/arrears', { cookie: clerk })).status).toBe(403);
  });

  it('statements: a collector imports, the supervisor (payment.supervise only) lists and opens it and resolves; unresolved counts follow', async () => {
    const admin = await t.login('admin');
    const collector = await t.login('collector');
    const manager = await t.login('manager');
    const ch = await t.call('POST', '/api/v1/payments/channels', { cookie: admin, body: { code: 'UIBANK', name: '界面测试银行' } });
    expect(ch.status).toBe(200);
    const e = take();
    await receivable(e.id, '40.00', '2099-01-01', '2098-12');
    const csv = `idempotencyKey,accountNo,amount\nuitest-long-0001,${e.account_no},40.00\n`;
    const imp = await t.call('POST', '/api/v1/payments/statements', { cookie: collector, body: { channelCode: 'UIBANK', statementDate: '2026-11-27', csv, fileName: 'ui.csv' } });
    expect(imp.status).toBe(200);
    expect(imp.body).toMatchObject({ long: 1, matched: 0 });

    const list = await t.call('GET', '/api/v1/payments/ui/statements', { cookie: manager });
    expect(list.status).toBe(200);
    expect(list.body.channels.map((c: any) => c.code)).toContain('UIBANK');
    expect(list.body.channels[0]).not.toHaveProperty('secret_current');
    const row = list.body.items.find((s: any) => s.id === imp.body.statementId);
    expect(row).toMatchObject({ channelCode: 'UIBANK', long: 1, unresolved: 1, fileName: 'ui.csv' });

    const one = await t.call('GET', `/api/v1/payments/ui/statements/${imp.body.statementId}`, { cookie: manager });
    expect(one.status).toBe(200);
    expect(one.body.items).toHaveLength(1);
    expect(one.body.items[0]).toMatchObject({ kind: 'long', accountNo: e.account_no, statementAmount: '40.00', resolution: null });
    const res = await t.call('POST', `/api/v1/payments/statements/items/${one.body.items[0].id}/resolve`, { cookie: manager, body: { action: 'posted', note: '渠道已扣款，补记入账' } });
    expect(res.status).toBe(200);
    const after = await t.call('GET', '/api/v1/payments/ui/statements', { cookie: collector });
    expect(after.body.items.find((s: any) => s.id === imp.body.statementId).unresolved).toBe(0);
    expect((await t.call('GET', '/api/v1/payments/ui/statements/999999', { cookie: manager })).status).toBe(404);
    const clerk = await t.login('clerk');
    expect((await t.call('GET', '/api/v1/payments/ui/statements', { cookie: clerk })).status).toBe(403);
  });

  it("an account's payments: receipts, voided with reason, balance and due; clerk reads, customer only their own", async () => {
    const collector = await t.login('collector');
    const f = take();
    await receivable(f.id, '70.00', '2099-02-01', '2099-01');
    const cur = await t.call('GET', '/api/v1/payments/shifts/current', { cookie: collector });
    if (!cur.body.shift) expect((await t.call('POST', '/api/v1/payments/shifts', { cookie: collector, body: { openingFloat: '100.00' } })).status).toBe(200);
    const p1 = await t.call('POST', '/api/v1/payments/counter', { cookie: collector, body: { items: [{ accountNo: f.account_no, amount: '30.00' }], method: 'cash' } });
    const p2 = await t.call('POST', '/api/v1/payments/counter', { cookie: collector, body: { items: [{ accountNo: f.account_no, amount: '5.00' }], method: 'qr' } });
    expect(p1.status).toBe(200);
    expect((await t.call('POST', `/api/v1/payments/${p2.body.payments[0].paymentId}/void`, { cookie: collector, body: { reason: '扫码重复' } })).status).toBe(200);

    const clerk = await t.login('clerk');
    const r = await t.call('GET', `/api/v1/payments/ui/accounts/${f.account_no}/payments`, { cookie: clerk });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accountNo: f.account_no, balance: '40.00', amountDue: '40.00', total: 2 });
    expect(r.body.payments.map((p: any) => [p.amount, p.status, p.method, p.receiptNo])).toEqual([
      ['5.00', 'voided', 'qr', p2.body.receiptNo],
      ['30.00', 'posted', 'cash', p1.body.receiptNo],
    ]);
    expect(r.body.payments[0].reversalReason).toBe('扫码重复');

    const customer = await t.login('customer');
    const own = await t.call('GET', `/api/v1/payments/ui/accounts/${f.account_no}/payments`, { cookie: customer });
    expect(own.status).toBe(403);
    expect((await t.call('GET', `/api/v1/payments/ui/accounts/${outOfScope.account_no}/payments`, { cookie: collector })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/payments/ui/accounts/NOPE000/payments', { cookie: collector })).status).toBe(404);
  });
});
