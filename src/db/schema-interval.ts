/**
 * Kysely types for 15-minute interval data (migration 20261128T0040_interval_readings.sql).
 * numeric -> string (exact), int8 -> number.
 */
import type { ColumnType, Generated } from 'kysely';
import type {} from './schema.js';

export interface IntervalReadingsTable {
  account_id: number;
  meter_id: number;
  /** start of the 15-minute interval */
  ts: ColumnType<Date, Date | string, Date | string>;
  /** kWh in the interval after the multiplier, 4 decimals */
  energy_kwh: string;
  kvarh: string | null;
  quality_flags: Generated<string[]>;
  source: Generated<'headend' | 'import' | 'estimate'>;
  created_at: Generated<Date>;
}

declare module './schema.js' {
  interface DB {
    interval_readings: IntervalReadingsTable;
  }
}
