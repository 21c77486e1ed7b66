/**
 * Completion effects of service requests on the archive (客户档案), run inside the transition's
 * transaction so a failure changes nothing. Effective-dated attribute changes go through the
 * same domain rules as src/app/archive/accounts.ts (applyVersionPatch on account_versions, the
 * accounts row mirrors the version in force today); meters use checkMeterInput from
 * src/app/archive/meters.ts. Each effect writes its own audit event(s) with the archive's
 * action names (account.create, meter.install …) plus the request id.
 *
 * The archive use cases open their own transaction (updateAccount, installMeter), which cannot be
 * nested here (PGlite has one connection); see docs/service-requests.md for the trx-taking
 * exports we asked the archive owners for.
 */
import { sql } from 'kysely';
import { AppError, ValidationError } from '../../domain/errors.js';
import {
  applyVersionPatch, checkAccountNo, checkDate, checkVersionedPatch, versionAt, VOLTAGE_LEVELS, CUSTOMER_CLASSES,
  type AttributeVersion, type VersionedAttributes,
} from '../../domain/archive/archive.js';
import { capacityAfterDecrease, checkSuspension, kvaHundredths, kvaString, resumeDay, type SlaProfile } from '../../domain/workflow/service-requests.js';
import type { Actor, Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { today, trimDec } from '../archive/accounts.js';
import { checkMeterInput } from '../archive/meters.js';
import { checkArrears, runClosingSettlement } from './support.js';
import { checkFinalReadings } from '../billing/final-bill.js';

export interface EffectCtx {
  trx: Trx;
  actor: Actor;
  now: Date;
  profile: SlaProfile;
  request: { id: number; request_no: string; type: string; account_id: number | null; customer_id: number | null; org_unit_id: number; created_by: number | null; applicant_name: string; applicant_phone: string | null };
  data: Record<string, unknown>;
}

export interface EffectResult {
  effect: string;
  effectiveOn: string;
  accountId?: number;
  customerId?: number;
  summary: Record<string, unknown>;
}

function str(data: Record<string, unknown>, key: string, max = 200): string {
  const v = data[key];
  if (typeof v !== 'string' || !v.trim()) throw new ValidationError(`data.${key}`, 'required');
  if (v.length > max) throw new ValidationError(`data.${key}`, `at most ${max} characters`);
  return v.trim();
}

function reading(data: Record<string, unknown>, key: string): string {
  const v = data[key];
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !/^\d{1,10}(\.\d{1,4})?$/.test(s)) throw new ValidationError(`data.${key}`, 'must be a non-negative meter reading');
  return s;
}

function attributesOf(a: any): VersionedAttributes {
  return {
    customerClass: a.customer_class, voltageLevel: a.voltage_level, tariffCode: a.tariff_code,
    contractCapacityKva: trimDec(a.contract_capacity_kva) || '0', contractDemandKw: a.contract_demand_kw === null ? null : trimDec(a.contract_demand_kw),
    basicChargeMethod: a.basic_charge_method, pfStandard: a.pf_standard, householdSize: a.household_size, sharedMeter: a.shared_meter,
    paymentMode: a.payment_mode, readingRouteId: a.reading_route_id, transformerAreaId: a.transformer_area_id, orgUnitId: a.org_unit_id, status: a.status,
  };
}

function columnsOf(v: VersionedAttributes) {
  return {
    customer_class: v.customerClass, voltage_level: v.voltageLevel, tariff_code: v.tariffCode, contract_capacity_kva: v.contractCapacityKva,
    contract_demand_kw: v.contractDemandKw, basic_charge_method: v.basicChargeMethod, pf_standard: v.pfStandard, household_size: v.householdSize,
    shared_meter: v.sharedMeter, payment_mode: v.paymentMode as 'postpaid' | 'prepaid', reading_route_id: v.readingRouteId,
    transformer_area_id: v.transformerAreaId, org_unit_id: v.orgUnitId, status: v.status as 'active' | 'suspended' | 'closed',
  };
}

async function lockAccount(trx: Trx, id: number) {
  await sql`select id from accounts where id = ${id} for update`.execute(trx);
  const a = await trx.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!a) throw new AppError('NOT_FOUND', `account ${id} not found`);
  return a;
}

/**
 * Effective-dated account change inside the caller's transaction (same semantics as
 * updateAccount in src/app/archive/accounts.ts): patches are applied in order, each from its day.
 */
