/**
 * The simulated bank (voltline simulate-bank) against a real listening server on loopback: it
 * pays through the signed channel API, a lost acknowledgement is retried with the same
 * idempotency key and posts once, it reverses; the CLI refuses a non-loopback URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { sql } from 'kysely';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { SimulatedBank } from '../../src/app/payments/bank-simulator.js';
import { createChannel } from '../../src/app/payments/channel.js';
import { inTx, SYSTEM_ACTOR } from '../../src/app/context.js';
import { postReceivable } from '../../src/app/payments/receivables.js';
import { buildProgram } from '../../src/cli/main.js';
import '../../src/db/schema-payments.js';

describe.each(engines())('simulated bank on %s', (engine) => {
  let t: TestApp;
  let base = '';
  let secret = '';
  let acc: { id: number; account_no: string };
  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 20 });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    secret = (await createChannel(t.db, SYSTEM_ACTOR, { code: 'BANK_SIM', name: '模拟银行' })).secret;
    acc = await t.db.kysely.selectFrom('accounts').select(['id', 'account_no']).orderBy('id').executeTakeFirstOrThrow();
    await inTx(t.db, (trx) => postReceivable(trx, { accountId: acc.id, period: '2098-12', amountFen: 12345, dueDate: '2099-01-31' }));
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('queries and pays; a lost acknowledgement is retried and posts exactly once; reverses', async () => {
    const bank = new SimulatedBank({ url: base, channel: 'BANK_SIM', secret, baseDelayMs: 10 });
    const q = await bank.query(acc.account_no);
    expect(q.body.amountDue).toBe('123.45');
    // a proxy that drops the first response (the payment is posted but the bank never hears back)
    let dropped = 0;
    const proxy = http.createServer((req, res) => {
      const up = http.request(new URL(req.url!, base), { method: req.method, headers: req.headers }, (r) => {
        let b = '';
        r.on('data', (c) => (b += c));
        r.on('end', () => {
          if (req.url!.endsWith('/pay') && dropped === 0) {
            dropped++;
            res.destroy();
            return;
          }
          res.writeHead(r.statusCode!, r.headers);
          res.end(b);
        });
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const port = (proxy.address() as { port: number }).port;
    const viaProxy = new SimulatedBank({ url: `http://127.0.0.1:${port}`, channel: 'BANK_SIM', secret, baseDelayMs: 10 });
    const p = await viaProxy.pay(acc.account_no, '123.45');
    proxy.close();
    expect(dropped).toBe(1);
    expect(p.attempts).toBe(2);
    expect(p.status).toBe(200);
    expect(p.body.balanceAfter).toBe('0.00');
    const n = await t.db.kysely.selectFrom('payments').select(sql<number>`count(*)::int`.as('n')).where('account_id', '=', acc.id).executeTakeFirstOrThrow();
    expect(n.n).toBe(1);
    const r = await bank.reverse(p.idempotencyKey);
    expect(r.status).toBe(200);
    expect(r.body.balanceAfter).toBe('123.45');
  });

  it('the CLI talks to loopback only', async () => {
    const program = await buildProgram();
    const errs: string[] = [];
    await expect(program.parseAsync(['node', 'voltline', 'simulate-bank', '--url', 'http://example.com', '--secret', 'x'])).rejects.toThrow(/loopback/);
    expect(errs).toEqual([]);
  });
});
