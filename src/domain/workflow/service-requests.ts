/**
 * Service requests (业扩报装与变更用电) as workflow data: the 3 new-connection types and the
 * change types of domain-cn §6.1 (1996 供电营业规则 art. 22 list, retained) plus 增容, their
 * stages, roles, mandatory documents, completion effects, the default SLA profile (§6.2) and
 * the business rules checked on input (暂停 15 days / 6 months, capacity not below zero).
 */
import { ValidationError } from '../errors.js';
import { addDays, daysBetween } from '../calendar/calendar.js';
import { defineLinear, type Localized, type StageDef, type WorkflowDef } from './engine.js';
import type { SlaLimit } from './sla.js';

export const HANDLE = 'request.handle';
const CLERK = 'counter_clerk';
const ENG = 'service_engineer';

/** Document kinds (资料). */
export const DOCUMENT_KINDS: Record<string, Localized> = {
  id_proof: { zh: '身份证明', en: 'Proof of identity' },
  property_proof: { zh: '产权证明', en: 'Proof of property' },
  business_license: { zh: '营业执照', en: 'Business licence' },
  load_list: { zh: '用电设备清单', en: 'Load list' },
  design_drawings: { zh: '设计图纸', en: 'Design drawings' },
  completion_report: { zh: '竣工报告', en: 'Completion report' },
  contract_signed: { zh: '供用电合同', en: 'Signed supply contract' },
  transfer_agreement: { zh: '过户协议', en: 'Transfer agreement' },
  site_photo: { zh: '现场照片', en: 'Site photo' },
  other: { zh: '其他', en: 'Other' },
};

const S = {
  accept: (docs: string[] = ['id_proof']): StageDef => ({ code: 'accept', name: { zh: '受理申请', en: 'Accept application' }, roles: [CLERK, ENG], permission: HANDLE, documents: docs }),
  survey: (name?: Localized): StageDef => ({ code: 'survey', name: name ?? { zh: '现场勘查', en: 'Site survey' }, roles: [ENG], permission: HANDLE }),
  scheme: (): StageDef => ({ code: 'scheme', name: { zh: '供电方案答复', en: 'Supply scheme reply' }, roles: [ENG], permission: HANDLE, slaVariant: { field: 'dualSupply', equals: true, key: 'scheme_dual' } }),
  designReview: (): StageDef => ({ code: 'design_review', name: { zh: '设计审查', en: 'Design review' }, roles: [ENG], permission: HANDLE, documents: ['design_drawings'], when: { field: 'important', equals: true } }),
  midCheck: (): StageDef => ({ code: 'mid_check', name: { zh: '中间检查', en: 'Intermediate inspection' }, roles: [ENG], permission: HANDLE, when: { field: 'important', equals: true } }),
  completionCheck: (): StageDef => ({ code: 'completion_check', name: { zh: '竣工检验', en: 'Completion inspection' }, roles: [ENG], permission: HANDLE, documents: ['completion_report'] }),
  contract: (): StageDef => ({ code: 'contract', name: { zh: '签订合同', en: 'Sign contract' }, roles: [CLERK, ENG], permission: HANDLE, documents: ['contract_signed'] }),
  connect: (effect: string, fields: string[]): StageDef => ({ code: 'connect', name: { zh: '装表接电', en: 'Meter install and connect' }, roles: [ENG], permission: HANDLE, effect, fields }),
  seal: (effect: string, fields: string[]): StageDef => ({ code: 'seal', name: { zh: '现场加封', en: 'Seal on site' }, roles: [ENG], permission: HANDLE, effect, fields }),
  execute: (effect: string, fields: string[], roles = [ENG]): StageDef => ({ code: 'execute', name: { zh: '变更实施', en: 'Carry out the change' }, roles, permission: HANDLE, effect, fields }),
  archive: (): StageDef => ({ code: 'archive', name: { zh: '资料归档', en: 'Archive' }, roles: [CLERK, ENG], permission: HANDLE }),
};

export interface RequestTypeDef {
  code: string;
  name: Localized;
  kind: 'new' | 'change';
  /** needs an existing account */
  needsAccount: boolean;
  workflow: WorkflowDef;
}

function t(code: string, name: Localized, kind: 'new' | 'change', stages: StageDef[]): RequestTypeDef {
  return { code, name, kind, needsAccount: kind === 'change', workflow: defineLinear(code, name, stages) };
}

const NEW_FIELDS = ['effectiveOn', 'tariffCode', 'meterAssetNo', 'commAddress', 'initialReading'];

