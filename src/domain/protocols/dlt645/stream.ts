/**
 * Incremental frame extraction from a byte stream (TCP). Garbage between frames is skipped;
 * a frame with a wrong checksum is reported (with its address and data, so the sender can be
 * blamed) and consumed. Never throws on input bytes.
 */
import { Dlt645DecodeError } from './errors.js';
import { END, START, decodeFrame, type RawFrame } from './frame.js';

export type StreamItem = { frame: RawFrame; error?: undefined } | { frame?: RawFrame; error: Dlt645DecodeError };

export class FrameStreamParser {
  private buf: Buffer = Buffer.alloc(0);
  /** bytes skipped as garbage so far */
  skipped = 0;

  constructor(private readonly maxBuffer = 64 * 1024) {}

  /** Feed bytes; returns the complete frames (and bad-checksum frames) found so far. */
  push(chunk: Uint8Array): StreamItem[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const out: StreamItem[] = [];
    let p = 0;
    const b = this.buf;
    while (p < b.length) {
      if (b[p] !== START) {
        p++;
        this.skipped++;
        continue;
      }
      if (b.length - p < 10) break; // need the header
      if (b[p + 7] !== START) {
        p++;
        this.skipped++;
        continue;
      }
      const total = 12 + b[p + 9];
      if (b.length - p < total) break; // wait for the rest
      if (b[p + total - 1] !== END) {
        p++;
        this.skipped++;
        continue;
      }
      const slice = b.subarray(p, p + total);
      try {
        const frame = decodeFrame(slice, { allowBadChecksum: true });
        if (frame.checksumOk) out.push({ frame });
        else out.push({ frame, error: new Dlt645DecodeError('BAD_CHECKSUM', 'wrong checksum', { address: frame.address }) });
        p += total;
      } catch (e) {
        // BAD_ADDRESS or similar: not a frame start after all
        if (!(e instanceof Dlt645DecodeError)) throw e;
        p++;
        this.skipped++;
      }
    }
    this.buf = p >= b.length ? Buffer.alloc(0) : b.subarray(p);
    if (this.buf.length > this.maxBuffer) {
      this.skipped += this.buf.length;
      this.buf = Buffer.alloc(0);
    }
    return out;
  }
}
