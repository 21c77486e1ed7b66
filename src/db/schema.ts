/**
 * Kysely table types. numeric -> string (exact), int8 -> number, date -> 'YYYY-MM-DD'.
 * Keep in step with src/db/migrations/*.sql. Modules add their tables in their own
 * interface and extend DB here.
 */
import type { ColumnType, Generated } from 'kysely';

type Id = Generated<number>;
type Ts = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string, string>;

export interface OrgUnitsTable {
  id: Id;
  parent_id: number | null;
  code: string;
  name: string;
  name_en: string | null;
  kind: 'company' | 'county' | 'station' | 'hall';
  path: Generated<string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface RolesTable {
  code: string;
  name_zh: string;
  name_en: string;
  permissions: string[];
  builtin: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface UsersTable {
  id: Id;
  username: string;
  display_name: string;
  password_hash: string;
  org_unit_id: number;
  roles: string[];
  status: Generated<'active' | 'disabled'>;
  failed_logins: Generated<number>;
  locked_until: Date | null;
  last_login_at: Date | null;
  password_changed_at: Generated<Date>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SessionsTable {
  id: string;
  user_id: number;
  created_at: Generated<Date>;
  expires_at: Ts;
  last_seen_at: Generated<Date>;
  ip: string | null;
  user_agent: string | null;
}

export interface ApiTokensTable {
  id: Id;
  user_id: number;
  name: string;
  token_hash: string;
  created_at: Generated<Date>;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface LoginAttemptsTable {
  id: Id;
  username: string;
  ip: string | null;
  ok: boolean;
  at: Generated<Date>;
}

export interface AuditEventsTable {
  id: Id;
  occurred_at: Ts;
  actor_id: number | null;
  actor_name: string;
  action: string;
  entity_type: string;
  entity_id: string | null;
  org_unit_id: number | null;
  before: Json | null;
  after: Json | null;
  request_id: string | null;
  ip: string | null;
  prev_hash: string;
  hash: string;
  /** which hash chain the event is on (0..63; see migration 20261128T0510) */
  chain: Generated<number>;
}

export interface AuditChainHeadTable {
  id: number;
  last_id: number;
  last_hash: string;
}

export interface FeedersTable {
  id: Id;
  code: string;
  name: string;
  voltage_level: string;
  org_unit_id: number;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface TransformerAreasTable {
  id: Id;
  code: string;
  name: string;
  feeder_id: number;
  org_unit_id: number;
  transformer_name: string;
  capacity_kva: string;
  ownership: 'public' | 'private';
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ReadingRoutesTable {
  id: Id;
  code: string;
  name: string;
  org_unit_id: number;
  reading_day: number;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CustomersTable {
  id: Id;
  customer_no: string;
  kind: 'person' | 'enterprise';
  name: string;
  id_type: string;
  id_number: string;
  phone: string | null;
  address: string | null;
  org_unit_id: number;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AccountsTable {
  id: Id;
  account_no: string;
  customer_id: number;
  org_unit_id: number;
  name: string;
  phone: string | null;
  address: string;
  customer_class: string;
  voltage_level: string;
  tariff_code: string | null;
  contract_capacity_kva: Generated<string>;
  contract_demand_kw: string | null;
  basic_charge_method: Generated<string>;
  pf_standard: string | null;
  household_size: Generated<number>;
  shared_meter: Generated<boolean>;
  payment_mode: Generated<'postpaid' | 'prepaid'>;
  reading_route_id: number | null;
  transformer_area_id: number | null;
  status: Generated<'active' | 'suspended' | 'closed'>;
  opened_on: string;
  closed_on: string | null;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AccountVersionsTable {
  id: Id;
  account_id: number;
  effective_from: string;
  effective_to: string | null;
  attributes: Json;
  reason: string | null;
  changed_by: number | null;
  changed_at: Generated<Date>;
}

export interface MeteringPointsTable {
  id: Id;
  account_id: number;
  code: string;
  name: string;
  voltage_level: string;
  energy_scale: Generated<number>;
  status: Generated<'active' | 'removed'>;
  created_at: Generated<Date>;
}

export interface MetersTable {
  id: Id;
  asset_no: string;
  comm_address: string;
  meter_type: string;
  manufacturer: string | null;
  registers: string[];
  digits: Generated<number>;
  decimals: Generated<number>;
  ct_primary: Generated<string>;
  ct_secondary: Generated<string>;
  pt_primary: Generated<string>;
  pt_secondary: Generated<string>;
  multiplier: string;
  status: Generated<'stock' | 'installed' | 'removed'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface MeterInstallationsTable {
  id: Id;
  metering_point_id: number;
  account_id: number;
  meter_id: number;
  installed_on: string;
  removed_on: string | null;
  initial_readings: Json;
  final_readings: Json | null;
  reason: string | null;
}

export interface SettingsTable {
  key: string;
  value: Json;
  updated_at: Generated<Date>;
}

export interface CustomerLoginsTable {
  user_id: number;
  account_id: number;
}

export interface TariffVersionsTable {
  id: Id;
  code: string;
  version: string;
  name_zh: string;
  name_en: string;
  province: string;
  customer_classes: string[];
  voltage_levels: string[];
  effective_from: string;
  effective_to: string | null;
  document: Json;
  warnings: Json;
  status: Generated<'draft' | 'active' | 'retired'>;
  created_by: number | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ReadingTasksTable {
  id: Id;
  route_id: number;
  billing_period: string;
  account_id: number;
  meter_id: number;
  metering_point_id: number;
  due_date: string;
  sequence: number;
  status: Generated<'pending' | 'read' | 'exception' | 'skipped'>;
  assigned_to: number | null;
  exception_code: string | null;
  read_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface RegisterReadingsTable {
  id: Id;
  account_id: number;
  meter_id: number;
  metering_point_id: number;
  register: string;
  read_at: Ts;
  billing_period: string;
  value: string | null;
  consumption: string | null;
  source: 'manual' | 'phone' | 'import' | 'headend' | 'estimate' | 'exchange';
  quality_flags: Generated<string[]>;
  exception_code: string | null;
  status: 'pending_review' | 'accepted' | 'rejected' | 'estimated' | 'replaced';
  rule_results: Json;
  rule_set_version: string | null;
  client_id: string | null;
  photo_ref: string | null;
  gps_lat: string | null;
  gps_lon: string | null;
  entered_by: number | null;
  original_value: string | null;
  review_reason: string | null;
  reviewed_by: number | null;
  reviewed_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface DailyFrozenReadingsTable {
  account_id: number;
  meter_id: number;
  day: string;
  registers: Json;
  source: Generated<string>;
  quality_flags: Generated<string[]>;
  created_at: Generated<Date>;
}

export interface DB {
  customer_logins: CustomerLoginsTable;
  org_units: OrgUnitsTable;
  roles: RolesTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  login_attempts: LoginAttemptsTable;
  audit_events: AuditEventsTable;
  audit_chain_head: AuditChainHeadTable;
  feeders: FeedersTable;
  transformer_areas: TransformerAreasTable;
  reading_routes: ReadingRoutesTable;
  customers: CustomersTable;
  accounts: AccountsTable;
  account_versions: AccountVersionsTable;
  metering_points: MeteringPointsTable;
  meters: MetersTable;
  meter_installations: MeterInstallationsTable;
  settings: SettingsTable;
  tariff_versions: TariffVersionsTable;
  reading_tasks: ReadingTasksTable;
  register_readings: RegisterReadingsTable;
  daily_frozen_readings: DailyFrozenReadingsTable;
}
