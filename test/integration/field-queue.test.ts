/**
 * The field app's offline queue (web/src/modules/metering/field/queue.ts), without a browser or
 * a database: in-memory store and a fake server. Photos go up before their visits, batches,
 * a lost answer is re-sent and comes back as duplicate, transient errors keep the queue, a
 * refused batch is split to find the bad visit, refused photos do not block the reading, value
 * checks warn without blocking.
 */
import { describe, expect, it } from 'vitest';
import {
  checkValue, currentVisit, newUuid, payloadOf, periodOf, registersToResend, shanghaiIso, syncQueue, touBalance, unsyncedCount,
  type FieldVisit, type QueueStore, type RegisterOutcome, type SubmitResponse, type SyncApi, type VisitPayload,
} from '../../web/src/modules/metering/field/queue.ts';

function memStore(): QueueStore & { visits: Map<string, FieldVisit>; photos: Map<string, string> } {
  const visits = new Map<string, FieldVisit>();
  const photos = new Map<string, string>();
  return {
    visits, photos,
    async listVisits(user) {
      return [...visits.values()].filter((v) => v.user === user).map((v) => structuredClone(v));
    },
    async putVisit(v) {
      visits.set(v.clientId, structuredClone(v));
    },
    async photoBase64(id) {
      const b = photos.get(id);
      return b ? { contentType: 'image/jpeg', base64: b } : null;
    },
    async deletePhoto(id) {
      photos.delete(id);
    },
  };
}

let clock = 0;
function visit(over: Partial<FieldVisit> = {}): FieldVisit {
  clock++;
  return {
    clientId: newUuid(), user: 'reader', taskId: clock, routeId: 1, period: '2026-11', accountId: 100 + clock, meterId: 500 + clock,
    accountNo: `33100000${String(clock).padStart(2, '0')}`, accountName: '张三', readAt: '2026-11-27T09:30:00+08:00',
    readings: { TOTAL: '1234.50' }, exceptionCode: null, gps: null, photo: null, state: 'queued', attempts: 0,
    createdAt: new Date(Date.UTC(2026, 10, 27, 1, 0, clock)).toISOString(), ...over,
  };
}

/** A server that stores by clientId like POST /readings does. */
function fakeServer() {
  const stored = new Map<string, RegisterOutcome[]>();
  const photos = new Map<string, string>();
  const calls: Array<{ kind: 'photo' | 'submit'; n: number; ids: string[] }> = [];
  let failNext: { status: number; code: string; message: string; afterStoring?: boolean } | null = null;
  const rejectAccount = new Set<number>();
  const badRequestAccount = new Set<number>();
  const api: SyncApi = {
    async uploadPhoto(b) {
      calls.push({ kind: 'photo', n: 1, ids: [b.id] });
      if (b.dataBase64 === 'BAD') throw Object.assign(new Error('dataBase64: not a jpeg'), { status: 400, code: 'VALIDATION_FAILED' });
      photos.set(b.id, b.dataBase64);
      return { photoRef: `photo:${b.id}` };
    },
    async submit(items: VisitPayload[]) {
      calls.push({ kind: 'submit', n: items.length, ids: items.map((i) => i.clientId) });
      if (failNext && !failNext.afterStoring) {
        const f = failNext;
        failNext = null;
        throw Object.assign(new Error(f.message), f);
      }
      if (items.some((i) => badRequestAccount.has(i.accountId))) throw Object.assign(new Error('items.0.accountId: out of scope'), { status: 403, code: 'OUT_OF_SCOPE' });
      const res: SubmitResponse = { summary: { rows: 0, stored: 0, accepted: 0, pendingReview: 0, rejected: 0, duplicates: 0 }, items: [] };
      items.forEach((it, index) => {
        const had = stored.get(it.clientId);
        if (had) {
          res.items.push({ index, clientId: it.clientId, duplicate: true, readings: had.map((o) => ({ ...o, duplicate: true })) });
          return;
        }
        for (const p of [it.photoRef]) if (p && !photos.has(p.slice(6))) throw new Error('photo referenced before upload');
        const regs = Object.keys(it.readings ?? { TOTAL: null });
        const out: RegisterOutcome[] = regs.map((register) => rejectAccount.has(it.accountId)
          ? { register, status: 'rejected', reason: 'FUTURE_TIMESTAMP', message: { zh: '抄表时间晚于当前时间', en: 'reading time is in the future' }, ruleResults: [] }
          : it.exceptionCode
            ? { register, status: 'pending_review', readingId: stored.size + 1, value: null, ruleResults: [{ rule: 'EXCEPTION_REPORTED', severity: 'warning', zh: '门闭', en: 'Door locked' }] }
            : { register, status: 'accepted', readingId: stored.size + 1, value: it.readings![register], ruleResults: [] });
        if (out.some((o) => o.status !== 'rejected')) stored.set(it.clientId, out.filter((o) => o.status !== 'rejected'));
        res.items.push({ index, clientId: it.clientId, duplicate: false, readings: out });
      });
      if (failNext?.afterStoring) {
        const f = failNext;
        failNext = null;
        throw Object.assign(new Error(f.message), f); // stored, but the answer is lost
      }
      return res;
    },
  };
  return { api, stored, photos, calls, rejectAccount, badRequestAccount, failNext: (f: typeof failNext) => (failNext = f) };
}

