/**
 * Billing fast path (FastBiller: determinants → compiled numeric core) against the generic path
 * (billAccount: determinants → rateBill string API) on random accounts of every customer class
 * and the edge cases around them: the two must give the same bill — lines (code, names, quantity,
 * unit price, amount, rule), total, flags, status, exception, determinants, tariff refs and
 * warnings. Also checks that most ordinary bills really take the fast path, and a billing run on
 * the database writes the same lines and totals as billAccount computes (PGlite; PostgreSQL with
 * DATABASE_URL).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTariffVersion } from '../../src/domain/tariffs/validate.js';
import type { TariffVersion } from '../../src/domain/tariffs/schema.js';
import { billAccount, type AccountFacts, type BillHistory, type DeterminantInput, type ReadingFact } from '../../src/domain/billing/index.js';
import { FastBiller } from '../../src/domain/billing/fast.js';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { SYSTEM_ACTOR } from '../../src/app/context.js';
import { createRun, workRun } from '../../src/app/billing/run.js';

const root = path.resolve(__dirname, '../..');
const tariff = (f: string) => parseTariffVersion(JSON.parse(fs.readFileSync(path.join(root, 'tariffs', f), 'utf8')));
const RES = tariff('zj-resident-annual-ladder-tou.json');
const SHARED = tariff('zj-resident-shared-meter.json');
const BJ = tariff('bj-resident-monthly-ladder.json');
const COM = tariff('zj-general-commercial-tou.json');
const LIA = tariff('zj-large-industrial-tou-a.json');
const LIB = tariff('zj-large-industrial-tou-b.json');
const AGRI = tariff('agriculture-flat.json');

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

type Cls = 'residential' | 'shared' | 'monthly' | 'commercial' | 'large_industrial_a' | 'large_industrial_b' | 'agricultural';
const CLASSES: Cls[] = ['residential', 'shared', 'monthly', 'commercial', 'large_industrial_a', 'large_industrial_b', 'agricultural'];

/** A tariff change inside the period: the same document as two versions split at `at`. */
function split(v: TariffVersion, at: string, factor: string): TariffVersion[] {
  const a = { ...v, version: `${v.version}-a`, effectiveFrom: '2000-01-01', effectiveTo: at };
  const b = JSON.parse(JSON.stringify({ ...v, version: `${v.version}-b`, effectiveFrom: at, effectiveTo: null }));
  b.energyComponents = b.energyComponents.map((c: { price: string }) => ({ ...c, price: (Number(c.price) * Number(factor)).toFixed(4) }));
  if (b.tou?.periodPrices) for (const k of Object.keys(b.tou.periodPrices)) b.tou.periodPrices[k] = (Number(b.tou.periodPrices[k]) * Number(factor)).toFixed(4);
  return [parseTariffVersion(a), parseTariffVersion(b)];
}

