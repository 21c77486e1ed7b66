import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { startMeterSimulator, type RunningMeterSimulator } from '../../src/jobs/meter-simulator.js';
import { pollMeters, pollMetersWithStats, type PollTarget } from '../../src/jobs/headend/index.js';
import { FrameStreamParser, buildReadReply, meterAddress, type RawFrame } from '../../src/domain/protocols/dlt645/index.js';

const DIS = ['0001FF00', '00020000', '00030000', '01010000'];
const T = Date.parse('2026-07-15T12:00:00+08:00');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function sim(o: Parameters<typeof startMeterSimulator>[0]): Promise<RunningMeterSimulator> {
  const s = await startMeterSimulator({ host: '127.0.0.1', ...o });
  cleanups.push(() => s.close());
  return s;
}

function targets(s: RunningMeterSimulator, n: number, dis = DIS): PollTarget[] {
  return Array.from({ length: n }, (_, i) => {
    const address = meterAddress(i + 1);
    const c = s.concentratorOf(address)!;
    return { address, host: c.host, port: c.port, dis };
  });
}

/** a scripted TCP peer: `onFrame` gets every request frame (TCP chunks may hold several) */
async function server(onFrame: (socket: net.Socket, frame: RawFrame) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    const parser = new FrameStreamParser();
    s.on('data', (c) => {
      for (const item of parser.push(c)) if (item.frame) onFrame(s, item.frame);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), srv.close(() => r()))));
  return (srv.address() as net.AddressInfo).port;
}

describe('head-end poller against the meter simulator (127.0.0.1, ephemeral ports)', () => {
  it('reads every register of every meter, values equal to the simulated meters', async () => {
    const s = await sim({ count: 60, port: 0, concentrators: 3, seed: 9, now: () => T });
    expect(new Set(s.concentrators.map((c) => c.port)).size).toBe(3);
    const results = await pollMeters({ targets: targets(s, 60), concurrency: 16, timeoutMs: 2000, retries: 0 });
    expect(results).toHaveLength(60);
    for (const [i, r] of results.entries()) {
      expect(r).toMatchObject({ address: meterAddress(i + 1), ok: true, reason: null, attempts: 4 });
      for (const di of DIS) expect(r.values[di]).toEqual(s.meters[i].read(di, T));
    }
    expect(s.stats.connections).toBe(3); // one persistent connection per concentrator
  });

  it('with injected faults: retries recover, failures carry reasons, never crashes', async () => {
    const s = await sim({ count: 80, port: 0, concentrators: 2, seed: 3, faults: { noReply: 0.08, badChecksum: 0.08, error: 0.08, late: 0.05 }, lateMs: 400 });
    const t = targets(s, 80);
    const noRetry = await pollMetersWithStats({ targets: t, concurrency: 20, timeoutMs: 150, retries: 0 });
    expect(noRetry.summary.failed).toBeGreaterThan(0);
    for (const r of noRetry.results.filter((x) => !x.ok)) expect(r.reason).toMatch(/^(TIMEOUT|BAD_CHECKSUM|ERROR_REPLY:01)$/);
    expect(Object.keys(noRetry.summary.reasons).sort()).toEqual(['BAD_CHECKSUM', 'ERROR_REPLY:01', 'TIMEOUT']);

    const withRetry = await pollMetersWithStats({ targets: t, concurrency: 20, timeoutMs: 150, retries: 6, backoffMs: 5 });
    expect(withRetry.summary.successRate).toBeGreaterThan(noRetry.summary.successRate);
    expect(withRetry.summary.successRate).toBeGreaterThanOrEqual(0.95);
    expect(withRetry.summary.requests).toBeGreaterThan(withRetry.summary.registers); // retries happened
    expect(withRetry.results.some((r) => r.attempts > 4)).toBe(true);
  });

  it('unknown DI: error reply 02 is not retried; an unreachable endpoint fails with a reason', async () => {
    const s = await sim({ count: 2, port: 0, seed: 1 });
    const [r] = await pollMeters({ targets: [{ ...targets(s, 1)[0], dis: ['00010000', 'EE000000'] }], retries: 3, backoffMs: 1 });
    expect(r.ok).toBe(false);
    expect(r.values['00010000']).toEqual(expect.any(Number));
    expect(r.failures).toEqual({ EE000000: 'ERROR_REPLY:02' });
    expect(r.attempts).toBe(2);
    const port = await server(() => {});
    await cleanups.pop()!(); // close it: nothing listens on `port` now
    const [d] = await pollMeters({ targets: [{ address: '000000000001', host: '127.0.0.1', port, dis: ['00010000', '00020000'] }], retries: 1, backoffMs: 1 });
    expect(d.ok).toBe(false);
    expect(d.reason).toBe('CONNECT_FAILED:ECONNREFUSED');
    expect(d.failures['00020000']).toBe('SKIPPED_UNREACHABLE');
  });

  it('garbage, corrupt and foreign frames are per-meter failures, not crashes', async () => {
    let n = 0;
    const port = await server((sock, f) => {
      n++;
      if (f.address === '000000000001') sock.write(Buffer.from([0x00, 0x16, 0x68, 0x68, 0xff, 0x12])); // garbage only
      else if (f.address === '000000000002') {
        const bad = Uint8Array.from(buildReadReply(f.address, '00010000', 1.23));
        bad[bad.length - 2] ^= 1;
        sock.write(bad);
      } else if (f.address === '000000000003') sock.write(buildReadReply('000000000099', '00010000', 1)); // someone else's reply
      else sock.write(buildReadReply(f.address, '00010000', 4.56));
    });
    const t = ['000000000001', '000000000002', '000000000003', '000000000004'].map((address) => ({ address, host: '127.0.0.1', port, dis: ['00010000'] }));
    const r = await pollMeters({ targets: t, timeoutMs: 200, retries: 1, backoffMs: 1, concurrency: 4 });
    expect(r.map((x) => x.reason)).toEqual(['TIMEOUT', 'BAD_CHECKSUM', 'TIMEOUT', null]);
    expect(r[3].values['00010000']).toBe(4.56);
    expect(n).toBe(7);
  });

  it('bounded concurrency over one pipelined connection', async () => {
    let inFlight = 0;
    let max = 0;
    let connections = 0;
    const port = await server((sock, f) => {
      inFlight++;
      max = Math.max(max, inFlight);
      setTimeout(() => {
        inFlight--;
        sock.write(buildReadReply(f.address, '00010000', 1));
      }, 10);
    });
    const t = Array.from({ length: 30 }, (_, i) => ({ address: meterAddress(i + 1), host: '127.0.0.1', port, dis: ['00010000'] }));
    const { summary } = await pollMetersWithStats({ targets: t, concurrency: 5, timeoutMs: 1000, retries: 0 });
    connections = summary.connections.reduce((a, c) => a + c.connects, 0);
    expect(summary.ok).toBe(30);
    expect(max).toBeGreaterThan(1); // pipelined: several requests in flight on one connection
    expect(max).toBeLessThanOrEqual(5);
    expect(connections).toBe(1);
  });
});
