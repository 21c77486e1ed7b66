/**
 * Accounts (用电户): search, 360° view, create, effective-dated edit.
 */
import { sql, type SqlBool, type Expression } from 'kysely';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import {
  applyVersionPatch, checkAccountNo, checkDate, checkVersionedPatch, versionAt, VERSIONED_KEYS,
  type AttributeVersion, type VersionedAttributes,
} from '../../domain/archive/archive.js';
import { maskIdNumber, maskPhone } from '../../domain/security/mask.js';
import { can, inTx, requirePermission, requireScope, type Actor, type Q, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { escapeLike } from '../security/users.js';
import { getOrgUnit } from '../security/org-units.js';

export interface AccountFilter {
  q?: string;
  accountNo?: string;
  name?: string;
  phone?: string;
  address?: string;
  meterAssetNo?: string;
  orgUnitId?: number;
  customerClass?: string;
  status?: string;
  page: number;
  pageSize: number;
}

const COUNT_CAP = 10_000;

export function today(now = new Date()): string {
  // Asia/Shanghai calendar day (UTC+8, no DST)
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** Restrict a query on `accounts` to the actor's data scope. */
export function scopeAccounts<QB extends { where: (...a: any[]) => QB }>(qb: QB, actor: Actor): QB {
  if (actor.roles.includes('customer') && actor.accountIds && !actor.permissions.has('account.read')) {
    return qb.where('accounts.id', 'in', actor.accountIds.length ? actor.accountIds : [-1]);
  }
  if (actor.orgPath === '' || actor.orgPath === '/') return qb;
  return qb.where('accounts.org_unit_id', 'in', (eb: any) =>
    eb.selectFrom('org_units').select('id').where('path', 'like', escapeLike(actor.orgPath) + '%'),
  );
}

function accountOut(a: any, orgUnitName?: string) {
  return {
    id: a.id,
    accountNo: a.account_no,
    name: a.name,
    phoneMasked: maskPhone(a.phone),
    address: a.address,
    customerClass: a.customer_class,
    voltageLevel: a.voltage_level,
    tariffCode: a.tariff_code,
    status: a.status,
    paymentMode: a.payment_mode,
    orgUnitId: a.org_unit_id,
    ...(orgUnitName !== undefined ? { orgUnitName } : {}),
  };
}

export async function searchAccounts(db: Db, actor: Actor, f: AccountFilter) {
  if (!can(actor, 'account.read') && !can(actor, 'portal.self')) requirePermission(actor, 'account.read');
  const k = db.kysely;
  let qb = k.selectFrom('accounts');
  if (actor.roles.includes('customer') && actor.accountIds && !actor.permissions.has('account.read')) {
    qb = scopeAccounts(qb, actor);
  } else if (actor.orgPath !== '' && actor.orgPath !== '/') {
    // literal id list: the planner estimates it far better than a sub-select on paths
    const ids = (await k.selectFrom('org_units').select('id').where('path', 'like', escapeLike(actor.orgPath) + '%').execute()).map((o) => o.id);
    qb = qb.where('accounts.org_unit_id', 'in', ids.length ? ids : [-1]);
  }
  const meterMatch = (asset: string) =>
    k.selectFrom('meter_installations')
      .innerJoin('meters', 'meters.id', 'meter_installations.meter_id')
      .where('meters.asset_no', '=', asset);
  let nameOrder = false;
  if (f.q && f.q.trim()) {
    // each alternative is its own index lookup, united: an OR across them would defeat the
    // indexes and scan the whole table
    const q = f.q.trim().slice(0, 100);
    if (/^\d+$/.test(q)) {
      const ids = [
        k.selectFrom('accounts').select('id').where('account_no', '=', q),
        ...(q.length < 16 ? [k.selectFrom('accounts').select('id').where('account_no', 'like', escapeLike(q) + '%')] : []),
        k.selectFrom('accounts').select('id').where('phone', '=', q),
      ];
      const union = ids.reduce((u, x) => u.union(x), meterMatch(q).select('meter_installations.account_id as id') as any);
      qb = qb.where('accounts.id', 'in', union);
    } else {
      // a meter asset number (e.g. ZJ0000000001) wins; otherwise a name prefix, listed in name
      // order straight from the C-collated name index (LIMIT stops early)
      const byMeter = await meterMatch(q).select('meter_installations.account_id').execute();
      if (byMeter.length) qb = qb.where('accounts.id', 'in', byMeter.map((m) => m.account_id));
      else {
        qb = qb.where(sql`(accounts.name collate "C")`, 'like', escapeLike(q) + '%');
        nameOrder = true;
      }
    }
  }
  if (f.accountNo) qb = qb.where('accounts.account_no', 'like', escapeLike(f.accountNo) + '%');
  if (f.name) qb = qb.where(sql`(accounts.name collate "C")`, 'like', escapeLike(f.name) + '%');
  if (f.phone) qb = qb.where('accounts.phone', '=', f.phone);
  if (f.address) qb = qb.where('accounts.address', 'ilike', '%' + escapeLike(f.address) + '%');
  if (f.meterAssetNo) qb = qb.where('accounts.id', 'in', meterMatch(f.meterAssetNo).select('meter_installations.account_id'));
  if (f.orgUnitId) {
    const ou = await k.selectFrom('org_units').select('path').where('id', '=', f.orgUnitId).executeTakeFirst();
    qb = qb.where('accounts.org_unit_id', 'in', (eb: any) =>
      eb.selectFrom('org_units').select('id').where('path', 'like', escapeLike(ou?.path ?? '/none/') + '%'),
    );
  }
  if (f.customerClass) qb = qb.where('accounts.customer_class', '=', f.customerClass);
  if (f.status) qb = qb.where('accounts.status', '=', f.status as never);

  const rows = await qb
    .innerJoin('org_units', 'org_units.id', 'accounts.org_unit_id')
    .selectAll('accounts')
    .select('org_units.name as org_unit_name')
    .$call((b) => (nameOrder ? b.orderBy(sql`(accounts.name collate "C")`).orderBy('accounts.account_no') : b.orderBy('accounts.account_no')))
    .limit(f.pageSize)
    .offset((f.page - 1) * f.pageSize)
    .execute();
  // a short first page is the whole answer: no count query needed
  const n =
    f.page === 1 && rows.length < f.pageSize
      ? rows.length
      : Number(
          (await k
            .selectFrom(qb.select(sql`1`.as('x')).limit(COUNT_CAP + 1).as('c'))
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirst())?.n ?? 0,
        );
  return {
    items: rows.map((r) => accountOut(r, r.org_unit_name)),
    total: Math.min(n, COUNT_CAP),
    totalCapped: n > COUNT_CAP,
    page: f.page,
    pageSize: f.pageSize,
  };
}

async function loadAccountRow(q: Q, id: number) {
  const a = await q
    .selectFrom('accounts')
    .innerJoin('org_units', 'org_units.id', 'accounts.org_unit_id')
    .selectAll('accounts')
    .select(['org_units.path as org_path', 'org_units.name as org_unit_name'])
    .where('accounts.id', '=', id)
    .executeTakeFirst();
  if (!a) throw new AppError('NOT_FOUND', `account ${id} not found`);
  return a;
}

function assertCanSee(actor: Actor, a: { id: number; org_path: string }) {
  if (actor.roles.includes('customer') && !can(actor, 'account.read')) {
    if (!actor.accountIds?.includes(a.id)) throw new AppError('OUT_OF_SCOPE', 'this account is not yours');
    return;
  }
  requirePermission(actor, 'account.read');
  requireScope(actor, a.org_path, 'account');
}

export async function getAccountView(db: Db, actor: Actor, id: number) {
  const k = db.kysely;
  const a = await loadAccountRow(k, id);
  assertCanSee(actor, a);
  const [customer, ta, route, mps, versions, audit] = await Promise.all([
    k.selectFrom('customers').selectAll().where('id', '=', a.customer_id).executeTakeFirst(),
    a.transformer_area_id
      ? k.selectFrom('transformer_areas')
          .innerJoin('feeders', 'feeders.id', 'transformer_areas.feeder_id')
          .select(['transformer_areas.id', 'transformer_areas.code', 'transformer_areas.name', 'transformer_areas.transformer_name', 'transformer_areas.capacity_kva', 'transformer_areas.ownership',
            'feeders.id as feeder_id', 'feeders.code as feeder_code', 'feeders.name as feeder_name', 'feeders.voltage_level as feeder_voltage'])
          .where('transformer_areas.id', '=', a.transformer_area_id)
          .executeTakeFirst()
      : undefined,
    a.reading_route_id ? k.selectFrom('reading_routes').selectAll().where('id', '=', a.reading_route_id).executeTakeFirst() : undefined,
    k.selectFrom('metering_points').selectAll().where('account_id', '=', id).orderBy('id').execute(),
    k.selectFrom('account_versions').selectAll().where('account_id', '=', id).orderBy('effective_from').execute(),
    can(actor, 'audit.read') || can(actor, 'account.write')
      ? k.selectFrom('audit_events')
          .select(['id', 'occurred_at', 'actor_name', 'action', 'before', 'after'])
          .where('entity_type', '=', 'account')
          .where('entity_id', '=', String(id))
          .orderBy('id', 'desc')
          .limit(20)
          .execute()
      : Promise.resolve([]),
  ]);
  const installs = mps.length
    ? await k.selectFrom('meter_installations')
        .innerJoin('meters', 'meters.id', 'meter_installations.meter_id')
        .selectAll('meter_installations')
        .select(['meters.asset_no', 'meters.comm_address', 'meters.meter_type', 'meters.registers', 'meters.digits', 'meters.decimals',
          'meters.ct_primary', 'meters.ct_secondary', 'meters.pt_primary', 'meters.pt_secondary', 'meters.multiplier', 'meters.manufacturer'])
        .where('meter_installations.metering_point_id', 'in', mps.map((m) => m.id))
        .orderBy('meter_installations.installed_on')
        .execute()
    : [];
  const pii = can(actor, 'customer.pii') || (actor.accountIds?.includes(id) ?? false);
  return {
    account: {
      ...accountOut(a, a.org_unit_name),
      phone: pii ? a.phone : maskPhone(a.phone),
      customerId: a.customer_id,
      contractCapacityKva: a.contract_capacity_kva,
      contractDemandKw: a.contract_demand_kw,
      basicChargeMethod: a.basic_charge_method,
      pfStandard: a.pf_standard,
      householdSize: a.household_size,
      sharedMeter: a.shared_meter,
      readingRouteId: a.reading_route_id,
      transformerAreaId: a.transformer_area_id,
      openedOn: a.opened_on,
      closedOn: a.closed_on,
      version: a.version,
      updatedAt: a.updated_at,
    },
    customer: customer && {
      id: customer.id,
      customerNo: customer.customer_no,
      kind: customer.kind,
      name: customer.name,
      idType: customer.id_type,
      idNumberMasked: maskIdNumber(customer.id_number),
      phoneMasked: maskPhone(customer.phone),
      ...(pii ? { idNumber: customer.id_number, phone: customer.phone } : {}),
      address: customer.address,
    },
    orgUnit: { id: a.org_unit_id, name: a.org_unit_name, path: a.org_path },
    transformerArea: ta && {
      id: ta.id, code: ta.code, name: ta.name, transformerName: ta.transformer_name, capacityKva: ta.capacity_kva, ownership: ta.ownership,
    },
    feeder: ta && { id: ta.feeder_id, code: ta.feeder_code, name: ta.feeder_name, voltageLevel: ta.feeder_voltage },
    readingRoute: route && { id: route.id, code: route.code, name: route.name, readingDay: route.reading_day },
    meteringPoints: mps.map((mp) => ({
      id: mp.id, code: mp.code, name: mp.name, voltageLevel: mp.voltage_level, energyScale: mp.energy_scale, status: mp.status,
      meters: installs.filter((i) => i.metering_point_id === mp.id).map((i) => ({
        installationId: i.id, meterId: i.meter_id, assetNo: i.asset_no, commAddress: i.comm_address, meterType: i.meter_type,
        manufacturer: i.manufacturer, registers: i.registers, digits: i.digits, decimals: i.decimals,
        ctRatio: `${trimDec(i.ct_primary)}/${trimDec(i.ct_secondary)}`, ptRatio: `${trimDec(i.pt_primary)}/${trimDec(i.pt_secondary)}`,
        multiplier: trimDec(i.multiplier), installedOn: i.installed_on, removedOn: i.removed_on,
        initialReadings: i.initial_readings, finalReadings: i.final_readings, reason: i.reason,
      })),
    })),
    history: versions.map((v) => ({
      id: v.id, effectiveFrom: v.effective_from, effectiveTo: v.effective_to, attributes: v.attributes, reason: v.reason, changedBy: v.changed_by, changedAt: v.changed_at,
    })),
    audit: audit.map((e) => ({ id: e.id, occurredAt: e.occurred_at, actorName: e.actor_name, action: e.action, before: e.before, after: e.after })),
  };
}

export function trimDec(s: string | null): string {
  if (s === null) return '';
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function attributesOf(a: any): VersionedAttributes {
  return {
    customerClass: a.customer_class,
    voltageLevel: a.voltage_level,
    tariffCode: a.tariff_code,
    contractCapacityKva: trimDec(a.contract_capacity_kva) || '0',
    contractDemandKw: a.contract_demand_kw === null ? null : trimDec(a.contract_demand_kw),
    basicChargeMethod: a.basic_charge_method,
    pfStandard: a.pf_standard,
    householdSize: a.household_size,
    sharedMeter: a.shared_meter,
    paymentMode: a.payment_mode,
    readingRouteId: a.reading_route_id,
    transformerAreaId: a.transformer_area_id,
    orgUnitId: a.org_unit_id,
    status: a.status,
  };
}

function columnsOf(v: VersionedAttributes) {
  return {
    customer_class: v.customerClass,
    voltage_level: v.voltageLevel,
    tariff_code: v.tariffCode,
    contract_capacity_kva: v.contractCapacityKva,
    contract_demand_kw: v.contractDemandKw,
    basic_charge_method: v.basicChargeMethod,
    pf_standard: v.pfStandard,
    household_size: v.householdSize,
    shared_meter: v.sharedMeter,
    payment_mode: v.paymentMode as 'postpaid' | 'prepaid',
    reading_route_id: v.readingRouteId,
    transformer_area_id: v.transformerAreaId,
    org_unit_id: v.orgUnitId,
    status: v.status as 'active' | 'suspended' | 'closed',
  };
}

async function checkRefs(trx: Trx, actor: Actor, p: Partial<VersionedAttributes>) {
  if (p.orgUnitId !== undefined) {
    const ou = await trx.selectFrom('org_units').select(['path', 'kind']).where('id', '=', p.orgUnitId).executeTakeFirst();
    if (!ou) throw new ValidationError('orgUnitId', 'no such org unit');
    if (actor.orgPath && !ou.path.startsWith(actor.orgPath)) {
      throw new AppError('OUT_OF_SCOPE', 'orgUnitId: the target org unit is outside your data scope', { field: 'orgUnitId' });
    }
  }
  if (p.readingRouteId) {
    const r = await trx.selectFrom('reading_routes').select('id').where('id', '=', p.readingRouteId).executeTakeFirst();
    if (!r) throw new ValidationError('readingRouteId', 'no such reading route');
  }
  if (p.transformerAreaId) {
    const r = await trx.selectFrom('transformer_areas').select('id').where('id', '=', p.transformerAreaId).executeTakeFirst();
    if (!r) throw new ValidationError('transformerAreaId', 'no such transformer area');
  }
}

export interface AccountCreate extends Partial<VersionedAttributes> {
  accountNo: string;
  customerId: number;
  name: string;
  phone?: string | null;
  address: string;
  openedOn?: string;
}

export async function createAccount(db: Db, actor: Actor, input: AccountCreate) {
  requirePermission(actor, 'account.write');
  const accountNo = checkAccountNo(input.accountNo);
  if (!input.name?.trim()) throw new ValidationError('name', 'required');
  if (!input.address?.trim()) throw new ValidationError('address', 'required');
  if (input.phone && !/^[0-9+\- ]{5,20}$/.test(input.phone)) throw new ValidationError('phone', 'must be a phone number');
  const openedOn = input.openedOn ? checkDate('openedOn', input.openedOn) : today();
  const patch = checkVersionedPatch(input as Partial<Record<keyof VersionedAttributes, unknown>>);
  if (!patch.customerClass) throw new ValidationError('customerClass', 'required');
  if (!patch.voltageLevel) throw new ValidationError('voltageLevel', 'required');
  const orgUnitId = patch.orgUnitId ?? actor.orgUnitId;
  if (!orgUnitId) throw new ValidationError('orgUnitId', 'required');
  const attrs: VersionedAttributes = {
    customerClass: patch.customerClass, voltageLevel: patch.voltageLevel, tariffCode: patch.tariffCode ?? null,
    contractCapacityKva: patch.contractCapacityKva ?? '0', contractDemandKw: patch.contractDemandKw ?? null,
    basicChargeMethod: patch.basicChargeMethod ?? 'none', pfStandard: patch.pfStandard ?? null, householdSize: patch.householdSize ?? 1,
    sharedMeter: patch.sharedMeter ?? false, paymentMode: patch.paymentMode ?? 'postpaid', readingRouteId: patch.readingRouteId ?? null,
    transformerAreaId: patch.transformerAreaId ?? null, orgUnitId, status: patch.status ?? 'active',
  };
  return inTx(db, async (trx) => {
    await checkRefs(trx, actor, { ...attrs, orgUnitId });
    const cust = await trx.selectFrom('customers').select('id').where('id', '=', input.customerId).executeTakeFirst();
    if (!cust) throw new ValidationError('customerId', 'no such customer');
    const dup = await trx.selectFrom('accounts').select('id').where('account_no', '=', accountNo).executeTakeFirst();
    if (dup) throw new AppError('CONFLICT', `account ${accountNo} exists`, { field: 'accountNo' });
    const row = await trx
      .insertInto('accounts')
      .values({ account_no: accountNo, customer_id: input.customerId, name: input.name.trim(), phone: input.phone ?? null, address: input.address.trim(), opened_on: openedOn, ...columnsOf(attrs) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.insertInto('account_versions').values({ account_id: row.id, effective_from: openedOn, effective_to: null, attributes: JSON.stringify(attrs), reason: 'opened', changed_by: actor.userId }).execute();
    const after = { accountNo, name: input.name, phone: input.phone ?? null, address: input.address, openedOn, ...attrs };
    await writeAudit(trx, actor, { action: 'account.create', entityType: 'account', entityId: row.id, orgUnitId, after });
    return { id: row.id, accountNo };
  });
}

export interface AccountUpdate extends Partial<Record<keyof VersionedAttributes, unknown>> {
  version: number;
  name?: string;
  phone?: string | null;
  address?: string;
  effectiveFrom?: string;
  reason?: string;
}

export async function updateAccount(db: Db, actor: Actor, id: number, input: AccountUpdate, now = new Date()) {
  requirePermission(actor, 'account.write');
  if (!Number.isInteger(input.version)) throw new ValidationError('version', 'required (the version you edited, for the optimistic lock)');
  const plainPatch: Record<string, unknown> = {};
  if (input.name !== undefined) {
    if (typeof input.name !== 'string' || !input.name.trim() || input.name.length > 200) throw new ValidationError('name', 'must be 1-200 characters');
    plainPatch.name = input.name.trim();
  }
  if (input.phone !== undefined) {
    if (input.phone !== null && (typeof input.phone !== 'string' || !/^[0-9+\- ]{5,20}$/.test(input.phone))) throw new ValidationError('phone', 'must be a phone number');
    plainPatch.phone = input.phone;
  }
  if (input.address !== undefined) {
    if (typeof input.address !== 'string' || !input.address.trim() || input.address.length > 300) throw new ValidationError('address', 'must be 1-300 characters');
    plainPatch.address = input.address.trim();
  }
  const vpatch = checkVersionedPatch(Object.fromEntries(VERSIONED_KEYS.filter((k) => input[k] !== undefined).map((k) => [k, input[k]])));
  const effectiveFrom = input.effectiveFrom ? checkDate('effectiveFrom', input.effectiveFrom) : today(now);
  if (Object.keys(plainPatch).length === 0 && Object.keys(vpatch).length === 0) throw new ValidationError('body', 'nothing to change');
  if (input.reason !== undefined && (typeof input.reason !== 'string' || input.reason.length > 500)) throw new ValidationError('reason', 'at most 500 characters');

  return inTx(db, async (trx) => {
    // lock the row: concurrent edits of one account are serialised
    await sql`select id from accounts where id = ${id} for update`.execute(trx);
    const a = await loadAccountRow(trx, id);
    requireScope(actor, a.org_path, 'account');
    if (a.version !== input.version) {
      throw new AppError('CONFLICT', `account was changed by someone else (version ${a.version}, you edited ${input.version}); reload and retry`, { field: 'version', currentVersion: a.version });
    }
    await checkRefs(trx, actor, vpatch);
    const before = { name: a.name, phone: a.phone, address: a.address, ...attributesOf(a) };
    let current = attributesOf(a);
    if (Object.keys(vpatch).length) {
      const rows = await trx.selectFrom('account_versions').selectAll().where('account_id', '=', id).orderBy('effective_from').execute();
      const versions: AttributeVersion[] = rows.map((r) => ({ id: r.id, effectiveFrom: r.effective_from, effectiveTo: r.effective_to, attributes: r.attributes as VersionedAttributes }));
      const next = applyVersionPatch(versions, effectiveFrom, vpatch);
      for (const v of next) {
        if (v.id) {
          await trx.updateTable('account_versions').set({ effective_to: v.effectiveTo, attributes: JSON.stringify(v.attributes) }).where('id', '=', v.id).execute();
        } else {
          await trx.insertInto('account_versions').values({ account_id: id, effective_from: v.effectiveFrom, effective_to: v.effectiveTo, attributes: JSON.stringify(v.attributes), reason: input.reason ?? null, changed_by: actor.userId }).execute();
        }
      }
      current = versionAt(next, today(now))?.attributes ?? current;
    }
    const updated = await trx
      .updateTable('accounts')
      .set({ ...plainPatch, ...columnsOf(current), version: a.version + 1, updated_at: now })
      .where('id', '=', id)
      .returning(['version'])
      .executeTakeFirstOrThrow();
    const after = { name: plainPatch.name ?? a.name, phone: plainPatch.phone !== undefined ? plainPatch.phone : a.phone, address: plainPatch.address ?? a.address, ...current };
    await writeAudit(trx, actor, {
      action: 'account.update', entityType: 'account', entityId: id, orgUnitId: current.orgUnitId,
      before: { ...before, changes: undefined }, after: { ...after, effectiveFrom: Object.keys(vpatch).length ? effectiveFrom : undefined, changes: { ...plainPatch, ...vpatch }, reason: input.reason },
    });
    return { id, version: updated.version };
  });
}

export async function accountOrgPath(q: Q, id: number): Promise<string> {
  const a = await loadAccountRow(q, id);
  return a.org_path;
}

export { getOrgUnit };
