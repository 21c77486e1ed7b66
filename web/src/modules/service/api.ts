/** Types and calls of the service-request API (src/api/service/service.routes.ts, docs/service-requests.md). */
import { api, type Query } from '../../api/client';

export interface L {
  zh: string;
  en: string;
}

export type SlaStatus = 'none' | 'ok' | 'warning' | 'overdue' | 'paused' | 'on_time' | 'late';

export interface TypeStage {
  code: string;
  name: L;
  roles: string[];
  documents: string[];
  fields: string[];
  effect: string | null;
  when: { field: string; equals: unknown } | null;
  limit: { days: number; unit: string } | null;
}

export interface RequestTypeInfo {
  code: string;
  name: L;
  kind: 'new' | 'change';
  needsAccount: boolean;
  stages: TypeStage[];
  defaultPlan: string[];
}

export interface TypesResponse {
  warnDays: number;
  rules: { suspendMinDays: number; suspendMaxDaysPerYear: number; maxDocumentBytes: number };
  documentKinds: Record<string, L>;
  pauseReasons: Record<string, L>;
  items: RequestTypeInfo[];
}

export interface QueueItem {
  id: number;
  requestNo: string;
  type: string;
  typeName: L;
  status: string;
  stage: string;
  stageName: L | null;
  channel: string;
  applicantName: string;
  accountId: number | null;
  orgUnitName: string;
  receivedOn: string;
  promisedOn: string | null;
  completedOn: string | null;
  paused: boolean;
  assigneeId: number | null;
  assigneeName: string | null;
  rating: number | null;
  stageDueOn: string | null;
  daysLeft: number | null;
  slaStatus: SlaStatus | null;
}

export interface StageRow {
  id: number;
  seq: number;
  stage: string;
  stageName: L;
  enteredOn: string;
  dueOn: string | null;
  slaDays: number | null;
  completedOn: string | null;
  decision: string | null;
  reason: string | null;
  actorName: string | null;
  pauses: Array<{ from: string; to: string | null; reason: string; note?: string | null }>;
  onTime: boolean | null;
  sla: { status: SlaStatus; usedDays: number; remainingDays: number | null; pausedDays: number };
}

export interface RequestDetail {
  id: number;
  requestNo: string;
  type: string;
  typeName: L;
  kind: 'new' | 'change';
  status: string;
  stage: string;
  stageName: L | null;
  channel: string;
  orgUnitName: string;
  accountId: number | null;
  account: { id: number; accountNo: string; name: string; address: string; status: string; contractCapacityKva: string; tariffCode: string | null } | null;
  applicantName: string;
  applicantPhone: string | null;
  data?: Record<string, unknown>;
  receivedOn: string;
  promisedOn: string | null;
  completedOn: string | null;
  paused: boolean;
  assignee: { id: number; username: string; displayName: string } | null;
  version: number;
  effects: Array<{ effect: string; effectiveOn: string; accountId?: number; summary: Record<string, unknown> }>;
  rating: number | null;
  ratingComment: string | null;
  plan: Array<{ code: string; name: L; limit: { days: number } | null }>;
  stages: StageRow[];
  current: StageRow | null;
  nextStage: { code: string; name: L } | null;
  requiredDocuments: Array<{ kind: string; name: L; present: boolean }>;
  requiredFields: string[];
  documents: Array<{ id: number; stage: string; kind: string; kindName: L | null; fileName: string; contentType: string; sizeBytes: number; reference: string | null; uploadedAt: string }>;
  notifications: Array<{ id: number; audience: string; event: string; zh: string; en: string; createdAt: string; sms?: { status: 'pending' | 'sending' | 'sent' | 'failed'; sentAt: string | null } | null }>;
  actions: Array<'pass' | 'return' | 'reject' | 'cancel'>;
  canPause: boolean;
  canRate: boolean;
}

export interface OnTimeLine {
  total: number;
  onTime: number;
  late: number;
  rate: string | null;
}

export interface OnTimeReport {
  from: string;
  to: string;
  asOf: string;
  total: OnTimeLine;
  byStage: Array<OnTimeLine & { stage: string; stageName: L }>;
  byOrgUnit: Array<OnTimeLine & { orgUnitId: number; orgUnitName: string }>;
  overdue: Array<{ id: number; requestNo: string; typeName: L; applicantName: string; stage: string; stageName: L | null; dueOn: string; orgUnitName: string }>;
}

export const serviceApi = {
  types: () => api.get<TypesResponse>('/service/types'),
  list: (q: Query) => api.get<{ asOf: string; items: QueueItem[]; total: number; page: number; pageSize: number }>('/service/requests', q),
  get: (id: number) => api.get<RequestDetail>(`/service/requests/${id}`),
  apply: (body: Record<string, unknown>) => api.post<{ id: number; requestNo: string; promisedOn: string; receivedOn: string; stage: string }>('/service/requests', body),
  transition: (id: number, body: Record<string, unknown>) => api.post<{ stage: string; status: string }>(`/service/requests/${id}/transition`, body),
  pause: (id: number, body: Record<string, unknown>) => api.post(`/service/requests/${id}/pause`, body),
  resume: (id: number, body: Record<string, unknown> = {}) => api.post(`/service/requests/${id}/resume`, body),
  upload: (id: number, body: Record<string, unknown>) => api.post<{ id: number }>(`/service/requests/${id}/documents`, body),
  rate: (id: number, body: Record<string, unknown>) => api.post(`/service/requests/${id}/rating`, body),
  report: (q: Query) => api.get<OnTimeReport>('/service/reports/on-time', q),
};

export function hasPerm(perms: string[] | undefined, p: string): boolean {
  return !!perms && (perms.includes('*') || perms.includes(p));
}

/** File -> base64 (without the data URL prefix). */
export function fileToBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

export const SLA_COLORS: Record<string, string> = { ok: 'green', warning: 'orange', overdue: 'red', paused: 'default', on_time: 'green', late: 'red', none: 'default' };
