/**
 * Payment permissions (payment.collect 收费, payment.supervise 收费稽核) checked on the user's raw
 * permission codes: the shell's capability table (app/permissions.ts) does not list them yet.
 */
import type { User } from '../../api/types';

export type PaymentPerm = 'payment.collect' | 'payment.supervise';

export function hasPerm(user: User | null | undefined, perm: PaymentPerm): boolean {
  const p = user?.permissions ?? [];
  return p.includes('*') || p.includes(perm) || p.includes('payment.*');
}

export const canCollect = (u: User | null | undefined) => hasPerm(u, 'payment.collect');
export const canSupervise = (u: User | null | undefined) => hasPerm(u, 'payment.supervise');
export const canPayments = (u: User | null | undefined) => canCollect(u) || canSupervise(u);

/** Any of these raw permission codes (prepaid / cut-off pages of this module). */
export function hasAnyPerm(user: User | null | undefined, codes: string[]): boolean {
  const p = user?.permissions ?? [];
  return p.includes('*') || codes.some((c) => p.includes(c));
}
