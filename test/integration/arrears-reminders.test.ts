/**
 * Arrears reminders (催费通知) for postpaid accounts (src/app/payments/arrears.ts,
 * POST /api/v1/payments/arrears/reminders, `voltline arrears-remind`, scheduled job
 * arrears-remind): one SMS per account in arrears in scope, at most one per repeat interval,
 * prepaid accounts and accounts not yet past the minimum days left out, an account without a
 * mobile number gets the record but no SMS; each reminder audited; bad input names the field and
 * writes nothing; permission and data scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { postReceivable } from '../../src/app/payments/receivables.js';
import { sendArrearsReminders, arrearsReminderText } from '../../src/app/payments/arrears.js';
import { inTx, SYSTEM_ACTOR } from '../../src/app/context.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';
import '../../src/db/schema-payments.js';
import '../../src/db/schema-prepaid.js';
import '../../src/db/schema-messaging.js';

describe.each(engines())('arrears reminders on %s', (engine) => {
  let t: TestApp;
  type Acc = { id: number; account_no: string; org_unit_id: number };
  let mine: Acc[] = [];
  let foreign: Acc;

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 40 });
    const k = t.db.kysely;
    const unit = await k.selectFrom('users as u').innerJoin('org_units as o', 'o.id', 'u.org_unit_id').select(['o.path']).where('u.username', '=', 'collector').executeTakeFirstOrThrow();
    const rows = await k.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').select(['a.id', 'a.account_no', 'a.org_unit_id', 'o.path']).orderBy('a.id').execute();
    mine = rows.filter((r) => r.path.startsWith(unit.path)).map((r) => ({ id: Number(r.id), account_no: r.account_no, org_unit_id: Number(r.org_unit_id) }));
    const f = rows.find((r) => !r.path.startsWith(unit.path))!;
    foreign = { id: Number(f.id), account_no: f.account_no, org_unit_id: Number(f.org_unit_id) };
    expect(mine.length).toBeGreaterThan(5);
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  const receivable = (accountId: number, amountFen: number, dueDate: string, period: string) =>
    inTx(t.db, (trx) => postReceivable(trx, { accountId, period, amountFen, dueDate }));

  it('reminds each postpaid account in arrears once, leaves out prepaid and recent ones, audits each; bad input writes nothing', async () => {
    const k = t.db.kysely;
    const [a, b, c, d] = mine;
    const asOf = '2026-03-20';
    await k.updateTable('accounts').set({ phone: '13800138000' }).where('id', 'in', [a.id, b.id, c.id]).execute();
    await k.updateTable('accounts').set({ phone: null }).where('id', '=', d.id).execute();
    await receivable(a.id, 12345, '2026-02-28', '2026-01');    // 20 days overdue: 123.45
    await receivable(a.id, 10000, '2026-03-10', '2026-02');    // + 100.00 (10 days)
    await receivable(b.id, 5000, '2026-03-17', '2026-02');     // 3 days overdue
    await receivable(c.id, 8800, '2026-02-28', '2026-01');     // prepaid: left out
    await k.insertInto('prepaid_plans').values({ account_id: c.id, org_unit_id: c.org_unit_id, start_day: '2026-01-01' } as never).execute();
    await receivable(d.id, 3000, '2026-03-01', '2026-01');     // no phone: record, no SMS
    await receivable(foreign.id, 7000, '2026-02-01', '2026-01');

    const collector = await t.login('collector');
    const reader = await t.login('reader');
    const countReminders = async () => (await k.selectFrom('payment_reminders').select('id').where('kind', '=', 'arrears').execute()).length;

    // bad input: the field is named and nothing is written
    const bad = [
      [{ asOf: '2026-13-01' }, 'asOf'],
      [{ asOf, minDaysOverdue: 0 }, 'minDaysOverdue'],
      [{ asOf, repeatDays: 'weekly' }, 'repeatDays'],
      [{ asOf, accountNos: 'abc' }, 'accountNos'],
      [{ asOf, accountNos: [a.account_no, foreign.account_no] }, 'accountNos'], // another station's account
    ] as const;
    for (const [body, field] of bad) {
      const r = await t.call('POST', '/api/v1/payments/arrears/reminders', { cookie: collector, body });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.error.details.field).toBe(field);
    }
    expect(await countReminders()).toBe(0);
    // a meter reader may not send reminders
    expect((await t.call('POST', '/api/v1/payments/arrears/reminders', { cookie: reader, body: { asOf } })).status).toBe(403);

    const r1 = await t.call('POST', '/api/v1/payments/arrears/reminders', { cookie: collector, body: { asOf, minDaysOverdue: 5 } });
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    const sent = Object.fromEntries(r1.body.items.map((i: any) => [i.accountNo, i]));
    expect(Object.keys(sent).sort()).toEqual([a.account_no, d.account_no].sort()); // not b (3 days), c (prepaid), foreign (scope)
    expect(sent[a.account_no]).toMatchObject({ outstanding: '223.45', daysOverdue: 20 });
    expect(sent[a.account_no].outboxId).not.toBeNull();
    expect(sent[d.account_no]).toMatchObject({ outstanding: '30.00', daysOverdue: 19, outboxId: null });
    expect(r1.body).toMatchObject({ asOf, reminded: 2, noPhone: 1, skippedRecent: 0 });

    const rem = await k.selectFrom('payment_reminders').select(['account_id', 'body', 'balance', 'recipient']).where('kind', '=', 'arrears').where('account_id', '=', a.id).executeTakeFirstOrThrow();
    expect(rem.body).toBe(arrearsReminderText(a.account_no, asOf, '223.45', 20));
    expect(rem.body).toContain('223.45元');
    const sms = await k.selectFrom('message_outbox').select(['recipient_phone', 'text_zh', 'source_type']).where('id', '=', sent[a.account_no].outboxId).executeTakeFirstOrThrow();
    expect(sms).toMatchObject({ recipient_phone: '13800138000', text_zh: rem.body, source_type: 'payment_reminder' });
    const audits = await k.selectFrom('audit_events').select(['entity_id', 'actor_name']).where('action', '=', 'arrears.remind').execute();
    expect(audits.map((x) => String(x.entity_id)).sort()).toEqual([String(a.id), String(d.id)].sort());

    // again at once: both were reminded within 7 days
    const r2 = await t.call('POST', '/api/v1/payments/arrears/reminders', { cookie: collector, body: { asOf, minDaysOverdue: 5 } });
    expect(r2.body).toMatchObject({ reminded: 0, skippedRecent: 2, inArrears: 2 });
    // naming one account explicitly still respects the interval
    const r3 = await t.call('POST', '/api/v1/payments/arrears/reminders', { cookie: collector, body: { asOf, accountNos: [a.account_no] } });
    expect(r3.body).toMatchObject({ reminded: 0, skippedRecent: 1 });

    // 8 days later (the scheduler's system actor, all units): a, d and now b and the foreign account; c stays prepaid
    const later = new Date(Date.now() + 8 * 86_400_000);
    const r4 = await sendArrearsReminders(t.db, SYSTEM_ACTOR, { asOf: '2026-03-28' }, later);
    const nos = r4.items.map((i) => i.accountNo);
    expect(nos).toEqual(expect.arrayContaining([a.account_no, b.account_no, d.account_no, foreign.account_no]));
    expect(nos).not.toContain(c.account_no);
    expect(await countReminders()).toBe(2 + r4.reminded);
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });
});
