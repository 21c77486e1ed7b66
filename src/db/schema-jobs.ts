/**
 * Kysely types of 20261128T0520_job_runs.sql: job_runs, one row per run of a scheduled job
 * (src/jobs/scheduler.ts). int8 -> number, jsonb written as JSON strings.
 */
import type { ColumnType, Generated } from 'kysely';
import type {} from './schema.js';

export type JobRunStatus = 'running' | 'ok' | 'failed';
export type JobRunTrigger = 'schedule' | 'manual';

export interface JobRunsTable {
  id: Generated<number>;
  job_name: string;
  trigger: Generated<JobRunTrigger>;
  triggered_by: number | null;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  status: Generated<JobRunStatus>;
  summary: ColumnType<unknown, string | null | undefined, string | null>;
  error: string | null;
}

declare module './schema.js' {
  interface DB {
    job_runs: JobRunsTable;
  }
}
