/**
 * Archive (客户档案) rules: code tables, identifier checks, multiplier (综合倍率), and the
 * effective-dated attribute versions of an account. Pure; see domain-cn §9.
 */
import { Decimal } from 'decimal.js';
import { ValidationError } from '../errors.js';

export interface CodeItem { code: string; zh: string; en: string }

export const CUSTOMER_CLASSES: CodeItem[] = [
  { code: 'residential', zh: '居民生活', en: 'Residential' },
  { code: 'commercial', zh: '一般工商业', en: 'General commercial & industrial' },
  { code: 'large_industrial', zh: '大工业', en: 'Large industrial' },
  { code: 'agricultural', zh: '农业生产', en: 'Agricultural production' },
  { code: 'public_service', zh: '公用事业/机关', en: 'Public service' },
];
export const VOLTAGE_LEVELS: CodeItem[] = [
  { code: 'LV220', zh: '交流220V', en: '220 V' },
  { code: 'LV380', zh: '交流380V', en: '380 V' },
  { code: 'MV10', zh: '交流10kV', en: '10 kV' },
  { code: 'MV20', zh: '交流20kV', en: '20 kV' },
  { code: 'HV35', zh: '交流35kV', en: '35 kV' },
  { code: 'HV110', zh: '交流110kV', en: '110 kV' },
];
export const ACCOUNT_STATUSES: CodeItem[] = [
  { code: 'active', zh: '正常用电', en: 'Active' },
  { code: 'suspended', zh: '暂停', en: 'Suspended' },
  { code: 'closed', zh: '销户', en: 'Closed' },
];
export const PAYMENT_MODES: CodeItem[] = [
  { code: 'postpaid', zh: '后付费', en: 'Postpaid' },
  { code: 'prepaid', zh: '预付费(费控)', en: 'Prepaid' },
];
export const BASIC_CHARGE_METHODS: CodeItem[] = [
  { code: 'none', zh: '单一制', en: 'Single-part (none)' },
  { code: 'capacity', zh: '按容量', en: 'By transformer capacity' },
  { code: 'contract_demand', zh: '按合同最大需量', en: 'By contract demand' },
  { code: 'actual_demand', zh: '按实际最大需量', en: 'By actual demand' },
];
export const PF_STANDARDS: CodeItem[] = [
  { code: '0.90', zh: '0.90', en: '0.90' },
  { code: '0.85', zh: '0.85', en: '0.85' },
  { code: '0.80', zh: '0.80', en: '0.80' },
];
export const METER_TYPES: CodeItem[] = [
  { code: 'single_phase', zh: '单相智能表', en: 'Single-phase smart meter' },
  { code: 'three_phase_direct', zh: '三相四线直接接入', en: 'Three-phase direct' },
  { code: 'three_phase_ct', zh: '三相四线经互感器', en: 'Three-phase via CT' },
  { code: 'three_phase_3w_hv', zh: '三相三线高供高计', en: 'Three-phase 3-wire HV' },
];
export const REGISTERS: CodeItem[] = [
  { code: 'TOTAL', zh: '正向有功总', en: 'Active import total' },
  { code: 'SHARP', zh: '尖', en: 'Sharp' },
  { code: 'PEAK', zh: '峰', en: 'Peak' },
  { code: 'FLAT', zh: '平', en: 'Flat' },
  { code: 'VALLEY', zh: '谷', en: 'Valley' },
  { code: 'REVERSE', zh: '反向有功总', en: 'Active export total' },
  { code: 'REACTIVE', zh: '无功总', en: 'Reactive total' },
  { code: 'REACTIVE_REV', zh: '反向无功总', en: 'Reactive export total' },
  { code: 'MAX_DEMAND', zh: '最大需量', en: 'Maximum demand' },
];
export const ORG_UNIT_KINDS: CodeItem[] = [
  { code: 'company', zh: '供电公司', en: 'Company' },
  { code: 'county', zh: '县供电公司', en: 'County company' },
  { code: 'station', zh: '供电所', en: 'Supply station' },
  { code: 'hall', zh: '营业厅', en: 'Service hall' },
];

const codes = (l: CodeItem[]) => new Set(l.map((c) => c.code));
const CC = codes(CUSTOMER_CLASSES), VL = codes(VOLTAGE_LEVELS), ST = codes(ACCOUNT_STATUSES), PM = codes(PAYMENT_MODES),
  BM = codes(BASIC_CHARGE_METHODS), MT = codes(METER_TYPES), RG = codes(REGISTERS);

export const ACCOUNT_NO_RE = /^\d{10,16}$/;
export const COMM_ADDRESS_RE = /^\d{12}$/;

