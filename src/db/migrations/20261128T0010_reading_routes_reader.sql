-- Reading routes (抄表段) administration: the assigned meter reader, an active flag and an
-- optimistic-locking version (PATCH with a stale version -> 409).
alter table reading_routes add column reader_user_id bigint references users(id);
alter table reading_routes add column status text not null default 'active' check (status in ('active','inactive'));
alter table reading_routes add column version int not null default 1;
create index reading_routes_reader_idx on reading_routes (reader_user_id) where reader_user_id is not null;
create index reading_routes_org_unit_idx on reading_routes (org_unit_id);
