/**
 * Outbound message senders. A sender delivers one message and says whether the gateway
 * acknowledged it; a failure is either retryable (network, timeout, 429, 5xx) or permanent
 * (the gateway refused the message, e.g. an invalid number). The message id is the idempotency
 * key at the gateway: a retry after a lost acknowledgement is not sent twice.
 */
export interface OutboundMessage {
  /** outbox id */
  id: number;
  channel: 'sms';
  to: string;
  templateCode: string;
  params: Record<string, unknown>;
  textZh: string;
  textEn: string | null;
}

export type SendResult =
  | { ok: true; gatewayMessageId: string }
  | { ok: false; retryable: boolean; error: string };

export interface MessageSender {
  readonly name: string;
  send(m: OutboundMessage): Promise<SendResult>;
}

/** Mainland mobile number, optionally +86 / 86 prefixed. Returns the 11-digit form or null. */
export function normalizeMobile(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const s = v.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
  return /^1[3-9]\d{9}$/.test(s) ? s : null;
}
