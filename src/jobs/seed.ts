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
import { checkReading, consumption, DEFAULT_RULE_SET, estimateReading } from '../domain/metering/vee.js';
import { copyRaw, ingestIntervals, type IntervalInput } from '../app/metering/intervals.js';

export const DEMO_PASSWORD = 'Voltline@2026';

export interface SeedOptions {
  accounts: number;
  /** months of register readings per meter (0 = none: fast test databases) */
  months: number;
  seed: number;
  /** "now" of the demo: readings cover the `months` complete months before it (default: the clock) */
  asOf?: Date;
  /** collection demo: concentrators per 台区 and the in-process meter simulator as head-end (serve / seed CLI) */
  collection?: boolean;
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
  const months = opts.months;
  if (!Number.isInteger(months) || months < 0 || months > 120) throw new Error('months must be an integer 0..120');
  const asOf = opts.asOf ?? new Date();
  const routeDay = new Map<number, number>(routes.map((x) => [x[0] as number, x[4] as number]));
  const readings = months > 0 ? new ReadingGenerator(db, { months, asOf, seed: opts.seed, accounts: N, trusted: parallelCopy || db.engine === 'pglite', checkerId: userIds.checker }) : null;
  let readingsCopy: Promise<void> = Promise.resolve();
  // a large reading load builds register_readings' secondary indexes afterwards
  if (readings && N * months >= 20_000) {
    const idx = await sql<{ indexname: string; indexdef: string }>`select indexname, indexdef from pg_indexes
      where schemaname = 'public' and tablename = 'register_readings'
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
      const metas: MeterMeta[] = [];
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
        if (readings) metas.push({ id: i, cls, regs, multiplier, initial, readingDay: routeDay.get(route)!, routeId: route, openedOn, capacity: Number(capacity), household, contractDemandKw: demand === null ? null : Number(demand), suspended: status === 'suspended' });
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
      if (readings) {
        // generate this chunk's readings while the previous chunk's COPY is still running (PostgreSQL)
        const out = readings.chunk(metas);
        await readingsCopy;
        readingsCopy = readings.load(out);
        readingsCopy.catch(() => {}); // awaited below; no unhandled rejection meanwhile
        rows += out.rows;
      }
      log(`accounts ${end.toLocaleString('en')} / ${N.toLocaleString('en')}${readings ? ` (readings ${readings.total.toLocaleString('en')})` : ''}`);
    }
    await readingsCopy;
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
  if (readings) {
    rows += await readings.finish();
    log(`readings: ${readings.total.toLocaleString('en')} register readings over ${months} months (${readings.summary()})`);
    // the current period's reading tasks for the reader's routes (城关供电所), so the field app has work
    const cg = routes.filter((x) => x[3] === stations[0].id).slice(0, 20).map((x) => x[0] as number);
    const { generateTasks } = await import('../app/metering/tasks.js');
    const g = await generateTasks(db, SYSTEM_ACTOR, { period: shanghaiMonth(asOf), routeIds: cg, assignedTo: userIds.reader });
    const nTasks = g.routes.reduce((x, y) => x + y.created, 0);
    rows += nTasks;
    log(`reading tasks ${g.period}: ${nTasks} on ${cg.length} routes of ${stations[0].name}, assigned to reader`);
  }
  // 抄表员 of 城关供电所 is the assigned reader of its routes (task generation defaults to him); demo
  // seeds (serve, voltline seed) only — test databases keep routes without a reader
  if (userIds.reader && opts.collection) {
    await k.updateTable('reading_routes').set({ reader_user_id: userIds.reader }).where('org_unit_id', '=', stations[0].id).execute();
  }
  // collection demo: a concentrator per 台区 and the in-process DL/T 645 simulator as the head-end
  if (opts.collection) {
    const coll = await (await import('./seed-collection.js')).seedCollection(db, { log });
    rows += coll.concentrators;
  }
  await inTx(db, (trx) => writeAudit(trx, SYSTEM_ACTOR, { action: 'seed.load', entityType: 'system', after: { accounts: N, months: opts.months, seed: opts.seed, rows } }));
  await (await import('../app/tariffs/seed.js')).seedTariffs(db); // demo tariffs (tariffs/*.json) into the catalogue
  await sql`analyze`.execute(k);
  const seconds = (performance.now() - t0) / 1000;
  return {
    accounts: N, rows, seconds: Math.round(seconds * 100) / 100, rowsPerSecond: Math.round(rows / seconds),
    logins: users.map((u) => ({ username: u.username, role: u.role, orgUnit: u.orgName })),
  };
}

// ---- demo readings (抄表历史), daily frozen values, 15-minute intervals ---------------------------

interface MeterMeta {
  id: number;
  cls: DemoClass;
  regs: string[];
  multiplier: string;
  initial: Record<string, string>;
  readingDay: number;
  routeId: number;
  openedOn: string;
  capacity: number;
  household: number;
  contractDemandKw: number | null;
  suspended: boolean;
}

const SH = 8 * 3600_000;
const DAY_MS = 86_400_000;
const RANGE_H = 100_000_000; // 10^6 register units (6 digits) in hundredths
const VEE_VERSION = DEFAULT_RULE_SET.version;

/** 'YYYY-MM' of an instant in Asia/Shanghai */
export function shanghaiMonth(t: Date): string {
  return new Date(t.getTime() + SH).toISOString().slice(0, 7);
}
function addMonths(period: string, n: number): string {
  const [y, m] = period.split('-').map(Number);
  const k = y * 12 + (m - 1) + n;
  return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
}
const localMidnight = (day: string) => Date.parse(`${day}T00:00:00+08:00`);

/** 春节 (Spring Festival) days: factories stop about a week before to ten days after */
const SPRING_FESTIVAL = ['2014-01-31', '2015-02-19', '2016-02-08', '2017-01-28', '2018-02-16', '2019-02-05', '2020-01-25', '2021-02-12', '2022-02-01', '2023-01-22',
  '2024-02-10', '2025-01-29', '2026-02-17', '2027-02-06', '2028-01-26', '2029-02-13', '2030-02-03', '2031-01-23', '2032-02-11', '2033-01-31', '2034-02-19', '2035-02-08', '2036-01-28'].map(localMidnight);

/** monthly shape by calendar month (Jan..Dec): air conditioning in summer, heating in winter, irrigation for agriculture */
const SEASON: Record<DemoClass, number[]> = {
  residential: [1.3, 1.2, 0.95, 0.85, 0.85, 1.05, 1.45, 1.55, 1.1, 0.85, 0.9, 1.15],
  residential_shared: [1.25, 1.15, 0.95, 0.9, 0.9, 1.05, 1.35, 1.4, 1.1, 0.9, 0.9, 1.1],
  commercial: [1.1, 0.95, 0.95, 0.95, 1.0, 1.15, 1.35, 1.4, 1.15, 0.95, 0.95, 1.05],
  large_industrial: [1.0, 1.0, 1.0, 1.0, 1.0, 1.03, 1.08, 1.08, 1.03, 1.0, 1.0, 1.02],
  agricultural: [0.3, 0.3, 0.5, 0.8, 1.2, 1.6, 2.0, 2.0, 1.4, 0.8, 0.4, 0.3],
};
/** months with a 尖峰 (critical peak) period in Zhejiang: the SHARP register only advances then */
const SHARP_MONTHS = new Set([1, 7, 8, 12]);

interface Visit {
  period: string;
  /** local midnight of the reading day */
  day0: number;
  /** days since the previous month's reading day */
  days: number;
  /** calendar month (1-12) of the window's middle */
  month: number;
  /** days of the window inside a Spring Festival shutdown */
  festival: number;
}

function fmt2(h: number): string {
  const v = h % RANGE_H;
  const f = v % 100;
  return `${(v - f) / 100}.${f < 10 ? '0' : ''}${f}`;
}
function fmt4(x: number): string {
  const f = x % 10_000;
  return `${(x - f) / 10_000}.${String(f).padStart(4, '0')}`;
}
const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');

function hash32(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}

export const READING_COLUMNS = ['account_id', 'meter_id', 'metering_point_id', 'register', 'read_at', 'billing_period', 'value', 'consumption', 'source', 'status',
  'rule_set_version', 'exception_code', 'quality_flags', 'rule_results', 'reviewed_by', 'reviewed_at', 'review_reason'];

interface ChunkOut {
  parts: string[];
  frozen: string[];
  rows: number;
}

interface IntervalCandidate {
  id: number;
  capacity: number;
  tan: number;
  /** kWh (1e-4 units) per day, oldest first, for the interval days */
  daily: number[];
  days: number[];
}

/**
 * Deterministic register readings for the demo: one visit a month on the route's reading day for
 * the last `months` complete months, every register on the meter; values grow from the
 * installation's initial reading; consumption = advance x multiplier (exact, 4 decimals); TOU
 * advances add up exactly to the TOTAL advance. A few visits in the latest month go to the
 * review queue (SPIKE, 门闭) and a few earlier ones were estimated.
 */
class ReadingGenerator {
  total = 0;
  private stats = { accepted: 0, pending_review: 0, estimated: 0, frozen: 0, intervals: 0 };
  private readonly periods: string[];
  private readonly calendar = new Map<number, Visit[]>();
  private readonly spike = new Set<number>();
  private readonly doorLocked = new Set<number>();
  private readonly estimated = new Set<number>();
  private readonly frozenDays: number[] = [];
  private frozenAccounts = 0;
  private readonly candidates: IntervalCandidate[] = [];
  private readonly intervalDays = 14;
  private readonly checkerId: number | null;

  constructor(private readonly db: Db, private readonly o: { months: number; asOf: Date; seed: number; accounts: number; trusted: boolean; checkerId?: number }) {
    this.checkerId = o.checkerId ?? null;
    const cur = shanghaiMonth(o.asOf);
    this.periods = Array.from({ length: o.months }, (_, p) => addMonths(cur, p - o.months));
    const N = o.accounts;
    // review-queue cases in the latest month and estimates two months earlier, spread over stations
    for (let k = 0; k < 12; k++) {
      if (o.months >= 3) this.spike.add(1 + Math.floor(((2 * k + 0.5) * N) / 24));
      this.doorLocked.add(1 + Math.floor(((2 * k + 1.5) * N) / 24));
    }
    if (o.months >= 4) {
      for (let k = 0; k < 8; k++) {
        let i = 1 + Math.floor(((k + 0.7) * N) / 8);
        while (this.spike.has(i) || this.doorLocked.has(i)) i++;
        if (i <= N) this.estimated.add(i);
      }
    }
    const today = localMidnight(new Date(o.asOf.getTime() + SH).toISOString().slice(0, 10));
    if (o.months >= 2) for (let d = 35; d >= 0; d--) this.frozenDays.push(today - d * DAY_MS);
  }

  private visits(readingDay: number): Visit[] {
    let v = this.calendar.get(readingDay);
    if (v) return v;
    const due = (p: string) => {
      const [y, m] = p.split('-').map(Number);
      const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
      return localMidnight(`${p}-${String(Math.min(readingDay, last)).padStart(2, '0')}`);
    };
    v = this.periods.map((period) => {
      const day0 = due(period), prev = due(addMonths(period, -1));
      const days = Math.round((day0 - prev) / DAY_MS);
      const mid = new Date(prev + (day0 - prev) / 2 + SH).getUTCMonth() + 1;
      let festival = 0;
      for (const f of SPRING_FESTIVAL) {
        const a = Math.max(prev, f - 7 * DAY_MS), b = Math.min(day0, f + 10 * DAY_MS);
        if (b > a) festival += (b - a) / DAY_MS;
      }
      return { period, day0, days, month: mid, festival };
    });
    this.calendar.set(readingDay, v);
    return v;
  }

  /** readings (COPY text), special rows and daily frozen values of a chunk of accounts */
  chunk(metas: MeterMeta[]): ChunkOut & { special: unknown[][] } {
    const parts: string[] = [];
    const frozen: string[] = [];
    const special: unknown[][] = [];
    let buf = '', fbuf = '', rows = 0, frows = 0;
    const latest = this.o.months - 1;
    for (const m of metas) {
      const r = prng(hash32(this.o.seed, m.id));
      const mult = Number(m.multiplier);
      const multInt = Number.isInteger(mult);
      const cls = m.cls;
      // monthly kWh at shape 1.0
      const base = cls === 'residential' ? (60 + 55 * m.household) * (0.6 + r() * 0.9)
        : cls === 'residential_shared' ? 400 + r() * 900
          : cls === 'commercial' ? m.capacity * 730 * (0.12 + r() * 0.18)
            : cls === 'large_industrial' ? m.capacity * 730 * (0.25 + r() * 0.35)
              : m.capacity * 730 * (0.04 + r() * 0.08);
      const pf = cls === 'large_industrial' ? 0.9 + r() * 0.07 : cls === 'agricultural' ? 0.78 + r() * 0.12 : 0.85 + r() * 0.1;
      const tan = Math.sqrt(1 / (pf * pf) - 1);
      const peakShare = 0.55 + r() * 0.15;
      const loadFactor = 0.55 + r() * 0.2;
      const source = cls === 'large_industrial' || r() < 0.6 ? 'import' : 'manual';
      const festivalDip = cls === 'large_industrial' ? 0.85 : cls === 'commercial' ? 0.4 : cls === 'agricultural' ? 0 : -0.1;
      const installed = localMidnight(m.openedOn);
      const prefix = `${m.id}\t${m.id}\t${m.id}\t`;
      const regs = m.regs;
      const cum = regs.filter((x) => x !== 'MAX_DEMAND');
      const val: Record<string, number> = {};
      for (const reg of cum) val[reg] = Math.round(Number(m.initial[reg] ?? '0') * 100);
      const has4 = regs.includes('SHARP');
      const has2 = !has4 && regs.includes('PEAK') && regs.includes('VALLEY');
      const special1 = this.spike.has(m.id) || this.doorLocked.has(m.id) || this.estimated.has(m.id);
      const wantFrozen = this.frozenDays.length > 0 && (cls === 'large_industrial' || cls === 'commercial') && this.frozenAccounts < 5000;
      // path for frozen values: visit instants and cumulative TOTAL..REACTIVE values
      const pathAt: number[] = [];
      const pathVal: Record<string, number[]> = {};
      if (wantFrozen) for (const reg of cum) pathVal[reg] = [val[reg]];
      if (wantFrozen) pathAt.push(installed);
      let prevAt = installed;
      let prevAdv: Record<string, number> | null = null;
      let prevDays = 0;
      const hist: Record<string, Array<{ kwh: string; days: number }>> = {};
      let settle = false;
      const vs = this.visits(m.readingDay);
      for (let p = 0; p < vs.length; p++) {
        const v = vs[p];
        if (v.day0 <= installed) continue;
        const at = v.day0 + Math.floor((8.5 + r() * 8) * 60) * 60_000;
        const noise = 0.9 + r() * 0.2;
        let f = SEASON[cls][v.month - 1] * noise * (1 - festivalDip * Math.min(1, v.festival / v.days));
        if (m.suspended && p >= vs.length - 4) f *= 0.02;
        const isSpike = p === latest && this.spike.has(m.id);
        if (isSpike) f *= 3.2;
        const kwh = (base * f * v.days) / 30.44;
        let advT = Math.max(0, Math.round((kwh / mult) * 100));
        const isEstimate = p === latest - 2 && this.estimated.has(m.id) && prevAdv !== null;
        let ratio = 1;
        if (isEstimate) {
          // the checker estimated this 门闭 visit from the previous period (§5.3)
          const e = estimateReading({ previous: { value: fmt2(val.TOTAL), readAt: new Date(prevAt) }, readAt: new Date(at), basis: { advance: fmt2(prevAdv!.TOTAL), days: prevDays }, digits: 6, decimals: 2, multiplier: m.multiplier });
          advT = Math.round(Number(e.advance) * 100);
          ratio = prevAdv!.TOTAL > 0 ? advT / prevAdv!.TOTAL : 0;
        }
        const adv: Record<string, number> = { TOTAL: advT };
        if (has4) {
          if (isEstimate) {
            adv.SHARP = Math.floor(prevAdv!.SHARP * ratio);
            adv.PEAK = Math.floor(prevAdv!.PEAK * ratio);
            adv.FLAT = Math.floor(prevAdv!.FLAT * ratio);
            if (adv.SHARP + adv.PEAK + adv.FLAT > advT) adv.SHARP = adv.PEAK = adv.FLAT = 0;
          } else {
            const sharp = SHARP_MONTHS.has(v.month) ? 0.08 + r() * 0.05 : 0;
            adv.SHARP = Math.floor(advT * sharp);
            adv.PEAK = Math.floor(advT * (cls === 'commercial' ? 0.36 : 0.3) * (0.95 + r() * 0.1));
            adv.FLAT = Math.floor(advT * (cls === 'commercial' ? 0.3 : 0.27) * (0.95 + r() * 0.1));
          }
          adv.VALLEY = advT - adv.SHARP - adv.PEAK - adv.FLAT;
        } else if (has2) {
          adv.PEAK = isEstimate ? Math.min(advT, Math.floor(prevAdv!.PEAK * ratio)) : Math.floor(advT * Math.min(0.95, peakShare + (r() - 0.5) * 0.06));
          adv.VALLEY = advT - adv.PEAK;
        }
        if (regs.includes('REACTIVE')) adv.REACTIVE = isEstimate ? Math.round(prevAdv!.REACTIVE * ratio) : Math.round(advT * tan * (0.95 + r() * 0.1));
        if (regs.includes('REVERSE')) adv.REVERSE = 0;
        if (regs.includes('REACTIVE_REV')) adv.REACTIVE_REV = isEstimate ? Math.round(prevAdv!.REACTIVE_REV * ratio) : Math.floor(advT * 0.01 * r());
        // maximum demand (kW) in meter units: the month's average load over a load factor, under the contract
        let demand = 0;
        if (regs.includes('MAX_DEMAND')) {
          let kw = kwh / (v.days * 24) / loadFactor;
          const cap = m.contractDemandKw ? m.contractDemandKw * 0.97 : m.capacity * 0.95;
          if (kw > cap) kw = cap * (0.93 + r() * 0.06);
          demand = Math.round((kw / mult) * 100);
        }
        const readAt = new Date(at).toISOString();
        const mid = `\t${readAt}\t${v.period}\t`;
        const door = p === latest && this.doorLocked.has(m.id);
        const cons = (reg: string): string => {
          if (multInt) return fmt4(adv[reg] * mult * 100);
          return consumption(fmt2(val[reg] - adv[reg]), fmt2(val[reg]), m.multiplier, 6)!.kwh;
        };
        for (const reg of cum) val[reg] += adv[reg];
        if (!special1 || (!isSpike && !door && !isEstimate && !settle)) {
          for (const reg of cum) {
            buf += `${prefix}${reg}${mid}${fmt2(val[reg])}\t${cons(reg)}\t${source}\taccepted\t${VEE_VERSION}\t\\N\t{}\t[]\t\\N\t\\N\t\\N\n`;
          }
          if (regs.includes('MAX_DEMAND')) buf += `${prefix}MAX_DEMAND${mid}${fmt2(demand)}\t\\N\t${source}\taccepted\t${VEE_VERSION}\t\\N\t{}\t[]\t\\N\t\\N\t\\N\n`;
          rows += regs.length;
          this.stats.accepted += regs.length;
        } else if (door) {
          // 门闭: no values, the exception on TOTAL, waiting for the checker
          const chk = checkReading({ register: 'TOTAL', value: null, readAt: new Date(at), now: this.o.asOf, meter: { digits: 6, decimals: 2, multiplier: m.multiplier }, exceptionCode: 'DOOR_LOCKED' });
          special.push([m.id, m.id, m.id, 'TOTAL', readAt, v.period, null, null, 'manual', chk.status, VEE_VERSION, 'DOOR_LOCKED', `{${chk.flags.join(',')}}`, chk.results, null, null, null]);
          rows++;
          this.stats.pending_review++;
        } else if (isEstimate) {
          const reason = '门闭, 按前次用电量估算';
          for (const reg of cum) {
            const results = [
              { rule: 'EXCEPTION_REPORTED', severity: 'warning', zh: '现场异常: 门闭', en: 'field exception: Door locked', details: { exceptionCode: 'DOOR_LOCKED' } },
              { rule: 'ESTIMATED', severity: 'info', zh: `估算示数 ${fmt2(val[reg])} (依据: 前次用电量)`, en: `estimated ${fmt2(val[reg])} (basis: previous_period)`, details: { basis: 'previous_period', advance: fmt2(adv[reg]) } },
            ];
            special.push([m.id, m.id, m.id, reg, readAt, v.period, fmt2(val[reg]), cons(reg), 'estimate', 'estimated', VEE_VERSION, 'DOOR_LOCKED', '{EXCEPTION_REPORTED,ESTIMATED}', results,
              this.checkerId, new Date(at + 2 * DAY_MS), reason]);
            rows++;
            this.stats.estimated++;
          }
          settle = true;
        } else {
          // a spike (VEE judges it against this register's history) or the actual reading settling an estimate
          for (const reg of regs) {
            const value = reg === 'MAX_DEMAND' ? fmt2(demand) : fmt2(val[reg]);
            let status: string, flags: string[], results: unknown[];
            if (isSpike) {
              const chk = checkReading({
                register: reg, value, readAt: new Date(at), now: this.o.asOf, meter: { digits: 6, decimals: 2, multiplier: m.multiplier },
                previous: reg === 'MAX_DEMAND' ? null : { value: fmt2(val[reg] - adv[reg]), readAt: new Date(prevAt) },
                history: (hist[reg] ?? []).slice(-3).reverse(), contractDemandKw: m.contractDemandKw === null ? null : String(m.contractDemandKw),
              });
              status = chk.status;
              flags = chk.flags;
              results = chk.results;
            } else {
              status = 'accepted';
              flags = reg === 'MAX_DEMAND' ? [] : ['SETTLES_ESTIMATE'];
              results = reg === 'MAX_DEMAND' ? [] : [{ rule: 'SETTLES_ESTIMATE', severity: 'info', zh: '上次为估算示数, 本次实抄结清差额', en: 'the previous reading was estimated; this actual reading settles the difference' }];
            }
            special.push([m.id, m.id, m.id, reg, readAt, v.period, value, reg === 'MAX_DEMAND' ? null : cons(reg), source, status, VEE_VERSION, null, `{${flags.join(',')}}`, results, null, null, null]);
            rows++;
            this.stats[status === 'pending_review' ? 'pending_review' : 'accepted']++;
          }
          if (!isSpike) settle = false;
        }
        if (special1 && prevAdv !== null) for (const reg of cum) (hist[reg] ??= []).push({ kwh: cons(reg), days: (at - prevAt) / DAY_MS });
        if (wantFrozen) {
          pathAt.push(at);
          for (const reg of cum) pathVal[reg].push(val[reg]);
        }
        if (buf.length > 1 << 20) {
          parts.push(buf);
          buf = '';
        }
        prevAdv = adv;
        prevDays = (at - prevAt) / DAY_MS;
        prevAt = at;
      }
      if (wantFrozen && pathAt.length >= 3) {
        this.frozenAccounts++;
        // daily frozen values at 00:00: on the straight line between visits, extrapolated after the last one
        const at = (reg: string, t: number): number => {
          const ts = pathAt, vs2 = pathVal[reg];
          let j = ts.length - 1;
          while (j > 0 && ts[j] > t) j--;
          const j0 = j === ts.length - 1 ? j - 1 : j;
          const a = ts[j0], b = ts[j0 + 1];
          return Math.floor(vs2[j0] + ((vs2[j0 + 1] - vs2[j0]) * (t - a)) / (b - a));
        };
        const totals: number[] = [];
        for (const d of this.frozenDays) {
          const o: string[] = [];
          for (const reg of cum) {
            const x = at(reg, d);
            if (reg === 'TOTAL') totals.push(x);
            o.push(`"${reg}": "${fmt2(x)}"`);
          }
          fbuf += `${m.id}\t${m.id}\t${new Date(d + SH).toISOString().slice(0, 10)}\t{${o.join(', ')}}\theadend\n`;
          this.stats.frozen++;
        }
        frows += this.frozenDays.length;
        if (cls === 'large_industrial' && multInt) {
          const n = this.intervalDays;
          const daily: number[] = [];
          for (let j = totals.length - n - 1; j < totals.length - 1; j++) daily.push((totals[j + 1] - totals[j]) * mult * 100);
          this.candidates.push({ id: m.id, capacity: m.capacity, tan, daily, days: this.frozenDays.slice(-n - 1, -1) });
          this.candidates.sort((a, b) => b.capacity - a.capacity || a.id - b.id);
          if (this.candidates.length > 30) this.candidates.length = 30;
        }
      }
    }
    if (buf) parts.push(buf);
    if (fbuf) frozen.push(fbuf);
    this.total += rows;
    return { parts, frozen, special, rows: rows + frows };
  }

  /** COPY a chunk: readings (pre-serialised text), the few special rows, the daily frozen values */
  async load(out: ChunkOut & { special: unknown[][] }): Promise<void> {
    await copyRaw(this.db, 'register_readings', READING_COLUMNS, out.parts, { trusted: this.o.trusted });
    if (out.special.length) await this.db.copyInto('register_readings', READING_COLUMNS, out.special, { trusted: this.o.trusted });
    if (out.frozen.length) await copyRaw(this.db, 'daily_frozen_readings', ['account_id', 'meter_id', 'day', 'registers', 'source'], out.frozen, { trusted: this.o.trusted });
  }

  /** 15-minute intervals for the largest industrial accounts (consistent with their daily frozen values); returns rows written */
  async finish(): Promise<number> {
    const rows: IntervalInput[] = [];
    for (const c of this.candidates) {
      const r = prng(hash32(this.o.seed + 1, c.id));
      c.days.forEach((d0, j) => {
        const total = c.daily[j];
        const weekend = new Date(d0 + SH).getUTCDay() === 0;
        const w: number[] = [];
        for (let q = 0; q < 96; q++) {
          const h = q >> 2;
          const shape = h < 7 ? 0.45 : h < 12 ? 1 : h === 12 ? 0.7 : h < 18 ? 1 : h < 22 ? 0.85 : 0.55;
          w.push(shape * (weekend ? 0.75 : 1) * (0.9 + r() * 0.2));
        }
        const W = w.reduce((x, y) => x + y, 0);
        const q4 = w.map((x) => Math.floor((total * x) / W));
        q4[40] += total - q4.reduce((x, y) => x + y, 0); // the remainder keeps the day's sum exact
        q4.forEach((e, q) => rows.push({ meterId: c.id, accountId: c.id, ts: d0 + q * 15 * 60_000, kwh: fmt4(e), kvarh: fmt4(Math.round(e * c.tan)), source: 'headend' }));
      });
    }
    if (!rows.length) return 0;
    const res = await ingestIntervals(this.db, rows, { now: this.o.asOf });
    if (res.rejected.length) throw new Error(`demo intervals refused: ${JSON.stringify(res.rejected.slice(0, 3))}`);
    this.stats.intervals = res.stored;
    return res.stored;
  }

  summary(): string {
    const s = this.stats;
    return `${s.accepted} accepted, ${s.pending_review} pending review, ${s.estimated} estimated; ${s.frozen} daily frozen; ${s.intervals} 15-minute intervals for ${this.candidates.length} accounts`;
  }
}
