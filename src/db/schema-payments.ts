/**
 * Kysely types of the payment tables (20261128T0300_payments.sql): receivables, ledger_entries,
 * payments, payment_allocations, cashier_shifts, payment_channels, channel_nonces,
 * late_fee_rule_sets, late_fee_accruals, late_fee_waivers, channel_statements(+items).
 * numeric -> string, int8 -> number, date -> 'YYYY-MM-DD'.
 */
import type { ColumnType, Generated } from 'kysely';
import type {} from './schema.js';

type Json = ColumnType<unknown, string | undefined, string>;
type NTs = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Ts = ColumnType<Date, Date | string | undefined, Date | string>;

export type ReceivableStatus = 'open' | 'settled' | 'written_off';
export type LedgerKind = 'bill' | 'adjustment' | 'late_fee' | 'payment' | 'refund' | 'write_off' | 'reversal';
export type PaymentMethod = 'cash' | 'card' | 'qr' | 'transfer' | 'prepaid';
export type PaymentStatus = 'posted' | 'reversed' | 'voided';
export type ShiftStatus = 'open' | 'closed' | 'approved' | 'rejected';

export interface LateFeeRuleSetsTable {
  id: Generated<number>;
  code: string;
  name: string;
  effective_from: string;
  residential_rate: string;
  other_current_rate: string;
  other_cross_year_rate: string;
  min_fee: string | null;
  status: Generated<'active' | 'retired'>;
  note: string | null;
  created_at: Generated<Date>;
}

export interface ReceivablesTable {
  id: Generated<number>;
  account_id: number;
  org_unit_id: number;
  source: 'bill' | 'adjustment';
  bill_id: number | null;
  period: string;
  customer_class: string;
  amount: string;
  due_date: string;
  principal_paid: Generated<string>;
  fee_charged: Generated<string>;
  fee_paid: Generated<string>;
  fee_through: string | null;
  waived_through: string | null;
  status: Generated<ReceivableStatus>;
  settled_at: NTs;
  memo: string | null;
  created_at: Generated<Date>;
}

export interface CashierShiftsTable {
  id: Generated<number>;
  collector_id: number;
  org_unit_id: number;
  status: Generated<ShiftStatus>;
  opened_at: Generated<Date>;
  closed_at: NTs;
  opening_float: Generated<string>;
  counted_cash: string | null;
  system_cash: string | null;
  difference: string | null;
  difference_reason: string | null;
  report: ColumnType<unknown, string | null | undefined, string | null>;
  approved_by: number | null;
  approved_at: NTs;
  approval_note: string | null;
}

export interface PaymentChannelsTable {
  code: string;
  name: string;
  kind: Generated<'bank' | 'online'>;
  secret_current: string;
  secret_previous: string | null;
  previous_valid_until: NTs;
  enabled: Generated<boolean>;
  notify_url: string | null;
  rotated_at: NTs;
  created_at: Generated<Date>;
}

export interface ChannelNoncesTable {
  channel_code: string;
  nonce: string;
  expires_at: Ts;
}

export interface PaymentsTable {
  id: Generated<number>;
  account_id: number;
  org_unit_id: number;
  channel: string;
  method: PaymentMethod;
  amount: string;
  currency: Generated<string>;
  idempotency_key: string;
  external_txn_id: string | null;
  request_hash: string;
  status: Generated<PaymentStatus>;
  shift_id: number | null;
  receipt_no: string | null;
  collector_id: number | null;
  received_at: Generated<Date>;
  pay_date: string;
  unallocated: Generated<string>;
  response: ColumnType<unknown, string | null | undefined, string | null>;
  reversed_at: NTs;
  reversal_reason: string | null;
  reconciled: 'matched' | 'resolved' | null;
}

export interface PaymentAllocationsTable {
  payment_id: number;
  receivable_id: number;
  account_id: number;
  fee: Generated<string>;
  principal: Generated<string>;
}

export interface LedgerEntriesTable {
  id: Generated<number>;
  account_id: number;
  kind: LedgerKind;
  component: 'principal' | 'fee' | null;
  amount: string;
  receivable_id: number | null;
  payment_id: number | null;
  entry_date: string;
  memo: string | null;
  created_at: Generated<Date>;
}

export interface LateFeeAccrualsTable {
  receivable_id: number;
  account_id: number;
  rule_set_id: number;
  from_date: string;
  as_of: string;
  days: number;
  days_cross_year: number;
  principal: string;
  amount: string;
  computed_at: Generated<Date>;
}

export interface LateFeeWaiversTable {
  id: Generated<number>;
  receivable_id: number;
  account_id: number;
  waive_through: string;
  reason: string;
  status: Generated<'requested' | 'approved' | 'rejected'>;
  requested_by: number | null;
  requested_at: Generated<Date>;
  decided_by: number | null;
  decided_at: NTs;
  decision_note: string | null;
}

export interface ChannelStatementsTable {
  id: Generated<number>;
  channel_code: string;
  statement_date: string;
  file_name: string | null;
  file_sha256: string;
  lines: Generated<number>;
  matched: Generated<number>;
  long_count: Generated<number>;
  short_count: Generated<number>;
  mismatch_count: Generated<number>;
  imported_by: number | null;
  imported_at: Generated<Date>;
}

export interface ChannelStatementItemsTable {
  id: Generated<number>;
  statement_id: number;
  kind: 'matched' | 'long' | 'short' | 'mismatch';
  idempotency_key: string | null;
  account_no: string | null;
  statement_amount: string | null;
  posted_amount: string | null;
  payment_id: number | null;
  resolution: 'posted' | 'reversed' | 'accepted' | 'channel_error' | null;
  resolution_note: string | null;
  resolved_by: number | null;
  resolved_at: NTs;
}

export type { Json as PaymentsJson };

declare module './schema.js' {
  interface DB {
    late_fee_rule_sets: LateFeeRuleSetsTable;
    receivables: ReceivablesTable;
    cashier_shifts: CashierShiftsTable;
    payment_channels: PaymentChannelsTable;
    channel_nonces: ChannelNoncesTable;
    payments: PaymentsTable;
    payment_allocations: PaymentAllocationsTable;
    ledger_entries: LedgerEntriesTable;
    late_fee_accruals: LateFeeAccrualsTable;
    late_fee_waivers: LateFeeWaiversTable;
    channel_statements: ChannelStatementsTable;
    channel_statement_items: ChannelStatementItemsTable;
  }
}
