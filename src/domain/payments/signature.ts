/**
 * Channel request signatures (代收 API). The channel signs
 *   METHOD \n path?query \n timestamp \n nonce \n sha256hex(body)
 * with HMAC-SHA256 under its secret, hex-encoded, and sends the headers
 * x-channel-code, x-timestamp (Unix seconds), x-nonce, x-signature. Verification compares in
 * constant time (timingSafeEqual) against the current secret and, during rotation, the previous.
 */
import crypto from 'node:crypto';

export const SIGNATURE_HEADERS = { channel: 'x-channel-code', timestamp: 'x-timestamp', nonce: 'x-nonce', signature: 'x-signature' } as const;
/** Allowed clock difference between the channel and us. */
export const MAX_SKEW_SECONDS = 300;

export function sha256Hex(body: string | Buffer): string {
  return crypto.createHash('sha256').update(body).digest('hex');
}

export function canonicalRequest(method: string, pathWithQuery: string, timestamp: string, nonce: string, body: string | Buffer): string {
  return [method.toUpperCase(), pathWithQuery, timestamp, nonce, sha256Hex(body)].join('\n');
}

/** Example: `signRequest('s3cret', 'POST', '/api/v1/channel/pay', '1700000000', 'n1', '{}')` → 64 hex chars. */
export function signRequest(secret: string, method: string, pathWithQuery: string, timestamp: string, nonce: string, body: string | Buffer): string {
  return crypto.createHmac('sha256', secret).update(canonicalRequest(method, pathWithQuery, timestamp, nonce, body)).digest('hex');
}

/** Constant-time check of a hex signature against every secret given (all are computed). */
export function verifySignature(secrets: string[], signatureHex: string, method: string, pathWithQuery: string, timestamp: string, nonce: string, body: string | Buffer): boolean {
  const given = /^[0-9a-fA-F]{64}$/.test(signatureHex) ? Buffer.from(signatureHex, 'hex') : Buffer.alloc(32);
  const wellFormed = given.length === 32 && /^[0-9a-fA-F]{64}$/.test(signatureHex);
  let ok = false;
  for (const s of secrets) {
    const expected = crypto.createHmac('sha256', s).update(canonicalRequest(method, pathWithQuery, timestamp, nonce, body)).digest();
    if (crypto.timingSafeEqual(expected, given)) ok = true;
  }
  return ok && wellFormed;
}

/** 'ok' | 'malformed' | 'stale': the timestamp header (Unix seconds) within ±maxSkew of now. */
export function checkTimestamp(timestamp: string, nowMs: number, maxSkew = MAX_SKEW_SECONDS): 'ok' | 'malformed' | 'stale' {
  if (!/^\d{9,11}$/.test(timestamp)) return 'malformed';
  return Math.abs(Number(timestamp) - Math.floor(nowMs / 1000)) <= maxSkew ? 'ok' : 'stale';
}

/** A fresh random channel secret (48 hex chars = 192 bits). */
export function newChannelSecret(): string {
  return crypto.randomBytes(24).toString('hex');
}
