/**
 * The field app's offline queue (移动抄表离线队列), pure TypeScript: no DOM, no storage engine,
 * no fetch — those come in through `QueueStore` and `SyncApi`, so this file is unit-tested in
 * Node (test/integration/field-queue.test.ts).
 *
 * Every saved visit gets a client UUID and waits in the queue (state `queued`) with its photo.
 * `syncQueue` uploads the photos first (idempotent by the photo's own UUID), then POSTs the
 * visits to /readings in batches with `source: "phone"`. The server de-duplicates by clientId,
 * so a batch whose answer was lost is simply sent again. Per register the server answers
 * accepted / pending_review / rejected; a visit with a rejected register becomes `rejected` and
 * stays editable: a correction is a new visit (new clientId) that supersedes it.
 */

export const EXCEPTION_CODES = ['DOOR_LOCKED', 'STOPPED', 'REVERSED', 'UNREADABLE', 'FAULTY'] as const;
export type ExceptionCode = (typeof EXCEPTION_CODES)[number];

/** Registers whose value only grows (energy); MAX_DEMAND is an instantaneous maximum. */
export const NON_CUMULATIVE = ['MAX_DEMAND'];
/** Time-of-use registers whose advances should add up to TOTAL's. */
export const TOU_REGISTERS = ['SHARP', 'PEAK', 'FLAT', 'VALLEY'];

export interface Msg {
  zh: string;
  en: string;
}

export interface RuleResult {
  rule: string;
  severity: 'error' | 'warning' | 'info';
  zh: string;
  en: string;
}

/** One register row of the server's answer (docs/metering.md "outcome"). */
export interface RegisterOutcome {
  register: string;
  status: 'accepted' | 'pending_review' | 'rejected';
  duplicate?: boolean;
  readingId?: number;
  value?: string | null;
  consumption?: string | null;
  reason?: string;
  message?: Msg;
  ruleResults: RuleResult[];
}

export interface SubmitResponse {
  summary: { rows: number; stored: number; accepted: number; pendingReview: number; rejected: number; duplicates: number };
  items: Array<{ index: number; clientId: string | null; duplicate: boolean; readings: RegisterOutcome[] }>;
}

/** The body of one visit in POST /readings. */
export interface VisitPayload {
  clientId: string;
  accountId: number;
  meterId: number;
  readAt: string;
  readings?: Record<string, string>;
  exceptionCode?: ExceptionCode | null;
  photoRef?: string | null;
  gps?: { lat: number; lon: number } | null;
  billingPeriod: string;
}

export type VisitState = 'queued' | 'synced' | 'rejected' | 'superseded';

export interface QueuedPhoto {
  /** client UUID; the server's photoRef is `photo:<id>` */
  id: string;
  contentType: string;
  sizeBytes: number;
  width?: number;
  height?: number;
  uploaded: boolean;
  /** set when the server refused the photo (the visit was sent without it) */
  error?: string | null;
}

export interface FieldVisit {
  clientId: string;
  /** username: one phone may be shared, every user has their own queue */
  user: string;
  taskId: number;
  routeId: number;
  period: string;
  accountId: number;
  meterId: number;
  accountNo: string;
  accountName: string;
  readAt: string;
  readings: Record<string, string>;
  exceptionCode: ExceptionCode | null;
  gps: { lat: number; lon: number; accuracy?: number } | null;
  photo: QueuedPhoto | null;
  state: VisitState;
  /** the server already had this clientId (a re-send) */
  serverDuplicate?: boolean;
  outcomes?: RegisterOutcome[];
  attempts: number;
  lastError?: string | null;
  createdAt: string;
  syncedAt?: string | null;
  /** clientId of the rejected visit this one corrects */
  replaces?: string | null;
}

export interface QueueStore {
  listVisits(user: string): Promise<FieldVisit[]>;
  putVisit(v: FieldVisit): Promise<void>;
  /** the photo's bytes as base64 (no data-URL prefix); null when gone */
  photoBase64(id: string): Promise<{ contentType: string; base64: string } | null>;
  deletePhoto(id: string): Promise<void>;
}

export interface SyncApi {
  uploadPhoto(body: { id: string; contentType: string; dataBase64: string; accountId: number }): Promise<{ photoRef: string }>;
  submit(items: VisitPayload[]): Promise<SubmitResponse>;
}

/** An error from the API: `status` 0 = no network. */
export interface ApiLikeError {
  status?: number;
  code?: string;
  message?: string;
}

/** Worth retrying later (offline, server trouble, session expired) rather than a refusal of this visit. */
export function isTransient(e: unknown): boolean {
  const s = (e as ApiLikeError)?.status;
  return s === undefined || s === 0 || s === 401 || s === 408 || s === 429 || s >= 500;
}

export function errorText(e: unknown): string {
  const x = e as ApiLikeError;
  return x?.code ? `${x.code}: ${x.message ?? ''}` : String(x?.message ?? e);
}