export const REQUEST_TYPES: RequestTypeDef[] = [
  t('new_lv_resident', { zh: '低压居民新装', en: 'New connection, LV residential' }, 'new', [
    S.accept(['id_proof']), // 一证受理: one proof of identity is enough
    S.survey({ zh: '现场勘查/方案答复', en: 'Site survey / scheme' }),
    S.contract(),
    S.connect('create_account', NEW_FIELDS),
    S.archive(),
  ]),
  t('new_lv_nonresident', { zh: '低压非居民新装', en: 'New connection, LV non-residential' }, 'new', [
    S.accept(['id_proof', 'property_proof']),
    S.survey({ zh: '现场勘查/方案答复', en: 'Site survey / scheme' }),
    S.contract(),
    S.connect('create_account', NEW_FIELDS),
    S.archive(),
  ]),
  t('new_hv', { zh: '高压新装', en: 'New connection, HV' }, 'new', [
    S.accept(['id_proof', 'property_proof']),
    S.survey(),
    S.scheme(),
    S.designReview(),
    S.midCheck(),
    S.completionCheck(),
    S.contract(),
    S.connect('create_account', NEW_FIELDS),
    S.archive(),
  ]),
  t('increase_capacity', { zh: '增容', en: 'Capacity increase' }, 'change', [
    S.accept(), S.survey(), S.scheme(), S.completionCheck(), S.connect('capacity_change', ['effectiveOn']), S.archive(),
  ]),
  t('reduce_capacity', { zh: '减容', en: 'Capacity reduction' }, 'change', [
    S.accept(), S.survey(), S.seal('capacity_change', ['effectiveOn']), S.archive(),
  ]),
  t('suspend', { zh: '暂停', en: 'Suspension' }, 'change', [
    S.accept(), S.survey(), S.seal('suspend', ['effectiveOn']), S.archive(),
  ]),
  t('temp_swap', { zh: '暂换', en: 'Temporary transformer swap' }, 'change', [
    S.accept(), S.survey(), S.execute('capacity_change', ['effectiveOn']), S.archive(),
  ]),
  t('relocate', { zh: '迁址', en: 'Relocation' }, 'change', [
    S.accept(), S.survey(), S.scheme(), S.connect('relocate', ['effectiveOn']), S.archive(),
  ]),
  t('move_meter', { zh: '移表', en: 'Meter relocation' }, 'change', [
    S.accept(), S.survey(), S.execute('move_meter', ['effectiveOn']), S.archive(),
  ]),
  t('temp_removal', { zh: '暂拆', en: 'Temporary removal' }, 'change', [
    S.accept(), S.survey(), S.execute('temp_removal', ['effectiveOn']), S.archive(),
  ]),
  t('transfer', { zh: '更名/过户', en: 'Rename / change of owner' }, 'change', [
    S.accept(['id_proof', 'transfer_agreement']), S.contract(), S.execute('transfer', ['effectiveOn'], [CLERK, ENG]), S.archive(),
  ]),
  t('split', { zh: '分户', en: 'Split account' }, 'change', [
    S.accept(), S.survey(), S.execute('split', ['effectiveOn', 'newAccountNo', 'meterAssetNo', 'commAddress', 'initialReading']), S.archive(),
  ]),
  t('merge', { zh: '并户', en: 'Merge accounts' }, 'change', [
    S.accept(), S.survey(), S.execute('merge', ['effectiveOn']), S.archive(),
  ]),
  t('close', { zh: '销户', en: 'Close account' }, 'change', [
    S.accept(), S.survey(), S.execute('close_account', ['effectiveOn', 'finalReading']), S.archive(),
  ]),
  t('change_voltage', { zh: '改压', en: 'Voltage change' }, 'change', [
    S.accept(), S.survey(), S.scheme(), S.completionCheck(), S.connect('change_voltage', ['effectiveOn']), S.archive(),
  ]),
  t('change_class', { zh: '改类', en: 'Class / tariff change' }, 'change', [
    S.accept(), S.survey(), S.execute('change_class', ['effectiveOn']), S.archive(),
  ]),
];

// 过户 is blocked while the account has arrears (unless the profile rule allows it): a named
// guard on leaving 受理 and 变更实施; the application layer supplies the check (pluggable).
for (const r of REQUEST_TYPES.filter((x) => x.code === 'transfer')) {
  r.workflow.transitions = r.workflow.transitions.map((x) => (x.action === 'pass' && (x.from === 'accept' || x.from === 'execute') ? { ...x, guard: 'no_arrears' } : x));
}

export const REQUEST_TYPE_CODES = REQUEST_TYPES.map((r) => r.code);