function randomCase(r: () => number, cls: Cls, i: number): { input: DeterminantInput; history: BillHistory } {
  const pick = <T,>(a: T[]): T => a[Math.floor(r() * a.length)];
  const month = 1 + Math.floor(r() * 12);
  const year = 2025 + Math.floor(r() * 2);
  const period = `${year}-${String(month).padStart(2, '0')}`;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const readDay = r() < 0.7 ? lastDay : 10 + Math.floor(r() * 15);
  const readAt = new Date(Date.UTC(year, month - 1, readDay, r() < 0.1 ? 16 : 2, 0, 0)); // 00:00 local (月冻结) sometimes
  const prevAt = r() < 0.08 ? null : new Date(readAt.getTime() - (25 + Math.floor(r() * 12)) * 86_400_000);
  const tv: Record<Cls, TariffVersion> = { residential: RES, shared: SHARED, monthly: BJ, commercial: COM, large_industrial_a: LIA, large_industrial_b: LIB, agricultural: AGRI };
  let versions: TariffVersion[] = [tv[cls]];
  if (r() < 0.06) versions = split(tv[cls], `${period}-${String(5 + Math.floor(r() * 20)).padStart(2, '0')}`, pick(['1.05', '0.97']));
  const industrial = cls.startsWith('large_industrial');
  const openedRecently = r() < 0.1;
  const openedOn = openedRecently ? `${period}-${String(1 + Math.floor(r() * 20)).padStart(2, '0')}` : r() < 0.15 ? `${year}-01-15` : r() < 0.03 ? '2019-03-07' : '2024-06-07';
  const method = industrial ? pick(['capacity', 'contract_demand', 'actual_demand', 'contract_demand', 'capacity', 'none']) : 'none';
  const capacity = industrial ? pick(['400', '630', '1000', '2000', '315.5']) : cls === 'commercial' ? pick(['20', '50', '100']) : pick(['4', '8', '10']);
  const account: AccountFacts = {
    id: i + 1,
    accountNo: String(3310000000 + i),
    customerClass: industrial ? 'large_industrial' : cls === 'commercial' ? 'commercial' : cls === 'agricultural' ? 'agricultural' : 'residential',
    tariffCode: r() < 0.02 ? null : versions[0].code,
    householdSize: 1 + Math.floor(r() * 8),
    capacityKva: capacity,
    contractDemandKw: method === 'contract_demand' || r() < 0.1 ? String(Math.round(Number(capacity) * (0.3 + r() * 0.6))) : null,
    basicChargeMethod: method,
    pfStandard: industrial || cls === 'agricultural' ? pick(['0.90', '0.85', '0.80', null, '0.9']) : null,
    openedOn,
    status: 'active',
    suspendedCapacityKva: industrial && r() < 0.1 ? '100' : null,
  };
  const mult = industrial ? pick(['2000', '800', '1']) : r() < 0.01 ? '0' : '1';
  let id = i * 100;
  const rd = (register: string, kwh: number | null, over: Partial<ReadingFact> = {}): ReadingFact => ({
    id: ++id, register, readAt: readAt, value: kwh === null ? null : (Math.abs(kwh) / Math.max(1, Number(mult))).toFixed(4), consumption: kwh === null ? null : kwh.toFixed(4), status: 'accepted', meterId: i, multiplier: mult, source: 'import', ...over,
  });
  const base = industrial ? 50_000 + r() * 400_000 : cls === 'commercial' ? 500 + r() * 5000 : cls === 'agricultural' ? r() * 3000 : r() * 900;
  const total = r() < 0.03 ? 0 : Math.round(base * 10_000) / 10_000 + (r() < 0.3 ? 0.5 : 0);
  const readings: ReadingFact[] = [];
  if (r() > 0.03) {
    const est = r() < 0.05 ? { status: 'estimated' } : {};
    readings.push(rd('TOTAL', total, est));
    const touTariff = versions[0].tou;
    if (touTariff && r() > 0.02) {
      const mism = r() < 0.05 ? 0.6 : 1;
      const regs = cls === 'residential' || cls === 'shared' ? ['PEAK', 'VALLEY'] : ['SHARP', 'PEAK', 'FLAT', 'VALLEY'];
      let rest = total * mism;
      regs.forEach((reg, k) => {
        const part = k === regs.length - 1 ? rest : Math.round(rest * (0.2 + r() * 0.5) * 10_000) / 10_000;
        rest -= part;
        readings.push(rd(reg, Math.round(part * 10_000) / 10_000, est));
      });
    }
    if (industrial || cls === 'agricultural' || cls === 'commercial') {
      if (r() > 0.03) readings.push(rd('REACTIVE', Math.round(total * (0.1 + r() * 0.8))));
      if (r() < 0.3) readings.push(rd('REACTIVE_REV', Math.round(total * r() * 0.1)));
    }
    if (industrial && r() > 0.03) readings.push({ ...rd('MAX_DEMAND', null), value: (Number(capacity) * (0.3 + r() * 0.9) / Math.max(1, Number(mult))).toFixed(4) });
    if (r() < 0.02) readings.push(rd('TOTAL', null));
  }
  const last = r() < 0.7 ? { kwh: Math.round(total * (0.5 + r())), amount: (total * 0.6 * (0.5 + r())).toFixed(2) } : null;
  const lastYear = r() < 0.5 ? { kwh: Math.round(total * (0.4 + r() * 1.4)), amount: (total * 0.55 * (0.4 + r() * 1.4)).toFixed(2) } : null;
  return {
    input: { period, account, readings, previousReadAt: prevAt, installedOn: openedRecently ? openedOn : null, ladderPrevCumKwh: month === 1 ? 0 : Math.floor(r() * 6000), tariffVersions: account.tariffCode ? versions : [] },
    history: { last, lastYear, hasEarlierBill: r() < 0.9 },
  };
}

