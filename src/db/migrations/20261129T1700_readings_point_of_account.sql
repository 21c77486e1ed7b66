-- A reading's metering point belongs to the reading's account, and a metering point stays with its
-- account for life. Both were kept by the application only (readings are written from the meter
-- installation, which names account, meter and point together; nothing moves a point), yet
-- the schema relies on them: register_readings_key is led by (account_id, metering_point_id), so
-- a point's history is looked up under its account (VEE baselines, estimation), and the restrict
-- trigger of metering_points finds a point's readings that way. Now the database keeps them
-- (23503):
--   * a reading's metering point must carry the reading's account: register_readings' reference
--     to metering_points is scoped (`metering_point_id:account_id`, migration 20261129T1600; one
--     probe per distinct (point, account) pair, as many as distinct points);
--   * metering_points.account_id cannot be changed (this migration).
-- Forward only.
create function metering_points_account_fixed() returns trigger language plpgsql as $$
begin
  raise exception 'metering point %: account_id cannot be changed', old.id using errcode = '23503';
end $$;
create trigger metering_points_account_fixed before update of account_id on metering_points for each row
  when (old.account_id is distinct from new.account_id) execute function metering_points_account_fixed();
