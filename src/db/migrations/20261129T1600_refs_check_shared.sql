-- One reference check for every table whose references are enforced per statement instead of by
-- row-level foreign keys (bills: 20261128T0540; register_readings: 20261129T1300 and T1400). Each
-- table had its own copy of the same block per reference; now one function does it, told what to
-- check by the trigger's arguments, and backup reads the references from those arguments
-- (src/jobs/backup.ts) instead of a hand-kept list.
--
-- refs_check(transition table, then per reference: column, parent table, noun for the message):
-- each DISTINCT non-null value of the column is probed once in the parent's primary key (lateral +
-- offset 0: an index probe per distinct value, never a hash join over a whole parent table). The
-- first missing one raises foreign_key_violation (23503) naming it, with the messages the
-- per-table functions gave. Bills now probe distinct values too (a run's bills name each run id
-- once per bill). NULL references pass, as with a foreign key. A column written `col:scope` is a
-- scoped reference: the parent row with id = col must also have scope = the row's scope; a
-- reading's metering point must be one of the reading's account's (see 20261129T1700). The
-- checks are dynamic SQL, planned per statement (~0.1 ms): meant for tables written in bulk.
-- Forward only.
create function refs_check() returns trigger language plpgsql as $$
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

drop trigger bills_refs_check on bills;
create trigger bills_refs_check after insert on bills referencing new table as new_bills
  for each statement execute function refs_check('new_bills', 'account_id', 'accounts', 'account', 'run_id', 'billing_runs', 'run');
drop function bills_refs_check();

drop trigger register_readings_refs_check on register_readings;
create trigger register_readings_refs_check after insert on register_readings referencing new table as new_readings
  for each statement execute function refs_check('new_readings', 'account_id', 'accounts', 'account', 'meter_id', 'meters', 'meter',
                                                 'metering_point_id:account_id', 'metering_points', 'metering point');
drop function register_readings_refs_check();
