/**
 * Billing runs (电费核算): create a run for a period and a scope, split it into account-id range
 * partitions, and let one or more workers bill the partitions.
 *
 * - A worker claims a partition in a short transaction with `FOR UPDATE SKIP LOCKED` (pending, or
 *   claimed by a worker whose heartbeat is older than `staleAfterMs`), then bills it in ONE
 *   transaction: bulk loads (accounts, readings, history, existing bills — a handful of queries per
 *   partition, not per account), rates each account with the rating engine, COPYs bills and
 *   lines, and marks the partition done only if it still holds the claim. A kill -9 anywhere
 *   leaves the partition either fully written or not written at all; the unique index
 *   bills_one_real_uq makes a second real bill for the same account and period impossible.
 * - PostgreSQL: several processes (`voltline bill-worker`) share a run. PGlite: the single
 *   connection serialises them — same code path.
 * - Readings accepted or created after the run was created (`reading_cutoff`) are not used.
 * - Accounts that cannot be rated are never skipped silently: they get a bill in status review
 *   with an exception code (the exception list) and no lines.
 */
import os from 'node:os';
import crypto from 'node:crypto';
import { sql, type Expression, type SqlBool } from 'kysely';
import type { Db } from '../../db/database.js';
import { CopyWriter } from '../../db/copy-writer.js';
import type { BillingRunsTable } from '../../db/schema-billing.js';
import '../../db/schema-billing.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import type { BillDraft } from '../../domain/billing/bill-account.js';
import { storedDeterminants, type AccountFacts, type ReadingFact } from '../../domain/billing/determinants.js';
import { FastBiller } from '../../domain/billing/fast.js';
import { DEFAULT_REVIEW_RULES, type ReviewRuleSet } from '../../domain/billing/review.js';
import { asTariffVersion } from '../../domain/rating/rate-bill.js';
import type { TariffVersion } from '../../domain/tariffs/schema.js';
import { inTx, requirePermission, SYSTEM_ACTOR, type Actor, type Q, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { escapeLike } from '../security/users.js';
import type { Selectable } from 'kysely';

const PERIOD_RE = /^\d{4}-(0[1-9]|1[0-2])$/;
const ACTIVE_RUN = ['created', 'running', 'review'] as const;
export const DEFAULT_PARTITION_SIZE = 2000;
export const DEFAULT_STALE_MS = 60_000;

export interface RunScope {
  orgUnitIds?: number[];
  routeIds?: number[];
  accountIds?: number[];
}

/** What the workers apply: org units already expanded to their subtrees; null = no restriction. */
export interface RunFilter {
  orgUnitIds: number[] | null;
  routeIds: number[] | null;
  accountIds: number[] | null;
}

export interface CreateRunInput extends RunScope {
  period: string;
  trial?: boolean;
  partitionSize?: number;
}

type RunRow = Selectable<BillingRunsTable>;

function sortedUnique(a: number[] | undefined | null): number[] | null {
  if (!a || a.length === 0) return null;
  return [...new Set(a)].sort((x, y) => x - y);
}

/** SQL predicate over `accounts as a` for a run filter (plus: not closed, not on an active prepaid plan). */
export function filterSql(f: RunFilter, alias = 'a'): Expression<SqlBool> {
  const parts = [
    sql`${sql.ref(`${alias}.status`)} <> 'closed'`,
    // prepaid accounts on an active plan pay by daily deduction (src/app/payments/prepaid.ts), not by a monthly bill
    sql`not exists (select 1 from prepaid_plans pp where pp.account_id = ${sql.ref(`${alias}.id`)} and pp.status = 'active')`,
  ];
  if (f.orgUnitIds) parts.push(sql`${sql.ref(`${alias}.org_unit_id`)} = any(${f.orgUnitIds}::bigint[])`);
  if (f.routeIds) parts.push(sql`${sql.ref(`${alias}.reading_route_id`)} = any(${f.routeIds}::bigint[])`);
  if (f.accountIds) parts.push(sql`${sql.ref(`${alias}.id`)} = any(${f.accountIds}::bigint[])`);
  return sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
}

async function subtreeIds(q: Q, paths: string[]): Promise<number[]> {
  const ids = new Set<number>();
  for (const p of paths) {
    for (const r of await q.selectFrom('org_units').select('id').where('path', 'like', escapeLike(p) + '%').execute()) ids.add(r.id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** Resolve and check a requested scope against the actor's data scope. */
async function resolveFilter(trx: Trx, actor: Actor, s: RunScope): Promise<RunFilter> {
  let orgUnitIds: number[] | null = null;
  const reqOrgs = sortedUnique(s.orgUnitIds);
  if (reqOrgs) {
    const rows = await trx.selectFrom('org_units').select(['id', 'path']).where('id', 'in', reqOrgs).execute();
    for (const [i, id] of reqOrgs.entries()) {
      const r = rows.find((x) => x.id === id);
      if (!r) throw new ValidationError(`orgUnitIds.${i}`, `org unit ${id} not found`);
      if (!(actor.orgPath === '' || r.path.startsWith(actor.orgPath))) throw new AppError('OUT_OF_SCOPE', `orgUnitIds.${i}: org unit ${id} is outside your data scope`, { field: `orgUnitIds.${i}` });
    }
    orgUnitIds = await subtreeIds(trx, rows.map((r) => r.path));
  } else if (actor.orgPath !== '' && actor.orgPath !== '/') {
    orgUnitIds = await subtreeIds(trx, [actor.orgPath]);
  }
  const routeIds = sortedUnique(s.routeIds);
  if (routeIds) {
    const rows = await trx.selectFrom('reading_routes as r').innerJoin('org_units as o', 'o.id', 'r.org_unit_id').select(['r.id', 'o.path']).where('r.id', 'in', routeIds).execute();
    for (const [i, id] of routeIds.entries()) {
      const r = rows.find((x) => x.id === id);
      if (!r) throw new ValidationError(`routeIds.${i}`, `reading route ${id} not found`);
      if (!(actor.orgPath === '' || r.path.startsWith(actor.orgPath))) throw new AppError('OUT_OF_SCOPE', `routeIds.${i}: route ${id} is outside your data scope`, { field: `routeIds.${i}` });
    }
  }
  const accountIds = sortedUnique(s.accountIds);
  if (accountIds) {
    if (accountIds.length > 100_000) throw new ValidationError('accountIds', 'at most 100,000 accounts (use org units or routes)');
    const rows = await trx.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').select(['a.id', 'o.path']).where('a.id', 'in', accountIds).execute();
    const byId = new Map(rows.map((r) => [r.id, r.path]));
    for (const [i, id] of accountIds.entries()) {
      const p = byId.get(id);
      if (p === undefined) throw new ValidationError(`accountIds.${i}`, `account ${id} not found`);
      if (!(actor.orgPath === '' || p.startsWith(actor.orgPath))) throw new AppError('OUT_OF_SCOPE', `accountIds.${i}: account ${id} is outside your data scope`, { field: `accountIds.${i}` });
    }
  }
  return { orgUnitIds, routeIds, accountIds };
}

export function runOut(r: RunRow) {
  return {
    id: r.id,
    period: r.period,
    scope: r.scope,
    trial: r.trial,
    status: r.status,
    totalAccounts: r.total_accounts,
    partitions: r.partitions,
    bills: r.bills,
    exceptions: r.exceptions,
    flagged: r.flagged,
    skipped: r.skipped,
    energyKwh: r.energy_kwh,
    amountTotal: r.amount_total,
    readingCutoff: r.reading_cutoff,
    startedBy: r.started_by,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    issuedAt: r.issued_at,
    error: r.error,
  };
}

/**
 * Create a billing run (or join the unfinished real run with the same period and scope).
 * A second unfinished real run whose accounts overlap a different scope is refused (409).
 */
export async function createRun(db: Db, actor: Actor, input: CreateRunInput): Promise<{ run: ReturnType<typeof runOut>; joined: boolean }> {
  requirePermission(actor, 'billing.run');
  if (!PERIOD_RE.test(String(input.period ?? ''))) throw new ValidationError('period', 'must be YYYY-MM');
  const size = input.partitionSize ?? DEFAULT_PARTITION_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > 100_000) throw new ValidationError('partitionSize', 'must be an integer 1..100000');
  const trial = input.trial === true;
  return inTx(db, async (trx) => {
    const filter = await resolveFilter(trx, actor, input);
    const scopeKey = JSON.stringify(filter);
    if (!trial) {
      await sql`select pg_advisory_xact_lock(hashtext(${'billing_run:' + input.period}))`.execute(trx);
      const active = await trx.selectFrom('billing_runs').selectAll().where('period', '=', input.period).where('trial', '=', false).where('status', 'in', [...ACTIVE_RUN]).orderBy('id').execute();
      for (const r of active) {
        if (r.scope_key === scopeKey) return { run: runOut(r), joined: true };
        const other = r.filter as RunFilter;
        const hit = await trx.selectFrom('accounts as a').select('a.id').where(filterSql(filter)).where(filterSql(other)).limit(1).executeTakeFirst();
        if (hit) {
          throw new AppError('CONFLICT', `billing run ${r.id} for ${r.period} (${r.status}) already covers some of these accounts (e.g. account ${hit.id}); finish or cancel it first`, { runId: r.id, field: 'scope' });
        }
      }
    }
    const created = await trx
      .insertInto('billing_runs')
      .values({
        period: input.period,
        scope: JSON.stringify({ orgUnitIds: input.orgUnitIds ?? null, routeIds: input.routeIds ?? null, accountIds: input.accountIds ?? null }),
        filter: JSON.stringify(filter),
        scope_key: scopeKey,
        trial,
        reading_cutoff: sql<Date>`now()` as never,
        options: JSON.stringify({ partitionSize: size, reviewRules: DEFAULT_REVIEW_RULES.version }),
        started_by: actor.userId,
      })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    const runId = created.id;
    await sql`insert into billing_run_partitions (run_id, part_no, account_from, account_to, accounts)
      select ${runId}::bigint, part_no, min(id), max(id), count(*)::int from (
        select a.id, ((row_number() over (order by a.id)) - 1) / ${size}::int as part_no from accounts a where ${filterSql(filter)}
      ) x group by part_no`.execute(trx);
    const agg = await trx.selectFrom('billing_run_partitions').select([sql<number>`count(*)::int`.as('parts'), sql<number>`coalesce(sum(accounts), 0)::int`.as('accounts')]).where('run_id', '=', runId).executeTakeFirstOrThrow();
    if (agg.accounts === 0) throw new ValidationError('scope', 'no billable accounts in this scope');
    const run = await trx.updateTable('billing_runs').set({ partitions: agg.parts, total_accounts: agg.accounts }).where('id', '=', runId).returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'billing_run.create', entityType: 'billing_run', entityId: runId, orgUnitId: actor.orgUnitId, after: { period: run.period, trial, scope: input, accounts: agg.accounts, partitions: agg.parts } });
    return { run: runOut(run), joined: false };
  });
}

/** Progress of a run from its partitions: done/total accounts, rate, ETA. */
export async function runProgress(q: Q, runId: number) {
  const run = await q.selectFrom('billing_runs').selectAll().where('id', '=', runId).executeTakeFirst();
  if (!run) throw new AppError('NOT_FOUND', `billing run ${runId} not found`);
  const p = await q
    .selectFrom('billing_run_partitions')
    .select([
      sql<number>`count(*) filter (where status = 'done')::int`.as('partsDone'),
      sql<number>`count(*) filter (where status = 'claimed')::int`.as('partsClaimed'),
      sql<number>`coalesce(sum(accounts) filter (where status = 'done'), 0)::int`.as('accountsDone'),
      sql<number>`coalesce(sum(bills), 0)::int`.as('bills'),
      sql<number>`coalesce(sum(exceptions), 0)::int`.as('exceptions'),
      sql<number>`coalesce(sum(flagged), 0)::int`.as('flagged'),
      sql<number>`coalesce(sum(skipped), 0)::int`.as('skipped'),
      sql<string>`coalesce(sum(amount_total), 0)::text`.as('amount'),
      sql<Date | null>`max(finished_at)`.as('lastDone'),
    ])
    .where('run_id', '=', runId)
    .executeTakeFirstOrThrow();
  const start = run.started_at ? new Date(run.started_at).getTime() : null;
  const end = run.finished_at ? new Date(run.finished_at).getTime() : Date.now();
  const secs = start ? Math.max(0.001, (end - start) / 1000) : 0;
  const rate = start && p.accountsDone ? p.accountsDone / secs : 0;
  const remaining = run.total_accounts - p.accountsDone;
  return {
    run: runOut(run),
    progress: {
      accountsDone: p.accountsDone,
      accountsTotal: run.total_accounts,
      partitionsDone: p.partsDone,
      partitionsClaimed: p.partsClaimed,
      partitionsTotal: run.partitions,
      bills: p.bills,
      exceptions: p.exceptions,
      flagged: p.flagged,
      skipped: p.skipped,
      amountTotal: p.amount,
      elapsedSeconds: Math.round(secs * 10) / 10,
      accountsPerSecond: Math.round(rate),
      etaSeconds: rate > 0 ? Math.round(remaining / rate) : null,
    },
  };
}

// ---------------------------------------------------------------- workers

export interface WorkOptions {
  /** a claim whose heartbeat is older than this is taken over (crashed worker) */
  staleAfterMs?: number;
  /** wait for partitions other workers hold (to take them over when stale); default true */
  waitForOthers?: boolean;
  pollMs?: number;
  /** stop after this many partitions (tests: simulate a crash between partitions) */
  maxPartitions?: number;
  rules?: ReviewRuleSet;
  onProgress?: (p: { partNo: number; bills: number; exceptions: number; ms: { load: number; rate: number; write: number; loadCpu: number; rateCpu: number; writeCpu: number } }) => void;
  /** test hook: called inside the partition transaction after the bills are written, before done */
  beforeCommit?: (partNo: number) => Promise<void> | void;
}

export function newWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
}

