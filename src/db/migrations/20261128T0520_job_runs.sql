-- In-process job scheduler (src/jobs/scheduler.ts): one row per run of a scheduled job
-- (late-fee accrual, prepaid deduction, SLA check, missing readings, reconnection check, SMS
-- outbox). A run is inserted as 'running' when it starts and becomes 'ok' or 'failed' when it
-- ends; summary holds the job's short JSON result, error the message of a failed run.
-- trigger: 'schedule' (the timer) or 'manual' (POST /api/v1/system/jobs/:name/run, audited).
-- Rows older than 30 days are pruned by the scheduler.
create table job_runs (
  id bigserial primary key,
  job_name text not null check (job_name ~ '^[a-z0-9-]{1,60}$'),
  trigger text not null default 'schedule' check (trigger in ('schedule', 'manual')),
  triggered_by bigint references users(id),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  status text not null default 'running' check (status in ('running', 'ok', 'failed')),
  summary jsonb,
  error text,
  check ((status = 'running') = (finished_at is null))
);
create index job_runs_job_started_idx on job_runs (job_name, started_at desc);
create index job_runs_started_idx on job_runs (started_at);