describe('field app offline queue', () => {
  it('uploads photos first, then submits visits in batches; everything ends synced and the photo is removed locally', async () => {
    const store = memStore();
    const srv = fakeServer();
    const vs = [visit({ photo: { id: newUuid(), contentType: 'image/jpeg', sizeBytes: 3, uploaded: false } }), visit(), visit(), visit({ user: 'other' })];
    for (const v of vs) await store.putVisit(v);
    store.photos.set(vs[0].photo!.id, 'AAAA');
    expect(unsyncedCount(await store.listVisits('reader'))).toBe(3);

    const r = await syncQueue(store, srv.api, 'reader', { batchSize: 2 });
    expect(r).toMatchObject({ sent: 3, synced: 3, rejected: 0, duplicates: 0, photosUploaded: 1, remaining: 0, stoppedBy: null });
    expect(srv.calls.map((c) => `${c.kind}:${c.n}`)).toEqual(['photo:1', 'submit:2', 'submit:1']);
    const after = await store.listVisits('reader');
    expect(after.every((v) => v.state === 'synced')).toBe(true);
    expect(after.find((v) => v.clientId === vs[0].clientId)!.photo!.uploaded).toBe(true);
    expect(store.photos.size).toBe(0);
    // the other user's visit was not touched
    expect((await store.listVisits('other'))[0].state).toBe('queued');
    // a second round sends nothing
    const again = await syncQueue(store, srv.api, 'reader');
    expect(again).toMatchObject({ sent: 0, remaining: 0 });
    expect(srv.calls).toHaveLength(3);
  });

  it('offline: nothing is lost and the queue stays; a stored batch whose answer was lost is re-sent and comes back as duplicate', async () => {
    const store = memStore();
    const srv = fakeServer();
    const v1 = visit(), v2 = visit({ readings: {}, exceptionCode: 'DOOR_LOCKED' });
    await store.putVisit(v1);
    await store.putVisit(v2);

    srv.failNext({ status: 0, code: 'NETWORK', message: 'Failed to fetch' });
    const off = await syncQueue(store, srv.api, 'reader');
    expect(off.stoppedBy).toContain('NETWORK');
    expect(off.remaining).toBe(2);
    expect(srv.stored.size).toBe(0);

    srv.failNext({ status: 0, code: 'NETWORK', message: 'connection reset', afterStoring: true });
    const lost = await syncQueue(store, srv.api, 'reader');
    expect(lost.remaining).toBe(2);
    expect(srv.stored.size).toBe(2); // the server has them, the phone does not know

    const resend = await syncQueue(store, srv.api, 'reader');
    expect(resend).toMatchObject({ sent: 2, synced: 2, duplicates: 2, remaining: 0 });
    expect(srv.stored.size).toBe(2);
    const byId = new Map((await store.listVisits('reader')).map((v) => [v.clientId, v]));
    expect(byId.get(v1.clientId)).toMatchObject({ state: 'synced', serverDuplicate: true });
    expect(byId.get(v2.clientId)!.outcomes![0]).toMatchObject({ register: 'TOTAL', status: 'pending_review' });
    // server errors (5xx) and an expired session (401) also keep the queue
    await store.putVisit(visit());
    srv.failNext({ status: 503, code: 'HTTP_503', message: 'unavailable' });
    expect((await syncQueue(store, srv.api, 'reader')).remaining).toBe(1);
    srv.failNext({ status: 401, code: 'UNAUTHENTICATED', message: 'login required' });
    expect((await syncQueue(store, srv.api, 'reader')).remaining).toBe(1);
    expect((await syncQueue(store, srv.api, 'reader')).remaining).toBe(0);
  });

  it('a rejected register makes the visit rejected and editable; a correction resends only what was not stored', async () => {
    const store = memStore();
    const srv = fakeServer();
    const bad = visit({ readings: { TOTAL: '99.00', PEAK: '10.00' } });
    srv.rejectAccount.add(bad.accountId);
    await store.putVisit(bad);
    const r = await syncQueue(store, srv.api, 'reader');
    expect(r).toMatchObject({ sent: 1, rejected: 1, synced: 0 });
    const got = (await store.listVisits('reader'))[0];
    expect(got.state).toBe('rejected');
    expect(got.outcomes![0].message!.zh).toContain('抄表时间');
    expect(registersToResend(got)).toEqual(['TOTAL', 'PEAK']);
    // partly stored: only the refused register is resent
    const part = { ...got, outcomes: [{ register: 'TOTAL', status: 'accepted' as const, ruleResults: [] }, { register: 'PEAK', status: 'rejected' as const, ruleResults: [] }] };
    expect(registersToResend(part)).toEqual(['PEAK']);
    // the correction supersedes it; currentVisit follows
    const fix = visit({ taskId: got.taskId, accountId: got.accountId + 1000, replaces: got.clientId, createdAt: new Date(Date.parse(got.createdAt) + 60_000).toISOString() });
    await store.putVisit({ ...got, state: 'superseded' });
    await store.putVisit(fix);
    const all = await store.listVisits('reader');
    expect(currentVisit(all, got.taskId)!.clientId).toBe(fix.clientId);
    expect(unsyncedCount(all)).toBe(1);
  });

  it('a request refused as a whole is split so one bad visit does not hold up the others; a refused photo is dropped, the reading is sent', async () => {
    const store = memStore();
    const srv = fakeServer();
    const good1 = visit(), outside = visit(), good2 = visit({ photo: { id: newUuid(), contentType: 'image/jpeg', sizeBytes: 3, uploaded: false } });
    srv.badRequestAccount.add(outside.accountId);
    for (const v of [good1, outside, good2]) await store.putVisit(v);
    store.photos.set(good2.photo!.id, 'BAD');
    const r = await syncQueue(store, srv.api, 'reader');
    expect(r).toMatchObject({ synced: 2, rejected: 1, photosRefused: 1, remaining: 0 });
    const byId = new Map((await store.listVisits('reader')).map((v) => [v.clientId, v]));
    expect(byId.get(outside.clientId)).toMatchObject({ state: 'rejected' });
    expect(byId.get(outside.clientId)!.lastError).toContain('OUT_OF_SCOPE');
    expect(byId.get(good2.clientId)!.state).toBe('synced');
    expect(byId.get(good2.clientId)!.photo!.error).toContain('not a jpeg');
    expect(payloadOf(byId.get(good2.clientId)!).photoRef).toBeNull();
  });

  it('payload: clientId, ids, period, readings without blanks, exception, photoRef only once uploaded, gps without accuracy', () => {
    const v = visit({ readings: { TOTAL: '12.5', PEAK: '' }, gps: { lat: 30.27, lon: 120.15, accuracy: 12 }, photo: { id: 'p1', contentType: 'image/jpeg', sizeBytes: 1, uploaded: true } });
    expect(payloadOf(v)).toEqual({ clientId: v.clientId, accountId: v.accountId, meterId: v.meterId, readAt: v.readAt, readings: { TOTAL: '12.5' }, exceptionCode: null, photoRef: 'photo:p1', gps: { lat: 30.27, lon: 120.15 }, billingPeriod: '2026-11' });
    const door = payloadOf(visit({ readings: {}, exceptionCode: 'DOOR_LOCKED' }));
    expect(door.readings).toBeUndefined();
    expect(door.exceptionCode).toBe('DOOR_LOCKED');
  });

  it('value checks: errors block (not a number, digits), range and backwards only warn', () => {
    const ctx = { register: 'TOTAL', digits: 6, decimals: 2, last: '5000.00', expected: { low: '5050.00', high: '5150.00' } };
    expect(checkValue('5100.5', ctx)).toEqual({ error: null, warnings: [] });
    expect(checkValue('abc', ctx).error).toEqual({ kind: 'notNumber' });
    expect(checkValue('1234567', ctx).error).toEqual({ kind: 'tooManyDigits', digits: 6 });
    expect(checkValue('5100.123', ctx).error).toEqual({ kind: 'tooManyDecimals', decimals: 2 });
    expect(checkValue('4999', ctx).warnings.map((w) => w.kind)).toEqual(['belowLast', 'outOfRange']);
    expect(checkValue('9000', ctx).warnings.map((w) => w.kind)).toEqual(['outOfRange']);
    expect(checkValue('1', { ...ctx, register: 'MAX_DEMAND', expected: null }).warnings).toEqual([]);
  });

  it('time-of-use balance, ids, period and time in Asia/Shanghai', () => {
    const last = { TOTAL: { value: '1000.00' }, PEAK: { value: '600.00' }, VALLEY: { value: '400.00' } };
    expect(touBalance({ TOTAL: '1100', PEAK: '660', VALLEY: '440' }, last)).toEqual({ total: '100.00', tou: '100.00', off: false });
    expect(touBalance({ TOTAL: '1100', PEAK: '680', VALLEY: '440' }, last)!.off).toBe(true);
    expect(touBalance({ TOTAL: '1100' }, last)).toBeNull();
    const ids = new Set(Array.from({ length: 200 }, () => newUuid()));
    expect(ids.size).toBe(200);
    // without randomUUID (an http:// page that is not a secure context)
    const u = newUuid({ getRandomValues: (a: Uint8Array) => globalThis.crypto.getRandomValues(a) });
    expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const t = new Date('2026-11-30T17:30:00Z'); // 01:30 on 1 December in Shanghai
    expect(periodOf(t)).toBe('2026-12');
    expect(shanghaiIso(t)).toBe('2026-12-01T01:30:00+08:00');
  });
});
