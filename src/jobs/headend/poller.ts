/**
 * Head-end poller core (no database): reads DL/T 645-2007 registers from many meters over TCP
 * with bounded concurrency, per-request timeouts, retries with exponential backoff and one
 * persistent, pipelined connection per concentrator endpoint. A bad frame or a silent meter is
 * a per-meter failure with a reason; nothing here throws for what a meter sends.
 *
 * Resuming after a restart is the caller's part: persist each result from `onResult` and pass
 * only the targets still due on the next run.
 */
import { buildReadRequest } from '../../domain/protocols/dlt645/message.js';
import { normalizeDi } from '../../domain/protocols/dlt645/di-table.js';
import { normalizeAddress } from '../../domain/protocols/dlt645/frame.js';
import type { Dlt645Value } from '../../domain/protocols/dlt645/formats.js';
import { PipelinedConnection, RequestFailure, type ConnectionStats } from './connection.js';

export interface PollTarget {
  /** meter address, 12 BCD digits */
  address: string;
  /** concentrator (or meter) TCP endpoint */
  host: string;
  port: number;
  /** DIs to read, e.g. ["00010000", "0001FF00", "00020000", "01010000"] */
  dis: string[];
}

export interface PollOptions {
  targets: PollTarget[];
  /** meters polled at the same time (default 64) */
  concurrency?: number;
  /** wait for one reply, ms (default 1000) */
  timeoutMs?: number;
  /** extra attempts per register after the first (default 2) */
  retries?: number;
  /** first backoff, doubled each retry (default 100 ms) */
  backoffMs?: number;
  /** persistent connections per endpoint (default 1) */
  connectionsPerEndpoint?: number;
  /** called as each meter finishes (persist here to resume after a restart) */
  onResult?: (r: PollResult) => void;
  signal?: AbortSignal;
  /** clock for `ms` (default performance.now) */
  clock?: () => number;
}

export interface PollResult {
  address: string;
  /** value per DI read successfully (numbers in the DI's unit; see docs/dlt645.md) */
  values: Record<string, Dlt645Value>;
  /** every DI was read */
  ok: boolean;
  /** why not ok: first failing DI's reason, e.g. "TIMEOUT", "BAD_CHECKSUM", "ERROR_REPLY:02" */
  reason: string | null;
  /** reason per failed DI */
  failures: Record<string, string>;
  /** request frames sent for this meter (retries included) */
  attempts: number;
  /** wall time for this meter, ms */
  ms: number;
}