interface Claimed {
  part_no: number;
  account_from: number;
  account_to: number;
}

async function claimPartition(db: Db, runId: number, workerId: string, staleMs: number): Promise<Claimed | null> {
  return inTx(db, async (trx) => {
    const { rows } = await sql<Claimed>`
      update billing_run_partitions p
         set status = 'claimed', claimed_by = ${workerId}, claimed_at = now(), heartbeat_at = now(), attempts = p.attempts + 1
       where (p.run_id, p.part_no) = (
         select run_id, part_no from billing_run_partitions
          where run_id = ${runId}
            and exists (select 1 from billing_runs r where r.id = ${runId} and r.status in ('created', 'running'))
            and (status = 'pending' or (status = 'claimed' and heartbeat_at < now() - make_interval(secs => ${staleMs / 1000}::float8)))
          order by part_no
          limit 1
          for update skip locked)
      returning p.part_no, p.account_from, p.account_to`.execute(trx);
    if (rows.length === 0) return null;
    await trx.updateTable('billing_runs').set({ status: 'running', started_at: sql<Date>`coalesce(started_at, now())` as never, updated_at: sql<Date>`now()` as never }).where('id', '=', runId).where('status', '=', 'created').execute();
    return rows[0];
  });
}

const pgArrayOne = (s: string) => (/^[A-Za-z0-9_.:-]+$/.test(s) ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
const pgArrayCache = new Map<string, string>();
/** text[] literal; the few distinct values (tariff codes, flags) are cached. */
function pgArray(a: string[]): string {
  if (a.length === 0) return '{}';
  const key = a.length === 1 ? a[0] : a.join('\u0001');
  let v = pgArrayCache.get(key);
  if (v === undefined) {
    v = `{${a.map(pgArrayOne).join(',')}}`;
    if (pgArrayCache.size < 10_000) pgArrayCache.set(key, v);
  }
  return v;
}

/** 元 string with ≤ 2 decimals → 分 (exact). */
function toFen(s: string): number {
  const neg = s.charCodeAt(0) === 45;
  const t = neg ? s.slice(1) : s;
  const dot = t.indexOf('.');
  const v = dot < 0 ? Number(t) * 100 : Number(t.slice(0, dot) || '0') * 100 + Number((t.slice(dot + 1) + '00').slice(0, 2));
  return neg ? -v : v;
}

export const BILL_COLS = ['id', 'account_id', 'run_id', 'period', 'trial', 'status', 'org_unit_id', 'account_no', 'customer_class', 'tariff_codes', 'tariff_refs', 'period_start', 'period_end', 'days', 'energy_kwh', 'amount_total', 'determinants', 'review_flags', 'exception_code', 'warnings'];
export const LINE_COLS = ['account_id', 'bill_id', 'line_no', 'code', 'name_zh', 'name_en', 'quantity', 'unit', 'unit_price', 'amount', 'segment', 'rule'];

function prevPeriod(p: string, months: number): string {
  const y = Number(p.slice(0, 4));
  const m = Number(p.slice(5, 7)) - 1 - months;
  const yy = y + Math.floor(m / 12);
  const mm = ((m % 12) + 12) % 12;
  return `${yy}-${String(mm + 1).padStart(2, '0')}`;
}

/** The tariff catalogue (active versions by code), parsed once per worker. */
async function loadTariffs(q: Q): Promise<Map<string, TariffVersion[]>> {
  const rows = await q.selectFrom('tariff_versions').select(['code', 'document']).where('status', '=', 'active').execute();
  const m = new Map<string, TariffVersion[]>();
  for (const r of rows) {
    const v = asTariffVersion(r.document);
    (m.get(r.code) ?? m.set(r.code, []).get(r.code)!).push(v);
  }
  return m;
}

interface RunCtx {
  run: RunRow;
  filter: RunFilter;
  tariffs: Map<string, TariffVersion[]>;
  rules: ReviewRuleSet;
  billSeq: string;
  biller: FastBiller;
}

type PartitionAccount = { id: number; account_no: string; org_unit_id: number; customer_class: string };

/**
 * The bills and lines of a partition in COPY text format, written as bytes by a CopyWriter (no
 * array per row, no string rope: the hot path of the write). Same columns and values as BILL_COLS
 *  / LINE_COLS rows through copyField (src/app/billing/encode.test.ts compares them).
 */
export function encodeBills(run: Pick<RunRow, 'id' | 'period' | 'trial'>, drafts: Array<{ a: PartitionAccount; d: BillDraft }>, ids: Array<{ id: number }>) {
  const stats = newEncodeStats();
  const bw = new CopyWriter();
  const lw = new CopyWriter();
  for (let i = 0; i < drafts.length; i++) encodeBill(bw, lw, stats, run, drafts[i].a, drafts[i].d, ids[i].id);
  return { stats, bills: bw.take(), lines: lw.take() };
}

const newEncodeStats = () => ({ exceptions: 0, flagged: 0, kwhCenti: 0, fen: 0 });

/** One bill (and its lines) appended to the writers; the partition totals updated. */
function encodeBill(bw: CopyWriter, lw: CopyWriter, stats: ReturnType<typeof newEncodeStats>, run: Pick<RunRow, 'id' | 'period' | 'trial'>, a: PartitionAccount, d: BillDraft, id: number): void {
  if (d.exceptionCode) stats.exceptions++;
  else if (d.flags.length) stats.flagged++;
  stats.kwhCenti += d.kwh * 100;
  stats.fen += toFen(d.amount);
  const det = d.det;
  bw.int(id);
  bw.int(a.id);
  bw.int(run.id);
  bw.cached(run.period);
  bw.cached(run.trial ? 't' : 'f');
  bw.cached(d.status);
  bw.int(a.org_unit_id);
  bw.text(a.account_no);
  bw.cached(a.customer_class);
  bw.cached(pgArray(d.tariffCodes));
  bw.text(JSON.stringify(d.tariffRefs));
  if (det.periodStart == null) bw.nul();
  else bw.ascii(det.periodStart);
  if (det.periodEnd == null) bw.nul();
  else bw.ascii(det.periodEnd);
  if (det.days == null) bw.nul();
  else bw.int(det.days);
  bw.ascii(String(d.kwh));
  bw.ascii(d.amount);
  bw.text(JSON.stringify(storedDeterminants(det, d.exceptionMessage)));
  bw.cached(pgArray(d.flags));
  if (d.exceptionCode) bw.cached(d.exceptionCode);
  else bw.nul();
  if (d.warnings.length) bw.text(JSON.stringify(d.warnings));
  else bw.cached('[]');
  bw.endRow();
  const ls = d.lines;
  for (let n = 0; n < ls.length; n++) {
    const x = ls[n];
    lw.int(a.id);
    lw.int(id);
    lw.int(n + 1);
    lw.cached(x.code);
    lw.cached(x.name.zh);
    lw.cached(x.name.en);
    lw.ascii(x.quantity);
    lw.cached(x.unit);
    lw.ascii(x.unitPrice);
    lw.ascii(x.amount);
    if (x.segment == null) lw.nul();
    else lw.int(x.segment);
    if (x.rule == null) lw.nul();
    else lw.cached(x.rule);
    lw.endRow();
  }
}

/**
 * Bill one claimed partition in one transaction. Returns null when the claim was lost (another
 * worker took the partition over after our heartbeat went stale): nothing is written then.
 */
async function processPartition(db: Db, ctx: RunCtx, part: Claimed, workerId: string, opts: WorkOptions) {
  const { run, filter } = ctx;
  const period = run.period;
  const from = part.account_from;
  const to = part.account_to;
  // the cutoff is compared in the database: read back into a JS Date it would lose its
  // microseconds, and a reading created in the same millisecond just before the run would be
  // left out (a flaky MISSING_READING seen in CI)
  const cutoff = sql`(select reading_cutoff from billing_runs where id = ${run.id})`;
  return db.copyTx(async (trx, copy) => {
    const lock = await sql<{ status: string; claimed_by: string | null }>`select status, claimed_by from billing_run_partitions where run_id = ${run.id} and part_no = ${part.part_no} for update`.execute(trx);
    const st = lock.rows[0];
    if (!st || st.status !== 'claimed' || st.claimed_by !== workerId) return null;
    // a shared lock on the run: a concurrent cancel waits for this partition (and then cancels its bills too)
    const rs = await sql<{ status: string }>`select status from billing_runs where id = ${run.id} for share`.execute(trx);
    if (rs.rows[0]?.status !== 'created' && rs.rows[0]?.status !== 'running') return null;
    const tm = { load: 0, rate: 0, write: 0, loadCpu: 0, rateCpu: 0, writeCpu: 0 };
    let t0 = performance.now();
    let c0 = process.cpuUsage();
    const cpuMs = () => {
      const c = process.cpuUsage(c0);
      c0 = process.cpuUsage();
      return (c.user + c.system) / 1000;
    };
    // small indexed queries per partition: a parallel plan only adds worker start-up (and JIT) cost
    if (db.engine === 'postgres') await sql`set local max_parallel_workers_per_gather = 0; set local jit = off`.execute(trx);

    const accounts = await trx
      .selectFrom('accounts as a')
      .select(['a.id', 'a.account_no', 'a.org_unit_id', 'a.customer_class', 'a.tariff_code', 'a.household_size', 'a.contract_capacity_kva', 'a.contract_demand_kw', 'a.basic_charge_method', 'a.pf_standard', 'a.opened_on', 'a.status'])
      .where('a.id', '>=', from)
      .where('a.id', '<=', to)
      .where(filterSql(filter))
      .orderBy('a.id')
      .execute();
    // 5 set-based queries for the whole partition (no per-account query); readings in account order;
    // the indicated value only where determinants use it (MAX_DEMAND; energy uses consumption)
    const readingsRes = await sql<{ id: number; account_id: number; meter_id: number; register: string; at: number; value: string | null; consumption: string | null; status: string; source: string }>`
        select r.id, r.account_id, r.meter_id, r.register, (date_part('epoch', r.read_at) * 1000)::int8 as at,
               case when r.register = 'MAX_DEMAND' then r.value end as value, r.consumption, r.status, r.source
          from register_readings r
         where r.account_id between ${from} and ${to} and r.billing_period = ${period}
           and r.status in ('accepted', 'estimated') and coalesce(r.reviewed_at, r.created_at) <= ${cutoff}
         order by r.account_id, r.id`.execute(trx);
    const historyRes = await sql<{ account_id: number; prev_at: number | null; cum: string | null }>`
        select account_id, (date_part('epoch', max(read_at)) * 1000)::int8 as prev_at,
               coalesce(sum(round(consumption)) filter (where billing_period >= ${period.slice(0, 4) + '-01'}), 0)::text as cum
          from register_readings
         where account_id between ${from} and ${to} and register = 'TOTAL' and billing_period < ${period}
           and status in ('accepted', 'estimated') and coalesce(reviewed_at, created_at) <= ${cutoff}
         group by account_id`.execute(trx);
    // installations with their meters' multipliers (every meter ever installed on these accounts);
    // a scalar subquery is an index probe per installation, where a join was planned as a hash
    // join over a scan of ALL meters for every partition (O(meters x partitions))
    const installsRes = await sql<{ account_id: number; meter_id: number; installed_on: string; multiplier: string }>`
        select mi.account_id, mi.meter_id, mi.installed_on, (select m.multiplier from meters m where m.id = mi.meter_id) as multiplier
          from meter_installations mi
         where mi.account_id between ${from} and ${to}`.execute(trx);
    const billsRes = await sql<{ account_id: number; period: string; energy_kwh: string; amount_total: string; exception_code: string | null }>`
        select account_id, period, energy_kwh, amount_total, exception_code from bills
         where account_id between ${from} and ${to} and not trial and status not in ('cancelled', 'sent_back')
           and period >= ${prevPeriod(period, 12)} and period <= ${period}`.execute(trx);
    const installs = new Map<number, string>();
    const multiplier = new Map<number, string>();
    for (const i of installsRes.rows) {
      const cur = installs.get(i.account_id);
      if (cur === undefined || i.installed_on < cur) installs.set(i.account_id, i.installed_on);
      multiplier.set(i.meter_id, i.multiplier);
    }
    const missing = [...new Set(readingsRes.rows.filter((r) => !multiplier.has(r.meter_id)).map((r) => r.meter_id))];
    if (missing.length) {
      for (const m of (await sql<{ id: number; multiplier: string }>`select id, multiplier from meters where id = any(${missing}::bigint[])`.execute(trx)).rows) multiplier.set(m.id, m.multiplier);
    }
    const readings = new Map<number, ReadingFact[]>();
    let lastAcc = -1;
    let list: ReadingFact[] = [];
    for (const r of readingsRes.rows) {
      if (r.account_id !== lastAcc) {
        lastAcc = r.account_id;
        list = [];
        readings.set(r.account_id, list);
      }
      list.push({ id: r.id, register: r.register, readAt: new Date(Number(r.at)), value: r.value, consumption: r.consumption, status: r.status, meterId: r.meter_id, multiplier: multiplier.get(r.meter_id) ?? '0', source: r.source });
    }
    const history = new Map(historyRes.rows.map((h) => [h.account_id, h]));
    const last = prevPeriod(period, 1);
    const lastYear = prevPeriod(period, 12);
    const prior = new Map<number, { last?: { kwh: number; amount: string }; lastYear?: { kwh: number; amount: string }; earlier: boolean; current: boolean }>();
    for (const b of billsRes.rows) {
      const e = prior.get(b.account_id) ?? prior.set(b.account_id, { earlier: false, current: false }).get(b.account_id)!;
      if (b.period === period) e.current = true;
      else if (!b.exception_code) {
        e.earlier = true;
        const pb = { kwh: Math.round(Number(b.energy_kwh)), amount: b.amount_total };
        if (b.period === last) e.last = pb;
        if (b.period === lastYear) e.lastYear = pb;
      }
    }

    tm.load = performance.now() - t0;
    tm.loadCpu = cpuMs();
    t0 = performance.now();
    // bill ids up front (one per account; a skipped account leaves a gap, as sequences may), so
    // each bill is encoded as soon as it is rated and its objects die young (no drafts array)
    const ids = accounts.length ? (await sql<{ id: number }>`select nextval(${ctx.billSeq}::regclass)::int8 as id from generate_series(1, ${accounts.length}::int)`.execute(trx)).rows : [];
    const bw = new CopyWriter();
    const lw = new CopyWriter();
    const stats = newEncodeStats();
    let skipped = 0;
    const biller = ctx.biller;
    for (let i = 0; i < accounts.length; i++) {
      const a = accounts[i];
      const pr = prior.get(a.id);
      if (!run.trial && pr?.current) {
        skipped++; // a live real bill of this period exists (an earlier run): never bill twice
        continue;
      }
      const h = history.get(a.id);
      const facts: AccountFacts = {
        id: a.id,
        accountNo: a.account_no,
        customerClass: a.customer_class,
        tariffCode: a.tariff_code,
        householdSize: a.household_size,
        capacityKva: a.contract_capacity_kva,
        contractDemandKw: a.contract_demand_kw,
        basicChargeMethod: a.basic_charge_method,
        pfStandard: a.pf_standard,
        openedOn: a.opened_on,
        status: a.status,
      };
      const d = biller.bill(
        {
          period,
          account: facts,
          readings: readings.get(a.id) ?? [],
          previousReadAt: h?.prev_at != null ? new Date(Number(h.prev_at)) : null,
          installedOn: installs.get(a.id) ?? null,
          ladderPrevCumKwh: h?.cum ? Number(h.cum) : 0,
          tariffVersions: (a.tariff_code && ctx.tariffs.get(a.tariff_code)) || [],
        },
        { last: pr?.last ?? null, lastYear: pr?.lastYear ?? null, hasEarlierBill: pr?.earlier ?? false },
      );
      encodeBill(bw, lw, stats, run, a, d, ids[i].id);
    }
    const billsOut = bw.take();
    const linesOut = lw.take();

    tm.rate = performance.now() - t0;
    tm.rateCpu = cpuMs();
    t0 = performance.now();
    if (billsOut.rows) {
      await copy('bills', BILL_COLS, billsOut);
      await copy('bill_lines', LINE_COLS, linesOut);
    }
    const billed = billsOut.rows;
    const { exceptions, flagged, kwhCenti, fen } = stats;
    tm.write = performance.now() - t0;
    tm.writeCpu = cpuMs();
    if (opts.beforeCommit) await opts.beforeCommit(part.part_no);
    const done = await trx
      .updateTable('billing_run_partitions')
      .set({
        status: 'done',
        heartbeat_at: sql<Date>`now()` as never,
        finished_at: sql<Date>`now()` as never,
        bills: billed,
        exceptions,
        flagged,
        skipped,
        energy_kwh: (kwhCenti / 100).toFixed(2),
        amount_total: (fen / 100).toFixed(2),
      })
      .where('run_id', '=', run.id)
      .where('part_no', '=', part.part_no)
      .where('claimed_by', '=', workerId)
      .where('status', '=', 'claimed')
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) throw new AppError('CONFLICT', `partition ${part.part_no} of run ${run.id} was taken over`);
    return { bills: billed, exceptions, flagged, skipped, ms: tm };
  });
}

