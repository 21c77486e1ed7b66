/**
 * Data formats of DL/T 645-2007 identifiers (XXXXXX.XX, XX.XXXX, NN, YYMMDDhhmm ...).
 * All multi-byte items travel low byte first; the bytes given here are already stripped of
 * the +0x33 offset. Example: format XXXXXX.XX, bytes 67 45 23 01 -> 12345.67.
 */
import { Dlt645DecodeError, Dlt645EncodeError } from './errors.js';

export type Dlt645Value = number | string | null | Dlt645Value[] | { [key: string]: Dlt645Value };

export interface FieldCodec {
  /** the format text as in the tables, e.g. `XXXXXX.XX` */
  readonly format: string;
  readonly kind: 'number' | 'digits' | 'ascii' | 'datetime';
  readonly bytes: number;
  /** numbers only: sign in the top bit */
  readonly signed?: boolean;
  decode(data: Uint8Array): Dlt645Value;
  encode(value: Dlt645Value): Uint8Array;
}

export interface FormatOptions {
  /** text stored as ASCII characters (names in the tables say "ASCII码") */
  ascii?: boolean;
  /** sign in the highest bit of the most significant byte (currents, powers, power factor) */
  signed?: boolean;
  /** all-N formats with a unit are counts (numbers), without a unit digit strings */
  unit?: string;
}

/** Most significant digit first, e.g. bytes 67 45 23 01 -> "01234567". */
export function bytesToDigits(data: Uint8Array): string {
  let s = '';
  for (let i = data.length - 1; i >= 0; i--) s += data[i].toString(16).padStart(2, '0');
  return s.toUpperCase();
}

function assertBcd(digits: string, format: string): void {
  if (!/^[0-9]*$/.test(digits)) {
    throw new Dlt645DecodeError('BAD_BCD', `not BCD for format ${format}: ${digits}`, { format, digits });
  }
}

/** "01234567" -> bytes 67 45 23 01 (low byte first). `digits.length` must be even. */
export function digitsToBytes(digits: string): Uint8Array {
  const n = digits.length / 2;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[n - 1 - i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function numberCodec(format: string, signed: boolean): FieldCodec {
  const [intPart, fracPart = ''] = format.split('.');
  const digits = intPart.length + fracPart.length;
  const decimals = fracPart.length;
  const bytes = Math.ceil(digits / 2);
  const scale = 10 ** decimals;
  const totalDigits = bytes * 2;
  const limit = signed ? 8 * 10 ** (totalDigits - 1) : 10 ** totalDigits;
  return {
    format,
    kind: 'number',
    bytes,
    signed,
    decode(data) {
      let negative = false;
      let d = data;
      if (signed && (data[data.length - 1] & 0x80) !== 0) {
        negative = true;
        d = Uint8Array.from(data);
        d[d.length - 1] &= 0x7f;
      }
      const s = bytesToDigits(d);
      assertBcd(s, format);
      const n = Number(s);
      if (n === 0) return 0;
      const v = Number((n / scale).toFixed(decimals));
      return negative ? -v : v;
    },
    encode(value) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new Dlt645EncodeError('BAD_VALUE', `format ${format} needs a number, got ${JSON.stringify(value)}`);
      }
      if (value < 0 && !signed) throw new Dlt645EncodeError('OUT_OF_RANGE', `format ${format} is unsigned: ${value}`);
      const scaled = Math.round(Math.abs(value) * scale);
      if (scaled >= limit) throw new Dlt645EncodeError('OUT_OF_RANGE', `${value} does not fit ${format}`);
      const out = digitsToBytes(String(scaled).padStart(totalDigits, '0'));
      if (value < 0 && scaled !== 0) out[out.length - 1] |= 0x80;
      return out;
    },
  };
}

function digitsCodec(format: string): FieldCodec {
  const bytes = Math.ceil(format.length / 2);
  return {
    format,
    kind: 'digits',
    bytes,
    decode(data) {
      const s = bytesToDigits(data);
      assertBcd(s, format);
      return s;
    },
    encode(value) {
      const s = typeof value === 'number' && Number.isInteger(value) && value >= 0 ? String(value) : value;
      if (typeof s !== 'string' || !/^[0-9]+$/.test(s) || s.length > bytes * 2) {
        throw new Dlt645EncodeError('BAD_VALUE', `format ${format} needs up to ${bytes * 2} decimal digits, got ${JSON.stringify(value)}`);
      }
      return digitsToBytes(s.padStart(bytes * 2, '0'));
    },
  };
}

