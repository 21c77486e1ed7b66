/**
 * Review queue (异常审核) for the billing checker: readings VEE flagged (pending_review), with
 * their rule results; accept, edit (new value + reason), estimate (§5.3 暂按前次用电量) or
 * reject. Every decision is audited with before/after.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { getActiveRuleSet } from './rule-sets.js';
import { checkReading, consumption, estimateReading, parseReadingValue, type EstimateBasis, type RuleResult } from '../../domain/metering/vee.js';
import { checkReason, inTx, requirePermission, requireScope, type Actor, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { escapeLike } from '../security/users.js';
import { Baselines, dayStart } from './baseline.js';
import { readingOut } from './readings.js';

export async function reviewQueue(db: Db, actor: Actor, f: { routeId?: number; rule?: string; page: number; pageSize: number }) {
  requirePermission(actor, 'reading.review');
  let qb = db.kysely.selectFrom('register_readings as r').innerJoin('accounts as a', 'a.id', 'r.account_id').innerJoin('meters as m', 'm.id', 'r.meter_id')
    .where('r.status', '=', 'pending_review');
  if (actor.orgPath !== '' && actor.orgPath !== '/') {
    const ids = (await db.kysely.selectFrom('org_units').select('id').where('path', 'like', escapeLike(actor.orgPath) + '%').execute()).map((o) => o.id);
    qb = qb.where('a.org_unit_id', 'in', ids.length ? ids : [-1]);
  }
  if (f.routeId) qb = qb.where('a.reading_route_id', '=', f.routeId);
  if (f.rule) qb = qb.where(sql<boolean>`${f.rule} = any(r.quality_flags)`);
  const rows = await qb.selectAll('r').select(['m.asset_no', 'a.account_no', 'a.name as account_name'])
    .orderBy('r.read_at').orderBy('r.id').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  return { items: rows.map(readingOut), page: f.page, pageSize: f.pageSize };
}

async function loadForReview(trx: Trx, actor: Actor, id: number) {
  const r = await trx.selectFrom('register_readings as r').innerJoin('accounts as a', 'a.id', 'r.account_id').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
    .innerJoin('meters as m', 'm.id', 'r.meter_id')
    .selectAll('r').select(['o.path', 'a.contract_demand_kw', 'm.digits', 'm.decimals', 'm.multiplier', 'm.asset_no'])
    .where('r.id', '=', id).executeTakeFirst();
  if (!r) throw new AppError('NOT_FOUND', `reading ${id} not found`);
  requireScope(actor, r.path, 'account');
  await sql`select id from register_readings where account_id = ${r.account_id} and id = ${id} for update`.execute(trx);
  return r;
}

function requireReviewable(r: { status: string }, allowed: string[] = ['pending_review']) {
  if (!allowed.includes(r.status)) throw new AppError('CONFLICT', `reading is ${r.status}, not pending review`, { status: r.status });
}

const snap = (r: any) => ({ status: r.status, value: r.value, consumption: r.consumption, flags: r.quality_flags });

export async function acceptReading(db: Db, actor: Actor, id: number, input: { reason?: string }) {
  requirePermission(actor, 'reading.review');
  const reason = checkReason(input.reason, false);
  return inTx(db, async (trx) => {
    const r = await loadForReview(trx, actor, id);
    requireReviewable(r);
    if (r.value === null) throw new AppError('CONFLICT', 'the reading has no value (exception only): edit or estimate it', { field: 'value' });
    const now = new Date();
    await trx.updateTable('register_readings').set({ status: 'accepted', review_reason: reason, reviewed_by: actor.userId, reviewed_at: now, updated_at: now })
      .where('account_id', '=', r.account_id).where('id', '=', id).execute();
    await writeAudit(trx, actor, { action: 'reading.accept', entityType: 'account', entityId: r.account_id, before: { readingId: id, ...snap(r) }, after: { readingId: id, status: 'accepted', reason } });
    return { id, status: 'accepted' as const, value: r.value, consumption: r.consumption };
  });
}

export async function rejectReading(db: Db, actor: Actor, id: number, input: { reason: string }) {
  requirePermission(actor, 'reading.review');
  const reason = checkReason(input.reason, true);
  return inTx(db, async (trx) => {
    const r = await loadForReview(trx, actor, id);
    requireReviewable(r);
    const now = new Date();
    await trx.updateTable('register_readings').set({ status: 'rejected', review_reason: reason, reviewed_by: actor.userId, reviewed_at: now, updated_at: now })
      .where('account_id', '=', r.account_id).where('id', '=', id).execute();
    await writeAudit(trx, actor, { action: 'reading.reject', entityType: 'account', entityId: r.account_id, before: { readingId: id, ...snap(r) }, after: { readingId: id, status: 'rejected', reason } });
    return { id, status: 'rejected' as const };
  });
}

/** Recompute consumption against the previous reading on the metering point. */
async function recompute(trx: Trx, r: any, value: string) {
  const base = await Baselines.load(trx, [r.metering_point_id]);
  const at = new Date(r.read_at);
  const prev = base.previous(r.metering_point_id, r.meter_id, r.register, at, r.id);
  let exchangeKwh: string | null = null;
  if (prev.exchange) exchangeKwh = consumption(prev.exchange.from, prev.exchange.final, prev.exchange.multiplier, prev.exchange.digits)?.kwh ?? null;
  const chk = checkReading({ register: r.register, value, readAt: at, now: new Date(8.64e15), meter: r, previous: prev.previous, exchangeKwh, history: prev.history, contractDemandKw: r.contract_demand_kw }, await getActiveRuleSet(trx));
  return { chk, prev, base };
}

