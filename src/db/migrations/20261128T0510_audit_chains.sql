-- Audit trail as several hash chains (issue 6 speed). One chain serialised every writer of the
-- whole system behind one lock held until commit; now each database connection appends to chain
-- (backend pid mod 8), so up to 8 transactions append at once while each chain stays a strict
-- sequence (ids increase along a chain because they are drawn under the chain's lock).
-- Existing events are chain 0 (its head keeps row id 1); chain k's head is row k + 1.
alter table audit_events add column chain smallint not null default 0 check (chain between 0 and 63);
alter table audit_chain_head drop constraint if exists audit_chain_head_id_check;
alter table audit_chain_head add constraint audit_chain_head_id_range check (id between 1 and 64);