export interface PollSummary {
  meters: number;
  ok: number;
  failed: number;
  successRate: number;
  registers: number;
  registersOk: number;
  requests: number;
  reasons: Record<string, number>;
  connections: ConnectionStats[];
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const onAbort = () => (clearTimeout(t), resolve());
    // the listener goes when the timer fires, so many backoffs never pile listeners on the signal
    const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Poll every target; results come back in target order. Never rejects for meter behaviour. */
export async function pollMeters(o: PollOptions): Promise<PollResult[]> {
  return (await pollMetersWithStats(o)).results;
}

export async function pollMetersWithStats(o: PollOptions): Promise<{ results: PollResult[]; summary: PollSummary }> {
  const concurrency = Math.max(1, Math.floor(o.concurrency ?? 64));
  const timeoutMs = o.timeoutMs ?? 1000;
  const retries = Math.max(0, Math.floor(o.retries ?? 2));
  const backoffMs = o.backoffMs ?? 100;
  const perEndpoint = Math.max(1, Math.floor(o.connectionsPerEndpoint ?? 1));
  const clock = o.clock ?? (() => performance.now());
  const pools = new Map<string, { conns: PipelinedConnection[]; next: number }>();
  const connFor = (host: string, port: number) => {
    const key = `${host}:${port}`;
    let p = pools.get(key);
    if (!p) pools.set(key, (p = { conns: Array.from({ length: perEndpoint }, () => new PipelinedConnection(host, port)), next: 0 }));
    const c = p.conns[p.next];
    p.next = (p.next + 1) % p.conns.length;
    return c;
  };

  const results: PollResult[] = new Array(o.targets.length);

  const pollOne = async (t: PollTarget): Promise<PollResult> => {
    const start = clock();
    const r: PollResult = { address: t.address, values: {}, ok: false, reason: null, failures: {}, attempts: 0, ms: 0 };
    let address: string;
    const frames: [string, Uint8Array][] = [];
    try {
      address = normalizeAddress(t.address);
      r.address = address;
      for (const d of t.dis) {
        const di = normalizeDi(d);
        frames.push([di, buildReadRequest(address, di)]);
      }
    } catch (e) {
      r.reason = `BAD_TARGET:${(e as Error).message}`;
      r.ms = clock() - start;
      return r;
    }
    const conn = connFor(t.host, t.port);
    let unreachable = false;
    for (const [di, frame] of frames) {
      if (unreachable || o.signal?.aborted) {
        r.failures[di] = unreachable ? 'SKIPPED_UNREACHABLE' : 'ABORTED';
        continue;
      }
      let last = 'TIMEOUT';
      let lastRetryable = true;
      for (let a = 0; a <= retries; a++) {
        if (a > 0) await sleep(backoffMs * 2 ** (a - 1), o.signal);
        if (o.signal?.aborted) {
          last = 'ABORTED';
          break;
        }
        r.attempts++;
        try {
          const m = await conn.request(address, di, frame, timeoutMs);
          if (m.control.error) {
            last = `ERROR_REPLY:${(m.errorWord ?? 0).toString(16).padStart(2, '0').toUpperCase()}`;
            // 无请求数据 / 未授权: asking again will not help
            lastRetryable = !((m.errorWord ?? 0) & 0x06);
            if (!lastRetryable) break;
            continue;
          }
          if (m.di === undefined || !m.name) {
            last = 'UNKNOWN_DI_REPLY';
            continue;
          }
          r.values[di] = m.value ?? null;
          last = '';
          break;
        } catch (e) {
          if (!(e instanceof RequestFailure)) throw e;
          last = e.reason;
          lastRetryable = e.retryable;
          if (!lastRetryable) break;
        }
      }
      if (last) {
        r.failures[di] = last;
        // a meter that never answered is not asked for its other registers in this round
        if (last === 'TIMEOUT' || last.startsWith('CONNECT')) unreachable = true;
      }
    }
    const failed = Object.keys(r.failures);
    r.ok = failed.length === 0;
    r.reason = r.ok ? null : r.failures[failed[0]];
    r.ms = Math.round((clock() - start) * 10) / 10;
    return r;
  };

  let next = 0;
  const worker = async () => {
    while (next < o.targets.length) {
      const i = next++;
      const t = o.targets[i];
      if (o.signal?.aborted) {
        results[i] = { address: t.address, values: {}, ok: false, reason: 'ABORTED', failures: {}, attempts: 0, ms: 0 };
        continue;
      }
      results[i] = await pollOne(t);
      o.onResult?.(results[i]);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, o.targets.length) }, worker));
  } finally {
    for (const p of pools.values()) for (const c of p.conns) c.close();
  }
  const reasons: Record<string, number> = {};
  let registers = 0;
  let registersOk = 0;
  let requests = 0;
  for (const r of results) {
    registers += Object.keys(r.values).length + Object.keys(r.failures).length;
    registersOk += Object.keys(r.values).length;
    requests += r.attempts;
    if (!r.ok && r.reason) {
      const k = r.reason.split(':')[0] === 'ERROR_REPLY' ? r.reason : r.reason.split(':')[0];
      reasons[k] = (reasons[k] ?? 0) + 1;
    }
  }
  const ok = results.filter((r) => r.ok).length;
  return {
    results,
    summary: {
      meters: results.length,
      ok,
      failed: results.length - ok,
      successRate: results.length ? ok / results.length : 1,
      registers,
      registersOk,
      requests,
      reasons,
      connections: [...pools.values()].flatMap((p) => p.conns.map((c) => c.stats)),
    },
  };
}
