/**
 * Final bill (销户电费) of an account being closed, inside the caller's (the 销户 completion)
 * transaction. Rated with the same domain code a billing run uses (billAccount → determinants →
 * rateBill), so a final bill and a monthly bill of the same usage are identical.
 *
 * - Period covered: the day after the last issued bill's period end (or the installation day
 *   when there is none) up to the final reading day (the 销户 day).
 * - Energy: the unbilled accepted readings after the last issued period plus the final reading
 *   (stored as an accepted register reading, quality flag FINAL, read at 24:00 of the 销户 day),
 *   consumption = (final − previous reading) × 综合倍率, exact.
 * - Stored as a bill of the account in a one-bill billing run (scope: the account; options
 *   `finalBill`), 电费年月 = the month of the 销户 day, or the month after the last issued
 *   period when that one is already billed.
 * - Issued immediately (due date = issue day + the class's due days, as billing issue does)
 *   and posted as a receivable (postIssuedBills). Review flags are kept on the bill but do not
 *   hold it: the reading was taken by the engineer on site at closing.
 * - When the account cannot be rated (e.g. a TOU tariff but only a TOTAL final reading), the bill
 *   is stored in status review with its exception code, like a billing run does (the exception
 *   list of the run), nothing is posted and the caller reports the settlement as pending.
 * - Refused (nothing written): a live bill of the account that is not issued yet (issue or
 *   cancel it first), a 销户 day not after the last billed day, a final reading below the
 *   previous reading.
 */