/** When every partition is done: totals onto the run, status review, one audit event. */
export async function finalizeIfDone(db: Db, runId: number): Promise<boolean> {
  return inTx(db, async (trx) => {
    const run = await trx.selectFrom('billing_runs').selectAll().where('id', '=', runId).forUpdate().executeTakeFirst();
    if (!run || (run.status !== 'running' && run.status !== 'created')) return false;
    const agg = await trx
      .selectFrom('billing_run_partitions')
      .select([
        sql<number>`count(*) filter (where status <> 'done')::int`.as('open'),
        sql<number>`coalesce(sum(bills), 0)::int`.as('bills'),
        sql<number>`coalesce(sum(exceptions), 0)::int`.as('exceptions'),
        sql<number>`coalesce(sum(flagged), 0)::int`.as('flagged'),
        sql<number>`coalesce(sum(skipped), 0)::int`.as('skipped'),
        sql<string>`coalesce(sum(energy_kwh), 0)::text`.as('kwh'),
        sql<string>`coalesce(sum(amount_total), 0)::text`.as('amount'),
      ])
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    if (agg.open > 0) return false;
    await trx
      .updateTable('billing_runs')
      .set({ status: 'review', bills: agg.bills, exceptions: agg.exceptions, flagged: agg.flagged, skipped: agg.skipped, energy_kwh: agg.kwh, amount_total: agg.amount, finished_at: sql<Date>`now()` as never, updated_at: sql<Date>`now()` as never })
      .where('id', '=', runId)
      .execute();
    await writeAudit(trx, SYSTEM_ACTOR, { action: 'billing_run.finish', entityType: 'billing_run', entityId: runId, after: { period: run.period, trial: run.trial, bills: agg.bills, exceptions: agg.exceptions, flagged: agg.flagged, skipped: agg.skipped, energyKwh: agg.kwh, amountTotal: agg.amount } });
    return true;
  });
}

