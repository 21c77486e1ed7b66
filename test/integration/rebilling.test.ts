/**
 * Rebilling (退补) end to end on PGlite and (with DATABASE_URL) PostgreSQL: issued bills of
 * 2026-10 are re-rated with corrected inputs through the billing run's own code path.
 * - reading error on a residential ladder+TOU bill (R-2 basis, hand-computed difference);
 * - rebill across a tariff change mid-period (split by days, domain-cn §1.6, hand-computed);
 * - multiplier error on a commercial TOU bill (each line = round(qty × 1.5 × price));
 * - two-person rule above the threshold, auto-approval below it; posting creates exactly one
 *   ledger adjustment and moves the balance by the total; posting twice does nothing;
 * - the issued bill row and lines are byte-identical before/after; bad input names the field;
 *   a collector gets 403; everything audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { SYSTEM_ACTOR } from '../../src/app/context.js';
import { createRun, workRun } from '../../src/app/billing/run.js';
import { approveBill, approveClean, issueRun } from '../../src/app/billing/review.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';

interface Acc { id: number; account_no: string; customer_class: string; tariff_code: string | null; meter_id: number; metering_point_id: number; org_code: string }

/** round_half_up(q × p, 2) for q with ≤ 2 dp and p with ≤ 6 dp, exact (BigInt). */
function amount(q: string, p: string): string {
  const sc = (s: string, n: number) => {
    const [i, f = ''] = s.split('.');
    return BigInt(i) * 10n ** BigInt(n) + BigInt((f + '0'.repeat(n)).slice(0, n) || '0');
  };
  const prod = sc(q, 2) * sc(p, 6); // scale 8
  const fen = (prod + 500_000n) / 1_000_000n;
  return `${fen / 100n}.${String(fen % 100n).padStart(2, '0')}`;
}
const cents = (s: string) => Math.round(Number(s) * 100);