export function requestType(code: string): RequestTypeDef {
  const r = REQUEST_TYPES.find((x) => x.code === code);
  if (!r) throw new ValidationError('type', `unknown request type; one of ${REQUEST_TYPE_CODES.join(', ')}`);
  return r;
}

/** SLA profile: limits per request type and stage (or slaVariant key); '*' = any type. */
export interface SlaProfile {
  code: string;
  name: string;
  /** warn this many days before the limit (0 = on the due day only) */
  warnDays: number;
  limits: Record<string, Record<string, SlaLimit>>;
  rules: {
    suspendMinDays: number;
    suspendMaxDaysPerYear: number;
    allowTransferWithArrears: boolean;
    maxDocumentBytes: number;
  };
}

const wd = (days: number): SlaLimit => ({ days, unit: 'working' });

/**
 * Default SLA profile (working days). Sources, domain-cn §6.2: 供电服务"十项承诺" 2011 (S19) for
 * low voltage (方案答复 居民 3 / 低压电力 7; 装表接电 居民 3 / 非居民 5); State Grid internal KPI
 * (S20) for high voltage (方案答复 单电源 15 / 双电源 30 — split here as 现场勘查 5 + 方案答复
 * 10 / 25 because the clock restarts per stage; 设计审查 10; 中间检查 5; 竣工检验 5; 装表接电 5).
 * 受理 1 day and the change-type stages (勘查 5, 实施/加封 5) are project defaults [L]:
 * the company sets its own in the profile. 签订合同 and 归档 carry no limit.
 */
export const DEFAULT_SLA_PROFILE: SlaProfile = {
  code: 'default',
  name: '默认时限（十项承诺2011 / 国网业扩时限考核）',
  warnDays: 1,
  limits: {
    '*': { accept: wd(1), survey: wd(5), scheme: wd(10), scheme_dual: wd(25), design_review: wd(10), mid_check: wd(5), completion_check: wd(5), connect: wd(5), seal: wd(5), execute: wd(5) },
    new_lv_resident: { accept: wd(1), survey: wd(3), connect: wd(3) },
    new_lv_nonresident: { accept: wd(1), survey: wd(7), connect: wd(5) },
    new_hv: { accept: wd(1), survey: wd(5), scheme: wd(10), scheme_dual: wd(25), design_review: wd(10), mid_check: wd(5), completion_check: wd(5), connect: wd(5) },
  },
  rules: {
    suspendMinDays: 15, // domain-cn §3.4: 暂停 each ≥ 15 days
    suspendMaxDaysPerYear: 183, // ≤ 6 months cumulative per calendar year (6 months counted as 183 days)
    allowTransferWithArrears: false,
    maxDocumentBytes: 5 * 1024 * 1024,
  },
};

/** Validate an SLA profile (admin edit); errors name the field. */
export function checkSlaProfile(p: unknown): SlaProfile {
  const o = p as SlaProfile;
  if (!o || typeof o !== 'object') throw new ValidationError('profile', 'must be an object');
  if (typeof o.code !== 'string' || !/^[a-z0-9_-]{1,40}$/.test(o.code)) throw new ValidationError('code', '1-40 of a-z 0-9 _ -');
  if (typeof o.name !== 'string' || !o.name.trim()) throw new ValidationError('name', 'required');
  if (!Number.isInteger(o.warnDays) || o.warnDays < 0 || o.warnDays > 30) throw new ValidationError('warnDays', 'must be an integer 0-30');
  if (!o.limits || typeof o.limits !== 'object') throw new ValidationError('limits', 'required');
  for (const [type, stages] of Object.entries(o.limits)) {
    if (type !== '*') requestType(type);
    for (const [stage, l] of Object.entries(stages ?? {})) {
      if (!l || !Number.isInteger(l.days) || l.days < 0 || l.days > 365) throw new ValidationError(`limits.${type}.${stage}.days`, 'must be an integer 0-365');
      if (l.unit !== undefined && l.unit !== 'working' && l.unit !== 'calendar') throw new ValidationError(`limits.${type}.${stage}.unit`, "must be 'working' or 'calendar'");
    }
  }
  const r = o.rules ?? ({} as SlaProfile['rules']);
  const rules = { ...DEFAULT_SLA_PROFILE.rules, ...r };
  if (!Number.isInteger(rules.suspendMinDays) || rules.suspendMinDays < 1) throw new ValidationError('rules.suspendMinDays', 'must be a positive integer');
  if (!Number.isInteger(rules.suspendMaxDaysPerYear) || rules.suspendMaxDaysPerYear < rules.suspendMinDays) throw new ValidationError('rules.suspendMaxDaysPerYear', 'must be an integer ≥ suspendMinDays');
  if (typeof rules.allowTransferWithArrears !== 'boolean') throw new ValidationError('rules.allowTransferWithArrears', 'must be true or false');
  if (!Number.isInteger(rules.maxDocumentBytes) || rules.maxDocumentBytes < 1024) throw new ValidationError('rules.maxDocumentBytes', 'must be an integer ≥ 1024');
  return { code: o.code, name: o.name.trim(), warnDays: o.warnDays, limits: o.limits, rules };
}

