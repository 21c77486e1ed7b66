-- register_readings index layout for ingest speed (issue 4) and correct history lookups.
--
-- * The VEE history of a metering point (Baselines.load, review estimation) filters on
--   metering_point_id, which no index led with: on a large table every import batch and every
--   estimate did a sequential scan. It gets its own index, (metering_point_id, register, read_at).
-- * register_readings_meter_idx (meter_id, register, read_at) served no query the application
--   runs (every lookup by meter also names the account, covered by register_readings_uq, or the
--   metering point, covered by the new index): dropped, one index less to maintain per row.
-- * Only phone/field visits carry a client id: the de-duplication index only needs those rows.
drop index if exists register_readings_meter_idx;
create index register_readings_mp_idx on register_readings (metering_point_id, register, read_at);
drop index if exists register_readings_client_uq;
create unique index register_readings_client_uq on register_readings (account_id, client_id, register) where client_id is not null;