/** 户号: opaque 10-16 digit string (domain-cn §9.1). */
export function checkAccountNo(v: unknown, field = 'accountNo'): string {
  if (typeof v !== 'string' || !ACCOUNT_NO_RE.test(v)) throw new ValidationError(field, 'must be 10-16 digits');
  return v;
}

/** DL/T 645 communication address: 12 BCD digits. */
export function checkCommAddress(v: unknown, field = 'commAddress'): string {
  if (typeof v !== 'string' || !COMM_ADDRESS_RE.test(v)) throw new ValidationError(field, 'must be 12 digits');
  return v;
}

/**
 * 综合倍率 = CT变比 × PT变比 (domain-cn §5.3). Ratios must be positive.
 * @example multiplier('200','5','10000','100') // '4000'
 */
export function multiplier(ctPrimary: string, ctSecondary: string, ptPrimary: string, ptSecondary: string): string {
  const vals: Array<[string, string]> = [['ctPrimary', ctPrimary], ['ctSecondary', ctSecondary], ['ptPrimary', ptPrimary], ['ptSecondary', ptSecondary]];
  const ds = vals.map(([f, v]) => {
    let d: Decimal;
    try {
      d = new Decimal(String(v));
    } catch {
      throw new ValidationError(f, 'must be a number');
    }
    if (!d.isFinite() || d.lte(0)) throw new ValidationError(f, 'must be positive');
    if (d.gt(1_000_000)) throw new ValidationError(f, 'is too large');
    return d;
  });
  const m = ds[0].div(ds[1]).mul(ds[2].div(ds[3]));
  return m.toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toString();
}

/** Account attributes that are effective-dated (billing reads the version in force). */
export interface VersionedAttributes {
  customerClass: string;
  voltageLevel: string;
  tariffCode: string | null;
  contractCapacityKva: string;
  contractDemandKw: string | null;
  basicChargeMethod: string;
  pfStandard: string | null;
  householdSize: number;
  sharedMeter: boolean;
  paymentMode: string;
  readingRouteId: number | null;
  transformerAreaId: number | null;
  orgUnitId: number;
  status: string;
}

export const VERSIONED_KEYS: Array<keyof VersionedAttributes> = [
  'customerClass', 'voltageLevel', 'tariffCode', 'contractCapacityKva', 'contractDemandKw', 'basicChargeMethod',
  'pfStandard', 'householdSize', 'sharedMeter', 'paymentMode', 'readingRouteId', 'transformerAreaId', 'orgUnitId', 'status',
];

function dec(field: string, v: unknown, opts: { min?: number; max?: number } = {}): string {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !/^\d+(\.\d{1,2})?$/.test(s)) throw new ValidationError(field, 'must be a non-negative number with at most 2 decimals');
  const n = Number(s);
  if (opts.max !== undefined && n > opts.max) throw new ValidationError(field, `must be at most ${opts.max}`);
  return s;
}