describe('billing fast path = generic path', () => {
  it.each(CLASSES)('%s: 1,500 random accounts give identical bills', (cls) => {
    const r = rng(CLASSES.indexOf(cls) * 7919 + 17);
    const fast = new FastBiller();
    let lines = 0;
    const reasons: Record<string, number> = {};
    for (let i = 0; i < 1500; i++) {
      const { input, history } = randomCase(r, cls, i);
      const want = billAccount(input, history);
      const got = fast.bill(input, history);
      if (JSON.stringify(got) !== JSON.stringify(want)) expect({ i, ...got }).toEqual({ i, ...want });
      lines += got.lines.length;
      const why = (got.exceptionCode ? got.exceptionCode + (got.exceptionMessage ?? '').slice(0, 50) : null) ?? (got.tariffRefs.length > 1 ? 'SPLIT' : got.warnings.join('|').slice(0, 40) || 'other');
      reasons[why] = (reasons[why] ?? 0) + 1;
    }
    expect(lines).toBeGreaterThan(1000);
    if (process.env.FASTPATH_DEBUG) console.log(cls, fast.fast, fast.generic, JSON.stringify(reasons));
    // most ordinary bills are rated by the numeric core, not handed back to rateBill
    expect(fast.fast).toBeGreaterThan(fast.generic * 2);
    expect(fast.fast + fast.generic).toBe(1500);
  });

  it('a negative total, an estimated reading and a partial first month of a two-part tariff agree', () => {
    const r = rng(5);
    const fast = new FastBiller();
    const { input, history } = randomCase(r, 'large_industrial_a', 1);
    const cases: DeterminantInput[] = [
      { ...input, readings: input.readings.map((x) => (x.register === 'TOTAL' ? { ...x, consumption: '-5.0000' } : x)) },
      { ...input, readings: input.readings.map((x) => ({ ...x, status: 'estimated' })) },
      { ...input, account: { ...input.account, openedOn: `${input.period}-11`, basicChargeMethod: 'capacity' }, installedOn: `${input.period}-11`, previousReadAt: null },
    ];
    for (const c of cases) expect(fast.bill(c, history)).toEqual(billAccount(c, history));
  });
});

/** The facts of every account for billAccount, read with plain queries (not the run's loader). */
async function loadFacts(t: TestApp, period: string) {
  const k = t.db.kysely;
  const versions = new Map<string, TariffVersion[]>();
  for (const v of await k.selectFrom('tariff_versions').select(['code', 'document']).where('status', '=', 'active').execute()) {
    const list = versions.get(v.code) ?? [];
    list.push(parseTariffVersion(v.document));
    versions.set(v.code, list);
  }
  const out = new Map<number, { input: DeterminantInput; history: BillHistory }>();
  for (const a of await k.selectFrom('accounts').selectAll().where('status', '<>', 'closed').execute()) {
    const rs = await k.selectFrom('register_readings as r').innerJoin('meters as m', 'm.id', 'r.meter_id').select(['r.id', 'r.register', 'r.read_at', 'r.value', 'r.consumption', 'r.status', 'r.source', 'r.meter_id', 'm.multiplier'])
      .where('r.account_id', '=', a.id).where('r.status', 'in', ['accepted', 'estimated']).orderBy('r.id').execute();
    const cur = rs;
    const thisPeriod = await k.selectFrom('register_readings').select(['id', 'billing_period']).where('account_id', '=', a.id).execute();
    const periodOf = new Map(thisPeriod.map((x) => [x.id, x.billing_period]));
    const readings: ReadingFact[] = cur.filter((x) => periodOf.get(x.id) === period).map((x) => ({ id: x.id, register: x.register, readAt: new Date(x.read_at), value: x.value, consumption: x.consumption, status: x.status, meterId: x.meter_id, multiplier: x.multiplier, source: x.source }));
    const earlierTotals = cur.filter((x) => x.register === 'TOTAL' && (periodOf.get(x.id) ?? '') < period);
    const prevAt = earlierTotals.reduce<Date | null>((m, x) => (!m || new Date(x.read_at) > m ? new Date(x.read_at) : m), null);
    const cum = earlierTotals.filter((x) => (periodOf.get(x.id) ?? '') >= period.slice(0, 4) + '-01').reduce((s, x) => s + Math.round(Number(x.consumption)), 0);
    const inst = await k.selectFrom('meter_installations').select('installed_on').where('account_id', '=', a.id).orderBy('installed_on').executeTakeFirst();
    const facts: AccountFacts = { id: a.id, accountNo: a.account_no, customerClass: a.customer_class, tariffCode: a.tariff_code, householdSize: a.household_size, capacityKva: a.contract_capacity_kva, contractDemandKw: a.contract_demand_kw, basicChargeMethod: a.basic_charge_method, pfStandard: a.pf_standard, openedOn: a.opened_on, status: a.status };
    out.set(a.id, {
      input: { period, account: facts, readings, previousReadAt: prevAt, installedOn: inst?.installed_on ?? null, ladderPrevCumKwh: cum, tariffVersions: (a.tariff_code && versions.get(a.tariff_code)) || [] },
      history: { last: null, lastYear: null, hasEarlierBill: false },
    });
  }
  return out;
}

