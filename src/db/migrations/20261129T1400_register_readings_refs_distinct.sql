-- register_readings' per-statement reference check (20261129T1300) probes each DISTINCT account,
-- meter and metering point of the statement once instead of once per row: a file's readings name
-- few parents many times (a 50,000-row import about 2,000 meters; a meter's 5 registers x its
-- visits), so most probes were repeats. Same errors as before (23503 naming the missing id).
-- Forward only.
create or replace function register_readings_refs_check() returns trigger language plpgsql as $$
declare
  bad bigint;
begin
  -- distinct first, then lateral + offset 0: one index probe per distinct parent (never a hash
  -- join over a whole parent table)
  select d.account_id into bad from (select distinct account_id from new_readings) d
    left join lateral (select 1 as ok from accounts a where a.id = d.account_id offset 0) x on true
   where x.ok is null limit 1;
  if found then
    raise exception 'insert on register_readings violates the reference to accounts: account % does not exist', bad using errcode = '23503';
  end if;
  select d.meter_id into bad from (select distinct meter_id from new_readings) d
    left join lateral (select 1 as ok from meters m where m.id = d.meter_id offset 0) x on true
   where x.ok is null limit 1;
  if found then
    raise exception 'insert on register_readings violates the reference to meters: meter % does not exist', bad using errcode = '23503';
  end if;
  select d.metering_point_id into bad from (select distinct metering_point_id from new_readings) d
    left join lateral (select 1 as ok from metering_points p where p.id = d.metering_point_id offset 0) x on true
   where x.ok is null limit 1;
  if found then
    raise exception 'insert on register_readings violates the reference to metering_points: metering point % does not exist', bad using errcode = '23503';
  end if;
  return null;
end $$;
