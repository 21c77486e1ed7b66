/**
 * Read-only queries for the payments UI (web/src/modules/payments): find accounts with what they
 * owe today, arrears with org-unit / route / bucket filters and totals, reading routes in scope,
 * statements (对账) for collectors and supervisors, an account's payments with receipts.
 * No state changes here: every write goes through the use cases in this folder.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import '../../db/schema-routes.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { checkDate, shanghaiDate } from '../../domain/payments/index.js';
import { can, requirePermission, requireScope, type Actor } from '../context.js';
import { scopedAccount, type PayAccount } from './accounts.js';
import { amountDue } from './ledger.js';
import { AGING_BUCKETS } from './arrears.js';

function requireCollectOrSupervise(actor: Actor) {
  if (!can(actor, 'payment.supervise')) requirePermission(actor, 'payment.collect');
}

const LEDGER_READ = ['payment.collect', 'payment.supervise', 'account.read', 'portal.self'];

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Accounts in scope matching a 户号 (exact or prefix), a name (contains) or a bill id, each with
 * the amount due today (open receivables, late fee through today, minus credit). At most `limit`.
 */
export async function searchDue(db: Db, actor: Actor, input: { q: string; limit?: number }, now = new Date()) {
  requireCollectOrSupervise(actor);
  const q = input.q.trim();
  if (q.length < 1) throw new ValidationError('q', 'required');
  if (q.length > 50) throw new ValidationError('q', 'at most 50 characters');
  const limit = Math.min(Math.max(input.limit ?? 10, 1), 20);
  const k = db.kysely;
  const like = likeEscape(q);
  let qb = k.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
    .select(['a.id', 'a.account_no', 'a.name', 'a.address', 'a.org_unit_id', 'o.path', 'o.name as org_name', 'a.customer_class', 'a.status', 'a.payment_mode'])
    .where((eb) => {
      const ors = [eb('a.account_no', '=', q), eb('a.account_no', 'like', `${like}%`), eb('a.name', 'like', `%${like}%`)];
      if (/^\d{1,15}$/.test(q)) ors.push(eb('a.id', 'in', eb.selectFrom('bills').select('account_id').where('id', '=', Number(q))));
      return eb.or(ors);
    });
  if (actor.orgPath) qb = qb.where('o.path', 'like', `${actor.orgPath}%`);
  const rows = await qb.orderBy(sql`case when a.account_no = ${q} then 0 else 1 end`).orderBy('a.account_no').limit(limit).execute();
  const today = shanghaiDate(now);
  const items = [];
  for (const r of rows) {
    const acc: PayAccount = { id: r.id, accountNo: r.account_no, name: r.name, orgUnitId: r.org_unit_id, orgPath: r.path, customerClass: r.customer_class, status: r.status, paymentMode: r.payment_mode };
    const due = await amountDue(k, acc, today);
    items.push({ accountId: r.id, address: r.address, orgUnitName: r.org_name, customerClass: r.customer_class, status: r.status, paymentMode: r.payment_mode, ...due });
  }
  return { q, asOf: today, items };
}

export interface ArrearsFilter {
  asOf?: string;
  bucket?: string;
  orgUnitId?: number;
  routeId?: number;
  page: number;
  pageSize: number;
}

/**
 * Arrears (欠费) with aging buckets as `listArrears`, filtered by org unit (subtree, inside the
 * actor's scope) and reading route; bucket summary and totals for the filter (before the bucket
 * filter), and the number of matching accounts for paging.
 */