describe.each(engines())('billing run writes what billAccount computes, on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 60 });
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('bills and lines in the database equal the generic path for every account of the run', async () => {
    const accs = await t.db.kysely.selectFrom('accounts as a').innerJoin('meter_installations as mi', 'mi.account_id', 'a.id').innerJoin('meters as m', 'm.id', 'mi.meter_id')
      .select(['a.id', 'a.customer_class', 'mi.meter_id', 'mi.metering_point_id', 'm.registers', 'm.multiplier']).where('a.status', '<>', 'closed').where('mi.removed_on', 'is', null).orderBy('a.id').execute();
    const r = rng(99);
    const rows: Array<Record<string, unknown>> = [];
    for (const a of accs) {
      const kwh = a.customer_class === 'large_industrial' ? 100_000 : a.customer_class === 'commercial' ? 1500 : 250;
      for (const [period, at] of [['2026-09', '2026-09-30T10:00:00+08:00'], ['2026-10', '2026-10-31T10:00:00+08:00']] as const) {
        const total = Math.round(kwh * (0.5 + r()));
        const regs: Record<string, number> = { TOTAL: total };
        const has = (x: string) => (a.registers as string[]).includes(x);
        if (has('SHARP') && has('FLAT')) Object.assign(regs, { SHARP: Math.round(total * 0.1), PEAK: Math.round(total * 0.4), FLAT: 0, VALLEY: total - Math.round(total * 0.1) - Math.round(total * 0.4) });
        else if (has('PEAK') && has('VALLEY')) Object.assign(regs, { PEAK: Math.round(total * 0.6), VALLEY: total - Math.round(total * 0.6) });
        if (has('REACTIVE')) regs.REACTIVE = Math.round(total * 0.4);
        for (const [register, c] of Object.entries(regs)) {
          rows.push({ account_id: a.id, meter_id: a.meter_id, metering_point_id: a.metering_point_id, register, read_at: new Date(at), billing_period: period, value: (c / Number(a.multiplier)).toFixed(4), consumption: c.toFixed(4), source: 'import', status: 'accepted', rule_results: '[]' });
        }
        if (has('MAX_DEMAND')) rows.push({ account_id: a.id, meter_id: a.meter_id, metering_point_id: a.metering_point_id, register: 'MAX_DEMAND', read_at: new Date(at), billing_period: period, value: (total / 400 / Number(a.multiplier)).toFixed(4), consumption: null, source: 'import', status: 'accepted', rule_results: '[]' });
      }
    }
    for (let i = 0; i < rows.length; i += 500) await t.db.kysely.insertInto('register_readings').values(rows.slice(i, i + 500) as never).execute();

    const { run } = await createRun(t.db, SYSTEM_ACTOR, { period: '2026-10', partitionSize: 16 });
    await workRun(t.db, run.id, 'fastpath-test');
    const bills = await t.db.kysely.selectFrom('bills').selectAll().where('run_id', '=', run.id).orderBy('account_id').execute();
    expect(bills.length).toBe(accs.length);
    const lines = await t.db.kysely.selectFrom('bill_lines').selectAll().where('bill_id', 'in', bills.map((b) => b.id)).orderBy('bill_id').orderBy('line_no').execute();

    // the generic path over the same facts, read back independently
    const facts = await loadFacts(t, '2026-10');
    let checked = 0;
    for (const b of bills) {
      const f = facts.get(b.account_id)!;
      const want = billAccount(f.input, f.history);
      expect(b.amount_total).toBe(Number(want.amount).toFixed(2));
      expect(b.exception_code).toBe(want.exceptionCode);
      expect(b.review_flags).toEqual(want.flags);
      const mine = lines.filter((l) => l.bill_id === b.id);
      expect(mine.map((l) => [l.code, l.name_zh, l.name_en, Number(l.quantity).toFixed(2), l.unit, Number(l.unit_price).toFixed(6), Number(l.amount).toFixed(2), l.rule])).toEqual(
        want.lines.map((l) => [l.code, l.name.zh, l.name.en, Number(l.quantity).toFixed(2), l.unit, Number(l.unitPrice).toFixed(6), Number(l.amount).toFixed(2), l.rule]),
      );
      expect(b.tariff_refs).toEqual(JSON.parse(JSON.stringify(want.tariffRefs)));
      if (!want.exceptionCode) checked++;
    }
    expect(checked).toBeGreaterThan(accs.length / 2);
  }, 120_000);
});
