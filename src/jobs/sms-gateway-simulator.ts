/**
 * Loopback SMS gateway simulator (短信网关模拟器) speaking the protocol of
 * src/app/messaging/sms-gateway.ts on 127.0.0.1. It stores what it accepted (idempotent per
 * messageId), refuses bad requests with 400, and fails on purpose when told to:
 * `failNext(n)` (or POST /v1/sim/fail {"count": n, "status": 503}) answers the next n sends with
 * that status, `failRate` fails a share of sends at random (seeded). GET /v1/sms/messages lists
 * the accepted messages; GET /v1/sim/stats the counters.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SmsGatewayOptions {
  port?: number;
  host?: string;
  /** required Bearer token (none = no check) */
  token?: string | null;
  /** share of sends answered 503 (0..1), drawn from a seeded generator */
  failRate?: number;
  seed?: number;
  /** called for every send request before it is handled (tests) */
  onRequest?: (body: unknown) => void;
}

export interface AcceptedSms {
  gatewayMessageId: string;
  messageId: string;
  to: string;
  templateCode: string;
  params: Record<string, unknown>;
  text: string;
  receivedAt: string;
}

export interface SmsGatewaySimulator {
  url: string;
  port: number;
  messages: AcceptedSms[];
  stats: { requests: number; accepted: number; duplicates: number; injectedFailures: number; rejected: number };
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

export async function startSmsGateway(o: SmsGatewayOptions = {}): Promise<SmsGatewaySimulator> {
  const messages: AcceptedSms[] = [];
  const byId = new Map<string, AcceptedSms>();
  const stats = { requests: 0, accepted: 0, duplicates: 0, injectedFailures: 0, rejected: 0 };
  const queue: number[] = [];
  const rand = rng(o.seed ?? 1);
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 64 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      let body: any = null;
      try {
        body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : null;
      } catch {
        return send(res, 400, { error: 'body is not JSON' });
      }
      const url = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && url === '/v1/sms/messages') return send(res, 200, { items: messages });
      if (req.method === 'GET' && url === '/v1/sim/stats') return send(res, 200, stats);
      if (req.method === 'POST' && url === '/v1/sim/fail') {
        const n = Number(body?.count ?? 1);
        if (!Number.isInteger(n) || n < 0 || n > 10_000) return send(res, 400, { error: 'count must be an integer 0..10000' });
        sim.failNext(n, Number(body?.status ?? 503));
        return send(res, 200, { queued: queue.length });
      }
      if (req.method !== 'POST' || url !== '/v1/sms/send') return send(res, 404, { error: 'not found' });
      stats.requests++;
      o.onRequest?.(body);
      if (o.token && req.headers.authorization !== `Bearer ${o.token}`) return send(res, 401, { error: 'bad token' });
      if (queue.length) {
        stats.injectedFailures++;
        return send(res, queue.shift()!, { error: 'injected failure' });
      }
      if (o.failRate && rand() < o.failRate) {
        stats.injectedFailures++;
        return send(res, 503, { error: 'injected failure (rate)' });
      }
      const { messageId, to, templateCode, params, text } = body ?? {};
      if (typeof messageId !== 'string' || !messageId || messageId.length > 64) {
        stats.rejected++;
        return send(res, 400, { error: 'messageId required' });
      }
      if (typeof to !== 'string' || !/^1[3-9]\d{9}$/.test(to)) {
        stats.rejected++;
        return send(res, 400, { error: 'to must be a mainland mobile number' });
      }
      if (typeof text !== 'string' || !text || text.length > 500) {
        stats.rejected++;
        return send(res, 400, { error: 'text required (≤ 500 characters)' });
      }
      const prev = byId.get(messageId);
      if (prev) {
        stats.duplicates++;
        return send(res, 200, { status: 'accepted', gatewayMessageId: prev.gatewayMessageId, duplicate: true });
      }
      const m: AcceptedSms = {
        gatewayMessageId: `SIM${String(messages.length + 1).padStart(8, '0')}`, messageId, to, templateCode: String(templateCode ?? ''),
        params: params && typeof params === 'object' ? params : {}, text, receivedAt: new Date().toISOString(),
      };
      messages.push(m);
      byId.set(messageId, m);
      stats.accepted++;
      return send(res, 200, { status: 'accepted', gatewayMessageId: m.gatewayMessageId });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const sim: SmsGatewaySimulator = {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    port,
    messages,
    stats,
    failNext(n, status = 503) {
      for (let i = 0; i < n; i++) queue.push(status);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return sim;
}