function asciiCodec(format: string): FieldCodec {
  const bytes = Math.ceil(format.length / 2);
  return {
    format,
    kind: 'ascii',
    bytes,
    decode(data) {
      let s = '';
      for (let i = data.length - 1; i >= 0; i--) s += String.fromCharCode(data[i]);
      return s.replace(/\0+$/, '');
    },
    encode(value) {
      if (typeof value !== 'string' || value.length > bytes || !/^[\x01-\x7f]*$/.test(value)) {
        throw new Dlt645EncodeError('BAD_VALUE', `format ${format} needs ASCII text of at most ${bytes} characters`);
      }
      const out = new Uint8Array(bytes);
      for (let i = 0; i < value.length; i++) out[bytes - 1 - i] = value.charCodeAt(i);
      return out;
    },
  };
}

const DATE_TOKENS = ['YY', 'MM', 'DD', 'WW', 'hh', 'mm', 'ss', 'NN'] as const;
type DateToken = (typeof DATE_TOKENS)[number];

function tokenize(format: string): DateToken[] | null {
  if (format.length % 2 !== 0) return null;
  const out: DateToken[] = [];
  for (let i = 0; i < format.length; i += 2) {
    const t = format.slice(i, i + 2) as DateToken;
    if (!DATE_TOKENS.includes(t)) return null;
    out.push(t);
  }
  return out;
}

/**
 * Date/time formats decode to text: YYMMDDhhmm -> "2026-11-27 20:55", YYMMDDWW ->
 * "2026-11-27 W5", hhmmss -> "20:55:00", MMDDNN -> "11-27 #01", DDhh -> "01日 00时".
 * Encoding reads the digit groups back in order (a 4-digit year keeps its last two digits).
 */
function datetimeCodec(format: string, tokens: DateToken[]): FieldCodec {
  const bytes = tokens.length;
  return {
    format,
    kind: 'datetime',
    bytes,
    decode(data) {
      const s = bytesToDigits(data);
      assertBcd(s, format);
      const v: Partial<Record<DateToken, string>> = {};
      tokens.forEach((t, i) => (v[t] = s.slice(2 * i, 2 * i + 2)));
      const parts: string[] = [];
      const date = [v.YY !== undefined ? `20${v.YY}` : undefined, v.MM, v.DD].filter((x) => x !== undefined);
      if (date.length === 1 && v.DD !== undefined) parts.push(`${v.DD}日`);
      else if (date.length) parts.push(date.join('-'));
      if (v.WW !== undefined) parts.push(`W${Number(v.WW)}`);
      const time = [v.hh, v.mm, v.ss].filter((x) => x !== undefined);
      if (time.length === 1 && v.hh !== undefined) parts.push(`${v.hh}时`);
      else if (time.length) parts.push(time.join(':'));
      if (v.NN !== undefined) parts.push(`#${v.NN}`);
      return parts.join(' ');
    },
    encode(value) {
      if (typeof value !== 'string') throw new Dlt645EncodeError('BAD_VALUE', `format ${format} needs text, got ${JSON.stringify(value)}`);
      const groups = value.match(/\d+/g) ?? [];
      // the decoder emits tokens in canonical order: date, week, time, number
      const order: DateToken[] = DATE_TOKENS.filter((t) => tokens.includes(t));
      if (groups.length !== order.length) {
        throw new Dlt645EncodeError('BAD_VALUE', `format ${format} needs ${order.length} numbers, got ${JSON.stringify(value)}`);
      }
      const v: Partial<Record<DateToken, string>> = {};
      order.forEach((t, i) => {
        let g = groups[i];
        if (t === 'YY' && g.length === 4) g = g.slice(2);
        if (g.length > 2) throw new Dlt645EncodeError('BAD_VALUE', `${t} must have 2 digits in ${JSON.stringify(value)}`);
        v[t] = g.padStart(2, '0');
      });
      return digitsToBytes(tokens.map((t) => v[t]).join(''));
    },
  };
}

const cache = new Map<string, FieldCodec>();

/** Codec for one format text; throws Dlt645EncodeError for a format it does not know. */
export function fieldCodec(format: string, opts: FormatOptions = {}): FieldCodec {
  const key = `${format}|${opts.ascii ? 'a' : ''}|${opts.signed ? 's' : ''}|${opts.unit ? 'u' : ''}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let c: FieldCodec;
  const tokens = tokenize(format);
  if (opts.ascii) c = asciiCodec(format);
  else if (/^[XN]+\.[XN]+$/.test(format) || /^X+$/.test(format) || (/^N+$/.test(format) && !!opts.unit)) c = numberCodec(format, !!opts.signed);
  else if (/^N+$/.test(format)) c = digitsCodec(format);
  else if (tokens) c = datetimeCodec(format, tokens);
  else throw new Dlt645EncodeError('BAD_VALUE', `unknown data format ${format}`);
  cache.set(key, c);
  return c;
}

/** Concatenate byte arrays. @example concatBytes(Uint8Array.of(1), Uint8Array.of(2, 3)) // [1, 2, 3] */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
