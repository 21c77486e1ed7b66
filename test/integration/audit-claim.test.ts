/**
 * The audit trail's claim (`audit_claim`, migration 20261129T0700; `writeAudit`,
 * `writeAuditMany`): the chain lock, the head read and the id draw happen in one round trip, and
 * the head is read AFTER the lock is granted. Many concurrent transactions on more connections
 * than there are chains (so connections share chains and wait for each other's lock) append
 * events with time between their statements; afterwards every chain verifies and holds every
 * event. If the head were read with the snapshot of the statement that waited for the lock, a
 * waiting transaction would chain onto a stale head and the trail would fork (verify fails).
 *
 * On PostgreSQL also: as many transactions as there are chains, all holding their chain, each
 * got a chain without waiting (a free one when the connection's own was taken, migration
 * 20261129T0800), all different; one more waits until a chain is released.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, engines, type TestDb } from '../support/db.js';
import { inTx, SYSTEM_ACTOR } from '../../src/app/context.js';
import { AUDIT_CHAINS, writeAudit, writeAuditMany } from '../../src/app/audit/write-audit.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';

describe.each(engines())('audit claim on %s', (engine) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(engine);
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('concurrent writers sharing chains never fork the trail', async () => {
    const writers = engine === 'postgres' ? 60 : 12;
    const before = await t.db.kysely.selectFrom('audit_events').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    const pids = new Set<number>();
    await Promise.all(Array.from({ length: writers }, (_, w) => inTx(t.db, async (trx) => {
      const pid = await sql<{ p: number }>`select pg_backend_pid() as p`.execute(trx);
      pids.add(Number(pid.rows[0].p));
      await writeAudit(trx, SYSTEM_ACTOR, { action: 'test.claim', entityType: 'test', entityId: `${w}-a` });
      // hold the chain lock a little while others queue for it
      await sql`select pg_sleep(0.005)`.execute(trx);
      await writeAuditMany(trx, [1, 2, 3].map((k) => ({ actor: SYSTEM_ACTOR, event: { action: 'test.claim', entityType: 'test', entityId: `${w}-${k}`, after: { k } } })));
    })));
    if (engine === 'postgres') expect(pids.size).toBeGreaterThan(AUDIT_CHAINS); // some connections share a chain
    const after = await t.db.kysely.selectFrom('audit_events').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    expect(after.n - before.n).toBe(writers * 4);
    const v = await verifyAudit(t.db);
    expect(v.ok).toBe(true);
    // each writer's four events are consecutive on its chain, in the order written
    const rows = await t.db.kysely.selectFrom('audit_events').select(['id', 'entity_id', 'chain']).where('action', '=', 'test.claim').orderBy('id').execute();
    for (let w = 0; w < writers; w++) {
      const mine = rows.filter((r) => String(r.entity_id).startsWith(`${w}-`));
      expect(mine.map((r) => String(r.entity_id))).toEqual([`${w}-a`, `${w}-1`, `${w}-2`, `${w}-3`]);
      expect(new Set(mine.map((r) => r.chain)).size).toBe(1);
    }
  }, 120_000);

  it('a transaction keeps one chain; PostgreSQL: a busy own chain makes it take a free one, with every chain busy it waits', async () => {
    // both engines: two appends in one transaction land on one chain; the choice ends with the transaction
    const chains = await inTx(t.db, async (trx) => {
      const a = await writeAudit(trx, SYSTEM_ACTOR, { action: 'test.one-chain', entityType: 'test', entityId: 'a' });
      const b = await writeAudit(trx, SYSTEM_ACTOR, { action: 'test.one-chain', entityType: 'test', entityId: 'b' });
      return (await sql<{ chain: number }>`select chain from audit_events where id in (${a}, ${b})`.execute(trx)).rows.map((r) => Number(r.chain));
    });
    expect(new Set(chains).size).toBe(1);
    const after = await sql<{ c: string | null }>`select current_setting('voltline.audit_chain', true) as c`.execute(t.db.kysely);
    expect(after.rows[0].c ?? '').toBe('');
    if (engine !== 'postgres') return; // PGlite has one connection: transactions never overlap

    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const claimed: number[] = [];
    const tx = (tag: string) => inTx(t.db, async (trx) => {
      const id = await writeAudit(trx, SYSTEM_ACTOR, { action: 'test.free-chain', entityType: 'test', entityId: tag });
      const row = await sql<{ chain: number }>`select chain from audit_events where id = ${id}`.execute(trx);
      claimed.push(Number(row.rows[0].chain));
      await gate; // hold the chain lock until released
    });
    const holders = Array.from({ length: AUDIT_CHAINS }, (_, i) => tx(`h${i}`));
    const deadline = Date.now() + 10_000;
    while (claimed.length < AUDIT_CHAINS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // every holder got a chain while the others still hold theirs: nobody queued behind a busy chain
    expect(claimed.length).toBe(AUDIT_CHAINS);
    expect(new Set(claimed).size).toBe(AUDIT_CHAINS);
    const late = tx('late');
    await new Promise((r) => setTimeout(r, 300));
    expect(claimed.length).toBe(AUDIT_CHAINS); // all chains busy: the ninth waits
    open();
    await Promise.all([...holders, late]);
    expect(claimed.length).toBe(AUDIT_CHAINS + 1);
    expect((await verifyAudit(t.db)).ok).toBe(true);
  }, 60_000);
});
