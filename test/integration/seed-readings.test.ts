/**
 * Demo readings from the seed, on PGlite and (with DATABASE_URL) PostgreSQL: one visit a month
 * per meter on its route's reading day for the `months` complete months before asOf, registers
 * monotone from the install reading, consumption = advance x multiplier exactly, TOU advances
 * summing exactly to TOTAL, review-queue cases and estimates, daily frozen values and 15-minute
 * intervals consistent with them, current-period tasks for the reader; same seed -> same data.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, engines, type TestDb } from '../support/db.js';
import { seed } from '../../src/jobs/seed.js';
import { consumption, DEFAULT_RULE_SET, toScaled, fromScaled } from '../../src/domain/metering/vee.js';

const AS_OF = new Date('2026-11-27T10:00:00+08:00');
const MONTHS = 6;
const PERIODS = ['2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10'];
const shDay = (d: Date) => new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10);

async function fingerprint(t: TestDb) {
  const rows = await t.db.kysely.selectFrom('register_readings').select(['account_id', 'register', 'read_at', 'value', 'consumption', 'status', 'source', 'exception_code'])
    .orderBy('account_id').orderBy('register').orderBy('read_at').execute();
  const frozen = await t.db.kysely.selectFrom('daily_frozen_readings').select(['account_id', 'day', 'registers']).orderBy('account_id').orderBy('day').execute();
  const iv = await t.db.kysely.selectFrom('interval_readings').select(['account_id', 'ts', 'energy_kwh']).orderBy('account_id').orderBy('ts').execute();
  const h = crypto.createHash('sha256');
  for (const r of rows) h.update(`${r.account_id}|${r.register}|${new Date(r.read_at).toISOString()}|${r.value}|${r.consumption}|${r.status}|${r.source}|${r.exception_code}\n`);
  for (const f of frozen) h.update(`${f.account_id}|${f.day}|${JSON.stringify(f.registers)}\n`);
  for (const i of iv) h.update(`${i.account_id}|${new Date(i.ts).toISOString()}|${i.energy_kwh}\n`);
  return { hash: h.digest('hex'), readings: rows.length, frozen: frozen.length, intervals: iv.length };
}

describe.each(engines())('seed readings on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(engine);
    await seed(t.db, { accounts: 240, months: MONTHS, seed: 3, asOf: AS_OF });
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('one visit a month per meter on the route reading day, for the months before asOf, every register of the meter', async () => {
    const rows = await t.db.kysely.selectFrom('register_readings as r').innerJoin('accounts as a', 'a.id', 'r.account_id').innerJoin('reading_routes as rr', 'rr.id', 'a.reading_route_id')
      .innerJoin('meters as m', 'm.id', 'r.meter_id')
      .select(['r.account_id', 'r.meter_id', 'r.register', 'r.read_at', 'r.billing_period', 'r.status', 'r.source', 'r.rule_set_version', 'r.exception_code', 'rr.reading_day', 'm.registers'])
      .execute();
    const meters = await t.db.kysely.selectFrom('meter_installations').select(['meter_id']).where('removed_on', 'is', null).execute();
    const visits = new Map<number, Set<string>>();
    for (const r of rows) {
      const day = shDay(new Date(r.read_at));
      expect(r.billing_period).toBe(day.slice(0, 7));
      expect(Number(day.slice(8))).toBe(r.reading_day);
      const hour = new Date(new Date(r.read_at).getTime() + 8 * 3600_000).getUTCHours();
      expect(hour).toBeGreaterThanOrEqual(8);
      expect(hour).toBeLessThan(17);
      expect(r.rule_set_version).toBe(DEFAULT_RULE_SET.version);
      expect(r.registers).toContain(r.register);
      if (r.status === 'accepted') expect(['import', 'manual']).toContain(r.source);
      const s = visits.get(r.meter_id) ?? new Set<string>();
      s.add(r.billing_period);
      visits.set(r.meter_id, s);
    }
    expect(visits.size).toBe(meters.length);
    for (const s of visits.values()) expect([...s].sort()).toEqual(PERIODS);
    // full visits carry every register of the meter
    const perVisit = new Map<string, { regs: Set<string>; all: string[]; exc: boolean }>();
    for (const r of rows) {
      const k = `${r.meter_id}|${new Date(r.read_at).toISOString()}`;
      const v = perVisit.get(k) ?? { regs: new Set<string>(), all: r.registers, exc: false };
      v.regs.add(r.register);
      if (r.exception_code === 'DOOR_LOCKED' && r.status === 'pending_review') v.exc = true;
      perVisit.set(k, v);
    }
    for (const v of perVisit.values()) if (!v.exc) expect([...v.regs].sort()).toEqual([...v.all].sort());
  });

  it('registers grow monotonically from the install reading; consumption = advance x multiplier exactly; TOU advances sum to TOTAL exactly', async () => {
    const rows = await t.db.kysely.selectFrom('register_readings as r').innerJoin('meters as m', 'm.id', 'r.meter_id').innerJoin('meter_installations as mi', 'mi.meter_id', 'r.meter_id')
      .select(['r.meter_id', 'r.register', 'r.read_at', 'r.value', 'r.consumption', 'r.status', 'm.multiplier', 'm.digits', 'mi.initial_readings'])
      .where('r.value', 'is not', null).orderBy('r.meter_id').orderBy('r.register').orderBy('r.read_at').execute();
    let checked = 0, tou = 0;
    const advances = new Map<string, Record<string, string>>();
    let last: { key: string; value: string } | null = null;
    for (const r of rows) {
      const key = `${r.meter_id}|${r.register}`;
      if (r.register === 'MAX_DEMAND') {
        expect(r.consumption).toBeNull();
        continue;
      }
      const prev = last && last.key === key ? last.value : (r.initial_readings as Record<string, string>)[r.register];
      expect(toScaled(r.value!)).toBeGreaterThanOrEqual(toScaled(prev)); // no rollover within these months
      const c = consumption(prev, r.value!, r.multiplier, r.digits, false)!;
      expect(r.consumption).toBe(c.kwh);
      const v = advances.get(`${r.meter_id}|${new Date(r.read_at).toISOString()}`) ?? {};
      v[r.register] = c.advance;
      advances.set(`${r.meter_id}|${new Date(r.read_at).toISOString()}`, v);
      last = { key, value: r.value! };
      checked++;
    }
    expect(checked).toBeGreaterThan(240 * MONTHS);
    for (const a of advances.values()) {
      const parts = ['SHARP', 'PEAK', 'FLAT', 'VALLEY'].filter((x) => a[x] !== undefined);
      if (!parts.length || a.TOTAL === undefined) continue;
      expect(fromScaled(parts.reduce((s, x) => s + toScaled(a[x]), 0n))).toBe(a.TOTAL);
      tou++;
    }
    expect(tou).toBeGreaterThan(200);
  });

  it('summer and winter peaks for households, a Spring Festival dip only for industry (by the shape of the months)', async () => {
    const { rows } = await t.db.kysely.selectFrom('register_readings as r').innerJoin('accounts as a', 'a.id', 'r.account_id')
      .select(['a.customer_class', 'r.billing_period', (eb) => eb.fn.sum<string>('r.consumption').as('kwh')])
      .where('r.register', '=', 'TOTAL').where('r.status', '=', 'accepted').groupBy(['a.customer_class', 'r.billing_period']).execute()
      .then((x) => ({ rows: x }));
    const by = (cls: string, p: string) => Number(rows.find((r) => r.customer_class === cls && r.billing_period === p)?.kwh ?? 0);
    // August (July-August window) above May for residential
    expect(by('residential', '2026-08')).toBeGreaterThan(by('residential', '2026-05') * 1.2);
  });

  it('review queue cases in the latest month (SPIKE judged by VEE, 门闭 without a value) and estimates earlier', async () => {
    const pending = await t.db.kysely.selectFrom('register_readings').select(['register', 'value', 'exception_code', 'quality_flags', 'billing_period', 'rule_results'])
      .where('status', '=', 'pending_review').execute();
    expect(pending.every((p) => p.billing_period === '2026-10')).toBe(true);
    const door = pending.filter((p) => p.exception_code === 'DOOR_LOCKED');
    expect(door.length).toBe(12);
    for (const d of door) expect(d).toMatchObject({ register: 'TOTAL', value: null, quality_flags: ['EXCEPTION_REPORTED'] });
    const spikes = pending.filter((p) => p.quality_flags.includes('SPIKE'));
    expect(new Set(spikes.map((s) => s.register))).toContain('TOTAL');
    expect(spikes.length).toBeGreaterThanOrEqual(12);
    expect((spikes[0].rule_results as any[]).map((r) => r.rule)).toContain('SPIKE');
    const est = await t.db.kysely.selectFrom('register_readings').select(['source', 'exception_code', 'billing_period', 'reviewed_by']).where('status', '=', 'estimated').execute();
    expect(est.length).toBeGreaterThanOrEqual(8);
    for (const e of est) expect(e).toMatchObject({ source: 'estimate', exception_code: 'DOOR_LOCKED', billing_period: '2026-08' });
    expect(est[0].reviewed_by).not.toBeNull();
  });

  it('daily frozen values for industrial/commercial meters and 15-minute intervals for the largest, consistent with each other', async () => {
    const frozen = await t.db.kysely.selectFrom('daily_frozen_readings as f').innerJoin('accounts as a', 'a.id', 'f.account_id')
      .select(['f.account_id', 'f.day', 'f.registers', 'a.customer_class']).orderBy('f.account_id').orderBy('f.day').execute();
    expect(frozen.length).toBeGreaterThan(0);
    expect(new Set(frozen.map((f) => f.customer_class))).toEqual(new Set(['commercial', 'large_industrial']));
    expect(frozen.at(-1)!.day).toBe('2026-11-27');
    let prev: { id: number; total: bigint } | null = null;
    for (const f of frozen) {
      const total = toScaled((f.registers as Record<string, string>).TOTAL);
      if (prev && prev.id === f.account_id) expect(total).toBeGreaterThanOrEqual(prev.total);
      prev = { id: f.account_id, total };
    }
    const iv = await t.db.kysely.selectFrom('interval_readings').select(['account_id', 'ts', 'energy_kwh']).execute();
    expect(iv.length % 96).toBe(0);
    const acc = iv[0].account_id;
    const m = await t.db.kysely.selectFrom('meters').select('multiplier').where('id', '=', acc).executeTakeFirstOrThrow();
    const day = '2026-11-20';
    const sum = iv.filter((x) => x.account_id === acc && shDay(new Date(x.ts)) === day).reduce((s, x) => s + toScaled(x.energy_kwh), 0n);
    const f0 = frozen.find((f) => f.account_id === acc && f.day === day)!, f1 = frozen.find((f) => f.account_id === acc && f.day === '2026-11-21')!;
    const adv = consumption((f0.registers as any).TOTAL, (f1.registers as any).TOTAL, m.multiplier, 6)!;
    expect(fromScaled(sum)).toBe(adv.kwh);
  });

  it('current-period tasks for the 城关 reader', async () => {
    const reader = await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'reader').executeTakeFirstOrThrow();
    const tasks = await t.db.kysely.selectFrom('reading_tasks').select(['billing_period', 'assigned_to', 'status']).execute();
    expect(tasks.length).toBeGreaterThan(0);
    for (const x of tasks) expect(x).toMatchObject({ billing_period: '2026-11', assigned_to: reader.id, status: 'pending' });
  });

  it('is deterministic for a seed, and months 0 loads no readings', async () => {
    const a = await fingerprint(t);
    const t2 = await createTestDb(engine);
    try {
      await seed(t2.db, { accounts: 240, months: MONTHS, seed: 3, asOf: AS_OF });
      expect(await fingerprint(t2)).toEqual(a);
    } finally {
      await t2.drop();
    }
    const t4 = await createTestDb(engine);
    try {
      await seed(t4.db, { accounts: 20, months: 0, seed: 3, asOf: AS_OF });
      const f = await fingerprint(t4);
      expect(f).toMatchObject({ readings: 0, frozen: 0, intervals: 0 });
      expect((await t4.db.kysely.selectFrom('reading_tasks').select('id').execute()).length).toBe(0);
    } finally {
      await t4.drop();
    }
  }, 240_000);
});
