-- 预收冲抵 (credit applied to new receivables): an account holds credit exactly when the sum of
-- its ledger entries not tied to a receivable (payment remainders, credit adjustments, refunds,
-- prepaid deductions) is negative. This partial index makes that check one short probe per
-- account when a billing run is issued (most accounts have no such entry).
create index ledger_entries_unlinked_idx on ledger_entries (account_id) where receivable_id is null;
