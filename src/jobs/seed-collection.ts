/**
 * Demo collection set-up (采集): one concentrator (集中器) per transformer area (台区) holding the
 * meters of its accounts, and the in-process meter simulator registered as the demo head-end.
 *
 * `seedCollection(db)` is idempotent. With `simulator` (default on) it stores the setting
 * `collection.demo_simulator`; the first collection run in a process then starts the DL/T 645
 * simulator on an ephemeral 127.0.0.1 port for the demo meters (meter address = the 12-digit
 * zero-padded demo account index = meters.comm_address) and uses it as the default endpoint.
 * Concentrators are created without host/port: they are reached through the default endpoint
 * (the 前置机 / front-end processor in a real deployment).
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import '../db/schema-collection.js';
import type { Q } from '../app/context.js';
import type { SimFaults } from '../domain/protocols/dlt645/simulator.js';
import { startMeterSimulator, type RunningMeterSimulator } from './meter-simulator.js';

export const DEMO_SIMULATOR_SETTING = 'collection.demo_simulator';
export const DEFAULT_ENDPOINT_SETTING = 'collection.default_endpoint';

export interface DemoSimulatorSetting {
  enabled: boolean;
  /** simulator seed (meter population and fault draws) */
  seed?: number;
  /** fault probabilities, e.g. { noReply: 0.01, error: 0.005 } */
  faults?: Partial<SimFaults>;
  lateMs?: number;
}

export interface SeedCollectionOptions {
  /** register the in-process simulator as the demo head-end (default true) */
  simulator?: boolean | DemoSimulatorSetting;
  /**
   * Set the install readings (meter_installations.initial_readings) of the demo meters to what
   * the simulated meter showed on the install day, so the first collected readings chain with
   * them (consumption = energy since install, TOU registers sum to TOTAL). Default false.
   * Only for a database whose meters all come from the demo seed. A number = the simulator
   * seed to align with (default: the demo simulator's seed, 1).
   */
  alignInstallReadings?: boolean | number;
  log?: (m: string) => void;
}

export async function seedCollection(db: Db, opts: SeedCollectionOptions = {}): Promise<{ concentrators: number; meters: number }> {
  const k = db.kysely;
  const log = opts.log ?? (() => {});
  const ins = await sql<{ n: number }>`
    with c as (
      insert into concentrators (code, name, org_unit_id, transformer_area_id, status)
      select 'JZQ' || substr(ta.code, 2), ta.name || '集中器', ta.org_unit_id, ta.id, 'active'
      from transformer_areas ta
      where not exists (select 1 from concentrators c where c.transformer_area_id = ta.id)
      on conflict (code) do nothing
      returning 1)
    select count(*)::int as n from c`.execute(k);
  const upd = await sql<{ n: number }>`
    with u as (
      update meters m set concentrator_id = c.id
      from meter_installations mi, accounts a, concentrators c
      where mi.meter_id = m.id and mi.removed_on is null and a.id = mi.account_id and c.transformer_area_id = a.transformer_area_id
        and m.concentrator_id is null and m.comm_host is null
      returning 1)
    select count(*)::int as n from u`.execute(k);
  const sim = opts.simulator ?? true;
  if (sim) {
    const value: DemoSimulatorSetting = sim === true ? { enabled: true, seed: 1, faults: { noReply: 0.01, badChecksum: 0.005, error: 0.005 } } : sim;
    await k.insertInto('settings').values({ key: DEMO_SIMULATOR_SETTING, value: JSON.stringify(value) })
      .onConflict((oc) => oc.column('key').doNothing()).execute();
  }
  let aligned = 0;
  if (opts.alignInstallReadings) {
    const s = (typeof sim === 'object' ? sim : { seed: 1 }) as DemoSimulatorSetting;
    aligned = await alignInstallReadings(db, typeof opts.alignInstallReadings === 'number' ? opts.alignInstallReadings : (s.seed ?? 1));
  }
  const concentrators = ins.rows[0]?.n ?? 0;
  const meters = upd.rows[0]?.n ?? 0;
  log(`collection: ${concentrators} concentrators, ${meters} meters assigned${sim ? ', demo simulator registered' : ''}${aligned ? `, ${aligned} install readings aligned` : ''}`);
  return { concentrators, meters };
}