export async function editReading(db: Db, actor: Actor, id: number, input: { value: string | number; reason: string }) {
  requirePermission(actor, 'reading.review');
  const reason = checkReason(input.reason, true);
  return inTx(db, async (trx) => {
    const r = await loadForReview(trx, actor, id);
    requireReviewable(r, ['pending_review', 'accepted', 'estimated']);
    const pv = parseReadingValue(input.value, r.digits, r.decimals);
    if (!pv.ok) throw new ValidationError('value', pv.result.en);
    const { chk } = await recompute(trx, r, pv.value);
    const results: RuleResult[] = [
      ...chk.results,
      { rule: 'EDITED', severity: 'info', zh: `人工修改示数 ${r.value ?? '(空)'} → ${pv.value}: ${reason}`, en: `value edited ${r.value ?? '(none)'} -> ${pv.value}: ${reason}` },
    ];
    const now = new Date();
    const flags = [...new Set([...(r.quality_flags ?? []), 'EDITED'])];
    await trx.updateTable('register_readings').set({
      status: 'accepted', value: pv.value, consumption: chk.kwh, original_value: r.original_value ?? r.value, quality_flags: flags,
      rule_results: JSON.stringify(results), review_reason: reason, reviewed_by: actor.userId, reviewed_at: now, updated_at: now,
    }).where('account_id', '=', r.account_id).where('id', '=', id).execute();
    await writeAudit(trx, actor, {
      action: 'reading.edit', entityType: 'account', entityId: r.account_id,
      before: { readingId: id, ...snap(r) }, after: { readingId: id, status: 'accepted', value: pv.value, consumption: chk.kwh, reason },
    });
    return { id, status: 'accepted' as const, value: pv.value, originalValue: r.original_value ?? r.value, consumption: chk.kwh, ruleResults: results };
  });
}

/**
 * Estimate the reading (§5.3): previous reading + the basis period's advance. Basis
 * `previous_period`: the advance between the two readings before this one; `same_period_last_year`:
 * the advance of the reading about one year earlier (the previous-period basis when none).
 */
