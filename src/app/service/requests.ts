/**
 * Service requests (业扩报装与变更用电): apply (counter or portal), work queue, detail with
 * stage timeline, transition (pass / return / reject / cancel through the workflow engine),
 * pause / resume the SLA clock, assign, rate. Every change is audited in its transaction and
 * leaves a stored message for the customer. domain-cn §6, issue 7.
 */
import { sql } from 'kysely';
import '../../db/schema-service.js';
import '../../db/schema-messaging.js';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { checkDay } from '../../domain/calendar/calendar.js';
import type { WorkCalendar } from '../../domain/calendar/calendar.js';
import {
  applicableStages, availableActions, decide, initialStage, isTerminal, stageOf, type Action, type StageDef,
} from '../../domain/workflow/engine.js';
import { slaState, dueOn, type Pause } from '../../domain/workflow/sla.js';
import {
  DOCUMENT_KINDS, REQUEST_TYPES, capacityAfterDecrease, checkSuspension, kvaHundredths, requestType, stageLimit, type SlaProfile,
} from '../../domain/workflow/service-requests.js';
import { CUSTOMER_CLASSES, VOLTAGE_LEVELS } from '../../domain/archive/archive.js';
import { can, inScope, inTx, requirePermission, requireScope, type Actor, type Q, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { today, trimDec } from '../archive/accounts.js';
import { escapeLike } from '../security/users.js';
import { EFFECTS, earlierSuspensions } from './effects.js';
import { actionDay, activeProfile, checkArrears, loadCalendar, notify } from './support.js';

export const PAUSE_REASONS: Record<string, { zh: string; en: string }> = {
  documents_incomplete: { zh: '资料不全，等待客户补充', en: 'Documents incomplete, waiting for the customer' },
  customer_reason: { zh: '客户原因', en: 'Customer reason' },
  customer_works: { zh: '客户工程未完工', en: "Customer's works not finished" },
  other: { zh: '其他（客户方）', en: 'Other (customer side)' },
};

const HANDLE = 'request.handle';

function isCustomer(actor: Actor) {
  return actor.roles.includes('customer') && !can(actor, HANDLE) && !can(actor, 'stats.read');
}

type RequestRow = Awaited<ReturnType<typeof loadRow>>;

async function loadRow(q: Q, id: number) {
  const r = await q.selectFrom('service_requests').innerJoin('org_units', 'org_units.id', 'service_requests.org_unit_id')
    .selectAll('service_requests').select(['org_units.path as org_path', 'org_units.name as org_unit_name'])
    .where('service_requests.id', '=', id).executeTakeFirst();
  if (!r) throw new AppError('NOT_FOUND', `service request ${id} not found`);
  return r;
}

/** Read access: staff in scope (request.handle or stats.read), or the customer who owns it. */
function assertCanRead(actor: Actor, r: { org_path: string; created_by: number | null; account_id: number | null }) {
  if (isCustomer(actor)) {
    if (r.created_by === actor.userId || (r.account_id !== null && actor.accountIds?.includes(r.account_id))) return;
    throw new AppError('OUT_OF_SCOPE', 'this request is not yours');
  }
  if (!can(actor, HANDLE) && !can(actor, 'stats.read')) requirePermission(actor, HANDLE);
  requireScope(actor, r.org_path, 'service request');
}

function assertCanHandle(actor: Actor, r: { org_path: string }) {
  requirePermission(actor, HANDLE);
  requireScope(actor, r.org_path, 'service request');
}

function typeName(code: string) {
  return requestType(code).name;
}

async function enterStage(trx: Trx, p: { requestId: number; orgUnitId: number; type: string; stage: StageDef; data: Record<string, unknown>; on: string; seq: number; profile: SlaProfile; cal: WorkCalendar }) {
  const limit = stageLimit(p.profile, p.type, p.stage, p.data);
  await trx.insertInto('request_stages').values({
    request_id: p.requestId, org_unit_id: p.orgUnitId, seq: p.seq, stage: p.stage.code, entered_on: p.on,
    sla_days: limit?.days ?? null, sla_unit: limit?.unit ?? null, due_on: limit ? dueOn(p.cal, p.on, limit, []) : null,
  }).execute();
}

/** Promised completion: the received day plus the limits of every applicable stage. */
export function promisedDate(cal: WorkCalendar, profile: SlaProfile, type: string, data: Record<string, unknown>, receivedOn: string): string {
  const def = requestType(type).workflow;
  const total = applicableStages(def, data).reduce((s, st) => s + (stageLimit(profile, type, st, data)?.days ?? 0), 0);
  return cal.addWorkingDays(receivedOn, total);
}

export interface ApplyInput {
  type: string;
  accountId?: number | null;
  orgUnitId?: number | null;
  applicantName?: string;
  applicantPhone?: string | null;
  data?: Record<string, unknown>;
  receivedOn?: string;
}

/** Checks made when the application is taken (bad input named by field, nothing stored). */
async function validateApplication(trx: Trx, profile: SlaProfile, type: string, account: any | null, data: Record<string, unknown>, requestId: number | null) {
  const def = requestType(type);
  const cap = account ? trimDec(account.contract_capacity_kva) || '0' : '0';
  if (def.kind === 'new') {
    if (typeof data.address !== 'string' || !data.address.trim()) throw new ValidationError('data.address', 'required (where the supply is wanted)');
    const ap = (data.applicant ?? {}) as Record<string, unknown>;
    if (typeof ap.idNumber !== 'string' || !ap.idNumber.trim()) throw new ValidationError('data.applicant.idNumber', 'required (一证受理: the proof of identity)');
    const idType = (ap.idType as string) ?? 'resident_id';
    if (idType === 'resident_id' && !/^\d{17}[\dXx]$/.test(ap.idNumber)) throw new ValidationError('data.applicant.idNumber', 'a resident ID has 18 characters (17 digits and a digit or X)');
    if (data.capacityKva !== undefined) kvaHundredths('data.capacityKva', data.capacityKva);
    if (data.customerClass !== undefined && !CUSTOMER_CLASSES.some((c) => c.code === data.customerClass)) throw new ValidationError('data.customerClass', 'unknown customer class');
    if (data.voltageLevel !== undefined && !VOLTAGE_LEVELS.some((c) => c.code === data.voltageLevel)) throw new ValidationError('data.voltageLevel', 'unknown voltage level');
    return;
  }
  switch (type) {
    case 'reduce_capacity':
      capacityAfterDecrease(cap, data.decreaseKva, 'data.decreaseKva');
      break;
    case 'increase_capacity':
      if (kvaHundredths('data.newCapacityKva', data.newCapacityKva) <= kvaHundredths('current', cap)) throw new ValidationError('data.newCapacityKva', `must be above the current ${cap} kVA`);
      break;
    case 'temp_swap':
      if (kvaHundredths('data.newCapacityKva', data.newCapacityKva) === 0n) throw new ValidationError('data.newCapacityKva', 'must be greater than 0');
      break;
    case 'suspend': {
      const from = checkDay('data.effectiveOn', data.effectiveOn);
      const to = checkDay('data.until', data.until);
      capacityAfterDecrease(cap, data.suspendKva ?? cap, 'data.suspendKva');
      checkSuspension({ from, to }, await earlierSuspensions(trx, account.id, requestId), profile.rules.suspendMinDays, profile.rules.suspendMaxDaysPerYear);
      break;
    }
    case 'transfer': {
      const debt = await checkArrears(trx, account.id);
      if (debt && !profile.rules.allowTransferWithArrears) {
        throw new AppError('CONFLICT', `accountId: the account has arrears of ${debt.amount}; settle them before 过户 (rule allowTransferWithArrears is off)`, { field: 'accountId', arrears: debt.amount });
      }
      const who = data.newCustomer as Record<string, unknown> | undefined;
      if (!(who && typeof who.name === 'string' && who.name.trim()) && !(typeof data.newName === 'string' && data.newName.trim())) {
        throw new ValidationError('data.newCustomer.name', 'required (the new owner, or data.newName for 更名)');
      }
      break;
    }
    case 'split':
      capacityAfterDecrease(cap, data.splitKva, 'data.splitKva');
      if (!(data.newCustomer && typeof (data.newCustomer as any).name === 'string')) throw new ValidationError('data.newCustomer.name', 'required');
      break;
    case 'merge': {
      if (!Number.isInteger(data.mergeAccountId) || data.mergeAccountId === account.id) throw new ValidationError('data.mergeAccountId', 'must be the id of another account');
      const b = await trx.selectFrom('accounts').select(['customer_id', 'status']).where('id', '=', data.mergeAccountId as number).executeTakeFirst();
      if (!b) throw new ValidationError('data.mergeAccountId', 'no such account');
      if (b.customer_id !== account.customer_id) throw new ValidationError('data.mergeAccountId', 'accounts of different customers cannot be merged (过户 first)');
      break;
    }
    case 'change_voltage':
      if (!VOLTAGE_LEVELS.some((c) => c.code === data.newVoltageLevel)) throw new ValidationError('data.newVoltageLevel', `must be one of ${VOLTAGE_LEVELS.map((c) => c.code).join(', ')}`);
      if (data.newVoltageLevel === account.voltage_level) throw new ValidationError('data.newVoltageLevel', 'is the current voltage level');
      break;
    case 'change_class':
      if (data.newTariffCode === undefined && data.newCustomerClass === undefined) throw new ValidationError('data.newTariffCode', 'give newTariffCode and/or newCustomerClass');
      if (data.newCustomerClass !== undefined && !CUSTOMER_CLASSES.some((c) => c.code === data.newCustomerClass)) throw new ValidationError('data.newCustomerClass', 'unknown customer class');
      break;
    case 'relocate':
      if (typeof data.newAddress !== 'string' || !data.newAddress.trim()) throw new ValidationError('data.newAddress', 'required');
      break;
    default:
      break;
  }
}

export async function applyRequest(db: Db, actor: Actor, input: ApplyInput, now = new Date()) {
  const customer = isCustomer(actor);
  if (!customer) requirePermission(actor, HANDLE);
  else requirePermission(actor, 'portal.self');
  const def = requestType(input.type);
  const data = { ...(input.data ?? {}) };
  if (JSON.stringify(data).length > 20_000) throw new ValidationError('data', 'too large (at most 20,000 characters)');
  const receivedOn = actionDay('receivedOn', input.receivedOn, now);
  if (input.applicantPhone && !/^[0-9+\- ]{5,20}$/.test(input.applicantPhone)) throw new ValidationError('applicantPhone', 'must be a phone number');

  return inTx(db, async (trx) => {
    const profile = await activeProfile(trx);
    const cal = await loadCalendar(trx);
    let account: any = null;
    let orgUnitId: number;
    if (def.needsAccount) {
      if (!Number.isInteger(input.accountId)) throw new ValidationError('accountId', `required for ${def.name.zh}`);
      account = await trx.selectFrom('accounts').innerJoin('org_units', 'org_units.id', 'accounts.org_unit_id').selectAll('accounts').select('org_units.path as org_path')
        .where('accounts.id', '=', input.accountId as number).executeTakeFirst();
      if (!account) throw new ValidationError('accountId', 'no such account');
      if (customer) {
        if (!actor.accountIds?.includes(account.id)) throw new AppError('OUT_OF_SCOPE', 'accountId: this account is not yours', { field: 'accountId' });
      } else requireScope(actor, account.org_path, 'account');
      if (account.status === 'closed') throw new ValidationError('accountId', 'the account is closed');
      const dup = await trx.selectFrom('service_requests').select('request_no').where('account_id', '=', account.id).where('type', '=', def.code).where('status', '=', 'open').executeTakeFirst();
      if (dup) throw new AppError('CONFLICT', `accountId: request ${dup.request_no} of this type is still open for the account`, { field: 'accountId' });
      orgUnitId = account.org_unit_id;
    } else {
      let ou = input.orgUnitId ?? null;
      if (!ou && customer && actor.accountIds?.length) {
        ou = (await trx.selectFrom('accounts').select('org_unit_id').where('id', '=', actor.accountIds[0]).executeTakeFirst())?.org_unit_id ?? null;
      }
      ou = ou ?? actor.orgUnitId;
      if (!ou) throw new ValidationError('orgUnitId', 'required (the 供电所 that will serve the new connection)');
      const o = await trx.selectFrom('org_units').select(['id', 'path']).where('id', '=', ou).executeTakeFirst();
      if (!o) throw new ValidationError('orgUnitId', 'no such org unit');
      if (!customer) requireScope(actor, o.path, 'org unit');
      orgUnitId = o.id;
    }
    await validateApplication(trx, profile, def.code, account, data, null);
    const applicantName = (input.applicantName ?? (data.applicant as any)?.name ?? account?.name ?? '').toString().trim();
    if (!applicantName) throw new ValidationError('applicantName', 'required');
    if (applicantName.length > 200) throw new ValidationError('applicantName', 'at most 200 characters');
    const applicantPhone = input.applicantPhone ?? (data.applicant as any)?.phone ?? account?.phone ?? null;
    const { rows } = await sql<{ id: number }>`select nextval(pg_get_serial_sequence('service_requests', 'id'))::int8 as id`.execute(trx);
    const id = Number(rows[0].id);
    const requestNo = `YK${receivedOn.replace(/-/g, '')}${String(id).padStart(6, '0')}`;
    const first = initialStage(def.workflow, data);
    const promisedOn = promisedDate(cal, profile, def.code, data, receivedOn);
    await trx.insertInto('service_requests').values({
      id, request_no: requestNo, type: def.code, stage: first.code, channel: customer ? 'portal' : 'counter', org_unit_id: orgUnitId,
      account_id: account?.id ?? null, customer_id: account?.customer_id ?? null, applicant_name: applicantName, applicant_phone: applicantPhone,
      data: JSON.stringify(data), received_on: receivedOn, promised_on: promisedOn, created_by: actor.userId,
    } as never).execute();
    await enterStage(trx, { requestId: id, orgUnitId, type: def.code, stage: first, data, on: receivedOn, seq: 1, profile, cal });
    await notify(trx, {
      requestId: id, accountId: account?.id ?? null, audience: 'customer', recipient: applicantPhone, event: 'submitted',
      zh: `您的${def.name.zh}申请已提交，编号${requestNo}，承诺办结日期${promisedOn}。`,
      en: `Your ${def.name.en} application ${requestNo} was received; promised completion ${promisedOn}.`,
    });
    await writeAudit(trx, actor, { action: 'service_request.apply', entityType: 'service_request', entityId: id, orgUnitId, after: { requestNo, type: def.code, accountId: account?.id ?? null, receivedOn, promisedOn, channel: customer ? 'portal' : 'counter', data } }, now);
    return { id, requestNo, stage: first.code, promisedOn, receivedOn };
  });
}

function stageOut(s: any, cal: WorkCalendar, profile: SlaProfile, asOf: string, def: ReturnType<typeof requestType>) {
  const pauses = (s.pauses ?? []) as Pause[];
  const sla = slaState(cal, { startedOn: s.entered_on, limit: s.sla_days ? { days: s.sla_days, unit: s.sla_unit ?? 'working' } : null, pauses, asOf, completedOn: s.completed_on, warnDays: profile.warnDays });
  const st = def.workflow.stages.find((x) => x.code === s.stage);
  return {
    id: s.id, seq: s.seq, stage: s.stage, stageName: st?.name ?? { zh: s.stage, en: s.stage }, enteredOn: s.entered_on, dueOn: sla.dueOn ?? s.due_on,
    slaDays: s.sla_days, slaUnit: s.sla_unit, completedOn: s.completed_on, decision: s.decision, reason: s.reason, actorName: s.actor_name,
    assigneeId: s.assignee_id, pauses, form: s.form, onTime: s.on_time, sla: { status: sla.status, usedDays: sla.usedDays, remainingDays: sla.remainingDays, pausedDays: sla.pausedDays },
    warnedAt: s.warned_at, alertedAt: s.alerted_at,
  };
}

export async function getRequest(db: Db, actor: Actor, id: number, now = new Date()) {
  const k = db.kysely;
  const r = await loadRow(k, id);
  assertCanRead(actor, r);
  const [stages, docs, notes, profile, cal, account, assignee] = await Promise.all([
    k.selectFrom('request_stages').selectAll().where('request_id', '=', id).orderBy('seq').execute(),
    k.selectFrom('request_documents').select(['id', 'stage', 'kind', 'file_name', 'content_type', 'size_bytes', 'reference', 'uploaded_at', 'uploaded_by']).where('request_id', '=', id).orderBy('id').execute(),
    k.selectFrom('notifications').selectAll().where('request_id', '=', id).$if(isCustomer(actor), (b) => b.where('audience', '=', 'customer')).orderBy('id').execute(),
    activeProfile(k),
    loadCalendar(k),
    r.account_id ? k.selectFrom('accounts').select(['id', 'account_no', 'name', 'address', 'status', 'contract_capacity_kva', 'tariff_code', 'customer_class', 'voltage_level']).where('id', '=', r.account_id).executeTakeFirst() : undefined,
    r.assignee_id ? k.selectFrom('users').select(['id', 'username', 'display_name']).where('id', '=', r.assignee_id).executeTakeFirst() : undefined,
  ]);
  const def = requestType(r.type);
  // SMS delivery status of each customer message (outbox, src/app/messaging)
  const deliveries = notes.length ? await k.selectFrom('message_outbox').select(['notification_id', 'status', 'sent_at']).where('notification_id', 'in', notes.map((n) => n.id)).execute() : [];
  const data = r.data as Record<string, unknown>;
  const asOf = today(now);
  const applicable = applicableStages(def.workflow, data);
  const current = stages.find((s) => s.completed_on === null);
  const idx = applicable.findIndex((s) => s.code === r.stage);
  const next = idx >= 0 && idx + 1 < applicable.length ? applicable[idx + 1] : null;
  const kinds = docs.map((d) => d.kind);
  const stageDef = isTerminal(r.stage) ? null : stageOf(def.workflow, r.stage);
  return {
    id: r.id, requestNo: r.request_no, type: r.type, typeName: def.name, kind: def.kind, status: r.status, stage: r.stage,
    stageName: stageDef?.name ?? null, channel: r.channel, orgUnitId: r.org_unit_id, orgUnitName: r.org_unit_name,
    accountId: r.account_id, account: account && { id: account.id, accountNo: account.account_no, name: account.name, address: account.address, status: account.status, contractCapacityKva: trimDec(account.contract_capacity_kva), tariffCode: account.tariff_code, customerClass: account.customer_class, voltageLevel: account.voltage_level },
    applicantName: r.applicant_name, applicantPhone: isCustomer(actor) || can(actor, 'customer.pii') ? r.applicant_phone : r.applicant_phone?.replace(/^(\d{3})\d+(\d{4})$/, '$1****$2') ?? null,
    data: isCustomer(actor) ? undefined : data, receivedOn: r.received_on, promisedOn: r.promised_on, completedOn: r.completed_on, paused: r.paused,
    assignee: assignee ? { id: assignee.id, username: assignee.username, displayName: assignee.display_name } : null,
    version: r.version, effects: r.effects, rating: r.rating, ratingComment: r.rating_comment,
    plan: applicable.map((s) => ({ code: s.code, name: s.name, limit: stageLimit(profile, r.type, s, data) })),
    stages: stages.map((s) => stageOut(s, cal, profile, asOf, def)),
    current: current ? stageOut(current, cal, profile, asOf, def) : null,
    nextStage: next ? { code: next.code, name: next.name } : null,
    requiredDocuments: stageDef ? (stageDef.documents ?? []).map((d) => ({ kind: d, name: DOCUMENT_KINDS[d], present: kinds.includes(d) })) : [],
    requiredFields: stageDef?.fields ?? [],
    documents: docs.map((d) => ({ id: d.id, stage: d.stage, kind: d.kind, kindName: DOCUMENT_KINDS[d.kind] ?? null, fileName: d.file_name, contentType: d.content_type, sizeBytes: d.size_bytes, reference: d.reference, uploadedAt: d.uploaded_at })),
    notifications: notes.map((n) => {
      const d = deliveries.find((x) => x.notification_id === n.id);
      return { id: n.id, audience: n.audience, event: n.event, zh: n.message_zh, en: n.message_en, createdAt: n.created_at, sms: d ? { status: d.status, sentAt: d.sent_at } : null };
    }),
    actions: isCustomer(actor) || !inScope(actor, r.org_path) ? [] : availableActions(def.workflow, { state: r.stage, data, documents: kinds, paused: r.paused }, actor),
    canPause: !isCustomer(actor) && can(actor, HANDLE) && r.status === 'open',
    canRate: r.status === 'completed' && r.rating === null && (isCustomer(actor) || can(actor, HANDLE)),
  };
}

export interface QueueFilter {
  status?: string;
  type?: string;
  stage?: string;
  role?: string;
  mine?: boolean;
  orgUnitId?: number;
  overdue?: boolean;
  q?: string;
  page: number;
  pageSize: number;
}

/** Work queue: open requests in the actor's scope, by stage / role / assignee, soonest due first. */
export async function listRequests(db: Db, actor: Actor, f: QueueFilter, now = new Date()) {
  const k = db.kysely;
  const customer = isCustomer(actor);
  if (!customer && !can(actor, HANDLE) && !can(actor, 'stats.read')) requirePermission(actor, HANDLE);
  let qb = k.selectFrom('service_requests').innerJoin('org_units', 'org_units.id', 'service_requests.org_unit_id')
    .leftJoin('request_stages', (j) => j.onRef('request_stages.request_id', '=', 'service_requests.id').on('request_stages.completed_on', 'is', null))
    .leftJoin('users', 'users.id', 'service_requests.assignee_id');
  if (customer) {
    const ids = actor.accountIds?.length ? actor.accountIds : [-1];
    qb = qb.where((eb) => eb.or([eb('service_requests.created_by', '=', actor.userId ?? -1), eb('service_requests.account_id', 'in', ids)]));
  } else if (actor.orgPath) qb = qb.where('org_units.path', 'like', escapeLike(actor.orgPath) + '%');
  if (f.orgUnitId) {
    const ou = await k.selectFrom('org_units').select('path').where('id', '=', f.orgUnitId).executeTakeFirst();
    if (!ou) throw new ValidationError('orgUnitId', 'no such org unit');
    qb = qb.where('org_units.path', 'like', escapeLike(ou.path) + '%');
  }
  const status = f.status ?? (customer ? undefined : 'open');
  if (status && status !== 'all') {
    if (!['open', 'completed', 'rejected', 'cancelled'].includes(status)) throw new ValidationError('status', 'must be open, completed, rejected, cancelled or all');
    qb = qb.where('service_requests.status', '=', status as never);
  }
  if (f.type) qb = qb.where('service_requests.type', '=', requestType(f.type).code);
  if (f.stage) qb = qb.where('service_requests.stage', '=', f.stage);
  if (f.role) {
    // stages worked by this role, per type
    const pairs = REQUEST_TYPES.flatMap((t) => t.workflow.stages.filter((s) => s.roles.includes(f.role!)).map((s) => `${t.code}:${s.code}`));
    qb = qb.where(sql`service_requests.type || ':' || service_requests.stage`, 'in', pairs.length ? pairs : ['-']);
  }
  if (f.mine) qb = qb.where('service_requests.assignee_id', '=', actor.userId ?? -1);
  const asOf = today(now);
  if (f.overdue) qb = qb.where('request_stages.due_on', '<', asOf);
  if (f.q?.trim()) {
    const q = f.q.trim();
    qb = qb.where((eb) => eb.or([eb('service_requests.request_no', 'like', escapeLike(q) + '%'), eb('service_requests.applicant_name', 'like', escapeLike(q) + '%')]));
  }
  const [rows, cnt, profile, cal] = await Promise.all([
    qb.select([
      'service_requests.id', 'service_requests.request_no', 'service_requests.type', 'service_requests.status', 'service_requests.stage', 'service_requests.channel',
      'service_requests.applicant_name', 'service_requests.account_id', 'service_requests.received_on', 'service_requests.promised_on', 'service_requests.completed_on',
      'service_requests.paused', 'service_requests.assignee_id', 'service_requests.rating', 'org_units.name as org_unit_name', 'users.display_name as assignee_name',
      'request_stages.entered_on', 'request_stages.sla_days', 'request_stages.sla_unit', 'request_stages.due_on', 'request_stages.pauses',
    ]).orderBy(sql`request_stages.due_on asc nulls last`).orderBy('service_requests.id', 'desc')
      .limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute(),
    qb.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
    activeProfile(k),
    loadCalendar(k),
  ]);
  return {
    asOf,
    items: rows.map((r) => {
      const def = requestType(r.type);
      const st = def.workflow.stages.find((s) => s.code === r.stage);
      const sla = r.entered_on
        ? slaState(cal, { startedOn: r.entered_on, limit: r.sla_days ? { days: r.sla_days, unit: (r.sla_unit ?? 'working') as 'working' } : null, pauses: (r.pauses ?? []) as Pause[], asOf, warnDays: profile.warnDays })
        : null;
      return {
        id: r.id, requestNo: r.request_no, type: r.type, typeName: def.name, status: r.status, stage: r.stage, stageName: st?.name ?? null, channel: r.channel,
        applicantName: r.applicant_name, accountId: r.account_id, orgUnitName: r.org_unit_name, receivedOn: r.received_on, promisedOn: r.promised_on,
        completedOn: r.completed_on, paused: r.paused, assigneeId: r.assignee_id, assigneeName: r.assignee_name, rating: r.rating,
        stageDueOn: sla?.dueOn ?? r.due_on, daysLeft: sla?.remainingDays ?? null, slaStatus: sla?.status ?? null,
      };
    }),
    total: Number(cnt?.n ?? 0), page: f.page, pageSize: f.pageSize,
  };
}

async function lockRequest(trx: Trx, id: number) {
  await sql`select id from service_requests where id = ${id} for update`.execute(trx);
  return loadRow(trx, id);
}

async function openStage(trx: Trx, requestId: number) {
  const s = await trx.selectFrom('request_stages').selectAll().where('request_id', '=', requestId).where('completed_on', 'is', null).executeTakeFirst();
  if (!s) throw new AppError('CONFLICT', 'the request has no open stage', { field: 'action' });
  return s;
}

function checkVersion(r: RequestRow, version: unknown) {
  if (version !== undefined && version !== null && version !== r.version) {
    throw new AppError('CONFLICT', `version: the request was changed by someone else (version ${r.version}, you had ${String(version)}); reload`, { field: 'version', currentVersion: r.version });
  }
}

export interface TransitionInput {
  action: Action;
  reason?: string | null;
  /** stage form values merged into the request data (e.g. meter and reading at 装表接电) */
  form?: Record<string, unknown>;
  /** the day the stage was done (offline field work may be recorded later); default today */
  on?: string;
  version?: number;
}

export async function transitionRequest(db: Db, actor: Actor, id: number, input: TransitionInput, now = new Date()) {
  if (!['pass', 'return', 'reject', 'cancel'].includes(input.action)) throw new ValidationError('action', 'must be pass, return, reject or cancel');
  if (input.reason !== undefined && input.reason !== null && (typeof input.reason !== 'string' || input.reason.length > 500)) throw new ValidationError('reason', 'at most 500 characters');
  const on = actionDay('on', input.on, now);
  return inTx(db, async (trx) => {
    const r = await lockRequest(trx, id);
    assertCanHandle(actor, r);
    checkVersion(r, input.version);
    const def = requestType(r.type);
    const stage = await openStage(trx, id);
    if (on < stage.entered_on) throw new ValidationError('on', `must not be before the stage was entered (${stage.entered_on})`);
    const form = input.form ?? {};
    if (typeof form !== 'object' || Array.isArray(form)) throw new ValidationError('form', 'must be an object');
    const data = { ...(r.data as Record<string, unknown>), ...form };
    const docs = (await trx.selectFrom('request_documents').select('kind').where('request_id', '=', id).execute()).map((d) => d.kind);
    const profile = await activeProfile(trx);
    const cal = await loadCalendar(trx);
    // named guards of the definition, evaluated with facts loaded here (the engine is pure)
    const needsArrears = def.workflow.transitions.some((x) => x.from === r.stage && x.action === input.action && x.guard === 'no_arrears');
    const debt = needsArrears && r.account_id && !profile.rules.allowTransferWithArrears ? await checkArrears(trx, r.account_id) : null;
    const guards = { no_arrears: () => (debt ? `accountId: the account has arrears of ${debt.amount}; settle them before 过户 (rule allowTransferWithArrears is off)` : null) };
    const decision = decide(def.workflow, { state: r.stage, data, documents: docs, paused: r.paused }, { action: input.action, actor, reason: input.reason, documentNames: DOCUMENT_KINDS, guards });
    // the effect of the stage (archive change) runs first: if it fails nothing is written
    let effect: Awaited<ReturnType<(typeof EFFECTS)[string]>> | null = null;
    if (decision.effect) {
      const fn = EFFECTS[decision.effect];
      if (!fn) throw new AppError('UNSUPPORTED', `effect ${decision.effect} is not implemented`);
      effect = await fn({ trx, actor, now, profile, request: r, data });
    }
    const pauses = (stage.pauses ?? []) as Pause[];
    const sla = slaState(cal, { startedOn: stage.entered_on, limit: stage.sla_days ? { days: stage.sla_days, unit: stage.sla_unit ?? 'working' } : null, pauses, asOf: on, completedOn: on, warnDays: profile.warnDays });
    await trx.updateTable('request_stages').set({
      completed_on: on, completed_at: now, decision: input.action, reason: input.reason ?? null, actor_id: actor.userId, actor_name: actor.displayName || actor.username,
      form: Object.keys(form).length ? JSON.stringify(form) : null, on_time: stage.sla_days ? sla.status === 'on_time' : null,
    }).where('id', '=', stage.id).execute();
    const terminal = isTerminal(decision.to);
    const status = terminal ? (decision.to as 'completed' | 'rejected' | 'cancelled') : 'open';
    if (!terminal) {
      await enterStage(trx, { requestId: id, orgUnitId: r.org_unit_id, type: r.type, stage: stageOf(def.workflow, decision.to), data, on, seq: stage.seq + 1, profile, cal });
    }
    const effects = [...((r.effects ?? []) as unknown[]), ...(effect ? [effect] : [])];
    const accountId = effect?.accountId && !r.account_id ? effect.accountId : r.account_id;
    await trx.updateTable('service_requests').set({
      stage: decision.to, status, data: JSON.stringify(data), effects: JSON.stringify(effects), assignee_id: null,
      account_id: accountId, customer_id: effect?.customerId && r.type !== 'transfer' ? effect.customerId : r.customer_id,
      completed_on: terminal ? on : null, version: r.version + 1, updated_at: now,
    }).where('id', '=', id).execute();
    const from = stageOf(def.workflow, decision.from);
    const toName = terminal ? null : stageOf(def.workflow, decision.to).name;
    const msg = input.action === 'pass'
      ? (terminal
        ? { event: 'completed', zh: `您的申请${r.request_no}已办结，欢迎对本次服务评价。`, en: `Your request ${r.request_no} is complete. Please rate our service.` }
        : { event: 'stage_passed', zh: `您的申请${r.request_no}已完成「${from.name.zh}」，下一步：${toName!.zh}。`, en: `Your request ${r.request_no} passed "${from.name.en}"; next: ${toName!.en}.` })
      : input.action === 'return'
        ? { event: 'returned', zh: `您的申请${r.request_no}退回至「${toName!.zh}」：${input.reason}`, en: `Your request ${r.request_no} went back to "${toName!.en}": ${input.reason}` }
        : { event: input.action === 'reject' ? 'rejected' : 'cancelled', zh: `您的申请${r.request_no}${input.action === 'reject' ? '未予通过' : '已撤销'}：${input.reason}`, en: `Your request ${r.request_no} was ${input.action === 'reject' ? 'rejected' : 'cancelled'}: ${input.reason}` };
    await notify(trx, { requestId: id, accountId, audience: 'customer', recipient: r.applicant_phone, ...msg });
    await writeAudit(trx, actor, {
      action: 'service_request.transition', entityType: 'service_request', entityId: id, orgUnitId: r.org_unit_id,
      before: { stage: r.stage, status: r.status }, after: { stage: decision.to, status, action: input.action, reason: input.reason ?? null, on, form, effect, onTime: stage.sla_days ? sla.status === 'on_time' : null },
    }, now);
    return { id, stage: decision.to, status, effect, version: r.version + 1, onTime: stage.sla_days ? sla.status === 'on_time' : null };
  });
}

export async function pauseRequest(db: Db, actor: Actor, id: number, input: { reason: string; note?: string | null; on?: string }, now = new Date()) {
  if (!PAUSE_REASONS[input.reason]) throw new ValidationError('reason', `must be one of ${Object.keys(PAUSE_REASONS).join(', ')}`);
  if (input.note && input.note.length > 500) throw new ValidationError('note', 'at most 500 characters');
  const on = actionDay('on', input.on, now);
  return inTx(db, async (trx) => {
    const r = await lockRequest(trx, id);
    assertCanHandle(actor, r);
    if (r.status !== 'open') throw new AppError('CONFLICT', `the request is ${r.status}`, { field: 'status' });
    if (r.paused) throw new AppError('CONFLICT', 'the request is already paused', { field: 'reason' });
    const stage = await openStage(trx, id);
    if (on < stage.entered_on) throw new ValidationError('on', `must not be before the stage was entered (${stage.entered_on})`);
    const pauses = [...((stage.pauses ?? []) as Pause[]), { from: on, to: null, reason: input.reason, note: input.note ?? null }];
    await trx.updateTable('request_stages').set({ pauses: JSON.stringify(pauses), due_on: null }).where('id', '=', stage.id).execute();
    await trx.updateTable('service_requests').set({ paused: true, version: r.version + 1, updated_at: now }).where('id', '=', id).execute();
    const why = PAUSE_REASONS[input.reason];
    await notify(trx, { requestId: id, accountId: r.account_id, audience: 'customer', recipient: r.applicant_phone, event: 'paused',
      zh: `您的申请${r.request_no}暂停计时：${why.zh}${input.note ? '（' + input.note + '）' : ''}。`, en: `Your request ${r.request_no} is on hold: ${why.en}${input.note ? ' (' + input.note + ')' : ''}.` });
    await writeAudit(trx, actor, { action: 'service_request.pause', entityType: 'service_request', entityId: id, orgUnitId: r.org_unit_id, after: { stage: r.stage, on, reason: input.reason, note: input.note ?? null } }, now);
    return { id, paused: true, version: r.version + 1 };
  });
}

export async function resumeRequest(db: Db, actor: Actor, id: number, input: { on?: string }, now = new Date()) {
  const on = actionDay('on', input.on, now);
  return inTx(db, async (trx) => {
    const r = await lockRequest(trx, id);
    assertCanHandle(actor, r);
    if (!r.paused) throw new AppError('CONFLICT', 'the request is not paused', { field: 'on' });
    const stage = await openStage(trx, id);
    const pauses = ((stage.pauses ?? []) as Pause[]).map((p) => ({ ...p }));
    const open = pauses.find((p) => p.to === null)!;
    if (on < open.from) throw new ValidationError('on', `must not be before the pause began (${open.from})`);
    open.to = on;
    const cal = await loadCalendar(trx);
    const due = stage.sla_days ? dueOn(cal, stage.entered_on, { days: stage.sla_days, unit: stage.sla_unit ?? 'working' }, pauses) : null;
    await trx.updateTable('request_stages').set({ pauses: JSON.stringify(pauses), due_on: due }).where('id', '=', stage.id).execute();
    await trx.updateTable('service_requests').set({ paused: false, version: r.version + 1, updated_at: now }).where('id', '=', id).execute();
    await notify(trx, { requestId: id, accountId: r.account_id, audience: 'customer', recipient: r.applicant_phone, event: 'resumed',
      zh: `您的申请${r.request_no}恢复办理，本环节预计${due ?? '—'}前完成。`, en: `Your request ${r.request_no} is back in progress; this step is due by ${due ?? '—'}.` });
    await writeAudit(trx, actor, { action: 'service_request.resume', entityType: 'service_request', entityId: id, orgUnitId: r.org_unit_id, after: { stage: r.stage, on, dueOn: due } }, now);
    return { id, paused: false, dueOn: due, version: r.version + 1 };
  });
}

/** Assign (or reassign, or clear with null) the current stage to a user who works it. */
export async function assignRequest(db: Db, actor: Actor, id: number, input: { userId: number | null }, now = new Date()) {
  return inTx(db, async (trx) => {
    const r = await lockRequest(trx, id);
    assertCanHandle(actor, r);
    if (r.status !== 'open') throw new AppError('CONFLICT', `the request is ${r.status}`, { field: 'userId' });
    const def = requestType(r.type);
    const stage = stageOf(def.workflow, r.stage);
    let assignee: { id: number; display_name: string } | null = null;
    if (input.userId !== null) {
      const u = await trx.selectFrom('users').innerJoin('org_units', 'org_units.id', 'users.org_unit_id').select(['users.id', 'users.display_name', 'users.roles', 'users.status', 'org_units.path'])
        .where('users.id', '=', input.userId).executeTakeFirst();
      if (!u || u.status !== 'active') throw new ValidationError('userId', 'no such active user');
      if (!u.roles.includes('administrator') && !stage.roles.some((x) => u.roles.includes(x))) throw new ValidationError('userId', `stage ${stage.name.zh} is worked by ${stage.roles.join(' / ')}`);
      if (!(r.org_path.startsWith(u.path) || u.path.startsWith(r.org_path))) throw new ValidationError('userId', 'the user does not cover the org unit of this request');
      assignee = u;
    }
    await trx.updateTable('service_requests').set({ assignee_id: assignee?.id ?? null, version: r.version + 1, updated_at: now }).where('id', '=', id).execute();
    await trx.updateTable('request_stages').set({ assignee_id: assignee?.id ?? null }).where('request_id', '=', id).where('completed_on', 'is', null).execute();
    await writeAudit(trx, actor, { action: 'service_request.assign', entityType: 'service_request', entityId: id, orgUnitId: r.org_unit_id, before: { assigneeId: r.assignee_id }, after: { assigneeId: assignee?.id ?? null, stage: r.stage } }, now);
    return { id, assigneeId: assignee?.id ?? null, assigneeName: assignee?.display_name ?? null };
  });
}

/** Customer rating (1-5) after completion, once. */
export async function rateRequest(db: Db, actor: Actor, id: number, input: { rating: number; comment?: string | null }, now = new Date()) {
  if (!Number.isInteger(input.rating) || input.rating < 1 || input.rating > 5) throw new ValidationError('rating', 'must be an integer 1-5');
  if (input.comment && input.comment.length > 500) throw new ValidationError('comment', 'at most 500 characters');
  return inTx(db, async (trx) => {
    const r = await lockRequest(trx, id);
    assertCanRead(actor, r);
    if (!isCustomer(actor)) requirePermission(actor, HANDLE);
    if (r.status !== 'completed') throw new AppError('CONFLICT', 'rating: only a completed request can be rated', { field: 'rating' });
    if (r.rating !== null) throw new AppError('CONFLICT', 'rating: already rated', { field: 'rating' });
    await trx.updateTable('service_requests').set({ rating: input.rating, rating_comment: input.comment ?? null, rated_at: now, version: r.version + 1, updated_at: now }).where('id', '=', id).execute();
    await writeAudit(trx, actor, { action: 'service_request.rate', entityType: 'service_request', entityId: id, orgUnitId: r.org_unit_id, after: { rating: input.rating, comment: input.comment ?? null } }, now);
    return { id, rating: input.rating };
  });
}

export { loadRow as loadRequestRow, assertCanRead, isCustomer };
