/**
 * Quote (电费试算): "how much will I pay?" for an account (户号), a tariff code, or an inline
 * tariff document, and a usage (total / per TOU period / demand / reactive / dates).
 * Picks the active version(s) of the tariff in force in the usage period (a tariff change inside
 * the period is split by days in the engine, §1.6) and takes the account's determinants
 * (household size, capacity, contract demand, basic-charge method, PF standard) unless the usage
 * gives them. Read-only: nothing is stored.
 */
import type { Db } from '../../db/database.js';
import { AppError, ValidationError } from '../../domain/errors.js';
import { rateBill } from '../../domain/rating/rate-bill.js';
import type { RateResult, Usage } from '../../domain/rating/types.js';
import { parseTariffVersion } from '../../domain/tariffs/validate.js';
import type { TariffVersion } from '../../domain/tariffs/schema.js';
import { can, requirePermission, requireScope, type Actor } from '../context.js';

export interface QuoteInput {
  accountId?: number;
  accountNo?: string;
  tariffCode?: string;
  /** a tariff version id from the catalogue */
  tariffId?: number;
  /** inline tariff version JSON (validated, not stored) */
  tariff?: unknown;
  usage: Usage;
}

export interface QuoteResult extends RateResult {
  tariffs: Array<{ id: number | null; code: string; version: string; name: { zh: string; en: string }; effectiveFrom: string; effectiveTo: string | null }>;
  account?: { id: number; accountNo: string; name: string; customerClass: string; voltageLevel: string; tariffCode: string | null };
  /** usage values taken from the account (not given in the request) */
  fromAccount: Partial<Usage>;
}