/** Validate a (partial) set of versioned attributes; returns the normalised patch. */
export function checkVersionedPatch(p: Partial<Record<keyof VersionedAttributes, unknown>>): Partial<VersionedAttributes> {
  const out: Partial<VersionedAttributes> = {};
  if (p.customerClass !== undefined) {
    if (!CC.has(p.customerClass as string)) throw new ValidationError('customerClass', `must be one of ${[...CC].join(', ')}`);
    out.customerClass = p.customerClass as string;
  }
  if (p.voltageLevel !== undefined) {
    if (!VL.has(p.voltageLevel as string)) throw new ValidationError('voltageLevel', `must be one of ${[...VL].join(', ')}`);
    out.voltageLevel = p.voltageLevel as string;
  }
  if (p.tariffCode !== undefined) {
    if (p.tariffCode !== null && (typeof p.tariffCode !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(p.tariffCode))) {
      throw new ValidationError('tariffCode', 'must be a tariff code (letters, digits, _.-)');
    }
    out.tariffCode = p.tariffCode as string | null;
  }
  if (p.contractCapacityKva !== undefined) out.contractCapacityKva = dec('contractCapacityKva', p.contractCapacityKva, { max: 9_999_999 });
  if (p.contractDemandKw !== undefined) out.contractDemandKw = p.contractDemandKw === null ? null : dec('contractDemandKw', p.contractDemandKw, { max: 9_999_999 });
  if (p.basicChargeMethod !== undefined) {
    if (!BM.has(p.basicChargeMethod as string)) throw new ValidationError('basicChargeMethod', `must be one of ${[...BM].join(', ')}`);
    out.basicChargeMethod = p.basicChargeMethod as string;
  }
  if (p.pfStandard !== undefined) {
    if (p.pfStandard !== null && !['0.80', '0.85', '0.90', '0.8', '0.9'].includes(String(p.pfStandard))) {
      throw new ValidationError('pfStandard', 'must be 0.80, 0.85 or 0.90');
    }
    out.pfStandard = p.pfStandard === null ? null : Number(p.pfStandard).toFixed(2);
  }
  if (p.householdSize !== undefined) {
    if (!Number.isInteger(p.householdSize) || (p.householdSize as number) < 1 || (p.householdSize as number) > 99) {
      throw new ValidationError('householdSize', 'must be an integer 1-99');
    }
    out.householdSize = p.householdSize as number;
  }
  if (p.sharedMeter !== undefined) {
    if (typeof p.sharedMeter !== 'boolean') throw new ValidationError('sharedMeter', 'must be true or false');
    out.sharedMeter = p.sharedMeter;
  }
  if (p.paymentMode !== undefined) {
    if (!PM.has(p.paymentMode as string)) throw new ValidationError('paymentMode', 'must be postpaid or prepaid');
    out.paymentMode = p.paymentMode as string;
  }
  for (const k of ['readingRouteId', 'transformerAreaId'] as const) {
    if (p[k] !== undefined) {
      if (p[k] !== null && (!Number.isInteger(p[k]) || (p[k] as number) < 1)) throw new ValidationError(k, 'must be an id');
      out[k] = p[k] as number | null;
    }
  }
  if (p.orgUnitId !== undefined) {
    if (!Number.isInteger(p.orgUnitId) || (p.orgUnitId as number) < 1) throw new ValidationError('orgUnitId', 'must be an id');
    out.orgUnitId = p.orgUnitId as number;
  }
  if (p.status !== undefined) {
    if (!ST.has(p.status as string)) throw new ValidationError('status', 'must be active, suspended or closed');
    out.status = p.status as string;
  }
  return out;
}

export function checkMeterType(v: unknown): string {
  if (!MT.has(v as string)) throw new ValidationError('meterType', `must be one of ${[...MT].join(', ')}`);
  return v as string;
}

export function checkRegisters(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0) throw new ValidationError('registers', 'must list at least one register');
  for (const r of v) if (!RG.has(r)) throw new ValidationError('registers', `unknown register ${String(r)}`);
  if (!v.includes('TOTAL')) throw new ValidationError('registers', 'must include TOTAL');
  return [...new Set(v as string[])];
}

export interface AttributeVersion {
  id?: number;
  effectiveFrom: string;
  effectiveTo: string | null;
  attributes: VersionedAttributes;
}

export const ISO_DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
export function checkDate(field: string, v: unknown): string {
  if (typeof v !== 'string' || !ISO_DATE_RE.test(v) || Number.isNaN(Date.parse(v + 'T00:00:00Z')) || new Date(v + 'T00:00:00Z').toISOString().slice(0, 10) !== v) {
    throw new ValidationError(field, 'must be a date YYYY-MM-DD');
  }
  return v;
}

/**
 * Apply a patch from day `from` to a sorted list of versions. The patch holds until the next
 * version that already starts after `from` (a scheduled later change stays in force).
 * Returns the new list; versions are half-open [effectiveFrom, effectiveTo).
 *
 * @example applyVersionPatch([{effectiveFrom:'2024-01-01',effectiveTo:null,attributes:a}], '2024-06-01', {householdSize:5})
 *   // -> [..to '2024-06-01'], [from '2024-06-01', householdSize 5]
 */
export function applyVersionPatch(versions: AttributeVersion[], from: string, patch: Partial<VersionedAttributes>): AttributeVersion[] {
  const list = versions.map((v) => ({ ...v, attributes: { ...v.attributes } })).sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
  if (list.length === 0) throw new ValidationError('effectiveFrom', 'account has no attribute history');
  if (from < list[0].effectiveFrom) throw new ValidationError('effectiveFrom', `must not be before the account opened (${list[0].effectiveFrom})`);
  const idx = list.findIndex((v) => v.effectiveFrom <= from && (v.effectiveTo === null || from < v.effectiveTo));
  const cur = list[idx];
  if (cur.effectiveFrom === from) {
    cur.attributes = { ...cur.attributes, ...patch };
    return list;
  }
  const next: AttributeVersion = { effectiveFrom: from, effectiveTo: cur.effectiveTo, attributes: { ...cur.attributes, ...patch } };
  cur.effectiveTo = from;
  list.splice(idx + 1, 0, next);
  return list;
}

/** The version in force on `day`. */
export function versionAt(versions: AttributeVersion[], day: string): AttributeVersion | undefined {
  return versions.find((v) => v.effectiveFrom <= day && (v.effectiveTo === null || day < v.effectiveTo));
}
