/** Calls of the refunds API (src/api/payments/refunds.routes.ts, docs/payments.md "Refunds"). */
import { api } from '../../api/client';

export type RefundMethod = 'cash' | 'transfer' | 'original';

export interface Refund {
  id: number;
  accountId: number;
  accountNo: string;
  accountName: string;
  orgUnitId: number;
  serviceRequestId: number | null;
  requestNo: string | null;
  finalBillId: number | null;
  amount: string;
  method: RefundMethod;
  payeeName: string;
  payeeBank: string | null;
  payeeAccount: string | null;
  payeePhone: string | null;
  status: 'pending' | 'paid';
  reason: string;
  createdAt: string;
  paidAt: string | null;
  createdBy: number | null;
  createdByName: string | null;
  paidBy: number | null;
  paidByName: string | null;
  paidReference: string | null;
  paidNote: string | null;
}

export interface RefundPayeeInput {
  method: RefundMethod;
  payeeName?: string;
  payeeBank?: string;
  payeeAccount?: string;
  payeePhone?: string;
}

export const refundsApi = {
  list: (q: { status?: string; accountNo?: string; page: number; pageSize: number }) =>
    api.get<{ items: Refund[]; total: number; amountTotal: string; page: number; pageSize: number }>('/payments/refunds', q),
  get: (id: number) => api.get<Refund>(`/payments/refunds/${id}`),
  markPaid: (id: number, body: { reference: string; note?: string }) => api.post<Refund>(`/payments/refunds/${id}/paid`, body),
  create: (body: { accountNo: string; reason: string; refund: RefundPayeeInput }) =>
    api.post<{ balanceBefore: string; creditApplied: string; balance: string; refund: { id: number; amount: string } | null }>('/payments/refunds', body),
};
