/**
 * Billing runs end to end, on PGlite and (with DATABASE_URL) PostgreSQL: residential ladder+TOU
 * (R-2 166.30), commercial TOU, 大工业 two-part + PF (I-1A 140,135.72); exceptions (missing reading,
 * no tariff, tariff gap); a reading accepted after the run started is not used; second run joined
 * or refused; trial bills don't block the real run; resume after a crash gives exactly one bill per
 * account; review, issue, immutability; API and data scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { SYSTEM_ACTOR } from '../../src/app/context.js';
import { createRun, workRun } from '../../src/app/billing/run.js';
import { approveClean, issueRun } from '../../src/app/billing/review.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import { rateBill } from '../../src/domain/rating/rate-bill.js';

interface Acc { id: number; account_no: string; customer_class: string; tariff_code: string | null; meter_id: number; metering_point_id: number; org_code: string; opened_on: string }

describe.each(engines())('billing on %s', (engine) => {
  let t: TestApp;
  let res: Acc[];
  let com: Acc;
  let ind: Acc;
  let other: Acc; // outside 城关 (ST01)
  const at = (d: string) => new Date(d + 'T10:00:00+08:00');

  async function reading(a: Acc, period: string, readAt: Date, regs: Record<string, string>, status = 'accepted') {
    if (Object.keys(regs).length === 0) return;
    await t.db.kysely.insertInto('register_readings').values(Object.entries(regs).map(([register, c]) => ({
      account_id: a.id, meter_id: a.meter_id, metering_point_id: a.metering_point_id, register, read_at: readAt, billing_period: period,
      value: register === 'MAX_DEMAND' ? c : '1000.0000', consumption: register === 'MAX_DEMAND' ? null : c, source: 'import' as const, status: status as never, rule_results: '[]',
    }))).execute();
  }
  const twoMonths = async (a: Acc, sep: Record<string, string>, oct: Record<string, string>) => {
    await reading(a, '2026-09', at('2026-09-30'), sep);
    await reading(a, '2026-10', at('2026-10-31'), oct);
  };
  const bills = (accountId: number, period = '2026-10') => t.db.kysely.selectFrom('bills').selectAll().where('account_id', '=', accountId).where('period', '=', period).orderBy('id').execute();

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 150 });
    const rows = await t.db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').innerJoin('meter_installations as mi', 'mi.account_id', 'a.id')
      .select(['a.id', 'a.account_no', 'a.customer_class', 'a.tariff_code', 'mi.meter_id', 'mi.metering_point_id', 'o.code as org_code', 'a.opened_on'])
      .where('a.status', '=', 'active').where('a.opened_on', '<', '2026-01-01').orderBy('a.id').execute();
    const st01 = rows.filter((r) => r.org_code === 'ST01');
    res = st01.filter((r) => r.tariff_code === 'ZJ-RES-1H1B-LT1KV').slice(0, 8);
    com = st01.find((r) => r.customer_class === 'commercial')!;
    ind = rows.find((r) => r.customer_class === 'large_industrial')!;
    other = rows.find((r) => r.org_code === 'ST02' && r.tariff_code === 'ZJ-RES-1H1B-LT1KV')!;
    expect(res.length).toBe(8);
    expect(com && ind && other).toBeTruthy();
    // 大工业 as in domain-cn §3.3 I-1: 1000 kVA, contract demand 600 kW, PF standard 0.90, multiplier 2000
    await t.db.kysely.updateTable('accounts').set({ contract_capacity_kva: '1000', contract_demand_kw: '600', basic_charge_method: 'contract_demand', pf_standard: '0.90' }).where('id', '=', ind.id).execute();
    await t.db.kysely.updateTable('meters').set({ multiplier: '2000' }).where('id', '=', ind.meter_id).execute();

    // res[0]: R-2 (2600 kWh earlier this ladder year; 峰 200 谷 150)
    await twoMonths(res[0], { TOTAL: '2600', PEAK: '1600', VALLEY: '1000' }, { TOTAL: '350', PEAK: '200', VALLEY: '150' });
    // res[1..3]: ordinary
    for (const a of res.slice(1, 4)) await twoMonths(a, { TOTAL: '180', PEAK: '100', VALLEY: '80' }, { TOTAL: '200', PEAK: '120', VALLEY: '80' });
    // res[4]: estimated reading → flagged
    await twoMonths(res[4], { TOTAL: '180', PEAK: '100', VALLEY: '80' }, {});
    await reading(res[4], '2026-10', at('2026-10-31'), { TOTAL: '190', PEAK: '110', VALLEY: '80' }, 'estimated');
    // res[5]: no reading this period → exception; res[6]: no tariff; res[7]: tariff gap
    await reading(res[5], '2026-09', at('2026-09-30'), { TOTAL: '180', PEAK: '100', VALLEY: '80' });
    await twoMonths(res[6], { TOTAL: '180', PEAK: '100', VALLEY: '80' }, { TOTAL: '200', PEAK: '120', VALLEY: '80' });
    await t.db.kysely.updateTable('accounts').set({ tariff_code: null }).where('id', '=', res[6].id).execute();
    await twoMonths(res[7], { TOTAL: '180' }, { TOTAL: '200' });
    const flat = (version: string, from: string, to: string | null) => ({
      code: 'T-GAP', version, name_zh: '测试', name_en: 'test', province: '330000', customer_classes: ['x'], voltage_levels: ['x'], effective_from: from, effective_to: to, warnings: '[]', status: 'active' as const,
      document: JSON.stringify({ code: 'T-GAP', version, name: { zh: '测试', en: 'test' }, province: '330000', customerClasses: ['x'], voltageLevels: ['x'], effectiveFrom: from, effectiveTo: to, energyComponents: [{ code: 'ENERGY', name: { zh: '电度', en: 'Energy' }, kind: 'ENERGY', price: '0.5' }] }),
    });
    await t.db.kysely.insertInto('tariff_versions').values([flat('a', '2020-01-01', '2026-10-10'), flat('b', '2026-10-20', null)]).execute();
    await t.db.kysely.updateTable('accounts').set({ tariff_code: 'T-GAP' }).where('id', '=', res[7].id).execute();
    // commercial TOU with reactive; 大工业 I-1
    await twoMonths(com, { TOTAL: '900', SHARP: '90', PEAK: '360', FLAT: '0', VALLEY: '450', REACTIVE: '100' }, { TOTAL: '1000', SHARP: '100', PEAK: '400', FLAT: '0', VALLEY: '500', REACTIVE: '120' });
    await reading(ind, '2026-09', at('2026-09-30'), { TOTAL: '190000', SHARP: '19000', PEAK: '57000', VALLEY: '114000', REACTIVE: '110000', MAX_DEMAND: '0.3000' });
    await reading(ind, '2026-10', at('2026-10-31'), { TOTAL: '200000', SHARP: '20000', PEAK: '60000', VALLEY: '120000', REACTIVE: '120000', MAX_DEMAND: '0.3250' });
    await twoMonths(other, { TOTAL: '100', PEAK: '60', VALLEY: '40' }, { TOTAL: '100', PEAK: '60', VALLEY: '40' });
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  const scopeIds = () => [...res.map((a) => a.id), com.id, ind.id];

  it('a trial run bills every account (试算) without blocking the real run; trial bills never approve or issue', async () => {
    const { run } = await createRun(t.db, SYSTEM_ACTOR, { period: '2026-10', accountIds: scopeIds(), trial: true, partitionSize: 3 });
    expect(run).toMatchObject({ trial: true, status: 'created', totalAccounts: 10, partitions: 4 });
    const w = await workRun(t.db, run.id, 'trial-worker');
    expect(w).toMatchObject({ finished: true, bills: 10, partitions: 4 });
    const b0 = await bills(res[0].id);
    expect(b0).toHaveLength(1);
    expect(b0[0]).toMatchObject({ trial: true, amount_total: '166.30' });
    await expect(approveClean(t.db, SYSTEM_ACTOR, run.id)).rejects.toThrow(/trial/);
    await expect(issueRun(t.db, SYSTEM_ACTOR, run.id)).rejects.toThrow(/trial/);
  });

  it('an account on an active prepaid plan is left out of billing runs (it pays by daily deduction)', async () => {
    const acc = await t.db.kysely.selectFrom('accounts').select(['id', 'org_unit_id']).where('id', '=', res[1].id).executeTakeFirstOrThrow();
    await sql`insert into prepaid_plans (account_id, org_unit_id, start_day) values (${acc.id}, ${acc.org_unit_id}, '2026-10-01')`.execute(t.db.kysely);
    try {
      // another period, so the 2026-10 runs the later tests look at stay as they were
      const { run } = await createRun(t.db, SYSTEM_ACTOR, { period: '2026-09', accountIds: scopeIds(), trial: true, partitionSize: 3 });
      expect(run.totalAccounts).toBe(9);
      await workRun(t.db, run.id, 'trial-worker-2');
      const got = await t.db.kysely.selectFrom('bills').select('account_id').where('run_id', '=', run.id).execute();
      expect(got).toHaveLength(9);
      expect(got.map((b) => Number(b.account_id))).not.toContain(acc.id);
    } finally {
      await sql`delete from prepaid_plans where account_id = ${acc.id}`.execute(t.db.kysely);
    }
  });

  let runId = 0;
  it('real run: residential ladder+TOU (R-2), commercial TOU, 大工业 two-part + PF (I-1A); exceptions are listed, never skipped', async () => {
    const checker = await t.login('checker');
    const r = await t.call('POST', '/api/v1/billing/runs', { cookie: checker, body: { period: '2026-10', accountIds: scopeIds(), partitionSize: 4, start: false } });
    expect(r.status).toBe(201);
    runId = r.body.run.id;
    // a reading accepted after the run started is not used
    await reading(res[5], '2026-10', at('2026-10-31'), { TOTAL: '200', PEAK: '120', VALLEY: '80' });
    // second identical request joins; an overlapping different scope is refused
    const again = await t.call('POST', '/api/v1/billing/runs', { cookie: checker, body: { period: '2026-10', accountIds: scopeIds(), start: false } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ joined: true, run: { id: runId } });
    const overlap = await t.call('POST', '/api/v1/billing/runs', { cookie: checker, body: { period: '2026-10', accountIds: [res[0].id, other.id], start: false } });
    expect(overlap.status).toBe(409);
    expect(overlap.body.error.message).toMatch(new RegExp(`run ${runId}`));

    const w = await workRun(t.db, runId, 'w1');
    expect(w).toMatchObject({ finished: true, bills: 10 });
    const p = await t.call('GET', `/api/v1/billing/runs/${runId}`, { cookie: checker });
    expect(p.status).toBe(200);
    expect(p.body.run.status).toBe('review');
    expect(p.body.progress).toMatchObject({ accountsDone: 10, accountsTotal: 10, partitionsDone: 3, partitionsTotal: 3, bills: 10, exceptions: 3 });
    expect(p.body.flagCounts).toMatchObject({ MISSING_READING: 1, NO_TARIFF: 1, TARIFF_GAP: 1, ESTIMATED_READING: 1 });

    const [b0] = (await bills(res[0].id)).filter((b) => !b.trial);
    expect(b0).toMatchObject({ status: 'calculated', amount_total: '166.30', energy_kwh: '350.00', period_start: '2026-10-01', period_end: '2026-10-31', days: 31, review_flags: [] });
    const lines = await t.db.kysely.selectFrom('bill_lines').selectAll().where('bill_id', '=', b0.id).orderBy('line_no').execute();
    expect(lines.map((l) => [l.code, l.amount])).toEqual([['ENERGY_PEAK', '113.60'], ['ENERGY_VALLEY', '43.20'], ['LADDER_T2_SURCHARGE', '9.50'], ['LADDER_T3_SURCHARGE', '0.00']]);

    const [bi] = (await bills(ind.id)).filter((b) => !b.trial);
    expect(bi.amount_total).toBe('140135.72');
    expect(bi.determinants).toMatchObject({ maxDemandKw: '650', reactive: { forward: 120000, reverse: 0 }, contractDemandKw: '600' });

    const [bc] = (await bills(com.id)).filter((b) => !b.trial);
    const tv = await t.db.kysely.selectFrom('tariff_versions').select('document').where('code', '=', 'ZJ-GC-LT1KV-TOU').execute();
    const expected = rateBill({ tariff: tv.map((x) => x.document as never), usage: { periodStart: '2026-10-01', periodEnd: '2026-10-31', kwh: 1000, tou: { SHARP: 100, PEAK: 400, FLAT: 0, VALLEY: 500 } } });
    expect(bc.amount_total).toBe(expected.total);
    expect(Number(bc.amount_total)).toBeGreaterThan(0);

    const exc = await t.call('GET', `/api/v1/billing/runs/${runId}/bills?exceptions=true`, { cookie: checker });
    expect(exc.body.items.map((b: any) => [b.accountId, b.exceptionCode]).sort()).toEqual([[res[5].id, 'MISSING_READING'], [res[6].id, 'NO_TARIFF'], [res[7].id, 'TARIFF_GAP']].sort());
    expect(exc.body.items[0]).toMatchObject({ status: 'review', amountTotal: '0.00', reviewFlags: [expect.objectContaining({ exception: true, zh: expect.any(String) })] });
    const est = await t.call('GET', `/api/v1/billing/runs/${runId}/bills?flag=ESTIMATED_READING`, { cookie: checker });
    expect(est.body.items.map((b: any) => b.accountId)).toEqual([res[4].id]);
    const bad = await t.call('GET', `/api/v1/billing/runs/${runId}/bills?flag=NOPE`, { cookie: checker });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('flag');

    // bill detail: lines, determinants and the readings used
    const d = await t.call('GET', `/api/v1/bills/${b0.id}`, { cookie: checker });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ amountTotal: '166.30', determinants: { ladderPrevCum: 2600, tou: { PEAK: 200, VALLEY: 150 } } });
    expect(d.body.lines).toHaveLength(4);
    expect(d.body.readings.map((x: any) => x.register).sort()).toEqual(['PEAK', 'TOTAL', 'VALLEY']);
  });

  it('the database allows exactly one real bill per account and period', async () => {
    const [b0] = (await bills(res[0].id)).filter((b) => !b.trial);
    await expect(sql`insert into bills (account_id, run_id, period, trial, status, org_unit_id, account_no, customer_class) values (${b0.account_id}, ${b0.run_id}, '2026-10', false, 'calculated', ${b0.org_unit_id}, 'x', 'residential')`.execute(t.db.kysely)).rejects.toThrow(/bills_one_real_uq|duplicate/);
  });

  it('review: approve-clean, exception bills cannot be approved, hold, send back to metering; issue; issued bills are immutable; audited', async () => {
    const checker = await t.login('checker');
    const clerk = await t.login('clerk');
    expect((await t.call('POST', `/api/v1/billing/runs/${runId}/approve-clean`, { cookie: clerk })).status).toBe(403);
    const ac = await t.call('POST', `/api/v1/billing/runs/${runId}/approve-clean`, { cookie: checker });
    expect(ac.status).toBe(200);
    expect(ac.body.approved).toBe(6); // res[0..3], com, ind
    const list = async (q: string) => (await t.call('GET', `/api/v1/billing/runs/${runId}/bills?${q}`, { cookie: checker })).body.items;
    const exc = await list('exceptions=true');
    const miss = exc.find((b: any) => b.exceptionCode === 'MISSING_READING');
    const ap = await t.call('POST', `/api/v1/bills/${miss.id}/approve`, { cookie: checker, body: {} });
    expect(ap.status).toBe(409);
    const noReason = await t.call('POST', `/api/v1/bills/${miss.id}/send-back`, { cookie: checker, body: {} });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details.field).toBe('reason');
    const sb = await t.call('POST', `/api/v1/bills/${miss.id}/send-back`, { cookie: checker, body: { reason: '补抄' } });
    expect(sb.status).toBe(200);
    expect(sb.body.status).toBe('sent_back');
    const gap = exc.find((b: any) => b.exceptionCode === 'TARIFF_GAP');
    expect((await t.call('POST', `/api/v1/bills/${gap.id}/hold`, { cookie: checker, body: { reason: '电价待补' } })).body.status).toBe('held');
    const nt = exc.find((b: any) => b.exceptionCode === 'NO_TARIFF');
    expect((await t.call('POST', `/api/v1/bills/${nt.id}/send-back`, { cookie: checker, body: { reason: '档案缺电价' } })).status).toBe(200);
    // the estimated one: send its readings back to metering
    const [est] = await list('flag=ESTIMATED_READING');
    const sb2 = await t.call('POST', `/api/v1/bills/${est.id}/send-back`, { cookie: checker, body: { reason: '估抄, 请补抄' } });
    expect(sb2.body.readingsSentBack).toBe(3);
    const back = await t.db.kysely.selectFrom('register_readings').select(['status', 'quality_flags']).where('account_id', '=', res[4].id).where('billing_period', '=', '2026-10').execute();
    expect(back.every((r) => r.status === 'pending_review' && r.quality_flags.includes('SENT_BACK'))).toBe(true);

    const is = await t.call('POST', `/api/v1/billing/runs/${runId}/issue`, { cookie: checker, body: { issueDate: '2026-11-05' } });
    expect(is.status).toBe(200);
    expect(is.body).toMatchObject({ issued: 6, runStatus: 'completed', remainingInReview: 0 });
    const [b0] = (await bills(res[0].id)).filter((b) => !b.trial);
    expect(b0).toMatchObject({ status: 'issued', due_date: '2026-11-20' });
    const [bi] = (await bills(ind.id)).filter((b) => !b.trial);
    expect(bi.due_date).toBe('2026-11-15'); // large industrial: 10 days
    // issued bills are receivables on the ledger, same amount and due date, posted once
    const rec = await t.db.kysely.selectFrom('receivables').select(['bill_id', 'amount', 'due_date']).where('bill_id', 'in', [b0.id, bi.id]).orderBy('bill_id').execute();
    expect(rec.map((r) => [r.bill_id, r.amount, r.due_date])).toEqual([[b0.id, b0.amount_total, '2026-11-20'], [bi.id, bi.amount_total, '2026-11-15']].sort((x, y) => Number(x[0]) - Number(y[0])));
    const ledger = await t.db.kysely.selectFrom('ledger_entries').select((eb) => eb.fn.countAll<number>().as('n')).where('receivable_id', 'is not', null).where('kind', '=', 'bill').executeTakeFirstOrThrow();
    expect(Number(ledger.n)).toBeGreaterThanOrEqual(2);
    await expect(t.db.kysely.updateTable('bills').set({ amount_total: '1.00' }).where('id', '=', b0.id).execute()).rejects.toThrow(/issued/);
    await expect(t.db.kysely.updateTable('bill_lines').set({ amount: '1.00' }).where('bill_id', '=', b0.id).execute()).rejects.toThrow(/issued/);
    await expect(t.db.kysely.deleteFrom('bills').where('id', '=', b0.id).execute()).rejects.toThrow(/issued/);
    expect((await t.call('POST', `/api/v1/bills/${b0.id}/hold`, { cookie: checker, body: { reason: 'x' } })).status).toBe(409);

    // account history: clerk of 城关 sees it; clerk2 (东城) does not
    const h = await t.call('GET', `/api/v1/accounts/${res[0].id}/bills`, { cookie: clerk });
    expect(h.status).toBe(200);
    expect(h.body.items[0]).toMatchObject({ period: '2026-10', status: 'issued', amountTotal: '166.30', trial: false });
    expect((await t.call('GET', `/api/v1/accounts/${res[0].id}/bills`, { cookie: await t.login('clerk2') })).status).toBe(403);

    const audit = await t.db.kysely.selectFrom('audit_events').select(['action']).where('entity_type', 'in', ['billing_run', 'bill']).execute();
    const actions = audit.map((a) => a.action);
    for (const a of ['billing_run.create', 'billing_run.finish', 'billing_run.approve_clean', 'billing_run.issue', 'bill.send_back', 'bill.hold']) expect(actions).toContain(a);
    // one event per bulk action, not per bill
    expect(actions.filter((a) => a === 'bill.approve')).toHaveLength(0);
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });

  it('a re-run for the period bills only the sent-back accounts, with the readings now in force', async () => {
    // the reading that arrived after the first run started went back to metering with the sent-back bill; metering accepts it
    const checker = await t.login('checker');
    const pending = await t.db.kysely.selectFrom('register_readings').select('id').where('account_id', '=', res[5].id).where('billing_period', '=', '2026-10').where('status', '=', 'pending_review').execute();
    expect(pending).toHaveLength(3);
    for (const p of pending) expect((await t.call('POST', `/api/v1/readings/${p.id}/accept`, { cookie: checker, body: { reason: '补抄核实' } })).status).toBe(200);
    const { run, joined } = await createRun(t.db, SYSTEM_ACTOR, { period: '2026-10', accountIds: scopeIds() });
    expect(joined).toBe(false);
    const w = await workRun(t.db, run.id, 'w2');
    expect(w).toMatchObject({ finished: true, skipped: 7 });
    const live = (await bills(res[5].id)).filter((b) => !b.trial && b.status !== 'sent_back');
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ exception_code: null, energy_kwh: '200.00' });
  });

  it('resume after a crash: a claimed partition whose worker died is taken over; exactly one bill per account', async () => {
    const accts = [...res.slice(0, 4), com, ind];
    for (const a of accts) await reading(a, '2026-11', at('2026-11-30'), a === ind ? { TOTAL: '1000', SHARP: '100', PEAK: '300', VALLEY: '600', REACTIVE: '200', MAX_DEMAND: '0.2' } : a === com ? { TOTAL: '100', SHARP: '10', PEAK: '40', FLAT: '0', VALLEY: '50', REACTIVE: '10' } : { TOTAL: '100', PEAK: '60', VALLEY: '40' });
    const { run } = await createRun(t.db, SYSTEM_ACTOR, { period: '2026-11', accountIds: accts.map((a) => a.id), partitionSize: 2 });
    expect(run.partitions).toBe(3);
    // worker 1 bills one partition, then "crashes" inside the second partition's transaction
    await workRun(t.db, run.id, 'dying', { maxPartitions: 1 });
    await expect(workRun(t.db, run.id, 'dying', { beforeCommit: () => { throw new Error('kill -9'); } })).rejects.toThrow('kill -9');
    const parts = await t.db.kysely.selectFrom('billing_run_partitions').selectAll().where('run_id', '=', run.id).orderBy('part_no').execute();
    expect(parts.map((p) => p.status)).toEqual(['done', 'claimed', 'pending']);
    expect(await t.db.kysely.selectFrom('bills').select('account_id').where('run_id', '=', run.id).execute()).toHaveLength(2);
    // a fresh worker skips the fresh claim (SKIP LOCKED / heartbeat), bills the rest, then takes over the stale claim
    const w = await workRun(t.db, run.id, 'rescuer', { staleAfterMs: 300, pollMs: 100 });
    expect(w).toMatchObject({ finished: true, partitions: 2, bills: 4 });
    const after = await t.db.kysely.selectFrom('billing_run_partitions').selectAll().where('run_id', '=', run.id).orderBy('part_no').execute();
    expect(after.map((p) => [p.status, p.claimed_by])).toEqual([['done', 'dying'], ['done', 'rescuer'], ['done', 'rescuer']]);
    expect(after[1].attempts).toBe(2);
    const per = await t.db.kysely.selectFrom('bills').select(['account_id', sql<number>`count(*)::int`.as('n')]).where('period', '=', '2026-11').where('trial', '=', false).groupBy('account_id').execute();
    expect(per).toHaveLength(6);
    expect(per.every((x) => x.n === 1)).toBe(true);
    // a second worker on a finished run does nothing
    expect(await workRun(t.db, run.id, 'late')).toMatchObject({ partitions: 0, finished: true });
  });

  it('two workers share a run (SKIP LOCKED): every partition billed once, exactly one bill per account', async () => {
    const ids = [...res.map((a) => a.id), com.id, ind.id, other.id];
    for (const a of [...res.slice(0, 4), com]) await reading(a, '2027-01', at('2027-01-31'), a === com ? { TOTAL: '100', SHARP: '10', PEAK: '40', FLAT: '0', VALLEY: '50', REACTIVE: '10' } : { TOTAL: '100', PEAK: '60', VALLEY: '40' });
    const { run } = await createRun(t.db, SYSTEM_ACTOR, { period: '2027-01', accountIds: ids, partitionSize: 1 });
    const [a, b] = await Promise.all([workRun(t.db, run.id, 'A', { pollMs: 50 }), workRun(t.db, run.id, 'B', { pollMs: 50 })]);
    expect(a.partitions + b.partitions).toBe(11);
    expect(a.bills + b.bills).toBe(11);
    expect(a.finished || b.finished).toBe(true);
    const per = await t.db.kysely.selectFrom('bills').select(['account_id', sql<number>`count(*)::int`.as('n')]).where('period', '=', '2027-01').groupBy('account_id').execute();
    expect(per).toHaveLength(11);
    expect(per.every((x) => x.n === 1)).toBe(true);
    const parts = await t.db.kysely.selectFrom('billing_run_partitions').select(['status', 'attempts']).where('run_id', '=', run.id).execute();
    expect(parts.every((p) => p.status === 'done' && p.attempts === 1)).toBe(true);
    const r = await t.db.kysely.selectFrom('billing_runs').selectAll().where('id', '=', run.id).executeTakeFirstOrThrow();
    expect(r).toMatchObject({ status: 'review', bills: 11 });
  });

  it('the reading cutoff is exact to the microsecond: a reading created just before the run is used, one just after is not', async () => {
    await reading(res[0], '2027-03', at('2027-03-31'), { TOTAL: '100', PEAK: '60', VALLEY: '40' });
    await reading(res[1], '2027-03', at('2027-03-31'), { TOTAL: '100', PEAK: '60', VALLEY: '40' });
    const { run } = await createRun(t.db, SYSTEM_ACTOR, { period: '2027-03', accountIds: [res[0].id, res[1].id], trial: true });
    // same millisecond: 56 µs before the cutoff and 44 µs after it
    await sql`update billing_runs set reading_cutoff = '2027-04-01 10:00:00.123456+08' where id = ${run.id}`.execute(t.db.kysely);
    await sql`update register_readings set created_at = '2027-04-01 10:00:00.123400+08' where account_id = ${res[0].id} and billing_period = '2027-03'`.execute(t.db.kysely);
    await sql`update register_readings set created_at = '2027-04-01 10:00:00.123500+08' where account_id = ${res[1].id} and billing_period = '2027-03'`.execute(t.db.kysely);
    await workRun(t.db, run.id, 'cutoff-worker');
    const got = await t.db.kysely.selectFrom('bills').select(['account_id', 'exception_code', 'energy_kwh']).where('run_id', '=', run.id).orderBy('account_id').execute();
    const by = Object.fromEntries(got.map((b) => [Number(b.account_id), b]));
    expect(by[res[0].id]).toMatchObject({ exception_code: null, energy_kwh: '100.00' });
    expect(by[res[1].id]).toMatchObject({ exception_code: 'MISSING_READING' });
  });

  it('bad input names the field; scope is enforced', async () => {
    const checker = await t.login('checker');
    const bad = await t.call('POST', '/api/v1/billing/runs', { cookie: checker, body: { period: '2026-13' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('period');
    const none = await t.call('POST', '/api/v1/billing/runs', { cookie: checker, body: { period: '2026-10', accountIds: [99999999] } });
    expect(none.status).toBe(400);
    expect(none.body.error.details.field).toBe('accountIds.0');
    const reader = await t.login('reader');
    expect((await t.call('POST', '/api/v1/billing/runs', { cookie: reader, body: { period: '2026-10' } })).status).toBe(403);
    const list = await t.call('GET', '/api/v1/billing/runs?period=2026-10', { cookie: checker });
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThanOrEqual(3);
    // discard the trial run: its bills are cancelled, no worker touches it again
    const trial = list.body.items.find((r: any) => r.trial);
    const c = await t.call('POST', `/api/v1/billing/runs/${trial.id}/cancel`, { cookie: checker, body: { reason: '试算完毕' } });
    expect(c.status).toBe(200);
    expect(c.body.billsCancelled).toBe(10);
    expect(await workRun(t.db, trial.id, 'late')).toMatchObject({ partitions: 0, finished: false });
    expect((await t.call('POST', `/api/v1/billing/runs/${trial.id}/cancel`, { cookie: checker, body: {} })).status).toBe(409);
  });

  it('POST /billing/runs starts a background worker; progress is polled until review', async () => {
    const checker = await t.login('checker');
    const r = await t.call('POST', '/api/v1/billing/runs', { cookie: checker, body: { period: '2026-12', accountIds: res.slice(0, 3).map((a) => a.id) } });
    expect(r.status).toBe(201);
    let p: any;
    for (let i = 0; i < 100; i++) {
      p = (await t.call('GET', `/api/v1/billing/runs/${r.body.run.id}`, { cookie: checker })).body;
      if (p.run.status === 'review') break;
      await new Promise((ok) => setTimeout(ok, 200));
    }
    expect(p.run.status).toBe('review');
    // no readings for 2026-12: every account is on the exception list, none is skipped
    expect(p.progress).toMatchObject({ accountsDone: 3, bills: 3, exceptions: 3 });
    expect(p.flagCounts).toEqual({ MISSING_READING: 3 });
  });

  it('a customer sees only the issued bills of their own account', async () => {
    const customer = await t.login('customer');
    const own = await t.db.kysely.selectFrom('customer_logins as cl').innerJoin('users as u', 'u.id', 'cl.user_id').select('cl.account_id').where('u.username', '=', 'customer').executeTakeFirstOrThrow();
    const notOwn = res.find((a) => a.id !== own.account_id)!;
    expect((await t.call('GET', `/api/v1/accounts/${notOwn.id}/bills`, { cookie: customer })).status).toBe(403);
    const [b] = (await bills(notOwn.id)).filter((x) => x.status === 'issued');
    expect((await t.call('GET', `/api/v1/bills/${b.id}`, { cookie: customer })).status).toBe(403);
    const mine = await t.call('GET', `/api/v1/accounts/${own.account_id}/bills`, { cookie: customer });
    expect(mine.status).toBe(200);
    expect(mine.body.items.every((x: any) => x.status === 'issued' && !x.trial)).toBe(true);
  });
});
