/**
 * Kysely types of the prepaid and cut-off tables (20261128T0450_prepaid_cutoff.sql):
 * prepaid_plans, prepaid_deductions, payment_reminders, cutoff_orders, cutoff_notices,
 * cutoff_order_events. numeric -> string, int8 -> number, date -> 'YYYY-MM-DD'.
 */
import type { ColumnType, Generated } from 'kysely';
import type {} from './schema.js';

type Json = ColumnType<unknown, string | null | undefined, string | null>;
type NTs = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Ts = ColumnType<Date, Date | string | undefined, Date | string>;

export type CutoffKind = 'cutoff' | 'reconnect';
export type CutoffState = 'created' | 'notice_sent' | 'scheduled' | 'executed' | 'closed' | 'cancelled';
export type NoticeMethod = 'in_person' | 'posted' | 'sms' | 'app' | 'phone' | 'registered_mail';

export interface PrepaidPlansTable {
  account_id: number;
  org_unit_id: number;
  status: Generated<'active' | 'ended'>;
  start_day: string;
  alert_balance: string | null;
  cutoff_floor: string | null;
  energy_source: Generated<'auto' | 'frozen' | 'interval'>;
  alert_state: Generated<'normal' | 'reminded' | 'cutoff'>;
  last_deducted_day: string | null;
  created_by: number | null;
  created_at: Generated<Date>;
  updated_at: Ts;
}

export interface PrepaidDeductionsTable {
  id: Generated<number>;
  account_id: number;
  org_unit_id: number;
  day: string;
  source: 'frozen' | 'interval';
  kwh: string;
  tou: Json;
  ladder_prev_cum: Generated<string>;
  tariff_code: string;
  amount: string;
  lines: ColumnType<unknown, string, string>;
  ledger_entry_id: number | null;
  balance_after: string;
  created_at: Generated<Date>;
}

export interface PaymentRemindersTable {
  id: Generated<number>;
  account_id: number;
  org_unit_id: number;
  kind: 'low_balance' | 'cutoff_pending' | 'cutoff_notice' | 'reconnected' | 'arrears';
  channel: Generated<'sms' | 'app'>;
  recipient: string | null;
  body: string;
  balance: string | null;
  status: Generated<'queued' | 'sent' | 'failed'>;
  created_at: Generated<Date>;
}

export interface CutoffOrdersTable {
  id: Generated<number>;
  kind: CutoffKind;
  account_id: number;
  org_unit_id: number;
  reason: 'arrears' | 'prepaid' | 'debt_cleared';
  state: Generated<CutoffState>;
  amount_owed: string | null;
  scheduled_at: NTs;
  executed_at: NTs;
  closed_at: NTs;
  cancelled_at: NTs;
  cancel_reason: string | null;
  cutoff_order_id: number | null;
  cleared_at: NTs;
  due_by: NTs;
  command: Json;
  created_by: number | null;
  created_at: Ts;
  updated_at: Ts;
}

export interface CutoffNoticesTable {
  id: Generated<number>;
  order_id: number;
  kind: 'notice' | 'renotice';
  method: NoticeMethod;
  evidence: string;
  delivered_at: Ts;
  recorded_by: number | null;
  recorded_at: Generated<Date>;
}

export interface CutoffOrderEventsTable {
  id: Generated<number>;
  order_id: number;
  from_state: string | null;
  to_state: string;
  action: string;
  note: string | null;
  actor_id: number | null;
  actor_name: string;
  at: Ts;
}

declare module './schema.js' {
  interface DB {
    prepaid_plans: PrepaidPlansTable;
    prepaid_deductions: PrepaidDeductionsTable;
    payment_reminders: PaymentRemindersTable;
    cutoff_orders: CutoffOrdersTable;
    cutoff_notices: CutoffNoticesTable;
    cutoff_order_events: CutoffOrderEventsTable;
  }
}
