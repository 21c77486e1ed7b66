/**
 * Demo data generator (`voltline seed`): a deterministic county with 供电所, feeders, 台区,
 * reading routes, customers, accounts (≈90 % residential incl. 合表 and multi-person
 * households, commercial, large industrial with CT/PT multipliers, agriculture), metering
 * points and meters. Same `seed` -> same data. Bulk-loaded with COPY (never row by row), so it
 * scales to 1,000,000 accounts on PostgreSQL.
 *
 * Meter communication addresses are the 12-digit zero-padded account index (000000000001 ...),
 * the same mapping the DL/T 645 meter simulator uses.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { BUILTIN_ROLES } from '../domain/security/permissions.js';
import { hashPassword } from '../app/security/auth.js';
import { insertOrgUnitRaw } from '../app/security/org-units.js';
import { inTx, SYSTEM_ACTOR } from '../app/context.js';
import { writeAudit } from '../app/audit/write-audit.js';
import { prng } from '../domain/random.js';

export const DEMO_PASSWORD = 'Voltline@2026';

export interface SeedOptions {
  accounts: number;
  months: number;
  seed: number;
  log?: (m: string) => void;
}

export interface SeedResult {
  accounts: number;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  logins: Array<{ username: string; role: string; orgUnit: string }>;
}

export { prng };

const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'.split('');
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕红梅玉兰宇浩然子涵梓萱一诺欣怡雨泽俊杰晓东文博思远佳怡晨阳'.split('');
const STREETS = ['人民路', '解放路', '中山路', '建设路', '和平路', '新华路', '文化路', '胜利路', '朝阳路', '长江路', '湖滨路', '学院路', '工业大道', '环城北路', '环城南路', '滨江路'];
const VILLAGES = ['东村', '西村', '南庄', '北坞', '桃源村', '竹林村', '石桥村', '新塘村', '上岙村', '下洋村'];
const INDUSTRY = ['纺织', '机械', '化工', '食品', '电子', '建材', '印染', '五金', '塑料', '造纸'];
const SHOPS = ['超市', '饭店', '酒店', '药店', '五金店', '理发店', '洗车行', '诊所', '幼儿园', '宾馆'];

const pick = <T>(r: () => number, a: T[]) => a[Math.floor(r() * a.length)];

function personName(r: () => number) {
  const n = r() < 0.6 ? 2 : 1;
  let s = pick(r, SURNAMES);
  for (let i = 0; i < n; i++) s += pick(r, GIVEN);
  return s;
}

/** 18-digit resident ID with a correct ISO 7064 check character. */
function residentId(r: () => number, area: string): string {
  const y = 1950 + Math.floor(r() * 55), m = 1 + Math.floor(r() * 12), d = 1 + Math.floor(r() * 28);
  const body = area + String(y) + String(m).padStart(2, '0') + String(d).padStart(2, '0') + String(Math.floor(r() * 1000)).padStart(3, '0');
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return body + '10X98765432'[sum % 11];
}

function creditCode(r: () => number, i: number): string {
  const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  let s = '913301';
  for (let k = 0; k < 12; k++) s += chars[Math.floor(r() * chars.length)];
  return s.slice(0, 18 - String(i % 10).length) + String(i % 10);
}

const phone = (r: () => number) => '1' + pick(r, ['3', '5', '7', '8', '9']) + String(Math.floor(r() * 1e9)).padStart(9, '0');

export type DemoClass = 'residential' | 'residential_shared' | 'commercial' | 'large_industrial' | 'agricultural';

/** Demo tariff codes per class (files in tariffs/). */
export const DEMO_TARIFF: Record<DemoClass, string> = {
  residential: 'ZJ-RES-1H1B-LT1KV',
  residential_shared: 'ZJ-RES-HEBIAO-LT1KV',
  commercial: 'ZJ-GC-LT1KV-TOU',
  large_industrial: 'ZJ-LI-10KV-TOU-A',
  agricultural: 'ZJ-AGRI-LT1KV',
};

export function classOf(r: () => number): DemoClass {
  const x = r();
  if (x < 0.85) return 'residential';
  if (x < 0.9) return 'residential_shared';
  if (x < 0.96) return 'commercial';
  if (x < 0.98) return 'large_industrial';
  return 'agricultural';
}

