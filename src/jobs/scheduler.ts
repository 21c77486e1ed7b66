/**
 * In-process job scheduler for `voltline serve`: the nightly and periodic jobs that otherwise
 * only run from the command line (late-fee accrual, prepaid deduction, SLA check, missing
 * readings, reconnection check, SMS outbox).
 *
 * - A job is `{ name, schedule, run(db, now) }`; `schedule` is a daily wall-clock time 'HH:MM'
 *   in Asia/Shanghai (UTC+8, no DST — the same fixed offset as `shanghaiDate`, whatever the
 *   server's TZ) or an interval in seconds.
 * - One timer (unref'd) ticks every second; a due job whose previous run (scheduled or manual)
 *   is still going is not started again: the tick is skipped and the job starts on the first
 *   tick after that run ends. No catch-up of runs missed while the server was down.
 * - Every run is a `job_runs` row: inserted 'running', then 'ok' with the job's short JSON
 *   summary or 'failed' with the error message. A failure is logged (pino) and never stops the
 *   scheduler or the server.
 * - `stop()` clears the timer and awaits the running jobs (server close).
 * - One scheduler per process and database (`schedulerFor(db)`): the API's "run now" shares the
 *   same in-process guard. Several servers on one PostgreSQL: run the scheduler in one of them
 *   (VOLTLINE_SCHEDULER=off in the others).
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { inTx, type Actor } from '../app/context.js';
import { writeAudit } from '../app/audit/write-audit.js';
import { AppError, ValidationError } from '../domain/errors.js';
import '../db/schema-jobs.js';
import type { JobRunStatus, JobRunTrigger } from '../db/schema-jobs.js';

/** 'HH:MM' daily (Asia/Shanghai) or an interval in seconds. */
export type Schedule = string | number;

export interface JobDef {
  name: string;
  schedule: Schedule;
  /** what the job does, for the admin page */
  description?: { zh: string; en: string };
  /** the job's work; returns a short JSON-able summary */
  run(db: Db, now: Date): Promise<unknown>;
}

/** The subset of pino's logger the scheduler uses (Fastify's `app.log` fits). */
export interface SchedulerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface JobRun {
  id: number;
  jobName: string;
  trigger: JobRunTrigger;
  triggeredBy: number | null;
  startedAt: string;
  finishedAt: string | null;
  status: JobRunStatus;
  summary: unknown;
  error: string | null;
}

export interface JobStatus {
  name: string;
  schedule: Schedule;
  /** human form: 'daily 00:30 (Asia/Shanghai)' / 'every 30 s' */
  scheduleText: string;
  description: { zh: string; en: string } | null;
  running: boolean;
  /** next scheduled start; null when the scheduler is not running */
  nextRunAt: string | null;
  lastRun: JobRun | null;
}

const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
/** job_runs rows older than this are pruned (once an hour while the scheduler runs) */
export const JOB_RUNS_KEEP_DAYS = 30;
const SUMMARY_MAX_CHARS = 4000;

export function checkSchedule(s: Schedule, field = 'schedule'): Schedule {
  if (typeof s === 'number') {
    if (!Number.isFinite(s) || s <= 0) throw new ValidationError(field, `interval must be a positive number of seconds, got ${s}`);
    return s;
  }
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  if (!m) throw new ValidationError(field, `daily time must be HH:MM (00:00-23:59), got "${s}"`);
  return s;
}

export function scheduleText(s: Schedule): string {
  return typeof s === 'number' ? `every ${s} s` : `daily ${s} (Asia/Shanghai)`;
}

/**
 * The next start of a schedule strictly after `after` (daily) or `after + interval` (interval).
 * Daily times are Asia/Shanghai wall clock: nextRun('00:30', 2026-11-28T16:00Z) = 2026-11-28T16:30Z.
 */
export function nextRun(s: Schedule, after: Date): Date {
  if (typeof s === 'number') return new Date(after.getTime() + Math.round(s * 1000));
  const [hh, mm] = s.split(':').map(Number);
  const local = new Date(after.getTime() + SHANGHAI_OFFSET_MS);
  let t = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), hh, mm) - SHANGHAI_OFFSET_MS;
  if (t <= after.getTime()) t += DAY_MS;
  return new Date(t);
}

function summaryJson(v: unknown): string | null {
  if (v === undefined) return null;
  let text: string;
  try {
    text = JSON.stringify(v ?? null);
  } catch (e) {
    text = JSON.stringify({ unserialisable: String((e as Error).message) });
  }
  if (text.length > SUMMARY_MAX_CHARS) text = JSON.stringify({ truncated: text.slice(0, SUMMARY_MAX_CHARS) });
  return text;
}

function errorText(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = err && typeof err.message === 'string' ? err.message : String(e);
  const text = err instanceof AppError ? `${err.code}: ${msg}` : msg;
  return text.slice(0, 1000);
}

const silent: SchedulerLogger = { info() {}, warn() {}, error() {}, debug() {} };

