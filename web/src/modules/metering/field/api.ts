/** API calls of the field app (docs/metering.md): routes, a route's tasks, submit, photo upload. */
import { api } from '../../../api/client';
import type { SubmitResponse, SyncApi, VisitPayload } from './queue';

export interface RouteRow {
  id: number;
  code: string;
  name: string;
  readingDay: number;
  orgUnitId: number;
}

export interface FieldTask {
  taskId: number;
  sequence: number;
  status: 'pending' | 'read' | 'exception' | 'skipped';
  dueDate: string;
  assignedTo: number | null;
  exceptionCode: string | null;
  readAt: string | null;
  account: { id: number; accountNo: string; name: string; address: string | null };
  meter: { id: number; assetNo: string; registers: string[]; digits: number; decimals: number; multiplier: string };
  meteringPointId: number;
  lastReadings: Record<string, { value: string; readAt: string }>;
  expectedTotal: { low: string; high: string } | null;
}

export interface RouteTasks {
  route: { id: number; code: string; name: string; readingDay: number };
  period: string;
  counts: { total: number; pending: number; read: number; exception: number; skipped: number };
  items: FieldTask[];
}

export const fieldApi = {
  routes: () => api.get<{ items: RouteRow[] }>('/reading-routes'),
  tasks: (routeId: number, period: string, mine: boolean) => api.get<RouteTasks>(`/reading-routes/${routeId}/tasks`, { period, mine: mine ? 'true' : undefined }),
};

/** What the offline queue needs from the server. */
export const syncApi: SyncApi = {
  uploadPhoto: (body) => api.post<{ photoRef: string }>('/reading-photos', body),
  submit: (items: VisitPayload[]) => api.post<SubmitResponse>('/readings', { items, source: 'phone' }),
};