const STATIONS = [
  { code: 'ST01', name: '城关供电所', en: 'Chengguan Station' },
  { code: 'ST02', name: '东城供电所', en: 'Dongcheng Station' },
  { code: 'ST03', name: '西湖供电所', en: 'Xihu Station' },
  { code: 'ST04', name: '南山供电所', en: 'Nanshan Station' },
];

export async function isSeeded(db: Db): Promise<boolean> {
  const r = await db.kysely.selectFrom('users').select('id').limit(1).executeTakeFirst();
  return !!r;
}

export async function seed(db: Db, opts: SeedOptions): Promise<SeedResult> {
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  if (await isSeeded(db)) throw new Error('the database already has data; seed runs on an empty database only (restore a backup or use a new data folder)');
  const N = opts.accounts;
  if (!Number.isInteger(N) || N < 10 || N > 20_000_000) throw new Error('accounts must be an integer 10..20,000,000');
  const r = prng(opts.seed);
  let rows = 0;

  // roles
  for (const role of BUILTIN_ROLES) {
    await db.kysely.insertInto('roles').values({ code: role.code, name_zh: role.zh, name_en: role.en, permissions: role.permissions, builtin: true }).execute();
  }
  // org units
  const k = db.kysely;
  const company = await insertOrgUnitRaw(k, { parentId: null, code: 'C01', name: '示范市供电公司', nameEn: 'Demo City Power Supply Co.', kind: 'company' });
  const county = await insertOrgUnitRaw(k, { parentId: company.id, code: 'C0101', name: '示范县供电公司', nameEn: 'Demo County Power Supply Co.', kind: 'county' });
  const stations: Array<{ id: number; path: string; code: string; name: string }> = [];
  for (const s of STATIONS) {
    const st = await insertOrgUnitRaw(k, { parentId: county.id, code: s.code, name: s.name, nameEn: s.en, kind: 'station' });
    await insertOrgUnitRaw(k, { parentId: st.id, code: s.code + 'H1', name: s.name.replace('供电所', '营业厅'), nameEn: s.en.replace('Station', 'Service Hall'), kind: 'hall' });
    stations.push({ ...st, code: s.code, name: s.name });
  }
  rows += 2 + STATIONS.length * 2;

  // users (one per role)
  const hash = await hashPassword(DEMO_PASSWORD);
  const users: Array<{ username: string; display: string; role: string; org: { id: number }; orgName: string }> = [
    { username: 'admin', display: '系统管理员', role: 'administrator', org: company, orgName: '示范市供电公司' },
    { username: 'clerk', display: '营业员 李娜', role: 'counter_clerk', org: stations[0], orgName: stations[0].name },
    { username: 'reader', display: '抄表员 王强', role: 'meter_reader', org: stations[0], orgName: stations[0].name },
    { username: 'checker', display: '核算员 赵敏', role: 'billing_checker', org: county, orgName: '示范县供电公司' },
    { username: 'collector', display: '收费员 陈静', role: 'collector', org: stations[0], orgName: stations[0].name },
    { username: 'engineer', display: '业扩工程师 刘洋', role: 'service_engineer', org: county, orgName: '示范县供电公司' },
    { username: 'inspector', display: '用电检查员 孙磊', role: 'inspector', org: stations[0], orgName: stations[0].name },
    { username: 'analyst', display: '分析员 周杰', role: 'analyst', org: county, orgName: '示范县供电公司' },
    { username: 'manager', display: '所长 吴刚', role: 'manager', org: stations[0], orgName: stations[0].name },
    { username: 'clerk2', display: '营业员 郑芳', role: 'counter_clerk', org: stations[1], orgName: stations[1].name },
    { username: 'customer', display: '客户', role: 'customer', org: stations[0], orgName: stations[0].name },
  ];
  const userIds: Record<string, number> = {};
  for (const u of users) {
    const row = await k.insertInto('users').values({ username: u.username, display_name: u.display, password_hash: hash, org_unit_id: u.org.id, roles: [u.role] }).returning('id').executeTakeFirstOrThrow();
    userIds[u.username] = row.id;
  }
  rows += users.length;
  log(`org units and ${users.length} users created`);

  // grid: per station feeders, transformer areas (~150 accounts each), reading routes (~400 accounts each)
  const perStation = Math.ceil(N / stations.length);
  const feeders: unknown[][] = [], tas: unknown[][] = [], routes: unknown[][] = [];
  const taOf: number[][] = [], routeOf: number[][] = [];
  let fid = 0, tid = 0, rid = 0;
  for (let s = 0; s < stations.length; s++) {
    const st = stations[s];
    const nF = Math.max(2, Math.ceil(perStation / 20_000));
    const nT = Math.max(2, Math.ceil(perStation / 150));
    const nR = Math.max(1, Math.ceil(perStation / 400));
    const fIds: number[] = [];
    for (let i = 0; i < nF; i++) {
      fid++;
      fIds.push(fid);
      feeders.push([fid, `F${st.code}${String(i + 1).padStart(3, '0')}`, `10kV ${st.name.slice(0, 2)}${i + 1}线`, 'MV10', st.id]);
    }
    taOf.push([]);
    for (let i = 0; i < nT; i++) {
      tid++;
      taOf[s].push(tid);
      const cap = pick(r, ['200', '315', '400', '500', '630']);
      tas.push([tid, `T${st.code}${String(i + 1).padStart(5, '0')}`, `${st.name.slice(0, 2)}${i + 1}号公变台区`, fIds[i % nF], st.id, `${st.name.slice(0, 2)}${i + 1}号配变`, cap, r() < 0.9 ? 'public' : 'private']);
    }
    routeOf.push([]);
    for (let i = 0; i < nR; i++) {
      rid++;
      routeOf[s].push(rid);
      routes.push([rid, `R${st.code}${String(i + 1).padStart(4, '0')}`, `${st.name.slice(0, 2)}抄表段${i + 1}`, st.id, 1 + (i % 25)]);
    }
  }
  rows += await db.copyInto('feeders', ['id', 'code', 'name', 'voltage_level', 'org_unit_id'], feeders);
  rows += await db.copyInto('transformer_areas', ['id', 'code', 'name', 'feeder_id', 'org_unit_id', 'transformer_name', 'capacity_kva', 'ownership'], tas);
  rows += await db.copyInto('reading_routes', ['id', 'code', 'name', 'org_unit_id', 'reading_day'], routes);
  log(`grid: ${feeders.length} feeders, ${tas.length} transformer areas, ${routes.length} reading routes`);

  // customers, accounts, versions, metering points, meters, installations — generated in chunks.
  // Large loads on PostgreSQL build secondary indexes after the data (sorted build, far faster
  // than maintaining them row by row); constraint indexes (primary keys, unique) stay.
  const BULK_TABLES = ['customers', 'accounts', 'account_versions', 'metering_points', 'meters', 'meter_installations'];
  const deferred: Array<{ name: string; def: string }> = [];
  const parallelCopy =
    db.engine === 'postgres' &&
    (await sql<{ s: boolean }>`select rolsuper as s from pg_roles where rolname = current_user`.execute(k)).rows[0]?.s === true;
  let firstResidential = 0;
  if (db.engine === 'postgres' && N >= 50_000) {
    const idx = await sql<{ indexname: string; indexdef: string }>`select indexname, indexdef from pg_indexes
      where schemaname = 'public' and tablename in (${sql.join(BULK_TABLES)})
        and indexname not in (select conname from pg_constraint where contype in ('p', 'u', 'x'))`.execute(k);
    for (const i of idx.rows) {
      deferred.push({ name: i.indexname, def: i.indexdef });
      await sql`drop index ${sql.ref(i.indexname)}`.execute(k);
    }
  }
  try {
    const CHUNK = 50_000;
    const openedBase = Date.UTC(2015, 0, 1);
    const openedSpan = Date.UTC(2024, 0, 1) - openedBase;
      for (let start = 1; start <= N; start += CHUNK) {
      const end = Math.min(N, start + CHUNK - 1);
      const cust: unknown[][] = [], acc: unknown[][] = [], ver: unknown[][] = [], mps: unknown[][] = [], mtr: unknown[][] = [], ins: unknown[][] = [];
      for (let i = start; i <= end; i++) {
        const s = (i - 1) % stations.length;
        const st = stations[s];
        const cls = classOf(r);
        const isPerson = cls === 'residential' || cls === 'residential_shared' || (cls === 'agricultural' && r() < 0.7);
        const name = isPerson
          ? personName(r)
          : cls === 'commercial'
            ? `${pick(r, SURNAMES)}记${pick(r, SHOPS)}`
            : cls === 'large_industrial'
              ? `示范${pick(r, INDUSTRY)}${pick(r, ['有限公司', '股份有限公司', '制品厂'])}`
              : `${pick(r, VILLAGES)}排灌站`;
        const ph = phone(r);
        const addr = cls === 'agricultural' ? `示范县${pick(r, VILLAGES)}${1 + Math.floor(r() * 200)}号` : `示范县${pick(r, STREETS)}${1 + Math.floor(r() * 800)}号${cls.startsWith('residential') ? `${1 + Math.floor(r() * 30)}幢${101 + Math.floor(r() * 20)}室` : ''}`;
        const accountNo = `33${String(s + 1)}${String(i).padStart(7, '0')}`; // 10 digits
        const openedOn = new Date(openedBase + Math.floor(r() * openedSpan)).toISOString().slice(0, 10);
        cust.push([i, `C${String(i).padStart(9, '0')}`, isPerson ? 'person' : 'enterprise', name, isPerson ? 'resident_id' : 'credit_code', isPerson ? residentId(r, '330122') : creditCode(r, i), ph, addr, st.id]);
        let customerClass = 'residential', voltage = 'LV220', capacity = '8', demand: string | null = null, method = 'none', pf: string | null = null, household = 1, shared = false;
        let meterType = 'single_phase', regs = ['TOTAL', 'PEAK', 'VALLEY'], ct = ['1', '1'], pt = ['1', '1'];
        if (cls === 'residential') {
          household = r() < 0.08 ? 5 + Math.floor(r() * 3) : 1 + Math.floor(r() * 4);
          capacity = pick(r, ['4', '6', '8', '10']);
          if (!firstResidential && s === 0) firstResidential = i;
        } else if (cls === 'residential_shared') {
          shared = true;
          capacity = '20';
          voltage = 'LV380';
          meterType = 'three_phase_direct';
          regs = ['TOTAL'];
        } else if (cls === 'commercial') {
          customerClass = 'commercial';
          voltage = 'LV380';
          capacity = pick(r, ['20', '50', '80', '100']);
          meterType = 'three_phase_direct';
          regs = ['TOTAL', 'SHARP', 'PEAK', 'FLAT', 'VALLEY', 'REACTIVE'];
        } else if (cls === 'large_industrial') {
          customerClass = 'large_industrial';
          voltage = 'MV10';
          capacity = pick(r, ['400', '630', '800', '1000', '1250', '2000']);
          method = pick(r, ['capacity', 'contract_demand', 'actual_demand']);
          demand = method === 'contract_demand' ? String(Math.round(Number(capacity) * (0.5 + r() * 0.4))) : null;
          pf = '0.90';
          meterType = 'three_phase_3w_hv';
          regs = ['TOTAL', 'SHARP', 'PEAK', 'FLAT', 'VALLEY', 'REVERSE', 'REACTIVE', 'REACTIVE_REV', 'MAX_DEMAND'];
          ct = [pick(r, ['50', '75', '100', '150', '200']), '5'];
          pt = ['10000', '100'];
        } else {
          customerClass = 'agricultural';
          voltage = 'LV380';
          capacity = pick(r, ['30', '50', '100']);
          meterType = 'three_phase_direct';
          regs = ['TOTAL', 'REACTIVE'];
          pf = Number(capacity) >= 100 ? '0.80' : null;
        }
        const ta = taOf[s][Math.floor((i - 1) / stations.length / 150) % taOf[s].length];
        const route = routeOf[s][Math.floor((i - 1) / stations.length / 400) % routeOf[s].length];
        const tariff = DEMO_TARIFF[cls];
        const status = r() < 0.01 ? 'suspended' : 'active';
        acc.push([i, accountNo, i, st.id, name, ph, addr, customerClass, voltage, tariff, capacity, demand, method, pf, household, shared, 'postpaid', route, ta, status, openedOn]);
        const attrs = {
          customerClass, voltageLevel: voltage, tariffCode: tariff, contractCapacityKva: capacity, contractDemandKw: demand, basicChargeMethod: method, pfStandard: pf,
          householdSize: household, sharedMeter: shared, paymentMode: 'postpaid', readingRouteId: route, transformerAreaId: ta, orgUnitId: st.id, status,
        };
        ver.push([i, i, openedOn, null, attrs, 'opened']);
        mps.push([i, i, `MP${String(i).padStart(10, '0')}`, '计费计量点', voltage, 0]);
        const multiplier = String((Number(ct[0]) / Number(ct[1])) * (Number(pt[0]) / Number(pt[1])));
        const commAddress = String(i).padStart(12, '0');
        mtr.push([i, `ZJ${String(i).padStart(10, '0')}`, commAddress, meterType, pick(r, ['威胜', '林洋', '正泰', '华立', '炬华']), `{${regs.join(',')}}`, 6, 2, ct[0], ct[1], pt[0], pt[1], multiplier, 'installed']);
        const initial: Record<string, string> = {};
        for (const reg of regs) initial[reg] = reg === 'MAX_DEMAND' ? '0' : (Math.floor(r() * 5000) + (reg === 'TOTAL' ? 5000 : 0)).toFixed(2);
        ins.push([i, i, i, i, openedOn, null, initial, 'install']);
      }
      // with FK triggers off (superuser) the six tables load in parallel on separate connections
      const loads = [
        () => db.copyInto('customers', ['id', 'customer_no', 'kind', 'name', 'id_type', 'id_number', 'phone', 'address', 'org_unit_id'], cust, { trusted: true }),
        () => db.copyInto('accounts', ['id', 'account_no', 'customer_id', 'org_unit_id', 'name', 'phone', 'address', 'customer_class', 'voltage_level', 'tariff_code', 'contract_capacity_kva', 'contract_demand_kw', 'basic_charge_method', 'pf_standard', 'household_size', 'shared_meter', 'payment_mode', 'reading_route_id', 'transformer_area_id', 'status', 'opened_on'], acc, { trusted: true }),
        () => db.copyInto('account_versions', ['id', 'account_id', 'effective_from', 'effective_to', 'attributes', 'reason'], ver, { trusted: true }),
        () => db.copyInto('metering_points', ['id', 'account_id', 'code', 'name', 'voltage_level', 'energy_scale'], mps, { trusted: true }),
        () => db.copyInto('meters', ['id', 'asset_no', 'comm_address', 'meter_type', 'manufacturer', 'registers', 'digits', 'decimals', 'ct_primary', 'ct_secondary', 'pt_primary', 'pt_secondary', 'multiplier', 'status'], mtr, { trusted: true }),
        () => db.copyInto('meter_installations', ['id', 'metering_point_id', 'account_id', 'meter_id', 'installed_on', 'removed_on', 'initial_readings', 'reason'], ins, { trusted: true }),
      ];
      if (parallelCopy) rows += (await Promise.all(loads.map((f) => f()))).reduce((x, y) => x + y, 0);
      else for (const f of loads) rows += await f();
      log(`accounts ${end.toLocaleString('en')} / ${N.toLocaleString('en')}`);
    }
  } finally {
    // indexes come back even when the load fails half-way
    for (const d of deferred) await sql.raw(d.def.replace(/^CREATE (UNIQUE )?INDEX /, 'CREATE $1INDEX IF NOT EXISTS ')).execute(k);
  }
  if (deferred.length) log(`rebuilt ${deferred.length} indexes`);
  // identity sequences after explicit ids
  for (const t of ['feeders', 'transformer_areas', 'reading_routes', 'customers', 'accounts', 'account_versions', 'metering_points', 'meters', 'meter_installations']) {
    await sql`select setval(pg_get_serial_sequence(${t}, 'id'), (select coalesce(max(id), 0) + 1 from ${sql.table(t)}), false)`.execute(k);
  }
  if (firstResidential) await k.insertInto('customer_logins').values({ user_id: userIds.customer, account_id: firstResidential }).execute();
  await inTx(db, (trx) => writeAudit(trx, SYSTEM_ACTOR, { action: 'seed.load', entityType: 'system', after: { accounts: N, months: opts.months, seed: opts.seed, rows } }));
  await (await import('../app/tariffs/seed.js')).seedTariffs(db); // demo tariffs (tariffs/*.json) into the catalogue
  await sql`analyze`.execute(k);
  const seconds = (performance.now() - t0) / 1000;
  return {
    accounts: N, rows, seconds: Math.round(seconds * 100) / 100, rowsPerSecond: Math.round(rows / seconds),
    logins: users.map((u) => ({ username: u.username, role: u.role, orgUnit: u.orgName })),
  };
}
