/**
 * The channel row cache of the signed channel API (src/app/payments/channel.ts): requests that
 * arrive together after the entry expired share ONE query (it was one query per request until
 * the first answer came back), and a change through this process (rotate, disable) is seen by
 * the next request. Both engines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KyselyPlugin } from 'kysely';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { CHANNEL_CACHE_MS, createChannel, rotateChannelSecret, setChannelEnabled, verifyChannelRequest } from '../../src/app/payments/channel.js';
import { SYSTEM_ACTOR } from '../../src/app/context.js';
import { signRequest } from '../../src/domain/payments/signature.js';
import type { Db } from '../../src/db/database.js';

describe.each(engines())('channel row cache on %s', (engine) => {
  let t: TestApp;
  let secret = '';
  let channelQueries = 0;
  let db: Db;
  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 10 });
    secret = (await createChannel(t.db, SYSTEM_ACTOR, { code: 'CACHE_T', name: '缓存测试' })).secret;
    // the same database behind a handle of its own (its own cache) that counts channel lookups
    const counter: KyselyPlugin = {
      transformQuery(args) {
        const n = args.node as { kind: string; from?: { froms: Array<{ table?: { identifier?: { name?: string } } }> } };
        if (n.kind === 'SelectQueryNode' && n.from?.froms.some((f) => f.table?.identifier?.name === 'payment_channels')) channelQueries++;
        return args.node;
      },
      async transformResult(args) {
        return args.result;
      },
    };
    db = { ...t.db, kysely: t.db.kysely.withPlugin(counter) } as Db;
  }, 180_000);
  afterAll(async () => t?.drop());

  let n = 0;
  const signed = (s: string) => {
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = `cache-nonce-${++n}-${Math.random().toString(36).slice(2, 10)}`;
    const body = '{}';
    return { method: 'POST', url: '/api/v1/channel/query', rawBody: body, headers: { 'x-channel-code': 'CACHE_T', 'x-timestamp': ts, 'x-nonce': nonce, 'x-signature': signRequest(s, 'POST', '/api/v1/channel/query', ts, nonce, body) } };
  };

  it('50 requests arriving together share one lookup; after expiry one more', async () => {
    channelQueries = 0;
    const got = await Promise.all(Array.from({ length: 50 }, () => verifyChannelRequest(db, signed(secret))));
    expect(got.every((v) => v.code === 'CACHE_T')).toBe(true);
    expect(channelQueries).toBe(1);
    await verifyChannelRequest(db, signed(secret));
    expect(channelQueries).toBe(1);
    await new Promise((r) => setTimeout(r, CHANNEL_CACHE_MS + 50));
    await Promise.all(Array.from({ length: 20 }, () => verifyChannelRequest(db, signed(secret))));
    expect(channelQueries).toBe(2);
  });

  it('a rotation or a disable through this process is seen by the next request', async () => {
    const rotated = await rotateChannelSecret(db, SYSTEM_ACTOR, 'CACHE_T', { graceHours: 0 });
    await expect(verifyChannelRequest(db, signed(secret))).rejects.toMatchObject({ channelCode: 'SIGNATURE_INVALID' });
    expect((await verifyChannelRequest(db, signed(rotated.secret))).code).toBe('CACHE_T');
    await setChannelEnabled(db, SYSTEM_ACTOR, 'CACHE_T', false);
    await expect(verifyChannelRequest(db, signed(rotated.secret))).rejects.toMatchObject({ channelCode: 'CHANNEL_DISABLED' });
  });
});
