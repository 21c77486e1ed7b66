-- audit_claim takes a FREE audit chain: the connection's own (pg_backend_pid() % chains) when
-- its lock is free, else the next free one (pg_try_advisory_xact_lock), and only when all are
-- busy waits for its own. Before, two transactions whose connections had the same pid % chains
-- queued for one chain while other chains were idle (group posting holds the chain from the
-- receivable locks to commit, so two groups on such a pair of connections ran one after the
-- other). The chain taken is remembered for the rest of the transaction in the transaction-local
-- setting voltline.audit_chain, so a transaction still appends to one chain only and never holds
-- two chain locks (no deadlock between chain locks).
create or replace function audit_claim(lock_base int8, chains int, n int, after_ int8 default 0) returns json
language plpgsql volatile as $$
declare
  k int := nullif(current_setting('voltline.audit_chain', true), '')::int;
  home int := pg_backend_pid() % chains;
  h text;
  ids int8[];
begin
  if k is null then
    -- a free chain, starting with this connection's own; all busy: wait for the own one
    for i in 0 .. chains - 1 loop
      if pg_try_advisory_xact_lock(lock_base + (home + i) % chains) then
        k := (home + i) % chains;
        exit;
      end if;
    end loop;
    if k is null then
      k := home;
      perform pg_advisory_xact_lock(lock_base + k);
    end if;
    -- the rest of this transaction appends to the same chain (never a second chain lock)
    perform set_config('voltline.audit_chain', k::text, true);
  else
    perform pg_advisory_xact_lock(lock_base + k); -- held already: re-entrant
  end if;
  select last_hash into h from audit_chain_head where id = k + 1;
  select array(select nextval(pg_get_serial_sequence('audit_events', 'id'))::int8 from generate_series(1, n)) into ids;
  return json_build_object('chain', k, 'last_hash', h, 'ids', ids);
end $$;
