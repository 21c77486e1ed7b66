/**
 * VEE rule sets (vee_rule_sets) and the missing-reading flag on reading_tasks, added by
 * 20261128T0030_vee_rule_sets.sql. params: threshold name -> number (see src/app/metering/rule-sets.ts).
 */
import type { ColumnType, Generated } from 'kysely';
import type {} from './schema.js';

export interface VeeRuleSetsTable {
  version: string;
  params: ColumnType<unknown, string, string>;
  status: Generated<'draft' | 'active' | 'retired'>;
  note: string | null;
  based_on: string | null;
  created_by: number | null;
  created_at: Generated<Date>;
  activated_by: number | null;
  activated_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  retired_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

declare module './schema.js' {
  interface DB {
    vee_rule_sets: VeeRuleSetsTable;
  }
  interface ReadingTasksTable {
    missing_flagged_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  }
}
