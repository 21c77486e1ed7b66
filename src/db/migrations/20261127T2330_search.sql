-- Name search walks a C-collated index in name order, so `LIMIT 20` stops after 20 matches
-- instead of fetching and sorting every match (the text_pattern_ops index could serve the
-- LIKE prefix but not the ORDER BY).
create index accounts_name_c_idx on accounts ((name collate "C"), account_no);
drop index if exists accounts_name_idx;
