/** Calls of the prepaid API (src/api/payments/prepaid.routes.ts, docs/payments.md "Prepaid"). */
import { api, API_BASE, ApiError } from '../../api/client';

export interface ControlSettings {
  alertBalance: string;
  cutoffFloor: string;
  noticeDays: number;
  renoticeMinutes: number;
  minOverdueDays: number;
  executeFrom: string;
  executeTo: string;
  noCutoffOnNonWorkingDays: boolean;
  reconnectTargetHours: number;
}

export interface PrepaidRow {
  accountId: number;
  accountNo: string;
  accountName: string;
  status: 'active' | 'ended';
  startDay: string;
  alertState: 'normal' | 'reminded' | 'cutoff';
  lastDeductedDay: string | null;
  alertBalance: string;
  cutoffFloor: string;
  balance: string;
}

export interface Deduction {
  id: number;
  day: string;
  source: 'frozen' | 'interval';
  kwh: string;
  tou: Record<string, string> | null;
  ladderPrevCum: string;
  tariffCode: string;
  amount: string;
  lines: { lines: Array<{ code: string; name: { zh: string; en: string }; quantity: string; unitPrice: string; amount: string }>; warnings: string[] };
  balanceAfter: string;
}

export interface PrepaidAccount extends PrepaidRow {
  energySource: 'auto' | 'frozen' | 'interval';
  alertBalanceIsDefault: boolean;
  cutoffFloorIsDefault: boolean;
  deductions: Deduction[];
  reminders: Array<{ id: number; kind: string; channel: string; body: string; balance: string | null; status: string; createdAt: string }>;
  orders: Array<{ id: number; kind: string; reason: string; state: string; createdAt: string; dueBy: string | null; executedAt: string | null }>;
}

export interface DeductionRun {
  day: string;
  accounts: number;
  deducted: number;
  exists: number;
  noData: number;
  errors: number;
  amount: string;
  reminders: number;
  cutoffOrders: number;
  ms: number;
  outcomes: Array<{ accountNo: string; status: string; amount?: string; kwh?: string; balance?: string; message?: string }>;
}

/** PUT with the same error shape as the shared client (which has no put). */
async function put<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(API_BASE + path, { method: 'PUT', credentials: 'same-origin', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? res.statusText, e?.details);
  }
  return data as T;
}

export const prepaidApi = {
  list: (q: { low?: boolean; status?: string; page: number; pageSize: number }) =>
    api.get<{ items: PrepaidRow[]; total: number; page: number; pageSize: number; settings: ControlSettings }>('/prepaid/accounts', { ...q, low: q.low ? 'true' : undefined }),
  get: (accountNo: string) => api.get<PrepaidAccount>(`/prepaid/accounts/${encodeURIComponent(accountNo)}`),
  savePlan: (accountNo: string, body: { startDay?: string; alertBalance?: string; cutoffFloor?: string; energySource?: string }) =>
    put<PrepaidAccount>(`/prepaid/accounts/${encodeURIComponent(accountNo)}`, body),
  endPlan: (accountNo: string, reason: string) => api.post<PrepaidAccount>(`/prepaid/accounts/${encodeURIComponent(accountNo)}/end`, { reason }),
  run: (day: string) => api.post<DeductionRun>('/prepaid/deductions/run', { day }),
  settings: () => api.get<ControlSettings>('/prepaid/settings'),
  saveSettings: (patch: Partial<ControlSettings>) => put<ControlSettings>('/prepaid/settings', patch),
};