import { sql } from 'kysely';
import '../../db/schema-billing.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { billAccount, type AccountFacts, type ReadingFact } from '../../domain/billing/index.js';
import { DEFAULT_REVIEW_RULES } from '../../domain/billing/review.js';
import { asTariffVersion } from '../../domain/rating/rate-bill.js';
import type { TariffVersion } from '../../domain/tariffs/schema.js';
import type { Actor, Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { postIssuedBills } from '../payments/receivables.js';
import { DEFAULT_DUE_DAYS } from './review.js';

export interface FinalBillInput {
  accountId: number;
  /** the 销户 day = final reading day, YYYY-MM-DD */
  closedOn: string;
  /** register → final meter reading (示数), at least TOTAL */
  finalReadings: Record<string, string>;
  requestNo: string;
  requestId: number;
}

export interface FinalBillResult {
  billId: number;
  runId: number;
  status: 'issued' | 'review';
  period: string;
  periodStart: string | null;
  periodEnd: string | null;
  kwh: number;
  amount: string;
  dueDate: string | null;
  exceptionCode: string | null;
  exceptionMessage: string | null;
  flags: string[];
  receivablePosted: boolean;
}

const ENERGY_REGS = new Set(['TOTAL', 'SHARP', 'PEAK', 'FLAT', 'VALLEY']);
const READING_RE = /^\d{1,10}(\.\d{1,4})?$/;

/** Decimal string (≤ 4 dp) → integer at scale 4. */
function s4(v: string): bigint {
  const [i, f = ''] = v.split('.');
  return BigInt(i) * 10_000n + BigInt((f + '0000').slice(0, 4));
}
function fmt4(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${a / 10_000n}.${String(a % 10_000n).padStart(4, '0')}`;
}
/** (final − previous) × multiplier at scale 4, rounded half-up. */
export function finalConsumption(final: string, previous: string, multiplier: string): string {
  const adv = s4(final) - s4(previous);
  const p8 = adv * s4(multiplier);
  const q = (p8 + (p8 >= 0n ? 5_000n : -5_000n)) / 10_000n;
  return fmt4(q);
}

function nextPeriod(p: string): string {
  const y = Number(p.slice(0, 4));
  const m = Number(p.slice(5, 7));
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
function addDays(d: string, n: number): string {
  return new Date(Date.parse(d + 'T00:00:00Z') + n * 86_400_000).toISOString().slice(0, 10);
}
const shanghaiToday = (now: Date) => new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);

/** Check the final readings of a 销户 request: { TOTAL, PEAK?, … } meter readings. */
export function checkFinalReadings(v: unknown, field = 'data.finalReadings'): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(field, 'must be an object { TOTAL: "12345.6", PEAK: …, VALLEY: … }');
  const out: Record<string, string> = {};
  for (const [k, raw] of Object.entries(v as Record<string, unknown>)) {
    if (!ENERGY_REGS.has(k)) throw new ValidationError(`${field}.${k}`, `unknown register; one of ${[...ENERGY_REGS].join(', ')}`);
    const s = typeof raw === 'number' ? String(raw) : raw;
    if (typeof s !== 'string' || !READING_RE.test(s)) throw new ValidationError(`${field}.${k}`, 'must be a non-negative meter reading (≤ 4 decimals)');
    out[k] = s;
  }
  if (!out.TOTAL) throw new ValidationError(`${field}.TOTAL`, 'required');
  return out;
}

export async function issueFinalBill(trx: Trx, actor: Actor, i: FinalBillInput, now = new Date()): Promise<FinalBillResult> {
  const a = await trx.selectFrom('accounts').selectAll().where('id', '=', i.accountId).executeTakeFirst();
  if (!a) throw new AppError('NOT_FOUND', `account ${i.accountId} not found`, { field: 'accountId' });

  // live bills: the newest must be issued (a bill still in review would be billed twice)
  const live = await trx.selectFrom('bills').select(['id', 'period', 'status', 'period_end']).where('account_id', '=', a.id).where('trial', '=', false)
    .where('status', 'not in', ['cancelled', 'sent_back']).orderBy('period', 'desc').execute();
  const pending = live.find((b) => b.status !== 'issued');
  if (pending) {
    throw new AppError('CONFLICT', `bill ${pending.id} (${pending.period}) of the account is ${pending.status}: issue or cancel it before 销户`, { field: 'accountId', billId: pending.id, status: pending.status });
  }
  const last = live[0] ?? null;
  const lastEnd = last?.period_end ?? null;
  if (lastEnd && i.closedOn <= lastEnd) throw new ValidationError('data.effectiveOn', `must be after the last billed day ${lastEnd} (bill ${last!.id}, ${last!.period})`);
  let period = i.closedOn.slice(0, 7);
  if (last && last.period >= period) period = nextPeriod(last.period);

  // the meters removed at closing and the final reading of each register
  const inst = await trx.selectFrom('meter_installations as mi').innerJoin('meters as m', 'm.id', 'mi.meter_id')
    .select(['mi.id', 'mi.meter_id', 'mi.metering_point_id', 'mi.installed_on', 'mi.initial_readings', 'm.multiplier', 'm.registers'])
    .where('mi.account_id', '=', a.id).where('mi.removed_on', '=', i.closedOn).orderBy('mi.id').execute();
  if (!inst.length) throw new ValidationError('data.effectiveOn', `no meter of the account was removed on ${i.closedOn}`);
  const readAt = new Date(Date.parse(i.closedOn + 'T00:00:00+08:00') + 86_400_000); // 24:00 of the 销户 day (closes that day)
  const eligible = ['accepted', 'estimated'] as const;
  const facts: ReadingFact[] = [];
  const finalRows: Array<{ register: string; value: string; previous: string; consumption: string; meterId: number }> = [];
  for (const m of inst) {
    const regs = (m.registers as unknown as string[]) ?? ['TOTAL'];
    for (const [reg, value] of Object.entries(i.finalReadings)) {
      if (reg !== 'TOTAL' && !regs.includes(reg)) throw new ValidationError(`data.finalReadings.${reg}`, `meter ${m.meter_id} has no ${reg} register`);
      const prev = await trx.selectFrom('register_readings').select(['value', 'read_at']).where('account_id', '=', a.id).where('meter_id', '=', m.meter_id)
        .where('register', '=', reg).where('status', 'in', [...eligible]).where('value', 'is not', null).orderBy('read_at', 'desc').limit(1).executeTakeFirst();
      const init = (m.initial_readings as Record<string, string> | null)?.[reg];
      const previous = prev?.value ?? (init !== undefined ? String(init) : null);
      if (previous === null) throw new ValidationError(`data.finalReadings.${reg}`, `meter ${m.meter_id} has no previous ${reg} reading or initial reading to compute the final energy from`);
      if (prev && new Date(prev.read_at) >= readAt) throw new ValidationError('data.effectiveOn', `meter ${m.meter_id} already has a ${reg} reading at or after the 销户 day`);
      if (s4(value) < s4(previous)) throw new ValidationError(reg === 'TOTAL' ? 'data.finalReading' : `data.finalReadings.${reg}`, `${value} is below the previous reading ${Number(previous)}`);
      const consumption = finalConsumption(value, String(previous), m.multiplier);
      const row = await trx.insertInto('register_readings').values({
        account_id: a.id, meter_id: m.meter_id, metering_point_id: m.metering_point_id, register: reg, read_at: readAt, billing_period: period,
        value, consumption, source: 'manual', quality_flags: sql`array['FINAL']::text[]` as never, status: 'accepted', entered_by: actor.userId,
        review_reason: `销户 final reading (${i.requestNo})`,
      } as never).returning('id').executeTakeFirstOrThrow();
      facts.push({ id: Number(row.id), register: reg, readAt, value, consumption, status: 'accepted', meterId: m.meter_id, multiplier: m.multiplier, source: 'manual' });
      finalRows.push({ register: reg, value, previous: String(previous), consumption, meterId: m.meter_id });
    }
  }
  // unbilled accepted readings after the last issued period belong to this bill too
  {
    const unbilled = await trx.selectFrom('register_readings as r').innerJoin('meters as m', 'm.id', 'r.meter_id')
      .select(['r.id', 'r.register', 'r.read_at', 'r.value', 'r.consumption', 'r.status', 'r.source', 'r.meter_id', 'm.multiplier'])
      .where('r.account_id', '=', a.id).where('r.billing_period', '>', last?.period ?? '0000-00').where('r.status', 'in', [...eligible])
      .where('r.read_at', '<', readAt).execute();
    for (const r of unbilled) facts.push({ id: Number(r.id), register: r.register, readAt: new Date(r.read_at), value: r.value, consumption: r.consumption, status: r.status, meterId: r.meter_id, multiplier: r.multiplier, source: r.source });
  }
  const hist = await sql<{ prev_at: Date | null; cum: string | null }>`
    select max(read_at) as prev_at,
           coalesce(sum(round(consumption)) filter (where billing_period >= ${period.slice(0, 4) + '-01'}), 0)::text as cum
      from register_readings
     where account_id = ${a.id} and register = 'TOTAL' and status in ('accepted', 'estimated')
       and billing_period <= ${last?.period ?? '0000-00'}`.execute(trx);
  const h = hist.rows[0];
  const installedOn = inst.reduce((min, m) => (m.installed_on < min ? m.installed_on : min), inst[0].installed_on);

  const tv = a.tariff_code ? await trx.selectFrom('tariff_versions').select(['document']).where('code', '=', a.tariff_code).where('status', '=', 'active').execute() : [];
  const versions: TariffVersion[] = tv.map((r) => asTariffVersion(r.document));
  const account: AccountFacts = {
    id: a.id, accountNo: a.account_no, customerClass: a.customer_class, tariffCode: a.tariff_code, householdSize: a.household_size,
    capacityKva: a.contract_capacity_kva, contractDemandKw: a.contract_demand_kw, basicChargeMethod: a.basic_charge_method, pfStandard: a.pf_standard,
    openedOn: a.opened_on, status: a.status,
  };
  const d = billAccount(
    {
      period, account, readings: facts, previousReadAt: h?.prev_at ? new Date(h.prev_at) : null, installedOn: lastEnd ? null : installedOn,
      ladderPrevCumKwh: h?.cum ? Number(h.cum) : 0, tariffVersions: versions,
    },
    { last: null, lastYear: null, hasEarlierBill: !!last },
    DEFAULT_REVIEW_RULES,
  );
  // the period starts the day after the last billed day even if no reading closed it exactly
  if (lastEnd && d.det.periodStart && d.det.periodStart !== addDays(lastEnd, 1)) d.warnings.push(`previous reading closes ${d.det.periodStart}, last bill ended ${lastEnd}`);

  const issued = !d.exceptionCode;
  const issueDay = shanghaiToday(now);
  const dueSetting = await trx.selectFrom('settings').select('value').where('key', '=', 'billing.due_days').executeTakeFirst();
  const days = { ...DEFAULT_DUE_DAYS, ...((dueSetting?.value as Record<string, number> | undefined) ?? {}) };
  const dueDate = issued ? addDays(issueDay, days[a.customer_class] ?? days.default ?? 15) : null;
  const filter = { orgUnitIds: null, routeIds: null, accountIds: [a.id] };
  const run = await trx.insertInto('billing_runs').values({
    period, scope: JSON.stringify({ orgUnitIds: null, routeIds: null, accountIds: [a.id] }), filter: JSON.stringify(filter), scope_key: `final:${i.requestNo}`,
    trial: false, status: issued ? 'completed' : 'review', total_accounts: 1, partitions: 0, bills: 1, exceptions: issued ? 0 : 1, flagged: d.flags.length && issued ? 1 : 0,
    energy_kwh: String(d.kwh), amount_total: d.amount, reading_cutoff: now, options: JSON.stringify({ finalBill: true, serviceRequest: i.requestNo, reviewRules: DEFAULT_REVIEW_RULES.version }),
    started_by: actor.userId, started_at: now, finished_at: now, ...(issued ? { issued_at: now } : {}),
  } as never).returning('id').executeTakeFirstOrThrow();
  const det = { ...d.det, ...(d.exceptionMessage ? { exception: d.exceptionMessage } : {}), finalBill: { serviceRequest: i.requestNo, closedOn: i.closedOn, readings: finalRows } };
  const bill = await trx.insertInto('bills').values({
    account_id: a.id, run_id: run.id, period, trial: false, status: issued ? 'issued' : 'review', org_unit_id: a.org_unit_id, account_no: a.account_no,
    customer_class: a.customer_class, tariff_codes: d.tariffCodes, tariff_refs: JSON.stringify(d.tariffRefs), period_start: d.det.periodStart ?? null,
    period_end: d.det.periodEnd ?? null, days: d.det.days ?? null, energy_kwh: String(d.kwh), amount_total: d.amount, determinants: JSON.stringify(det),
    review_flags: d.flags, exception_code: d.exceptionCode, warnings: JSON.stringify(d.warnings), due_date: dueDate,
    ...(issued ? { issued_at: now, approved_by: actor.userId, approved_at: now, action_reason: `销户 final bill (${i.requestNo})` } : {}),
  } as never).returning('id').executeTakeFirstOrThrow();
  const billId = Number(bill.id);
  if (d.lines.length) {
    await trx.insertInto('bill_lines').values(d.lines.map((l, n) => ({
      account_id: a.id, bill_id: billId, line_no: n + 1, code: l.code, name_zh: l.name.zh, name_en: l.name.en, quantity: l.quantity, unit: l.unit,
      unit_price: l.unitPrice, amount: l.amount, segment: l.segment ?? null, rule: l.rule,
    })) as never).execute();
  }
  const posted = issued ? await postIssuedBills(trx, [billId], { actor, applyCredit: false }) : { posted: 0, amount: '0.00' };
  await writeAudit(trx, actor, {
    action: issued ? 'bill.final_issue' : 'bill.final_exception', entityType: 'bill', entityId: billId, orgUnitId: a.org_unit_id,
    after: { accountNo: a.account_no, period, periodStart: d.det.periodStart, periodEnd: d.det.periodEnd, kwh: d.kwh, amount: d.amount, dueDate, runId: run.id, exceptionCode: d.exceptionCode, flags: d.flags, finalReadings: finalRows, serviceRequest: i.requestNo, receivablePosted: posted.posted > 0 },
  }, now);
  return {
    billId, runId: Number(run.id), status: issued ? 'issued' : 'review', period, periodStart: d.det.periodStart ?? null, periodEnd: d.det.periodEnd ?? null,
    kwh: d.kwh, amount: d.amount, dueDate, exceptionCode: d.exceptionCode, exceptionMessage: d.exceptionMessage ?? null, flags: d.flags, receivablePosted: posted.posted > 0,
  };
}