export interface SchedulerOptions {
  jobs: JobDef[];
  log?: SchedulerLogger;
  /** the scheduler's clock (tests pass a fake one) */
  clock?: () => Date;
  /** how often the timer looks for due jobs; default 1000 ms */
  tickMs?: number;
}

type RunRow = { id: number; job_name: string; trigger: JobRunTrigger; triggered_by: number | null; started_at: Date; finished_at: Date | null; status: JobRunStatus; summary: unknown; error: string | null };

function toRun(r: RunRow): JobRun {
  return {
    id: Number(r.id), jobName: r.job_name, trigger: r.trigger, triggeredBy: r.triggered_by === null ? null : Number(r.triggered_by),
    startedAt: new Date(r.started_at).toISOString(), finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
    status: r.status, summary: r.summary ?? null, error: r.error,
  };
}

export class Scheduler {
  readonly jobs: ReadonlyArray<JobDef>;
  log: SchedulerLogger;
  private readonly clock: () => Date;
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly next = new Map<string, Date>();
  private readonly running = new Map<string, Promise<JobRun | null>>();
  private stopping = false;
  private lastPrune = 0;

  constructor(private readonly db: Db, opts: SchedulerOptions) {
    const seen = new Set<string>();
    for (const j of opts.jobs) {
      if (!/^[a-z0-9-]{1,60}$/.test(j.name)) throw new ValidationError('name', `job name must be 1-60 of a-z 0-9 -, got "${j.name}"`);
      if (seen.has(j.name)) throw new ValidationError('name', `duplicate job ${j.name}`);
      seen.add(j.name);
      checkSchedule(j.schedule, `${j.name}.schedule`);
    }
    this.jobs = opts.jobs;
    this.log = opts.log ?? silent;
    this.clock = opts.clock ?? (() => new Date());
    this.tickMs = opts.tickMs ?? 1000;
  }

  get started(): boolean {
    return this.timer !== null;
  }

  job(name: string): JobDef {
    const j = this.jobs.find((x) => x.name === name);
    if (!j) throw new AppError('NOT_FOUND', `no scheduled job named "${name}" (jobs: ${this.jobs.map((x) => x.name).join(', ')})`, { entity: 'job', id: name, field: 'name' });
    return j;
  }

  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /** Start the timer. Runs left 'running' by a process that died are closed as failed. */
  async start(): Promise<void> {
    if (this.timer || this.stopping) return;
    const now = this.clock();
    try {
      const stale = await this.db.kysely.updateTable('job_runs')
        .set({ status: 'failed', finished_at: now, error: 'interrupted: the server stopped during the run' })
        .where('status', '=', 'running').where('job_name', 'in', this.jobs.map((j) => j.name)).executeTakeFirst();
      if (Number(stale.numUpdatedRows)) this.log.warn({ runs: Number(stale.numUpdatedRows) }, 'scheduler: closed job runs left running by a previous process');
    } catch (e) {
      this.log.error({ err: e }, 'scheduler: could not close stale job runs');
    }
    for (const j of this.jobs) this.next.set(j.name, nextRun(j.schedule, now));
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
    this.log.info({ jobs: this.jobs.map((j) => `${j.name} ${scheduleText(j.schedule)}`) }, 'scheduler started');
  }

  /** Stop the timer and wait for running jobs (their runs are still recorded). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.next.clear();
    if (perDb.get(this.db) === this) perDb.delete(this.db); // a later server on this db gets a fresh one
    await Promise.allSettled([...this.running.values()]);
  }

  /** One look at the clock: start every due job that is not running. Returns the names started. */
  tick(): string[] {
    if (this.stopping) return [];
    const now = this.clock();
    const started: string[] = [];
    for (const j of this.jobs) {
      const due = this.next.get(j.name);
      if (!due || now.getTime() < due.getTime()) continue;
      if (this.running.has(j.name)) {
        this.log.debug({ job: j.name }, 'scheduler: previous run still going, tick skipped');
        continue;
      }
      this.next.set(j.name, nextRun(j.schedule, now));
      started.push(j.name);
      void this.execute(j, 'schedule', null);
    }
    if (now.getTime() - this.lastPrune >= 3_600_000) {
      this.lastPrune = now.getTime();
      void this.prune(now);
    }
    return started;
  }

  private async prune(now: Date): Promise<void> {
    try {
      await this.db.kysely.deleteFrom('job_runs').where('started_at', '<', new Date(now.getTime() - JOB_RUNS_KEEP_DAYS * DAY_MS)).where('status', '<>', 'running').execute();
    } catch (e) {
      this.log.warn({ err: e }, 'scheduler: pruning job_runs failed');
    }
  }

