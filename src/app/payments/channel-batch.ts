/**
 * Group posting of channel payments (代收批量入账): payment notifications that arrive while the
 * previous group is in the database are posted together in ONE transaction, with the same rules
 * and the same outcome per request as posting them one by one (`postChannelPay`):
 *
 * 1. one statement consumes the nonces of the group (a nonce seen before → NONCE_REUSED) and
 *    looks up the accounts (unknown 户号 → ACCOUNT_NOT_FOUND);
 * 2. the payments are inserted with ON CONFLICT (channel, idempotency key) DO NOTHING (one
 *    insert): a key posted before is a replay (its stored result) or IDEMPOTENCY_MISMATCH; a key
 *    twice in the group is posted once and the second request gets the first one's result;
 * 3. one statement locks the open receivables of all accounts in id order (select ... for
 *    update), then reads the balances and claims the audit chain (lock, head, ids) through
 *    VOLATILE functions whose snapshot is taken after those locks were granted
 *    (`ledger_balances`, `audit_claim`), and lists the accounts with a cut-off order or an active
 *    prepaid plan; every payment is allocated in arrival order with `planAllocation` (a second
 *    payment to the same account sees the first one's effect);
 * 4. one statement writes receivable updates, allocations, ledger entries, stored responses and
 *    the audit events (one per payment, chained in arrival order);
 * 5. accounts with a cut-off order or an active prepaid plan get `onPaymentPosted`.
 *
 * Rows are locked class by class (nonces, payments, receivables, the audit chain), each class in
 * key order, so two groups in flight cannot deadlock. If a group's transaction fails for any
 * other reason (a database error, a deadlock with another writer), nothing of it is kept and
 * each of its requests is posted alone by the single path, which gives that request its own
 * error. Request-level errors (nonce, account, idempotency) never fail the group.
 *
 * What this buys: the fixed costs of a transaction (begin, commit and its WAL flush, the audit
 * chain lock, 6 round trips with begin and commit) are paid once per group instead of once per
 * payment.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import { AppError } from '../../domain/errors.js';
import { fen2, shanghaiDate, toFen } from '../../domain/payments/index.js';
import { inTx, type Actor, type Trx } from '../context.js';
import { auditClaimSql, auditCtes, chainAuditRows, type AuditClaim, type AuditInput } from '../audit/write-audit.js';
import { PREPARED } from '../../db/database.js';
import type { PayAccount } from './accounts.js';
import { onPaymentPosted } from './reconnect.js';
import { cachedRuleSets, planAllocation, requestHash, type OpenRow, type PaymentResult } from './post-payment.js';
import { ChannelError, channelActor, consumeNonce, nonceReused, postChannelPay, type ValidChannelPay, type VerifiedChannelRequest } from './channel.js';

export interface ChannelPayRequest extends ValidChannelPay {
  channel: string;
  /** the verified request's nonce, consumed in the group's transaction; null when already consumed */
  nonce: VerifiedChannelRequest | null;
  meta: { ip?: string; requestId?: string };
  now: Date;
}

export type PayOutcome = { result: PaymentResult; replayed: boolean };
type Outcome = { ok: true; value: PayOutcome } | { ok: false; error: Error };

export interface BatcherOptions {
  /** most requests in one group */
  maxBatch?: number;
  /** groups in the database at once (each on its own connection) */
  maxInFlight?: number;
}

export interface BatcherStats {
  groups: number;
  payments: number;
  largestGroup: number;
  fallbacks: number;
}

interface Queued {
  req: ChannelPayRequest;
  resolve: (v: PayOutcome) => void;
  reject: (e: unknown) => void;
}

const keyOf = (channel: string, key: string) => `${channel}\u0000${key}`;

export class ChannelPayBatcher {
  private queue: Queued[] = [];
  private inFlight = 0;
  private scheduled = false;
  readonly maxBatch: number;
  readonly maxInFlight: number;
  readonly stats: BatcherStats = { groups: 0, payments: 0, largestGroup: 0, fallbacks: 0 };

