/**
 * Kysely types of the rebilling tables (20261128T0420_bill_adjustments.sql): bill_adjustments,
 * bill_adjustment_lines. numeric -> string, int8 -> number.
 */
import type { ColumnType, Generated } from 'kysely';
import type {} from './schema.js';

type JsonCol = ColumnType<unknown, string | undefined, string>;
type NTs = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type AdjustmentStatus = 'draft' | 'submitted' | 'approved' | 'rejected' | 'posted';
export type AdjustmentReason = 'reading_error' | 'multiplier_error' | 'tariff_error' | 'other';

export interface BillAdjustmentsTable {
  id: Generated<number>;
  account_id: number;
  org_unit_id: number;
  account_no: string;
  customer_class: string;
  status: Generated<AdjustmentStatus>;
  reason_category: AdjustmentReason;
  reason: string;
  corrections: JsonCol;
  periods: string[];
  bill_ids: number[];
  detail: JsonCol;
  warnings: JsonCol;
  original_total: string;
  corrected_total: string;
  amount_total: string;
  approval_threshold: string;
  requires_second_approval: boolean;
  created_by: number | null;
  created_at: Generated<Date>;
  submitted_by: number | null;
  submitted_at: NTs;
  approved_by: number | null;
  approved_at: NTs;
  approval_note: string | null;
  rejected_by: number | null;
  rejected_at: NTs;
  reject_reason: string | null;
  posted_by: number | null;
  posted_at: NTs;
  receivable_id: number | null;
  ledger_entry_id: number | null;
  updated_at: Generated<Date>;
}

export interface BillAdjustmentLinesTable {
  adjustment_id: number;
  line_no: number;
  bill_id: number;
  period: string;
  code: string;
  name_zh: string;
  name_en: string;
  segment: number | null;
  unit: string;
  original_quantity: string | null;
  corrected_quantity: string | null;
  original_unit_price: string | null;
  corrected_unit_price: string | null;
  original_amount: string;
  corrected_amount: string;
  difference: string;
  direction: 'debit' | 'credit' | 'none';
}

declare module './schema.js' {
  interface DB {
    bill_adjustments: BillAdjustmentsTable;
    bill_adjustment_lines: BillAdjustmentLinesTable;
  }
}
