/**
 * Meter simulator over TCP (loopback only): K simulated concentrators, each a TCP listener that
 * routes DL/T 645 frames by meter address to its meters (transparent forwarding, as a
 * concentrator's RS-485 pass-through does). Meter i (1-based) has address
 * `String(i).padStart(12, '0')`; concentrator k (0-based) holds a contiguous block of meters
 * and listens on `port + k` (or an ephemeral port each when port is 0).
 * Reply logic: src/domain/protocols/dlt645/simulator.ts.
 */
import net from 'node:net';
import { FrameStreamParser } from '../domain/protocols/dlt645/stream.js';
import { NO_FAULTS, createFleet, handleRequest, prng, type SimFaults, type SimulatedMeter } from '../domain/protocols/dlt645/simulator.js';

export interface MeterSimulatorOptions {
  count: number;
  /** first port; 0 = an ephemeral port per concentrator */
  port: number;
  concentrators?: number;
  faults?: Partial<SimFaults>;
  seed?: number;
  /** delay of a late reply, ms (default 2000) */
  lateMs?: number;
  /** loopback address to bind (only 127.0.0.1 / ::1 allowed) */
  host?: string;
  /** clock (default Date.now); tests may pass a fixed one */
  now?: () => number;
  /** called for every well-formed request frame before it is answered (tests use it to interrupt a run at a known point) */
  onRequest?: (address: string) => void;
}

export interface ConcentratorInfo {
  index: number;
  host: string;
  port: number;
  /** first and last meter index it holds (inclusive) */
  firstIndex: number;
  lastIndex: number;
}

export interface SimulatorStats {
  requests: number;
  replies: number;
  noReply: number;
  late: number;
  badChecksum: number;
  error: number;
  badFrames: number;
  connections: number;
}

export interface RunningMeterSimulator {
  concentrators: ConcentratorInfo[];
  meters: SimulatedMeter[];
  stats: SimulatorStats;
  /** concentrator holding a meter address */
  concentratorOf(address: string): ConcentratorInfo | undefined;
  close(): Promise<void>;
}

export async function startMeterSimulator(o: MeterSimulatorOptions): Promise<RunningMeterSimulator> {
  const host = o.host ?? '127.0.0.1';
  if (host !== '127.0.0.1' && host !== '::1') throw new RangeError(`the simulator binds loopback only (127.0.0.1 or ::1), not ${host}`);
  const k = Math.max(1, Math.min(o.concentrators ?? 1, o.count));
  if (!Number.isInteger(o.count) || o.count < 1) throw new RangeError('count must be a positive integer');
  const seed = o.seed ?? 1;
  const faults: SimFaults = { ...NO_FAULTS, ...o.faults };
  const now = o.now ?? Date.now;
  const meters = createFleet({ count: o.count, seed, faults, startMs: now() });
  const random = prng(seed ^ 0x5eed);
  const stats: SimulatorStats = { requests: 0, replies: 0, noReply: 0, late: 0, badChecksum: 0, error: 0, badFrames: 0, connections: 0 };
  const per = Math.ceil(o.count / k);
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const infos: ConcentratorInfo[] = [];

  const listen = (server: net.Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });

  try {
    for (let c = 0; c < k; c++) {
      const block = meters.slice(c * per, (c + 1) * per);
      if (block.length === 0) break;
      const byAddr = new Map(block.map((m) => [m.address, m]));
      const server = net.createServer((socket) => {
        stats.connections++;
        sockets.add(socket);
        socket.setNoDelay(true);
        const parser = new FrameStreamParser();
        socket.on('data', (chunk) => {
          for (const item of parser.push(chunk)) {
            stats.requests++;
            if (item.error) {
              stats.badFrames++; // a meter ignores a frame with a bad checksum
              continue;
            }
            o.onRequest?.(item.frame.address);
            const r = handleRequest(byAddr, item.frame, { now: now(), faults, random, lateMs: o.lateMs });
            if (!r) {
              stats.noReply++;
              continue;
            }
            if (r.fault === 'bad-checksum') stats.badChecksum++;
            if (r.fault === 'error') stats.error++;
            if (r.delayMs > 0) {
              stats.late++;
              const t = setTimeout(() => {
                timers.delete(t);
                if (!socket.destroyed) socket.write(r.bytes);
              }, r.delayMs);
              timers.add(t);
            } else socket.write(r.bytes);
            stats.replies++;
          }
        });
        socket.on('error', () => socket.destroy());
        socket.on('close', () => sockets.delete(socket));
      });
      servers.push(server);
      const port = await listen(server, o.port === 0 ? 0 : o.port + c);
      infos.push({ index: c, host, port, firstIndex: block[0].profile.index, lastIndex: block[block.length - 1].profile.index });
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }

  return {
    concentrators: infos,
    meters,
    stats,
    concentratorOf(address: string) {
      const i = Number(address);
      return infos.find((c) => i >= c.firstIndex && i <= c.lastIndex);
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