  constructor(private readonly db: Db, opts: BatcherOptions = {}, private readonly onFallback: (err: unknown, size: number) => void = () => {}) {
    this.maxBatch = Math.max(1, opts.maxBatch ?? 256);
    // PGlite has one connection: groups there run one at a time anyway
    this.maxInFlight = db.engine === 'postgres' ? Math.max(1, opts.maxInFlight ?? 2) : 1;
  }

  /** Post one checked payment request; resolves when its group has committed. */
  submit(req: ChannelPayRequest): Promise<PayOutcome> {
    return new Promise<PayOutcome>((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      this.kick();
    });
  }

  /** Requests waiting for a group. */
  get waiting(): number {
    return this.queue.length;
  }

  private kick() {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    // requests that arrive in the same turn of the event loop join the group
    setImmediate(() => {
      this.scheduled = false;
      while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
        const group = this.queue.splice(0, this.maxBatch);
        this.inFlight++;
        void this.run(group).finally(() => {
          this.inFlight--;
          this.kick();
        });
      }
    });
  }

  private async run(group: Queued[]) {
    this.stats.groups++;
    this.stats.payments += group.length;
    if (group.length > this.stats.largestGroup) this.stats.largestGroup = group.length;
    let outcomes: Outcome[];
    try {
      outcomes = await inTx(this.db, (trx) => postGroup(trx, group.map((q) => q.req)));
    } catch (err) {
      // nothing of the group was kept: each request goes the single path and gets its own outcome
      this.stats.fallbacks++;
      this.onFallback(err, group.length);
      for (const q of group) {
        try {
          q.resolve(await postAlone(this.db, q.req));
        } catch (e) {
          q.reject(e);
        }
      }
      return;
    }
    outcomes.forEach((o, n) => (o.ok ? group[n].resolve(o.value) : group[n].reject(o.error)));
  }
}

/** The single path for one request: its nonce, then `postChannelPay` in its own transaction. */
export async function postAlone(db: Db, r: ChannelPayRequest): Promise<PayOutcome> {
  if (r.nonce) await consumeNonce(db, r.nonce);
  return postChannelPay(db, r.channel, r, r.meta, r.now);
}

const batchers = new WeakMap<Db, ChannelPayBatcher>();
/** The process's batcher for a database handle (created on first use). */
export function channelBatcher(db: Db, opts?: BatcherOptions, onFallback?: (err: unknown, size: number) => void): ChannelPayBatcher {
  let b = batchers.get(db);
  if (!b) batchers.set(db, (b = new ChannelPayBatcher(db, opts, onFallback)));
  return b;
}

interface AccountRow { id: number; account_no: string; name: string; org_unit_id: number; path: string; customer_class: string; status: string; payment_mode: string }

/**
 * Post a group of checked channel payments in the caller's transaction. Returns one outcome per
 * request, in order. Throws only for database errors (then the caller's transaction is void).
 */
