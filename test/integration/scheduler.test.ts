/**
 * In-process job scheduler (src/jobs/scheduler.ts): due jobs run on a fake clock and are
 * recorded in job_runs, a job never overlaps itself, a failing job is recorded failed and the
 * scheduler keeps going, stop() waits for a running job; the API lists the built-in jobs, runs
 * one now (audited), names an unknown job (404) and refuses non-administrators (403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { nextRun, Scheduler, type JobDef } from '../../src/jobs/scheduler.js';
import { readEnv } from '../../src/config/env.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';

describe('scheduler schedules and settings (no database)', () => {
  it('daily times are Asia/Shanghai wall clock; intervals add seconds', () => {
    // 2026-11-29 00:00 in Shanghai = 2026-11-28T16:00Z
    expect(nextRun('00:30', new Date('2026-11-28T16:00:00Z')).toISOString()).toBe('2026-11-28T16:30:00.000Z');
    expect(nextRun('00:30', new Date('2026-11-28T16:30:00Z')).toISOString()).toBe('2026-11-29T16:30:00.000Z');
    expect(nextRun('07:00', new Date('2026-11-28T10:00:00Z')).toISOString()).toBe('2026-11-28T23:00:00.000Z');
    expect(nextRun(300, new Date('2026-11-28T10:00:00Z')).toISOString()).toBe('2026-11-28T10:05:00.000Z');
  });

  it('VOLTLINE_SCHEDULER: on by default, off under NODE_ENV=test or when set off', () => {
    expect(readEnv({}).scheduler).toBe(true);
    expect(readEnv({ NODE_ENV: 'test' }).scheduler).toBe(false);
    expect(readEnv({ NODE_ENV: 'test', VOLTLINE_SCHEDULER: 'on' }).scheduler).toBe(true);
    expect(readEnv({ VOLTLINE_SCHEDULER: 'off' }).scheduler).toBe(false);
    expect(() => readEnv({ VOLTLINE_SCHEDULER: 'maybe' })).toThrow(/VOLTLINE_SCHEDULER/);
  });

  it('refuses a bad schedule or job name', () => {
    const run = async () => null;
    expect(() => new Scheduler(null as never, { jobs: [{ name: 'x', schedule: '24:00', run }] })).toThrow(/HH:MM/);
    expect(() => new Scheduler(null as never, { jobs: [{ name: 'x', schedule: 0, run }] })).toThrow(/positive/);
    expect(() => new Scheduler(null as never, { jobs: [{ name: 'Bad Name', schedule: 10, run }] })).toThrow(/job name/);
  });
});

describe.each(engines())('job scheduler on %s', (engine) => {
  let t: TestApp;
  let admin: string;
  let clerk: string;

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 30 });
    admin = await t.login('admin');
    clerk = await t.login('clerk');
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  const runsOf = (name: string) => t.db.kysely.selectFrom('job_runs').selectAll().where('job_name', '=', name).orderBy('id').execute();
  const waitFor = async (cond: () => Promise<boolean>, ms = 20_000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('runs a due job on a fake clock, records it, and never starts a second run while one is going', async () => {
    let now = new Date('2026-11-28T10:00:00Z');
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    let release: () => void = () => {};
    const seen: string[] = [];
    const job: JobDef = {
      name: 'test-slow', schedule: 60,
      async run(_db, at) {
        calls++;
        active++;
        maxActive = Math.max(maxActive, active);
        seen.push(at.toISOString());
        await new Promise<void>((r) => (release = r));
        active--;
        return { call: calls };
      },
    };
    const s = new Scheduler(t.db, { jobs: [job], clock: () => now, tickMs: 3_600_000 });
    await s.start();
    expect((await s.list())[0]).toMatchObject({ name: 'test-slow', nextRunAt: '2026-11-28T10:01:00.000Z', lastRun: null, running: false });
    expect(s.tick()).toEqual([]); // not due yet
    now = new Date('2026-11-28T10:01:00Z');
    expect(s.tick()).toEqual(['test-slow']);
    await waitFor(async () => calls === 1);
    let rows = await runsOf('test-slow');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'running', trigger: 'schedule', finished_at: null });
    // two more periods pass while the first run is still going: ticks are skipped
    now = new Date('2026-11-28T10:02:00Z');
    expect(s.tick()).toEqual([]);
    now = new Date('2026-11-28T10:03:30Z');
    expect(s.tick()).toEqual([]);
    expect(s.isRunning('test-slow')).toBe(true);
    expect((await s.list())[0].running).toBe(true);
    // a manual run is refused while it runs
    await expect(s.runNow('test-slow', { userId: null, username: 'x', displayName: 'x', orgUnitId: null, orgPath: '', roles: [], permissions: new Set(['*']) })).rejects.toMatchObject({ code: 'CONFLICT' });
    release();
    await waitFor(async () => !s.isRunning('test-slow'));
    rows = await runsOf('test-slow');
    expect(rows[0]).toMatchObject({ status: 'ok', summary: { call: 1 }, error: null });
    expect(rows[0].finished_at).not.toBeNull();
    // the skipped tick is taken on the first tick after the run ended
    expect(s.tick()).toEqual(['test-slow']);
    await waitFor(async () => calls === 2);
    expect(seen).toEqual(['2026-11-28T10:01:00.000Z', '2026-11-28T10:03:30.000Z']);
    expect((await s.list())[0].nextRunAt).toBe('2026-11-28T10:04:30.000Z');
    // stop() waits for the running job
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(maxActive).toBe(1);
    rows = await runsOf('test-slow');
    expect(rows.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect(s.tick()).toEqual([]); // stopped: nothing starts any more
  });

  it('records a failing job as failed with its message and keeps running the others', async () => {
    let now = new Date('2026-11-28T10:00:00Z');
    let okRuns = 0;
    let failRuns = 0;
    const s = new Scheduler(t.db, {
      clock: () => now, tickMs: 3_600_000,
      jobs: [
        { name: 'test-fails', schedule: 30, run: async () => { failRuns++; throw new Error('boom: gateway down'); } },
        { name: 'test-ok', schedule: 30, run: async () => { okRuns++; return { n: okRuns }; } },
      ],
    });
    const logged: string[] = [];
    s.log = { info() {}, warn() {}, debug() {}, error: (_o, m) => { logged.push(String(m)); } };
    await s.start();
    for (let i = 1; i <= 3; i++) {
      now = new Date(now.getTime() + 30_000);
      expect(s.tick().sort()).toEqual(['test-fails', 'test-ok']);
      await waitFor(async () => !s.isRunning('test-fails') && !s.isRunning('test-ok'));
    }
    await s.stop();
    expect(failRuns).toBe(3);
    expect(okRuns).toBe(3);
    const failed = await runsOf('test-fails');
    expect(failed.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
    expect(failed[0].error).toBe('boom: gateway down');
    expect(failed[0].summary).toBeNull();
    expect((await runsOf('test-ok')).map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(logged.some((m) => m.includes('test-fails') && m.includes('boom'))).toBe(true);
  });

  it('runs on its real unref\'d timer with a short interval', async () => {
    let calls = 0;
    const s = new Scheduler(t.db, { tickMs: 10, jobs: [{ name: 'test-timer', schedule: 0.05, run: async () => ({ n: ++calls }) }] });
    await s.start();
    await waitFor(async () => (await runsOf('test-timer')).filter((r) => r.status === 'ok').length >= 2);
    await s.stop();
    const n = (await runsOf('test-timer')).length;
    await new Promise((r) => setTimeout(r, 150));
    expect((await runsOf('test-timer')).length).toBe(n); // stopped
    expect((await runsOf('test-timer')).every((r) => r.status === 'ok')).toBe(true);
  });

  it('API: lists the built-in jobs with schedules, last and next run (scheduler off in tests)', async () => {
    const r = await t.call('GET', '/api/v1/system/jobs', { cookie: admin });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.scheduler).toEqual({ enabled: false });
    const byName = Object.fromEntries(r.body.items.map((j: any) => [j.name, j]));
    expect(Object.keys(byName).sort()).toEqual(['accrue-late-fees', 'arrears-remind', 'missing-readings', 'prepaid-deduct', 'reconnect-check', 'send-messages', 'sla-check']);
    expect(byName['accrue-late-fees']).toMatchObject({ schedule: '00:30', scheduleText: 'daily 00:30 (Asia/Shanghai)', nextRunAt: null, lastRun: null, running: false });
    expect(byName['prepaid-deduct'].schedule).toBe('01:00');
    expect(byName['missing-readings'].schedule).toBe('06:00');
    expect(byName['sla-check'].schedule).toBe('07:00');
    expect(byName['arrears-remind'].schedule).toBe('09:00');
    expect(byName['reconnect-check'].schedule).toBe(300);
    expect(byName['send-messages'].schedule).toBe(30);
    expect(byName['sla-check'].description.zh).toBeTruthy();
  });

  it('API: run now executes the job, records a manual run and audits it; every built-in job runs on the demo data', async () => {
    const adminId = (await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'admin').executeTakeFirstOrThrow()).id;
    const r = await t.call('POST', '/api/v1/system/jobs/reconnect-check/run', { cookie: admin });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ jobName: 'reconnect-check', trigger: 'manual', triggeredBy: adminId, status: 'ok', error: null });
    expect(r.body.summary).toHaveProperty('checkedAccounts');
    const audit = await t.db.kysely.selectFrom('audit_events').selectAll().where('action', '=', 'job.run').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ entity_type: 'job', entity_id: 'reconnect-check', actor_name: 'admin' });
    expect(audit[0].after).toMatchObject({ runId: r.body.id, trigger: 'manual' });

    const list = await t.call('GET', '/api/v1/system/jobs', { cookie: admin });
    expect(list.body.items.find((j: any) => j.name === 'reconnect-check').lastRun).toMatchObject({ id: r.body.id, status: 'ok' });

    for (const name of ['accrue-late-fees', 'prepaid-deduct', 'missing-readings', 'sla-check', 'arrears-remind', 'send-messages']) {
      const x = await t.call('POST', `/api/v1/system/jobs/${name}/run`, { cookie: admin });
      expect(x.status, JSON.stringify(x.body)).toBe(200);
      expect(x.body.status, `${name}: ${x.body.error}`).toBe('ok');
    }
    // no SMS gateway configured in tests: the outbox job says so instead of failing
    const sms = await t.call('GET', '/api/v1/system/jobs/send-messages/runs', { cookie: admin });
    expect(sms.body.items[0].summary.skipped).toMatch(/no SMS gateway/);
    const remind = await t.call('GET', '/api/v1/system/jobs/arrears-remind/runs', { cookie: admin });
    expect(remind.body.items[0].summary).toHaveProperty('reminded');
    expect(await t.db.kysely.selectFrom('audit_events').select('id').where('action', '=', 'job.run').execute()).toHaveLength(7);
    expect((await verifyAudit(t.db)).ok).toBe(true);
  }, 120_000);

  it('job_runs.id is an identity column (voltline restore resets identity sequences)', async () => {
    const { sql } = await import('kysely');
    const r = await sql<{ is_identity: string }>`select is_identity from information_schema.columns where table_name = 'job_runs' and column_name = 'id'`.execute(t.db.kysely);
    expect(r.rows[0].is_identity).toBe('YES');
  });

  it('API: an unknown job is a 404 naming it; a non-administrator gets 403 and nothing runs', async () => {
    const r = await t.call('POST', '/api/v1/system/jobs/no-such-job/run', { cookie: admin });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('NOT_FOUND');
    expect(r.body.error.message).toContain('no-such-job');
    const before = await t.db.kysely.selectFrom('job_runs').select('id').execute();
    const g = await t.call('GET', '/api/v1/system/jobs', { cookie: clerk });
    expect(g.status).toBe(403);
    expect(g.body.error.code).toBe('FORBIDDEN');
    const p = await t.call('POST', '/api/v1/system/jobs/reconnect-check/run', { cookie: clerk });
    expect(p.status).toBe(403);
    expect((await t.call('POST', '/api/v1/system/jobs/reconnect-check/run')).status).toBe(401);
    expect(await t.db.kysely.selectFrom('job_runs').select('id').execute()).toHaveLength(before.length);
  });
});
