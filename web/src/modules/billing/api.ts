/** Calls of the billing runs (src/api/billing/billing.routes.ts, docs/billing.md). */
import { api, API_BASE } from '../../api/client';

export interface BillingRun {
  id: number;
  period: string;
  scope: { orgUnitIds?: number[]; routeIds?: number[]; accountIds?: number[] } | null;
  trial: boolean;
  status: 'created' | 'running' | 'review' | 'completed' | 'cancelled' | 'failed';
  totalAccounts: number;
  partitions: number;
  bills: number;
  exceptions: number;
  flagged: number;
  skipped: number;
  energyKwh: string | number | null;
  amountTotal: string | null;
  createdAt: string;
  finishedAt: string | null;
  issuedAt: string | null;
  error: string | null;
}

export interface RunProgress {
  accountsDone: number;
  accountsTotal: number;
  partitionsDone: number;
  partitionsClaimed: number;
  partitionsTotal: number;
  bills: number;
  exceptions: number;
  flagged: number;
  skipped: number;
  amountTotal: string | null;
  elapsedSeconds: number | null;
  accountsPerSecond: number | null;
  etaSeconds: number | null;
}

export interface RunDetail {
  run: BillingRun;
  progress: RunProgress;
  statusCounts: Record<string, number>;
  flagCounts: Record<string, number>;
}

export interface ReviewFlag {
  code: string;
  zh: string;
  en: string;
  exception: boolean;
}

export interface Bill {
  id: number;
  runId: number;
  accountId: number;
  accountNo: string;
  accountName?: string;
  period: string;
  trial: boolean;
  status: string;
  customerClass: string;
  tariffCodes: string[];
  periodStart: string | null;
  periodEnd: string | null;
  days: number | null;
  energyKwh: string | number | null;
  amountTotal: string | null;
  reviewFlags: ReviewFlag[];
  exceptionCode: string | null;
  dueDate: string | null;
  issuedAt: string | null;
  actionReason: string | null;
}

export interface BillLine {
  lineNo: number;
  code: string;
  name: { zh: string; en: string };
  quantity: string | null;
  unit: string | null;
  unitPrice: string | null;
  amount: string;
  segment: number | null;
}

export interface BillReading {
  id: number;
  register: string;
  readAt: string;
  value: string | null;
  consumption: string | null;
  status: string;
  meterAssetNo: string;
  multiplier: string;
}

export interface BillDetail extends Bill {
  address?: string;
  determinants: Record<string, unknown> | null;
  lines: BillLine[];
  readings: BillReading[];
}

export interface RouteOption {
  id: number;
  code: string;
  name: string;
  accountCount: number;
}

export const billingApi = {
  runs: (q: { period?: string; status?: string } = {}) => api.get<{ items: BillingRun[] }>('/billing/runs', { ...q, pageSize: 100 }),
  run: (id: number) => api.get<RunDetail>(`/billing/runs/${id}`),
  create: (body: { period: string; trial: boolean; routeIds?: number[]; orgUnitIds?: number[] }) => api.post<{ run: BillingRun; joined: boolean }>('/billing/runs', body),
  bills: (id: number, q: { status?: string; flag?: string; exceptions?: boolean; page?: number; pageSize?: number }) =>
    api.get<{ items: Bill[] }>(`/billing/runs/${id}/bills`, { ...q, exceptions: q.exceptions ? 'true' : undefined }),
  approveClean: (id: number) => api.post<{ runId: number; approved: number }>(`/billing/runs/${id}/approve-clean`),
  issue: (id: number) => api.post<{ issued: number; runStatus: string; remainingInReview: number }>(`/billing/runs/${id}/issue`, {}),
  cancel: (id: number) => api.post<{ status: string; billsCancelled: number }>(`/billing/runs/${id}/cancel`, {}),
  bill: (id: number) => api.get<BillDetail>(`/bills/${id}`),
  approve: (id: number) => api.post<Bill>(`/bills/${id}/approve`, {}),
  hold: (id: number, reason: string) => api.post<Bill>(`/bills/${id}/hold`, { reason }),
  sendBack: (id: number, reason: string) => api.post<Bill>(`/bills/${id}/send-back`, { reason }),
  accountBills: (accountId: number) => api.get<{ items: Bill[] }>(`/accounts/${accountId}/bills`, { pageSize: 50 }),
  routes: (period?: string) => api.get<{ items: RouteOption[] }>('/metering/routes', { period }),
  /** bill document (电费通知单), a plain link: the browser downloads it with the session cookie */
  billPdfUrl: (id: number) => `${API_BASE}/bills/${id}/pdf`,
  /** printable batch (批量打印) of a run, optionally one reading route (code or id) */
  runPrintUrl: (id: number, route?: string) => `${API_BASE}/billing/runs/${id}/print${route ? `?route=${encodeURIComponent(route)}` : ''}`,
};

/** Previous month of the current billing period (Asia/Shanghai). */
export function defaultPeriod(): string {
  const now = new Date(Date.now() + 8 * 3_600_000);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth(); // 0-based: previous month number is m
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
}

export const money = (v: string | null | undefined) => (v == null ? '—' : `¥${Number(v).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