/** RFC 4122 v4 UUID; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function newUuid(c: { randomUUID?: () => string; getRandomValues: (a: Uint8Array) => Uint8Array } = globalThis.crypto as never): string {
  if (typeof c.randomUUID === 'function') {
    try {
      return c.randomUUID();
    } catch {
      /* insecure context */
    }
  }
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The billing period (YYYY-MM) of a moment in Asia/Shanghai. */
export function periodOf(now: Date): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 7);
}

/** The day (YYYY-MM-DD) of a moment in Asia/Shanghai. */
export function dayOf(now: Date): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}

/** ISO 8601 with the +08:00 offset, e.g. 2026-11-25T09:30:00+08:00 (what the reader's clock said). */
export function shanghaiIso(now: Date): string {
  return new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 19) + '+08:00';
}

export function payloadOf(v: FieldVisit): VisitPayload {
  const readings = Object.fromEntries(Object.entries(v.readings).filter(([, x]) => x !== ''));
  return {
    clientId: v.clientId,
    accountId: v.accountId,
    meterId: v.meterId,
    readAt: v.readAt,
    ...(Object.keys(readings).length ? { readings } : {}),
    exceptionCode: v.exceptionCode,
    photoRef: v.photo?.uploaded ? `photo:${v.photo.id}` : null,
    gps: v.gps ? { lat: v.gps.lat, lon: v.gps.lon } : null,
    billingPeriod: v.period,
  };
}

/** A visit is rejected when any of its registers was refused; otherwise synced. */
export function stateFromOutcomes(outcomes: RegisterOutcome[]): 'synced' | 'rejected' {
  return outcomes.some((o) => o.status === 'rejected') ? 'rejected' : 'synced';
}

/** Waiting to be sent. */
export function isUnsynced(v: FieldVisit): boolean {
  return v.state === 'queued';
}

export function unsyncedCount(visits: FieldVisit[]): number {
  return visits.filter(isUnsynced).length;
}

/** The visit that speaks for a task now: the newest one that is not superseded. */
export function currentVisit(visits: FieldVisit[], taskId: number): FieldVisit | null {
  let best: FieldVisit | null = null;
  for (const v of visits) {
    if (v.taskId !== taskId || v.state === 'superseded') continue;
    if (!best || v.createdAt > best.createdAt) best = v;
  }
  return best;
}

/** The registers a correction of a rejected visit still has to send (those not stored). */
export function registersToResend(v: FieldVisit): string[] {
  const stored = new Set((v.outcomes ?? []).filter((o) => o.status !== 'rejected').map((o) => o.register));
  return Object.keys(v.readings).filter((r) => !stored.has(r));
}

export interface SyncReport {
  /** visits that got an answer this round */
  sent: number;
  synced: number;
  rejected: number;
  /** visits the server already had (a re-send) */
  duplicates: number;
  photosUploaded: number;
  photosRefused: number;
  /** left in the queue */
  remaining: number;
  /** why the round stopped early (offline, server error, logged out) */
  stoppedBy: string | null;
}

/**
 * One sync round for `user`: photos first, then the visits in batches. Stops at the first
 * transient error (the rest stays queued); a refused photo is dropped from its visit (the
 * reading matters more) and noted; a refused batch is retried one visit at a time so a single
 * bad visit cannot hold up the others.
 */
export async function syncQueue(store: QueueStore, api: SyncApi, user: string, opts: { batchSize?: number; now?: () => Date } = {}): Promise<SyncReport> {
  const now = opts.now ?? (() => new Date());
  const batchSize = Math.max(1, Math.min(opts.batchSize ?? 50, 500));
  const report: SyncReport = { sent: 0, synced: 0, rejected: 0, duplicates: 0, photosUploaded: 0, photosRefused: 0, remaining: 0, stoppedBy: null };
  const queued = (await store.listVisits(user)).filter(isUnsynced).sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));

  // 1. photos
  for (const v of queued) {
    if (!v.photo || v.photo.uploaded) continue;
    const data = await store.photoBase64(v.photo.id);
    if (!data) {
      v.photo = null; // lost on this device (storage cleared): send the reading without it
      report.photosRefused++;
      await store.putVisit(v);
      continue;
    }
    try {
      await api.uploadPhoto({ id: v.photo.id, contentType: data.contentType, dataBase64: data.base64, accountId: v.accountId });
      v.photo = { ...v.photo, uploaded: true, error: null };
      report.photosUploaded++;
    } catch (e) {
      if (isTransient(e)) {
        report.stoppedBy = errorText(e);
        report.remaining = queued.length;
        return report;
      }
      v.photo = { ...v.photo, uploaded: false, error: errorText(e) };
      report.photosRefused++;
    }
    await store.putVisit(v);
  }

  // 2. visits
  const apply = async (batch: FieldVisit[], res: SubmitResponse) => {
    for (const item of res.items) {
      const v = batch[item.index];
      if (!v) continue;
      v.outcomes = item.readings;
      v.serverDuplicate = item.duplicate;
      v.state = stateFromOutcomes(item.readings);
      v.syncedAt = now().toISOString();
      v.lastError = null;
      v.attempts++;
      report.sent++;
      if (v.state === 'rejected') report.rejected++;
      else report.synced++;
      if (item.duplicate) report.duplicates++;
      await store.putVisit(v);
      if (v.photo?.uploaded) await store.deletePhoto(v.photo.id).catch(() => undefined);
    }
  };
  for (let i = 0; i < queued.length; i += batchSize) {
    const batch = queued.slice(i, i + batchSize);
    try {
      await apply(batch, await api.submit(batch.map(payloadOf)));
    } catch (e) {
      if (isTransient(e)) {
        report.stoppedBy = errorText(e);
        break;
      }
      // a refusal of the whole request (bad field, out of scope): find the culprit(s) one by one
      for (const v of batch) {
        try {
          await apply([v], await api.submit([payloadOf(v)]));
        } catch (e1) {
          if (isTransient(e1)) {
            report.stoppedBy = errorText(e1);
            break;
          }
          v.state = 'rejected';
          v.lastError = errorText(e1);
          v.attempts++;
          v.syncedAt = now().toISOString();
          report.sent++;
          report.rejected++;
          await store.putVisit(v);
        }
      }
      if (report.stoppedBy) break;
    }
  }
  report.remaining = (await store.listVisits(user)).filter(isUnsynced).length;
  return report;
}

