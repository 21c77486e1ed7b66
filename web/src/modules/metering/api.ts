/** Calls of the DL/T 645-2007 field tools (src/api/metering/metering.routes.ts, docs/dlt645.md §2). */
import { api } from '../../api/client';

/** A decoded value: number, text, data block (array) or record (max demand, power-down …). */
export type Dlt645Value = number | string | null | Dlt645Value[] | { [key: string]: Dlt645Value };

/** `POST /tools/dlt645/decode`: never fails for a bad frame (`checksumOk: false` / `error` set). */
export interface FrameAnalysis {
  ok: boolean;
  hex: string | null;
  address: string | null;
  control: string | null;
  function: string | null;
  direction: 'request' | 'reply' | null;
  abnormal: boolean | null;
  followUp: boolean | null;
  di: string | null;
  name: string | null;
  value: Dlt645Value;
  unit: string | null;
  error: string | null;
  errorCode: string | null;
  errorWord: number | null;
  meterErrors: string[] | null;
  checksumOk: boolean | null;
  preamble: number | null;
  data: string | null;
  time: string | null;
  seq: number | null;
}

export interface ReadFrame {
  hex: string;
  di: string;
  name: string | null;
}

export const PERM_TOOLS = 'metering.tools';

export function hasPerm(perms: string[] | undefined, p: string): boolean {
  return !!perms && (perms.includes('*') || perms.includes(p) || perms.includes(`${p.split('.')[0]}.*`));
}

export const meteringApi = {
  decode: (hex: string) => api.post<FrameAnalysis>('/tools/dlt645/decode', { hex }),
  readFrame: (address: string, di: string) => api.post<ReadFrame>('/tools/dlt645/read-frame', { address, di }),
};

/** Bytes of a hex text: spaces, commas, `0x` and line breaks are ignored; null if not hex. */
export function parseHex(text: string): number[] | null {
  const s = text.replace(/0x/gi, '').replace(/[\s,;:-]+/g, '');
  if (!s || s.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(s)) return null;
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 2) out.push(parseInt(s.slice(i, i + 2), 16));
  return out;
}

export const hex2 = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');

export type PartKind = 'preamble' | 'start' | 'address' | 'start2' | 'control' | 'length' | 'data' | 'cs' | 'end' | 'extra';

export interface FramePart {
  kind: PartKind;
  /** bytes as on the wire */
  raw: number[];
  /** data only: bytes minus 0x33 */
  plain?: number[];
  /** cs only: the checksum computed from the frame */
  expected?: number;
}

/**
 * Splits a frame into its fields (FE×n, 68, A0..A5, 68, C, L, DATA, CS, 16) as far as the bytes
 * go, so a truncated or damaged frame still shows what is there. Pure byte slicing; the meaning
 * comes from the server.
 */
export function splitFrame(bytes: number[]): FramePart[] {
  const parts: FramePart[] = [];
  let i = 0;
  while (i < bytes.length && bytes[i] === 0xfe) i++;
  if (i > 0) parts.push({ kind: 'preamble', raw: bytes.slice(0, i) });
  const take = (kind: PartKind, n: number): number[] | null => {
    if (i >= bytes.length) return null;
    const raw = bytes.slice(i, i + n);
    i += raw.length;
    parts.push({ kind, raw });
    return raw.length === n ? raw : null;
  };
  const start = i;
  if (!take('start', 1) || !take('address', 6) || !take('start2', 1) || !take('control', 1)) return parts;
  const len = take('length', 1);
  if (!len) return parts;
  const L = len[0];
  if (L > 0) {
    const raw = bytes.slice(i, i + L);
    i += raw.length;
    parts.push({ kind: 'data', raw, plain: raw.map((b) => (b - 0x33 + 256) % 256) });
    if (raw.length < L) return parts;
  }
  if (i < bytes.length) {
    let sum = 0;
    for (let k = start; k < i; k++) sum = (sum + bytes[k]) % 256;
    parts.push({ kind: 'cs', raw: [bytes[i]], expected: sum });
    i++;
  }
  if (i < bytes.length) take('end', 1);
  if (i < bytes.length) parts.push({ kind: 'extra', raw: bytes.slice(i) });
  return parts;
}
