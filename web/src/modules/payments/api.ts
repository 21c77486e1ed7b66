/** Calls of the payments API (src/api/payments/payments.routes.ts, ui.routes.ts; docs/payments.md). */
import { api, API_BASE } from '../../api/client';

export interface DueItem {
  receivableId: number;
  period: string;
  source: string;
  dueDate: string;
  amount: string;
  principalOutstanding: string;
  lateFee: string;
  outstanding: string;
  overdueDays: number;
}

export interface AmountDue {
  accountNo: string;
  accountName: string;
  asOf: string;
  items: DueItem[];
  balance: string;
  credit: string;
  lateFee: string;
  amountDue: string;
}

export interface DueAccount extends AmountDue {
  accountId: number;
  address: string | null;
  orgUnitName: string;
  customerClass: string;
  status: string;
  paymentMode: string;
}

export interface ShiftReport {
  payments: number;
  total: string;
  byMethod: Record<string, { count: number; amount: string }>;
  voided: { count: number; amount: string };
  openingFloat: string;
  systemCash: string;
  expectedCash: string;
  countedCash: string;
  difference: string;
  differenceReason: string | null;
  closedAt?: string;
}

export interface Shift {
  id: number;
  collectorId: number;
  collectorName?: string;
  orgUnitId: number;
  status: 'open' | 'closed' | 'approved' | 'rejected';
  openedAt: string;
  closedAt: string | null;
  openingFloat: string;
  countedCash: string | null;
  systemCash: string | null;
  difference: string | null;
  differenceReason: string | null;
  report: ShiftReport | null;
  approvedBy: number | null;
  approvedAt: string | null;
  approvalNote: string | null;
}

export interface CurrentShift extends Shift {
  payments: number;
  total: string;
  byMethod: Record<string, { count: number; amount: string }>;
  voided: { count: number; amount: string };
}

export interface ShiftPayment {
  paymentId: number;
  receiptNo: string | null;
  accountNo: string;
  accountName: string;
  method: string;
  amount: string;
  status: 'posted' | 'reversed' | 'voided';
  receivedAt: string;
  voidReason: string | null;
}

export interface ShiftDetail extends CurrentShift {
  systemCashNow: string;
  items: ShiftPayment[];
}

export interface PaymentResult {
  paymentId: number;
  accountNo: string;
  accountName: string;
  amount: string;
  method: string;
  receiptNo: string | null;
  lateFeePaid: string;
  principalPaid: string;
  credit: string;
  allocations: Array<{ receivableId: number; period: string; fee: string; principal: string; settled: boolean }>;
  balanceAfter: string;
}

export interface CounterResult {
  receiptNo: string;
  shiftId: number;
  requestId: string;
  method: string;
  total: string;
  change: string | null;
  payments: PaymentResult[];
  replayed: boolean;
}

export interface Waiver {
  id: number;
  receivableId: number;
  accountNo: string;
  period: string;
  waiveThrough: string;
  reason: string;
  status: 'requested' | 'approved' | 'rejected';
  requestedBy: number | null;
  requestedAt: string;
  decidedAt: string | null;
  note: string | null;
}

export interface Bucket {
  code: string;
  zh: string;
  en: string;
  accounts: number;
  outstanding: string;
  accruedLateFee: string;
}

export interface ArrearsRow {
  accountId: number;
  accountNo: string;
  accountName: string;
  orgUnitName: string;
  routeId: number | null;
  routeCode: string | null;
  oldestDueDate: string;
  daysOverdue: number;
  bucket: string;
  receivables: number;
  outstanding: string;
  accruedLateFee: string;
  /** the last arrears reminder (催费通知) sent to the account, ISO time */
  lastReminderAt: string | null;
}

export interface ArrearsRemindResult {
  asOf: string;
  inArrears: number;
  reminded: number;
  skippedRecent: number;
  noPhone: number;
  items: Array<{ accountNo: string; outstanding: string; daysOverdue: number; reminderId: number; outboxId: number | null }>;
}

export interface ArrearsPage {
  asOf: string;
  buckets: Bucket[];
  totals: { accounts: number; outstanding: string; accruedLateFee: string };
  total: number;
  items: ArrearsRow[];
}

export interface StatementSummary {
  id: number;
  channelCode: string;
  statementDate: string;
  fileName: string | null;
  lines: number;
  matched: number;
  long: number;
  short: number;
  mismatch: number;
  importedAt: string;
  importedBy?: string | null;
  unresolved?: number;
}

