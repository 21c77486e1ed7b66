/** Calls of the rebilling API (退补, src/api/billing/adjustments.routes.ts, docs/billing.md "Rebilling"). */
import { api } from '../../api/client';

export type AdjustmentStatus = 'draft' | 'submitted' | 'approved' | 'rejected' | 'posted';
export type ReasonCategory = 'reading_error' | 'multiplier_error' | 'tariff_error' | 'other';

export interface AdjustmentBody {
  accountId: number;
  periods: string[];
  reasonCategory: ReasonCategory;
  reason: string;
  corrections: {
    readings?: Array<{ readingId: number; value: string }>;
    multiplier?: { correct: string; billed?: string; meterId?: number };
    tariff?: { code: string; from?: string };
  };
}

export interface AdjLine {
  lineNo: number;
  billId: number;
  period: string;
  code: string;
  name: { zh: string; en: string };
  segment: number | null;
  unit: string;
  original: { quantity: string | null; unitPrice: string | null; amount: string };
  corrected: { quantity: string | null; unitPrice: string | null; amount: string };
  difference: string;
  direction: 'debit' | 'credit' | 'none';
}

export interface AdjWarning {
  code: string;
  zh: string;
  en: string;
  period?: string;
}

export interface AdjPeriod {
  period: string;
  billId: number;
  periodStart: string;
  periodEnd: string;
  days: number;
  original: { kwh: number; amount: string; tariffCodes: string[] };
  corrected: { kwh: number; amount: string; tariffCodes: string[]; tariffRefs: Array<{ tariffCode: string; version?: string; from: string; to: string; days: number; kwh: string }> };
  difference: string;
}

export interface Preview {
  account: { id: number; accountNo: string; name: string };
  periods: AdjPeriod[];
  lines: AdjLine[];
  warnings: AdjWarning[];
  originalTotal: string;
  correctedTotal: string;
  amountTotal: string;
  direction: 'debit' | 'credit' | 'none';
  approvalThreshold: string;
  requiresSecondApproval: boolean;
}

export interface Adjustment {
  id: number;
  accountId: number;
  accountNo: string;
  status: AdjustmentStatus;
  reasonCategory: ReasonCategory;
  reason: string;
  periods: string[];
  billIds: number[];
  originalTotal: string;
  correctedTotal: string;
  amountTotal: string;
  direction: 'debit' | 'credit';
  approvalThreshold: string;
  requiresSecondApproval: boolean;
  createdBy: number | null;
  createdByName?: string;
  createdAt: string;
  submittedBy: number | null;
  approvedBy: number | null;
  approvedByName?: string;
  approvedAt: string | null;
  approvalNote: string | null;
  rejectReason: string | null;
  postedAt: string | null;
  ledgerEntryId: number | null;
  receivableId: number | null;
}

export interface AdjustmentDetail extends Adjustment {
  lines: AdjLine[];
  detail: AdjPeriod[];
  warnings: AdjWarning[];
  alreadyPosted?: boolean;
}

export const adjustmentsApi = {
  preview: (body: AdjustmentBody) => api.post<Preview>('/billing/adjustments/preview', body),
  create: (body: AdjustmentBody) => api.post<AdjustmentDetail>('/billing/adjustments', body),
  list: (q: { status?: string; accountNo?: string; billId?: number; page?: number; pageSize?: number } = {}) =>
    api.get<{ items: Adjustment[]; hasMore: boolean }>('/billing/adjustments', { pageSize: 50, ...q }),
  get: (id: number) => api.get<AdjustmentDetail>(`/billing/adjustments/${id}`),
  submit: (id: number) => api.post<AdjustmentDetail>(`/billing/adjustments/${id}/submit`, {}),
  approve: (id: number, note?: string) => api.post<AdjustmentDetail>(`/billing/adjustments/${id}/approve`, note ? { note } : {}),
  reject: (id: number, reason: string) => api.post<AdjustmentDetail>(`/billing/adjustments/${id}/reject`, { reason }),
  post: (id: number) => api.post<AdjustmentDetail>(`/billing/adjustments/${id}/post`, {}),
  findAccount: (accountNo: string) => api.get<{ items: Array<{ id: number; accountNo: string; name: string }> }>('/accounts', { accountNo, pageSize: 5 }),
};