export async function postGroup(trx: Trx, reqs: ChannelPayRequest[]): Promise<Outcome[]> {
  const out: Array<Outcome | undefined> = new Array(reqs.length).fill(undefined);
  const fail = (n: number, error: Error) => (out[n] = { ok: false, error });
  const live = () => reqs.map((_, n) => n).filter((n) => out[n] === undefined);

  // 1 + 2. nonces (in key order) and accounts, one statement
  const withNonce = live().filter((n) => reqs[n].nonce);
  const nonceRows = withNonce.map((n) => reqs[n].nonce!).sort((a, b) => (a.code === b.code ? (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0) : a.code < b.code ? -1 : 1));
  const allNos = [...new Set(live().map((n) => reqs[n].accountNo))];
  const first = await sql<{ nonces: Array<[string, string]>; accounts: Array<[number, string, string, number, string, string, string, string]> }>`
    with non as (
      insert into channel_nonces (channel_code, nonce, expires_at)
      select * from unnest(${nonceRows.map((r) => r.code)}::text[], ${nonceRows.map((r) => r.nonce)}::text[], ${nonceRows.map((r) => r.nonceExpires.toISOString())}::timestamptz[])
      on conflict do nothing returning channel_code, nonce)
    select (select coalesce(json_agg(json_build_array(channel_code, nonce)), '[]'::json) from non) as nonces,
           (select coalesce(json_agg(json_build_array(a.id, a.account_no, a.name, a.org_unit_id, o.path, a.customer_class, a.status, a.payment_mode)), '[]'::json)
              from accounts a join org_units o on o.id = a.org_unit_id where a.account_no = any(${allNos}::text[])) as accounts${PREPARED}`.execute(trx);
  if (withNonce.length) {
    const fresh = new Set(first.rows[0].nonces.map(([code, nonce]) => keyOf(code, nonce)));
    for (const n of withNonce) {
      const k = keyOf(reqs[n].nonce!.code, reqs[n].nonce!.nonce);
      if (fresh.has(k)) fresh.delete(k); // the first request with a nonce has it; a second one is a replay
      else fail(n, nonceReused());
    }
  }
  const accounts = new Map<string, PayAccount>();
  for (const [id, accountNo, name, orgUnitId, orgPath, customerClass, status, paymentMode] of first.rows[0].accounts) {
    accounts.set(accountNo, { id: Number(id), accountNo, name, orgUnitId: Number(orgUnitId), orgPath, customerClass, status, paymentMode });
  }
  for (const n of live()) {
    if (!accounts.has(reqs[n].accountNo)) fail(n, new ChannelError('ACCOUNT_NOT_FOUND', 'NOT_FOUND', `户号 ${reqs[n].accountNo} not found`, { field: 'accountNo' }));
  }

  // 3. payments: one row per (channel, key); a second request with the key follows the first
  const hashOf = (n: number) => requestHash(accounts.get(reqs[n].accountNo)!.id, reqs[n].amountFen, reqs[n].method);
  const primary = new Map<string, number>();
  const followers: number[] = [];
  for (const n of live()) {
    const k = keyOf(reqs[n].channel, reqs[n].idempotencyKey);
    if (primary.has(k)) followers.push(n);
    else primary.set(k, n);
  }
  const prim = [...primary.values()].sort((a, b) => {
    const ka = keyOf(reqs[a].channel, reqs[a].idempotencyKey), kb = keyOf(reqs[b].channel, reqs[b].idempotencyKey);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const inserted = new Map<string, { id: number; received_at: Date }>();
  if (prim.length) {
    const col = <T>(f: (r: ChannelPayRequest, n: number) => T) => prim.map((n) => f(reqs[n], n));
    const ins = await sql<{ id: number; received_at: Date; channel: string; idempotency_key: string }>`
      insert into payments (account_id, org_unit_id, channel, method, amount, idempotency_key, external_txn_id, request_hash, pay_date)
      select * from unnest(${col((r) => accounts.get(r.accountNo)!.id)}::int8[], ${col((r) => accounts.get(r.accountNo)!.orgUnitId)}::int8[], ${col((r) => r.channel)}::text[],
                           ${col((r) => r.method)}::text[], ${col((r) => fen2(r.amountFen))}::numeric[], ${col((r) => r.idempotencyKey)}::text[],
                           ${col((r) => r.externalTxnId)}::text[], ${col((_, n) => hashOf(n))}::text[], ${col((r) => shanghaiDate(r.now))}::date[])
      on conflict (channel, idempotency_key) do nothing
      returning id, received_at, channel, idempotency_key${PREPARED}`.execute(trx);
    for (const r of ins.rows) inserted.set(keyOf(r.channel, r.idempotency_key), { id: Number(r.id), received_at: r.received_at });
  }
  // keys posted earlier: the stored result, or a mismatch
  const stored = new Map<string, { hash: string; result: PaymentResult | null; id: number }>();
  const earlier = prim.filter((n) => !inserted.has(keyOf(reqs[n].channel, reqs[n].idempotencyKey)));
  if (earlier.length) {
    const rows = await sql<{ id: number; channel: string; idempotency_key: string; request_hash: string; response: PaymentResult }>`
      select p.id, p.channel, p.idempotency_key, p.request_hash, p.response from payments p
        join unnest(${earlier.map((n) => reqs[n].channel)}::text[], ${earlier.map((n) => reqs[n].idempotencyKey)}::text[]) as k(channel, key)
          on p.channel = k.channel and p.idempotency_key = k.key${PREPARED}`.execute(trx);
    for (const r of rows.rows) stored.set(keyOf(r.channel, r.idempotency_key), { hash: r.request_hash, result: r.response, id: Number(r.id) });
  }
  const replayOrMismatch = (n: number, s: { hash: string; result: PaymentResult | null; id: number }) => {
    if (s.hash !== hashOf(n)) {
      fail(n, new ChannelError('IDEMPOTENCY_MISMATCH', 'CONFLICT', `idempotency key ${reqs[n].idempotencyKey} was used for a different payment`, { field: 'idempotencyKey', reason: 'IDEMPOTENCY_MISMATCH', paymentId: s.id }));
    } else out[n] = { ok: true, value: { result: s.result!, replayed: true } };
  };
  for (const n of earlier) {
    const s = stored.get(keyOf(reqs[n].channel, reqs[n].idempotencyKey));
    // the row must exist: ON CONFLICT saw it committed
    if (!s) throw new AppError('CONFLICT', `payment with idempotency key ${reqs[n].idempotencyKey} vanished`);
    replayOrMismatch(n, s);
  }
  const posting = prim.filter((n) => inserted.has(keyOf(reqs[n].channel, reqs[n].idempotencyKey))).sort((a, b) => a - b);

  if (posting.length) {
    // 4. one statement: lock the open receivables of every account (id order); after those locks
    //    (functions with a fresh snapshot, ordered by their argument) the balances and the audit
    //    claim; the accounts with a cut-off order or prepaid plan
    const accIds = [...new Set(posting.map((n) => accounts.get(reqs[n].accountNo)!.id))].sort((a, b) => a - b);
    const locked = await sql<{ open: Array<[number, number, string, string, string, string, string, string, string, string | null, string | null]>; bal: Array<[number, string]>; hot: number[]; audit: AuditClaim }>`
      with o as (
        select account_id, id, period, customer_class, amount, principal_paid, fee_charged, fee_paid, due_date, fee_through, waived_through
          from receivables where account_id = any(${accIds}::int8[]) and status = 'open'
         order by id for update),
      oj as (select coalesce(json_agg(json_build_array(account_id, id, period, customer_class, amount::text, principal_paid::text, fee_charged::text, fee_paid::text, due_date, fee_through, waived_through) order by id), '[]'::json) as j,
                    count(*) as n from o)
      select oj.j as open,
             ledger_balances(${accIds}::int8[], oj.n) as bal,
             (select coalesce(json_agg(account_id), '[]'::json) from (
                select account_id from cutoff_orders where account_id = any(${accIds}::int8[]) and kind = 'cutoff' and state in ('created', 'notice_sent', 'scheduled', 'executed', 'closed')
                union select account_id from prepaid_plans where account_id = any(${accIds}::int8[]) and status = 'active') h) as hot,
             ${auditClaimSql(posting.length, sql`oj.n`)} as audit
        from oj${PREPARED}`.execute(trx);
    const open = {
      rows: locked.rows[0].open.map(([account_id, id, period, customer_class, amount, principal_paid, fee_charged, fee_paid, due_date, fee_through, waived_through]) =>
        ({ account_id, id, period, customer_class, amount, principal_paid, fee_charged, fee_paid, due_date, fee_through, waived_through }) as OpenRow & { account_id: number }),
    };
    const bal = { rows: locked.rows[0].bal.map(([account_id, b]) => ({ account_id, b })) };
    const hotAccounts = locked.rows[0].hot.map(Number).sort((x, y) => x - y);
    const openBy = new Map<number, OpenRow[]>();
    for (const r of open.rows) {
      const a = Number(r.account_id);
      if (!openBy.has(a)) openBy.set(a, []);
      openBy.get(a)!.push({ ...r, id: Number(r.id) });
    }
    const balance = new Map<number, number>(bal.rows.map((r) => [Number(r.account_id), toFen(r.b)]));
    const sets = await cachedRuleSets(trx);
    const recvAgg = new Map<number, { id: number; principal: number; fee_new: number; fee_paid: number; fee_through: string; settled: boolean }>();
    const allocRows: Array<{ payment_id: number; receivable_id: number; account_id: number; fee: string; principal: string }> = [];
    const ledgerRows: Array<{ account_id: number; kind: string; component: string | null; amount: string; receivable_id: number | null; payment_id: number; entry_date: string; memo: string | null }> = [];
    const payRows: Array<{ id: number; unallocated: string; response: PaymentResult }> = [];
    const audits: Array<{ actor: Actor; event: AuditInput }> = [];
    const touched = new Map<number, { actor: Actor; now: Date }>();
    for (const n of posting) {
      const r = reqs[n];
      const acc = accounts.get(r.accountNo)!;
      const p = inserted.get(keyOf(r.channel, r.idempotencyKey))!;
      const payDate = shanghaiDate(r.now);
      const rows = openBy.get(acc.id) ?? [];
      const plan = planAllocation(rows, sets, r.amountFen, payDate);
      // the next payment of this account in the group sees this one's effect
      for (const d of plan.recv) {
        const row = rows.find((x) => x.id === d.id)!;
        row.principal_paid = fen2(toFen(row.principal_paid) + toFen(d.principal));
        row.fee_charged = fen2(toFen(row.fee_charged) + toFen(d.fee_new));
        row.fee_paid = fen2(toFen(row.fee_paid) + toFen(d.fee_paid));
        // as the single path's update: greatest(coalesce(fee_through, due_date), pay day)
        const base = row.fee_through ?? row.due_date;
        row.fee_through = base > payDate ? base : payDate;
        const agg = recvAgg.get(d.id) ?? { id: d.id, principal: 0, fee_new: 0, fee_paid: 0, fee_through: row.fee_through, settled: false };
        agg.principal += toFen(d.principal);
        agg.fee_new += toFen(d.fee_new);
        agg.fee_paid += toFen(d.fee_paid);
        agg.fee_through = row.fee_through;
        agg.settled = d.settled;
        recvAgg.set(d.id, agg);
        allocRows.push({ payment_id: p.id, receivable_id: d.id, account_id: acc.id, fee: d.fee_paid, principal: d.principal });
      }
      openBy.set(acc.id, rows.filter((x) => !plan.recv.some((d) => d.id === x.id && d.settled)));
      let b = balance.get(acc.id) ?? 0;
      for (const e of plan.entries) {
        ledgerRows.push({ account_id: acc.id, ...e, payment_id: p.id, entry_date: payDate });
        b += toFen(e.amount);
      }
      balance.set(acc.id, b);
      const result: PaymentResult = {
        paymentId: p.id, status: 'posted', channel: r.channel, idempotencyKey: r.idempotencyKey, externalTxnId: r.externalTxnId,
        accountNo: acc.accountNo, accountName: acc.name, amount: fen2(r.amountFen), method: r.method, payDate,
        receiptNo: null, lateFeePaid: fen2(plan.feeFen), principalPaid: fen2(plan.principalFen), credit: fen2(plan.remainderFen),
        allocations: plan.allocations, balanceAfter: fen2(b), postedAt: p.received_at.toISOString(),
      };
      payRows.push({ id: p.id, unallocated: fen2(plan.remainderFen), response: result });
      out[n] = { ok: true, value: { result, replayed: false } };
      const actor = channelActor(r.channel, r.meta.ip, r.meta.requestId);
      audits.push({
        actor,
        event: {
          action: 'payment.post', entityType: 'payment', entityId: p.id, orgUnitId: acc.orgUnitId,
          after: { accountNo: acc.accountNo, channel: r.channel, method: r.method, amount: result.amount, idempotencyKey: r.idempotencyKey, externalTxnId: r.externalTxnId, shiftId: null, lateFeePaid: result.lateFeePaid, credit: result.credit },
        },
      });
      touched.set(acc.id, { actor, now: r.now });
    }

    // 5. one statement for every write of the group, the audit events included (one per payment,
    //    chained from the head claimed above)
    const au = chainAuditRows(locked.rows[0].audit, audits, new Date());
    const recv = [...recvAgg.values()].map((x) => ({ id: x.id, principal: fen2(x.principal), fee_new: fen2(x.fee_new), fee_paid: fen2(x.fee_paid), fee_through: x.fee_through, settled: x.settled }));
    await sql`
      with v as (select * from jsonb_to_recordset(${JSON.stringify(recv)}::jsonb) as x(id bigint, principal numeric, fee_new numeric, fee_paid numeric, fee_through date, settled boolean)),
      up as (
        update receivables r set principal_paid = r.principal_paid + v.principal, fee_charged = r.fee_charged + v.fee_new, fee_paid = r.fee_paid + v.fee_paid,
               fee_through = greatest(coalesce(r.fee_through, r.due_date), v.fee_through),
               status = case when v.settled then 'settled' else 'open' end, settled_at = case when v.settled then now() else null end
          from v where r.id = v.id and r.id = any(${recv.map((x) => x.id)}::int8[]) returning r.id
      ), al as (
        insert into payment_allocations (payment_id, receivable_id, account_id, fee, principal)
        select payment_id, receivable_id, account_id, fee, principal
          from jsonb_to_recordset(${JSON.stringify(allocRows)}::jsonb) as x(payment_id bigint, receivable_id bigint, account_id bigint, fee numeric, principal numeric) returning 1
      ), le as (
        insert into ledger_entries (account_id, kind, component, amount, receivable_id, payment_id, entry_date, memo)
        select account_id, kind, component, amount, receivable_id, payment_id, entry_date, memo
          from jsonb_to_recordset(${JSON.stringify(ledgerRows)}::jsonb) as x(account_id bigint, kind text, component text, amount numeric, receivable_id bigint, payment_id bigint, entry_date date, memo text)
        returning 1
      ), pu as (
        update payments p set unallocated = x.unallocated, response = x.response
          from jsonb_to_recordset(${JSON.stringify(payRows)}::jsonb) as x(id bigint, unallocated numeric, response jsonb)
         where p.id = x.id and p.id = any(${payRows.map((x) => x.id)}::int8[]) returning 1
      ), ${auditCtes(au)}
      select (select count(*) from up) as u, (select count(*) from al) as a, (select count(*) from le) as l, (select count(*) from pu) as p,
             (select count(*) from ae) as e, (select count(*) from ah) as h${PREPARED}`.execute(trx);

    // 6. cut-off / prepaid follow-up, only for the accounts that have one
    for (const a of hotAccounts) {
      const t = touched.get(a)!;
      await onPaymentPosted(trx, a, t.actor, t.now);
    }
  }

  // a request whose key came earlier in the group gets that payment's outcome
  for (const n of followers) {
    const k = keyOf(reqs[n].channel, reqs[n].idempotencyKey);
    const first = primary.get(k)!;
    // the payment stored under the key: posted earlier (the first request replayed or mismatched it) or by the first request now
    const s = stored.get(k);
    if (s) replayOrMismatch(n, s);
    else {
      const o = out[first]!;
      if (o.ok) replayOrMismatch(n, { hash: hashOf(first), result: o.value.result, id: o.value.result.paymentId });
      else out[n] = o;
    }
  }
  return out as Outcome[];
}
