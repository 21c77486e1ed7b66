/**
 * Kysely types of the billing tables (20261128T0100_billing.sql): billing_runs,
 * billing_run_partitions, bills, bill_lines. numeric -> string, int8 -> number.
 */
import type { ColumnType, Generated } from 'kysely';
import type {} from './schema.js';

type Json = ColumnType<unknown, string, string>;
type Ts = ColumnType<Date, Date | string | undefined, Date | string>;
type NTs = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type BillingRunStatus = 'created' | 'running' | 'review' | 'completed' | 'failed' | 'cancelled';
export type BillStatus = 'calculated' | 'review' | 'held' | 'approved' | 'issued' | 'sent_back' | 'cancelled';

export interface BillingRunsTable {
  id: Generated<number>;
  period: string;
  scope: Json;
  filter: Json;
  scope_key: string;
  trial: Generated<boolean>;
  status: Generated<BillingRunStatus>;
  total_accounts: Generated<number>;
  partitions: Generated<number>;
  bills: Generated<number>;
  exceptions: Generated<number>;
  flagged: Generated<number>;
  skipped: Generated<number>;
  energy_kwh: Generated<string>;
  amount_total: Generated<string>;
  reading_cutoff: Ts;
  options: ColumnType<unknown, string | undefined, string>;
  started_by: number | null;
  created_at: Generated<Date>;
  started_at: NTs;
  finished_at: NTs;
  issued_at: NTs;
  updated_at: Generated<Date>;
  error: string | null;
}

export interface BillingRunPartitionsTable {
  run_id: number;
  part_no: number;
  account_from: number;
  account_to: number;
  accounts: number;
  status: Generated<'pending' | 'claimed' | 'done'>;
  claimed_by: string | null;
  claimed_at: NTs;
  heartbeat_at: NTs;
  attempts: Generated<number>;
  bills: Generated<number>;
  exceptions: Generated<number>;
  flagged: Generated<number>;
  skipped: Generated<number>;
  energy_kwh: Generated<string>;
  amount_total: Generated<string>;
  finished_at: NTs;
}

export interface BillsTable {
  id: Generated<number>;
  account_id: number;
  run_id: number;
  period: string;
  trial: Generated<boolean>;
  status: BillStatus;
  org_unit_id: number;
  account_no: string;
  customer_class: string;
  tariff_codes: Generated<string[]>;
  tariff_refs: ColumnType<unknown, string | undefined, string>;
  period_start: string | null;
  period_end: string | null;
  days: number | null;
  energy_kwh: Generated<string>;
  amount_total: Generated<string>;
  determinants: ColumnType<unknown, string | undefined, string>;
  review_flags: Generated<string[]>;
  exception_code: string | null;
  warnings: ColumnType<unknown, string | undefined, string>;
  due_date: string | null;
  approved_by: number | null;
  approved_at: NTs;
  issued_at: NTs;
  action_reason: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface BillLinesTable {
  account_id: number;
  bill_id: number;
  line_no: number;
  code: string;
  name_zh: string;
  name_en: string;
  quantity: string;
  unit: string;
  unit_price: string;
  amount: string;
  segment: number | null;
  rule: string | null;
}

declare module './schema.js' {
  interface DB {
    billing_runs: BillingRunsTable;
    billing_run_partitions: BillingRunPartitionsTable;
    bills: BillsTable;
    bill_lines: BillLinesTable;
  }
}