export async function arrearsUi(db: Db, actor: Actor, f: ArrearsFilter) {
  requireCollectOrSupervise(actor);
  const day = f.asOf ? checkDate(f.asOf, 'asOf') : shanghaiDate(new Date());
  if (f.bucket && !AGING_BUCKETS.some((b) => b.code === f.bucket)) throw new ValidationError('bucket', `one of ${AGING_BUCKETS.map((b) => b.code).join(', ')}`);
  const k = db.kysely;
  let unitPath = actor.orgPath;
  if (f.orgUnitId !== undefined) {
    const u = await k.selectFrom('org_units').select('path').where('id', '=', f.orgUnitId).executeTakeFirst();
    if (!u) throw new AppError('NOT_FOUND', `org unit ${f.orgUnitId} not found`, { field: 'orgUnitId' });
    requireScope(actor, u.path, 'org unit');
    unitPath = u.path;
  }
  const scope = unitPath ? sql`and o.path like ${unitPath + '%'}` : sql``;
  const route = f.routeId !== undefined ? sql`and ac.reading_route_id = ${f.routeId}` : sql``;
  const bucketCase = sql.raw(`case ${AGING_BUCKETS.map((b) => `when oldest_days between ${b.from} and ${b.to} then '${b.code}'`).join(' ')} end`);
  const base = sql`
    with per as (
      select r.account_id, min(r.due_date) as oldest_due, (${day}::date - min(r.due_date)) as oldest_days,
             sum(r.amount - r.principal_paid + r.fee_charged - r.fee_paid) as outstanding,
             coalesce(sum(a.amount) filter (where a.from_date = greatest(r.due_date, coalesce(r.fee_through, r.due_date), coalesce(r.waived_through, r.due_date)) + 1), 0) as accrued_fee,
             count(*) as receivables
        from receivables r
        join org_units o on o.id = r.org_unit_id
        join accounts ac on ac.id = r.account_id
        left join late_fee_accruals a on a.receivable_id = r.id
       where r.status = 'open' and r.due_date < ${day}::date ${scope} ${route}
       group by r.account_id
    ) select per.*, ${bucketCase} as bucket from per`;
  const bucketFilter = f.bucket ? sql`where x.bucket = ${f.bucket}` : sql``;
  const rows = await sql<{ account_id: number; oldest_due: string; oldest_days: number; outstanding: string; accrued_fee: string; receivables: number; bucket: string; account_no: string; name: string; org_name: string; route_code: string | null; route_id: number | null; last_reminder_at: Date | string | null }>`
    select x.*, ac.account_no, ac.name, o.name as org_name, rr.code as route_code, rr.id as route_id,
           (select max(pr.created_at) from payment_reminders pr where pr.account_id = x.account_id and pr.kind = 'arrears') as last_reminder_at
      from (${base}) x join accounts ac on ac.id = x.account_id join org_units o on o.id = ac.org_unit_id left join reading_routes rr on rr.id = ac.reading_route_id
      ${bucketFilter}
     order by x.oldest_days desc, x.account_id limit ${f.pageSize} offset ${(f.page - 1) * f.pageSize}`.execute(k);
  const summary = await sql<{ bucket: string; accounts: number; outstanding: string; accrued_fee: string }>`
    select bucket, count(*)::int as accounts, sum(outstanding)::text as outstanding, sum(accrued_fee)::text as accrued_fee from (${base}) x group by bucket`.execute(k);
  const buckets = AGING_BUCKETS.map((b) => {
    const s = summary.rows.find((r) => r.bucket === b.code);
    return { code: b.code, zh: b.zh, en: b.en, accounts: s?.accounts ?? 0, outstanding: s?.outstanding ?? '0.00', accruedLateFee: s?.accrued_fee ?? '0.00' };
  });
  // totals in SQL numeric (exact), not in JS
  const tot = await sql<{ accounts: number; outstanding: string | null; accrued_fee: string | null }>`
    select count(*)::int as accounts, sum(outstanding)::text as outstanding, sum(accrued_fee)::text as accrued_fee from (${base}) x`.execute(k);
  const t = tot.rows[0];
  const matching = f.bucket ? buckets.find((b) => b.code === f.bucket)?.accounts ?? 0 : t.accounts;
  return {
    asOf: day,
    buckets,
    totals: { accounts: t.accounts, outstanding: t.outstanding ?? '0.00', accruedLateFee: t.accrued_fee ?? '0.00' },
    total: matching,
    items: rows.rows.map((r) => ({
      accountId: Number(r.account_id), accountNo: r.account_no, accountName: r.name, orgUnitName: r.org_name, routeId: r.route_id === null ? null : Number(r.route_id), routeCode: r.route_code,
      oldestDueDate: r.oldest_due, daysOverdue: Number(r.oldest_days), bucket: r.bucket, receivables: Number(r.receivables), outstanding: r.outstanding, accruedLateFee: r.accrued_fee,
      lastReminderAt: r.last_reminder_at === null ? null : new Date(r.last_reminder_at).toISOString(),
    })),
    page: f.page, pageSize: f.pageSize,
  };
}

/** Reading routes (抄表段) in the actor's scope, for the arrears filter. */
export async function routesInScope(db: Db, actor: Actor, orgUnitId?: number) {
  requireCollectOrSupervise(actor);
  let q = db.kysely.selectFrom('reading_routes as r').innerJoin('org_units as o', 'o.id', 'r.org_unit_id').select(['r.id', 'r.code', 'r.name', 'o.name as org_name', 'r.org_unit_id']);
  if (actor.orgPath) q = q.where('o.path', 'like', `${actor.orgPath}%`);
  if (orgUnitId !== undefined) q = q.where('r.org_unit_id', '=', orgUnitId);
  const rows = await q.orderBy('r.code').limit(1000).execute();
  return { items: rows.map((r) => ({ id: r.id, code: r.code, name: r.name, orgUnitId: r.org_unit_id, orgUnitName: r.org_name })) };
}

