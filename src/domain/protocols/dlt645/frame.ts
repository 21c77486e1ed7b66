/**
 * DL/T 645-2007 frame layer: `[FE×0–4] 68 A0..A5 68 C L DATA CS 16` (domain-cn §9.3).
 * Address A0 is the lowest byte (address "000000000001" -> 01 00 00 00 00 00); DATA bytes carry
 * +0x33 on the wire; CS = sum of bytes from the first 68 to the end of DATA, mod 256.
 */
import { Dlt645DecodeError, Dlt645EncodeError } from './errors.js';

export const START = 0x68;
export const END = 0x16;
export const PREAMBLE = 0xfe;
/** broadcast address (broadcast time 0x08) */
export const BROADCAST_ADDRESS = '999999999999';
/** wildcard address (read address 0x13 on a point-to-point line) */
export const WILDCARD_ADDRESS = 'AAAAAAAAAAAA';

/** Function codes (control byte bits 0–4). */
export const FUNCTION_NAMES: Record<number, string> = {
  0x08: '广播校时 broadcast time',
  0x11: '读数据 read data',
  0x12: '读后续数据 read follow-up data',
  0x13: '读通信地址 read address',
  0x14: '写数据 write data',
  0x15: '写通信地址 write address',
  0x16: '冻结命令 freeze',
  0x17: '更改通信速率 change baud rate',
  0x18: '修改密码 change password',
  0x19: '最大需量清零 clear maximum demand',
  0x1a: '电表清零 clear meter',
  0x1b: '事件清零 clear events',
  0x1c: '跳合闸、报警、保电 control',
};

export interface ControlInfo {
  /** the control byte */
  byte: number;
  /** function code, bits 0–4 */
  func: number;
  funcName: string;
  /** bit 7: 0 master -> meter, 1 meter -> master */
  direction: 'request' | 'reply';
  /** bit 6: abnormal (error) reply */
  error: boolean;
  /** bit 5: more (follow-up) frames */
  followUp: boolean;
}

export function describeControl(byte: number): ControlInfo {
  const func = byte & 0x1f;
  return {
    byte,
    func,
    funcName: FUNCTION_NAMES[func] ?? `unknown 0x${func.toString(16).padStart(2, '0')}`,
    direction: byte & 0x80 ? 'reply' : 'request',
    error: (byte & 0x40) !== 0,
    followUp: (byte & 0x20) !== 0,
  };
}

export interface RawFrame {
  /** 12 characters, most significant digit first; wildcard bytes show as "AA" */
  address: string;
  control: number;
  /** DATA with the 0x33 offset removed */
  data: Uint8Array;
  /** number of FE bytes before the frame */
  preamble: number;
  checksum: number;
  checksumOk: boolean;
  /** bytes consumed from the input, preamble included */
  length: number;
}

/** "000000000001" -> [01 00 00 00 00 00]. Accepts BCD digits and AA wildcard bytes. */
export function encodeAddress(address: string): Uint8Array {
  const s = address.replace(/[\s-]/g, '').toUpperCase();
  if (!/^[0-9A]{12}$/.test(s)) throw new Dlt645EncodeError('BAD_ADDRESS', `an address is 12 BCD digits (AA = wildcard byte), got ${JSON.stringify(address)}`);
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const pair = s.slice(2 * i, 2 * i + 2);
    if (pair.includes('A') && pair !== 'AA') throw new Dlt645EncodeError('BAD_ADDRESS', `wildcard must be a whole byte AA, got ${JSON.stringify(address)}`);
    out[5 - i] = parseInt(pair, 16);
  }
  return out;
}

export function decodeAddress(bytes: Uint8Array): string {
  let s = '';
  for (let i = 5; i >= 0; i--) {
    const b = bytes[i];
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (b !== 0xaa && (hi > 9 || lo > 9)) {
      throw new Dlt645DecodeError('BAD_ADDRESS', `address byte ${b.toString(16).padStart(2, '0')} is not BCD`);
    }
    s += b.toString(16).padStart(2, '0').toUpperCase();
  }
  return s;
}

/** Normalise an address text ("0000 0000 0001" -> "000000000001"); throws Dlt645EncodeError. */
export function normalizeAddress(address: string): string {
  return decodeAddress(encodeAddress(address));
}

export interface EncodeFrameInput {
  address: string;
  control: number;
  /** DATA without the offset */
  data?: Uint8Array;
  /** FE bytes to send first (0–4, default 0) */
  preamble?: number;
}

