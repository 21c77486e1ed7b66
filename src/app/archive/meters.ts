/**
 * Meters (电能表), metering points (计量点), installation and exchange (换表). An exchange
 * closes the old installation with its final readings and opens the new one with its initial
 * readings, so consumption across the exchange is (old final - old previous) + (new current - new initial).
 */
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { checkCommAddress, checkDate, checkMeterType, checkRegisters, multiplier, VOLTAGE_LEVELS } from '../../domain/archive/archive.js';
import { inTx, requirePermission, requireScope, type Actor, type Trx } from '../context.js';
import { writeAudit } from '../audit/write-audit.js';
import { accountOrgPath, today } from './accounts.js';

export interface MeterInput {
  assetNo: string; commAddress: string; meterType: string; manufacturer?: string; registers: string[];
  digits?: number; decimals?: number; ctPrimary?: string; ctSecondary?: string; ptPrimary?: string; ptSecondary?: string;
}

export function checkMeterInput(input: MeterInput) {
  if (typeof input.assetNo !== 'string' || !/^[A-Za-z0-9]{4,32}$/.test(input.assetNo)) throw new ValidationError('assetNo', '4-32 letters or digits');
  const commAddress = checkCommAddress(input.commAddress);
  const meterType = checkMeterType(input.meterType);
  const registers = checkRegisters(input.registers);
  const digits = input.digits ?? 6;
  if (!Number.isInteger(digits) || digits < 4 || digits > 10) throw new ValidationError('digits', 'must be an integer 4-10');
  const decimals = input.decimals ?? 2;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 4) throw new ValidationError('decimals', 'must be an integer 0-4');
  const ct = [String(input.ctPrimary ?? '1'), String(input.ctSecondary ?? '1')];
  const pt = [String(input.ptPrimary ?? '1'), String(input.ptSecondary ?? '1')];
  const m = multiplier(ct[0], ct[1], pt[0], pt[1]);
  return { asset_no: input.assetNo, comm_address: commAddress, meter_type: meterType, manufacturer: input.manufacturer ?? null, registers, digits, decimals,
    ct_primary: ct[0], ct_secondary: ct[1], pt_primary: pt[0], pt_secondary: pt[1], multiplier: m };
}

export async function createMeter(db: Db, actor: Actor, input: MeterInput) {
  requirePermission(actor, 'meter.write');
  const v = checkMeterInput(input);
  return inTx(db, async (trx) => {
    if (await trx.selectFrom('meters').select('id').where('asset_no', '=', v.asset_no).executeTakeFirst()) throw new AppError('CONFLICT', `assetNo: meter ${v.asset_no} exists`, { field: 'assetNo' });
    if (await trx.selectFrom('meters').select('id').where('comm_address', '=', v.comm_address).executeTakeFirst()) {
      throw new AppError('CONFLICT', `commAddress: ${v.comm_address} is already used by another meter`, { field: 'commAddress' });
    }
    const r = await trx.insertInto('meters').values(v).returning('id').executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'meter.create', entityType: 'meter', entityId: r.id, after: v });
    return { id: r.id, assetNo: v.asset_no, commAddress: v.comm_address, multiplier: v.multiplier };
  });
}

export async function listMeters(db: Db, actor: Actor, f: { assetNo?: string; commAddress?: string; status?: string; page: number; pageSize: number }) {
  requirePermission(actor, 'meter.read');
  let qb = db.kysely.selectFrom('meters');
  if (f.assetNo) qb = qb.where('asset_no', '=', f.assetNo);
  if (f.commAddress) qb = qb.where('comm_address', '=', f.commAddress);
  if (f.status) qb = qb.where('status', '=', f.status as never);
  const rows = await qb.selectAll().orderBy('id').limit(f.pageSize).offset((f.page - 1) * f.pageSize).execute();
  return {
    items: rows.map((m) => ({ id: m.id, assetNo: m.asset_no, commAddress: m.comm_address, meterType: m.meter_type, registers: m.registers, multiplier: m.multiplier, status: m.status })),
    page: f.page, pageSize: f.pageSize,
  };
}

