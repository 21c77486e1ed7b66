/**
 * Group posting of channel payments (src/app/payments/channel-batch.ts) on PGlite and (with
 * DATABASE_URL) PostgreSQL:
 * - a group gives every request the same outcome, ledger, receivables and stored result as
 *   posting the same requests one by one (late fee charged, two payments to one account in one
 *   group, credit), compared field by field on twin accounts;
 * - request-level refusals inside a group (nonce twice or used before, unknown 户号, a key
 *   twice, a key posted before with another amount) never fail the group;
 * - a group whose transaction fails keeps nothing and posts each request alone: the bad one gets
 *   its own error, the others are posted;
 * - concurrent requests through the batcher form groups; the ledger reconciles and the audit
 *   chain verifies with one payment.post event per payment.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { postReceivable } from '../../src/app/payments/receivables.js';
import { ChannelPayBatcher, postAlone, postGroup, type ChannelPayRequest } from '../../src/app/payments/channel-batch.js';
import { reconcileLedger } from '../../src/app/payments/ledger.js';
import { inTx } from '../../src/app/context.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import '../../src/db/schema-payments.js';

describe.each(engines())('channel group posting on %s', (engine) => {
  let t: TestApp;
  let accs: Array<{ id: number; account_no: string }> = [];
  let next = 0;
  const take = () => accs[next++];
  let nonceNo = 0;
  const now = new Date('2026-11-20T10:00:00+08:00');

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 80 });
    accs = await t.db.kysely.selectFrom('accounts').select(['id', 'account_no']).orderBy('id').execute();
    await t.db.kysely.insertInto('payment_channels').values({ code: 'GRP', name: 'group bank', secret_current: 'x' }).execute();
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  const receivable = (accountId: number, amount: string, dueDate: string, period: string) =>
    inTx(t.db, (trx) => postReceivable(trx, { accountId, period, amountFen: Math.round(Number(amount) * 100), dueDate }));
  const req = (accountNo: string, amount: string, key: string, o: { nonce?: string | null } = {}): ChannelPayRequest => ({
    channel: 'GRP', accountNo, amountFen: Math.round(Number(amount) * 100), method: 'transfer', idempotencyKey: key, externalTxnId: key,
    nonce: o.nonce === null ? null : { code: 'GRP', nonce: o.nonce ?? `grp-nonce-${engine}-${++nonceNo}`, nonceExpires: new Date(Date.now() + 600_000) },
    meta: { requestId: `req-${key}` }, now,
  });
  /** what a payment did, without ids and timestamps */
  const shape = (r: any) => ({ ...r, paymentId: 0, postedAt: '', accountNo: '', accountName: '', idempotencyKey: '', externalTxnId: '', allocations: r.allocations.map((a: any) => ({ ...a, receivableId: 0 })) });
  const ledger = async (accountId: number) =>
    (await t.db.kysely.selectFrom('ledger_entries').select(['kind', 'component', 'amount', 'entry_date', 'memo']).where('account_id', '=', accountId).orderBy('id').execute());
  const receivables = async (accountId: number) =>
    (await t.db.kysely.selectFrom('receivables').select(['period', 'amount', 'principal_paid', 'fee_charged', 'fee_paid', 'fee_through', 'status']).where('account_id', '=', accountId).orderBy('id').execute());

  it('a group posts exactly what posting one by one posts (late fee, two payments to one account, credit)', async () => {
    const [a1, b1, a2, b2] = [take(), take(), take(), take()];
    for (const a of [a1, a2, b1, b2]) await t.db.kysely.updateTable('accounts').set({ customer_class: 'residential' }).where('id', '=', a.id).execute();
    for (const a of [a1, a2]) {
      await receivable(a.id, '100.00', '2026-10-15', '2026-09'); // overdue: late fee through the pay day
      await receivable(a.id, '50.00', '2026-12-15', '2026-10');
    }
    for (const b of [b1, b2]) await receivable(b.id, '30.00', '2026-12-15', '2026-10');
    const script = (a: { account_no: string }, b: { account_no: string }, tag: string) => [
      req(a.account_no, '60.00', `${tag}-1`), req(b.account_no, '10.00', `${tag}-2`), req(a.account_no, '120.00', `${tag}-3`), req(b.account_no, '25.00', `${tag}-4`),
    ];
    const alone = [];
    for (const r of script(a1, b1, `ALONE-${engine}`)) alone.push(await postAlone(t.db, r));
    const grouped = await inTx(t.db, (trx) => postGroup(trx, script(a2, b2, `GROUP-${engine}`)));
    expect(grouped.every((o) => o.ok)).toBe(true);
    const values = grouped.map((o) => (o.ok ? o.value : null)!);
    expect(values.map((v) => v.replayed)).toEqual([false, false, false, false]);
    expect(values.map((v) => shape(v.result))).toEqual(alone.map((v) => shape(v.result)));
    // by hand: residential 1‰ a day on 100.00 from 10-16 to the pay day 11-20 (36 days) = 3.60;
    // 60.00 pays 3.60 + 56.40 (balance 150 + 3.60 - 60); 120.00 pays 43.60 + 50.00, 26.40 credit
    expect(values[0].result).toMatchObject({ lateFeePaid: '3.60', principalPaid: '56.40', credit: '0.00', balanceAfter: '93.60' });
    expect(values[2].result).toMatchObject({ lateFeePaid: '0.00', principalPaid: '93.60', credit: '26.40', balanceAfter: '-26.40' });
    expect(values[3].result).toMatchObject({ principalPaid: '20.00', credit: '5.00', balanceAfter: '-5.00' });
    expect(await ledger(a2.id)).toEqual(await ledger(a1.id));
    expect(await ledger(b2.id)).toEqual(await ledger(b1.id));
    expect(await receivables(a2.id)).toEqual(await receivables(a1.id));
    expect(await receivables(b2.id)).toEqual(await receivables(b1.id));
    // the stored result is what a retry gets
    const stored = await t.db.kysely.selectFrom('payments').select(['id', 'response', 'unallocated']).where('id', '=', values[2].result.paymentId).executeTakeFirstOrThrow();
    expect(stored.response).toEqual(values[2].result);
    expect(stored.unallocated).toBe('26.40');
    expect((await reconcileLedger(t.db.kysely, [a1.id, b1.id, a2.id, b2.id])).ok).toBe(true);
    const audits = await t.db.kysely.selectFrom('audit_events').select(['entity_id', 'actor_name', 'request_id']).where('action', '=', 'payment.post').where('entity_id', 'in', values.map((v) => String(v.result.paymentId))).orderBy('id').execute();
    expect(audits.map((x) => x.entity_id)).toEqual(values.map((v) => String(v.result.paymentId)));
    expect(audits.every((x) => x.actor_name === 'channel:GRP')).toBe(true);
    expect(audits.map((x) => x.request_id)).toEqual(values.map((v) => `req-GROUP-${engine}-${v.result.idempotencyKey.split('-').pop()}`));
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });

  it('refusals inside a group are per request: nonce twice or used before, unknown 户号, a key twice, a key posted before', async () => {
    const [a, b] = [take(), take()];
    await receivable(a.id, '80.00', '2026-12-15', '2026-10');
    await receivable(b.id, '80.00', '2026-12-15', '2026-10');
    const before = await postAlone(t.db, req(b.account_no, '5.00', `EARLY-${engine}`, { nonce: `grp-used-${engine}` }));
    const pc = Number((await t.db.kysely.selectFrom('payments').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n);
    const group = [
      req(a.account_no, '10.00', `G2-${engine}-1`, { nonce: `grp-twice-${engine}` }),
      req(a.account_no, '11.00', `G2-${engine}-2`, { nonce: `grp-twice-${engine}` }), // nonce again → NONCE_REUSED
      req(a.account_no, '12.00', `G2-${engine}-3`, { nonce: `grp-used-${engine}` }), // nonce of an earlier request
      req('9999999999', '13.00', `G2-${engine}-4`), // unknown 户号
      req(a.account_no, '10.00', `G2-${engine}-1`), // key again, same payment → the first one's result
      req(a.account_no, '14.00', `G2-${engine}-1`), // key again, another amount
      req(b.account_no, '5.00', `EARLY-${engine}`), // posted before: replay
      req(b.account_no, '6.00', `EARLY-${engine}`), // posted before with another amount
    ];
    const o = await inTx(t.db, (trx) => postGroup(trx, group));
    const code = (x: (typeof o)[number]) => (x.ok ? (x.value.replayed ? 'replayed' : 'posted') : (x.error as any).channelCode);
    expect(o.map(code)).toEqual(['posted', 'NONCE_REUSED', 'NONCE_REUSED', 'ACCOUNT_NOT_FOUND', 'replayed', 'IDEMPOTENCY_MISMATCH', 'replayed', 'IDEMPOTENCY_MISMATCH']);
    const v = (n: number) => (o[n].ok ? (o[n] as any).value.result : null);
    expect(v(4)).toEqual(v(0));
    expect(v(6)).toEqual(before.result);
    expect(((o[3] as any).error).details.field).toBe('accountNo');
    const pc2 = Number((await t.db.kysely.selectFrom('payments').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n);
    expect(pc2).toBe(pc + 1);
    expect((await reconcileLedger(t.db.kysely, [a.id, b.id])).ok).toBe(true);
  });

  it('a group whose transaction fails keeps nothing; each request is then posted alone and only the bad one fails', async () => {
    const [a, b] = [take(), take()];
    await receivable(a.id, '40.00', '2026-12-15', '2026-10');
    await receivable(b.id, '40.00', '2026-12-15', '2026-10');
    // a database-level refusal of one payment (stands in for any error that aborts a transaction)
    await sql`create or replace function test_refuse_boom() returns trigger language plpgsql as $$
      begin if new.idempotency_key like 'BOOM%' then raise exception 'refused by test trigger'; end if; return new; end $$`.execute(t.db.kysely);
    await sql`create trigger test_refuse_boom before insert on payments for each row execute function test_refuse_boom()`.execute(t.db.kysely);
    try {
      const fallbacks: number[] = [];
      const batcher = new ChannelPayBatcher(t.db, { maxBatch: 10, maxInFlight: 1 }, (_e, size) => fallbacks.push(size));
      const rs = await Promise.allSettled([
        batcher.submit(req(a.account_no, '10.00', `FB-${engine}-1`)),
        batcher.submit(req(b.account_no, '10.00', `BOOM-${engine}-2`)),
        batcher.submit(req(b.account_no, '15.00', `FB-${engine}-3`)),
      ]);
      expect(rs.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((rs[1] as PromiseRejectedResult).reason)).toMatch(/refused by test trigger/);
      expect(fallbacks).toEqual([3]);
      expect(batcher.stats).toMatchObject({ groups: 1, payments: 3, fallbacks: 1 });
      const keys = (await t.db.kysely.selectFrom('payments').select('idempotency_key').where('account_id', 'in', [a.id, b.id]).orderBy('id').execute()).map((x) => x.idempotency_key);
      expect(keys).toEqual([`FB-${engine}-1`, `FB-${engine}-3`]);
      // the failed request's nonce was not spent by the group; the single path spent it before failing
      const spent = await t.db.kysely.selectFrom('channel_nonces').select('nonce').where('channel_code', '=', 'GRP').execute();
      expect(spent.length).toBeGreaterThanOrEqual(3);
      expect((await reconcileLedger(t.db.kysely, [a.id, b.id])).ok).toBe(true);
    } finally {
      await sql`drop trigger test_refuse_boom on payments`.execute(t.db.kysely);
    }
  });

  it('concurrent requests form groups; every payment posted once; the ledger reconciles and the audit verifies', async () => {
    const targets = [take(), take(), take(), take(), take()];
    for (const a of targets) await receivable(a.id, '500.00', '2026-12-15', '2026-10');
    const batcher = new ChannelPayBatcher(t.db, { maxBatch: 16, maxInFlight: 2 });
    const n = engine === 'postgres' ? 300 : 60;
    const reqs = Array.from({ length: n }, (_, i) => req(targets[i % targets.length].account_no, `${1 + (i % 5)}.${String(i % 100).padStart(2, '0')}`, `CONC-${engine}-${i}`));
    const rs = await Promise.all(reqs.map((r) => batcher.submit(r)));
    expect(rs.every((r) => !r.replayed)).toBe(true);
    expect(new Set(rs.map((r) => r.result.paymentId)).size).toBe(n);
    expect(batcher.stats.groups).toBeLessThan(n / 4);
    expect(batcher.stats.largestGroup).toBeLessThanOrEqual(16);
    expect(batcher.stats.fallbacks).toBe(0);
    for (const a of targets) {
      const paid = reqs.filter((r) => r.accountNo === a.account_no).reduce((s, r) => s + r.amountFen, 0);
      const bal = await t.db.kysely.selectFrom('ledger_entries').select(sql<string>`sum(amount)::text`.as('b')).where('account_id', '=', a.id).executeTakeFirstOrThrow();
      expect(Math.round(Number(bal.b) * 100)).toBe(50000 - paid);
    }
    // balanceAfter of an account's payments: all different, the last one posted (the lowest) is the ledger balance
    for (const a of targets) {
      const mine = rs.filter((r) => r.result.accountNo === a.account_no).map((r) => Math.round(Number(r.result.balanceAfter) * 100));
      const paid = reqs.filter((r) => r.accountNo === a.account_no).reduce((s, r) => s + r.amountFen, 0);
      expect(new Set(mine).size).toBe(mine.length);
      expect(Math.min(...mine)).toBe(50000 - paid);
    }
    expect((await reconcileLedger(t.db.kysely, targets.map((a) => a.id))).ok).toBe(true);
    const audits = await t.db.kysely.selectFrom('audit_events').select(sql<number>`count(*)::int`.as('n')).where('action', '=', 'payment.post').where('entity_id', 'in', rs.map((r) => String(r.result.paymentId))).executeTakeFirstOrThrow();
    expect(audits.n).toBe(n);
    expect((await verifyAudit(t.db)).ok).toBe(true);
  }, 120_000);
});