/** The SLA limit of a stage for a request (type-specific, else '*'); null = not measured. */
export function stageLimit(profile: SlaProfile, type: string, stage: StageDef, data: Record<string, unknown>): SlaLimit | null {
  const key = stage.slaVariant && data[stage.slaVariant.field] === stage.slaVariant.equals ? stage.slaVariant.key : stage.code;
  const l = profile.limits[type]?.[key] ?? profile.limits['*']?.[key];
  return l && l.days > 0 ? { days: l.days, unit: l.unit ?? 'working' } : null;
}

// --- business rules ------------------------------------------------------------------------

const DEC_RE = /^\d{1,9}(\.\d{1,2})?$/;

/** Parse a non-negative kVA amount with up to 2 decimals into hundredths (exact). */
export function kvaHundredths(field: string, v: unknown): bigint {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string' || !DEC_RE.test(s)) throw new ValidationError(field, 'must be a non-negative number of kVA with at most 2 decimals');
  const [i, f = ''] = s.split('.');
  return BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
}

export function kvaString(h: bigint): string {
  const neg = h < 0n;
  const a = neg ? -h : h;
  const s = `${a / 100n}.${String(a % 100n).padStart(2, '0')}`.replace(/\.00$/, '').replace(/(\.\d)0$/, '$1');
  return neg ? '-' + s : s;
}

/**
 * Capacity after a decrease (减容/暂停): current - decrease; a result below zero is refused
 * (field `data.<field>`), as is a decrease of zero.
 * Example: capacityAfterDecrease('500', '200') === '300'; ('100', '150') throws.
 */
export function capacityAfterDecrease(current: string, decrease: unknown, field = 'data.decreaseKva'): string {
  const c = kvaHundredths('contractCapacityKva', current);
  const d = kvaHundredths(field, decrease);
  if (d === 0n) throw new ValidationError(field, 'must be greater than 0');
  if (d > c) throw new ValidationError(field, `would take the capacity below zero (current ${kvaString(c)} kVA, decrease ${kvaString(d)} kVA)`);
  return kvaString(c - d);
}

export interface SuspensionPeriod {
  from: string;
  to: string;
}

/** Inclusive calendar days of a period. */
export function periodDays(p: SuspensionPeriod): number {
  return daysBetween(p.from, p.to) + 1;
}

/**
 * 暂停 rules (domain-cn §3.4, 1583号): each suspension ≥ minDays calendar days; the days
 * suspended in one calendar year (this one plus earlier ones) ≤ maxDaysPerYear. A period
 * across New Year counts its days in each year. Errors name `data.until` / `data.effectiveOn`.
 * Example: checkSuspension({from:'2024-03-01',to:'2024-03-10'}, [], 15, 183) throws (10 days).
 */
export function checkSuspension(p: SuspensionPeriod, earlier: SuspensionPeriod[], minDays: number, maxDaysPerYear: number): void {
  if (p.to < p.from) throw new ValidationError('data.until', 'must not be before the suspension start (effectiveOn)');
  const n = periodDays(p);
  if (n < minDays) throw new ValidationError('data.until', `a suspension lasts at least ${minDays} days (this one: ${n})`);
  const years = new Set([p.from.slice(0, 4), p.to.slice(0, 4)]);
  for (const y of years) {
    const inYear = (x: SuspensionPeriod) => {
      const a = x.from > `${y}-01-01` ? x.from : `${y}-01-01`;
      const b = x.to < `${y}-12-31` ? x.to : `${y}-12-31`;
      return b >= a ? daysBetween(a, b) + 1 : 0;
    };
    const total = [...earlier, p].reduce((s, x) => s + inYear(x), 0);
    if (total > maxDaysPerYear) {
      throw new ValidationError('data.until', `suspensions in ${y} would total ${total} days, more than ${maxDaysPerYear} (6 months)`, { year: y, totalDays: total });
    }
  }
}

/** The day after a suspension ends (capacity restored from then). */
export function resumeDay(p: SuspensionPeriod): string {
  return addDays(p.to, 1);
}