export async function createMeteringPoint(db: Db, actor: Actor, accountId: number, input: { code: string; name: string; voltageLevel: string; energyScale?: number }) {
  requirePermission(actor, 'meter.write');
  requireScope(actor, await accountOrgPath(db.kysely, accountId), 'account');
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(input.code ?? '')) throw new ValidationError('code', '1-40 letters, digits, _ or -');
  if (!input.name?.trim()) throw new ValidationError('name', 'required');
  if (!VOLTAGE_LEVELS.some((v) => v.code === input.voltageLevel)) throw new ValidationError('voltageLevel', 'unknown voltage level');
  const scale = input.energyScale ?? 0;
  if (![0, 1, 2].includes(scale)) throw new ValidationError('energyScale', 'must be 0, 1 or 2');
  return inTx(db, async (trx) => {
    if (await trx.selectFrom('metering_points').select('id').where('code', '=', input.code).executeTakeFirst()) throw new AppError('CONFLICT', `metering point ${input.code} exists`, { field: 'code' });
    const r = await trx.insertInto('metering_points').values({ account_id: accountId, code: input.code, name: input.name.trim(), voltage_level: input.voltageLevel, energy_scale: scale }).returning('id').executeTakeFirstOrThrow();
    await writeAudit(trx, actor, { action: 'metering_point.create', entityType: 'account', entityId: accountId, after: { meteringPointId: r.id, ...input } });
    return { id: r.id };
  });
}

function checkReadings(field: string, v: unknown, registers: string[]): Record<string, string> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ValidationError(field, 'must be an object of register -> reading');
  const out: Record<string, string> = {};
  for (const [k, raw] of Object.entries(v as Record<string, unknown>)) {
    if (!registers.includes(k)) throw new ValidationError(`${field}.${k}`, 'register not on this meter');
    const s = String(raw);
    if (!/^\d{1,10}(\.\d{1,4})?$/.test(s)) throw new ValidationError(`${field}.${k}`, 'must be a non-negative reading');
    out[k] = s;
  }
  if (out.TOTAL === undefined) throw new ValidationError(`${field}.TOTAL`, 'required');
  return out;
}

async function loadMeter(trx: Trx, id: unknown, field: string) {
  if (!Number.isInteger(id)) throw new ValidationError(field, 'required');
  const m = await trx.selectFrom('meters').selectAll().where('id', '=', id as number).executeTakeFirst();
  if (!m) throw new ValidationError(field, 'no such meter');
  return m;
}

export async function installMeter(db: Db, actor: Actor, meteringPointId: number, input: { meterId: number; installedOn?: string; readings: Record<string, unknown> }) {
  requirePermission(actor, 'meter.write');
  return inTx(db, async (trx) => {
    const mp = await trx.selectFrom('metering_points').selectAll().where('id', '=', meteringPointId).executeTakeFirst();
    if (!mp) throw new AppError('NOT_FOUND', `metering point ${meteringPointId} not found`);
    requireScope(actor, await accountOrgPath(trx, mp.account_id), 'account');
    const meter = await loadMeter(trx, input.meterId, 'meterId');
    if (meter.status !== 'stock') throw new ValidationError('meterId', `meter is ${meter.status}, not in stock`);
    const active = await trx.selectFrom('meter_installations').select('id').where('metering_point_id', '=', mp.id).where('removed_on', 'is', null).executeTakeFirst();
    if (active) throw new AppError('CONFLICT', 'metering point already has a meter; use meter exchange', { field: 'meterId' });
    const installedOn = input.installedOn ? checkDate('installedOn', input.installedOn) : today();
    const readings = checkReadings('readings', input.readings, meter.registers);
    const r = await trx.insertInto('meter_installations').values({ metering_point_id: mp.id, account_id: mp.account_id, meter_id: meter.id, installed_on: installedOn, initial_readings: JSON.stringify(readings), reason: 'install' }).returning('id').executeTakeFirstOrThrow();
    await trx.updateTable('meters').set({ status: 'installed', updated_at: new Date() }).where('id', '=', meter.id).execute();
    await writeAudit(trx, actor, { action: 'meter.install', entityType: 'account', entityId: mp.account_id, after: { meteringPointId: mp.id, meterId: meter.id, assetNo: meter.asset_no, installedOn, readings } });
    return { installationId: r.id };
  });
}

