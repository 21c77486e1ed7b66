/**
 * Service requests (业扩报装与变更用电), added by 20261128T0200_service_requests.sql.
 * date -> 'YYYY-MM-DD' strings, jsonb written as JSON strings.
 */
import type { ColumnType, Generated } from 'kysely';
import type {} from './schema.js';

type Json = ColumnType<unknown, string, string>;
type JsonDefault = ColumnType<unknown, string | undefined, string>;
type TsNull = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface HolidayCalendarTable {
  day: string;
  kind: 'holiday' | 'workday';
  name: string;
  source: string;
  updated_by: number | null;
  updated_at: Generated<Date>;
}

export interface SlaProfilesTable {
  code: string;
  name: string;
  params: Json;
  active: Generated<boolean>;
  created_by: number | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type RequestStatus = 'open' | 'completed' | 'rejected' | 'cancelled';

export interface ServiceRequestsTable {
  id: Generated<number>;
  request_no: string;
  type: string;
  status: Generated<RequestStatus>;
  stage: string;
  channel: 'counter' | 'portal';
  org_unit_id: number;
  account_id: number | null;
  customer_id: number | null;
  applicant_name: string;
  applicant_phone: string | null;
  data: JsonDefault;
  received_on: string;
  promised_on: string | null;
  paused: Generated<boolean>;
  assignee_id: number | null;
  effects: JsonDefault;
  completed_on: string | null;
  rating: number | null;
  rating_comment: string | null;
  rated_at: TsNull;
  created_by: number | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface RequestStagesTable {
  id: Generated<number>;
  request_id: number;
  org_unit_id: number;
  seq: number;
  stage: string;
  entered_on: string;
  entered_at: Generated<Date>;
  sla_days: number | null;
  sla_unit: 'working' | 'calendar' | null;
  due_on: string | null;
  pauses: JsonDefault;
  assignee_id: number | null;
  completed_on: string | null;
  completed_at: TsNull;
  decision: 'pass' | 'return' | 'reject' | 'cancel' | null;
  reason: string | null;
  actor_id: number | null;
  actor_name: string | null;
  form: ColumnType<unknown, string | null | undefined, string | null>;
  on_time: boolean | null;
  warned_at: TsNull;
  alerted_at: TsNull;
}

export interface RequestDocumentsTable {
  id: Generated<number>;
  request_id: number;
  stage: string;
  kind: string;
  file_name: string;
  content_type: string;
  size_bytes: number;
  sha256: string | null;
  content: Uint8Array | null;
  reference: string | null;
  uploaded_by: number | null;
  uploaded_at: Generated<Date>;
}

export interface NotificationsTable {
  id: Generated<number>;
  request_id: number | null;
  account_id: number | null;
  audience: 'customer' | 'staff';
  channel: string;
  recipient: string | null;
  event: string;
  message_zh: string;
  message_en: string;
  created_at: Generated<Date>;
  read_at: TsNull;
}

declare module './schema.js' {
  interface DB {
    holiday_calendar: HolidayCalendarTable;
    sla_profiles: SlaProfilesTable;
    service_requests: ServiceRequestsTable;
    request_stages: RequestStagesTable;
    request_documents: RequestDocumentsTable;
    notifications: NotificationsTable;
  }
}
