/** Calls of the cut-off / reconnection API (src/api/payments/cutoff.routes.ts). */
import { api } from '../../api/client';

export type OrderState = 'created' | 'notice_sent' | 'scheduled' | 'executed' | 'closed' | 'cancelled';

export interface Sla {
  dueBy: string;
  remainingMinutes: number;
  elapsedMinutes: number;
  status: 'ok' | 'warning' | 'overdue' | 'on_time' | 'late' | 'none';
}

export interface OrderRow {
  id: number;
  kind: 'cutoff' | 'reconnect';
  accountNo: string;
  accountName: string;
  orgUnit?: string;
  reason: 'arrears' | 'prepaid' | 'debt_cleared';
  state: OrderState;
  amountOwed: string | null;
  scheduledAt: string | null;
  executedAt: string | null;
  createdAt: string;
  cutoffOrderId: number | null;
  sla: Sla | null;
}

export interface OrderDetail extends OrderRow {
  earliestCutoff: string | null;
  closedAt: string | null;
  cancelledAt: string | null;
  cancelReason: string | null;
  command: { operator: string; at: string; meters: Array<{ address: string; function: string; command: string; commandName: string; requestHex: string; replyHex: string; result: string; simulated: boolean }>; note?: string } | null;
  actions: string[];
  notices: Array<{ id: number; kind: 'notice' | 'renotice'; method: string; evidence: string; deliveredAt: string; recordedAt: string }>;
  events: Array<{ id: number; from: string | null; to: string; action: string; note: string | null; actor: string; at: string }>;
}

export interface Candidate {
  accountId: number;
  accountNo: string;
  accountName: string;
  oldestDueDate: string;
  daysOverdue: number;
  outstanding: string;
  openOrderId: number | null;
}

export const cutoffApi = {
  list: (q: { kind?: string; state?: string; accountNo?: string; page: number; pageSize: number }) => api.get<{ items: OrderRow[]; total: number }>('/cutoff/orders', q),
  get: (id: number) => api.get<OrderDetail>(`/cutoff/orders/${id}`),
  candidates: (q: { page: number; pageSize: number }) => api.get<{ asOf: string; minOverdueDays: number; items: Candidate[] }>('/cutoff/candidates', q),
  create: (accountNo: string, note?: string) => api.post<OrderDetail>('/cutoff/orders', { accountNo, note }),
  notice: (id: number, body: { kind: 'notice' | 'renotice'; method: string; evidence: string; deliveredAt?: string }) => api.post<OrderDetail>(`/cutoff/orders/${id}/notices`, body),
  schedule: (id: number, scheduledAt: string) => api.post<OrderDetail>(`/cutoff/orders/${id}/schedule`, { scheduledAt }),
  execute: (id: number) => api.post<OrderDetail>(`/cutoff/orders/${id}/execute`, {}),
  close: (id: number, note?: string) => api.post<OrderDetail>(`/cutoff/orders/${id}/close`, { note }),
  cancel: (id: number, reason: string) => api.post<OrderDetail>(`/cutoff/orders/${id}/cancel`, { reason }),
  reconnectCheck: () => api.post<{ checkedAccounts: number; reconnectOrderIds: number[]; cancelledOrderIds: number[] }>('/cutoff/reconnect-check', {}),
};

/** "2026-12-09T10:00" (datetime-local, read as Asia/Shanghai) -> ISO with +08:00. */
export function localToIso(v: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(v) ? `${v}:00+08:00` : v;
}

/** ISO instant -> "YYYY-MM-DD HH:mm" Asia/Shanghai. */
export function cst(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(new Date(iso).getTime() + 8 * 3_600_000).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 16)}`;
}
