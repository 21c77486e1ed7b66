-- Billing run speed (issue 5): bills_account_period_idx (account_id, period) duplicated what the
-- primary key (account_id, id) and the partial unique index bills_one_real_uq (account_id, period)
-- already serve (an account has a few dozen bills); every bill paid for a fifth index entry.
drop index if exists bills_account_period_idx;
