/** Calls of 示数复核 (review queue, src/api/metering/readings.routes.ts; docs/metering.md). */
import { api } from '../../api/client';

export interface RuleResult {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  zh: string;
  en: string;
  details?: Record<string, unknown>;
}

export interface Reading {
  id: number;
  accountId: number;
  accountNo?: string;
  accountName?: string;
  meterId: number;
  meterAssetNo: string;
  register: string;
  readAt: string;
  billingPeriod: string;
  value: string | null;
  consumption: string | null;
  source: string;
  qualityFlags: string[];
  exceptionCode: string | null;
  status: string;
  ruleResults: RuleResult[];
  photoRef: string | null;
  originalValue: string | null;
  reviewReason: string | null;
}

export type EstimateBasis = 'previous_period' | 'same_period_last_year';

/** Rule codes a reading can be flagged with (warnings go to the review queue). */
export const REVIEW_RULES = [
  'SPIKE', 'DROP', 'ZERO_WITH_LOAD', 'REGISTER_BACKWARDS', 'REGISTER_SUM_MISMATCH', 'DEMAND_ABOVE_CONTRACT', 'NOT_AFTER_PREVIOUS', 'EXCEPTION_REPORTED',
  'ROLLOVER', 'METER_EXCHANGE', 'SETTLES_ESTIMATE',
] as const;

export const reviewApi = {
  queue: (q: { routeId?: number; rule?: string; page: number; pageSize: number }) => api.get<{ items: Reading[]; page: number; pageSize: number }>('/readings/review', q),
  accept: (id: number, reason?: string) => api.post<{ id: number; status: 'accepted'; value: string; consumption: string | null }>(`/readings/${id}/accept`, reason ? { reason } : {}),
  edit: (id: number, value: string, reason: string) =>
    api.post<{ id: number; status: 'accepted'; value: string; originalValue: string | null; consumption: string | null; ruleResults: RuleResult[] }>(`/readings/${id}/edit`, { value, reason }),
  estimate: (id: number, basis: EstimateBasis, reason?: string) =>
    api.post<{ id: number; status: 'estimated'; value: string; consumption: string | null; basis: EstimateBasis; ruleResults: RuleResult[] }>(`/readings/${id}/estimate`, { basis, ...(reason ? { reason } : {}) }),
  reject: (id: number, reason: string) => api.post<{ id: number; status: 'rejected' }>(`/readings/${id}/reject`, { reason }),
};

/** Link to a reading's photo (served by GET /api/v1/reading-photos/:id). */
export const photoUrl = (photoRef: string) => `/api/v1/reading-photos/${encodeURIComponent(photoRef)}`;
