/**
 * Payment allocation (domain-cn §5.2, project decision): oldest receivable first (due date, then
 * id); within a receivable the late fee charged up to the payment day first, then the principal
 * (`fee_first`, default) — or principal first (`principal_first`). What is left is credit.
 */
export type AllocationOrder = 'fee_first' | 'principal_first';

export interface OpenReceivable {
  id: number;
  dueDate: string;
  principalFen: number;
  feeFen: number;
}

export interface Allocation {
  receivableId: number;
  feeFen: number;
  principalFen: number;
}

export interface AllocationResult {
  allocations: Allocation[];
  remainderFen: number;
}

/**
 * Example: 150.00 against [A: fee 2.00 + 100.00, B: 80.00] →
 * A gets 2.00 fee + 100.00, B gets 48.00, remainder 0.
 */
export function allocatePayment(amountFen: number, open: OpenReceivable[], order: AllocationOrder = 'fee_first'): AllocationResult {
  if (!Number.isSafeInteger(amountFen) || amountFen <= 0) throw new RangeError('amount must be a positive integer of fen');
  const sorted = [...open].sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.id - b.id));
  let left = amountFen;
  const allocations: Allocation[] = [];
  for (const r of sorted) {
    if (left === 0) break;
    let fee = 0, principal = 0;
    const take = (want: number) => {
      const t = Math.min(left, Math.max(0, want));
      left -= t;
      return t;
    };
    if (order === 'fee_first') {
      fee = take(r.feeFen);
      principal = take(r.principalFen);
    } else {
      principal = take(r.principalFen);
      fee = take(r.feeFen);
    }
    if (fee + principal > 0) allocations.push({ receivableId: r.id, feeFen: fee, principalFen: principal });
  }
  return { allocations, remainderFen: left };
}