const METHOD: Record<string, Usage['basicChargeMethod']> = {
  capacity: 'CAPACITY',
  contract_demand: 'CONTRACT_DEMAND',
  actual_demand: 'ACTUAL_DEMAND',
};

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function trimDec(s: string | null): string | undefined {
  if (s === null || s === undefined) return undefined;
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function withField(e: unknown, prefix: string): unknown {
  if (!(e instanceof ValidationError) || !e.details?.field) return e;
  const field = String(e.details.field);
  const msg = e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message;
  return new ValidationError(`${prefix}${field}`, msg);
}

export async function quote(db: Db, actor: Actor, input: QuoteInput): Promise<QuoteResult> {
  requirePermission(actor, 'quote.create');
  const u = input.usage;
  if (!u || typeof u !== 'object') throw new ValidationError('usage', 'required');
  if (!DATE_RE.test(String(u.periodStart ?? ''))) throw new ValidationError('usage.periodStart', 'must be YYYY-MM-DD');
  if (!DATE_RE.test(String(u.periodEnd ?? ''))) throw new ValidationError('usage.periodEnd', 'must be YYYY-MM-DD');
  const sources = ['accountId', 'accountNo', 'tariffCode', 'tariffId', 'tariff'].filter((k) => (input as unknown as Record<string, unknown>)[k] !== undefined && (input as unknown as Record<string, unknown>)[k] !== null && (input as unknown as Record<string, unknown>)[k] !== '');
  if (sources.length === 0) throw new ValidationError('tariffCode', 'give an account (accountId or accountNo), a tariffCode or an inline tariff');
  if (sources.length > 1) throw new ValidationError(sources[1], `give only one of ${sources.join(', ')}`);

  const k = db.kysely;
  let account: QuoteResult['account'];
  const fromAccount: Partial<Usage> = {};
  let code: string | undefined = input.tariffCode;
  let versions: TariffVersion[] = [];
  let rows: Array<{ id: number | null; code: string; version: string; name: { zh: string; en: string }; effectiveFrom: string; effectiveTo: string | null }> = [];

  if (input.accountId !== undefined || input.accountNo !== undefined) {
    const field = input.accountId !== undefined ? 'accountId' : 'accountNo';
    let qb = k.selectFrom('accounts').innerJoin('org_units', 'org_units.id', 'accounts.org_unit_id').selectAll('accounts').select('org_units.path as org_path');
    qb = input.accountId !== undefined ? qb.where('accounts.id', '=', input.accountId) : qb.where('accounts.account_no', '=', String(input.accountNo));
    const a = await qb.executeTakeFirst();
    if (!a) throw new AppError('NOT_FOUND', `${field}: account ${input.accountId ?? input.accountNo} not found`, { field });
    if (actor.roles.includes('customer') && !can(actor, 'account.read')) {
      if (!actor.accountIds?.includes(a.id)) throw new AppError('OUT_OF_SCOPE', 'this account is not yours', { field });
    } else {
      requirePermission(actor, 'account.read');
      requireScope(actor, a.org_path, 'account');
    }
    account = { id: a.id, accountNo: a.account_no, name: a.name, customerClass: a.customer_class, voltageLevel: a.voltage_level, tariffCode: a.tariff_code };
    if (!a.tariff_code) throw new ValidationError(field, `account ${a.account_no} has no tariff code`);
    code = a.tariff_code;
    const acc: Partial<Usage> = {
      householdSize: a.household_size,
      capacityKva: trimDec(a.contract_capacity_kva),
      contractDemandKw: trimDec(a.contract_demand_kw),
      basicChargeMethod: METHOD[a.basic_charge_method],
      pfStandard: (a.pf_standard ? Number(a.pf_standard).toFixed(2) : undefined) as Usage['pfStandard'],
    };
    for (const [key, v] of Object.entries(acc)) if (v !== undefined && (u as unknown as Record<string, unknown>)[key] === undefined) (fromAccount as Record<string, unknown>)[key] = v;
  }

  if (input.tariff !== undefined) {
    let v: TariffVersion;
    try {
      v = parseTariffVersion(input.tariff);
    } catch (e) {
      throw withField(e, 'tariff.');
    }
    versions = [v];
    rows = [{ id: null, code: v.code, version: String(v.version ?? ''), name: v.name, effectiveFrom: v.effectiveFrom, effectiveTo: v.effectiveTo ?? null }];
  } else {
    let qb = k.selectFrom('tariff_versions').selectAll().where('status', '=', 'active');
    if (input.tariffId !== undefined) {
      const one = await k.selectFrom('tariff_versions').select(['code']).where('id', '=', input.tariffId).executeTakeFirst();
      if (!one) throw new AppError('NOT_FOUND', `tariffId: tariff version ${input.tariffId} not found`, { field: 'tariffId' });
      code = one.code;
    }
    qb = qb
      .where('code', '=', code!)
      .where('effective_from', '<=', u.periodEnd)
      .where((eb) => eb.or([eb('effective_to', 'is', null), eb('effective_to', '>', u.periodStart)]));
    const found = await qb.orderBy('effective_from').execute();
    if (found.length === 0) {
      const any = await k.selectFrom('tariff_versions').select('id').where('code', '=', code!).executeTakeFirst();
      const field = account ? (input.accountId !== undefined ? 'accountId' : 'accountNo') : input.tariffId !== undefined ? 'tariffId' : 'tariffCode';
      if (!any) throw new AppError('NOT_FOUND', `${field}: tariff ${code} is not in the catalogue`, { field });
      throw new ValidationError('usage.periodStart', `no active version of tariff ${code} is in force between ${u.periodStart} and ${u.periodEnd}`);
    }
    versions = found.map((r) => r.document as TariffVersion);
    rows = found.map((r) => ({ id: r.id, code: r.code, version: r.version, name: { zh: r.name_zh, en: r.name_en }, effectiveFrom: r.effective_from, effectiveTo: r.effective_to }));
  }

  // account determinants apply only where the tariff uses them
  const usesBasic = versions.some((v) => v.basicCharge);
  const usesPf = versions.some((v) => v.powerFactor);
  if (!usesBasic) for (const key of ['capacityKva', 'contractDemandKw', 'basicChargeMethod'] as const) delete fromAccount[key];
  if (!usesPf) delete fromAccount.pfStandard;
  if (!versions.some((v) => v.ladder)) delete fromAccount.householdSize;
  const usage: Usage = { ...fromAccount, ...u };
  const result = rateBill({ tariff: versions.length === 1 ? versions[0] : versions, usage });
  return { ...result, tariffs: rows, ...(account ? { account } : {}), fromAccount };
}
