/**
 * Minimal, strict ZIP (PKZIP 2.0) reader and writer for Office Open XML files; no dependencies
 * (node:zlib raw deflate). Reader: central directory only (no data-descriptor guessing), stored
 * or deflated entries, CRC-32 checked; refuses zip64, encryption, other methods, and anything
 * larger than the caps (zip-bomb protection: total declared size, per-entry inflate limit, entry
 * count). Writer: stored or deflated entries with CRC-32, UTF-8 names.
 *
 * Example: `readZip(buf).read('xl/workbook.xml')` -> Buffer; `writeZip([{ name: 'a.txt', data }])`.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ValidationError } from '../errors.js';

export type ZipErrorReason = 'NOT_ZIP' | 'ENCRYPTED' | 'ZIP64' | 'TOO_LARGE' | 'TOO_MANY_ENTRIES' | 'CORRUPT' | 'UNSUPPORTED' | 'MISSING_PART';

/** Bad archive: a ValidationError (HTTP 400) naming `field` (default 'file') with a reason code. */
export class ZipError extends ValidationError {
  constructor(readonly reason: ZipErrorReason, message: string, field = 'file') {
    super(field, message, { reason });
    this.name = 'ZipError';
  }
}

export interface ZipLimits {
  /** sum of the uncompressed sizes of the entries read (bytes) */
  maxUncompressed: number;
  maxEntries: number;
}
export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxUncompressed: 50 * 1024 * 1024, maxEntries: 2000 };

// ---- CRC-32 (IEEE 802.3, reflected 0xEDB88320) -------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as used by ZIP. Example: crc32(Buffer.from('123456789')) === 0xcbf43926 */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- reader ------------------------------------------------------------------------------------

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

export interface ZipArchive {
  entries: ZipEntry[];
  has(name: string): boolean;
  /** the entry's bytes (inflated, CRC-checked); null when absent */
  read(name: string): Buffer | null;
}

const SIG_LOCAL = 0x04034b50, SIG_CENTRAL = 0x02014b50, SIG_EOCD = 0x06054b50, SIG_Z64_LOCATOR = 0x07064b50;