/**
 * Work on a run until no partition is left: claim, bill, repeat. Several workers (processes or
 * calls) may work on the same run at once. Returns what this worker did.
 */
export async function workRun(db: Db, runId: number, workerId = newWorkerId(), opts: WorkOptions = {}) {
  const staleMs = opts.staleAfterMs ?? DEFAULT_STALE_MS;
  const run = await db.kysely.selectFrom('billing_runs').selectAll().where('id', '=', runId).executeTakeFirst();
  if (!run) throw new AppError('NOT_FOUND', `billing run ${runId} not found`);
  const stats = { workerId, partitions: 0, bills: 0, exceptions: 0, flagged: 0, skipped: 0, finished: false };
  if (!['created', 'running'].includes(run.status)) {
    stats.finished = run.status === 'review' || run.status === 'completed';
    return stats;
  }
  const seq = await sql<{ s: string }>`select pg_get_serial_sequence('bills', 'id') as s`.execute(db.kysely);
  const ctx: RunCtx = { run, filter: run.filter as RunFilter, tariffs: await loadTariffs(db.kysely), rules: opts.rules ?? DEFAULT_REVIEW_RULES, billSeq: seq.rows[0].s, biller: new FastBiller(opts.rules ?? DEFAULT_REVIEW_RULES) };
  for (;;) {
    if (opts.maxPartitions !== undefined && stats.partitions >= opts.maxPartitions) return stats;
    const part = await claimPartition(db, runId, workerId, staleMs);
    if (!part) {
      if (await finalizeIfDone(db, runId)) {
        stats.finished = true;
        return stats;
      }
      const cur = await db.kysely.selectFrom('billing_runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow();
      if (cur.status !== 'running' && cur.status !== 'created') {
        stats.finished = cur.status === 'review' || cur.status === 'completed';
        return stats;
      }
      if (opts.waitForOthers === false) return stats;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
      continue;
    }
    let res;
    try {
      res = await processPartition(db, ctx, part, workerId, opts);
    } catch (e) {
      if (e instanceof AppError && e.code === 'CONFLICT') continue; // lost the claim: someone else bills it
      throw e;
    }
    if (!res) continue;
    stats.partitions++;
    stats.bills += res.bills;
    stats.exceptions += res.exceptions;
    stats.flagged += res.flagged;
    stats.skipped += res.skipped;
    opts.onProgress?.({ partNo: part.part_no, bills: res.bills, exceptions: res.exceptions, ms: res.ms });
  }
}

/** Runs, newest first (trial and real), those touching the actor's data scope. */
export async function listRuns(db: Db, actor: Actor, f: { period?: string; status?: string; trial?: boolean; page: number; pageSize: number }) {
  requirePermission(actor, 'billing.run');
  let qb = db.kysely.selectFrom('billing_runs').selectAll();
  if (f.period) qb = qb.where('period', '=', f.period);
  if (f.status) qb = qb.where('status', '=', f.status as never);
  if (f.trial !== undefined) qb = qb.where('trial', '=', f.trial);
  const rows = await qb.orderBy('id', 'desc').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  const mine = await actorUnits(db, actor);
  const visible = rows.filter((r) => runVisible(mine, r));
  return { items: visible.map(runOut), page: f.page, pageSize: f.pageSize };
}

/** The org units of the actor's data scope; null = everything. */
export async function actorUnits(db: Db, actor: Actor): Promise<Set<number> | null> {
  if (actor.orgPath === '' || actor.orgPath === '/') return null;
  return new Set(await subtreeIds(db.kysely, [actor.orgPath]));
}

/** A run is visible when it touches the actor's data scope (a company-wide run is visible to all checkers). */
function runVisible(mine: Set<number> | null, r: RunRow): boolean {
  if (mine === null) return true;
  const f = r.filter as RunFilter;
  return f.orgUnitIds === null || f.orgUnitIds.some((id) => mine.has(id));
}

export async function getRun(db: Db, actor: Actor, runId: number) {
  requirePermission(actor, 'billing.run');
  const out = await runProgress(db.kysely, runId);
  const row = await db.kysely.selectFrom('billing_runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
  if (!runVisible(await actorUnits(db, actor), row)) throw new AppError('OUT_OF_SCOPE', `billing run ${runId} is outside your data scope`);
  const counts = await db.kysely.selectFrom('bills').select(['status', sql<number>`count(*)::int`.as('n')]).where('run_id', '=', runId).groupBy('status').execute();
  const flags = await sql<{ flag: string; n: number }>`select f as flag, count(*)::int as n from bills, unnest(review_flags) f where run_id = ${runId} group by f order by f`.execute(db.kysely);
  return { ...out, statusCounts: Object.fromEntries(counts.map((c) => [c.status, c.n])), flagCounts: Object.fromEntries(flags.rows.map((c) => [c.flag, c.n])) };
}

