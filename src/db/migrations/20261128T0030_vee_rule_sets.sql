-- VEE rule sets as data (抄表校核规则版本): the thresholds of src/domain/metering/vee.ts in a
-- versioned table. Lifecycle draft -> active -> retired; at most one active version (partial
-- unique index). The validation pipeline uses the active version and records it in
-- register_readings.rule_set_version. Seed: the code defaults (version 2026-11-27.1) as active.
-- Also: reading_tasks.missing_flagged_at (missing reading rule, docs/metering.md). Forward only.

create table vee_rule_sets (
  version text primary key check (version ~ '^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$'),
  -- threshold name -> number, e.g. {"spikeRatio": 0.5, "missingGraceDays": 2}
  params jsonb not null check (jsonb_typeof(params) = 'object'),
  status text not null default 'draft' check (status in ('draft', 'active', 'retired')),
  note text,
  -- copied from this version (null for the seed)
  based_on text references vee_rule_sets(version),
  created_by bigint references users(id),
  created_at timestamptz not null default now(),
  activated_by bigint references users(id),
  activated_at timestamptz,
  retired_at timestamptz
);
create unique index vee_rule_sets_one_active on vee_rule_sets ((true)) where status = 'active';

insert into vee_rule_sets (version, params, status, note, activated_at)
values ('2026-11-27.1',
        '{"spikeRatio": 0.5, "dropRatio": 0.5, "minHistoryDailyKwh": 0.1, "rolloverMaxFraction": 0.1, "sumToleranceAbs": 0.1, "sumToleranceRel": 0.01, "demandTolerance": 0, "futureSkewMinutes": 10, "zeroLoadDailyKwh": 0.5, "missingGraceDays": 2}'::jsonb,
        'active', 'initial defaults (domain-cn §5.3)', now());

-- missing reading rule: set when a pending task is overdue past the grace days without a reading
alter table reading_tasks add column missing_flagged_at timestamptz;
create index reading_tasks_missing_idx on reading_tasks (billing_period, route_id) where missing_flagged_at is not null;