export async function patchAccountTx(
  c: EffectCtx, accountId: number, steps: Array<{ from: string; patch: Partial<VersionedAttributes> }>, reason: string,
  plain: { name?: string; phone?: string | null; address?: string; customer_id?: number; closed_on?: string | null } = {},
) {
  const { trx, actor, now } = c;
  const a = await lockAccount(trx, accountId);
  const before = { name: a.name, address: a.address, customerId: a.customer_id, ...attributesOf(a) };
  const rows = await trx.selectFrom('account_versions').selectAll().where('account_id', '=', accountId).orderBy('effective_from').execute();
  let versions: AttributeVersion[] = rows.map((r) => ({ id: r.id, effectiveFrom: r.effective_from, effectiveTo: r.effective_to, attributes: r.attributes as VersionedAttributes }));
  for (const s of steps) versions = applyVersionPatch(versions, s.from, checkVersionedPatch(s.patch));
  for (const v of versions) {
    if (v.id) await trx.updateTable('account_versions').set({ effective_to: v.effectiveTo, attributes: JSON.stringify(v.attributes) }).where('id', '=', v.id).execute();
    else await trx.insertInto('account_versions').values({ account_id: accountId, effective_from: v.effectiveFrom, effective_to: v.effectiveTo, attributes: JSON.stringify(v.attributes), reason, changed_by: actor.userId }).execute();
  }
  const current = versionAt(versions, today(now))?.attributes ?? attributesOf(a);
  await trx.updateTable('accounts').set({ ...plain, ...columnsOf(current), version: a.version + 1, updated_at: now }).where('id', '=', accountId).execute();
  await writeAudit(trx, actor, {
    action: 'account.update', entityType: 'account', entityId: accountId, orgUnitId: current.orgUnitId,
    before, after: { ...current, ...plain, changes: steps, reason, serviceRequest: c.request.request_no },
  }, now);
  return { before: attributesOf(a), current };
}

async function findOrCreateCustomer(c: EffectCtx, who: Record<string, unknown>, field: string): Promise<number> {
  const { trx, actor } = c;
  if (Number.isInteger(who.customerId)) {
    const x = await trx.selectFrom('customers').select('id').where('id', '=', who.customerId as number).executeTakeFirst();
    if (!x) throw new ValidationError(`${field}.customerId`, 'no such customer');
    return x.id;
  }
  const name = typeof who.name === 'string' ? who.name.trim() : '';
  if (!name) throw new ValidationError(`${field}.name`, 'required');
  const idType = typeof who.idType === 'string' ? who.idType : 'resident_id';
  const idNumber = typeof who.idNumber === 'string' ? who.idNumber.trim().toUpperCase() : '';
  if (!idNumber) throw new ValidationError(`${field}.idNumber`, 'required');
  if (idType === 'resident_id' && !/^\d{17}[\dX]$/.test(idNumber)) throw new ValidationError(`${field}.idNumber`, 'a resident ID has 18 characters (17 digits and a digit or X)');
  const existing = await trx.selectFrom('customers').select('id').where('id_number', '=', idNumber).executeTakeFirst();
  if (existing) return existing.id;
  const kind = who.kind === 'enterprise' || idType === 'credit_code' ? 'enterprise' : 'person';
  const customerNo = `C${c.request.request_no}${field === 'data.newCustomer' ? 'N' : ''}`;
  const row = await trx.insertInto('customers').values({
    customer_no: customerNo, kind, name, id_type: idType, id_number: idNumber,
    phone: typeof who.phone === 'string' ? who.phone : null, address: typeof who.address === 'string' ? who.address : null, org_unit_id: c.request.org_unit_id,
  }).returning('id').executeTakeFirstOrThrow();
  await writeAudit(trx, actor, { action: 'customer.create', entityType: 'customer', entityId: row.id, orgUnitId: c.request.org_unit_id, after: { customerNo, kind, name, idType, idNumber, serviceRequest: c.request.request_no } }, c.now);
  return row.id;
}

async function checkTariff(trx: Trx, code: unknown, field: string): Promise<string> {
  if (typeof code !== 'string' || !code.trim()) throw new ValidationError(field, 'required');
  const t = await trx.selectFrom('tariff_versions').select('code').where('code', '=', code).executeTakeFirst();
  if (!t) throw new ValidationError(field, `no tariff with code ${code}`);
  return code;
}