export async function estimateReadingFor(db: Db, actor: Actor, id: number, input: { basis?: EstimateBasis; reason?: string }) {
  requirePermission(actor, 'reading.review');
  const basisKind: EstimateBasis = input.basis ?? 'previous_period';
  if (!['previous_period', 'same_period_last_year'].includes(basisKind)) throw new ValidationError('basis', 'previous_period or same_period_last_year');
  const reason = checkReason(input.reason, false);
  return inTx(db, async (trx) => {
    const r = await loadForReview(trx, actor, id);
    requireReviewable(r);
    if (r.register === 'MAX_DEMAND') throw new ValidationError('register', 'maximum demand is not estimated');
    const at = new Date(r.read_at);
    const base = await Baselines.load(trx, [r.metering_point_id]);
    const prev = base.previous(r.metering_point_id, r.meter_id, r.register, at, r.id);
    if (!prev.previous) throw new AppError('CONFLICT', 'no previous reading to estimate from', { field: 'basis' });
    // basis: the stored readings on this meter before the previous one
    const { rows: hist } = await sql<{ value: string; read_at: Date; consumption: string | null }>`
      select value, read_at, consumption from register_readings
      where account_id = ${r.account_id} and metering_point_id = ${r.metering_point_id} and meter_id = ${r.meter_id} and register = ${r.register}
        and status in ('accepted','estimated') and value is not null and read_at < ${at} and id <> ${id}
      order by read_at desc limit 24`.execute(trx);
    const pts = hist.map((h) => ({ value: h.value, readAt: new Date(h.read_at) }));
    // the meter's install reading is the oldest point of its history
    const inst = base.installations(r.metering_point_id).find((i) => i.meter_id === r.meter_id);
    const ini = inst?.initial_readings?.[r.register];
    if (inst && ini !== undefined && pts.length < 24) pts.push({ value: ini, readAt: dayStart(inst.installed_on) });
    let basis: { advance: string; days: number } | null = null;
    let used: EstimateBasis | 'none' = 'none';
    const pair = (a: { value: string; readAt: Date }, b: { value: string; readAt: Date }) => {
      const c = consumption(b.value, a.value, '1', r.digits);
      return c ? { advance: c.advance, days: (a.readAt.getTime() - b.readAt.getTime()) / 86_400_000 } : null;
    };
    if (basisKind === 'same_period_last_year') {
      const target = at.getTime() - 365 * 86_400_000;
      const j = pts.findIndex((p) => Math.abs(p.readAt.getTime() - target) < 20 * 86_400_000);
      if (j >= 0 && j + 1 < pts.length) { basis = pair(pts[j], pts[j + 1]); used = 'same_period_last_year'; }
    }
    if (!basis) {
      // the previous period: previous reading vs the one before it (or the install reading)
      const before = pts.length >= 2 ? pts[1] : null;
      const p0 = prev.previous;
      if (before) { basis = pair(p0, before); used = 'previous_period'; }
    }
    const e = estimateReading({ previous: prev.previous, readAt: at, basis, digits: r.digits, decimals: r.decimals, multiplier: r.multiplier });
    const results: RuleResult[] = [
      ...((r.rule_results as RuleResult[]) ?? []),
      { rule: 'ESTIMATED', severity: 'info', zh: `估算示数 ${e.value} (依据: ${used === 'same_period_last_year' ? '去年同期' : used === 'previous_period' ? '前次用电量' : '无历史, 按零电量'})`, en: `estimated ${e.value} (basis: ${used})`, details: { basis: used, advance: e.advance } },
    ];
    const now = new Date();
    const flags = [...new Set([...(r.quality_flags ?? []), 'ESTIMATED'])];
    const exKwh = prev.exchange ? consumption(prev.exchange.from, prev.exchange.final, prev.exchange.multiplier, prev.exchange.digits)?.kwh : null;
    const kwh = exKwh ? (Number(exKwh) + Number(e.kwh)).toFixed(4) : e.kwh;
    await trx.updateTable('register_readings').set({
      status: 'estimated', source: 'estimate', value: e.value, consumption: kwh, original_value: r.original_value ?? r.value, quality_flags: flags,
      rule_results: JSON.stringify(results), review_reason: reason, reviewed_by: actor.userId, reviewed_at: now, updated_at: now,
    }).where('account_id', '=', r.account_id).where('id', '=', id).execute();
    await writeAudit(trx, actor, {
      action: 'reading.estimate', entityType: 'account', entityId: r.account_id,
      before: { readingId: id, ...snap(r) }, after: { readingId: id, status: 'estimated', value: e.value, consumption: kwh, basis: used, reason },
    });
    return { id, status: 'estimated' as const, value: e.value, consumption: kwh, basis: used, ruleResults: results };
  });
}
