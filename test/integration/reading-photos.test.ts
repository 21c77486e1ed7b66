/**
 * Meter-reading photos (抄表照片), on PGlite and (with DATABASE_URL) PostgreSQL: upload is
 * idempotent by client id, bytes must match the content type (magic bytes), > 5 MiB is refused
 * with 413, GET enforces the data scope (account's org unit, else the uploader's), the upload is
 * audited without the bytes, and a visit can carry the photoRef.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';

/** A tiny but real 1×1 PNG and a JPEG-looking byte string (signature + filler). */
const PNG_1x1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const jpeg = (n: number, fill = 0x11) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(n - 6, fill), Buffer.from([0xff, 0xd9])]);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe.each(engines())('reading photos on %s', (engine) => {
  let t: TestApp;
  let reader: string;
  let clerk2: string;
  let ownAccount: number; // 城关 (ST01), reader's scope
  let otherAccount: number; // ST02

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 60 });
    reader = await t.login('reader');
    clerk2 = await t.login('clerk2');
    const rows = await t.db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').select(['a.id', 'o.code']).orderBy('a.id').execute();
    ownAccount = rows.find((r) => r.code === 'ST01')!.id;
    otherAccount = rows.find((r) => r.code === 'ST02')!.id;
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  const upload = (cookie: string, body: Record<string, unknown>) => t.call('POST', '/api/v1/reading-photos', { cookie, body });

  it('uploads a JPEG with a client id; a re-send is idempotent; the same id with other bytes is a conflict', async () => {
    const id = crypto.randomUUID();
    const bytes = jpeg(300_000);
    const first = await upload(reader, { id, contentType: 'image/jpeg', dataBase64: bytes.toString('base64'), accountId: ownAccount });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ photoRef: `photo:${id}`, sizeBytes: bytes.length, sha256: sha(bytes), duplicate: false, accountId: ownAccount });

    const again = await upload(reader, { id, contentType: 'image/jpeg', dataBase64: bytes.toString('base64'), accountId: ownAccount });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ photoRef: `photo:${id}`, sizeBytes: bytes.length, sha256: sha(bytes), duplicate: true });
    const n = await t.db.kysely.selectFrom('reading_photos').select((eb) => eb.fn.countAll<number>().as('n')).where('id', '=', id).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);

    const other = await upload(reader, { id, contentType: 'image/jpeg', dataBase64: jpeg(1000, 0x22).toString('base64') });
    expect(other.status).toBe(409);
    expect(other.body.error.details.field).toBe('id');

    // bytes come back exactly, with their content type
    const got = await t.app.inject({ method: 'GET', url: `/api/v1/reading-photos/${id}`, headers: { cookie: reader } });
    expect(got.statusCode).toBe(200);
    expect(got.headers['content-type']).toBe('image/jpeg');
    expect(sha(got.rawPayload)).toBe(sha(bytes));
    // 'photo:<uuid>' is accepted as well
    const byRef = await t.app.inject({ method: 'GET', url: `/api/v1/reading-photos/photo:${id}`, headers: { cookie: reader } });
    expect(byRef.statusCode).toBe(200);
    expect(byRef.rawPayload.length).toBe(bytes.length);
  });

  it('without a client id the server makes one; PNG and a data-URL prefix are accepted', async () => {
    const r = await upload(reader, { contentType: 'image/png', dataBase64: 'data:image/png;base64,' + PNG_1x1.toString('base64') });
    expect(r.status).toBe(201);
    expect(r.body.photoRef).toMatch(/^photo:[0-9a-f-]{36}$/);
    expect(r.body.sizeBytes).toBe(PNG_1x1.length);
  });

  it('refuses bytes that are not the declared type, naming the field; bad base64 and bad types too', async () => {
    const png = await upload(reader, { contentType: 'image/jpeg', dataBase64: PNG_1x1.toString('base64') });
    expect(png.status).toBe(400);
    expect(png.body.error.code).toBe('VALIDATION_FAILED');
    expect(png.body.error.details.field).toBe('dataBase64');
    expect(png.body.error.message).toContain('image/jpeg');
    expect(png.body.error.message).toContain('image/png'); // what it looks like

    const text = await upload(reader, { contentType: 'image/webp', dataBase64: Buffer.from('hello, not an image at all').toString('base64') });
    expect(text.status).toBe(400);
    expect(text.body.error.details.field).toBe('dataBase64');

    const b64 = await upload(reader, { contentType: 'image/jpeg', dataBase64: '@@not base64@@' });
    expect(b64.status).toBe(400);
    expect(b64.body.error.details.field).toBe('dataBase64');

    const gif = await upload(reader, { contentType: 'image/gif', dataBase64: jpeg(100).toString('base64') });
    expect(gif.status).toBe(400);
    expect(gif.body.error.details.field).toBe('contentType');

    const badId = await upload(reader, { id: 'x-1', contentType: 'image/jpeg', dataBase64: jpeg(100).toString('base64') });
    expect(badId.status).toBe(400);
    expect(badId.body.error.details.field).toBe('id');
    const none = await t.db.kysely.selectFrom('reading_photos').select((eb) => eb.fn.countAll<number>().as('n')).where('size_bytes', '=', 100).executeTakeFirstOrThrow();
    expect(Number(none.n)).toBe(0);
  });

  it('refuses a photo over 5 MiB with 413 (and a body over the route limit too)', async () => {
    const big = jpeg(5 * 1024 * 1024 + 1);
    const r = await upload(reader, { id: crypto.randomUUID(), contentType: 'image/jpeg', dataBase64: big.toString('base64') });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(r.body.error.details.field).toBe('dataBase64');
    expect(r.body.error.message).toContain('5 MiB');
    // exactly 5 MiB is fine (the route accepts a body above the 1 MiB server default)
    const max = jpeg(5 * 1024 * 1024);
    const ok = await upload(reader, { id: crypto.randomUUID(), contentType: 'image/jpeg', dataBase64: max.toString('base64'), accountId: ownAccount });
    expect(ok.status).toBe(201);
    expect(ok.body.sizeBytes).toBe(5 * 1024 * 1024);
    // a body over 8 MiB is cut off by the server before parsing
    const huge = await upload(reader, { contentType: 'image/jpeg', dataBase64: jpeg(6_500_000).toString('base64') });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(huge.body.error.message).toContain(String(8 * 1024 * 1024));
    // other routes keep the server default (1 MiB)
    const other = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [], pad: 'x'.repeat(2 * 1024 * 1024) } });
    expect(other.status).toBe(413);
    expect(other.body.error.message).toContain(String(1024 * 1024));
  });

  it('enforces permission and data scope: account of another 供电所, GET from another 供电所, clerk without reading.write', async () => {
    const outside = await upload(reader, { contentType: 'image/jpeg', dataBase64: jpeg(500).toString('base64'), accountId: otherAccount });
    expect(outside.status).toBe(403);
    expect(outside.body.error.code).toBe('OUT_OF_SCOPE');
    const unknown = await upload(reader, { contentType: 'image/jpeg', dataBase64: jpeg(500).toString('base64'), accountId: 99_999_999 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details.field).toBe('accountId');

    const clerk = await t.login('clerk'); // reading.read only
    const denied = await upload(clerk, { contentType: 'image/jpeg', dataBase64: jpeg(500).toString('base64') });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('FORBIDDEN');

    const withAccount = await upload(reader, { contentType: 'image/jpeg', dataBase64: jpeg(700).toString('base64'), accountId: ownAccount });
    const noAccount = await upload(reader, { contentType: 'image/jpeg', dataBase64: jpeg(800).toString('base64') });
    for (const p of [withAccount.body, noAccount.body]) {
      const id = p.photoRef.slice(6);
      // clerk2 (ST02, reading.read) may read photos but not 城关's
      const g = await t.call('GET', `/api/v1/reading-photos/${id}`, { cookie: clerk2 });
      expect(g.status).toBe(403);
      expect(g.body.error.code).toBe('OUT_OF_SCOPE');
      // clerk (城关) may
      const c = await t.app.inject({ method: 'GET', url: `/api/v1/reading-photos/${id}`, headers: { cookie: clerk } });
      expect(c.statusCode).toBe(200);
      // admin (whole company) may
      const admin = await t.login('admin');
      expect((await t.app.inject({ method: 'GET', url: `/api/v1/reading-photos/${id}`, headers: { cookie: admin } })).statusCode).toBe(200);
    }
    expect((await t.call('GET', `/api/v1/reading-photos/${crypto.randomUUID()}`, { cookie: reader })).status).toBe(404);
    const bad = await t.call('GET', '/api/v1/reading-photos/not-a-uuid', { cookie: reader });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe('id');
    expect((await t.call('GET', `/api/v1/reading-photos/${crypto.randomUUID()}`)).status).toBe(401);
  });

  it('writes one audit event per new photo, without the bytes; a re-send writes none', async () => {
    const id = crypto.randomUUID();
    const bytes = jpeg(2000, 0x5a);
    const before = await t.db.kysely.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', 'reading_photo.upload').executeTakeFirstOrThrow();
    await upload(reader, { id, contentType: 'image/jpeg', dataBase64: bytes.toString('base64'), accountId: ownAccount });
    await upload(reader, { id, contentType: 'image/jpeg', dataBase64: bytes.toString('base64'), accountId: ownAccount });
    const ev = await t.db.kysely.selectFrom('audit_events').selectAll().where('action', '=', 'reading_photo.upload').where('entity_id', '=', id).execute();
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ entity_type: 'reading_photo', actor_name: 'reader' });
    const after = ev[0].after as Record<string, unknown>;
    expect(after).toMatchObject({ photoRef: `photo:${id}`, contentType: 'image/jpeg', sizeBytes: 2000, sha256: sha(bytes), accountId: ownAccount });
    const text = JSON.stringify(ev[0]);
    expect(text).not.toContain(bytes.toString('base64').slice(0, 40));
    expect(text.length).toBeLessThan(2000);
    const total = await t.db.kysely.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', 'reading_photo.upload').executeTakeFirstOrThrow();
    expect(Number(total.n) - Number(before.n)).toBe(1);
  });

  it('a phone visit carries the photoRef; the reading history shows it', async () => {
    const id = crypto.randomUUID();
    const up = await upload(reader, { id, contentType: 'image/jpeg', dataBase64: jpeg(4000).toString('base64'), accountId: ownAccount });
    expect(up.status).toBe(201);
    const visit = { clientId: crypto.randomUUID(), accountId: ownAccount, readAt: new Date(Date.now() - 3_600_000).toISOString(), exceptionCode: 'DOOR_LOCKED', photoRef: up.body.photoRef };
    const s = await t.call('POST', '/api/v1/readings', { cookie: reader, body: { items: [visit], source: 'phone' } });
    expect(s.status).toBe(200);
    const h = await t.call('GET', `/api/v1/accounts/${ownAccount}/readings`, { cookie: reader });
    expect(h.body.items.some((r: any) => r.photoRef === `photo:${id}`)).toBe(true);
  });

  it('keeps the audit chain intact', async () => {
    const v = await verifyAudit(t.db);
    expect(v.ok).toBe(true);
  });
});