/** New account + metering point + meter (initial reading) + tariff, opened on effectiveOn. */
async function createConnection(c: EffectCtx, opts: { accountNo: string; customerId: number; name: string; phone: string | null; address: string; attrs: VersionedAttributes; openedOn: string }) {
  const { trx, actor, data, now } = c;
  const accountNo = checkAccountNo(opts.accountNo, 'data.accountNo');
  if (await trx.selectFrom('accounts').select('id').where('account_no', '=', accountNo).executeTakeFirst()) {
    throw new AppError('CONFLICT', `data.accountNo: account ${accountNo} exists`, { field: 'data.accountNo' });
  }
  let meterInput;
  try {
    meterInput = checkMeterInput({
      assetNo: data.meterAssetNo as string, commAddress: data.commAddress as string, meterType: (data.meterType as string) ?? (opts.attrs.voltageLevel === 'LV220' ? 'single_phase' : opts.attrs.voltageLevel === 'LV380' ? 'three_phase_direct' : 'three_phase_3w_hv'),
      registers: (data.registers as string[]) ?? ['TOTAL'], ctPrimary: data.ctPrimary as string, ctSecondary: data.ctSecondary as string, ptPrimary: data.ptPrimary as string, ptSecondary: data.ptSecondary as string,
    });
  } catch (e) {
    if (e instanceof ValidationError) throw new ValidationError(`data.${e.details?.field}`, e.message.replace(/^[^:]+: /, ''));
    throw e;
  }
  if (await trx.selectFrom('meters').select('id').where('asset_no', '=', meterInput.asset_no).executeTakeFirst()) throw new AppError('CONFLICT', `data.meterAssetNo: meter ${meterInput.asset_no} exists`, { field: 'data.meterAssetNo' });
  if (await trx.selectFrom('meters').select('id').where('comm_address', '=', meterInput.comm_address).executeTakeFirst()) throw new AppError('CONFLICT', `data.commAddress: ${meterInput.comm_address} is used by another meter`, { field: 'data.commAddress' });
  const initial = reading(data, 'initialReading');
  const acc = await trx.insertInto('accounts').values({
    account_no: accountNo, customer_id: opts.customerId, name: opts.name, phone: opts.phone, address: opts.address, opened_on: opts.openedOn, ...columnsOf(opts.attrs),
  }).returning('id').executeTakeFirstOrThrow();
  await trx.insertInto('account_versions').values({ account_id: acc.id, effective_from: opts.openedOn, effective_to: null, attributes: JSON.stringify(opts.attrs), reason: `opened (${c.request.request_no})`, changed_by: actor.userId }).execute();
  await writeAudit(trx, actor, { action: 'account.create', entityType: 'account', entityId: acc.id, orgUnitId: opts.attrs.orgUnitId, after: { accountNo, name: opts.name, address: opts.address, openedOn: opts.openedOn, ...opts.attrs, serviceRequest: c.request.request_no } }, now);
  const mp = await trx.insertInto('metering_points').values({ account_id: acc.id, code: `MP${accountNo}`, name: '主计量点', voltage_level: opts.attrs.voltageLevel, energy_scale: 0 }).returning('id').executeTakeFirstOrThrow();
  const meter = await trx.insertInto('meters').values({ ...meterInput, status: 'installed' }).returning('id').executeTakeFirstOrThrow();
  await writeAudit(trx, actor, { action: 'meter.create', entityType: 'meter', entityId: meter.id, after: { ...meterInput, serviceRequest: c.request.request_no } }, now);
  const readings = { TOTAL: initial };
  await trx.insertInto('meter_installations').values({ metering_point_id: mp.id, account_id: acc.id, meter_id: meter.id, installed_on: opts.openedOn, initial_readings: JSON.stringify(readings), reason: 'install' }).execute();
  await writeAudit(trx, actor, { action: 'meter.install', entityType: 'account', entityId: acc.id, after: { meteringPointId: mp.id, meterId: meter.id, assetNo: meterInput.asset_no, installedOn: opts.openedOn, readings, serviceRequest: c.request.request_no } }, now);
  return { accountId: acc.id, accountNo, meteringPointId: mp.id, meterId: meter.id, initialReadings: readings };
}