export function readZip(input: Uint8Array, limits: ZipLimits = DEFAULT_ZIP_LIMITS, field = 'file'): ZipArchive {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const fail = (reason: ZipErrorReason, msg: string): never => { throw new ZipError(reason, msg, field); };
  if (buf.length >= 8 && buf.readUInt32BE(0) === 0xd0cf11e0 && buf.readUInt32BE(4) === 0xa1b11ae1) {
    fail('ENCRYPTED', 'password-protected workbook or legacy .xls (OLE2 container): save it as an unprotected .xlsx');
  }
  if (buf.length < 22 || (buf.readUInt32LE(0) !== SIG_LOCAL && buf.readUInt32LE(0) !== SIG_EOCD)) fail('NOT_ZIP', 'not an .xlsx file (not a ZIP archive)');
  // end of central directory: last 22 bytes + up to 65535 bytes of comment
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === SIG_EOCD && i + 22 + buf.readUInt16LE(i + 20) === buf.length) { eocd = i; break; }
  }
  if (eocd < 0) fail('CORRUPT', 'damaged ZIP archive: end of central directory not found (truncated file?)');
  if (eocd >= 20 && buf.readUInt32LE(eocd - 20) === SIG_Z64_LOCATOR) fail('ZIP64', 'ZIP64 archives are not supported (file too large)');
  const disk = buf.readUInt16LE(eocd + 4), cdDisk = buf.readUInt16LE(eocd + 6);
  const count = buf.readUInt16LE(eocd + 10), cdSize = buf.readUInt32LE(eocd + 12), cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) fail('ZIP64', 'ZIP64 archives are not supported (file too large)');
  if (disk !== 0 || cdDisk !== 0 || buf.readUInt16LE(eocd + 8) !== count) fail('UNSUPPORTED', 'multi-part (spanned) ZIP archives are not supported');
  if (count > limits.maxEntries) fail('TOO_MANY_ENTRIES', `too many entries in the archive (${count} > ${limits.maxEntries})`);
  if (cdOffset + cdSize > eocd) fail('CORRUPT', 'damaged ZIP archive: central directory out of bounds');

  const entries: ZipEntry[] = [];
  let p = cdOffset;
  let declared = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > eocd || buf.readUInt32LE(p) !== SIG_CENTRAL) fail('CORRUPT', 'damaged ZIP archive: bad central directory entry');
    const flags = buf.readUInt16LE(p + 8), method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16), compressedSize = buf.readUInt32LE(p + 20), size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28), extraLen = buf.readUInt16LE(p + 30), commentLen = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > eocd) fail('CORRUPT', 'damaged ZIP archive: central directory entry out of bounds');
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString(flags & 0x800 ? 'utf8' : 'latin1');
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) fail('ZIP64', `ZIP64 entry ${name} is not supported`);
    if (flags & 0x1 || flags & 0x40) fail('ENCRYPTED', `entry ${name} is encrypted: save the workbook without a password`);
    if (method !== 0 && method !== 8) fail('UNSUPPORTED', `entry ${name} uses compression method ${method} (only stored and deflate)`);
    if (method === 0 && compressedSize !== size) fail('CORRUPT', `damaged ZIP archive: stored entry ${name} has two sizes`);
    declared += size;
    entries.push({ name, method, flags, crc, compressedSize, size, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  if (declared > limits.maxUncompressed) fail('TOO_LARGE', `archive expands to ${declared} bytes (limit ${limits.maxUncompressed})`);
  const byName = new Map(entries.map((e) => [e.name, e]));
  let used = 0;
  return {
    entries,
    has: (name) => byName.has(name),
    read(name) {
      const e = byName.get(name);
      if (!e) return null;
      const lp = e.localOffset;
      if (lp + 30 > buf.length || buf.readUInt32LE(lp) !== SIG_LOCAL) fail('CORRUPT', `damaged ZIP archive: bad local header of ${name}`);
      const start = lp + 30 + buf.readUInt16LE(lp + 26) + buf.readUInt16LE(lp + 28);
      if (start + e.compressedSize > buf.length) fail('CORRUPT', `damaged ZIP archive: ${name} is truncated`);
      const raw = buf.subarray(start, start + e.compressedSize);
      if (used + e.size > limits.maxUncompressed) fail('TOO_LARGE', `archive expands beyond ${limits.maxUncompressed} bytes`);
      let data: Buffer;
      if (e.method === 0) data = Buffer.from(raw);
      else {
        try {
          // never inflate more than the declared size (+1 to detect a lie): a bomb stops here
          data = inflateRawSync(raw, { maxOutputLength: Math.max(e.size, 1) + 1 });
        } catch (err) {
          const m = (err as Error).message;
          if (/maxOutputLength|buffer|Cannot create a Buffer/i.test(m)) fail('TOO_LARGE', `${name} inflates beyond its declared size ${e.size} (zip bomb?)`);
          fail('CORRUPT', `damaged ZIP archive: ${name} does not inflate (${m})`);
        }
        data = data!;
      }
      if (data.length !== e.size) fail(data.length > e.size ? 'TOO_LARGE' : 'CORRUPT', `${name}: ${data.length} bytes, the directory says ${e.size}`);
      if (crc32(data) !== e.crc) fail('CORRUPT', `damaged ZIP archive: CRC mismatch in ${name}`);
      used += data.length;
      return data;
    },
  };
}

// ---- writer ------------------------------------------------------------------------------------

export interface ZipInput {
  name: string;
  data: Uint8Array | string;
  /** default: deflate when it is smaller */
  store?: boolean;
}

function dosDateTime(d: Date): { time: number; date: number } {
  const y = Math.max(1980, d.getFullYear());
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((y - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** Build a ZIP archive (no zip64: every entry and the whole file must stay below 4 GiB). */
export function writeZip(files: ZipInput[], mtime = new Date(1980, 0, 1)): Buffer {
  const { time, date } = dosDateTime(mtime);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const data = typeof f.data === 'string' ? Buffer.from(f.data, 'utf8') : Buffer.from(f.data);
    const name = Buffer.from(f.name, 'utf8');
    const crc = crc32(data);
    let method = 0;
    let body: Buffer = data;
    if (!f.store && data.length > 0) {
      const z = deflateRawSync(data);
      if (z.length < data.length) { method = 8; body = z; }
    }
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(SIG_LOCAL, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(0x800, 6); lh.writeUInt16LE(method, 8);
    lh.writeUInt16LE(time, 10); lh.writeUInt16LE(date, 12); lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18); lh.writeUInt32LE(data.length, 22); lh.writeUInt16LE(name.length, 26); lh.writeUInt16LE(0, 28);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(SIG_CENTRAL, 0); ch.writeUInt16LE(20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(0x800, 8); ch.writeUInt16LE(method, 10);
    ch.writeUInt16LE(time, 12); ch.writeUInt16LE(date, 14); ch.writeUInt32LE(crc, 16); ch.writeUInt32LE(body.length, 20); ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(name.length, 28); ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, body);
    centrals.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(SIG_EOCD, 0); end.writeUInt16LE(files.length, 8); end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
