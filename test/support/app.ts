/** An in-process API server on a test database with demo data, and login helpers. */
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { readEnv } from '../../src/config/env.js';
import type { Engine } from '../../src/db/database.js';
import { seed, DEMO_PASSWORD } from '../../src/jobs/seed.js';
import { createTestDb, type TestDb } from './db.js';

export interface TestApp extends TestDb {
  app: FastifyInstance;
  login(username: string, password?: string): Promise<string>;
  call(method: string, url: string, opts?: { cookie?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
}

export async function createTestApp(engine: Engine, opts: { accounts?: number } = {}): Promise<TestApp> {
  const t = await createTestDb(engine);
  await seed(t.db, { accounts: opts.accounts ?? 200, months: 0, seed: 7 });
  const env = { ...readEnv({}), logLevel: 'silent', loginMaxFailures: 5, loginLockMinutes: 15 };
  const app = await buildServer({ db: t.db, env }, { logger: false });
  const call: TestApp['call'] = async (method, url, o = {}) => {
    const res = await app.inject({
      method: method as never,
      url,
      headers: { ...(o.cookie ? { cookie: o.cookie } : {}), ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.headers ?? {}) },
      payload: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    });
    let body: any = res.body;
    try {
      body = res.json();
    } catch {
      /* not json */
    }
    return { status: res.statusCode, body, headers: res.headers };
  };
  const cookies = new Map<string, string>();
  return {
    ...t,
    app,
    call,
    async login(username, password = DEMO_PASSWORD) {
      if (password === DEMO_PASSWORD && cookies.has(username)) return cookies.get(username)!;
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
      if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
      const sc = res.headers['set-cookie'];
      const cookie = String(Array.isArray(sc) ? sc[0] : sc).split(';')[0];
      if (password === DEMO_PASSWORD) cookies.set(username, cookie);
      return cookie;
    },
    async drop() {
      await app.close();
      await t.drop();
    },
  };
}
