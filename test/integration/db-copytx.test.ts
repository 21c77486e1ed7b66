/**
 * db.copyTx: bulk COPY and ordinary queries in one transaction on both engines — the rows and
 * the bookkeeping written with them commit together or not at all (reading import, billing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDb, engines, type TestDb } from '../support/db.js';

describe.each(engines())('copyTx on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(engine);
    await sql`create table copytx_probe (id int primary key, label text not null)`.execute(t.db.kysely);
    await sql`create table copytx_note (id int primary key, note text not null)`.execute(t.db.kysely);
  });
  afterAll(async () => t?.drop());

  it('commits the copied rows with the other writes of the transaction', async () => {
    const n = await t.db.copyTx(async (trx, copy) => {
      const c = await copy('copytx_probe', ['id', 'label'], [[1, 'a\tb'], [2, 'line\nbreak'], [3, null === null ? 'x' : 'y']]);
      await sql`insert into copytx_note values (1, 'with 3 rows')`.execute(trx);
      // the copied rows are visible inside the transaction
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from copytx_probe`.execute(trx);
      expect(rows[0].n).toBe(3);
      return c;
    });
    expect(n).toBe(3);
    const { rows } = await sql<{ id: number; label: string }>`select id, label from copytx_probe order by id`.execute(t.db.kysely);
    expect(rows.map((r) => r.label)).toEqual(['a\tb', 'line\nbreak', 'x']);
  });

  it('rolls back the copied rows when a later statement fails', async () => {
    await expect(
      t.db.copyTx(async (trx, copy) => {
        await copy('copytx_probe', ['id', 'label'], [[10, 'p'], [11, 'q']]);
        await sql`insert into copytx_note values (1, 'duplicate key')`.execute(trx);
      }),
    ).rejects.toThrow();
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from copytx_probe where id >= 10`.execute(t.db.kysely);
    expect(rows[0].n).toBe(0);
  });

  it('rolls back everything when the application throws after the COPY, and the pool stays usable', async () => {
    await expect(
      t.db.copyTx(async (trx, copy) => {
        await sql`insert into copytx_note values (20, 'first')`.execute(trx);
        await copy('copytx_probe', ['id', 'label'], [[20, 'r']]);
        throw new Error('application failure');
      }),
    ).rejects.toThrow('application failure');
    const a = await sql<{ n: number }>`select count(*)::int as n from copytx_probe where id = 20`.execute(t.db.kysely);
    const b = await sql<{ n: number }>`select count(*)::int as n from copytx_note where id = 20`.execute(t.db.kysely);
    expect([a.rows[0].n, b.rows[0].n]).toEqual([0, 0]);
    // a savepoint lets a failed COPY fall back without losing the transaction
    await t.db.copyTx(async (trx, copy) => {
      await sql`savepoint s`.execute(trx);
      await expect(copy('copytx_probe', ['id', 'label'], [[1, 'dup']])).rejects.toThrow();
      await sql`rollback to savepoint s`.execute(trx);
      await sql`insert into copytx_probe values (30, 'after fallback') on conflict do nothing`.execute(trx);
    });
    const c = await sql<{ label: string }>`select label from copytx_probe where id = 30`.execute(t.db.kysely);
    expect(c.rows[0]?.label).toBe('after fallback');
  });
});
