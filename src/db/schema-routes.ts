/**
 * Columns added to reading_routes (抄表段) by 20261128T0010_reading_routes_reader.sql: the
 * assigned meter reader, active/inactive, and the optimistic-locking version.
 */
import type { Generated } from 'kysely';
import type {} from './schema.js';

declare module './schema.js' {
  interface ReadingRoutesTable {
    reader_user_id: number | null;
    status: Generated<'active' | 'inactive'>;
    version: Generated<number>;
  }
}
