/**
 * What VEE needs from the database for a set of metering points: installations (meter, digits,
 * multiplier, initial/final readings) and recent accepted/estimated readings. Loaded once per
 * batch, then answered in memory.
 */
import { sql } from 'kysely';
import type { Q } from '../context.js';
import type { HistoryPoint } from '../../domain/metering/vee.js';

export interface Installation {
  id: number;
  metering_point_id: number;
  account_id: number;
  meter_id: number;
  installed_on: string;
  removed_on: string | null;
  initial_readings: Record<string, string>;
  final_readings: Record<string, string> | null;
  asset_no: string;
  digits: number;
  decimals: number;
  multiplier: string;
  registers: string[];
}

export interface StoredReading {
  id: number;
  meter_id: number;
  metering_point_id: number;
  register: string;
  read_at: Date;
  value: string;
  consumption: string | null;
  status: string;
}

/** 00:00 Asia/Shanghai of a calendar day */
export function dayStart(day: string): Date {
  return new Date(`${day}T00:00:00+08:00`);
}

/** Asia/Shanghai calendar day of an instant */
export function shanghaiDay(t: Date): string {
  return new Date(t.getTime() + 8 * 3600_000).toISOString().slice(0, 10);
}

export const HISTORY_DEPTH = 13;

export class Baselines {
  private inst = new Map<number, Installation[]>();
  private reads = new Map<string, StoredReading[]>();

  static async load(q: Q, meteringPointIds: number[]): Promise<Baselines> {
    const b = new Baselines();
    const ids = [...new Set(meteringPointIds)];
    if (!ids.length) return b;
    const inst = await q.selectFrom('meter_installations').innerJoin('meters', 'meters.id', 'meter_installations.meter_id')
      .select(['meter_installations.id', 'metering_point_id', 'account_id', 'meter_id', 'installed_on', 'removed_on', 'initial_readings', 'final_readings',
        'meters.asset_no', 'meters.digits', 'meters.decimals', 'meters.multiplier', 'meters.registers'])
      .where(sql<boolean>`metering_point_id = any(${ids}::int8[])`).orderBy('installed_on').orderBy('meter_installations.id').execute();
    for (const i of inst) {
      const list = b.inst.get(i.metering_point_id) ?? [];
      list.push(i as unknown as Installation);
      b.inst.set(i.metering_point_id, list);
    }
    const rows = await sql<StoredReading>`
      select id, meter_id, metering_point_id, register, read_at, value, consumption, status from (
        select r.*, row_number() over (partition by metering_point_id, register order by read_at desc) as rn
        from register_readings r
        where (account_id, metering_point_id) in (select account_id, id from metering_points where id = any(${ids}::int8[])) and status in ('accepted','estimated') and value is not null
      ) x where rn <= ${HISTORY_DEPTH} order by read_at`.execute(q);
    for (const r of rows.rows) {
      if (!(r.read_at instanceof Date)) r.read_at = new Date(r.read_at);
      b.add(r);
    }
    return b;
  }

  /** add a reading to its register's list, kept in read_at order (rows mostly come in order) */
  add(r: StoredReading) {
    const k = `${r.metering_point_id}:${r.register}`;
    const list = this.reads.get(k);
    if (!list) {
      this.reads.set(k, [r]);
      return;
    }
    const t = r.read_at.getTime();
    let i = list.length;
    while (i > 0 && list[i - 1].read_at.getTime() > t) i--;
    list.splice(i, 0, r);
  }

  installations(mpId: number): Installation[] {
    return this.inst.get(mpId) ?? [];
  }

  /** the installation on a metering point in force at an instant (the newer one on an exchange day) */
  installationAt(mpId: number, at: Date): Installation | undefined {
    const day = shanghaiDay(at);
    const list = this.installations(mpId).filter((i) => i.installed_on <= day && (i.removed_on === null || day < i.removed_on));
    return list[list.length - 1] ?? this.installations(mpId).filter((i) => i.removed_on === null).at(-1);
  }

  /**
   * The previous value of a register for a reading on `meterId` at `at`: the latest
   * accepted/estimated reading on the metering point before `at` if it was on this meter;
   * otherwise the meter's initial reading at installation, plus the replaced meter's
   * consumption (old final - its last reading) x old multiplier when the last reading was on it.
   */
  previous(mpId: number, meterId: number, register: string, at: Date, excludeId?: number): {
    previous: { value: string; readAt: Date } | null; previousEstimated?: boolean; exchange: { oldMeterId: number; from: string; final: string; multiplier: string; digits: number } | null; history: HistoryPoint[];
  } {
    // the readings before `at` (the list is in read_at order), without excludeId
    const list = this.reads.get(`${mpId}:${register}`);
    const all: StoredReading[] = [];
    if (list) {
      const t = at.getTime();
      let end = list.length;
      while (end > 0 && list[end - 1].read_at.getTime() >= t) end--;
      for (let i = 0; i < end; i++) if (list[i].id !== excludeId) all.push(list[i]);
    }
    const last = all.at(-1);
    const history: HistoryPoint[] = [];
    for (let i = all.length - 1; i > 0 && history.length < 3; i--) {
      if (all[i].consumption === null || all[i].meter_id !== all[i - 1].meter_id) continue;
      history.push({ kwh: all[i].consumption!, days: (all[i].read_at.getTime() - all[i - 1].read_at.getTime()) / 86_400_000 });
    }
    if (last && last.meter_id === meterId) return { previous: { value: last.value, readAt: last.read_at }, previousEstimated: last.status === 'estimated', exchange: null, history };
    const day = shanghaiDay(at);
    const cur = this.installations(mpId).find((i) => i.meter_id === meterId && i.installed_on <= day) ?? this.installations(mpId).find((i) => i.meter_id === meterId);
    if (!cur) return { previous: last ? { value: last.value, readAt: last.read_at } : null, exchange: null, history };
    const initial = cur.initial_readings?.[register];
    const previous = initial !== undefined ? { value: initial, readAt: dayStart(cur.installed_on) } : null;
    let exchange = null;
    if (last && previous) {
      const old = this.installations(mpId).find((i) => i.meter_id === last.meter_id && i.removed_on !== null && i.removed_on <= cur.installed_on);
      const fin = old?.final_readings?.[register];
      if (old && fin !== undefined) exchange = { oldMeterId: old.meter_id, from: last.value, final: fin, multiplier: old.multiplier, digits: old.digits };
    }
    return { previous, exchange, history };
  }
}
