/**
 * Kysely types of 20261128T0400_closure_messaging.sql: refunds (退费) and message_outbox
 * (outbound SMS). numeric -> string, int8 -> number, jsonb written as JSON strings.
 */
import type { ColumnType, Generated } from 'kysely';
import type {} from './schema.js';

type JsonDefault = ColumnType<unknown, string | undefined, string>;
type TsNull = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type TsDefault = ColumnType<Date, Date | string | undefined, Date | string>;

export type RefundStatus = 'pending' | 'paid';
export type RefundMethod = 'cash' | 'transfer' | 'original';

export interface RefundsTable {
  id: Generated<number>;
  account_id: number;
  org_unit_id: number;
  service_request_id: number | null;
  final_bill_id: number | null;
  amount: string;
  method: RefundMethod;
  payee_name: string;
  payee_bank: string | null;
  payee_account: string | null;
  payee_phone: string | null;
  status: Generated<RefundStatus>;
  ledger_entry_id: number;
  reason: string;
  created_by: number | null;
  created_at: Generated<Date>;
  paid_by: number | null;
  paid_at: TsNull;
  paid_reference: string | null;
  paid_note: string | null;
}

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

export interface MessageOutboxTable {
  id: Generated<number>;
  channel: Generated<'sms'>;
  recipient_phone: string;
  template_code: string;
  params: JsonDefault;
  text_zh: string;
  text_en: string | null;
  source_type: string | null;
  source_id: string | null;
  notification_id: number | null;
  status: Generated<OutboxStatus>;
  attempts: Generated<number>;
  next_attempt_at: TsDefault;
  lease_until: TsNull;
  last_error: string | null;
  gateway_message_id: string | null;
  created_at: Generated<Date>;
  sent_at: TsNull;
  updated_at: TsDefault;
}

declare module './schema.js' {
  interface DB {
    refunds: RefundsTable;
    message_outbox: MessageOutboxTable;
  }
}