/** Imported statements, newest first, and the channels one can import for. */
export async function listStatements(db: Db, actor: Actor, f: { channelCode?: string; page: number; pageSize: number }) {
  requireCollectOrSupervise(actor);
  const k = db.kysely;
  let q = k.selectFrom('channel_statements as s').leftJoin('users as u', 'u.id', 's.imported_by')
    .select(['s.id', 's.channel_code', 's.statement_date', 's.file_name', 's.lines', 's.matched', 's.long_count', 's.short_count', 's.mismatch_count', 's.imported_at', 'u.display_name as imported_by_name']);
  if (f.channelCode) q = q.where('s.channel_code', '=', f.channelCode);
  const rows = await q.orderBy('s.id', 'desc').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  const ids = rows.map((r) => r.id);
  const open = ids.length
    ? await k.selectFrom('channel_statement_items').select(['statement_id', sql<number>`count(*)::int`.as('n')]).where('statement_id', 'in', ids).where('kind', '<>', 'matched').where('resolution', 'is', null).groupBy('statement_id').execute()
    : [];
  const channels = await k.selectFrom('payment_channels').select(['code', 'name', 'enabled']).orderBy('code').execute();
  return {
    channels: channels.map((c) => ({ code: c.code, name: c.name, enabled: c.enabled })),
    items: rows.map((r) => ({
      id: r.id, channelCode: r.channel_code, statementDate: r.statement_date, fileName: r.file_name, lines: r.lines, matched: r.matched, long: r.long_count, short: r.short_count, mismatch: r.mismatch_count,
      importedAt: r.imported_at, importedBy: r.imported_by_name, unresolved: open.find((o) => o.statement_id === r.id)?.n ?? 0,
    })),
    page: f.page, pageSize: f.pageSize,
  };
}

/** One statement with its items (collectors and supervisors; the supervisor resolves). */
export async function statementUi(db: Db, actor: Actor, id: number, kind?: string) {
  requireCollectOrSupervise(actor);
  const k = db.kysely;
  const st = await k.selectFrom('channel_statements').selectAll().where('id', '=', id).executeTakeFirst();
  if (!st) throw new AppError('NOT_FOUND', `statement ${id} not found`, { field: 'id' });
  let q = k.selectFrom('channel_statement_items').selectAll().where('statement_id', '=', id);
  if (kind) q = q.where('kind', '=', kind as never);
  const items = await q.orderBy(sql`case kind when 'matched' then 1 else 0 end`).orderBy('id').limit(5000).execute();
  return {
    id: st.id, channelCode: st.channel_code, statementDate: st.statement_date, fileName: st.file_name, lines: st.lines, matched: st.matched, long: st.long_count, short: st.short_count, mismatch: st.mismatch_count, importedAt: st.imported_at,
    items: items.map((i) => ({ id: i.id, kind: i.kind, idempotencyKey: i.idempotency_key, accountNo: i.account_no, statementAmount: i.statement_amount, postedAmount: i.posted_amount, paymentId: i.payment_id, resolution: i.resolution, resolutionNote: i.resolution_note, resolvedAt: i.resolved_at })),
  };
}

/** An account's payments (newest first) with receipt numbers, and what it owes today (缴费记录). */
export async function accountPayments(db: Db, actor: Actor, accountNo: string, page = 1, pageSize = 20, now = new Date()) {
  if (!LEDGER_READ.some((p) => can(actor, p))) requirePermission(actor, 'payment.collect');
  const k = db.kysely;
  const acc = await scopedAccount(k, actor, { accountNo });
  const rows = await k.selectFrom('payments as p').leftJoin('users as u', 'u.id', 'p.collector_id')
    .select(['p.id', 'p.channel', 'p.method', 'p.amount', 'p.status', 'p.receipt_no', 'p.pay_date', 'p.received_at', 'p.reversal_reason', 'p.reversed_at', 'p.shift_id', 'p.unallocated', 'u.display_name as collector'])
    .where('p.account_id', '=', acc.id).orderBy('p.id', 'desc').limit(pageSize).offset((page - 1) * pageSize).execute();
  const total = await k.selectFrom('payments').select(sql<number>`count(*)::int`.as('n')).where('account_id', '=', acc.id).executeTakeFirstOrThrow();
  const due = await amountDue(k, acc, shanghaiDate(now));
  return {
    ...due,
    accountId: acc.id,
    payments: rows.map((p) => ({
      paymentId: p.id, channel: p.channel, method: p.method, amount: p.amount, status: p.status, receiptNo: p.receipt_no, payDate: p.pay_date, receivedAt: p.received_at,
      reversalReason: p.reversal_reason, reversedAt: p.reversed_at, shiftId: p.shift_id, credit: p.unallocated, collector: p.collector,
    })),
    total: total.n, page, pageSize,
  };
}