/** A stored value ('13901.1900') shown with the meter's decimals ('13901.19'); only zeros are dropped. */
export function fmtReading(value: string, decimals: number): string {
  const m = /^(-?\d+)(?:\.(\d*))?$/.exec(value);
  if (!m) return value;
  let frac = m[2] ?? '';
  while (frac.length > decimals && frac.endsWith('0')) frac = frac.slice(0, -1);
  if (frac.length < decimals) frac = frac.padEnd(decimals, '0');
  return frac ? `${m[1]}.${frac}` : m[1];
}

// ---- value checks (warn, not block) ---------------------------------------------------------

export interface RegisterContext {
  register: string;
  digits: number;
  decimals: number;
  last?: string | null;
  expected?: { low: string; high: string } | null;
}

export type CheckIssue =
  | { kind: 'notNumber' }
  | { kind: 'tooManyDigits'; digits: number }
  | { kind: 'tooManyDecimals'; decimals: number }
  | { kind: 'belowLast'; last: string }
  | { kind: 'outOfRange'; low: string; high: string };

/**
 * Errors (the server would refuse the value: not a number, too many digits) and warnings (below
 * the last reading — maybe a rollover —, outside the expected range). Warnings never block.
 */
export function checkValue(value: string, ctx: RegisterContext): { error: CheckIssue | null; warnings: CheckIssue[] } {
  const v = value.trim();
  if (!/^\d+(\.\d+)?$/.test(v)) return { error: { kind: 'notNumber' }, warnings: [] };
  const [int, frac = ''] = v.split('.');
  if (int.replace(/^0+(?=\d)/, '').length > ctx.digits) return { error: { kind: 'tooManyDigits', digits: ctx.digits }, warnings: [] };
  if (frac.length > ctx.decimals) return { error: { kind: 'tooManyDecimals', decimals: ctx.decimals }, warnings: [] };
  const warnings: CheckIssue[] = [];
  const n = Number(v);
  if (ctx.last != null && !NON_CUMULATIVE.includes(ctx.register) && n < Number(ctx.last)) warnings.push({ kind: 'belowLast', last: ctx.last });
  if (ctx.expected && (n < Number(ctx.expected.low) || n > Number(ctx.expected.high))) warnings.push({ kind: 'outOfRange', low: ctx.expected.low, high: ctx.expected.high });
  return { error: null, warnings };
}

/**
 * Advance of TOTAL vs the sum of the time-of-use advances (what the server's
 * REGISTER_SUM_MISMATCH rule checks), as display strings; null when it cannot be said.
 */
export function touBalance(values: Record<string, string>, last: Record<string, { value: string } | undefined>): { total: string; tou: string; off: boolean } | null {
  const adv = (r: string) => {
    const v = values[r]?.trim();
    const l = last[r]?.value;
    if (!v || l === undefined || !/^\d+(\.\d+)?$/.test(v)) return null;
    return Math.round((Number(v) - Number(l)) * 10_000);
  };
  const total = adv('TOTAL');
  const parts = TOU_REGISTERS.filter((r) => values[r]?.trim()).map(adv);
  if (total === null || !parts.length || parts.some((p) => p === null)) return null;
  const sum = (parts as number[]).reduce((a, b) => a + b, 0);
  const tol = 1_000 + Math.abs(total) * 0.01; // 0.1 + 1 % (scaled 10^4), as the server's default
  return { total: (total / 10_000).toFixed(2), tou: (sum / 10_000).toFixed(2), off: Math.abs(sum - total) > tol };
}
