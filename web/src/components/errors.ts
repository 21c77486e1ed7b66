import { ApiError } from '../api/client';
import type { TFunction, MessageKey } from '../i18n';

const CODE_KEYS: Record<string, MessageKey> = {
  UNAUTHENTICATED: 'error.UNAUTHENTICATED',
  FORBIDDEN: 'error.FORBIDDEN',
  OUT_OF_SCOPE: 'error.OUT_OF_SCOPE',
  NOT_FOUND: 'error.NOT_FOUND',
  CONFLICT: 'error.CONFLICT',
  PAYLOAD_TOO_LARGE: 'error.PAYLOAD_TOO_LARGE',
  LOCKED: 'error.LOCKED',
  RATE_LIMITED: 'error.RATE_LIMITED',
  INTERNAL: 'error.INTERNAL',
  NETWORK: 'error.NETWORK',
};

/** Human text for an error: the server's message, prefixed with a localised title for the code. */
export function errorText(t: TFunction, e: unknown): string {
  if (e instanceof ApiError) {
    const key = CODE_KEYS[e.code];
    if (e.code === 'VALIDATION_FAILED' || !key) return e.message;
    const title = t(key);
    return e.message && e.message !== title ? `${title}: ${e.message}` : title;
  }
  return e instanceof Error ? e.message : String(e);
}

/** The message to show under a form field: the API's text without its `field: ` prefix. */
export function fieldMessage(e: unknown): string {
  if (e instanceof ApiError) {
    const f = e.field;
    let m = e.message;
    if (f && m.startsWith(`${f}: `)) m = m.slice(f.length + 2);
    else {
      const short = f?.split(/[./]/).pop();
      if (short && m.startsWith(`${short}: `)) m = m.slice(short.length + 2);
    }
    return m;
  }
  return e instanceof Error ? e.message : String(e);
}
