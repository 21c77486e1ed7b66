/**
 * The references of register_readings (migration 20261129T1300): account_id, meter_id and
 * metering_point_id are checked once per INSERT/COPY statement instead of by row-level foreign
 * keys, a reading cannot move to another account, meter or metering point, and an account, meter
 * or metering point that has readings cannot be deleted or renumbered. Both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { outcome } from '../support/errors.js';

describe.each(engines())('reading references on %s', (engine) => {
  let t: TestApp;
  let acc = 0;
  let meter = 0;
  let mp = 0;
  let readingId = 0;
  const cols = ['account_id', 'meter_id', 'metering_point_id', 'register', 'read_at', 'billing_period', 'value', 'source', 'status'];
  const row = (a: number, m: number, p: number, at: string) => [a, m, p, 'TOTAL', at, '2026-10', '100.0000', 'import', 'accepted'];
  const count = async () => Number((await sql<{ n: number }>`select count(*)::int as n from register_readings`.execute(t.db.kysely)).rows[0].n);
  const code = outcome;

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 12 });
    const mi = await t.db.kysely.selectFrom('meter_installations').select(['account_id', 'meter_id', 'metering_point_id'])
      .where('removed_on', 'is', null).orderBy('meter_id').executeTakeFirstOrThrow();
    [acc, meter, mp] = [Number(mi.account_id), Number(mi.meter_id), Number(mi.metering_point_id)];
    // a valid reading goes in, by INSERT and by COPY
    const ins = await sql<{ id: number }>`insert into register_readings (${sql.raw(cols.join(', '))})
      values (${acc}, ${meter}, ${mp}, 'TOTAL', '2026-10-05T01:00:00Z', '2026-10', 100, 'import', 'accepted') returning id`.execute(t.db.kysely);
    readingId = Number(ins.rows[0].id);
    expect(await t.db.copyInto('register_readings', cols, [row(acc, meter, mp, '2026-10-06T01:00:00Z')])).toBe(1);
  }, 180_000);
  afterAll(async () => t?.drop());

  it('a reading for an account, meter or metering point that does not exist is refused (23503), nothing written', async () => {
    const before = await count();
    const insert = (a: number, m: number, p: number) => sql`insert into register_readings (${sql.raw(cols.join(', '))})
      values (${a}, ${m}, ${p}, 'TOTAL', '2026-10-07T01:00:00Z', '2026-10', 100, 'import', 'accepted')`.execute(t.db.kysely);
    expect(await code(insert(987654321, meter, mp))).toMatch(/^23503: .*account 987654321 does not exist/);
    expect(await code(insert(acc, 987654321, mp))).toMatch(/^23503: .*meter 987654321 does not exist/);
    expect(await code(insert(acc, meter, 987654321))).toMatch(/^23503: .*metering point 987654321 does not exist/);
    // one bad row in a COPY refuses the whole COPY
    const copy = t.db.copyInto('register_readings', cols, [row(acc, meter, mp, '2026-10-08T01:00:00Z'), row(acc, 987654321, mp, '2026-10-09T01:00:00Z')]);
    expect(await code(copy)).toMatch(/23503|meter 987654321 does not exist/);
    expect(await count()).toBe(before);
  });

  it("a reading's metering point must be one of its account's, and a metering point never changes account (23503)", async () => {
    const other = await t.db.kysely.selectFrom('metering_points').select(['id', 'account_id']).where('account_id', '<>', acc).orderBy('id').executeTakeFirstOrThrow();
    const before = await count();
    const insert = sql`insert into register_readings (${sql.raw(cols.join(', '))})
      values (${acc}, ${meter}, ${Number(other.id)}, 'TOTAL', '2026-10-10T01:00:00Z', '2026-10', 100, 'import', 'accepted')`.execute(t.db.kysely);
    expect(await code(insert)).toMatch(new RegExp(`^23503: .*metering point ${other.id} does not exist with account_id ${acc}`));
    expect(await count()).toBe(before);
    expect(await code(sql`update metering_points set account_id = ${Number(other.account_id)} where id = ${mp}`.execute(t.db.kysely))).toMatch(/^23503: .*account_id cannot be changed/);
    expect(await code(sql`update metering_points set name = name where id = ${mp}`.execute(t.db.kysely))).toBe('no error');
  });

  it('a reading cannot move to another account, meter or metering point; other updates work', async () => {
    const other = await t.db.kysely.selectFrom('meter_installations').select(['account_id', 'meter_id', 'metering_point_id'])
      .where('meter_id', '<>', meter).where('removed_on', 'is', null).orderBy('meter_id').executeTakeFirstOrThrow();
    for (const [col, v] of [['account_id', other.account_id], ['meter_id', other.meter_id], ['metering_point_id', other.metering_point_id]] as const) {
      expect(await code(sql`update register_readings set ${sql.ref(col)} = ${Number(v)} where account_id = ${acc} and id = ${readingId}`.execute(t.db.kysely)))
        .toMatch(/^23503: .*cannot be changed/);
    }
    expect(await code(sql`update register_readings set review_reason = 'checked' where account_id = ${acc} and id = ${readingId}`.execute(t.db.kysely))).toBe('no error');
  });

  it('an account, meter or metering point that has readings cannot be deleted or renumbered (23001)', async () => {
    expect(await code(sql`delete from meters where id = ${meter}`.execute(t.db.kysely))).toMatch(/^23001: meters \d+ has readings/);
    expect(await code(sql`update meters set id = 987654 where id = ${meter}`.execute(t.db.kysely))).toMatch(/^23001: meters \d+ has readings/);
    expect(await code(sql`delete from metering_points where id = ${mp}`.execute(t.db.kysely))).toMatch(/^23001: metering_points \d+ has readings/);
    expect(await code(sql`delete from accounts where id = ${acc}`.execute(t.db.kysely))).toMatch(/^23001: accounts \d+ has readings/);
    const still = await sql<{ n: number }>`select count(*)::int as n from register_readings where account_id = ${acc}`.execute(t.db.kysely);
    expect(Number(still.rows[0].n)).toBe(2);
  });
});
