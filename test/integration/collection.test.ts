/**
 * Automated collection (采集) on PGlite (and PostgreSQL with DATABASE_URL) against the DL/T 645
 * meter simulator started in-process on 127.0.0.1: a run over a route stores readings through
 * VEE (source headend) and daily frozen values; injected faults show as failed meters with
 * reasons and the success rate matches; an interrupted run resumes with only the rest; 招测
 * stores one reading; the collected meters' reading tasks are marked read (failed and uncollected
 * meters' stay pending); permissions and data scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { sql } from 'kysely';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { startMeterSimulator, type RunningMeterSimulator } from '../../src/jobs/meter-simulator.js';
import { seedCollection, stopDemoSimulator } from '../../src/jobs/seed-collection.js';
import { collectionStats, runCollection, startCollection } from '../../src/app/metering/collection.js';
import { SYSTEM_ACTOR } from '../../src/app/context.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import { loadActor } from '../../src/app/security/auth.js';
import { shanghaiDay } from '../../src/app/metering/baseline.js';
import { generateTasks } from '../../src/app/metering/tasks.js';

const T = Date.now() - 60_000; // the simulator's clock: registers as of one minute ago
const SCALE = 10_000n;
const scaled = (s: string) => {
  const [i, f = ''] = s.split('.');
  return BigInt(i) * SCALE + BigInt(f.padEnd(4, '0').slice(0, 4));
};
const yesterday = shanghaiDay(new Date(Date.now() - 86_400_000));

interface M { meter_id: number; account_id: number; comm_address: string; registers: string[]; multiplier: string; initial: Record<string, string>; route: number; code: string }

describe.each(engines())('collection on %s', (engine) => {
  let t: TestApp;
  let sim: RunningMeterSimulator;
  // tests may watch the requests the simulator receives (to interrupt a run at a known point)
  let onSimRequest: ((address: string) => void) | undefined;
  let faulty: RunningMeterSimulator;
  let meters: M[];
  let routeA: number; // 城关 route, clean simulator
  let routeB: number; // 城关 route behind the faulty concentrator
  const idx = (m: M) => Number(m.comm_address) - 1;

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 240 });
    await seedCollection(t.db, { simulator: false, alignInstallReadings: 5 });
    const rows = await t.db.kysely.selectFrom('meter_installations as mi').innerJoin('meters as m', 'm.id', 'mi.meter_id').innerJoin('accounts as a', 'a.id', 'mi.account_id')
      .innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
      .select(['mi.meter_id', 'mi.account_id', 'm.comm_address', 'm.registers', 'm.multiplier', 'mi.initial_readings', 'a.reading_route_id', 'o.code'])
      .where('mi.removed_on', 'is', null).where('a.status', '!=', 'closed').orderBy('mi.meter_id').execute();
    meters = rows.map((r: any) => ({ ...r, meter_id: Number(r.meter_id), account_id: Number(r.account_id), initial: r.initial_readings, route: Number(r.reading_route_id) }));
    const st01Routes = [...new Set(meters.filter((m) => m.code === 'ST01').map((m) => m.route))];
    expect(st01Routes.length).toBeGreaterThanOrEqual(1);
    routeA = st01Routes[0];
    // a second 城关 route: move some ST01 meters of routeA's neighbours into their own route
    const r2 = await t.db.kysely.insertInto('reading_routes').values({ code: 'RTEST-B', name: '测试抄表段B', org_unit_id: (await t.db.kysely.selectFrom('org_units').select('id').where('code', '=', 'ST01').executeTakeFirstOrThrow()).id, reading_day: 5 } as never).returning('id').executeTakeFirstOrThrow();
    routeB = Number(r2.id);
    const moved = meters.filter((m) => m.code === 'ST01' && m.route === routeA).slice(-20);
    await t.db.kysely.updateTable('accounts').set({ reading_route_id: routeB }).where('id', 'in', moved.map((m) => m.account_id)).execute();
    for (const m of moved) m.route = routeB;
    sim = await startMeterSimulator({ count: 240, port: 0, concentrators: 1, seed: 5, now: () => T, host: '127.0.0.1', onRequest: (a) => onSimRequest?.(a) });
    faulty = await startMeterSimulator({ count: 240, port: 0, concentrators: 1, seed: 5, now: () => T, host: '127.0.0.1', faults: { noReply: 0.25, badChecksum: 0.15, error: 0.1 } });
    // routeB's meters hang off one concentrator pointing at the faulty simulator
    const ou = await t.db.kysely.selectFrom('org_units').select('id').where('code', '=', 'ST01').executeTakeFirstOrThrow();
    const c = await t.db.kysely.insertInto('concentrators').values({ code: 'JZQ-FAULTY', org_unit_id: ou.id, host: '127.0.0.1', port: faulty.concentrators[0].port }).returning('id').executeTakeFirstOrThrow();
    await t.db.kysely.updateTable('meters').set({ concentrator_id: c.id }).where('id', 'in', moved.map((m) => m.meter_id)).execute();
    // one meter of routeB without any endpoint
    await t.db.kysely.updateTable('meters').set({ concentrator_id: null }).where('id', '=', moved[0].meter_id).execute();
    // everything else: the clean simulator is the default endpoint
    await t.db.kysely.insertInto('settings').values({ key: 'collection.default_endpoint', value: JSON.stringify({ host: '127.0.0.1', port: sim.concentrators[0].port }) }).execute();
  }, 180_000);

  afterAll(async () => {
    await sim?.close();
    await faulty?.close();
    await stopDemoSimulator();
    await t?.drop();
  });

  it('a run over a route stores readings through VEE (source headend, consumption exact) and daily frozen values', async () => {
    const checker = await t.login('checker');
    const r = await t.call('POST', '/api/v1/collection/runs', { cookie: checker, body: { routeIds: [routeA], wait: true, timeoutMs: 3000 } });
    expect(r.status).toBe(200);
    const inRoute = meters.filter((m) => m.route === routeA);
    expect(r.body.summary).toMatchObject({ status: 'completed', total: inRoute.length, ok: inRoute.length, failed: 0, successRate: 100 });
    const runId = r.body.runId;
    const stored = await t.db.kysely.selectFrom('register_readings').selectAll().where('source', '=', 'headend').where('meter_id', 'in', inRoute.map((m) => m.meter_id)).execute();
    const nRegs = inRoute.reduce((s, m) => s + m.registers.length, 0);
    // current readings for every register, plus the 上1结算日 readings of meters with monthly freezing
    expect(stored.filter((x) => new Date(x.read_at).getTime() > T - 120_000)).toHaveLength(nRegs);
    let checked = 0;
    for (const m of inRoute) {
      const cur = stored.filter((x) => x.meter_id === m.meter_id && new Date(x.read_at).getTime() > T - 120_000);
      const total = cur.find((x) => x.register === 'TOTAL')!;
      const simTotal = (sim.meters[idx(m)].read('0001FF00', T) as number[])[0];
      expect(Number(total.value)).toBeCloseTo(simTotal, 2);
      expect(total.rule_results).toBeDefined(); // VEE ran
      // install readings are aligned with the simulated meters: everything chains and passes
      expect(total.status).toBe('accepted');
      // previous = the settlement-day reading when stored, else the install reading
      const prev = stored.find((x) => x.meter_id === m.meter_id && x.register === 'TOTAL' && new Date(x.read_at).getTime() < T - 120_000);
      const before = prev ? String(prev.value) : m.initial.TOTAL;
      if (scaled(String(total.value)) >= scaled(before)) {
        const expected = ((scaled(String(total.value)) - scaled(before)) * scaled(m.multiplier) + SCALE / 2n) / SCALE;
        expect(scaled(String(total.consumption))).toBe(expected);
        checked++;
      } else expect(total.quality_flags).toContain('REGISTER_BACKWARDS');
      if (m.registers.includes('PEAK') && !m.registers.includes('FLAT')) {
        // two-rate meter: 峰 = 尖 + 峰 + 平 of the meter's four-rate split
        const b = sim.meters[idx(m)].read('0001FF00', T) as number[];
        expect(Number(cur.find((x) => x.register === 'PEAK')!.value)).toBeCloseTo(b[1] + b[2] + b[3], 1);
      }
    }
    expect(checked).toBeGreaterThan(0);
    const frozen = await t.db.kysely.selectFrom('daily_frozen_readings').selectAll().where('day', '=', yesterday as never).where('meter_id', 'in', inRoute.map((m) => m.meter_id)).execute();
    expect(frozen).toHaveLength(inRoute.length);
    const f0 = frozen.find((f) => f.meter_id === inRoute[0].meter_id)!;
    expect(Number((f0.registers as any).TOTAL)).toBeCloseTo((sim.meters[idx(inRoute[0])].read('05060101', T) as number[])[0], 2);
    expect(f0.source).toBe('headend');
    // stats: 100 % for the route; the run is listed
    const s = await t.call('GET', `/api/v1/collection/runs/${runId}`, { cookie: checker });
    expect(s.body.routes).toEqual([expect.objectContaining({ routeId: routeA, meters: inRoute.length, ok: inRoute.length, failed: 0, successRate: 100 })]);
    const list = await t.call('GET', '/api/v1/collection/runs', { cookie: checker });
    expect(list.body.items[0]).toMatchObject({ id: runId, status: 'completed', kind: 'scheduled', successRate: 100 });
    // one audit event for the run
    const audits = await t.db.kysely.selectFrom('audit_events').select(['action', 'entity_id']).where('entity_type', '=', 'collection_run').where('entity_id', '=', String(runId)).execute();
    expect(audits).toEqual([{ action: 'collection.run', entity_id: String(runId) }]);
    // a second run the same day: frozen values are not duplicated, readings chain on the first
    const again = await runCollection(t.db, SYSTEM_ACTOR, { routeIds: [routeA], timeoutMs: 3000 });
    expect(again.ok).toBe(inRoute.length);
    expect(again.dailyFrozen).toBe(0);
  });

  it('injected faults show as failed meters with reasons; the per-route success rate matches', async () => {
    const checker = await t.login('checker');
    // no default endpoint for this run: the meter without a concentrator has no way to be reached
    const setting = await t.db.kysely.deleteFrom('settings').where('key', '=', 'collection.default_endpoint').returningAll().executeTakeFirstOrThrow();
    const r = await t.call('POST', '/api/v1/collection/runs', { cookie: checker, body: { routeIds: [routeB], wait: true, timeoutMs: 250, retries: 0 } });
    await t.db.kysely.insertInto('settings').values({ key: setting.key, value: JSON.stringify(setting.value) }).execute();
    expect(r.status).toBe(200);
    const inRoute = meters.filter((m) => m.route === routeB);
    const sum = r.body.summary;
    expect(sum.total).toBe(inRoute.length);
    expect(sum.failed).toBeGreaterThan(0);
    expect(sum.ok).toBeGreaterThan(0);
    const results = await t.db.kysely.selectFrom('collection_results').selectAll().where('run_id', '=', r.body.runId).execute();
    expect(results).toHaveLength(inRoute.length);
    const ok = results.filter((x) => x.ok).length;
    const s = await t.call('GET', `/api/v1/collection/runs/${r.body.runId}?pageSize=100`, { cookie: checker });
    const row = s.body.routes.find((x: any) => x.routeId === routeB);
    expect(row).toMatchObject({ meters: inRoute.length, ok, failed: inRoute.length - ok });
    expect(row.successRate).toBeCloseTo((ok / inRoute.length) * 100, 2);
    expect(s.body.failures.total).toBe(inRoute.length - ok);
    expect(s.body.failures.items).toHaveLength(inRoute.length - ok);
    const reasons = new Set(s.body.failures.items.map((f: any) => f.reason.split(':')[0]));
    for (const x of reasons) expect(['TIMEOUT', 'BAD_CHECKSUM', 'ERROR_REPLY', 'NO_ENDPOINT', 'SKIPPED_UNREACHABLE']).toContain(x);
    const noEp = s.body.failures.items.find((f: any) => f.meterId === inRoute[0].meter_id);
    expect(noEp).toMatchObject({ reason: 'NO_ENDPOINT', reasonText: { zh: expect.stringContaining('通信通道'), en: expect.stringContaining('no endpoint') } });
    expect(s.body.reasons.reduce((x: number, y: any) => x + y.count, 0)).toBe(inRoute.length - ok);
    // a failed meter stored no reading in this run; an ok one did
    const failedIds = results.filter((x) => !x.ok && x.reason === 'NO_ENDPOINT').map((x) => x.meter_id);
    const n = await t.db.kysely.selectFrom('register_readings').select((eb) => eb.fn.countAll<number>().as('n')).where('meter_id', 'in', failedIds).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(0);
    // by data day: both routes, latest result per meter
    const byDay = await collectionStats(t.db, SYSTEM_ACTOR, { day: yesterday });
    expect(byDay.routes.map((x) => x.routeId)).toEqual(expect.arrayContaining([routeA, routeB]));
  });

  it("marks the period's reading tasks of the meters it stored as read; failed and uncollected meters' tasks stay pending, skipped stays skipped", async () => {
    const routeC = meters.find((m) => m.route !== routeA && m.route !== routeB)!.route; // not collected in this run
    const collected = meters.filter((m) => m.route === routeA || m.route === routeB);
    const idle = meters.filter((m) => m.route === routeC);
    expect(idle.length).toBeGreaterThan(0);
    // open tasks for the billing period of the readings about to be stored (a second period only
    // if the month turns in Shanghai during the run: each task is judged by its own period)
    const periods = [...new Set([shanghaiDay(new Date()).slice(0, 7), shanghaiDay(new Date(Date.now() + 120_000)).slice(0, 7)])];
    for (const period of periods) await generateTasks(t.db, SYSTEM_ACTOR, { period, routeIds: [routeA, routeB, routeC] });
    const taskMeters = [...collected, ...idle].map((m) => m.meter_id);
    const tasksNow = () => t.db.kysely.selectFrom('reading_tasks').select(['id', 'account_id', 'meter_id', 'billing_period', 'status', 'exception_code', 'read_at', 'updated_at'])
      .where('billing_period', 'in', periods).where('meter_id', 'in', taskMeters).execute();
    const before = await tasksNow();
    expect(before).toHaveLength(taskMeters.length * periods.length);
    expect(before.every((x) => x.status === 'pending' && x.read_at === null)).toBe(true);
    // one task is skipped (抄表员 skipped it): storing a reading does not reopen or mark it
    const skippedMeter = meters.find((m) => m.route === routeA)!;
    await t.db.kysely.updateTable('reading_tasks').set({ status: 'skipped' }).where('meter_id', '=', skippedMeter.meter_id).where('billing_period', 'in', periods).execute();

    // routeA on the clean simulator, routeB behind the faulty concentrator, and one meter of routeB
    // read directly (comm_host/comm_port) at a port where nothing listens: a sure failure
    const dead = meters.filter((m) => m.route === routeB)[1];
    const closed = net.createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    await t.db.kysely.updateTable('meters').set({ comm_host: '127.0.0.1', comm_port: deadPort }).where('id', '=', dead.meter_id).execute();
    let sum: Awaited<ReturnType<typeof runCollection>>;
    try {
      sum = await runCollection(t.db, SYSTEM_ACTOR, { routeIds: [routeA, routeB], timeoutMs: 1500, retries: 0 });
    } finally {
      await t.db.kysely.updateTable('meters').set({ comm_host: null, comm_port: null }).where('id', '=', dead.meter_id).execute();
    }
    expect(sum).toMatchObject({ status: 'completed', total: collected.length });
    expect(sum.failed).toBeGreaterThan(0);

    // which meters had readings stored by this run, and when (a failed meter may still have stored
    // the registers it did answer: judged by what was stored, not by ok)
    const results = await t.db.kysely.selectFrom('collection_results').select(['meter_id', 'ok', 'reason', 'read_at']).where('run_id', '=', sum.runId).execute();
    expect(results).toHaveLength(collected.length);
    const storedAt = new Map<string, Date>(); // meter:period -> read_at of the stored readings
    for (const r of results) {
      const rs = await t.db.kysely.selectFrom('register_readings').select(['billing_period', 'read_at']).where('meter_id', '=', r.meter_id).where('source', '=', 'headend')
        .where('read_at', '=', r.read_at).execute();
      for (const x of rs) storedAt.set(`${r.meter_id}:${x.billing_period}`, new Date(x.read_at));
    }
    const failedNothingStored = results.filter((r) => !r.ok && !periods.some((p) => storedAt.has(`${r.meter_id}:${p}`)));
    expect(failedNothingStored.length).toBeGreaterThan(0);
    expect(failedNothingStored.find((r) => r.meter_id === dead.meter_id)?.reason).toMatch(/^CONNECT_FAILED/);

    const after = await tasksNow();
    const prior = new Map(before.map((x) => [x.id, x]));
    let read = 0;
    let open = 0;
    for (const task of after) {
      const at = storedAt.get(`${task.meter_id}:${task.billing_period}`);
      const ctx = { meterId: task.meter_id, period: task.billing_period, stored: !!at };
      if (task.meter_id === skippedMeter.meter_id) {
        expect({ ...ctx, status: task.status, read_at: task.read_at }).toEqual({ ...ctx, status: 'skipped', read_at: null });
      } else if (at) {
        // updateTasks: status read (no exception code on a head-end reading), read_at = the reading's time
        expect({ ...ctx, status: task.status, exception_code: task.exception_code, read_at: task.read_at && new Date(task.read_at).toISOString() })
          .toEqual({ ...ctx, status: 'read', exception_code: null, read_at: at.toISOString() });
        expect(new Date(task.updated_at).getTime()).toBeGreaterThanOrEqual(new Date(prior.get(task.id)!.updated_at).getTime());
        read++;
      } else {
        expect({ ...ctx, status: task.status, exception_code: task.exception_code, read_at: task.read_at }).toEqual({ ...ctx, status: 'pending', exception_code: null, read_at: null });
        open++;
      }
    }
    // tasks read: at least every meter of routeA (clean simulator) but the skipped one; the skipped
    // one did store readings; open: the failed meters and every meter of the route not collected
    expect(read).toBeGreaterThanOrEqual(collected.filter((m) => m.route === routeA).length - 1);
    expect(storedAt.has(`${skippedMeter.meter_id}:${after.find((x) => x.meter_id === skippedMeter.meter_id)!.billing_period}`)).toBe(true);
    const stillOpen = new Set(after.filter((x) => x.status === 'pending').map((x) => x.meter_id));
    for (const f of failedNothingStored) expect(stillOpen.has(f.meter_id)).toBe(true);
    for (const m of idle) expect(stillOpen.has(m.meter_id)).toBe(true);
    expect(open).toBeGreaterThanOrEqual(idle.length + failedNothingStored.length);
  });

  it('an interrupted run stays running and a resume polls only the meters without a result', async () => {
    const inRoute = meters.filter((m) => m.route === routeA);
    const ac = new AbortController();
    const u = await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'checker').executeTakeFirstOrThrow();
    const checkerActor = (await loadActor(t.db, u.id))!;
    // interrupt once the 12th distinct meter is asked: with 2 meters polled at a time, at least 10
    // meters have finished and at most 12 (a deterministic point, independent of the engine's speed)
    const asked = new Set<string>();
    onSimRequest = (a) => { asked.add(a); if (asked.size >= 12 && !ac.signal.aborted) ac.abort(); };
    const started = await startCollection(t.db, checkerActor, { routeIds: [routeA], concurrency: 2, batchSize: 4, timeoutMs: 3000, signal: ac.signal });
    const first = await started.execute().finally(() => { onSimRequest = undefined; });
    expect(first.status).toBe('running');
    const run = await t.db.kysely.selectFrom('collection_runs').selectAll().where('id', '=', started.runId).executeTakeFirstOrThrow();
    expect(run.status).toBe('running');
    const doneBefore = (await t.db.kysely.selectFrom('collection_results').select('meter_id').where('run_id', '=', started.runId).execute()).map((r) => Number(r.meter_id));
    expect(doneBefore.length).toBeGreaterThanOrEqual(10);
    expect(doneBefore.length).toBeLessThanOrEqual(12);
    expect(inRoute.length).toBeGreaterThan(12);
    const reqBefore = sim.stats.requests;
    const checker = await t.login('checker');
    const r = await t.call('POST', `/api/v1/collection/runs/${started.runId}/resume`, { cookie: checker, body: { wait: true } });
    expect(r.status).toBe(200);
    expect(r.body.pending).toBe(inRoute.length - doneBefore.length);
    expect(r.body.summary).toMatchObject({ status: 'completed', total: inRoute.length, ok: inRoute.length, polled: inRoute.length - doneBefore.length });
    // only the rest was asked: requests = the remaining meters' DIs
    const requests = sim.stats.requests - reqBefore;
    const perMeterMax = 10;
    expect(requests).toBeLessThanOrEqual((inRoute.length - doneBefore.length) * perMeterMax);
    expect(requests).toBeGreaterThanOrEqual(inRoute.length - doneBefore.length);
    const results = await t.db.kysely.selectFrom('collection_results').select(['meter_id', 'read_at']).where('run_id', '=', started.runId).execute();
    expect(results).toHaveLength(inRoute.length);
    // resuming a completed run is refused
    const again = await t.call('POST', `/api/v1/collection/runs/${started.runId}/resume`, { cookie: checker, body: {} });
    expect(again.status).toBe(409);
    const audits = await t.db.kysely.selectFrom('audit_events').select('action').where('entity_type', '=', 'collection_run').where('entity_id', '=', String(started.runId)).execute();
    expect(audits).toHaveLength(1);
  });

  it('招测 reads one meter now and stores one reading per register through VEE', async () => {
    const reader = await t.login('reader');
    const m = meters.find((x) => x.code === 'ST01' && x.route === routeA)!;
    const n0 = await t.db.kysely.selectFrom('register_readings').select((eb) => eb.fn.countAll<number>().as('n')).where('meter_id', '=', m.meter_id).executeTakeFirstOrThrow();
    const r = await t.call('POST', `/api/v1/meters/${m.meter_id}/on-demand-read`, { cookie: reader });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ meterId: m.meter_id, accountId: m.account_id, ok: true, reason: null });
    expect(Object.keys(r.body.registers).sort()).toEqual([...m.registers].sort());
    expect(Number(r.body.registers.TOTAL)).toBeCloseTo((sim.meters[idx(m)].read('0001FF00', T) as number[])[0], 2);
    // consumption against the last accepted reading, else the install reading
    const total = r.body.readings.find((x: any) => x.register === 'TOTAL');
    const prev = await t.db.kysely.selectFrom('register_readings').select('value').where('meter_id', '=', m.meter_id).where('register', '=', 'TOTAL')
      .where('status', '=', 'accepted').where('id', '!=', total.readingId).orderBy('read_at', 'desc').executeTakeFirst();
    const before = prev ? String(prev.value) : m.initial.TOTAL;
    expect(total.status).toMatch(/accepted|pending_review/);
    if (scaled(total.value) >= scaled(before)) {
      expect(scaled(total.consumption)).toBe(((scaled(total.value) - scaled(before)) * scaled(m.multiplier) + SCALE / 2n) / SCALE);
    }
    const n1 = await t.db.kysely.selectFrom('register_readings').select((eb) => eb.fn.countAll<number>().as('n')).where('meter_id', '=', m.meter_id).executeTakeFirstOrThrow();
    expect(Number(n1.n) - Number(n0.n)).toBe(m.registers.length);
    const stored = await t.db.kysely.selectFrom('register_readings').select(['source']).where('id', '=', total.readingId).executeTakeFirstOrThrow();
    expect(stored.source).toBe('headend');
    const runs = await t.call('GET', '/api/v1/collection/runs?kind=on_demand', { cookie: reader });
    expect(runs.body.items[0]).toMatchObject({ id: r.body.runId, kind: 'on_demand', total: 1, ok: 1 });
  });

  it('permissions and data scope: a clerk cannot start a run or 招测; a reader cannot reach another 供电所', async () => {
    const clerk = await t.login('clerk');
    const reader = await t.login('reader');
    const m = meters.find((x) => x.route === routeA)!;
    expect((await t.call('POST', '/api/v1/collection/runs', { cookie: clerk, body: { routeIds: [routeA] } })).status).toBe(403);
    expect((await t.call('POST', `/api/v1/meters/${m.meter_id}/on-demand-read`, { cookie: clerk })).status).toBe(403);
    const other = meters.find((x) => x.code === 'ST02')!;
    const o1 = await t.call('POST', '/api/v1/collection/runs', { cookie: reader, body: { routeIds: [other.route] } });
    expect(o1.status).toBe(403);
    expect(o1.body.error.code).toBe('OUT_OF_SCOPE');
    expect((await t.call('POST', `/api/v1/meters/${other.meter_id}/on-demand-read`, { cookie: reader })).body.error.code).toBe('OUT_OF_SCOPE');
    const bad = await t.call('POST', '/api/v1/collection/runs', { cookie: reader, body: { routeIds: [routeA], dataDay: '2020-01-01' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('dataDay');
    const badRoute = await t.call('POST', '/api/v1/collection/runs', { cookie: reader, body: { routeIds: [routeA, 99999999] } });
    expect(badRoute.body.error.details.field).toBe('routeIds.1');
    // the clerk may look at the stats of their scope
    const runs = await t.call('GET', '/api/v1/collection/runs', { cookie: clerk });
    expect(runs.status).toBe(200);
    expect((await verifyAudit(t.db)).ok).toBe(true);
    const left = await sql<{ n: number }>`select count(*)::int as n from collection_runs where status = 'running'`.execute(t.db.kysely);
    expect(left.rows[0].n).toBe(0);
  });
});
