-- Reading ingest speed (issue 4). The three row-level foreign keys of register_readings
-- (account_id -> accounts, meter_id -> meters, metering_point_id -> metering_points) ran three
-- referential-integrity queries per stored reading, each taking a FOR KEY SHARE lock on the
-- referenced row: a 50,000-row import made 150,000 such queries (0.6-1.2 s of the file's ~5 s on
-- the 2-core machine) and rewrote the lock into the account, meter and metering point tuples.
-- The same guarantees, set-based, as bills got in 20261128T0540:
--   * one check per INSERT/COPY statement over its transition table (an index probe per row, no
--     lock), raising foreign_key_violation (23503) like the constraints did;
--   * a reading cannot move to another account, meter or metering point;
--   * deleting (or renumbering) an account, meter or metering point that has readings is refused
--     (restrict_violation, 23001). The delete takes a SHARE lock on register_readings first, so it
--     waits for readings being inserted and blocks new ones until it ends: no reading can slip in
--     for a row being deleted.
-- PostgreSQL 15 features only (also PGlite). Forward only.
alter table register_readings drop constraint register_readings_account_id_fkey;
alter table register_readings drop constraint register_readings_meter_id_fkey;
alter table register_readings drop constraint register_readings_metering_point_id_fkey;

create function register_readings_refs_check() returns trigger language plpgsql as $$
declare
  bad bigint;
begin
  -- lateral + offset 0: an index probe per new row (never a hash join over a whole parent table)
  select n.account_id into bad from new_readings n
    left join lateral (select 1 as ok from accounts a where a.id = n.account_id offset 0) x on true
   where x.ok is null limit 1;
  if found then
    raise exception 'insert on register_readings violates the reference to accounts: account % does not exist', bad using errcode = '23503';
  end if;
  select n.meter_id into bad from new_readings n
    left join lateral (select 1 as ok from meters m where m.id = n.meter_id offset 0) x on true
   where x.ok is null limit 1;
  if found then
    raise exception 'insert on register_readings violates the reference to meters: meter % does not exist', bad using errcode = '23503';
  end if;
  select n.metering_point_id into bad from new_readings n
    left join lateral (select 1 as ok from metering_points p where p.id = n.metering_point_id offset 0) x on true
   where x.ok is null limit 1;
  if found then
    raise exception 'insert on register_readings violates the reference to metering_points: metering point % does not exist', bad using errcode = '23503';
  end if;
  return null;
end $$;
create trigger register_readings_refs_check after insert on register_readings referencing new table as new_readings
  for each statement execute function register_readings_refs_check();

create function register_readings_refs_fixed() returns trigger language plpgsql as $$
begin
  raise exception 'reading %: account_id, meter_id and metering_point_id cannot be changed', old.id using errcode = '23503';
end $$;
create trigger register_readings_refs_fixed before update on register_readings for each row
  when (old.account_id is distinct from new.account_id or old.meter_id is distinct from new.meter_id
        or old.metering_point_id is distinct from new.metering_point_id)
  execute function register_readings_refs_fixed();

create function register_readings_referenced_restrict() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and new.id = old.id then return new; end if;
  lock table register_readings in share mode;
  if tg_table_name = 'accounts' then
    perform 1 from register_readings r where r.account_id = old.id limit 1;
  elsif tg_table_name = 'metering_points' then
    -- a metering point belongs to one account for life: (account_id, metering_point_id) leads register_readings_key
    perform 1 from register_readings r where r.account_id = old.account_id and r.metering_point_id = old.id limit 1;
  else
    perform 1 from register_readings r where r.meter_id = old.id limit 1;
  end if;
  if found then
    raise exception '% % has readings and cannot be deleted or renumbered', tg_table_name, old.id using errcode = '23001';
  end if;
  if tg_op = 'DELETE' then return old; end if;
  return new;
end $$;
create trigger accounts_readings_restrict before delete or update of id on accounts
  for each row execute function register_readings_referenced_restrict();
create trigger meters_readings_restrict before delete or update of id on meters
  for each row execute function register_readings_referenced_restrict();
create trigger metering_points_readings_restrict before delete or update of id on metering_points
  for each row execute function register_readings_referenced_restrict();
