/** Types and calls of the tariff API (docs/api.md, src/api/tariffs/tariffs.routes.ts). */
import { api } from '../../api/client';

export type Period = 'SHARP' | 'PEAK' | 'FLAT' | 'VALLEY' | 'DEEP';
export const PERIODS: Period[] = ['SHARP', 'PEAK', 'FLAT', 'VALLEY', 'DEEP'];
export type TariffStatus = 'draft' | 'active' | 'retired';

export interface TariffWarning {
  code: string;
  field: string;
  message: string;
}

export interface TariffSummary {
  id: number;
  code: string;
  version: string;
  name: { zh: string; en: string };
  province: string;
  customerClasses: string[];
  voltageLevels: string[];
  effectiveFrom: string;
  effectiveTo: string | null;
  status: TariffStatus;
  warnings: TariffWarning[];
  createdAt: string;
}

export interface Band {
  period: Period;
  from: string;
  to: string;
}

export interface TariffDocument {
  code: string;
  version: string;
  name: { zh: string; en: string };
  province: string;
  customerClasses: string[];
  voltageLevels: string[];
  effectiveFrom: string;
  effectiveTo: string | null;
  sourceDoc?: string;
  energyComponents: Array<{ code: string; name: { zh: string; en: string }; kind: string; price: string; publishedMonthly?: boolean }>;
  energyLineMode: 'ALL_IN' | 'ITEMISED';
  ladder?: { cycle: 'MONTHLY' | 'ANNUAL'; thresholds: number[]; increments: string[] };
  tou?: {
    seasons: Array<{ name?: string; months: number[]; bands: Band[] }>;
    holidayOverrides: Array<{ holidayCode: string; days: string; bands: Band[] }>;
    ratios?: Partial<Record<Period, string>>;
    floatBase?: string[];
    periodPrices?: Partial<Record<Period, string>>;
  };
  basicCharge?: { defaultMethod: string; capacityPrice?: string; demandPrice?: string };
  powerFactor?: { standard: string; qMode: string; ptfBaseComponents?: string[] };
  fixedCharges: Array<{ code: string; name: { zh: string; en: string }; amount: string }>;
  minimumCharge?: { amount: string };
  ruleSet: Record<string, unknown>;
}

export interface Derived {
  periodPrices: Partial<Record<Period, string>>;
  seasons: Array<{ name: string | null; months: number[]; slots: Array<Period | null> }>;
  holidayOverrides: Array<{ holidayCode: string; days: string; bands: Band[] }>;
  usedPeriods: Period[];
}

export interface TariffView {
  tariff: TariffSummary;
  document: TariffDocument;
  derived: Derived;
  versions: Array<{ id: number; version: string; effectiveFrom: string; effectiveTo: string | null; status: TariffStatus }>;
}

export interface TariffChange {
  section: string;
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

export interface CompareResult {
  a: TariffSummary & { document: TariffDocument; derived: Derived };
  b: TariffSummary & { document: TariffDocument; derived: Derived };
  diff: { changes: TariffChange[]; sections: string[]; periodPrices: { a: Partial<Record<Period, string>>; b: Partial<Record<Period, string>> } };
}

export interface BillLine {
  code: string;
  name: { zh: string; en: string };
  quantity: string;
  unit: string;
  unitPrice: string;
  amount: string;
  rule: string;
  segment?: number;
}

export interface QuoteResult {
  lines: BillLine[];
  total: string;
  warnings: string[];
  details: {
    segments: Array<{ tariffCode: string; version?: string; from: string; to: string; days: number; kwh: string }>;
    tiers?: string[];
    powerFactor?: string;
    pfAdjustmentPercent?: string;
    ptfBase?: string;
    governmentFunds?: string;
    touKwh?: Partial<Record<Period, string>>;
  };
  tariffs: Array<{ id: number | null; code: string; version: string; name: { zh: string; en: string }; effectiveFrom: string; effectiveTo: string | null }>;
  account?: { id: number; accountNo: string; name: string; customerClass: string; voltageLevel: string; tariffCode: string | null };
  fromAccount: Record<string, unknown>;
}

export const tariffApi = {
  list: (q: Record<string, string | undefined>) => api.get<{ items: TariffSummary[]; total: number }>('/tariffs', q),
  get: (id: number | string) => api.get<TariffView>(`/tariffs/${id}`),
  compare: (a: number | string, b: number | string) => api.get<CompareResult>('/tariffs/compare', { a, b }),
  newVersion: (id: number, body: unknown) => api.post<{ tariff: TariffSummary; warnings: TariffWarning[]; closed: TariffSummary | null }>(`/tariffs/${id}/new-version`, body),
  import: (body: unknown) => api.post<{ created: TariffSummary[]; unchanged: Array<{ id: number; code: string; version: string }>; warnings: Array<{ index: number; code: string; version: string; warnings: TariffWarning[] }> }>('/tariffs/import', body),
  export: (code?: string) => api.get<TariffDocument[]>('/tariffs/export', { code }),
  quote: (body: unknown) => api.post<QuoteResult>('/quotes', body),
};

/** Save JSON as a file download. */
export function downloadJson(name: string, data: unknown): void {
  const blob = new Blob([JSON.stringify(data, null, 2) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The user may use a permission (server-sent codes; '*' = all). */
export function hasPerm(perms: string[] | undefined, p: string): boolean {
  return !!perms && (perms.includes('*') || perms.includes(p));
}
