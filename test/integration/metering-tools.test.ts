/** DL/T 645 frame analyzer through the API (报文解析), both engines. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';

describe.each(engines())('DL/T 645 tools API on %s', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 20 });
  });
  afterAll(async () => t?.drop());

  it('decodes the domain-cn M-1 reply to 12345.67 kWh', async () => {
    const c = await t.login('reader');
    const r = await t.call('POST', '/api/v1/tools/dlt645/decode', { cookie: c, body: { hex: '68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D3 16' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ address: '000000000001', di: '00010000', checksumOk: true, unit: 'kWh' });
    expect(Number(r.body.value)).toBeCloseTo(12345.67, 2);
  });

  it('reports a corrupt frame without failing the request', async () => {
    const c = await t.login('reader');
    const r = await t.call('POST', '/api/v1/tools/dlt645/decode', { cookie: c, body: { hex: '68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D4 16' } });
    expect(r.status).toBe(200);
    expect(r.body.checksumOk).toBe(false);
    expect(r.body.error).toBeTruthy();
  });

  it('builds the M-1 read request', async () => {
    const c = await t.login('engineer');
    const r = await t.call('POST', '/api/v1/tools/dlt645/read-frame', { cookie: c, body: { address: '000000000001', di: '00010000' } });
    expect(r.status).toBe(200);
    expect(r.body.hex.replace(/\s/g, '').toUpperCase()).toBe('68010000000000681104333334 33B316'.replace(/\s/g, ''));
  });

  it('names the bad field and checks the permission', async () => {
    const c = await t.login('reader');
    const bad = await t.call('POST', '/api/v1/tools/dlt645/read-frame', { cookie: c, body: { address: '12', di: '00010000' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('address');
    const collector = await t.login('collector');
    expect((await t.call('POST', '/api/v1/tools/dlt645/decode', { cookie: collector, body: { hex: '68' } })).status).toBe(403);
  });

  it('serves OpenAPI 3 describing the routes, with request ids on every response', async () => {
    const r = await t.call('GET', '/api/docs/json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    for (const p of ['/api/v1/accounts', '/api/v1/accounts/{id}', '/api/v1/auth/login', '/api/v1/audit/verify', '/api/v1/tools/dlt645/decode']) {
      expect(Object.keys(r.body.paths)).toContain(p);
    }
    expect(r.body.paths['/api/v1/accounts'].get.parameters.some((x: any) => x.name === 'q')).toBe(true);
    expect(r.headers['x-request-id']).toBeTruthy();
  });
});