/** install readings = the simulated meter's registers at 00:00 (Beijing) of the install day */
async function alignInstallReadings(db: Db, seed: number): Promise<number> {
  const { SimulatedMeter, meterProfile } = await import('../domain/protocols/dlt645/simulator.js');
  const { toRegisters, DEFAULT_PROFILE } = await import('../app/metering/collection.js');
  const k = db.kysely;
  const profiles = new Map((await k.selectFrom('meter_read_profiles').select(['meter_type', 'register_map']).execute())
    .map((r) => [r.meter_type, (typeof r.register_map === 'string' ? JSON.parse(r.register_map) : r.register_map) as Record<string, string>]));
  const rows = await k.selectFrom('meter_installations as mi').innerJoin('meters as m', 'm.id', 'mi.meter_id')
    .select(['mi.id', 'mi.installed_on', 'mi.initial_readings', 'm.comm_address', 'm.meter_type', 'm.registers', 'm.digits', 'm.decimals'])
    .where('mi.removed_on', 'is', null).where('m.comm_address', '~', '^[0-9]{12}$').execute();
  const ids: number[] = [];
  const values: string[] = [];
  for (const r of rows) {
    const index = Number(r.comm_address);
    if (!index) continue;
    const meter = new SimulatedMeter(seed, meterProfile(seed, index));
    const day = typeof r.installed_on === 'string' ? r.installed_on : new Date(r.installed_on as unknown as Date).toISOString().slice(0, 10);
    const t = Date.parse(`${day}T00:00:00+08:00`);
    const read: Record<string, any> = {};
    for (const di of ['0001FF00', '00020000', '00030000', '00040000']) read[di] = meter.read(di, t);
    read['01010000'] = { demand: 0 };
    const regs = toRegisters(read, profiles.get(r.meter_type) ?? DEFAULT_PROFILE.registerMap, { registers: r.registers, digits: r.digits, decimals: r.decimals });
    if (r.registers.includes('MAX_DEMAND')) regs.MAX_DEMAND = '0';
    ids.push(Number(r.id));
    values.push(JSON.stringify({ ...(r.initial_readings as object), ...regs }));
  }
  for (let i = 0; i < ids.length; i += 5000) {
    await sql`update meter_installations mi set initial_readings = v.r::jsonb
      from unnest(${ids.slice(i, i + 5000)}::int8[], ${values.slice(i, i + 5000)}::text[]) as v(id, r) where mi.id = v.id`.execute(k);
  }
  return ids.length;
}

// ---- the in-process demo simulator ------------------------------------------------------------

let demo: { key: string; sim: Promise<RunningMeterSimulator> } | null = null;

/**
 * The default endpoint from the settings: `collection.default_endpoint` {host, port}, else the
 * in-process demo simulator when `collection.demo_simulator` is enabled (started on first use,
 * sized to the highest meters.comm_address). Null when neither is set.
 */
export async function defaultEndpoint(q: Q): Promise<{ host: string; port: number; simulated: boolean } | null> {
  const rows = await q.selectFrom('settings').select(['key', 'value']).where('key', 'in', [DEFAULT_ENDPOINT_SETTING, DEMO_SIMULATOR_SETTING]).execute();
  const get = (key: string) => {
    const v = rows.find((r) => r.key === key)?.value;
    return (typeof v === 'string' ? JSON.parse(v) : v) as any;
  };
  const ep = get(DEFAULT_ENDPOINT_SETTING);
  if (ep && typeof ep.host === 'string' && Number.isInteger(ep.port)) return { host: ep.host, port: ep.port, simulated: false };
  const s = get(DEMO_SIMULATOR_SETTING) as DemoSimulatorSetting | undefined;
  if (!s?.enabled) return null;
  const max = await sql<{ n: string | null }>`select max(comm_address)::text as n from meters where comm_address ~ '^[0-9]{12}$'`.execute(q);
  const count = Math.max(1, Math.min(2_000_000, Number(max.rows[0]?.n ?? 1)));
  const sim = await demoSimulator({ count, seed: s.seed ?? 1, faults: s.faults ?? {}, lateMs: s.lateMs });
  const c = sim.concentrators[0];
  return { host: c.host, port: c.port, simulated: true };
}

/** Start (or reuse) the process-wide demo simulator: one concentrator on an ephemeral loopback port. */
export function demoSimulator(o: { count: number; seed: number; faults: Partial<SimFaults>; lateMs?: number }): Promise<RunningMeterSimulator> {
  const key = JSON.stringify(o);
  if (demo && demo.key === key) return demo.sim;
  const prev = demo;
  const sim = (async () => {
    if (prev) await (await prev.sim.catch(() => null))?.close();
    return startMeterSimulator({ count: o.count, port: 0, concentrators: 1, seed: o.seed, faults: o.faults, lateMs: o.lateMs, host: '127.0.0.1' });
  })();
  demo = { key, sim };
  sim.catch(() => {
    if (demo?.sim === sim) demo = null;
  });
  return sim;
}

/** Stop the demo simulator (CLI commands and tests call this before exiting). */
export async function stopDemoSimulator(): Promise<void> {
  const d = demo;
  demo = null;
  if (d) await (await d.sim.catch(() => null))?.close();
}
