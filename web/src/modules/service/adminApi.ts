/** Calls of the service administration API (calendar, SLA profiles) and the account's requests. */
import { api, ApiError, API_BASE } from '../../api/client';
import type { QueueItem, L } from './api';

export interface CalendarDay {
  day: string;
  kind: 'holiday' | 'workday';
  name: string;
  source: string;
  provisional: boolean;
  updatedAt?: string;
}

export interface CalendarResponse {
  coveredYears: number[];
  provisionalYears: number[];
  notPublished: Record<string, string>;
  items: CalendarDay[];
}

export interface SlaLimitV {
  days: number;
  unit?: 'working' | 'calendar';
}

export interface SlaProfileV {
  code: string;
  name: string;
  warnDays: number;
  limits: Record<string, Record<string, SlaLimitV>>;
  rules: Record<string, unknown>;
}

export interface ProfileRow {
  code: string;
  name: string;
  active: boolean;
  stored: boolean;
  params: SlaProfileV;
  createdAt: string | null;
  updatedAt: string | null;
}

export type AccountRequestItem = QueueItem & { overdue: boolean };

/** The shared client has no PUT; same error handling as api.* (ApiError with the field). */
async function put<T>(path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(API_BASE + path, { method: 'PUT', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', (e as Error).message || 'network error');
  }
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `HTTP ${res.status}`, err?.details, res.headers.get('x-request-id') ?? undefined);
  }
  return data as T;
}

export const adminApi = {
  calendar: (year: number) => api.get<CalendarResponse>('/service/holidays', { year }),
  allYears: () => api.get<CalendarResponse>('/service/holidays'),
  upsertDays: (items: Array<{ day: string; kind: string; name: string; source: string }>) => put<{ saved: number }>('/service/holidays', { items }),
  deleteDay: (day: string) => api.del<{ deleted: string }>(`/service/holidays/${day}`),
  importYear: (body: Record<string, unknown>) => api.post<{ year: number; replaced: number; saved: number; holidays: number; workdays: number; provisional: boolean }>('/service/holidays/import', body),
  profiles: () => api.get<{ items: ProfileRow[]; keys: Record<string, string[]>; defaults: SlaProfileV }>('/service/sla-profiles'),
  saveProfile: (p: SlaProfileV) => api.post<SlaProfileV>('/service/sla-profiles', p),
  activate: (code: string) => api.post<{ code: string; changed: boolean }>(`/service/sla-profiles/${encodeURIComponent(code)}/activate`),
  history: (code: string) => api.get<{ code: string; items: Array<{ id: number; at: string; actor: string; action: string; after: unknown }> }>(`/service/sla-profiles/${encodeURIComponent(code)}/history`),
  accountRequests: (accountId: number, status = 'open') =>
    api.get<{ asOf: string; items: AccountRequestItem[]; total: number }>('/service/requests', { accountId, status, pageSize: 50 }),
};

export type { L };
