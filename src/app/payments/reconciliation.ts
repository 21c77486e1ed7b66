/**
 * Reconciliation (对账) of a channel's daily statement file against the payments posted for that
 * channel and day. CSV with a header line `idempotencyKey,accountNo,amount` (optional 4th column
 * `currency`, CNY only). Any malformed row refuses the whole file (the error names the line and
 * column); nothing is stored. Results: matched, long (in the statement, not posted), short
 * (posted, not in the statement), mismatch (amounts differ). Each open item is resolved by an
 * audited action: long -> `posted` (post the payment now) or `channel_error`; short ->
 * `reversed` (reverse our payment) or `accepted`; mismatch -> `accepted` or `channel_error`.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import '../../db/schema-payments.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { checkCurrency, checkDate, fen2, parsePaymentAmount, shanghaiDate, toFen } from '../../domain/payments/index.js';
import { inTx, requirePermission, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { findAccount } from './accounts.js';
import { postPayment, reversePayment } from './post-payment.js';

export interface StatementLine {
  line: number;
  idempotencyKey: string;
  accountNo: string;
  amountFen: number;
}

/** Parse the statement CSV; throws ValidationError naming `lines.<n>.<column>`. Pure. */
export function parseStatementCsv(csv: string): StatementLine[] {
  const rows = csv.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = (rows[0] ?? '').split(',').map((h) => h.trim());
  if (header.slice(0, 3).join(',') !== 'idempotencyKey,accountNo,amount' || header.length > 4 || (header.length === 4 && header[3] !== 'currency')) {
    throw new ValidationError('csv', 'header must be idempotencyKey,accountNo,amount[,currency]', { reason: 'STATEMENT_HEADER' });
  }
  const out: StatementLine[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < rows.length; i++) {
    const raw = rows[i];
    if (raw.trim() === '') continue;
    const cols = raw.split(',').map((c) => c.trim());
    const line = i + 1;
    if (cols.length !== header.length) throw new ValidationError(`lines.${line}`, `expected ${header.length} columns, got ${cols.length}`, { reason: 'STATEMENT_ROW', line });
    const [key, accountNo, amount, currency] = cols;
    if (!/^[A-Za-z0-9_.:-]{6,64}$/.test(key)) throw new ValidationError(`lines.${line}.idempotencyKey`, 'missing or malformed', { reason: 'STATEMENT_ROW', line });
    if (seen.has(key)) throw new ValidationError(`lines.${line}.idempotencyKey`, 'listed twice', { reason: 'STATEMENT_ROW', line });
    seen.add(key);
    if (!/^[0-9A-Za-z-]{4,32}$/.test(accountNo)) throw new ValidationError(`lines.${line}.accountNo`, 'missing or malformed', { reason: 'STATEMENT_ROW', line });
    const amountFen = parsePaymentAmount(amount, `lines.${line}.amount`);
    if (header.length === 4) checkCurrency(currency, `lines.${line}.currency`);
    out.push({ line, idempotencyKey: key, accountNo, amountFen });
  }
  if (out.length > 200_000) throw new ValidationError('csv', 'at most 200,000 lines per file');
  return out;
}

export async function importStatement(db: Db, actor: Actor, input: { channelCode: string; statementDate: string; csv: string; fileName?: string }) {
  requirePermission(actor, 'payment.collect');
  const day = checkDate(input.statementDate, 'statementDate');
  if (typeof input.csv !== 'string' || !input.csv.trim()) throw new ValidationError('csv', 'required');
  const lines = parseStatementCsv(input.csv);
  const sha = crypto.createHash('sha256').update(input.csv).digest('hex');
  return inTx(db, async (trx) => {
    const ch = await trx.selectFrom('payment_channels').select('code').where('code', '=', input.channelCode).executeTakeFirst();
    if (!ch) throw new AppError('NOT_FOUND', `channel ${input.channelCode} not found`, { field: 'channelCode' });
    const dup = await trx.selectFrom('channel_statements').select('id').where('channel_code', '=', ch.code).where('statement_date', '=', day).where('file_sha256', '=', sha).executeTakeFirst();
    if (dup) throw new AppError('CONFLICT', `this file was imported already (statement ${dup.id})`, { field: 'csv', statementId: dup.id, reason: 'STATEMENT_DUPLICATE' });
    const posted = await trx.selectFrom('payments').select(['id', 'idempotency_key', 'amount', 'account_id']).where('channel', '=', ch.code).where('pay_date', '=', day).where('status', '=', 'posted').execute();
    const byKey = new Map(posted.map((p) => [p.idempotency_key, p]));
    const items: Array<Record<string, unknown>> = [];
    const inFile = new Set<string>();
    for (const l of lines) {
      inFile.add(l.idempotencyKey);
      const p = byKey.get(l.idempotencyKey);
      const kind = !p ? 'long' : toFen(p.amount) === l.amountFen ? 'matched' : 'mismatch';
      items.push({ kind, idempotency_key: l.idempotencyKey, account_no: l.accountNo, statement_amount: fen2(l.amountFen), posted_amount: p?.amount ?? null, payment_id: p?.id ?? null });
    }
    const nos = new Map<number, string>();
    const shortOnes = posted.filter((p) => !inFile.has(p.idempotency_key));
    if (shortOnes.length) {
      const accs = await trx.selectFrom('accounts').select(['id', 'account_no']).where('id', 'in', shortOnes.map((p) => p.account_id)).execute();
      for (const a of accs) nos.set(a.id, a.account_no);
    }
    for (const p of shortOnes) items.push({ kind: 'short', idempotency_key: p.idempotency_key, account_no: nos.get(p.account_id) ?? null, statement_amount: null, posted_amount: p.amount, payment_id: p.id });
    const count = (k: string) => items.filter((i) => i.kind === k).length;
    const st = await trx.insertInto('channel_statements').values({
      channel_code: ch.code, statement_date: day, file_name: input.fileName ?? null, file_sha256: sha, lines: lines.length,
      matched: count('matched'), long_count: count('long'), short_count: count('short'), mismatch_count: count('mismatch'), imported_by: actor.userId,
    }).returningAll().executeTakeFirstOrThrow();
    for (let i = 0; i < items.length; i += 1000) {
      await trx.insertInto('channel_statement_items').values(items.slice(i, i + 1000).map((it) => ({ ...it, statement_id: st.id })) as never).execute();
    }
    await trx.updateTable('payments').set({ reconciled: 'matched' }).where('id', 'in', items.filter((i) => i.kind === 'matched').map((i) => i.payment_id as number).concat([-1])).execute();
    const summary = { statementId: st.id, channelCode: ch.code, statementDate: day, lines: lines.length, matched: st.matched, long: st.long_count, short: st.short_count, mismatch: st.mismatch_count };
    await writeAudit(trx, actor, { action: 'statement.import', entityType: 'channel_statement', entityId: st.id, after: { ...summary, fileName: input.fileName ?? null, sha256: sha } });
    return summary;
  });
}

