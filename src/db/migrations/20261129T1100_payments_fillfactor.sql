-- payments: room on each page for the posted version of a row (HOT update, issue 6).
-- A channel payment is inserted small (~200 bytes: the idempotency key claims its row first) and
-- updated in the same transaction with its stored result (`response`, ~700 bytes) and
-- `unallocated`. With full pages the new version went to another page: a non-HOT update, four
-- new index entries per payment (primary key, idempotency key, account, channel-day). Inserts
-- now stop at a quarter of a page, so the updated versions fit beside them (HOT: no index
-- entries); once the old versions are pruned, a page holds about as many posted rows as before.
alter table payments set (fillfactor = 25);