async function removeMeters(c: EffectCtx, accountId: number, on: string, finalReading: string, all: Record<string, string> = { TOTAL: finalReading }) {
  const { trx } = c;
  const active = await trx.selectFrom('meter_installations').selectAll().where('account_id', '=', accountId).where('removed_on', 'is', null).execute();
  for (const inst of active) {
    if (on < inst.installed_on) throw new ValidationError('data.effectiveOn', `must not be before the meter was installed (${inst.installed_on})`);
    const init = (inst.initial_readings as Record<string, string>)?.TOTAL;
    if (init !== undefined && Number(finalReading) < Number(init)) throw new ValidationError('data.finalReading', `is below the meter's initial reading ${init}`);
    await trx.updateTable('meter_installations').set({ removed_on: on, final_readings: JSON.stringify(all) }).where('id', '=', inst.id).execute();
    await trx.updateTable('meters').set({ status: 'removed', updated_at: c.now }).where('id', '=', inst.meter_id).execute();
    await writeAudit(trx, c.actor, { action: 'meter.remove', entityType: 'account', entityId: accountId, after: { installationId: inst.id, meterId: inst.meter_id, removedOn: on, finalReadings: all, serviceRequest: c.request.request_no } }, c.now);
  }
  return active.length;
}

function needAccount(c: EffectCtx): number {
  if (!c.request.account_id) throw new ValidationError('accountId', 'this request type needs an account');
  return c.request.account_id;
}

/** Suspension periods of an account in other 暂停 requests (completed or open). */
export async function earlierSuspensions(trx: Trx, accountId: number, exceptRequestId: number | null) {
  const rows = await trx.selectFrom('service_requests').select(['id', 'data']).where('account_id', '=', accountId).where('type', '=', 'suspend')
    .where('status', 'in', ['open', 'completed']).execute();
  return rows.filter((r) => r.id !== exceptRequestId).map((r) => r.data as Record<string, string>)
    .filter((d) => d.effectiveOn && d.until).map((d) => ({ from: d.effectiveOn, to: d.until }));
}

// --- 单一制 switch (domain-cn §3.4) ---------------------------------------------------------

export const TWO_PART_THRESHOLD_SETTING = 'service.two_part_threshold_kva';
export const SINGLE_PART_TARIFFS_SETTING = 'service.single_part_tariffs';
export const DEFAULT_TWO_PART_THRESHOLD_KVA = '315';

/** The 两部制 capacity threshold (kVA): setting service.two_part_threshold_kva, default 315 (526号, VERIFY §12.2). */
export async function twoPartThresholdKva(trx: Trx): Promise<string> {
  const s = await trx.selectFrom('settings').select('value').where('key', '=', TWO_PART_THRESHOLD_SETTING).executeTakeFirst();
  const v = s?.value ?? DEFAULT_TWO_PART_THRESHOLD_KVA;
  return kvaString(kvaHundredths(TWO_PART_THRESHOLD_SETTING, typeof v === 'number' ? String(v) : v));
}

/**
 * When the capacity left after 暂停/减容 is below the 两部制 threshold, a two-part account's
 * basic-charge basis switches to 单一制 (basicChargeMethod 'none') from the sealing day; the
 * tariff follows when setting service.single_part_tariffs maps the account's two-part tariff
 * code to a single-part one ({ "ZJ-LI-10KV-TOU-A": "ZJ-GC-10KV-TOU" }). Returns the patch for
 * the sealing day and the one restoring the previous basis (for 恢复), or null.
 */
async function singlePartSwitch(trx: Trx, attrs: VersionedAttributes, remainingKva: string) {
  if (attrs.basicChargeMethod === 'none') return null;
  const threshold = await twoPartThresholdKva(trx);
  if (kvaHundredths('x', remainingKva) >= kvaHundredths('x', threshold)) return null;
  const map = await trx.selectFrom('settings').select('value').where('key', '=', SINGLE_PART_TARIFFS_SETTING).executeTakeFirst();
  const single = attrs.tariffCode ? ((map?.value ?? {}) as Record<string, string>)[attrs.tariffCode] : undefined;
  const to: Partial<VersionedAttributes> = { basicChargeMethod: 'none', ...(single ? { tariffCode: await checkTariff(trx, single, SINGLE_PART_TARIFFS_SETTING) } : {}) };
  const back: Partial<VersionedAttributes> = { basicChargeMethod: attrs.basicChargeMethod, ...(single ? { tariffCode: attrs.tariffCode } : {}) };
  return { to, back, thresholdKva: threshold, summary: { basis: 'single_part', thresholdKva: threshold, fromMethod: attrs.basicChargeMethod, ...(single ? { fromTariff: attrs.tariffCode, toTariff: single } : {}) } };
}