  /**
   * Run a job now on behalf of a user (API "立即执行"): the job_runs row and the audit event
   * commit together; then the job runs and its row is closed. CONFLICT when it is already running.
   */
  async runNow(name: string, actor: Actor): Promise<JobRun> {
    const j = this.job(name);
    if (this.running.has(name)) throw new AppError('CONFLICT', `job ${name} is already running`, { job: name });
    if (this.stopping) throw new AppError('CONFLICT', `job ${name}: the scheduler is stopping`, { job: name });
    const r = await this.execute(j, 'manual', actor);
    if (!r) throw new AppError('CONFLICT', `job ${name} could not be recorded`, { job: name });
    return r;
  }

  /** Run one job once, recorded. Resolves to the finished run (null if the run row could not be written). Never throws. */
  execute(j: JobDef, trigger: JobRunTrigger, actor: Actor | null): Promise<JobRun | null> {
    const p = this.doExecute(j, trigger, actor).finally(() => {
      if (this.running.get(j.name) === p) this.running.delete(j.name);
    });
    this.running.set(j.name, p);
    return p;
  }

  private async doExecute(j: JobDef, trigger: JobRunTrigger, actor: Actor | null): Promise<JobRun | null> {
    const startedAt = this.clock();
    let runId: number;
    try {
      runId = await inTx(this.db, async (trx) => {
        const row = await trx.insertInto('job_runs')
          .values({ job_name: j.name, trigger, triggered_by: actor?.userId ?? null, started_at: startedAt, status: 'running' })
          .returning('id').executeTakeFirstOrThrow();
        if (actor) {
          await writeAudit(trx, actor, { action: 'job.run', entityType: 'job', entityId: j.name, after: { runId: Number(row.id), job: j.name, trigger } });
        }
        return Number(row.id);
      });
    } catch (e) {
      this.log.error({ err: e, job: j.name }, 'scheduler: could not record the job run; job not started');
      if (actor) throw e; // the API caller sees why
      return null;
    }
    this.log.info({ job: j.name, runId, trigger }, 'job started');
    const t0 = performance.now();
    let status: JobRunStatus = 'ok';
    let summary: string | null = null;
    let error: string | null = null;
    try {
      summary = summaryJson(await j.run(this.db, startedAt));
    } catch (e) {
      status = 'failed';
      error = errorText(e);
      this.log.error({ err: e, job: j.name, runId }, `job ${j.name} failed: ${error}`);
    }
    const ms = Math.round(performance.now() - t0);
    const finishedAt = new Date(Math.max(this.clock().getTime(), startedAt.getTime()));
    try {
      const row = await this.db.kysely.updateTable('job_runs').set({ finished_at: finishedAt, status, summary, error }).where('id', '=', runId)
        .returningAll().executeTakeFirstOrThrow();
      if (status === 'ok') this.log.info({ job: j.name, runId, ms }, 'job finished');
      return toRun(row as RunRow);
    } catch (e) {
      this.log.error({ err: e, job: j.name, runId }, 'scheduler: could not record the end of the job run');
      return null;
    }
  }

  /** Every job with its schedule, last run, whether it runs now and the next start. */
  async list(): Promise<JobStatus[]> {
    const names = this.jobs.map((j) => j.name);
    if (!names.length) return [];
    const { rows } = await sql<RunRow>`
      select distinct on (job_name) id, job_name, trigger, triggered_by, started_at, finished_at, status, summary, error
        from job_runs where job_name in (${sql.join(names)})
       order by job_name, started_at desc, id desc`.execute(this.db.kysely);
    const last = new Map(rows.map((r) => [r.job_name, toRun(r)]));
    return this.jobs.map((j) => ({
      name: j.name, schedule: j.schedule, scheduleText: scheduleText(j.schedule), description: j.description ?? null,
      running: this.running.has(j.name), nextRunAt: this.next.get(j.name)?.toISOString() ?? null, lastRun: last.get(j.name) ?? null,
    }));
  }

  /** The newest runs of one job. */
  async runs(name: string, limit = 20): Promise<JobRun[]> {
    this.job(name);
    const rows = await this.db.kysely.selectFrom('job_runs').selectAll().where('job_name', '=', name).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => toRun(r as RunRow));
  }
}

const perDb = new WeakMap<Db, Scheduler>();

/**
 * The process's scheduler of a database, created on first use with the built-in jobs
 * (src/jobs/scheduled-jobs.ts) unless `opts.jobs` is given. The API routes and `serve` share it.
 */
export async function schedulerFor(db: Db, opts: Partial<SchedulerOptions> & { smsGatewayUrl?: string; smsGatewayToken?: string } = {}): Promise<Scheduler> {
  let s = perDb.get(db);
  if (!s) {
    const jobs = opts.jobs ?? (await import('./scheduled-jobs.js')).defaultJobs({ smsGatewayUrl: opts.smsGatewayUrl, smsGatewayToken: opts.smsGatewayToken });
    s = new Scheduler(db, { ...opts, jobs });
    perDb.set(db, s);
  } else if (opts.log) s.log = opts.log;
  return s;
}

/** Use this scheduler for `db` (tests). */
export function setSchedulerFor(db: Db, s: Scheduler): void {
  perDb.set(db, s);
}