export function encodeFrame(f: EncodeFrameInput): Uint8Array {
  const data = f.data ?? new Uint8Array(0);
  const pre = f.preamble ?? 0;
  if (!Number.isInteger(pre) || pre < 0 || pre > 4) throw new Dlt645EncodeError('BAD_VALUE', 'preamble is 0–4 FE bytes');
  if (!Number.isInteger(f.control) || f.control < 0 || f.control > 0xff) throw new Dlt645EncodeError('BAD_CONTROL', `bad control ${f.control}`);
  if (data.length > 255) throw new Dlt645EncodeError('OUT_OF_RANGE', `DATA is at most 255 bytes, got ${data.length}`);
  const out = new Uint8Array(pre + 12 + data.length);
  out.fill(PREAMBLE, 0, pre);
  let i = pre;
  out[i++] = START;
  out.set(encodeAddress(f.address), i);
  i += 6;
  out[i++] = START;
  out[i++] = f.control;
  out[i++] = data.length;
  for (const b of data) out[i++] = (b + 0x33) & 0xff;
  let cs = 0;
  for (let k = pre; k < i; k++) cs = (cs + out[k]) & 0xff;
  out[i++] = cs;
  out[i++] = END;
  return out;
}

export interface DecodeFrameOptions {
  /** accept a wrong checksum (checksumOk = false) instead of throwing; for the analyzer */
  allowBadChecksum?: boolean;
  /** accept bytes after the end byte (returns `length` consumed); for stream parsing */
  allowTrailing?: boolean;
}

/**
 * Decode one frame. Throws only Dlt645DecodeError (NO_START, BAD_PREAMBLE, BAD_HEADER,
 * TRUNCATED, BAD_END, BAD_CHECKSUM, TRAILING_BYTES, BAD_ADDRESS).
 */
export function decodeFrame(bytes: Uint8Array, opts: DecodeFrameOptions = {}): RawFrame {
  if (bytes.length === 0) throw new Dlt645DecodeError('EMPTY', 'no bytes');
  let p = 0;
  while (p < bytes.length && bytes[p] === PREAMBLE) p++;
  if (p > 4) throw new Dlt645DecodeError('BAD_PREAMBLE', `${p} FE bytes (at most 4)`);
  if (p >= bytes.length) throw new Dlt645DecodeError('TRUNCATED', 'only preamble bytes');
  if (bytes[p] !== START) throw new Dlt645DecodeError('NO_START', `expected 68 at byte ${p}, got ${bytes[p].toString(16).padStart(2, '0')}`);
  if (bytes.length < p + 10) throw new Dlt645DecodeError('TRUNCATED', `frame header needs 10 bytes, got ${bytes.length - p}`);
  if (bytes[p + 7] !== START) throw new Dlt645DecodeError('BAD_HEADER', `expected second 68 at byte ${p + 7}`);
  const len = bytes[p + 9];
  const total = 12 + len;
  if (bytes.length < p + total) throw new Dlt645DecodeError('TRUNCATED', `L=${len} needs ${total} bytes, got ${bytes.length - p}`);
  const csAt = p + 10 + len;
  if (bytes[csAt + 1] !== END) throw new Dlt645DecodeError('BAD_END', `expected 16 at byte ${csAt + 1}, got ${bytes[csAt + 1].toString(16).padStart(2, '0')}`);
  if (!opts.allowTrailing && bytes.length > p + total) throw new Dlt645DecodeError('TRAILING_BYTES', `${bytes.length - p - total} bytes after the end byte`);
  let cs = 0;
  for (let k = p; k < csAt; k++) cs = (cs + bytes[k]) & 0xff;
  const checksumOk = cs === bytes[csAt];
  if (!checksumOk && !opts.allowBadChecksum) {
    throw new Dlt645DecodeError('BAD_CHECKSUM', `checksum ${bytes[csAt].toString(16).padStart(2, '0')}, computed ${cs.toString(16).padStart(2, '0')}`, {
      expected: cs,
      actual: bytes[csAt],
    });
  }
  const data = new Uint8Array(len);
  for (let k = 0; k < len; k++) data[k] = (bytes[p + 10 + k] - 0x33) & 0xff;
  return {
    address: decodeAddress(bytes.subarray(p + 1, p + 7)),
    control: bytes[p + 8],
    data,
    preamble: p,
    checksum: bytes[csAt],
    checksumOk,
    length: p + total,
  };
}

/** Parse hex text ("68 01 00 ...", "0x68,0x01", "6801...") into bytes; throws BAD_HEX. */
export function hexToBytes(hex: string): Uint8Array {
  const s = hex.replace(/0x/gi, '').replace(/[\s,:;_-]/g, '');
  if (s.length === 0) throw new Dlt645DecodeError('EMPTY', 'no hex digits');
  if (!/^[0-9a-fA-F]*$/.test(s) || s.length % 2 !== 0) throw new Dlt645DecodeError('BAD_HEX', 'not a sequence of hex bytes');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes -> "68 01 00 ..." (upper case, space separated). */
export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}
