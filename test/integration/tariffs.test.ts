/**
 * Tariff catalogue and quotes through the API, on PGlite and (with DATABASE_URL) PostgreSQL:
 * demo tariffs loaded by the seed, import all-or-nothing, overlap refused naming the field,
 * policy warnings returned and saved, new version from an old one + compare, quotes by tariff
 * code (R-2 → 166.30) and by a large-industrial account (I-1A → 140,135.72), bad usage,
 * permissions, audit.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import { DEMO_TARIFF } from '../../src/jobs/seed.js';

const tariffJson = (f: string) => JSON.parse(fs.readFileSync(new URL(`../../tariffs/${f}`, import.meta.url), 'utf8'));
const july = { periodStart: '2024-07-01', periodEnd: '2024-07-31' };

describe.each(engines())('tariffs and quotes on %s', (engine) => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 200 });
    admin = await t.login('admin');
  });
  afterAll(async () => {
    await t?.drop();
  });

  const countVersions = async () => Number((await t.db.kysely.selectFrom('tariff_versions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  describe('catalogue', () => {
    it('the demo seed loads every tariffs/*.json, and demo accounts reference those codes', async () => {
      const files = fs.readdirSync(new URL('../../tariffs/', import.meta.url)).filter((f) => f.endsWith('.json'));
      const list = await t.call('GET', '/api/v1/tariffs', { cookie: admin });
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(files.length);
      const codes = new Set(list.body.items.map((x: any) => x.code));
      for (const c of Object.values(DEMO_TARIFF)) expect(codes, c).toContain(c);
      const used = await t.db.kysely.selectFrom('accounts').select('tariff_code').distinct().execute();
      for (const u of used) expect(codes).toContain(u.tariff_code);
      // re-importing the same documents changes nothing
      const again = await t.call('POST', '/api/v1/tariffs/import', { cookie: admin, body: files.map(tariffJson) });
      expect(again.status).toBe(200);
      expect(again.body.created).toHaveLength(0);
      expect(again.body.unchanged).toHaveLength(files.length);
    });

    it('filters by province, customer class, code and date in force', async () => {
      const byClass = await t.call('GET', `/api/v1/tariffs?customerClass=${encodeURIComponent('大工业')}`, { cookie: admin });
      expect(byClass.body.items.map((x: any) => x.code).sort()).toEqual(['ZJ-LI-10KV-TOU-A', 'ZJ-LI-10KV-TOU-B']);
      const bj = await t.call('GET', '/api/v1/tariffs?province=110000', { cookie: admin });
      expect(bj.body.items.map((x: any) => x.code)).toEqual(['BJ-RES-1H1B']);
      const code = await t.call('GET', '/api/v1/tariffs?code=ZJ-LI', { cookie: admin });
      expect(code.body.items).toHaveLength(2);
      const old = await t.call('GET', '/api/v1/tariffs?onDate=2020-01-01', { cookie: admin });
      expect(old.body.items.map((x: any) => x.code).sort()).toEqual(['BJ-RES-1H1B', 'ZJ-RES-1H1B-LT1KV', 'ZJ-RES-HEBIAO-LT1KV']);
      const bad = await t.call('GET', '/api/v1/tariffs?onDate=2020-13', { cookie: admin });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.field).toBe('onDate');
    });

    it('shows a version with its document, all-in period prices and 24-hour band profiles', async () => {
      const id = (await t.call('GET', '/api/v1/tariffs?code=ZJ-LI-10KV-TOU-A', { cookie: admin })).body.items[0].id;
      const v = await t.call('GET', `/api/v1/tariffs/${id}`, { cookie: admin });
      expect(v.status).toBe(200);
      expect(v.body.document.basicCharge).toMatchObject({ defaultMethod: 'CONTRACT_DEMAND', demandPrice: '32' });
      expect(v.body.derived.periodPrices).toMatchObject({ SHARP: '1.247400', PEAK: '1.039500', VALLEY: '0.239400' });
      expect(v.body.derived.seasons).toHaveLength(2);
      const summer = v.body.derived.seasons[0];
      expect(summer.months).toEqual([1, 7, 8, 12]);
      expect(summer.slots).toHaveLength(96);
      expect(summer.slots[9 * 4]).toBe('SHARP'); // 09:00
      expect(summer.slots[3 * 4]).toBe('VALLEY'); // 03:00
      expect((await t.call('GET', '/api/v1/tariffs/999999', { cookie: admin })).status).toBe(404);
    });

    it('a policy warning is returned and saved, never blocks', async () => {
      const j = tariffJson('zj-general-commercial-tou.json');
      j.code = 'TEST-GC-POLICY';
      const r = await t.call('POST', '/api/v1/tariffs', { cookie: admin, body: j });
      expect(r.status).toBe(201);
      expect(r.body.warnings.map((w: any) => w.code)).toEqual(['CRITICAL_PEAK_RATIO']);
      const saved = await t.call('GET', `/api/v1/tariffs/${r.body.tariff.id}`, { cookie: admin });
      expect(saved.body.tariff.warnings.map((w: any) => w.code)).toEqual(['CRITICAL_PEAK_RATIO']);
      const row = await t.db.kysely.selectFrom('tariff_versions').select(['warnings', 'status']).where('id', '=', r.body.tariff.id).executeTakeFirstOrThrow();
      expect((row.warnings as any[])[0].code).toBe('CRITICAL_PEAK_RATIO');
      expect(row.status).toBe('active');
      const audit = await t.call('GET', `/api/v1/audit?entityType=tariff_version&entityId=${r.body.tariff.id}`, { cookie: admin });
      expect(audit.body.items.map((e: any) => e.action)).toEqual(['tariff.create']);
    });

    it('refuses a version overlapping another of the same code, naming effectiveFrom; nothing saved', async () => {
      const before = await countVersions();
      const j = tariffJson('zj-resident-shared-meter.json');
      j.version = '2020-01';
      j.effectiveFrom = '2020-01-01';
      const r = await t.call('POST', '/api/v1/tariffs', { cookie: admin, body: j });
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
      expect(r.body.error.details.field).toBe('effectiveFrom');
      expect(r.body.error.message).toMatch(/overlaps version 2012-07/);
      expect(await countVersions()).toBe(before);
    });

    it('bad tariffs are refused naming the field (negative price, uncovered hours, tiers out of order)', async () => {
      const neg = tariffJson('agriculture-flat.json');
      neg.code = 'TEST-NEG';
      neg.energyComponents[0].price = '-0.1';
      const r1 = await t.call('POST', '/api/v1/tariffs', { cookie: admin, body: neg });
      expect(r1.status).toBe(400);
      expect(r1.body.error.details.field).toBe('energyComponents.0.price');
      const gap = tariffJson('zj-large-industrial-tou-a.json');
      gap.code = 'TEST-GAP';
      gap.tou.seasons[0].bands.pop();
      const r2 = await t.call('POST', '/api/v1/tariffs', { cookie: admin, body: gap });
      expect(r2.status).toBe(400);
      expect(r2.body.error.details.field).toBe('tou.seasons.0.bands');
      const tiers = tariffJson('bj-resident-monthly-ladder.json');
      tiers.code = 'TEST-TIERS';
      tiers.ladder.thresholds = [400, 240];
      const r3 = await t.call('POST', '/api/v1/tariffs', { cookie: admin, body: tiers });
      expect(r3.body.error.details.field).toBe('ladder.thresholds.1');
    });

    it('new version from an old one closes the old one, then compare shows the changed prices and bands', async () => {
      const old = (await t.call('GET', '/api/v1/tariffs?code=ZJ-LI-10KV-TOU-B', { cookie: admin })).body.items[0];
      const bands = tariffJson('zj-large-industrial-tou-b.json').tou.seasons[1].bands;
      // move the other-months SHARP hour block 15-17 → 19-21 (peak 17-22 becomes 17-19 and 21-22)
      const newBands = bands
        .filter((b: any) => !(b.period === 'PEAK' && b.from === '17:00') && b.period !== 'SHARP')
        .concat([
          { period: 'PEAK', from: '15:00', to: '17:00' },
          { period: 'PEAK', from: '17:00', to: '19:00' },
          { period: 'SHARP', from: '19:00', to: '21:00' },
          { period: 'PEAK', from: '21:00', to: '22:00' },
        ]);
      const body = {
        effectiveFrom: '2025-01-01',
        changes: {
          energyComponents: { TRANSMISSION: { price: '0.160000' } },
          basicCharge: { demandPrice: '33' },
          tou: { ratios: { SHARP: '2.0' }, seasons: [tariffJson('zj-large-industrial-tou-b.json').tou.seasons[0], { months: [2, 3, 4, 5, 6, 9, 10, 11], bands: newBands }] },
        },
      };
      const nv = await t.call('POST', `/api/v1/tariffs/${old.id}/new-version`, { cookie: admin, body });
      expect(nv.status, JSON.stringify(nv.body)).toBe(201);
      expect(nv.body.tariff).toMatchObject({ code: 'ZJ-LI-10KV-TOU-B', version: '2025-01', effectiveFrom: '2025-01-01', effectiveTo: null });
      expect(nv.body.closed).toMatchObject({ id: old.id, effectiveTo: '2025-01-01' });
      // stored document follows the column
      const oldView = await t.call('GET', `/api/v1/tariffs/${old.id}`, { cookie: admin });
      expect(oldView.body.document.effectiveTo).toBe('2025-01-01');
      expect(oldView.body.versions.map((v: any) => v.version)).toEqual(['2024-03', '2025-01']);

      const cmp = await t.call('GET', `/api/v1/tariffs/compare?a=${old.id}&b=${nv.body.tariff.id}`, { cookie: admin });
      expect(cmp.status).toBe(200);
      const byPath = Object.fromEntries(cmp.body.diff.changes.map((c: any) => [c.path, c]));
      expect(byPath['energyComponents.TRANSMISSION.price']).toMatchObject({ section: 'components', before: '0.150000', after: '0.160000' });
      expect(byPath['basicCharge.demandPrice']).toMatchObject({ before: '32', after: '33' });
      expect(byPath['tou.ratios.SHARP']).toMatchObject({ section: 'ratios', change: 'changed' });
      expect(byPath['periodPrices.PEAK']).toMatchObject({ section: 'periodPrices', before: '1.023250', after: '1.039750' });
      expect(byPath['tou.bands.months.2,3,4,5,6,9,10,11']).toMatchObject({ section: 'bands', change: 'changed' });
      expect(byPath['tou.bands.months.1,7,8,12']).toBeUndefined();
      expect(cmp.body.diff.sections).toEqual(expect.arrayContaining(['components', 'ratios', 'bands', 'basicCharge', 'periodPrices']));

      // a quote spanning the change is split by days (§1.6)
      const q = await t.call('POST', '/api/v1/quotes', { cookie: admin, body: { tariffCode: 'ZJ-LI-10KV-TOU-B', usage: { periodStart: '2024-12-17', periodEnd: '2025-01-16', kwh: 31000, tou: { PEAK: 31000 }, capacityKva: 400, basicChargeMethod: 'CAPACITY', reactiveKvarh: { forward: 5000 } } } });
      expect(q.status, JSON.stringify(q.body)).toBe(200);
      expect(q.body.tariffs.map((x: any) => x.version)).toEqual(['2024-03', '2025-01']);
      expect(q.body.details.segments).toHaveLength(2);

      // the new effectiveFrom must be after the old one's; and the audit trail has both steps
      const early = await t.call('POST', `/api/v1/tariffs/${old.id}/new-version`, { cookie: admin, body: { effectiveFrom: '2023-01-01' } });
      expect(early.status).toBe(400);
      expect(early.body.error.details.field).toBe('effectiveFrom');
      const audit = await t.call('GET', '/api/v1/audit?entityType=tariff_version', { cookie: admin });
      const actions = audit.body.items.map((e: any) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['tariff.close', 'tariff.new_version']));
    });

    it('import is all or nothing: one bad item saves nothing and names item and field', async () => {
      const before = await countVersions();
      const good = tariffJson('agriculture-flat.json');
      good.code = 'TEST-IMP-1';
      const good2 = { ...tariffJson('agriculture-flat.json'), code: 'TEST-IMP-2' };
      const bad = { ...tariffJson('agriculture-flat.json'), code: 'TEST-IMP-3', powerFactor: { standard: '0.95' } };
      const r = await t.call('POST', '/api/v1/tariffs/import', { cookie: admin, body: [good, good2, bad] });
      expect(r.status).toBe(400);
      expect(r.body.error.details.field).toBe('2.powerFactor.standard');
      expect(await countVersions()).toBe(before);
      // an overlap found only at insert time (inside the batch) also rolls everything back
      const dupScope = { ...good, version: 'x2', effectiveFrom: '2024-06-01' };
      const r2 = await t.call('POST', '/api/v1/tariffs/import', { cookie: admin, body: [good, good2, dupScope] });
      expect(r2.status).toBe(400);
      expect(r2.body.error.details.field).toBe('2.effectiveFrom');
      expect(await countVersions()).toBe(before);
      const ok = await t.call('POST', '/api/v1/tariffs/import', { cookie: admin, body: [good, good2] });
      expect(ok.status).toBe(200);
      expect(ok.body.created).toHaveLength(2);
      expect(await countVersions()).toBe(before + 2);
      // a different document under an existing code+version is a conflict
      const changed = { ...good, energyComponents: [{ ...good.energyComponents[0], price: '0.999' }] };
      const c = await t.call('POST', '/api/v1/tariffs/import', { cookie: admin, body: changed });
      expect(c.status).toBe(409);
      expect(c.body.error.details.field).toBe('version');
    });

    it('export returns importable documents', async () => {
      const r = await t.call('GET', '/api/v1/tariffs/export?code=ZJ-LI-10KV-TOU-B', { cookie: admin });
      expect(r.status).toBe(200);
      expect(r.body.map((d: any) => [d.version, d.effectiveFrom, d.effectiveTo])).toEqual([
        ['2024-03', '2024-03-01', '2025-01-01'],
        ['2025-01', '2025-01-01', null],
      ]);
      const re = await t.call('POST', '/api/v1/tariffs/import', { cookie: admin, body: r.body });
      expect(re.body.unchanged).toHaveLength(2);
      const all = await t.call('GET', '/api/v1/tariffs/export', { cookie: admin });
      expect(all.body.length).toBe(await countVersions());
      expect((await t.call('GET', '/api/v1/tariffs/export?code=NOPE', { cookie: admin })).status).toBe(404);
    });
  });

  describe('quotes', () => {
    it('R-2 through the API: Zhejiang ladder + TOU, prevCum 2600, 峰 200, 谷 150 → 166.30', async () => {
      const clerk = await t.login('clerk');
      const r = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { tariffCode: 'ZJ-RES-1H1B-LT1KV', usage: { ...july, tou: { PEAK: 200, VALLEY: 150 }, ladderPrevCum: 2600 } } });
      expect(r.status).toBe(200);
      expect(r.body.total).toBe('166.30');
      expect(r.body.lines.map((l: any) => [l.code, l.quantity, l.unitPrice, l.amount])).toEqual([
        ['ENERGY_PEAK', '200', '0.568000', '113.60'],
        ['ENERGY_VALLEY', '150', '0.288000', '43.20'],
        ['LADDER_T2_SURCHARGE', '190', '0.050000', '9.50'],
        ['LADDER_T3_SURCHARGE', '0', '0.300000', '0.00'],
      ]);
      expect(r.body.lines[2]).toMatchObject({ name: { zh: '第二档加价电费' }, rule: 'domain-cn §1.4 ladder tier 2 surcharge' });
      expect(r.body.tariffs[0]).toMatchObject({ code: 'ZJ-RES-1H1B-LT1KV', version: '2012-07' });
    });

    it('R-2 for a residential account (户号) of the clerk’s station uses the account’s tariff', async () => {
      const clerk = await t.login('clerk');
      const me = (await t.call('GET', '/api/v1/auth/me', { cookie: clerk })).body.user;
      const a = await t.db.kysely.selectFrom('accounts').select(['id', 'account_no', 'household_size']).where('customer_class', '=', 'residential').where('shared_meter', '=', false)
        .where('org_unit_id', '=', me.orgUnit.id).where('household_size', '<', 5).orderBy('id').executeTakeFirstOrThrow();
      const r = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { accountNo: a.account_no, usage: { ...july, tou: { PEAK: 200, VALLEY: 150 }, ladderPrevCum: 2600 } } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.total).toBe('166.30');
      expect(r.body.account).toMatchObject({ id: a.id, tariffCode: DEMO_TARIFF.residential });
      expect(r.body.fromAccount).toEqual({ householdSize: a.household_size });
      // an account outside the clerk's station is out of scope
      const other = await t.db.kysely.selectFrom('accounts').select('id').where('org_unit_id', '<>', me.orgUnit.id).executeTakeFirstOrThrow();
      const out = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { accountId: other.id, usage: { ...july, kwh: 100 } } });
      expect(out.status).toBe(403);
      expect(out.body.error.code).toBe('OUT_OF_SCOPE');
    });

    it('I-1 style: a large-industrial account with I-1 determinants → 140,135.72 (A)', async () => {
      const a = await t.db.kysely.selectFrom('accounts').select(['id', 'version']).where('customer_class', '=', 'large_industrial').orderBy('id').executeTakeFirstOrThrow();
      const patch = await t.call('PATCH', `/api/v1/accounts/${a.id}`, {
        cookie: admin,
        body: { version: a.version, effectiveFrom: '2024-01-01', reason: 'I-1 test', contractCapacityKva: '1000', contractDemandKw: '600', basicChargeMethod: 'contract_demand', pfStandard: '0.90', tariffCode: 'ZJ-LI-10KV-TOU-A' },
      });
      expect(patch.status, JSON.stringify(patch.body)).toBe(200);
      const checker = await t.login('checker');
      const r = await t.call('POST', '/api/v1/quotes', {
        cookie: checker,
        body: { accountId: a.id, usage: { ...july, tou: { SHARP: 20000, PEAK: 60000, VALLEY: 120000 }, maxDemandKw: 650, reactiveKvarh: { forward: 120000 } } },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.fromAccount).toEqual({ capacityKva: '1000', contractDemandKw: '600', basicChargeMethod: 'CONTRACT_DEMAND', pfStandard: '0.90' });
      expect(r.body.lines.slice(0, 3).map((l: any) => [l.code, l.unitPrice, l.amount])).toEqual([
        ['ENERGY_SHARP', '1.247400', '24948.00'],
        ['ENERGY_PEAK', '1.039500', '62370.00'],
        ['ENERGY_VALLEY', '0.239400', '28728.00'],
      ]);
      expect(r.body.details.powerFactor).toBe('0.86');
      expect(r.body.lines.find((l: any) => l.code === 'PF_ADJUSTMENT').amount).toBe('2649.72');
      expect(r.body.total).toBe('140135.72');
    });

    it('an inline tariff can be quoted; tariff errors name tariff.<field>', async () => {
      const clerk = await t.login('clerk');
      const bj = tariffJson('bj-resident-monthly-ladder.json');
      const r = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { tariff: bj, usage: { ...july, kwh: 300 } } });
      expect(r.status).toBe(200);
      expect(r.body.tariffs[0].id).toBeNull();
      bj.ladder.increments = ['0.05'];
      const bad = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { tariff: bj, usage: { ...july, kwh: 300 } } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.field).toBe('tariff.ladder.increments');
    });

    it('bad usage → 400 naming the field', async () => {
      const clerk = await t.login('clerk');
      const neg = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { tariffCode: 'BJ-RES-1H1B', usage: { ...july, kwh: -5 } } });
      expect(neg.status).toBe(400);
      expect(neg.body.error.details.field).toBe('usage.kwh');
      const negTou = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { tariffCode: 'ZJ-RES-1H1B-LT1KV', usage: { ...july, tou: { PEAK: 200, VALLEY: -1 } } } });
      expect(negTou.status).toBe(400);
      expect(negTou.body.error.details.field).toBe('usage.tou.VALLEY');
      const sum = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { tariffCode: 'ZJ-RES-1H1B-LT1KV', usage: { ...july, kwh: 400, tou: { PEAK: 200, VALLEY: 150 } } } });
      expect(sum.body.error.details.field).toBe('usage.tou');
      const date = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { tariffCode: 'BJ-RES-1H1B', usage: { periodStart: '2024-7-1', periodEnd: '2024-07-31', kwh: 5 } } });
      expect(date.body.error.details.field).toBe('usage.periodStart');
      const none = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { usage: { ...july, kwh: 5 } } });
      expect(none.body.error.details.field).toBe('tariffCode');
      const notInForce = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { tariffCode: 'ZJ-LI-10KV-TOU-A', usage: { periodStart: '2020-01-01', periodEnd: '2020-01-31', kwh: 5 } } });
      expect(notInForce.status).toBe(400);
      expect(notInForce.body.error.details.field).toBe('usage.periodStart');
      const unknown = await t.call('POST', '/api/v1/quotes', { cookie: clerk, body: { tariffCode: 'NOPE', usage: { ...july, kwh: 5 } } });
      expect(unknown.status).toBe(404);
    });
  });

  describe('permissions and audit', () => {
    it('collector cannot read or write tariffs nor quote; clerk reads and quotes but cannot write', async () => {
      const collector = await t.login('collector');
      const post = await t.call('POST', '/api/v1/tariffs', { cookie: collector, body: tariffJson('agriculture-flat.json') });
      expect(post.status).toBe(403);
      expect(post.body.error.code).toBe('FORBIDDEN');
      expect((await t.call('GET', '/api/v1/tariffs', { cookie: collector })).status).toBe(403);
      expect((await t.call('POST', '/api/v1/quotes', { cookie: collector, body: { tariffCode: 'BJ-RES-1H1B', usage: { ...july, kwh: 5 } } })).status).toBe(403);
      const clerk = await t.login('clerk');
      expect((await t.call('GET', '/api/v1/tariffs', { cookie: clerk })).status).toBe(200);
      expect((await t.call('POST', '/api/v1/tariffs/import', { cookie: clerk, body: [] })).status).toBe(403);
      const id = (await t.call('GET', '/api/v1/tariffs', { cookie: clerk })).body.items[0].id;
      expect((await t.call('POST', `/api/v1/tariffs/${id}/new-version`, { cookie: clerk, body: { effectiveFrom: '2030-01-01' } })).status).toBe(403);
      expect((await t.call('GET', '/api/v1/tariffs')).status).toBe(401);
    });

    it('draft versions are not quoted until activated; retiring is audited; the chain verifies', async () => {
      const j = { ...tariffJson('agriculture-flat.json'), code: 'TEST-DRAFT' };
      const d = await t.call('POST', '/api/v1/tariffs?status=draft', { cookie: admin, body: j });
      expect(d.status).toBe(201);
      expect(d.body.tariff.status).toBe('draft');
      const q1 = await t.call('POST', '/api/v1/quotes', { cookie: admin, body: { tariffCode: 'TEST-DRAFT', usage: { ...july, kwh: 100 } } });
      expect(q1.status).toBe(400);
      const act = await t.call('POST', `/api/v1/tariffs/${d.body.tariff.id}/status`, { cookie: admin, body: { status: 'active' } });
      expect(act.body.tariff.status).toBe('active');
      const q2 = await t.call('POST', '/api/v1/quotes', { cookie: admin, body: { tariffCode: 'TEST-DRAFT', usage: { ...july, kwh: 100 } } });
      expect(q2.status).toBe(200);
      await t.call('POST', `/api/v1/tariffs/${d.body.tariff.id}/status`, { cookie: admin, body: { status: 'retired' } });
      const v = await verifyAudit(t.db);
      expect(v.ok).toBe(true);
    });
  });
});