export async function getStatement(db: Db, actor: Actor, id: number, kind?: string) {
  requirePermission(actor, 'payment.collect');
  const st = await db.kysely.selectFrom('channel_statements').selectAll().where('id', '=', id).executeTakeFirst();
  if (!st) throw new AppError('NOT_FOUND', `statement ${id} not found`, { field: 'id' });
  let q = db.kysely.selectFrom('channel_statement_items').selectAll().where('statement_id', '=', id);
  if (kind) q = q.where('kind', '=', kind as never);
  const items = await q.orderBy('id').limit(5000).execute();
  return {
    id: st.id, channelCode: st.channel_code, statementDate: st.statement_date, fileName: st.file_name, lines: st.lines, matched: st.matched, long: st.long_count, short: st.short_count, mismatch: st.mismatch_count, importedAt: st.imported_at,
    items: items.map((i) => ({ id: i.id, kind: i.kind, idempotencyKey: i.idempotency_key, accountNo: i.account_no, statementAmount: i.statement_amount, postedAmount: i.posted_amount, paymentId: i.payment_id, resolution: i.resolution, resolutionNote: i.resolution_note, resolvedAt: i.resolved_at })),
  };
}

const ALLOWED: Record<string, string[]> = { long: ['posted', 'channel_error'], short: ['reversed', 'accepted'], mismatch: ['accepted', 'channel_error'], matched: [] };

/** Resolve one long / short / mismatch item with an audited action and a note. */
export async function resolveStatementItem(db: Db, actor: Actor, itemId: number, input: { action: string; note?: unknown }, now = new Date()) {
  requirePermission(actor, 'payment.supervise');
  const note = typeof input.note === 'string' && input.note.trim().length >= 2 ? input.note.trim().slice(0, 500) : null;
  if (!note) throw new ValidationError('note', 'required (at least 2 characters)');
  return inTx(db, async (trx) => {
    const it = await trx.selectFrom('channel_statement_items as i').innerJoin('channel_statements as s', 's.id', 'i.statement_id')
      .selectAll('i').select(['s.channel_code', 's.statement_date']).where('i.id', '=', itemId).forUpdate('i').executeTakeFirst();
    if (!it) throw new AppError('NOT_FOUND', `statement item ${itemId} not found`, { field: 'itemId' });
    if (it.resolution) throw new AppError('CONFLICT', `item ${itemId} is already resolved (${it.resolution})`, { reason: 'ALREADY_RESOLVED' });
    if (!ALLOWED[it.kind].includes(input.action)) throw new ValidationError('action', `for a ${it.kind} item: ${ALLOWED[it.kind].join(' or ') || 'nothing to resolve'}`);
    let paymentId = it.payment_id;
    if (input.action === 'posted') {
      const acc = await findAccount(trx, { accountNo: it.account_no ?? '' }, 'accountNo');
      const r = await postPayment(trx, actor, { account: acc, channel: it.channel_code, method: 'transfer', amountFen: toFen(it.statement_amount!), idempotencyKey: it.idempotency_key!, externalTxnId: it.idempotency_key, payDate: shanghaiDate(now), postedAt: now });
      paymentId = r.result.paymentId;
    } else if (input.action === 'reversed') {
      await reversePayment(trx, actor, it.payment_id!, 'reversed', `对账短款: ${note}`);
    }
    if (paymentId && input.action !== 'reversed') await trx.updateTable('payments').set({ reconciled: 'resolved' }).where('id', '=', paymentId).execute();
    await trx.updateTable('channel_statement_items').set({ resolution: input.action as never, resolution_note: note, resolved_by: actor.userId, resolved_at: sql<Date>`now()` as never, payment_id: paymentId }).where('id', '=', itemId).execute();
    await writeAudit(trx, actor, { action: 'statement.resolve', entityType: 'channel_statement_item', entityId: itemId, before: { kind: it.kind }, after: { action: input.action, note, paymentId, idempotencyKey: it.idempotency_key } });
    return { itemId, kind: it.kind, resolution: input.action, paymentId };
  });
}
