/**
 * The references of bills (migration 20261128T0540): account_id and run_id are checked once per
 * INSERT/COPY statement instead of by row-level foreign keys, bills cannot move to another account
 * or run, and an account or run that has bills cannot be deleted or renumbered. Both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { outcome } from '../support/errors.js';
import { SYSTEM_ACTOR } from '../../src/app/context.js';
import { createRun, workRun } from '../../src/app/billing/run.js';

describe.each(engines())('bill references on %s', (engine) => {
  let t: TestApp;
  let accountId = 0;
  let otherAccount = 0;
  let runId = 0;
  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 12 });
    const accs = await t.db.kysely.selectFrom('accounts').select('id').where('status', '=', 'active').orderBy('id').limit(2).execute();
    [accountId, otherAccount] = accs.map((a) => a.id);
    const { run } = await createRun(t.db, SYSTEM_ACTOR, { period: '2026-10', accountIds: [accountId], trial: true });
    runId = run.id;
    await workRun(t.db, run.id, 'refs-worker');
    const n = await t.db.kysely.selectFrom('bills').select(sql<number>`count(*)::int`.as('n')).where('run_id', '=', runId).executeTakeFirstOrThrow();
    expect(n.n).toBe(1);
  }, 180_000);
  afterAll(async () => t?.drop());

  const insertBill = (acc: number, run: number) =>
    sql`insert into bills (account_id, run_id, period, trial, status, org_unit_id, account_no, customer_class)
        select ${acc}, ${run}, '2026-09', true, 'calculated', org_unit_id, account_no, customer_class from bills where run_id = ${runId} limit 1`.execute(t.db.kysely);
  const code = outcome;

  it('a bill for an account or a run that does not exist is refused (23503) and nothing is written', async () => {
    expect(await code(insertBill(987654321, runId))).toMatch(/^23503: .*account 987654321 does not exist/);
    expect(await code(insertBill(accountId, 987654321))).toMatch(/^23503: .*run 987654321 does not exist/);
    // one bad row in a multi-row statement refuses the whole statement
    const before = await t.db.kysely.selectFrom('bills').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    const multi = sql`insert into bills (account_id, run_id, period, trial, status, org_unit_id, account_no, customer_class)
        select x, ${runId}, '2026-08', true, 'calculated', 1, 'n', 'residential' from unnest(array[${otherAccount}::bigint, 987654321::bigint]) x`.execute(t.db.kysely);
    expect(await code(multi)).toMatch(/^23503/);
    const after = await t.db.kysely.selectFrom('bills').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    // a valid one goes in
    expect(await code(insertBill(otherAccount, runId))).toBe('no error');
  });

  it('a bill cannot move to another account or run', async () => {
    expect(await code(sql`update bills set account_id = ${otherAccount} where run_id = ${runId} and account_id = ${accountId}`.execute(t.db.kysely))).toMatch(/^23503: .*cannot be changed/);
    // other updates still work
    expect(await code(sql`update bills set action_reason = 'note' where run_id = ${runId} and account_id = ${accountId}`.execute(t.db.kysely))).toBe('no error');
  });

  it('an account or a run that has bills cannot be deleted or renumbered (23001)', async () => {
    expect(await code(sql`delete from billing_runs where id = ${runId}`.execute(t.db.kysely))).toMatch(/^23001: billing_runs \d+ has bills/);
    expect(await code(sql`update billing_runs set id = 987654 where id = ${runId}`.execute(t.db.kysely))).toMatch(/^23001/);
    expect(await code(sql`delete from accounts where id = ${accountId}`.execute(t.db.kysely))).toMatch(/^23001: accounts \d+ has bills/);
    const still = await t.db.kysely.selectFrom('bills').select('id').where('run_id', '=', runId).execute();
    expect(still.length).toBe(2);
  });
});
