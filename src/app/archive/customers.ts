/** Customers (客户): person or enterprise; ID numbers and phones masked outside `customer.pii`. */
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { maskIdNumber, maskPhone } from '../../domain/security/mask.js';
import { can, inTx, requirePermission, requireScope, type Actor } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { escapeLike } from '../security/users.js';

const ID_TYPES = ['resident_id', 'credit_code', 'passport', 'other'];

function out(c: any, pii: boolean) {
  return {
    id: c.id, customerNo: c.customer_no, kind: c.kind, name: c.name, idType: c.id_type,
    idNumberMasked: maskIdNumber(c.id_number), phoneMasked: maskPhone(c.phone),
    ...(pii ? { idNumber: c.id_number, phone: c.phone } : {}),
    address: c.address, orgUnitId: c.org_unit_id, version: c.version,
  };
}

function checkIdNumber(idType: string, v: unknown): string {
  if (typeof v !== 'string' || !v) throw new ValidationError('idNumber', 'required');
  if (idType === 'resident_id' && !/^\d{17}[\dXx]$/.test(v)) throw new ValidationError('idNumber', 'a resident ID has 18 characters (17 digits and a digit or X)');
  if (idType === 'credit_code' && !/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(v)) throw new ValidationError('idNumber', 'a unified social credit code has 18 characters');
  if (v.length > 40) throw new ValidationError('idNumber', 'too long');
  return v.toUpperCase();
}

export async function listCustomers(db: Db, actor: Actor, f: { q?: string; page: number; pageSize: number }) {
  requirePermission(actor, 'customer.read');
  let qb = db.kysely.selectFrom('customers').innerJoin('org_units', 'org_units.id', 'customers.org_unit_id').where('org_units.path', 'like', escapeLike(actor.orgPath) + '%');
  if (f.q?.trim()) {
    const q = f.q.trim();
    qb = qb.where((eb) => eb.or([eb('customers.name', 'like', escapeLike(q) + '%'), eb('customers.phone', '=', q), eb('customers.customer_no', '=', q), eb('customers.id_number', '=', q.toUpperCase())]));
  }
  const [rows, cnt] = await Promise.all([
    qb.selectAll('customers').orderBy('customers.id').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute(),
    qb.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
  ]);
  const pii = can(actor, 'customer.pii');
  return { items: rows.map((r) => out(r, pii)), total: Number(cnt?.n ?? 0), page: f.page, pageSize: f.pageSize };
}

async function load(db: Db, id: number) {
  const c = await db.kysely.selectFrom('customers').innerJoin('org_units', 'org_units.id', 'customers.org_unit_id').selectAll('customers').select('org_units.path').where('customers.id', '=', id).executeTakeFirst();
  if (!c) throw new AppError('NOT_FOUND', `customer ${id} not found`);
  return c;
}

export async function getCustomer(db: Db, actor: Actor, id: number) {
  requirePermission(actor, 'customer.read');
  const c = await load(db, id);
  requireScope(actor, c.path, 'customer');
  const accounts = await db.kysely.selectFrom('accounts').select(['id', 'account_no as accountNo', 'name', 'status', 'customer_class as customerClass']).where('customer_id', '=', id).orderBy('account_no').execute();
  return { ...out(c, can(actor, 'customer.pii')), accounts };
}

export interface CustomerInput {
  customerNo?: string; kind: string; name: string; idType: string; idNumber: string; phone?: string | null; address?: string | null; orgUnitId?: number;
}

export async function createCustomer(db: Db, actor: Actor, input: CustomerInput) {
  requirePermission(actor, 'customer.write');
  if (!['person', 'enterprise'].includes(input.kind)) throw new ValidationError('kind', 'must be person or enterprise');
  if (!input.name?.trim() || input.name.length > 200) throw new ValidationError('name', 'must be 1-200 characters');
  if (!ID_TYPES.includes(input.idType)) throw new ValidationError('idType', `must be one of ${ID_TYPES.join(', ')}`);
  const idNumber = checkIdNumber(input.idType, input.idNumber);
  if (input.phone && !/^[0-9+\- ]{5,20}$/.test(input.phone)) throw new ValidationError('phone', 'must be a phone number');
  const orgUnitId = input.orgUnitId ?? actor.orgUnitId;
  if (!orgUnitId) throw new ValidationError('orgUnitId', 'required');
  const ou = await db.kysely.selectFrom('org_units').select('path').where('id', '=', orgUnitId).executeTakeFirst();
  if (!ou) throw new ValidationError('orgUnitId', 'no such org unit');
  requireScope(actor, ou.path, 'org unit');
  return inTx(db, async (trx) => {
    const customerNo = input.customerNo ?? `C${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 1296).toString(36).toUpperCase()}`;
    const dup = await trx.selectFrom('customers').select('id').where('customer_no', '=', customerNo).executeTakeFirst();
    if (dup) throw new AppError('CONFLICT', `customer ${customerNo} exists`, { field: 'customerNo' });
    const row = await trx.insertInto('customers').values({
      customer_no: customerNo, kind: input.kind as never, name: input.name.trim(), id_type: input.idType, id_number: idNumber,
      phone: input.phone ?? null, address: input.address ?? null, org_unit_id: orgUnitId,
    }).returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'customer.create', entityType: 'customer', entityId: row.id, orgUnitId, after: out(row, true) });
    return out(row, can(actor, 'customer.pii'));
  });
}

export async function updateCustomer(db: Db, actor: Actor, id: number, input: { version: number; name?: string; phone?: string | null; address?: string | null }) {
  requirePermission(actor, 'customer.write');
  if (!Number.isInteger(input.version)) throw new ValidationError('version', 'required');
  const c = await load(db, id);
  requireScope(actor, c.path, 'customer');
  const patch: Record<string, unknown> = {};
  if (input.name !== undefined) {
    if (!input.name?.trim() || input.name.length > 200) throw new ValidationError('name', 'must be 1-200 characters');
    patch.name = input.name.trim();
  }
  if (input.phone !== undefined) {
    if (input.phone !== null && !/^[0-9+\- ]{5,20}$/.test(input.phone)) throw new ValidationError('phone', 'must be a phone number');
    patch.phone = input.phone;
  }
  if (input.address !== undefined) patch.address = input.address;
  if (!Object.keys(patch).length) throw new ValidationError('body', 'nothing to change');
  return inTx(db, async (trx) => {
    const r = await trx.updateTable('customers').set({ ...patch, version: c.version + 1, updated_at: new Date() }).where('id', '=', id).where('version', '=', input.version).returningAll().executeTakeFirst();
    if (!r) throw new AppError('CONFLICT', 'customer was changed by someone else; reload and retry', { field: 'version' });
    await writeAudit(trx, actor, { action: 'customer.update', entityType: 'customer', entityId: id, orgUnitId: c.org_unit_id, before: out(c, true), after: out(r, true) });
    return out(r, can(actor, 'customer.pii'));
  });
}
