-- A reading's metering point belongs to the reading's account, and a metering point stays with its
-- account for life. Both were kept by the application only (readings are written from the meter
-- installation, which names account, meter and point together; nothing moves a point), yet
-- the schema relies on them: register_readings_key is led by (account_id, metering_point_id), so
-- a point's history is looked up under its account (VEE baselines, estimation), and the restrict
-- trigger of metering_points finds a point's readings that way. Now the database keeps them
-- (23503):
--   * refs_check learns a scoped reference: the column `metering_point_id:account_id` means the
--     parent row with id = metering_point_id must have account_id = the row's account_id;
--   * metering_points.account_id cannot be changed.
-- Same cost as before: one probe per distinct (point, account) pair, as many as distinct points.
-- Forward only.
create or replace function refs_check() returns trigger language plpgsql as $$
declare
  bad bigint;
  scope_val bigint;
  col text;
  scope text;
  i int := 1;
begin
  while i + 2 < tg_nargs loop
    col := split_part(tg_argv[i], ':', 1);
    scope := nullif(split_part(tg_argv[i], ':', 2), '');
    if scope is null then
      execute format(
        'select d.%1$I from (select distinct %1$I from %2$I) d
           left join lateral (select 1 as ok from %3$I p where p.id = d.%1$I offset 0) x on true
          where d.%1$I is not null and x.ok is null limit 1',
        col, tg_argv[0], tg_argv[i + 1]) into bad;
      if bad is not null then  -- (EXECUTE does not set FOUND; INTO gives NULL when no row came back)
        raise exception 'insert on % violates the reference to %: % % does not exist', tg_table_name, tg_argv[i + 1], tg_argv[i + 2], bad
          using errcode = '23503';
      end if;
    else
      execute format(
        'select d.%1$I, d.%4$I from (select distinct %1$I, %4$I from %2$I) d
           left join lateral (select 1 as ok from %3$I p where p.id = d.%1$I and p.%4$I = d.%4$I offset 0) x on true
          where d.%1$I is not null and x.ok is null limit 1',
        col, tg_argv[0], tg_argv[i + 1], scope) into bad, scope_val;
      if bad is not null then
        raise exception 'insert on % violates the reference to %: % % does not exist with % %', tg_table_name, tg_argv[i + 1], tg_argv[i + 2], bad, scope, scope_val
          using errcode = '23503';
      end if;
    end if;
    i := i + 3;
  end loop;
  return null;
end $$;

drop trigger register_readings_refs_check on register_readings;
create trigger register_readings_refs_check after insert on register_readings referencing new table as new_readings
  for each statement execute function refs_check('new_readings', 'account_id', 'accounts', 'account', 'meter_id', 'meters', 'meter',
                                                 'metering_point_id:account_id', 'metering_points', 'metering point');

create function metering_points_account_fixed() returns trigger language plpgsql as $$
begin
  raise exception 'metering point %: account_id cannot be changed', old.id using errcode = '23503';
end $$;
create trigger metering_points_account_fixed before update of account_id on metering_points for each row
  when (old.account_id is distinct from new.account_id) execute function metering_points_account_fixed();
