/**
 * 15-minute interval data, on PGlite and (with DATABASE_URL) PostgreSQL: monthly partitions
 * created on demand (rows parked in the default partition are moved), ingest where bad rows are
 * refused one by one without losing the good ones, re-sends replace, and the per-account query
 * with daily sums, permission and data scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { ensureIntervalPartitions, ingestIntervals, partitionName, type IntervalInput } from '../../src/app/metering/intervals.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';

const Q = 15 * 60_000;

describe.each(engines())('interval data on %s', (engine) => {
  let t: TestApp;
  let mine: { id: number; meter_id: number };
  let other: { id: number; meter_id: number };
  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 40 });
    const rows = await t.db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id')
      .innerJoin('meter_installations as mi', 'mi.account_id', 'a.id').select(['a.id', 'mi.meter_id', 'o.code']).orderBy('a.id').execute();
    mine = rows.find((r) => r.code === 'ST01')!;
    other = rows.find((r) => r.code === 'ST02')!;
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  const parts = async () => (await sql<{ relname: string }>`select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
    join pg_class p on p.oid = i.inhparent where p.relname = 'interval_readings' order by 1`.execute(t.db.kysely)).rows.map((r) => r.relname);

  it('creates monthly partitions for a range (Asia/Shanghai months), idempotently, moving parked rows out of the default partition', async () => {
    // a row for a month without a partition lands in the default partition
    await sql`insert into interval_readings (account_id, meter_id, ts, energy_kwh) values (${mine.id}, ${mine.meter_id}, '2021-03-31 23:45:00+08', 1.5)`.execute(t.db.kysely);
    const where = async () => (await sql<{ p: string }>`select tableoid::regclass::text as p from interval_readings where account_id = ${mine.id} and ts = '2021-03-31 23:45:00+08'`.execute(t.db.kysely)).rows[0].p;
    expect(await where()).toBe('interval_readings_default');
    const created = await ensureIntervalPartitions(t.db, '2021-02-15', '2021-04-01T00:30:00+08:00');
    expect(created).toEqual([partitionName('2021-02'), partitionName('2021-03'), partitionName('2021-04')]);
    expect(await where()).toBe('interval_readings_p202103');
    expect(await ensureIntervalPartitions(t.db, '2021-03-01', '2021-03-31')).toEqual([]);
    expect(await parts()).toEqual(expect.arrayContaining(['interval_readings_default', 'interval_readings_p202102', 'interval_readings_p202103', 'interval_readings_p202104']));
    // the month boundary is local midnight: 2021-03-31T16:00Z is 2021-04-01 00:00 in Shanghai
    await sql`insert into interval_readings (account_id, meter_id, ts, energy_kwh) values (${mine.id}, ${mine.meter_id}, '2021-03-31T16:00:00Z', 2)`.execute(t.db.kysely);
    expect((await sql<{ p: string }>`select tableoid::regclass::text as p from interval_readings where ts = '2021-03-31T16:00:00Z'`.execute(t.db.kysely)).rows[0].p).toBe('interval_readings_p202104');
  });

  it('ingests good rows and refuses each bad row with its index and field, without losing the good ones', async () => {
    const day0 = Date.parse('2026-11-02T00:00:00+08:00');
    const now = new Date('2026-11-27T12:00:00+08:00');
    const good: IntervalInput[] = Array.from({ length: 96 }, (_, k) => ({ meterId: mine.meter_id, ts: new Date(day0 + k * Q).toISOString(), kwh: (1 + (k % 7) * 0.125).toFixed(4), kvarh: '0.2500' }));
    const rows: IntervalInput[] = [
      ...good.slice(0, 50),
      { meterId: mine.meter_id, ts: new Date(day0 + 7 * 60_000).toISOString(), kwh: '1' }, // 50 not on a 15-minute boundary
      { meterId: mine.meter_id, ts: '2026-11-03 00:00', kwh: '-1' }, // 51 negative
      { meterId: 99_999_999, ts: '2026-11-03 00:15', kwh: '1' }, // 52 unknown meter
      { meterId: mine.meter_id, ts: '2026-11-28 00:00', kwh: '1' }, // 53 future
      { meterId: mine.meter_id, ts: good[3].ts, kwh: '9' }, // 54 duplicate in batch
      { meterId: mine.meter_id, ts: '2026-11-03 00:30', kwh: '1.00001' }, // 55 too many decimals
      { meterId: mine.meter_id, accountId: other.id, ts: '2026-11-03 00:45', kwh: '1' }, // 56 account mismatch
      { meterId: mine.meter_id, ts: 'yesterday', kwh: '1' }, // 57 bad timestamp
      { meterId: mine.meter_id, ts: '2026-11-03 01:00', kwh: '1', flags: ['NOPE'] }, // 58 bad flag
      ...good.slice(50),
    ];
    const r = await ingestIntervals(t.db, rows, { now });
    expect(r.received).toBe(rows.length);
    expect(r.rejected.map((x) => [x.index, x.field, x.reason])).toEqual([
      [50, 'rows.50.ts', 'NOT_15_MIN'], [51, 'rows.51.kwh', 'BAD_ENERGY'], [52, 'rows.52.meterId', 'UNKNOWN_METER'], [53, 'rows.53.ts', 'FUTURE_TIMESTAMP'],
      [54, 'rows.54.ts', 'DUPLICATE'], [55, 'rows.55.kwh', 'BAD_ENERGY'], [56, 'rows.56.accountId', 'ACCOUNT_MISMATCH'], [57, 'rows.57.ts', 'BAD_TIMESTAMP'], [58, 'rows.58.flags', 'BAD_FLAG'],
    ]);
    expect(r).toMatchObject({ inserted: 96, updated: 0, stored: 96 });
    expect(r.partitionsCreated).toContain('interval_readings_p202611');
    const n = await t.db.kysely.selectFrom('interval_readings').select((eb) => eb.fn.countAll<number>().as('n')).where('meter_id', '=', mine.meter_id).where('ts', '>=', new Date(day0)).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(96);
    // re-send: equal rows are unchanged, a corrected one replaces the stored value
    const again = await ingestIntervals(t.db, [good[0], { ...good[1], kwh: '7.7700', flags: ['ESTIMATED'] }], { now });
    expect(again).toMatchObject({ inserted: 0, updated: 1, unchanged: 1, rejected: [] });
    const v = await t.db.kysely.selectFrom('interval_readings').select(['energy_kwh', 'quality_flags', 'source']).where('meter_id', '=', mine.meter_id).where('ts', '=', new Date(good[1].ts as string)).executeTakeFirstOrThrow();
    expect(v).toMatchObject({ energy_kwh: '7.7700', quality_flags: ['ESTIMATED'] });
    expect((await verifyAudit(t.db)).ok).toBe(true);
    const audit = await t.db.kysely.selectFrom('audit_events').select(['action']).where('action', '=', 'interval.ingest').execute();
    expect(audit.length).toBe(2);
  });

  it('GET /accounts/:id/intervals returns the points and exact daily sums, within permission and scope', async () => {
    const reader = await t.login('reader');
    const res = await t.call('GET', `/api/v1/accounts/${mine.id}/intervals?from=2026-11-02&to=2026-11-02`, { cookie: reader });
    expect(res.status).toBe(200);
    expect(res.body.points).toHaveLength(96);
    const stored = await t.db.kysely.selectFrom('interval_readings').select(['energy_kwh']).where('account_id', '=', mine.id)
      .where('ts', '>=', new Date('2026-11-02T00:00:00+08:00')).where('ts', '<', new Date('2026-11-03T00:00:00+08:00')).execute();
    const expected = stored.reduce((s, r) => s + Math.round(Number(r.energy_kwh) * 1e4), 0);
    expect(res.body.daily).toEqual([{ day: '2026-11-02', kwh: (expected / 1e4).toFixed(4), kvarh: '24.0000', points: 96, complete: true, flaggedPoints: 1 }]);
    expect(res.body.totalKwh).toBe((expected / 1e4).toFixed(4));
    expect(res.body.points[0]).toMatchObject({ meterId: mine.meter_id, ts: '2026-11-01T16:00:00.000Z', kwh: '1.0000' });
    // another station's account: out of scope; a role without reading.read: forbidden; bad dates name the field
    expect((await t.call('GET', `/api/v1/accounts/${other.id}/intervals?from=2026-11-02&to=2026-11-02`, { cookie: reader })).status).toBe(403);
    const collector = await t.login('collector');
    expect((await t.call('GET', `/api/v1/accounts/${mine.id}/intervals`, { cookie: collector })).status).toBe(403);
    const badDate = await t.call('GET', `/api/v1/accounts/${mine.id}/intervals?from=2026-13-02`, { cookie: reader });
    expect(badDate.status).toBe(400);
    expect(JSON.stringify(badDate.body)).toContain('from');
    const tooLong = await t.call('GET', `/api/v1/accounts/${mine.id}/intervals?from=2026-01-01&to=2026-11-02`, { cookie: reader });
    expect(tooLong.status).toBe(400);
    const checker = await t.login('checker'); // county scope sees both
    expect((await t.call('GET', `/api/v1/accounts/${other.id}/intervals?from=2026-11-02&to=2026-11-02`, { cookie: checker })).status).toBe(200);
  });
});