describe.each(engines())('rebilling on %s', (engine) => {
  let t: TestApp;
  let resA: Acc; // residential ladder + TOU, reading error
  let resB: Acc; // flat tariff with a price change on 10-16
  let com: Acc; // commercial TOU, multiplier error
  let other: Acc; // 东城 (ST02): outside the 城关 manager's data scope
  const at = (d: string) => new Date(d + 'T10:00:00+08:00');
  const bills: Record<string, any> = {};

  async function reading(a: Acc, period: string, readAt: Date, regs: Record<string, [string, string]>) {
    await t.db.kysely.insertInto('register_readings').values(Object.entries(regs).map(([register, [value, consumption]]) => ({
      account_id: a.id, meter_id: a.meter_id, metering_point_id: a.metering_point_id, register, read_at: readAt, billing_period: period,
      value, consumption, source: 'import' as const, status: 'accepted' as const, rule_results: '[]',
    }))).execute();
  }
  const readingId = async (a: Acc, period: string, register: string) =>
    (await t.db.kysely.selectFrom('register_readings').select('id').where('account_id', '=', a.id).where('billing_period', '=', period).where('register', '=', register).executeTakeFirstOrThrow()).id;
  const billSnapshot = async (id: number) => {
    const b = await sql<{ j: string }>`select row_to_json(b)::text as j from bills b where id = ${id}`.execute(t.db.kysely);
    const l = await sql<{ j: string }>`select coalesce(json_agg(row_to_json(l) order by line_no), '[]'::json)::text as j from bill_lines l where bill_id = ${id}`.execute(t.db.kysely);
    return b.rows[0].j + '\n' + l.rows[0].j;
  };
  const balance = async (accountId: number) =>
    (await sql<{ s: string }>`select coalesce(sum(amount), 0)::numeric(14,2)::text as s from ledger_entries where account_id = ${accountId}`.execute(t.db.kysely)).rows[0].s;
  const adjEntries = async (accountId: number) =>
    t.db.kysely.selectFrom('ledger_entries').selectAll().where('account_id', '=', accountId).where('kind', '=', 'adjustment').orderBy('id').execute();

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 150 });
    const rows = await t.db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').innerJoin('meter_installations as mi', 'mi.account_id', 'a.id')
      .select(['a.id', 'a.account_no', 'a.customer_class', 'a.tariff_code', 'mi.meter_id', 'mi.metering_point_id', 'o.code as org_code'])
      .where('a.status', '=', 'active').where('a.opened_on', '<', '2026-01-01').orderBy('a.id').execute();
    const st01 = rows.filter((r) => r.org_code === 'ST01');
    const res = st01.filter((r) => r.tariff_code === 'ZJ-RES-1H1B-LT1KV');
    [resA, resB] = res;
    com = st01.find((r) => r.customer_class === 'commercial')!;
    other = rows.find((r) => r.org_code === 'ST02' && r.tariff_code === 'ZJ-RES-1H1B-LT1KV')!;
    expect(resA && resB && com && other).toBeTruthy();
    for (const a of [resA, resB, other]) await t.db.kysely.updateTable('meters').set({ multiplier: '1' }).where('id', '=', a.meter_id).execute();
    await t.db.kysely.updateTable('meters').set({ multiplier: '40' }).where('id', '=', com.meter_id).execute();

    // resA: R-2 — 2600 kWh earlier this ladder year; October 峰 200 谷 150 (as read)
    await reading(resA, '2026-09', at('2026-09-30'), { TOTAL: ['5000.00', '2600'], PEAK: ['3000.00', '1600'], VALLEY: ['2000.00', '1000'] });
    await reading(resA, '2026-10', at('2026-10-31'), { TOTAL: ['5350.00', '350'], PEAK: ['3200.00', '200'], VALLEY: ['2150.00', '150'] });
    // resB: a flat tariff whose price changes on 2026-10-16 (0.5 → 0.6); October 310 kWh
    const flat = (version: string, price: string, from: string, to: string | null) => ({
      code: 'T-RB-STEP', version, name_zh: '退补测试', name_en: 'rebill test', province: '330000', customer_classes: ['x'], voltage_levels: ['x'], effective_from: from, effective_to: to, warnings: '[]', status: 'active' as const,
      document: JSON.stringify({ code: 'T-RB-STEP', version, name: { zh: '退补测试', en: 'rebill test' }, province: '330000', customerClasses: ['x'], voltageLevels: ['x'], effectiveFrom: from, effectiveTo: to, energyComponents: [{ code: 'ENERGY', name: { zh: '电度', en: 'Energy' }, kind: 'ENERGY', price }] }),
    });
    await t.db.kysely.insertInto('tariff_versions').values([flat('a', '0.5', '2020-01-01', '2026-10-16'), flat('b', '0.6', '2026-10-16', null)]).execute();
    await t.db.kysely.updateTable('accounts').set({ tariff_code: 'T-RB-STEP' }).where('id', '=', resB.id).execute();
    await reading(resB, '2026-09', at('2026-09-30'), { TOTAL: ['1000.00', '100'] });
    await reading(resB, '2026-10', at('2026-10-31'), { TOTAL: ['1310.00', '310'] });
    // com: commercial TOU, billed with multiplier 40 (advance 25 → 1000 kWh)
    await reading(com, '2026-09', at('2026-09-30'), { TOTAL: ['100.00', '900'], SHARP: ['10.00', '90'], PEAK: ['40.00', '360'], FLAT: ['0.00', '0'], VALLEY: ['50.00', '450'] });
    await reading(com, '2026-10', at('2026-10-31'), { TOTAL: ['125.00', '1000'], SHARP: ['12.50', '100'], PEAK: ['50.00', '400'], FLAT: ['0.00', '0'], VALLEY: ['62.50', '500'] });

    await reading(other, '2026-09', at('2026-09-30'), { TOTAL: ['1000.00', '100'], PEAK: ['600.00', '60'], VALLEY: ['400.00', '40'] });
    await reading(other, '2026-10', at('2026-10-31'), { TOTAL: ['1100.00', '100'], PEAK: ['660.00', '60'], VALLEY: ['440.00', '40'] });

    const { run } = await createRun(t.db, SYSTEM_ACTOR, { period: '2026-10', accountIds: [resA.id, resB.id, com.id, other.id] });
    await workRun(t.db, run.id, 'rb-worker');
    await approveClean(t.db, SYSTEM_ACTOR, run.id);
    for (const b of await t.db.kysely.selectFrom('bills').select(['id', 'status']).where('run_id', '=', run.id).execute()) {
      if (b.status === 'review') await approveBill(t.db, SYSTEM_ACTOR, b.id, {});
    }
    await issueRun(t.db, SYSTEM_ACTOR, run.id, { issueDate: '2026-11-05' });
    for (const a of [resA, resB, com, other]) {
      bills[a.account_no] = await t.db.kysely.selectFrom('bills').selectAll().where('account_id', '=', a.id).where('period', '=', '2026-10').where('trial', '=', false).executeTakeFirstOrThrow();
      expect(bills[a.account_no].status).toBe('issued');
    }
    expect(bills[resA.account_no].amount_total).toBe('166.30');
    expect(bills[resB.account_no].amount_total).toBe('171.00'); // 150 × 0.5 + 160 × 0.6
  }, 240_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('reading error on a residential ladder bill: hand-computed difference; below the threshold the submit approves; posting credits the account once; the issued bill is unchanged', async () => {
    const checker = await t.login('checker');
    const b = bills[resA.account_no];
    const before = await billSnapshot(b.id);
    const bal0 = await balance(resA.id);
    // the reader misread TOTAL and PEAK: true values 5300 / 3150 → 300 kWh (峰 150, 谷 150)
    const body = {
      accountId: resA.id, periods: ['2026-10'], reasonCategory: 'reading_error', reason: '抄表差错: 总/峰示数抄错',
      corrections: { readings: [{ readingId: await readingId(resA, '2026-10', 'TOTAL'), value: '5300.00' }, { readingId: await readingId(resA, '2026-10', 'PEAK'), value: '3150' }] },
    };
    const pv = await t.call('POST', '/api/v1/billing/adjustments/preview', { cookie: checker, body });
    expect(pv.status).toBe(200);
    // prevCum 2600: tier1 160, tier2 140 → 峰 150×0.568 = 85.20; 谷 150×0.288 = 43.20; 二档 140×0.05 = 7.00 → 135.40
    const diff = Object.fromEntries(pv.body.lines.map((l: any) => [l.code, [l.original.amount, l.corrected.amount, l.difference, l.direction]]));
    expect(diff).toEqual({
      ENERGY_PEAK: ['113.60', '85.20', '-28.40', 'credit'],
      ENERGY_VALLEY: ['43.20', '43.20', '0.00', 'none'],
      LADDER_T2_SURCHARGE: ['9.50', '7.00', '-2.50', 'credit'],
      LADDER_T3_SURCHARGE: ['0.00', '0.00', '0.00', 'none'],
    });
    expect(pv.body).toMatchObject({ originalTotal: '166.30', correctedTotal: '135.40', amountTotal: '-30.90', direction: 'credit', requiresSecondApproval: false, approvalThreshold: '1000.00' });
    expect(pv.body.periods[0]).toMatchObject({ original: { kwh: 350 }, corrected: { kwh: 300, tou: { PEAK: 150, VALLEY: 150 }, ladderPrevCum: 2600 } });
    expect(await t.db.kysely.selectFrom('bill_adjustments').select('id').where('account_id', '=', resA.id).execute()).toHaveLength(0); // preview writes nothing

    const cr = await t.call('POST', '/api/v1/billing/adjustments', { cookie: checker, body });
    expect(cr.status).toBe(201);
    expect(cr.body).toMatchObject({ status: 'draft', amountTotal: '-30.90', requiresSecondApproval: false });
    expect(cr.body.lines).toHaveLength(4);
    const id = cr.body.id;
    // a second open adjustment of the same bill is refused
    expect((await t.call('POST', '/api/v1/billing/adjustments', { cookie: checker, body })).status).toBe(409);
    // posting a draft is refused
    expect((await t.call('POST', `/api/v1/billing/adjustments/${id}/post`, { cookie: checker })).status).toBe(409);
    const sub = await t.call('POST', `/api/v1/billing/adjustments/${id}/submit`, { cookie: checker });
    expect(sub.status).toBe(200);
    expect(sub.body).toMatchObject({ status: 'approved', approvedByName: 'checker', approvalNote: expect.stringMatching(/auto/) });

    const p1 = await t.call('POST', `/api/v1/billing/adjustments/${id}/post`, { cookie: checker });
    expect(p1.status).toBe(200);
    expect(p1.body).toMatchObject({ status: 'posted', alreadyPosted: false, receivableId: null });
    const e1 = await adjEntries(resA.id);
    // the credit, then 预收冲抵: it pays the open October receivable at once (two entries netting to zero)
    const recv = await t.db.kysely.selectFrom('receivables').select(['id', 'amount', 'principal_paid', 'status']).where('bill_id', '=', b.id).executeTakeFirstOrThrow();
    expect(e1.map((e) => [e.amount, e.component, e.receivable_id === null ? null : Number(e.receivable_id)])).toEqual([['-30.90', null, null], ['30.90', null, null], ['-30.90', 'principal', Number(recv.id)]]);
    expect(e1[0].id).toBe(p1.body.ledgerEntryId);
    expect(recv).toMatchObject({ amount: '166.30', principal_paid: '30.90', status: 'open' });
    expect(cents(await balance(resA.id)) - cents(bal0)).toBe(-3090);
    // idempotent
    const p2 = await t.call('POST', `/api/v1/billing/adjustments/${id}/post`, { cookie: checker });
    expect(p2.status).toBe(200);
    expect(p2.body).toMatchObject({ status: 'posted', alreadyPosted: true, ledgerEntryId: p1.body.ledgerEntryId });
    expect(await adjEntries(resA.id)).toHaveLength(3);
    expect(cents(await balance(resA.id)) - cents(bal0)).toBe(-3090);
    // the amount due nets the credit
    const due = await t.call('GET', `/api/v1/payments/accounts/${resA.account_no}/ledger`, { cookie: await t.login('admin') });
    expect(due.status).toBe(200);
    expect(due.body.entries.some((e: any) => e.kind === 'adjustment' && e.amount === '-30.90')).toBe(true);
    // never edits the issued bill
    expect(await billSnapshot(b.id)).toBe(before);
    // a posted adjustment is final (database)
    await expect(sql`update bill_adjustments set reason = 'x' where id = ${id}`.execute(t.db.kysely)).rejects.toThrow(/posted/);
    await expect(sql`update bill_adjustment_lines set difference = 0 where adjustment_id = ${id}`.execute(t.db.kysely)).rejects.toThrow(/immutable/);

    // a second correction of the same bill diffs against what is charged now (135.40), not the issued 166.30
    const again = await t.call('POST', '/api/v1/billing/adjustments/preview', { cookie: checker, body: { ...body, corrections: { readings: [{ readingId: body.corrections.readings[0].readingId, value: '5310' }, { readingId: body.corrections.readings[1].readingId, value: '3160' }] } } });
    expect(again.status).toBe(200);
    // 310 kWh (峰 160 谷 150): 160 × 0.568 = 90.88; 150 × 0.288 = 43.20; 二档 150 × 0.05 = 7.50 → 141.58; charged 135.40 → +6.18
    expect(again.body).toMatchObject({ originalTotal: '135.40', correctedTotal: '141.58', amountTotal: '6.18' });
    expect(again.body.warnings.map((w: any) => w.code)).toContain('PRIOR_ADJUSTMENT');

    const audit = await t.db.kysely.selectFrom('audit_events').select('action').where('entity_type', '=', 'bill_adjustment').where('entity_id', '=', String(id)).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['bill_adjustment.create', 'bill_adjustment.submit', 'bill_adjustment.post']);
  });

  it('rebill across a tariff change mid-period: the period is split by days (§1.6) for the issued and the corrected energy', async () => {
    const checker = await t.login('checker');
    const b = bills[resB.account_no];
    const before = await billSnapshot(b.id);
    const body = { accountId: resB.id, periods: ['2026-10'], reasonCategory: 'reading_error', reason: '示数抄错', corrections: { readings: [{ readingId: await readingId(resB, '2026-10', 'TOTAL'), value: '1400' }] } };
    const r = await t.call('POST', '/api/v1/billing/adjustments', { cookie: checker, body });
    expect(r.status).toBe(201);
    // 10-01…10-31 = 31 d, old price 15 d (10-01…10-15). Issued: 310 → E_old = round(310×15/31) = 150 → 75.00; E_new = 160 × 0.6 = 96.00.
    // Corrected 400 → E_old = round(193.548) = 194 → 97.00; E_new = 206 × 0.6 = 123.60 → 220.60; difference +49.60
    const bySeg = r.body.lines.map((l: any) => [l.segment, l.original.quantity === null ? null : Number(l.original.quantity), Number(l.corrected.quantity), l.original.amount, l.corrected.amount, l.difference, l.direction]);
    expect(bySeg).toEqual([
      [1, 150, 194, '75.00', '97.00', '22.00', 'debit'],
      [2, 160, 206, '96.00', '123.60', '27.60', 'debit'],
    ]);
    expect(r.body).toMatchObject({ originalTotal: '171.00', correctedTotal: '220.60', amountTotal: '49.60' });
    expect(r.body.detail[0].corrected.tariffRefs.map((s: any) => [s.version, s.from, s.to, s.days])).toEqual([['a', '2026-10-01', '2026-10-15', 15], ['b', '2026-10-16', '2026-10-31', 16]]);
    // a debit posts a receivable (kind adjustment) with a due date
    expect((await t.call('POST', `/api/v1/billing/adjustments/${r.body.id}/submit`, { cookie: checker })).body.status).toBe('approved');
    const bal0 = await balance(resB.id);
    const p = await t.call('POST', `/api/v1/billing/adjustments/${r.body.id}/post`, { cookie: checker });
    expect(p.status).toBe(200);
    const rec = await t.db.kysely.selectFrom('receivables').selectAll().where('id', '=', p.body.receivableId).executeTakeFirstOrThrow();
    expect(rec).toMatchObject({ source: 'adjustment', amount: '49.60', account_id: resB.id, bill_id: null });
    expect(await adjEntries(resB.id)).toHaveLength(1);
    expect(cents(await balance(resB.id)) - cents(bal0)).toBe(4960);
    expect(await billSnapshot(b.id)).toBe(before);
  });

  it('tariff assignment error from a date inside the period: old code before, new code after, split by days', async () => {
    const checker = await t.login('checker');
    // resB was billed on T-RB-STEP; it should have been on T-RB-FIX (0.4) from 2026-10-21 (11 of 31 days)
    await t.db.kysely.insertInto('tariff_versions').values({
      code: 'T-RB-FIX', version: '1', name_zh: '退补测试2', name_en: 'rebill test 2', province: '330000', customer_classes: ['x'], voltage_levels: ['x'], effective_from: '2020-01-01', effective_to: null, warnings: '[]', status: 'active',
      document: JSON.stringify({ code: 'T-RB-FIX', version: '1', name: { zh: '退补测试2', en: 'rebill test 2' }, province: '330000', customerClasses: ['x'], voltageLevels: ['x'], effectiveFrom: '2020-01-01', energyComponents: [{ code: 'ENERGY', name: { zh: '电度', en: 'Energy' }, kind: 'ENERGY', price: '0.4' }] }),
    }).execute();
    const pv = await t.call('POST', '/api/v1/billing/adjustments/preview', { cookie: checker, body: { accountId: resB.id, periods: ['2026-10'], reasonCategory: 'tariff_error', reason: '电价执行错误', corrections: { readings: [{ readingId: await readingId(resB, '2026-10', 'TOTAL'), value: '1400' }], tariff: { code: 'T-RB-FIX', from: '2026-10-21' } } } });
    expect(pv.status).toBe(200);
    // charged now (after the posted reading correction): 97.00 + 123.60 = 220.60 on 400 kWh; corrections are
    // stated in full against the stored readings, so the reading correction is given again.
    // Corrected: 3 segments 10-01…15 (15 d, 0.5), 10-16…20 (5 d, 0.6), 10-21…31 (11 d, 0.4):
    // cumulative split of 400 kWh: round(400×15/31) = 194; round(400×20/31) = 258 → 64; 400 − 258 = 142
    // 194 × 0.5 = 97.00; 64 × 0.6 = 38.40; 142 × 0.4 = 56.80 → 192.20; difference −28.40
    expect(pv.body.periods[0].corrected.tariffRefs.map((s: any) => [s.tariffCode, s.from, s.to])).toEqual([['T-RB-STEP', '2026-10-01', '2026-10-15'], ['T-RB-STEP', '2026-10-16', '2026-10-20'], ['T-RB-FIX', '2026-10-21', '2026-10-31']]);
    expect(pv.body).toMatchObject({ originalTotal: '220.60', correctedTotal: '192.20', amountTotal: '-28.40' });
    expect(pv.body.lines.map((l: any) => l.corrected.amount)).toEqual(['97.00', '38.40', '56.80']);
    // an unknown tariff code names the field
    const bad = await t.call('POST', '/api/v1/billing/adjustments/preview', { cookie: checker, body: { accountId: resB.id, periods: ['2026-10'], reasonCategory: 'tariff_error', reason: 'x', corrections: { tariff: { code: 'NOPE' } } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('corrections.tariff.code');
  });

  it('multiplier error on a commercial TOU bill; above the threshold two people are needed (same user refused)', async () => {
    const checker = await t.login('checker');
    const admin = await t.login('admin');
    const b = bills[com.account_no];
    const issued = await t.db.kysely.selectFrom('bill_lines').selectAll().where('bill_id', '=', b.id).orderBy('line_no').execute();
    for (const l of issued) expect(l.amount).toBe(amount(l.quantity, l.unit_price)); // §0.3 per line
    await t.db.kysely.insertInto('settings').values({ key: 'billing.adjustment_approval_threshold', value: JSON.stringify('100.00') })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify('100.00') })).execute();
    try {
      // CT was 300/5 (60), billed as 200/5 (40): every quantity × 60/40
      const r = await t.call('POST', '/api/v1/billing/adjustments', { cookie: checker, body: { accountId: com.id, periods: ['2026-10'], reasonCategory: 'multiplier_error', reason: '倍率差错: CT 300/5 按 200/5 计', corrections: { multiplier: { billed: '40', correct: '60' } } } });
      expect(r.status).toBe(201);
      let sum = 0;
      for (const l of issued) {
        const line = r.body.lines.find((x: any) => x.code === l.code && (x.segment ?? null) === (l.segment ?? null));
        const q = ((Number(l.quantity) * 3) / 2).toFixed(2);
        expect(Number(line.corrected.quantity)).toBe(Number(q));
        const want = amount(q, l.unit_price);
        expect([line.original.amount, line.corrected.amount]).toEqual([l.amount, want]);
        expect(cents(line.difference)).toBe(cents(want) - cents(l.amount));
        sum += cents(want) - cents(l.amount);
      }
      expect(cents(r.body.amountTotal)).toBe(sum);
      expect(sum).toBeGreaterThan(10000);
      expect(r.body).toMatchObject({ requiresSecondApproval: true, approvalThreshold: '100.00', direction: 'debit' });
      const id = r.body.id;
      expect((await t.call('POST', `/api/v1/billing/adjustments/${id}/submit`, { cookie: checker })).body.status).toBe('submitted');
      // not yet approved: cannot post
      expect((await t.call('POST', `/api/v1/billing/adjustments/${id}/post`, { cookie: checker })).status).toBe(409);
      const self = await t.call('POST', `/api/v1/billing/adjustments/${id}/approve`, { cookie: checker, body: {} });
      expect(self.status).toBe(403);
      expect(self.body.error.details.rule).toBe('TWO_PERSON');
      // the database enforces it too
      await expect(sql`update bill_adjustments set status = 'approved', approved_by = created_by where id = ${id}`.execute(t.db.kysely)).rejects.toThrow(/two_person/);
      const ok = await t.call('POST', `/api/v1/billing/adjustments/${id}/approve`, { cookie: admin, body: { note: '已核实互感器变比' } });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ status: 'approved', approvedByName: 'admin' });
      const bal0 = await balance(com.id);
      const p = await t.call('POST', `/api/v1/billing/adjustments/${id}/post`, { cookie: checker });
      expect(p.status).toBe(200);
      expect(await adjEntries(com.id)).toHaveLength(1);
      expect(cents(await balance(com.id)) - cents(bal0)).toBe(sum);
      const lst = await t.call('GET', `/api/v1/billing/adjustments?accountId=${com.id}`, { cookie: checker });
      expect(lst.body.items.map((x: any) => [x.id, x.status])).toEqual([[id, 'posted']]);
    } finally {
      await t.db.kysely.deleteFrom('settings').where('key', '=', 'billing.adjustment_approval_threshold').execute();
    }
  });

  it('reject needs a reason; bad input names the field; a collector gets 403; the audit chain verifies', async () => {
    const checker = await t.login('checker');
    const collector = await t.login('collector');
    const base = { accountId: resA.id, periods: ['2026-10'], reasonCategory: 'reading_error', reason: 'x', corrections: { readings: [{ readingId: await readingId(resA, '2026-10', 'TOTAL'), value: '5320' }] } };
    const cases: Array<[unknown, string]> = [
      [{ ...base, periods: ['2026-13'] }, 'periods.0'],
      [{ ...base, periods: ['2026-09'] }, 'periods.0'],
      [{ ...base, reasonCategory: 'nope' }, 'reasonCategory'],
      [{ ...base, reason: '' }, 'reason'],
      [{ ...base, corrections: { readings: [{ readingId: base.corrections.readings[0].readingId, value: '-1' }] } }, 'corrections.readings.0.value'],
      [{ ...base, corrections: { readings: [{ readingId: await readingId(com, '2026-10', 'TOTAL'), value: '1' }] } }, 'corrections.readings.0.readingId'],
      [{ ...base, corrections: {} }, 'corrections.readings'],
      [{ ...base, reasonCategory: 'multiplier_error', corrections: { multiplier: { correct: '0' } } }, 'corrections.multiplier.correct'],
    ];
    for (const [body, field] of cases) {
      const r = await t.call('POST', '/api/v1/billing/adjustments', { cookie: checker, body });
      expect([r.status, r.body.error?.details?.field]).toEqual([400, field]);
    }
    const cr = await t.call('POST', '/api/v1/billing/adjustments', { cookie: checker, body: base });
    expect(cr.status).toBe(201);
    const noReason = await t.call('POST', `/api/v1/billing/adjustments/${cr.body.id}/reject`, { cookie: checker, body: {} });
    expect([noReason.status, noReason.body.error.details.field]).toEqual([400, 'reason']);
    const rj = await t.call('POST', `/api/v1/billing/adjustments/${cr.body.id}/reject`, { cookie: checker, body: { reason: '重复申请' } });
    expect(rj.body).toMatchObject({ status: 'rejected', rejectReason: '重复申请' });
    expect((await t.call('POST', `/api/v1/billing/adjustments/${cr.body.id}/post`, { cookie: checker })).status).toBe(409);

    for (const [m, u, body] of [['GET', '/api/v1/billing/adjustments', undefined], ['POST', '/api/v1/billing/adjustments/preview', base], ['POST', '/api/v1/billing/adjustments', base], ['GET', `/api/v1/billing/adjustments/${cr.body.id}`, undefined], ['POST', `/api/v1/billing/adjustments/${cr.body.id}/approve`, {}]] as const) {
      expect((await t.call(m, u, { cookie: collector, body })).status).toBe(403);
    }
    // data scope: the 城关 manager (approver) does not see a 东城 adjustment
    const manager = await t.login('manager');
    const east = await t.call('POST', '/api/v1/billing/adjustments', { cookie: checker, body: { accountId: other.id, periods: ['2026-10'], reasonCategory: 'reading_error', reason: '示数抄错', corrections: { readings: [{ readingId: await readingId(other, '2026-10', 'TOTAL'), value: '1110' }] } } });
    expect(east.status).toBe(201);
    expect((await t.call('GET', `/api/v1/billing/adjustments/${east.body.id}`, { cookie: manager })).status).toBe(403);
    expect((await t.call('POST', `/api/v1/billing/adjustments/${east.body.id}/reject`, { cookie: manager, body: { reason: 'x' } })).body.error.code).toBe('OUT_OF_SCOPE');
    const seen = (await t.call('GET', '/api/v1/billing/adjustments?pageSize=100', { cookie: manager })).body.items.map((x: any) => x.id);
    expect(seen).toContain(cr.body.id);
    expect(seen).not.toContain(east.body.id);
    expect((await t.call('POST', '/api/v1/billing/adjustments/preview', { cookie: manager, body: base })).status).toBe(403); // approver only: no billing.adjust
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });
});
