-- Billing run speed (issue 5). The two row-level foreign keys of bills (account_id -> accounts,
-- run_id -> billing_runs) ran one referential-integrity query and took one tuple lock per inserted
-- bill: a run of 1M accounts made 2M such queries and dirtied every account's heap page (the
-- lock is written into the tuple), about a third of the server's CPU in `npm run bench -- billing`.
-- The same guarantees, set-based:
--   * one check per INSERT/COPY statement over its transition table (an index probe per row, no
--     lock), raising foreign_key_violation (23503) like the constraint did;
--   * bills cannot move to another account or run;
--   * deleting (or renumbering) an account or a run that has bills is refused (restrict_violation,
--     23001). The delete takes a SHARE lock on bills first, so it waits for bills being inserted
--     and blocks new ones until it ends: no bill can slip in for a row being deleted.
-- PostgreSQL 15 features only (also PGlite). Forward only.
alter table bills drop constraint bills_account_id_fkey;
alter table bills drop constraint bills_run_id_fkey;

create function bills_refs_check() returns trigger language plpgsql as $$
declare
  bad bigint;
begin
  -- lateral + offset 0: an index probe per new row (never a hash join over all accounts)
  select n.account_id into bad from new_bills n
    left join lateral (select 1 as ok from accounts a where a.id = n.account_id offset 0) x on true
   where x.ok is null limit 1;
  if found then
    raise exception 'insert on bills violates the reference to accounts: account % does not exist', bad using errcode = '23503';
  end if;
  select n.run_id into bad from new_bills n
    left join lateral (select 1 as ok from billing_runs r where r.id = n.run_id offset 0) x on true
   where x.ok is null limit 1;
  if found then
    raise exception 'insert on bills violates the reference to billing_runs: run % does not exist', bad using errcode = '23503';
  end if;
  return null;
end $$;
create trigger bills_refs_check after insert on bills referencing new table as new_bills
  for each statement execute function bills_refs_check();

create function bills_refs_fixed() returns trigger language plpgsql as $$
begin
  raise exception 'bill %: account_id and run_id cannot be changed', old.id using errcode = '23503';
end $$;
create trigger bills_refs_fixed before update on bills for each row
  when (old.account_id is distinct from new.account_id or old.run_id is distinct from new.run_id)
  execute function bills_refs_fixed();

create function bills_referenced_restrict() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and new.id = old.id then return new; end if;
  lock table bills in share mode;
  if tg_table_name = 'accounts' then
    perform 1 from bills b where b.account_id = old.id limit 1;
  else
    perform 1 from bills b where b.run_id = old.id limit 1;
  end if;
  if found then
    raise exception '% % has bills and cannot be deleted or renumbered', tg_table_name, old.id using errcode = '23001';
  end if;
  if tg_op = 'DELETE' then return old; end if;
  return new;
end $$;
create trigger accounts_bills_restrict before delete or update of id on accounts
  for each row execute function bills_referenced_restrict();
create trigger billing_runs_bills_restrict before delete or update of id on billing_runs
  for each row execute function bills_referenced_restrict();
