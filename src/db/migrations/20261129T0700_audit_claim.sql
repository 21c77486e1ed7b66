-- audit_claim: take an audit chain's lock, then read its head and draw event ids, in ONE round trip.
--
-- writeAudit / writeAuditMany needed two statements for this because a statement's snapshot is
-- taken when the statement starts: a head read in the statement that waits for the lock could be
-- older than the head the previous lock holder committed (a forked chain). A VOLATILE plpgsql
-- function takes a fresh snapshot for each command it runs (READ COMMITTED), so the head is read
-- after the lock is granted. Same chain choice as before: pg_backend_pid() % chains; lock key
-- lock_base + chain; head row chain + 1. `after_` lets a caller order the claim after other
-- work in the same statement (it is evaluated before the function runs) and is otherwise unused.
create or replace function audit_claim(lock_base int8, chains int, n int, after_ int8 default 0) returns json
language plpgsql volatile as $$
declare
  k int := pg_backend_pid() % chains;
  h text;
  ids int8[];
begin
  perform pg_advisory_xact_lock(lock_base + k);
  select last_hash into h from audit_chain_head where id = k + 1;
  select array(select nextval(pg_get_serial_sequence('audit_events', 'id'))::int8 from generate_series(1, n)) into ids;
  return json_build_object('chain', k, 'last_hash', h, 'ids', ids);
end $$;

-- ledger_balances: the balance (sum of ledger entries) per account, as json [[account_id, "b"], ...],
-- read with a snapshot taken when the function runs (VOLATILE plpgsql). Group posting calls it in
-- the statement that locks the accounts' open receivables, after the locks (`after_`), so it sees
-- what the previous lock holder committed; a plain subquery there would use the statement's older
-- snapshot.
create or replace function ledger_balances(ids int8[], after_ int8 default 0) returns json
language plpgsql volatile as $$
declare
  r json;
begin
  select coalesce(json_agg(json_build_array(account_id, b)), '[]'::json) into r
    from (select account_id, coalesce(sum(amount), 0)::numeric(14,2)::text as b from ledger_entries where account_id = any(ids) group by account_id) x;
  return r;
end $$;
