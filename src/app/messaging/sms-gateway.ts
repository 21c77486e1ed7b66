/**
 * SMS gateway adapter speaking a simple HTTP JSON protocol (docs/service-requests.md,
 * "Messages"):
 *
 *   POST {baseUrl}/v1/sms/send        Authorization: Bearer <token> (optional)
 *   { "messageId": "VL-42", "to": "13800000000", "templateCode": "service_request.completed",
 *     "params": { … }, "text": "您的申请…" }
 *   200 { "status": "accepted", "gatewayMessageId": "…" }   acknowledged (also for a repeated messageId)
 *   400/422 { "error": "…" }                                  refused: permanent failure
 *   429 / 5xx / timeout / connection error                   retryable
 */
import type { MessageSender, OutboundMessage, SendResult } from './sender.js';

export interface HttpSmsGatewayOptions {
  baseUrl: string;
  token?: string | null;
  timeoutMs?: number;
  /** prefix of the idempotency key sent as messageId */
  idPrefix?: string;
}

export class HttpSmsGateway implements MessageSender {
  readonly name = 'http-sms';
  private readonly base: string;
  constructor(private readonly o: HttpSmsGatewayOptions) {
    const u = new URL(o.baseUrl); // throws on a bad URL
    this.base = u.toString().replace(/\/+$/, '');
  }

  async send(m: OutboundMessage): Promise<SendResult> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/v1/sms/send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}) },
        body: JSON.stringify({ messageId: `${this.o.idPrefix ?? 'VL'}-${m.id}`, to: m.to, templateCode: m.templateCode, params: m.params, text: m.textZh }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
    } catch (e) {
      return { ok: false, retryable: true, error: `gateway unreachable: ${(e as Error).message}` };
    }
    let body: any = null;
    try {
      body = await res.json();
    } catch {
      /* not json */
    }
    if (res.status === 200 && body?.status === 'accepted' && typeof body.gatewayMessageId === 'string') return { ok: true, gatewayMessageId: body.gatewayMessageId };
    const err = `gateway HTTP ${res.status}${body?.error ? `: ${String(body.error).slice(0, 200)}` : ''}`;
    if (res.status === 200) return { ok: false, retryable: true, error: `${err}: unexpected response` };
    return { ok: false, retryable: res.status === 429 || res.status >= 500 || res.status === 408, error: err };
  }
}
