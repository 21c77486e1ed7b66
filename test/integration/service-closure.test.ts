/**
 * 销户 final settlement and the 单一制 switch (issue 7 completion), through the API on PGlite
 * (and PostgreSQL with DATABASE_URL):
 * - 销户 of an account with a credit: final bill from the day after the last billed day to the
 *   final reading day, amount checked by hand against the tariff (ZJ-AGRI-LT1KV, flat 0.6170
 *   元/kWh), the credit pays the final bill and the rest is refunded (ledger `refund`, balance 0,
 *   refund pending → paid by the collector), ledger reconciles, audit chain verifies;
 * - 销户 with arrears refused with nothing changed, then completed with payAtCounter;
 * - 暂停 leaving less than the 两部制 threshold switches to 单一制 from the sealing day and back
 *   on 恢复; the threshold is a setting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import { inTx, SYSTEM_ACTOR } from '../../src/app/context.js';
import { postPayment } from '../../src/app/payments/post-payment.js';
import { postIssuedBills, postReceivable } from '../../src/app/payments/receivables.js';
import { findAccount } from '../../src/app/payments/accounts.js';
import { reconcileLedger } from '../../src/app/payments/ledger.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');

describe.each(engines())('销户 settlement and 单一制 on %s', (engine) => {
  let t: TestApp;
  let admin: string, engineer: string, collector: string, clerk2: string;
  let collectorPath: string;

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 160 });
    admin = await t.login('admin');
    [engineer, collector, clerk2] = await Promise.all(['engineer', 'collector', 'clerk2'].map((u) => t.login(u)));
    const u = await t.db.kysely.selectFrom('users as u').innerJoin('org_units as o', 'o.id', 'u.org_unit_id').select('o.path').where('u.username', '=', 'collector').executeTakeFirstOrThrow();
    collectorPath = u.path;
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  const get = async (id: number) => (await t.call('GET', `/api/v1/service/requests/${id}`, { cookie: engineer })).body;
  const pass = (id: number, on: string, form?: Record<string, unknown>) =>
    t.call('POST', `/api/v1/service/requests/${id}/transition`, { cookie: engineer, body: { action: 'pass', on, ...(form ? { form } : {}) } });
  async function apply(body: Record<string, unknown>) {
    const r = await t.call('POST', '/api/v1/service/requests', { cookie: engineer, body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body as { id: number; requestNo: string };
  }
  /** Pass stages (documents attached) until `stop` is the current stage or the request is done. */
  async function walkTo(id: number, on: string, stop: string | null, forms: Record<string, Record<string, unknown>> = {}) {
    for (let i = 0; i < 12; i++) {
      const r = await get(id);
      if (r.status !== 'open' || r.stage === stop) return r;
      for (const d of r.requiredDocuments.filter((x: any) => !x.present)) {
        const up = await t.call('POST', `/api/v1/service/requests/${id}/documents`, { cookie: engineer, body: { kind: d.kind, fileName: `${d.kind}.png`, contentType: 'image/png', dataBase64: PNG } });
        expect(up.status).toBe(201);
      }
      const p = await pass(id, on, forms[r.stage]);
      expect(p.status, `${r.stage}: ${JSON.stringify(p.body)}`).toBe(200);
    }
    throw new Error('did not finish');
  }
  const balance = async (accountId: number) =>
    (await sql<{ b: string }>`select coalesce(sum(amount), 0)::numeric(14,2)::text as b from ledger_entries where account_id = ${accountId}`.execute(t.db.kysely)).rows[0].b;

  /**
   * An account of the collector's org unit made an agricultural one on the flat tariff
   * ZJ-AGRI-LT1KV (0.6170 元/kWh from 2024-01-01; fixture: archive row and versions).
   */
  async function flatAccount(skip: number[] = []) {
    const k = t.db.kysely;
    const pick = await k.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').select('a.id')
      .where('a.customer_class', '=', 'residential').where('a.status', '=', 'active').where('o.path', 'like', collectorPath + '%')
      .where((eb) => eb.exists(eb.selectFrom('meter_installations as mi').select('mi.id').whereRef('mi.account_id', '=', 'a.id').where('mi.removed_on', 'is', null)))
      .$if(skip.length > 0, (b) => b.where('a.id', 'not in', skip)).orderBy('a.id').executeTakeFirstOrThrow();
    await k.updateTable('accounts').set({ tariff_code: 'ZJ-AGRI-LT1KV', customer_class: 'agricultural' }).where('id', '=', pick.id).execute();
    await sql`update account_versions set attributes = attributes || '{"tariffCode": "ZJ-AGRI-LT1KV", "customerClass": "agricultural"}'::jsonb where account_id = ${pick.id}`.execute(k);
    const a = await k.selectFrom('accounts').select(['id', 'account_no', 'name', 'org_unit_id', 'customer_class']).where('id', '=', pick.id).executeTakeFirstOrThrow();
    const inst = await k.selectFrom('meter_installations as mi').innerJoin('meters as m', 'm.id', 'mi.meter_id')
      .select(['mi.id', 'mi.meter_id', 'mi.metering_point_id', 'mi.initial_readings', 'mi.installed_on', 'm.multiplier'])
      .where('mi.account_id', '=', a.id).where('mi.removed_on', 'is', null).executeTakeFirstOrThrow();
    return { a, inst };
  }

  /** June 2025 was read (initial + 100) and billed: issued bill ending 2025-06-30, posted as a receivable. Returns its amount in 分. */
  async function billedThroughJune(a: { id: number; org_unit_id: number; account_no: string; customer_class: string }, inst: { meter_id: number; metering_point_id: number; multiplier: string }, init: number, pay?: number) {
    const mult = Number(inst.multiplier);
    const juneValue = (init + 100).toFixed(2);
    await inTx(t.db, async (trx) => {
      await trx.insertInto('register_readings').values({
        account_id: a.id, meter_id: inst.meter_id, metering_point_id: inst.metering_point_id, register: 'TOTAL', read_at: new Date('2025-06-30T16:00:00Z'),
        billing_period: '2025-06', value: juneValue, consumption: (100 * mult).toFixed(4), source: 'manual', status: 'accepted',
      } as never).execute();
      const run = await trx.insertInto('billing_runs').values({ period: '2025-06', scope: '{}', filter: '{}', scope_key: `test-june-${a.id}`, status: 'completed', reading_cutoff: new Date(), issued_at: new Date() } as never).returning('id').executeTakeFirstOrThrow();
      const juneAmount = ((Math.round(100 * mult) * 6170) / 10000).toFixed(2);
      const b = await trx.insertInto('bills').values({
        account_id: a.id, run_id: run.id, period: '2025-06', status: 'issued', org_unit_id: a.org_unit_id, account_no: a.account_no, customer_class: a.customer_class,
        period_start: '2025-06-01', period_end: '2025-06-30', days: 30, energy_kwh: String(Math.round(100 * mult)), amount_total: juneAmount, issued_at: new Date(), due_date: '2025-07-15',
      } as never).returning('id').executeTakeFirstOrThrow();
      await postIssuedBills(trx, [Number(b.id)]);
      if (pay) {
        const acc = await findAccount(trx, { accountId: a.id });
        await postPayment(trx, SYSTEM_ACTOR, { account: acc, channel: 'COUNTER', method: 'cash', amountFen: pay, idempotencyKey: `test-credit-${a.id}`, payDate: '2025-07-02' });
      }
    });
    return Math.round((Math.round(100 * mult) * 6170) / 100);
  }

  it('销户 with a credit: final bill by hand, credit pays it, the rest is refunded; balance zero; refund paid by the collector; audit verifies', async () => {
    const k = t.db.kysely;
    const { a, inst } = await flatAccount();
    const init = Number((inst.initial_readings as Record<string, string>).TOTAL ?? 0);
    const mult = Number(inst.multiplier);
    // June 2025 billed; the customer pays 500.00 at the counter: the June bill is settled, the rest is credit
    await billedThroughJune(a, inst, init, 50_000);
    const juneFen = Math.round(Math.round(100 * mult) * 6170 / 100);
    const creditFen = 50_000 - juneFen;
    expect(await balance(a.id)).toBe((-creditFen / 100).toFixed(2));

    // 销户 on 2025-07-15 with the final reading june + 37.5: refund by bank transfer
    const finalValue = (init + 100 + 37.5).toFixed(2);
    const cl = await apply({ type: 'close', accountId: a.id, receivedOn: '2025-07-10', data: { refund: { method: 'transfer', payeeBank: '中国工商银行', payeeAccount: '6222020200112233445' } } });
    const r = await walkTo(cl.id, '2025-07-14', null, { execute: { effectiveOn: '2025-07-15', finalReading: finalValue } });
    expect(r.status).toBe('completed');
    const settlement = r.effects.find((e: any) => e.effect === 'close_account').summary.settlement;
    expect(settlement.status).toBe('done');

    // hand check: kWh = round(37.5 × multiplier) half-up; amount = kWh × 0.6170 元 rounded to 分
    const kwh = Math.round(37.5 * mult + 1e-9);
    const billFen = Math.round((kwh * 6170) / 100);
    expect(mult).toBe(1); // a residential (direct-connected) meter
    expect([kwh, billFen]).toEqual([38, 2345]); // 37.5 kWh → 38 (half-up); 38 × 0.6170 = 23.446 → 23.45
    const bill = await k.selectFrom('bills').selectAll().where('id', '=', settlement.finalBillId).executeTakeFirstOrThrow();
    expect(bill).toMatchObject({ account_id: a.id, period: '2025-07', status: 'issued', period_start: '2025-07-01', period_end: '2025-07-15', days: 15, trial: false });
    expect(Number(bill.energy_kwh)).toBe(kwh);
    expect(bill.amount_total).toBe((billFen / 100).toFixed(2));
    const lines = await k.selectFrom('bill_lines').selectAll().where('bill_id', '=', bill.id).orderBy('line_no').execute();
    expect(lines.reduce((s, l) => s + Math.round(Number(l.amount) * 100), 0)).toBe(billFen);
    expect(lines[0]).toMatchObject({ code: 'ENERGY', unit_price: '0.617000' });
    // the final reading is in the meter's history; the meter is removed
    const fr = await k.selectFrom('register_readings').select(['value', 'billing_period', 'status', 'quality_flags']).where('account_id', '=', a.id).where('read_at', '=', new Date('2025-07-15T16:00:00Z')).executeTakeFirstOrThrow();
    expect(fr).toMatchObject({ billing_period: '2025-07', status: 'accepted', quality_flags: ['FINAL'] });
    expect(Number(fr.value)).toBe(Number(finalValue));

    // receivable of the final bill settled by the credit; refund = credit − final bill; balance zero
    const rec = await k.selectFrom('receivables').selectAll().where('bill_id', '=', bill.id).executeTakeFirstOrThrow();
    expect(rec).toMatchObject({ status: 'settled', principal_paid: bill.amount_total });
    const refundFen = creditFen - billFen;
    expect(settlement.refundAmount).toBe((refundFen / 100).toFixed(2));
    expect(await balance(a.id)).toBe('0.00');
    const refundEntries = await k.selectFrom('ledger_entries').select(['amount', 'kind']).where('account_id', '=', a.id).where('kind', '=', 'refund').execute();
    expect(refundEntries).toEqual([{ amount: (refundFen / 100).toFixed(2), kind: 'refund' }]);
    expect((await reconcileLedger(k, [a.id])).ok).toBe(true);

    // the collector sees the refund pending and pays it out with a reference
    const list = await t.call('GET', `/api/v1/payments/refunds?status=pending&accountNo=${a.account_no}`, { cookie: collector });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    const ref = list.body.items[0];
    expect(ref).toMatchObject({ amount: (refundFen / 100).toFixed(2), method: 'transfer', payeeName: a.name, status: 'pending', requestNo: cl.requestNo, finalBillId: bill.id });
    const noRef = await t.call('POST', `/api/v1/payments/refunds/${ref.id}/paid`, { cookie: collector, body: { note: '已转账' } });
    expect(noRef.status).toBe(400);
    expect(noRef.body.error.details.field).toBe('reference');
    // another station's clerk cannot see it (data scope)
    const other = await t.call('GET', `/api/v1/payments/refunds/${ref.id}`, { cookie: clerk2 });
    expect([403, 404]).toContain(other.status);
    const paid = await t.call('POST', `/api/v1/payments/refunds/${ref.id}/paid`, { cookie: collector, body: { reference: 'ICBC20250716001', note: '已转账' } });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body).toMatchObject({ status: 'paid', paidReference: 'ICBC20250716001' });
    // who registered it and who paid it out are named, not just ids
    const names = await k.selectFrom('users').select(['id', 'display_name']).where('username', 'in', ['engineer', 'collector']).execute();
    const collectorUser = names.find((n) => n.display_name.includes('收费员'))!;
    expect(paid.body.paidBy).toBe(Number(collectorUser.id));
    expect(paid.body.paidByName).toBe(collectorUser.display_name);
    const reread = await t.call('GET', `/api/v1/payments/refunds/${ref.id}`, { cookie: collector });
    expect(reread.body.paidByName).toBe(collectorUser.display_name);
    expect(typeof reread.body.createdByName).toBe('string');
    const again = await t.call('POST', `/api/v1/payments/refunds/${ref.id}/paid`, { cookie: collector, body: { reference: 'X' } });
    expect(again.status).toBe(409);
    const ev = await k.selectFrom('audit_events').select('action').where('entity_type', 'in', ['refund', 'bill']).where('entity_id', 'in', [String(ref.id), String(bill.id)]).execute();
    expect(ev.map((e) => e.action).sort()).toEqual(['bill.final_issue', 'refund.create', 'refund.pay']);
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });

  it('销户 with arrears is refused and changes nothing; with payAtCounter it completes and the debt stays at the counter', async () => {
    const k = t.db.kysely;
    const used = await k.selectFrom('accounts').select('id').where('tariff_code', '=', 'ZJ-AGRI-LT1KV').execute();
    const { a, inst } = await flatAccount(used.map((x) => x.id));
    const init = Number((inst.initial_readings as Record<string, string>).TOTAL ?? 0);
    const juneFen = await billedThroughJune(a, inst, init);
    await inTx(t.db, (trx) => postReceivable(trx, { accountId: a.id, period: '2025-05', amountFen: 5_000, dueDate: '2025-06-15', memo: 'test arrears' }));
    const snapshot = async () => ({
      account: await k.selectFrom('accounts').select(['status', 'closed_on', 'version']).where('id', '=', a.id).executeTakeFirstOrThrow(),
      installs: await k.selectFrom('meter_installations').select(['id', 'removed_on']).where('account_id', '=', a.id).orderBy('id').execute(),
      versions: (await k.selectFrom('account_versions').select('id').where('account_id', '=', a.id).execute()).length,
      bills: (await k.selectFrom('bills').select('id').where('account_id', '=', a.id).execute()).length,
      readings: (await k.selectFrom('register_readings').select('id').where('account_id', '=', a.id).execute()).length,
      ledger: await balance(a.id),
      runs: (await k.selectFrom('billing_runs').select('id').execute()).length,
      refunds: (await k.selectFrom('refunds').select('id').execute()).length,
    });
    const cl = await apply({ type: 'close', accountId: a.id, receivedOn: '2025-07-10', data: {} });
    await walkTo(cl.id, '2025-07-14', 'execute');
    const before = await snapshot();
    const stage = (await get(cl.id)).stage;
    const finalValue = (init + 120).toFixed(2);
    const refused = await pass(cl.id, '2025-07-14', { effectiveOn: '2025-07-15', finalReading: finalValue });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.field).toBe('data.payAtCounter');
    expect(refused.body.error.message).toMatch(/debit/);
    expect(await snapshot()).toEqual(before);
    expect((await get(cl.id)).stage).toBe(stage);
    // bad flag value is named
    const bad = await pass(cl.id, '2025-07-14', { effectiveOn: '2025-07-15', finalReading: finalValue, payAtCounter: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('data.payAtCounter');
    // the customer pays at the counter: 销户 completes, final bill issued, nothing refunded
    const ok = await pass(cl.id, '2025-07-14', { effectiveOn: '2025-07-15', finalReading: finalValue, payAtCounter: true });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const s = ok.body.effect.summary.settlement;
    expect(s).toMatchObject({ status: 'done', refundAmount: '0.00', payAtCounter: true });
    const mult = Number(inst.multiplier);
    const billFen = Math.round((Math.round(20 * mult) * 6170) / 100);
    expect(s.balance).toBe(((juneFen + 5_000 + billFen) / 100).toFixed(2));
    expect(await balance(a.id)).toBe(((juneFen + 5_000 + billFen) / 100).toFixed(2));
    expect((await k.selectFrom('accounts').select('status').where('id', '=', a.id).executeTakeFirstOrThrow()).status).toBe('closed');
    // a later refund of a closed account's credit: no credit here (debit), reason required
    const noReason = await t.call('POST', '/api/v1/payments/refunds', { cookie: admin, body: { accountNo: a.account_no } });
    expect(noReason.body.error.details.field).toBe('reason');
    const none = await t.call('POST', '/api/v1/payments/refunds', { cookie: admin, body: { accountNo: a.account_no, reason: '销户退费' } });
    expect(none.status).toBe(409);
    expect(none.body.error.message).toMatch(/no credit/);
    expect(await balance(a.id)).toBe(((juneFen + 5_000 + billFen) / 100).toFixed(2));
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });

  it('暂停 below the 两部制 threshold: 单一制 from the sealing day, back on 恢复; the threshold is a setting', async () => {
    const k = t.db.kysely;
    const acc = await k.selectFrom('accounts').select(['id', 'contract_capacity_kva', 'basic_charge_method', 'tariff_code'])
      .where('customer_class', '=', 'large_industrial').where('status', '=', 'active').where('basic_charge_method', '<>', 'none')
      .where('contract_capacity_kva', '>=', '500').orderBy('id').executeTakeFirstOrThrow();
    const cap = Number(acc.contract_capacity_kva);
    const method = acc.basic_charge_method;
    // suspend all but 200 kVA (< 315): 2025-04-01 .. 2025-04-30
    const sus = await apply({ type: 'suspend', accountId: acc.id, receivedOn: '2025-03-20', data: { effectiveOn: '2025-04-01', until: '2025-04-30', suspendKva: String(cap - 200) } });
    const done = await walkTo(sus.id, '2025-03-21', null, { seal: { effectiveOn: '2025-04-01' } });
    expect(done.status).toBe('completed');
    const eff = done.effects.find((e: any) => e.effect === 'suspend');
    expect(eff.summary).toMatchObject({ remainingKva: '200', resumeOn: '2025-05-01', basicCharge: { basis: 'single_part', thresholdKva: '315', fromMethod: method, from: '2025-04-01', restoredOn: '2025-05-01' } });
    let v = await k.selectFrom('account_versions').select(['effective_from', 'effective_to', 'attributes', 'reason']).where('account_id', '=', acc.id).orderBy('effective_from').execute();
    const at = (d: string) => v.find((x) => x.effective_from <= d && (x.effective_to === null || d < x.effective_to))!.attributes as any;
    expect(at('2025-03-31')).toMatchObject({ basicChargeMethod: method, contractCapacityKva: String(cap) });
    expect(at('2025-04-01')).toMatchObject({ basicChargeMethod: 'none', contractCapacityKva: '200' });
    expect(at('2025-04-30')).toMatchObject({ basicChargeMethod: 'none' });
    expect(at('2025-05-01')).toMatchObject({ basicChargeMethod: method, contractCapacityKva: String(cap) });
    expect(v.find((x) => x.effective_from === '2025-04-01')!.reason).toMatch(/单一制 below 315 kVA/);
    const audit = await k.selectFrom('audit_events').select('after').where('action', '=', 'account.update').where('entity_id', '=', String(acc.id)).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.after)).toMatch(/basicChargeMethod/);

    // the province's threshold is 100 kVA: the same 200 kVA left keeps 两部制
    await k.insertInto('settings').values({ key: 'service.two_part_threshold_kva', value: JSON.stringify('100') }).onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify('100') })).execute();
    const sus2 = await apply({ type: 'suspend', accountId: acc.id, receivedOn: '2025-06-16', data: { effectiveOn: '2025-07-01', until: '2025-07-20', suspendKva: String(cap - 200) } });
    const done2 = await walkTo(sus2.id, '2025-06-17', null, { seal: { effectiveOn: '2025-07-01' } });
    expect(done2.effects.find((e: any) => e.effect === 'suspend').summary.basicCharge).toBeUndefined();
    v = await k.selectFrom('account_versions').select(['effective_from', 'effective_to', 'attributes', 'reason']).where('account_id', '=', acc.id).orderBy('effective_from').execute();
    expect(at('2025-07-05')).toMatchObject({ basicChargeMethod: method, contractCapacityKva: '200' });
    await k.updateTable('settings').set({ value: JSON.stringify('315') }).where('key', '=', 'service.two_part_threshold_kva').execute();
  });
});