export interface StatementItem {
  id: number;
  kind: 'matched' | 'long' | 'short' | 'mismatch';
  idempotencyKey: string | null;
  accountNo: string | null;
  statementAmount: string | null;
  postedAmount: string | null;
  paymentId: number | null;
  resolution: string | null;
  resolutionNote: string | null;
  resolvedAt: string | null;
}

export interface AccountPaymentRow {
  paymentId: number;
  channel: string;
  method: string;
  amount: string;
  status: 'posted' | 'reversed' | 'voided';
  receiptNo: string | null;
  payDate: string;
  receivedAt: string;
  reversalReason: string | null;
  credit: string;
  collector: string | null;
}

export interface AccountPaymentsPage extends AmountDue {
  accountId: number;
  payments: AccountPaymentRow[];
  total: number;
}

export const receiptUrl = (receiptNo: string) => `${API_BASE}/payments/receipts/${encodeURIComponent(receiptNo)}/pdf`;

export const paymentsApi = {
  currentShift: () => api.get<{ shift: CurrentShift | null }>('/payments/shifts/current'),
  openShift: (openingFloat: string) => api.post<Shift>('/payments/shifts', { openingFloat }),
  shift: (id: number) => api.get<ShiftDetail>(`/payments/shifts/${id}`),
  closeShift: (id: number, countedCash: string, differenceReason?: string) => api.post<Shift>(`/payments/shifts/${id}/close`, { countedCash, ...(differenceReason ? { differenceReason } : {}) }),
  shifts: (status?: string) => api.get<{ items: Shift[] }>('/payments/shifts', { status, pageSize: 100 }),
  decideShift: (id: number, decision: 'approve' | 'reject', note?: string) => api.post<Shift>(`/payments/shifts/${id}/decision`, { decision, ...(note ? { note } : {}) }),
  findDue: (q: string) => api.get<{ q: string; asOf: string; items: DueAccount[] }>('/payments/ui/due', { q }),
  due: (accountNo: string) => api.get<AmountDue>(`/payments/accounts/${encodeURIComponent(accountNo)}/due`),
  pay: (body: { items: Array<{ accountNo: string; amount: string }>; method: 'cash' | 'card' | 'qr'; requestId: string; tendered?: string }) => api.post<CounterResult>('/payments/counter', body),
  voidPayment: (id: number, reason: string) => api.post<{ paymentId: number; status: string }>(`/payments/${id}/void`, { reason }),
  requestWaiver: (receivableId: number, waiveThrough: string, reason: string) => api.post<{ id: number }>('/payments/waivers', { receivableId, waiveThrough, reason }),
  waivers: (status?: string) => api.get<{ items: Waiver[] }>('/payments/waivers', { status, pageSize: 100 }),
  decideWaiver: (id: number, decision: 'approve' | 'reject', note?: string) => api.post<{ status: string }>(`/payments/waivers/${id}/decision`, { decision, ...(note ? { note } : {}) }),
  arrears: (q: { asOf?: string; bucket?: string; orgUnitId?: number; routeId?: number; page: number; pageSize: number }) => api.get<ArrearsPage>('/payments/ui/arrears', q),
  remindArrears: (body: { accountNos: string[]; asOf?: string }) => api.post<ArrearsRemindResult>('/payments/arrears/reminders', body),
  routes: (orgUnitId?: number) => api.get<{ items: Array<{ id: number; code: string; name: string; orgUnitName: string }> }>('/payments/ui/routes', { orgUnitId }),
  statements: () => api.get<{ channels: Array<{ code: string; name: string; enabled: boolean }>; items: StatementSummary[] }>('/payments/ui/statements', { pageSize: 50 }),
  statement: (id: number, kind?: string) => api.get<StatementSummary & { items: StatementItem[] }>(`/payments/ui/statements/${id}`, { kind }),
  importStatement: (body: { channelCode: string; statementDate: string; csv: string; fileName?: string }) => api.post<{ statementId: number; matched: number; long: number; short: number; mismatch: number }>('/payments/statements', body),
  resolveItem: (id: number, action: string, note: string) => api.post<{ itemId: number; resolution: string }>(`/payments/statements/items/${id}/resolve`, { action, note }),
  accountPayments: (accountNo: string, page = 1) => api.get<AccountPaymentsPage>(`/payments/ui/accounts/${encodeURIComponent(accountNo)}/payments`, { page, pageSize: 20 }),
};

/** A fresh id for one counter submission (a double click posts once). */
export function newRequestId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  c?.getRandomValues?.(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('') || `r${Date.now()}${Math.random().toString(36).slice(2)}`;
}
