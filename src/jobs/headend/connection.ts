/**
 * One persistent TCP connection to a concentrator (or a directly connected meter) with request
 * pipelining: many requests in flight, replies matched by meter address and DI. Bad frames,
 * stale replies (after a timeout) and garbage never throw: they fail or are ignored.
 */
import net from 'node:net';
import { FrameStreamParser } from '../../domain/protocols/dlt645/stream.js';
import { interpretFrame, type Dlt645Message } from '../../domain/protocols/dlt645/message.js';
import { Dlt645DecodeError } from '../../domain/protocols/dlt645/errors.js';

/** A failed request; `reason` is a short code such as TIMEOUT, BAD_CHECKSUM, CONNECT_FAILED:ECONNREFUSED. */
export class RequestFailure extends Error {
  constructor(
    readonly reason: string,
    /** false when retrying cannot help (e.g. the meter has no such data) */
    readonly retryable = true,
  ) {
    super(reason);
    this.name = 'RequestFailure';
  }
}

interface Waiter {
  address: string;
  di: string;
  resolve(m: Dlt645Message): void;
  reject(f: RequestFailure): void;
  timer: NodeJS.Timeout;
}

export interface ConnectionStats {
  sent: number;
  matched: number;
  stale: number;
  badFrames: number;
  connects: number;
}

export class PipelinedConnection {
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private readonly waiting = new Map<string, Waiter[]>(); // by address
  private parser = new FrameStreamParser();
  readonly stats: ConnectionStats = { sent: 0, matched: 0, stale: 0, badFrames: 0, connects: 0 };
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly connectTimeoutMs = 3000,
  ) {}

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection({ host: this.host, port: this.port });
      s.setNoDelay(true);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new RequestFailure('CONNECT_TIMEOUT'));
      }, this.connectTimeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        this.stats.connects++;
        this.socket = s;
        this.parser = new FrameStreamParser();
        resolve(s);
      });
      s.on('data', (chunk) => this.onData(chunk));
      s.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new RequestFailure(`CONNECT_FAILED:${e.code ?? e.message}`));
      });
      s.on('close', () => {
        clearTimeout(timer);
        if (this.socket === s) this.socket = undefined;
        this.failAll('CONNECTION_CLOSED');
      });
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private take(address: string, di: string | undefined): Waiter | undefined {
    const list = this.waiting.get(address);
    if (!list || list.length === 0) return undefined;
    const i = di === undefined ? 0 : list.findIndex((w) => w.di === di);
    if (i < 0) return undefined;
    const [w] = list.splice(i, 1);
    if (list.length === 0) this.waiting.delete(address);
    clearTimeout(w.timer);
    return w;
  }

  private onData(chunk: Buffer): void {
    for (const item of this.parser.push(chunk)) {
      if (item.error) {
        this.stats.badFrames++;
        // a frame with a wrong checksum still names its meter: fail that meter's oldest request
        const w = item.frame ? this.take(item.frame.address, undefined) : undefined;
        if (w) w.reject(new RequestFailure(item.error.code));
        continue;
      }
      let msg: Dlt645Message;
      try {
        msg = interpretFrame(item.frame, { strictDi: false });
      } catch (e) {
        this.stats.badFrames++;
        if (!(e instanceof Dlt645DecodeError)) throw e;
        // undecodable data from a known address: blame its oldest request
        const w = this.take(item.frame.address, undefined);
        if (w) w.reject(new RequestFailure(e.code));
        continue;
      }
      if (msg.control.direction !== 'reply') continue;
      const w = this.take(msg.address, msg.control.error ? undefined : msg.di);
      if (!w) {
        this.stats.stale++;
        continue;
      }
      this.stats.matched++;
      w.resolve(msg);
    }
  }

  private failAll(reason: string): void {
    for (const list of this.waiting.values()) {
      for (const w of list) {
        clearTimeout(w.timer);
        w.reject(new RequestFailure(reason));
      }
    }
    this.waiting.clear();
  }

  /** Send `frame` (a request to `address` for `di`) and wait for the matching reply. */
  async request(address: string, di: string, frame: Uint8Array, timeoutMs: number): Promise<Dlt645Message> {
    if (this.closed) throw new RequestFailure('ABORTED', false);
    const socket = await this.connect();
    return new Promise<Dlt645Message>((resolve, reject) => {
      const w: Waiter = {
        address,
        di,
        resolve,
        reject,
        timer: setTimeout(() => {
          const list = this.waiting.get(address);
          const i = list ? list.indexOf(w) : -1;
          if (list && i >= 0) {
            list.splice(i, 1);
            if (list.length === 0) this.waiting.delete(address);
          }
          reject(new RequestFailure('TIMEOUT'));
        }, timeoutMs),
      };
      const list = this.waiting.get(address);
      if (list) list.push(w);
      else this.waiting.set(address, [w]);
      this.stats.sent++;
      socket.write(frame);
    });
  }

  close(): void {
    this.closed = true;
    this.failAll('ABORTED');
    this.socket?.destroy();
  }
}