/** Attributes of the account version in force on a day (the accounts row mirrors today's). */
async function attributesOn(trx: Trx, accountId: number, day: string, fallback: VersionedAttributes): Promise<VersionedAttributes> {
  const rows = await trx.selectFrom('account_versions').selectAll().where('account_id', '=', accountId).orderBy('effective_from').execute();
  const vs: AttributeVersion[] = rows.map((r) => ({ id: r.id, effectiveFrom: r.effective_from, effectiveTo: r.effective_to, attributes: r.attributes as VersionedAttributes }));
  return versionAt(vs, day)?.attributes ?? fallback;
}

export const EFFECTS: Record<string, (c: EffectCtx) => Promise<EffectResult>> = {
  async create_account(c) {
    const { data } = c;
    const on = checkDate('data.effectiveOn', data.effectiveOn);
    const applicant = (data.applicant ?? {}) as Record<string, unknown>;
    const customerId = c.request.customer_id ?? (await findOrCreateCustomer(c, { ...applicant, name: applicant.name ?? c.request.applicant_name, phone: applicant.phone ?? c.request.applicant_phone }, 'data.applicant'));
    const defaults = c.request.type === 'new_lv_resident'
      ? { customerClass: 'residential', voltageLevel: 'LV220' }
      : c.request.type === 'new_lv_nonresident' ? { customerClass: 'commercial', voltageLevel: 'LV380' } : { customerClass: 'large_industrial', voltageLevel: 'MV10' };
    const customerClass = (data.customerClass as string) ?? defaults.customerClass;
    if (!CUSTOMER_CLASSES.some((x) => x.code === customerClass)) throw new ValidationError('data.customerClass', 'unknown customer class');
    const voltageLevel = (data.voltageLevel as string) ?? defaults.voltageLevel;
    if (!VOLTAGE_LEVELS.some((x) => x.code === voltageLevel)) throw new ValidationError('data.voltageLevel', 'unknown voltage level');
    const capacity = kvaString(kvaHundredths('data.capacityKva', data.capacityKva ?? '0'));
    const tariffCode = await checkTariff(c.trx, data.tariffCode, 'data.tariffCode');
    const attrs: VersionedAttributes = {
      customerClass, voltageLevel, tariffCode, contractCapacityKva: capacity, contractDemandKw: null,
      basicChargeMethod: typeof data.basicChargeMethod === 'string' ? data.basicChargeMethod : 'none', pfStandard: null, householdSize: 1, sharedMeter: false,
      paymentMode: 'postpaid', readingRouteId: null, transformerAreaId: null, orgUnitId: c.request.org_unit_id, status: 'active',
    };
    checkVersionedPatch(attrs as never);
    const accountNo = typeof data.accountNo === 'string' && data.accountNo ? data.accountNo : `88${String(c.request.id).padStart(8, '0')}`;
    const address = str(data, 'address', 300);
    const out = await createConnection(c, { accountNo, customerId, name: c.request.applicant_name, phone: c.request.applicant_phone, address, attrs, openedOn: on });
    // a portal applicant sees the new account
    if (c.request.created_by) {
      const u = await c.trx.selectFrom('users').select(['id', 'roles']).where('id', '=', c.request.created_by).executeTakeFirst();
      if (u?.roles.includes('customer')) await c.trx.insertInto('customer_logins').values({ user_id: u.id, account_id: out.accountId }).onConflict((oc) => oc.doNothing()).execute();
    }
    return { effect: 'create_account', effectiveOn: on, accountId: out.accountId, customerId, summary: { ...out, tariffCode, capacityKva: capacity, customerClass, voltageLevel } };
  },

  /** 增容 / 减容 / 暂换: capacity from the sealing / connection day (basic charge, §3.4). */
  async capacity_change(c) {
    const accountId = needAccount(c);
    const on = checkDate('data.effectiveOn', c.data.effectiveOn);
    const a = await lockAccount(c.trx, accountId);
    const cur = trimDec(a.contract_capacity_kva) || '0';
    let next: string;
    if (c.request.type === 'reduce_capacity') next = capacityAfterDecrease(cur, c.data.decreaseKva, 'data.decreaseKva');
    else {
      const n = kvaHundredths('data.newCapacityKva', c.data.newCapacityKva);
      if (c.request.type === 'increase_capacity' && n <= kvaHundredths('current', cur)) throw new ValidationError('data.newCapacityKva', `must be above the current ${cur} kVA for 增容`);
      if (n === 0n) throw new ValidationError('data.newCapacityKva', 'must be greater than 0');
      next = kvaString(n);
    }
    const steps: Array<{ from: string; patch: Partial<VersionedAttributes> }> = [{ from: on, patch: { contractCapacityKva: next } }];
    // 减容 below the 两部制 threshold: 单一制 from the sealing day (permanent, like the 减容)
    const sw = c.request.type === 'reduce_capacity' ? await singlePartSwitch(c.trx, await attributesOn(c.trx, accountId, on, attributesOf(a)), next) : null;
    if (sw) steps[0].patch = { ...steps[0].patch, ...sw.to };
    if (c.request.type === 'temp_swap' && c.data.until) {
      const until = checkDate('data.until', c.data.until);
      if (until < on) throw new ValidationError('data.until', 'must not be before effectiveOn');
      steps.push({ from: resumeDay({ from: on, to: until }), patch: { contractCapacityKva: cur } });
    }
    await patchAccountTx(c, accountId, steps, `${c.request.type} (${c.request.request_no})${sw ? `: 单一制 below ${sw.thresholdKva} kVA` : ''}`);
    return { effect: 'capacity_change', effectiveOn: on, accountId, summary: { fromKva: cur, toKva: next, ...(steps[1] ? { restoredOn: steps[1].from } : {}), ...(sw ? { basicCharge: { ...sw.summary, from: on } } : {}) } };
  },

  /** 暂停: capacity reduced from the sealing day, restored the day after `until`. */
  async suspend(c) {
    const accountId = needAccount(c);
    const on = checkDate('data.effectiveOn', c.data.effectiveOn);
    const until = checkDate('data.until', c.data.until);
    checkSuspension({ from: on, to: until }, await earlierSuspensions(c.trx, accountId, c.request.id), c.profile.rules.suspendMinDays, c.profile.rules.suspendMaxDaysPerYear);
    const a = await lockAccount(c.trx, accountId);
    const cur = trimDec(a.contract_capacity_kva) || '0';
    const left = capacityAfterDecrease(cur, c.data.suspendKva ?? cur, 'data.suspendKva');
    const resume = resumeDay({ from: on, to: until });
    // remaining capacity below the 两部制 threshold: 单一制 from the sealing day, back on 恢复
    const sw = await singlePartSwitch(c.trx, await attributesOn(c.trx, accountId, on, attributesOf(a)), left);
    await patchAccountTx(c, accountId, [
      { from: on, patch: { contractCapacityKva: left, ...(left === '0' ? { status: 'suspended' } : {}), ...(sw?.to ?? {}) } },
      { from: resume, patch: { contractCapacityKva: cur, status: a.status, ...(sw?.back ?? {}) } },
    ], `suspend (${c.request.request_no})${sw ? `: 单一制 below ${sw.thresholdKva} kVA until ${resume}` : ''}`);
    return {
      effect: 'suspend', effectiveOn: on, accountId,
      summary: { fromKva: cur, suspendedKva: kvaString(kvaHundredths('x', cur) - kvaHundredths('x', left)), remainingKva: left, resumeOn: resume, ...(sw ? { basicCharge: { ...sw.summary, from: on, restoredOn: resume } } : {}) },
    };
  },

  async relocate(c) {
    const accountId = needAccount(c);
    const on = checkDate('data.effectiveOn', c.data.effectiveOn);
    const address = str(c.data, 'newAddress', 300);
    const a = await lockAccount(c.trx, accountId);
    await c.trx.updateTable('accounts').set({ address, version: a.version + 1, updated_at: c.now }).where('id', '=', accountId).execute();
    await writeAudit(c.trx, c.actor, { action: 'account.update', entityType: 'account', entityId: accountId, orgUnitId: a.org_unit_id, before: { address: a.address }, after: { address, effectiveOn: on, serviceRequest: c.request.request_no } }, c.now);
    return { effect: 'relocate', effectiveOn: on, accountId, summary: { fromAddress: a.address, toAddress: address } };
  },

  async move_meter(c) {
    const accountId = needAccount(c);
    const on = checkDate('data.effectiveOn', c.data.effectiveOn);
    const where = str(c.data, 'newLocation', 200);
    await writeAudit(c.trx, c.actor, { action: 'meter.move', entityType: 'account', entityId: accountId, after: { newLocation: where, movedOn: on, serviceRequest: c.request.request_no } }, c.now);
    return { effect: 'move_meter', effectiveOn: on, accountId, summary: { newLocation: where } };
  },

  /** 暂拆: supply removed (status suspended) from the day. */
  async temp_removal(c) {
    const accountId = needAccount(c);
    const on = checkDate('data.effectiveOn', c.data.effectiveOn);
    await patchAccountTx(c, accountId, [{ from: on, patch: { status: 'suspended' } }], `temp_removal (${c.request.request_no})`);
    return { effect: 'temp_removal', effectiveOn: on, accountId, summary: { status: 'suspended' } };
  },

  /**
   * 更名/过户: a new owner (or a new name) from the day. The ladder year (阶梯年度) of the old
   * owner ends the day before; a new account version starts on the day with reason
   * 'transfer: ladder year restarts' so billing splits the ladder there (docs/service-requests.md).
   */
  async transfer(c) {
    const accountId = needAccount(c);
    const on = checkDate('data.effectiveOn', c.data.effectiveOn);
    const debt = await checkArrears(c.trx, accountId);
    if (debt && !c.profile.rules.allowTransferWithArrears) throw new AppError('CONFLICT', `account has arrears of ${debt.amount}; settle them before 过户 (rule allowTransferWithArrears is off)`, { field: 'accountId', arrears: debt.amount });
    const who = (c.data.newCustomer ?? null) as Record<string, unknown> | null;
    const a = await lockAccount(c.trx, accountId);
    const customerId = who ? await findOrCreateCustomer(c, who, 'data.newCustomer') : a.customer_id;
    const name = who ? String(who.name ?? '').trim() || a.name : str(c.data, 'newName');
    const phone = who && typeof who.phone === 'string' ? who.phone : a.phone;
    await patchAccountTx(c, accountId, [{ from: on, patch: {} }], `transfer (${c.request.request_no}): ladder year restarts`, { name, phone, customer_id: customerId });
    return { effect: 'transfer', effectiveOn: on, accountId, customerId, summary: { fromCustomerId: a.customer_id, toCustomerId: customerId, fromName: a.name, toName: name, ladderYearRestartsOn: on } };
  },

  /** 分户: part of the capacity moves to a new account of a new owner with its own meter. */
  async split(c) {
    const accountId = needAccount(c);
    const on = checkDate('data.effectiveOn', c.data.effectiveOn);
    const a = await lockAccount(c.trx, accountId);
    const cur = trimDec(a.contract_capacity_kva) || '0';
    const left = capacityAfterDecrease(cur, c.data.splitKva, 'data.splitKva');
    const who = (c.data.newCustomer ?? {}) as Record<string, unknown>;
    const customerId = await findOrCreateCustomer(c, who, 'data.newCustomer');
    await patchAccountTx(c, accountId, [{ from: on, patch: { contractCapacityKva: left } }], `split (${c.request.request_no})`);
    const attrs = { ...attributesOf(a), contractCapacityKva: kvaString(kvaHundredths('x', cur) - kvaHundredths('x', left)), status: 'active' };
    const out = await createConnection(c, {
      accountNo: String(c.data.newAccountNo), customerId, name: String(who.name ?? '').trim(), phone: typeof who.phone === 'string' ? who.phone : null,
      address: typeof c.data.newAddress === 'string' && c.data.newAddress.trim() ? c.data.newAddress.trim() : a.address, attrs, openedOn: on,
    });
    return { effect: 'split', effectiveOn: on, accountId, summary: { remainingKva: left, newAccountId: out.accountId, newAccountNo: out.accountNo, newKva: attrs.contractCapacityKva } };
  },

  /** 并户: another account of the same customer is closed into this one (capacity added). */
  async merge(c) {
    const accountId = needAccount(c);
    const on = checkDate('data.effectiveOn', c.data.effectiveOn);
    const otherId = c.data.mergeAccountId;
    if (!Number.isInteger(otherId) || otherId === accountId) throw new ValidationError('data.mergeAccountId', 'must be the id of another account');
    const a = await lockAccount(c.trx, accountId);
    const b = await c.trx.selectFrom('accounts').selectAll().where('id', '=', otherId as number).executeTakeFirst();
    if (!b) throw new ValidationError('data.mergeAccountId', 'no such account');
    if (b.customer_id !== a.customer_id) throw new ValidationError('data.mergeAccountId', 'accounts of different customers cannot be merged (过户 first)');
    if (b.status === 'closed') throw new ValidationError('data.mergeAccountId', 'that account is closed');
    const sum = kvaString(kvaHundredths('x', trimDec(a.contract_capacity_kva) || '0') + kvaHundredths('x', trimDec(b.contract_capacity_kva) || '0'));
    const finalReading = reading(c.data, 'mergeFinalReading');
    await patchAccountTx(c, accountId, [{ from: on, patch: { contractCapacityKva: sum } }], `merge (${c.request.request_no})`);
    await removeMeters(c, b.id, on, finalReading);
    await patchAccountTx(c, b.id, [{ from: on, patch: { status: 'closed', contractCapacityKva: '0' } }], `merged into ${a.account_no} (${c.request.request_no})`, { closed_on: on });
    return { effect: 'merge', effectiveOn: on, accountId, summary: { mergedAccountId: b.id, mergedAccountNo: b.account_no, capacityKva: sum } };
  },

  /** 销户: final reading, meters removed, account closed; final bill/refund through the hook. */
  async close_account(c) {
    const accountId = needAccount(c);
    const on = checkDate('data.effectiveOn', c.data.effectiveOn);
    // TOTAL (data.finalReading) and, for a TOU meter, the other registers (data.finalReadings)
    const finalReadings = c.data.finalReadings !== undefined
      ? checkFinalReadings({ ...(c.data.finalReading !== undefined ? { TOTAL: reading(c.data, 'finalReading') } : {}), ...(c.data.finalReadings as object) })
      : { TOTAL: reading(c.data, 'finalReading') };
    const finalReading = finalReadings.TOTAL;
    const removed = await removeMeters(c, accountId, on, finalReading, finalReadings);
    await patchAccountTx(c, accountId, [{ from: on, patch: { status: 'closed' } }], `close (${c.request.request_no})`, { closed_on: on });
    const settlement = await runClosingSettlement(c.trx, { accountId, closedOn: on, finalReadings, requestId: c.request.id, requestNo: c.request.request_no, actor: c.actor, now: c.now, data: c.data });
    return { effect: 'close_account', effectiveOn: on, accountId, summary: { metersRemoved: removed, finalReadings, settlement } };
  },

  async change_voltage(c) {
    const accountId = needAccount(c);
    const on = checkDate('data.effectiveOn', c.data.effectiveOn);
    const v = c.data.newVoltageLevel;
    if (!VOLTAGE_LEVELS.some((x) => x.code === v)) throw new ValidationError('data.newVoltageLevel', `must be one of ${VOLTAGE_LEVELS.map((x) => x.code).join(', ')}`);
    const r = await patchAccountTx(c, accountId, [{ from: on, patch: { voltageLevel: v as string } }], `change_voltage (${c.request.request_no})`);
    return { effect: 'change_voltage', effectiveOn: on, accountId, summary: { from: r.before.voltageLevel, to: v } };
  },

  /** 改类: customer class and/or tariff from the day. */
  async change_class(c) {
    const accountId = needAccount(c);
    const on = checkDate('data.effectiveOn', c.data.effectiveOn);
    const patch: Partial<VersionedAttributes> = {};
    if (c.data.newCustomerClass !== undefined) {
      if (!CUSTOMER_CLASSES.some((x) => x.code === c.data.newCustomerClass)) throw new ValidationError('data.newCustomerClass', 'unknown customer class');
      patch.customerClass = c.data.newCustomerClass as string;
    }
    if (c.data.newTariffCode !== undefined) patch.tariffCode = await checkTariff(c.trx, c.data.newTariffCode, 'data.newTariffCode');
    if (!Object.keys(patch).length) throw new ValidationError('data.newTariffCode', 'give newTariffCode and/or newCustomerClass');
    const r = await patchAccountTx(c, accountId, [{ from: on, patch }], `change_class (${c.request.request_no})`);
    return { effect: 'change_class', effectiveOn: on, accountId, summary: { from: { customerClass: r.before.customerClass, tariffCode: r.before.tariffCode }, to: patch } };
  },
};
