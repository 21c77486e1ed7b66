/** Calls of the customer portal (src/api/portal/portal.routes.ts, docs/portal.md). */
import { api } from '../../api/client';

// the open receivables have the same shape as on the staff side (src/app/payments/ledger.ts)
import type { DueItem } from '../payments/api';
export type { DueItem };

export interface MyAccount {
  id: number;
  accountNo: string;
  name: string;
  address: string | null;
  customerClass: string;
  status: string;
  paymentMode: string;
  balance: string;
  amountDue: string;
  lateFee: string;
  credit: string;
  asOf: string;
  dueDate: string | null;
  overdueDays: number;
  overdue: boolean;
  items: DueItem[];
}

export interface MyAccounts {
  items: MyAccount[];
  asOf: string;
  maxPayment: string;
  currency: 'CNY';
}

export interface PortalBill {
  id: number;
  accountId: number;
  accountNo: string;
  accountName?: string;
  period: string;
  status: string;
  periodStart: string | null;
  periodEnd: string | null;
  days: number | null;
  energyKwh: string | null;
  amountTotal: string;
  dueDate: string | null;
  issuedAt: string | null;
}

export interface BillLine {
  lineNo: number;
  code: string;
  name: { zh: string; en: string };
  quantity: string;
  unit: string;
  unitPrice: string;
  amount: string;
}

export interface BillReading {
  id: number;
  register: string;
  readAt: string;
  value: string | null;
  consumption: string | null;
  meterAssetNo: string;
  multiplier: string | number | null;
  previousValue: string | null;
  previousReadAt: string | null;
}

export interface PortalBillDetail extends PortalBill {
  address?: string | null;
  lines: BillLine[];
  readings: BillReading[];
  pdfUrl: string;
}

export interface UsageItem {
  period: string;
  kwh: string | null;
  registers: Record<string, string>;
  estimated: boolean;
  lastYearKwh: string | null;
}

export interface PortalPayment {
  id: number;
  accountNo: string;
  receiptNo: string | null;
  channel: string;
  method: string;
  amount: string;
  status: string;
  payDate: string;
  receivedAt: string;
  lateFeePaid: string | null;
  principalPaid: string | null;
  credit: string | null;
  balanceAfter: string | null;
  receiptUrl: string | null;
}

export interface PayResult {
  paymentId: number;
  accountNo: string;
  accountName: string;
  amount: string;
  payDate: string;
  receiptNo: string | null;
  lateFeePaid: string;
  principalPaid: string;
  credit: string;
  balanceAfter: string;
  postedAt: string;
  allocations: Array<{ receivableId: number; period: string; fee: string; principal: string; settled: boolean }>;
  replayed: boolean;
  receiptUrl: string | null;
}

export const portalApi = {
  accounts: () => api.get<MyAccounts>('/portal/accounts'),
  bills: (accountId: number, page = 1, pageSize = 24) => api.get<{ items: PortalBill[]; page: number; pageSize: number }>(`/portal/accounts/${accountId}/bills`, { page, pageSize }),
  bill: (id: number) => api.get<PortalBillDetail>(`/portal/bills/${id}`),
  usage: (accountId: number, months = 24) => api.get<{ accountId: number; from: string; to: string; items: UsageItem[] }>(`/portal/accounts/${accountId}/usage`, { months }),
  payments: (accountId: number, page = 1, pageSize = 20) => api.get<{ items: PortalPayment[]; total: number }>(`/portal/accounts/${accountId}/payments`, { page, pageSize }),
  pay: (body: { accountId: number; amount: string; idempotencyKey: string }) => api.post<PayResult>('/portal/payments', body),
};

/** A fresh key for one payment attempt (the server posts each key once). */
export function newAttemptKey(): string {
  const c = globalThis.crypto as Crypto | undefined;
  if (c?.randomUUID) return c.randomUUID();
  const rnd = Array.from({ length: 4 }, () => Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')).join('');
  return `pa-${Date.now().toString(36)}-${rnd}`;
}

/** Client-side check of an amount in 元 (the server checks again): "" when fine, else a reason key. */
export function amountProblem(v: string, maxPayment: string): '' | 'format' | 'decimals' | 'positive' | 'max' {
  const s = v.trim();
  if (/^\d+\.\d{3,}$/.test(s)) return 'decimals';
  if (!/^\d{1,13}(\.\d{1,2})?$/.test(s)) return 'format';
  const fen = (x: string) => {
    const [i, f = ''] = x.split('.');
    return BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
  };
  if (fen(s) <= 0n) return 'positive';
  if (fen(s) > fen(maxPayment)) return 'max';
  return '';
}
