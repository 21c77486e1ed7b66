/**
 * COPY text format written straight into bytes (for the hottest bulk writer, the billing run).
 *
 * Building COPY text as JavaScript strings (`a + '\t' + b ...` per row, rows appended to a
 * 1 MB string) makes a rope of millions of small string nodes that live until the chunk is sent:
 * the young generation fills, the nodes are copied and promoted, and the garbage collector takes
 * most of the time (measured: 45% of the encoder's CPU). This writer appends UTF-8 bytes to a
 * reusable buffer instead, and hands out full chunks as Buffers: no garbage per field.
 *
 * Contract (PostgreSQL COPY text format): fields separated by TAB, rows ended by LF, NULL as
 * `\N`; in a text field backslash, TAB, LF and CR are escaped as `\\`, `\t`, `\n`, `\r`.
 * Each field method writes the separator itself: call them in column order, then `endRow()`.
 */
import { copyField } from './database.js';

const CHUNK = 1 << 20;
const BS = 92;
const TAB = 9;
const LF = 10;
const CR = 13;

/** Encoded repeated fields, shared by all writers of the process. */
const encoded = new Map<string, Uint8Array>();

export class CopyWriter {
  private buf = Buffer.allocUnsafe(CHUNK + 64 * 1024);
  private pos = 0;
  /** full chunks (each a copy: the scratch buffer is reused) */
  readonly chunks: Buffer[] = [];
  rows = 0;
  /** a field of the current row has been written (the next one needs a TAB first) */
  private inRow = false;

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** End the current row; a chunk is cut at a row boundary once it holds about 1 MB. */
  endRow(): void {
    this.room(1);
    this.buf[this.pos++] = LF;
    this.inRow = false;
    this.rows++;
    if (this.pos >= CHUNK) this.flushChunk();
  }

  private flushChunk(): void {
    if (this.pos === 0) return;
    this.chunks.push(Buffer.from(this.buf.subarray(0, this.pos)));
    this.pos = 0;
  }

  /** The rows written so far as COPY text chunks (the writer is then empty). */
  take(): { text: Buffer[]; rows: number } {
    this.flushChunk();
    const out = { text: this.chunks.splice(0), rows: this.rows };
    this.rows = 0;
    return out;
  }

  /** The TAB before every field but the first of a row (room for it is made by the caller). */
  private sep(): void {
    if (this.inRow) this.buf[this.pos++] = TAB;
    else this.inRow = true;
  }

  nul(): void {
    this.room(3);
    this.sep();
    this.buf[this.pos++] = BS;
    this.buf[this.pos++] = 78; // N
  }

  /** A safe integer (ids, counts, days). */
  int(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.ascii(String(n));
      return;
    }
    this.room(22);
    this.sep();
    const b = this.buf;
    if (n < 0) {
      b[this.pos++] = 45;
      n = -n;
    }
    if (n < 10) {
      b[this.pos++] = 48 + n;
      return;
    }
    let digits = 0;
    for (let m = n; m > 0; m = Math.floor(m / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    while (n > 0) {
      const q = Math.floor(n / 10);
      b[--p] = 48 + (n - q * 10);
      n = q;
    }
  }

  /**
   * A field known to hold only printable ASCII without backslash (decimal strings, ISO dates,
   * codes checked by the caller); anything else falls back to {@link text}.
   */
  ascii(s: string): void {
    const n = s.length;
    this.room(n + 1);
    const b = this.buf;
    let p = this.pos + (this.inRow ? 1 : 0);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 32 || c > 126 || c === BS) {
        this.text(s);
        return;
      }
      b[p++] = c;
    }
    this.sep();
    this.pos = p;
  }

  /** Any text field: escaped and UTF-8 encoded (lone surrogates become U+FFFD, as Buffer.from does). */
  text(s: string): void {
    const n = s.length;
    this.room(n * 3 + 3);
    this.sep();
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i);
      if (c < 128) {
        if (c === BS || c === TAB || c === LF || c === CR) {
          b[p++] = BS;
          b[p++] = c === BS ? BS : c === TAB ? 116 : c === LF ? 110 : 114;
        } else b[p++] = c;
      } else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 63);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
            const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            i++;
            b[p++] = 0xf0 | (cp >> 18);
            b[p++] = 0x80 | ((cp >> 12) & 63);
            b[p++] = 0x80 | ((cp >> 6) & 63);
            b[p++] = 0x80 | (cp & 63);
            continue;
          }
          c = 0xfffd;
        }
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 63);
        b[p++] = 0x80 | (c & 63);
      }
    }
    this.pos = p;
  }

  /** A text field from a small set of repeated values (codes, names, units, rules): encoded once. */
  cached(s: string): void {
    let e = encoded.get(s);
    if (e === undefined) {
      e = Buffer.from(copyField(s), 'utf8');
      if (encoded.size < 10_000) encoded.set(s, e);
    }
    const n = e.length;
    this.room(n + 1);
    this.sep();
    const b = this.buf;
    const p = this.pos;
    if (n > 32) b.set(e, p);
    else for (let i = 0; i < n; i++) b[p + i] = e[i];
    this.pos = p + n;
  }
}
