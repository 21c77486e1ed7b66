-- 15-minute interval data (96 points a day) for meters read by the head-end (负荷曲线).
-- Partitioned by range on ts, one partition per calendar month (Asia/Shanghai), created ahead
-- of ingest by ensureIntervalPartitions (src/app/metering/intervals.ts); rows outside every
-- monthly partition land in the default partition and are moved when their month is created.
-- The partition key is part of the primary key. No foreign keys (head-end volumes): ingest
-- checks account and meter against meter_installations before it writes.
-- PostgreSQL 15 features only. Forward only. Format: docs/metering.md.

create table interval_readings (
  account_id bigint not null,
  meter_id bigint not null,
  -- start of the 15-minute interval (00:00, 00:15, ... Asia/Shanghai)
  ts timestamptz not null,
  -- active energy in the interval, kWh after the meter multiplier
  energy_kwh numeric(12,4) not null check (energy_kwh >= 0),
  -- reactive energy in the interval, kvarh after the multiplier (optional)
  kvarh numeric(12,4) check (kvarh >= 0),
  -- e.g. ESTIMATED (gap filled), CLOCK_ADJUSTED, POWER_OFF, PARTIAL
  quality_flags text[] not null default '{}',
  source text not null default 'headend' check (source in ('headend','import','estimate')),
  created_at timestamptz not null default now(),
  primary key (account_id, meter_id, ts),
  check (extract(epoch from ts)::bigint % 900 = 0)
) partition by range (ts);

create table interval_readings_default partition of interval_readings default;