export async function exchangeMeter(
  db: Db, actor: Actor, meteringPointId: number,
  input: { newMeterId: number; exchangedOn: string; oldReadings: Record<string, unknown>; newReadings: Record<string, unknown>; reason: string },
) {
  requirePermission(actor, 'meter.write');
  const exchangedOn = checkDate('exchangedOn', input.exchangedOn);
  if (!input.reason?.trim()) throw new ValidationError('reason', 'required');
  return inTx(db, async (trx) => {
    const mp = await trx.selectFrom('metering_points').selectAll().where('id', '=', meteringPointId).executeTakeFirst();
    if (!mp) throw new AppError('NOT_FOUND', `metering point ${meteringPointId} not found`);
    requireScope(actor, await accountOrgPath(trx, mp.account_id), 'account');
    await sql`select id from metering_points where id = ${mp.id} for update`.execute(trx);
    const cur = await trx.selectFrom('meter_installations').innerJoin('meters', 'meters.id', 'meter_installations.meter_id')
      .selectAll('meter_installations').select(['meters.registers', 'meters.asset_no'])
      .where('metering_point_id', '=', mp.id).where('removed_on', 'is', null).executeTakeFirst();
    if (!cur) throw new AppError('CONFLICT', 'metering point has no installed meter; install one first', { field: 'meteringPointId' });
    if (exchangedOn < cur.installed_on) throw new ValidationError('exchangedOn', `must not be before the old meter was installed (${cur.installed_on})`);
    const newMeter = await loadMeter(trx, input.newMeterId, 'newMeterId');
    if (newMeter.status !== 'stock') throw new ValidationError('newMeterId', `meter is ${newMeter.status}, not in stock`);
    const oldReadings = checkReadings('oldReadings', input.oldReadings, cur.registers);
    const initial = (cur.initial_readings ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(oldReadings)) {
      if (initial[k] !== undefined && Number(v) < Number(initial[k])) {
        throw new ValidationError(`oldReadings.${k}`, `is below the meter's initial reading ${initial[k]}; check the value or record a rollover`);
      }
    }
    const newReadings = checkReadings('newReadings', input.newReadings, newMeter.registers);
    await trx.updateTable('meter_installations').set({ removed_on: exchangedOn, final_readings: JSON.stringify(oldReadings) }).where('id', '=', cur.id).execute();
    await trx.updateTable('meters').set({ status: 'removed', updated_at: new Date() }).where('id', '=', cur.meter_id).execute();
    const r = await trx.insertInto('meter_installations').values({
      metering_point_id: mp.id, account_id: mp.account_id, meter_id: newMeter.id, installed_on: exchangedOn, initial_readings: JSON.stringify(newReadings), reason: input.reason.trim(),
    }).returning('id').executeTakeFirstOrThrow();
    await trx.updateTable('meters').set({ status: 'installed', updated_at: new Date() }).where('id', '=', newMeter.id).execute();
    await writeAudit(trx, actor, {
      action: 'meter.exchange', entityType: 'account', entityId: mp.account_id,
      before: { meterId: cur.meter_id, assetNo: cur.asset_no, finalReadings: oldReadings },
      after: { meterId: newMeter.id, assetNo: newMeter.asset_no, initialReadings: newReadings, exchangedOn, reason: input.reason },
    });
    return { installationId: r.id, removedInstallationId: cur.id };
  });
}
