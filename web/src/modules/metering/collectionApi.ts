/** Calls of 采集监控 and 招测 (src/api/metering/collection.routes.ts; docs/metering.md "Automated collection"). */
import { api } from '../../api/client';

export interface ReasonText {
  zh: string;
  en: string;
}

export interface CollectionRun {
  id: number;
  kind: 'scheduled' | 'on_demand';
  scope: { routeIds?: number[]; meterIds?: number[] };
  dataDay: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt: string | null;
  startedBy: number | null;
  startedByName: string | null;
  total: number;
  ok: number;
  failed: number;
  done: number;
  successRate: number | null;
  error: string | null;
}

export interface RouteRate {
  routeId: number | null;
  code: string | null;
  name: string | null;
  meters: number;
  ok: number;
  failed: number;
  successRate: number | null;
}

export interface FailedMeter {
  meterId: number;
  assetNo: string;
  commAddress: string;
  accountId: number;
  accountNo: string;
  accountName: string;
  routeId: number | null;
  routeCode: string | null;
  concentratorCode: string | null;
  reason: string;
  reasonText: ReasonText | null;
  attempts: number;
  ms: number;
  readAt: string;
  runId: number;
}

export interface RunStats {
  run: CollectionRun | null;
  day: string | null;
  totals: { meters: number; ok: number; failed: number; successRate: number | null };
  routes: RouteRate[];
  reasons: Array<{ reason: string; count: number; text: ReasonText | null }>;
  failures: { items: FailedMeter[]; total: number; page: number; pageSize: number };
}

export interface RouteOption {
  id: number;
  code: string;
  name: string;
  orgUnit?: { id: number; name: string };
  accountCount?: number;
}

export interface VeeRuleResult {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  zh: string;
  en: string;
}

export interface OnDemandReading {
  register: string;
  status: 'accepted' | 'pending_review' | 'rejected';
  readingId?: number;
  value?: string | null;
  consumption?: string | null;
  reason?: string;
  message?: ReasonText;
  ruleResults: VeeRuleResult[];
}

export interface OnDemandResult {
  runId: number;
  meterId: number;
  accountId: number;
  ok: boolean;
  reason: string | null;
  reasonText: ReasonText | null;
  readAt: string;
  registers: Record<string, string>;
  dailyFrozen: Record<string, string> | null;
  readings: OnDemandReading[];
}

export const collectionApi = {
  routes: () => api.get<{ items: RouteOption[] }>('/metering/routes'),
  start: (body: { routeIds: number[]; dataDay?: string }) => api.post<{ runId: number; pending: number; status: string }>('/collection/runs', body),
  runs: (q: { page?: number; pageSize?: number; kind?: string } = {}) => api.get<{ items: CollectionRun[]; total: number; page: number; pageSize: number }>('/collection/runs', q),
  run: (id: number, q: { page?: number; pageSize?: number; routeId?: number } = {}) => api.get<RunStats>(`/collection/runs/${id}`, q),
  resume: (id: number) => api.post<{ runId: number; pending: number }>(`/collection/runs/${id}/resume`, {}),
  cancel: (id: number) => api.post<{ runId: number; status: string }>(`/collection/runs/${id}/cancel`, {}),
  onDemandRead: (meterId: number) => api.post<OnDemandResult>(`/meters/${meterId}/on-demand-read`, {}),
};

export const PERM_COLLECTION_RUN = 'collection.run';
