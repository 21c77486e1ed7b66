/**
 * Thin fetch wrapper for /api/v1. Cookies carry the session (same origin). Every non-2xx
 * response becomes an ApiError with the server's stable code, message and field.
 */
export const API_BASE = '/api/v1';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  readonly details?: Record<string, unknown>;
  readonly requestId?: string;
  constructor(status: number, code: string, message: string, details?: Record<string, unknown>, requestId?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.field = typeof details?.field === 'string' ? details.field : undefined;
    this.requestId = requestId;
  }
}

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();

/** Called when any request (other than the login/me probes) gets a 401. */
export function onUnauthenticated(fn: Listener): () => void {
  unauthenticatedListeners.add(fn);
  return () => unauthenticatedListeners.delete(fn);
}

export type Query = Record<string, string | number | boolean | null | undefined | Array<string | number>>;

export function buildQuery(query?: Query): string {
  if (!query) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => sp.append(k, String(x)));
    else sp.set(k, String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(API_BASE + path + buildQuery(query), {
      method,
      headers,
      body: payload,
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', (e as Error).message || 'network error');
  }
  const requestId = res.headers.get('x-request-id') ?? undefined;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
    const apiErr = new ApiError(
      res.status,
      err?.code ?? (res.status === 401 ? 'UNAUTHENTICATED' : `HTTP_${res.status}`),
      err?.message ?? (res.statusText || `HTTP ${res.status}`),
      err?.details,
      requestId,
    );
    if (res.status === 401 && !path.startsWith('/auth/login') && !path.startsWith('/auth/me')) {
      unauthenticatedListeners.forEach((fn) => fn());
    }
    throw apiErr;
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
};
