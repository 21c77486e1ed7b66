/** Calls of 抄表段管理 (src/api/metering/routes.routes.ts, readings.routes.ts; docs/metering.md). */
import { api } from '../../api/client';

export interface TaskCounts {
  total: number;
  pending: number;
  read: number;
  exception: number;
  skipped: number;
}

export interface RouteItem {
  id: number;
  code: string;
  name: string;
  orgUnit: { id: number; name: string };
  readingDay: number;
  status: 'active' | 'inactive';
  version: number;
  reader: { id: number; username: string; name: string } | null;
  accountCount: number;
  tasks: TaskCounts;
}

export interface ReaderOption {
  id: number;
  username: string;
  name: string;
  roles: string[];
  orgUnit: { id: number; name: string };
}

export interface GenerateResult {
  period: string;
  routes: Array<{ routeId: number; routeCode: string; dueDate: string; created: number; total: number }>;
}

export interface RouteTask {
  taskId: number;
  sequence: number;
  status: 'pending' | 'read' | 'exception' | 'skipped';
  dueDate: string;
  assignedTo: number | null;
  exceptionCode: string | null;
  readAt: string | null;
  account: { id: number; accountNo: string; name: string; address: string | null };
  meter: { id: number; assetNo: string; registers: string[] };
}

export interface RouteTasks {
  route: { id: number; code: string; name: string; readingDay: number };
  period: string;
  counts: TaskCounts;
  items: RouteTask[];
}

export interface RoutePatch {
  version: number;
  name?: string;
  readingDay?: number;
  readerUserId?: number | null;
  status?: 'active' | 'inactive';
}

export const routesApi = {
  list: (q: { period?: string; q?: string }) => api.get<{ period: string; items: RouteItem[] }>('/metering/routes', q),
  update: (id: number, body: RoutePatch) => api.patch<RouteItem>(`/metering/routes/${id}`, body),
  readers: (routeId?: number) => api.get<{ items: ReaderOption[] }>('/metering/readers', { routeId }),
  generate: (period: string, routeIds: number[], assignedTo?: number | null) =>
    api.post<GenerateResult>('/reading-tasks/generate', { period, routeIds, ...(assignedTo ? { assignedTo } : {}) }),
  tasks: (routeId: number, period: string) => api.get<RouteTasks>(`/reading-routes/${routeId}/tasks`, { period }),
};

/** This month as YYYY-MM in Asia/Shanghai. */
export function thisPeriod(now = new Date()): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 7);
}
