/**
 * A simulated bank (代收银行) on loopback: signs its requests to the Voltline channel API and
 * re-sends a payment notification with the same idempotency key (and a new nonce) until it is
 * acknowledged (HTTP 2xx, or a definitive 4xx refusal), with exponential backoff. It also
 * serves a tiny HTTP API so a demo portal or a test can "pay at the bank":
 *   POST /pay {accountNo, amount}  ->  the Voltline result (after retries)
 *   POST /reverse {idempotencyKey} ;  POST /query {accountNo} ;  GET /transactions
 */
import crypto from 'node:crypto';
import http from 'node:http';
import { signRequest } from '../../domain/payments/signature.js';

export interface BankOptions {
  /** Voltline base URL, e.g. http://127.0.0.1:3000 */
  url: string;
  channel: string;
  secret: string;
  maxAttempts?: number;
  baseDelayMs?: number;
  log?: (m: string) => void;
}

export interface BankCall {
  status: number;
  body: any;
  attempts: number;
}

export class SimulatedBank {
  readonly transactions: Array<{ idempotencyKey: string; accountNo: string; amount: string; status: number; attempts: number; at: string }> = [];
  private seq = 0;
  constructor(readonly o: BankOptions) {}

  /** One signed POST (no retry). */
  async send(path: string, body: unknown): Promise<{ status: number; body: any }> {
    const raw = JSON.stringify(body);
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = crypto.randomUUID();
    const full = `/api/v1/channel/${path}`;
    const sig = signRequest(this.o.secret, 'POST', full, ts, nonce, raw);
    const res = await fetch(new URL(full, this.o.url), {
      method: 'POST', body: raw,
      headers: { 'content-type': 'application/json', 'x-channel-code': this.o.channel, 'x-timestamp': ts, 'x-nonce': nonce, 'x-signature': sig },
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* keep text */
    }
    return { status: res.status, body: parsed };
  }

  /** Send until acknowledged: network errors and 5xx are retried; 2xx and 4xx are final. */
  async sendReliably(path: string, body: unknown): Promise<BankCall> {
    const max = this.o.maxAttempts ?? 8;
    let delay = this.o.baseDelayMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await this.send(path, body);
        if (r.status < 500) return { ...r, attempts: attempt };
        this.o.log?.(`attempt ${attempt}: HTTP ${r.status}`);
      } catch (e) {
        this.o.log?.(`attempt ${attempt}: ${(e as Error).message}`);
      }
      if (attempt >= max) return { status: 0, body: { error: { code: 'NOT_ACKNOWLEDGED', message: `no acknowledgement after ${max} attempts` } }, attempts: attempt };
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }

  newKey(): string {
    return `${this.o.channel}-${Date.now().toString(36)}-${(++this.seq).toString(36)}-${crypto.randomBytes(3).toString('hex')}`;
  }

  async pay(accountNo: string, amount: string, idempotencyKey = this.newKey()): Promise<BankCall & { idempotencyKey: string }> {
    const r = await this.sendReliably('pay', { accountNo, amount, currency: 'CNY', idempotencyKey, method: 'transfer' });
    this.transactions.push({ idempotencyKey, accountNo, amount, status: r.status, attempts: r.attempts, at: new Date().toISOString() });
    return { ...r, idempotencyKey };
  }

  reverse(idempotencyKey: string, reason = '银行冲正') {
    return this.sendReliably('reverse', { idempotencyKey, reason });
  }

  query(accountNo: string) {
    return this.send('query', { accountNo });
  }

  /** Serve the bank's own demo API on 127.0.0.1:port. */
  listen(port: number): Promise<http.Server> {
    const server = http.createServer(async (req, res) => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      try {
        if (req.method === 'GET' && req.url === '/transactions') return reply(200, { items: this.transactions });
        if (req.method !== 'POST') return reply(404, { error: 'not found' });
        let raw = '';
        for await (const c of req) {
          raw += c;
          if (raw.length > 64 * 1024) return reply(413, { error: 'too large' });
        }
        const b = raw ? JSON.parse(raw) : {};
        if (req.url === '/pay') {
          const r = await this.pay(String(b.accountNo ?? ''), String(b.amount ?? ''), b.idempotencyKey);
          return reply(r.status === 200 ? 200 : 502, r);
        }
        if (req.url === '/reverse') return reply(200, await this.reverse(String(b.idempotencyKey ?? ''), b.reason));
        if (req.url === '/query') return reply(200, await this.query(String(b.accountNo ?? '')));
        return reply(404, { error: 'not found' });
      } catch (e) {
        return reply(400, { error: (e as Error).message });
      }
    });
    return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
  }
}
