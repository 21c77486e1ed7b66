/**
 * Outbound messages (issue 7): service-request step messages are stored for the customer page
 * AND enqueued in the outbox in the same transaction; the dispatcher delivers them to the
 * loopback SMS gateway simulator over HTTP JSON, an injected failure is retried after the
 * backoff, a refusal fails the message, a repeated message id is not sent twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { startSmsGateway, type SmsGatewaySimulator } from '../../src/jobs/sms-gateway-simulator.js';
import { HttpSmsGateway } from '../../src/app/messaging/sms-gateway.js';
import { backoffMs, enqueueMessage, sendDueMessages } from '../../src/app/messaging/outbox.js';
import { normalizeMobile } from '../../src/app/messaging/sender.js';
import { verifyAudit } from '../../src/app/audit/verify-audit.js';

describe.each(engines())('message outbox and SMS gateway on %s', (engine) => {
  let t: TestApp;
  let sim: SmsGatewaySimulator;
  let engineer: string;
  let st01: number;

  beforeAll(async () => {
    t = await createTestApp(engine, { accounts: 40 });
    engineer = await t.login('engineer');
    st01 = (await t.db.kysely.selectFrom('org_units').select('id').where('code', '=', 'ST01').executeTakeFirstOrThrow()).id;
    sim = await startSmsGateway({ port: 0 });
  }, 180_000);
  afterAll(async () => {
    await sim?.close();
    await t?.drop();
  });

  const outbox = () => t.db.kysely.selectFrom('message_outbox').selectAll().orderBy('id').execute();

  it('normalises mainland mobile numbers and refuses others when enqueuing', async () => {
    expect(normalizeMobile('+86 138-0013-8000')).toBe('13800138000');
    expect(normalizeMobile('0571-88888888')).toBeNull();
    await expect(enqueueMessage(t.db.kysely, { recipientPhone: '0571-88888888', templateCode: 'test.x', textZh: '测试' })).rejects.toMatchObject({ details: { field: 'recipientPhone' } });
    await expect(enqueueMessage(t.db.kysely, { recipientPhone: '13800138000', templateCode: 'Bad Code', textZh: '测试' })).rejects.toMatchObject({ details: { field: 'templateCode' } });
    expect(await outbox()).toHaveLength(0);
    expect(backoffMs(1)).toBe(30_000);
    expect(backoffMs(3)).toBe(120_000);
    expect(backoffMs(30)).toBe(3_600_000);
  });

  it('a service-request step message is stored and enqueued; delivered with one injected failure retried after the backoff', async () => {
    const r = await t.call('POST', '/api/v1/service/requests', {
      cookie: engineer,
      body: { type: 'new_lv_resident', receivedOn: '2025-04-07', orgUnitId: st01, applicantName: '张三', applicantPhone: '13800138000', data: { address: '示范路1号', applicant: { name: '张三', idType: 'id_card', idNumber: '330102199001011234' } } },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const detail = (await t.call('GET', `/api/v1/service/requests/${r.body.id}`, { cookie: engineer })).body;
    expect(detail.notifications.map((n: any) => n.event)).toEqual(['submitted']);
    expect(detail.notifications[0].sms).toEqual({ status: 'pending', sentAt: null });
    let rows = await outbox();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      recipient_phone: '13800138000', template_code: 'service_request.submitted', status: 'pending', attempts: 0, source_type: 'service_request', source_id: String(r.body.id),
      notification_id: detail.notifications[0].id, text_zh: detail.notifications[0].zh,
    });
    expect(rows[0].params).toMatchObject({ requestNo: r.body.requestNo });

    let clock = new Date(Date.now() + 1000);
    const now = () => clock;
    const gw = new HttpSmsGateway({ baseUrl: sim.url });
    sim.failNext(1); // the gateway answers 503 once
    const s1 = await sendDueMessages(t.db, gw, { now });
    expect(s1).toMatchObject({ attempted: 1, sent: 0, retrying: 1, failed: 0 });
    expect(s1.errors[0].error).toMatch(/503/);
    rows = await outbox();
    expect(rows[0]).toMatchObject({ status: 'pending', attempts: 1 });
    expect(rows[0].last_error).toMatch(/503/);
    expect(new Date(rows[0].next_attempt_at).getTime()).toBe(clock.getTime() + 30_000);
    expect(sim.messages).toHaveLength(0);
    // not due yet: nothing is sent
    clock = new Date(clock.getTime() + 29_000);
    expect((await sendDueMessages(t.db, gw, { now })).attempted).toBe(0);
    // after the backoff the retry is acknowledged
    clock = new Date(clock.getTime() + 2_000);
    const s2 = await sendDueMessages(t.db, gw, { now });
    expect(s2).toMatchObject({ attempted: 1, sent: 1, retrying: 0, failed: 0 });
    rows = await outbox();
    expect(rows[0]).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
    expect(sim.messages).toHaveLength(1);
    expect(sim.messages[0]).toMatchObject({ to: '13800138000', templateCode: 'service_request.submitted', text: rows[0].text_zh, messageId: `VL-${rows[0].id}`, gatewayMessageId: rows[0].gateway_message_id });
    expect(sim.stats).toMatchObject({ requests: 2, accepted: 1, injectedFailures: 1 });
    // drained: a further run does nothing
    expect((await sendDueMessages(t.db, gw, { now })).attempted).toBe(0);
    // the customer page still shows the message
    expect((await t.call('GET', `/api/v1/service/requests/${r.body.id}`, { cookie: engineer })).body.notifications[0]).toMatchObject({ zh: rows[0].text_zh, sms: { status: 'sent' } });
    // the next step is enqueued too
    const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');
    const up = await t.call('POST', `/api/v1/service/requests/${r.body.id}/documents`, { cookie: engineer, body: { kind: 'id_proof', fileName: 'id.png', contentType: 'image/png', dataBase64: PNG } });
    expect(up.status).toBe(201);
    const p = await t.call('POST', `/api/v1/service/requests/${r.body.id}/transition`, { cookie: engineer, body: { action: 'pass', on: '2025-04-08' } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect((await outbox()).map((m) => m.template_code)).toEqual(['service_request.submitted', 'service_request.stage_passed']);
    expect((await sendDueMessages(t.db, gw, { now: () => new Date(Date.now() + 1000) })).sent).toBe(1);
    expect(sim.messages).toHaveLength(2);
  });

  it('a refusal (4xx) fails the message at once; retries stop after maxAttempts; a repeated message id is acknowledged once', async () => {
    const a = await enqueueMessage(t.db.kysely, { recipientPhone: '13900139000', templateCode: 'test.refused', textZh: '退费通知', sourceType: 'test' });
    const b = await enqueueMessage(t.db.kysely, { recipientPhone: '13900139001', templateCode: 'test.flaky', textZh: '缴费提醒', sourceType: 'test' });
    const gw = new HttpSmsGateway({ baseUrl: sim.url });
    let clock = new Date(Date.now() + 1000);
    sim.failNext(1, 400);
    sim.failNext(1, 500);
    const s = await sendDueMessages(t.db, gw, { now: () => clock, maxAttempts: 2 });
    expect(s).toMatchObject({ attempted: 2, sent: 0, failed: 1, retrying: 1 });
    const rowA = await t.db.kysely.selectFrom('message_outbox').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(rowA).toMatchObject({ status: 'failed', attempts: 1 });
    sim.failNext(1, 502);
    clock = new Date(clock.getTime() + 31_000);
    const s2 = await sendDueMessages(t.db, gw, { now: () => clock, maxAttempts: 2 });
    expect(s2).toMatchObject({ attempted: 1, failed: 1 });
    const rowB = await t.db.kysely.selectFrom('message_outbox').selectAll().where('id', '=', b.id).executeTakeFirstOrThrow();
    expect(rowB).toMatchObject({ status: 'failed', attempts: 2 });
    expect(rowB.last_error).toMatch(/502/);
    // idempotency at the gateway: the same message id twice → one message, same gateway id
    const before = sim.messages.length;
    const m = { id: 999_001, channel: 'sms' as const, to: '13700137000', templateCode: 'test.dup', params: {}, textZh: '重复', textEn: null };
    const r1 = await gw.send(m);
    const r2 = await gw.send(m);
    expect(r1).toEqual(r2);
    expect(r1.ok).toBe(true);
    expect(sim.messages.length).toBe(before + 1);
    // an unreachable gateway is a retryable failure
    const down = new HttpSmsGateway({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 2000 });
    const r3 = await down.send(m);
    expect(r3).toMatchObject({ ok: false, retryable: true });
    expect((await verifyAudit(t.db)).ok).toBe(true);
  });
});
