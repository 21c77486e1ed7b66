/**
 * Automated collection (采集) tables from 20261128T0020_collection.sql: concentrators, how a
 * meter is reached (concentrator or direct endpoint), read profiles per meter type, runs and
 * per-meter results.
 */
import type { ColumnType, Generated } from 'kysely';
import type {} from './schema.js';

type Json = ColumnType<unknown, string, string>;

export interface ConcentratorsTable {
  id: Generated<number>;
  code: string;
  name: string | null;
  org_unit_id: number;
  transformer_area_id: number | null;
  host: string | null;
  port: number | null;
  status: Generated<'active' | 'inactive' | 'faulty'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface MeterReadProfilesTable {
  meter_type: string;
  dis: string[];
  register_map: Json;
  daily_frozen: Generated<boolean>;
  monthly_frozen: Generated<boolean>;
  updated_at: Generated<Date>;
}

export interface CollectionRunsTable {
  id: Generated<number>;
  kind: 'scheduled' | 'on_demand';
  scope: Json;
  data_day: string;
  status: Generated<'running' | 'completed' | 'failed' | 'cancelled'>;
  started_at: Generated<Date>;
  finished_at: Date | null;
  started_by: number | null;
  org_path: Generated<string>;
  total: Generated<number>;
  ok: Generated<number>;
  failed: Generated<number>;
  error: string | null;
}

export interface CollectionResultsTable {
  run_id: number;
  meter_id: number;
  account_id: number | null;
  route_id: number | null;
  ok: boolean;
  reason: string | null;
  attempts: Generated<number>;
  ms: Generated<string>;
  values: Json;
  read_at: Generated<Date>;
}

declare module './schema.js' {
  interface MetersTable {
    concentrator_id: number | null;
    comm_host: string | null;
    comm_port: number | null;
  }
  interface DB {
    concentrators: ConcentratorsTable;
    meter_read_profiles: MeterReadProfilesTable;
    collection_runs: CollectionRunsTable;
    collection_results: CollectionResultsTable;
  }
}
