/**
 * The account ledger as data: immutable signed entries; balance = sum. Positive = the customer
 * owes more (bill, adjustment, late fee, refund, reversal), negative = less (payment, write-off).
 */
export type LedgerKind = 'bill' | 'adjustment' | 'late_fee' | 'payment' | 'refund' | 'write_off' | 'reversal';

export interface LedgerEntry {
  kind: LedgerKind;
  amountFen: number;
  receivableId: number | null;
  component: 'principal' | 'fee' | null;
}

/** Sum of entries in fen. Example: bill 300.00 + payment −100.00 → 20000. */
export function balanceFen(entries: Array<Pick<LedgerEntry, 'amountFen'>>): number {
  let s = 0;
  for (const e of entries) s += e.amountFen;
  return s;
}

/** Per receivable: outstanding principal and fee derived from its entries. */
export function receivableBalances(entries: LedgerEntry[]): Map<number, { principalFen: number; feeFen: number }> {
  const m = new Map<number, { principalFen: number; feeFen: number }>();
  for (const e of entries) {
    if (e.receivableId === null) continue;
    const b = m.get(e.receivableId) ?? { principalFen: 0, feeFen: 0 };
    if (e.component === 'fee') b.feeFen += e.amountFen;
    else b.principalFen += e.amountFen;
    m.set(e.receivableId, b);
  }
  return m;
}
