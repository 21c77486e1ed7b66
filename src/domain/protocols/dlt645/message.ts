/**
 * DL/T 645-2007 message layer: what a frame means (function, DI, value, error word) and
 * builders for the frames a master and a meter send.
 *
 * Example: buildReadRequest('000000000001', '00010000') ->
 *   68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16   (domain-cn test vector M-1)
 */
import { decodeFields, encodeFields, lookupDi, normalizeDi, type DiDefinition } from './di-table.js';
import { Dlt645DecodeError, Dlt645EncodeError } from './errors.js';
import { bytesToDigits, concatBytes as concat, fieldCodec, type Dlt645Value } from './formats.js';
import { BROADCAST_ADDRESS, WILDCARD_ADDRESS, decodeFrame, describeControl, encodeFrame, type ControlInfo, type RawFrame } from './frame.js';

export const FN = {
  BROADCAST_TIME: 0x08,
  READ: 0x11,
  READ_FOLLOW_UP: 0x12,
  READ_ADDRESS: 0x13,
  WRITE: 0x14,
  WRITE_ADDRESS: 0x15,
  FREEZE: 0x16,
  CHANGE_BAUD: 0x17,
  CHANGE_PASSWORD: 0x18,
  CLEAR_DEMAND: 0x19,
  CLEAR_METER: 0x1a,
  CLEAR_EVENTS: 0x1b,
  CONTROL: 0x1c,
} as const;

/** Error word bits of an abnormal reply (错误信息字 SERR). */
export const ERROR_BITS: readonly string[] = [
  '其他错误 other error',
  '无请求数据 no requested data',
  '密码错/未授权 wrong password / unauthorised',
  '通信速率不能更改 baud rate cannot change',
  '年时区数超 too many seasons',
  '日时段数超 too many day periods',
  '费率数超 too many tariffs',
  '保留 reserved',
];

export const ERR = {
  OTHER: 0x01,
  NO_DATA: 0x02,
  UNAUTHORIZED: 0x04,
  BAUD: 0x08,
  SEASONS: 0x10,
  PERIODS: 0x20,
  TARIFFS: 0x40,
} as const;

export function describeErrorWord(word: number): string[] {
  const out: string[] = [];
  for (let b = 0; b < 8; b++) if (word & (1 << b)) out.push(ERROR_BITS[b]);
  return out;
}

/** Control codes of a normal / abnormal reply for a function code. */
export const replyControl = (func: number, followUp = false) => 0x80 | func | (followUp ? 0x20 : 0);
export const errorControl = (func: number) => 0xc0 | func;

export interface Dlt645Message {
  address: string;
  control: ControlInfo;
  /** DI (8 hex digits, DI3 first) for read / write / follow-up / clear-events frames */
  di?: string;
  name?: string;
  unit?: string;
  /** decoded value (read replies, write requests, read-address replies) */
  value?: Dlt645Value;
  /** follow-up frame sequence number (0x12) */
  seq?: number;
  /** abnormal reply error word and its meaning */
  errorWord?: number;
  errors?: string[];
  /** requested time: broadcast time (YYYY-MM-DD hh:mm:ss), freeze time, control validity */
  time?: string;
  /** block count N of a read request with 5 or 10 data bytes (load profile) */
  count?: number;
  /** PA P0 P1 P2 and C0..C3 of write / clear / control frames, as hex digits in wire order */
  password?: string;
  operator?: string;
  /** control command N1 of 0x1C (1A trip, 1B allow close, 2A alarm, 2B alarm off, 3A keep power, 3B keep power off) */
  command?: number;
  raw: RawFrame;
}

/** bytes in wire order as hex digits (passwords, operator codes) */
function wireHex(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join('');
}

function readDi(data: Uint8Array, at = 0): string {
  return bytesToDigits(data.subarray(at, at + 4));
}

function needLength(ok: boolean, what: string, len: number): void {
  if (!ok) throw new Dlt645DecodeError('BAD_LENGTH', `${what}: unexpected DATA length ${len}`, { length: len });
}

function diValue(di: string, data: Uint8Array, strict: boolean): { def?: DiDefinition; value: Dlt645Value } {
  const def = lookupDi(di);
  if (!def) {
    if (strict) throw new Dlt645DecodeError('UNKNOWN_DI', `DI ${di} is not in the identifier tables`, { di });
    return { value: bytesToDigits(data) };
  }
  if (def.block) needLength(data.length > 0 && data.length % def.itemBytes === 0, `DI ${di} block of ${def.itemBytes}-byte items`, data.length);
  else needLength(data.length === def.itemBytes, `DI ${di} needs ${def.itemBytes} bytes`, data.length);
  return { def, value: decodeFields(def, data) };
}

export interface InterpretOptions {
  /** throw UNKNOWN_DI for a DI not in the tables (default true); false keeps the raw digits as value */
  strictDi?: boolean;
}

/** Meaning of a decoded frame. Throws only Dlt645DecodeError (BAD_CONTROL, BAD_LENGTH, BAD_BCD, UNKNOWN_DI). */
export function interpretFrame(raw: RawFrame, opts: InterpretOptions = {}): Dlt645Message {
  const strict = opts.strictDi ?? true;
  const control = describeControl(raw.control);
  const msg: Dlt645Message = { address: raw.address, control, raw };
  const d = raw.data;
  const n = d.length;
  if (!(control.func in FN_NAMES_SET)) throw new Dlt645DecodeError('BAD_CONTROL', `unknown function code 0x${control.func.toString(16)}`);
  const setDi = (di: string, valueBytes?: Uint8Array) => {
    msg.di = di;
    const def = lookupDi(di);
    if (def) {
      msg.name = def.name;
      msg.unit = def.unit;
    }
    if (valueBytes) msg.value = diValue(di, valueBytes, strict).value;
    else if (!def && strict) throw new Dlt645DecodeError('UNKNOWN_DI', `DI ${di} is not in the identifier tables`, { di });
  };
  if (control.error) {
    needLength(n >= 1 && n <= 2, 'abnormal reply', n);
    msg.errorWord = d[0];
    msg.errors = describeErrorWord(d[0]);
    return msg;
  }
  const req = control.direction === 'request';
  switch (control.func) {
    case FN.READ:
      if (req) {
        needLength(n === 4 || n === 5 || n === 10, 'read request', n);
        setDi(readDi(d));
        if (n >= 5) msg.count = d[4];
        if (n === 10) msg.time = fieldCodec('YYMMDDhhmm').decode(d.subarray(5, 10)) as string;
      } else {
        needLength(n >= 4, 'read reply', n);
        setDi(readDi(d), d.subarray(4));
      }
      break;
    case FN.READ_FOLLOW_UP:
      if (req) {
        needLength(n === 5, 'read follow-up request', n);
        setDi(readDi(d));
        msg.seq = d[4];
      } else {
        needLength(n >= 6, 'read follow-up reply', n);
        setDi(readDi(d), d.subarray(4, n - 1));
        msg.seq = d[n - 1];
      }
      break;
    case FN.READ_ADDRESS:
      if (req) needLength(n === 0, 'read address request', n);
      else {
        needLength(n === 6, 'read address reply', n);
        msg.value = fieldCodec('NNNNNNNNNNNN').decode(d);
        msg.name = '通信地址';
      }
      break;
    case FN.WRITE:
      if (req) {
        needLength(n >= 13, 'write request', n);
        msg.password = wireHex(d.subarray(4, 8));
        msg.operator = wireHex(d.subarray(8, 12));
        setDi(readDi(d), d.subarray(12));
      } else needLength(n === 0, 'write reply', n);
      break;
    case FN.WRITE_ADDRESS:
      if (req) {
        needLength(n === 6, 'write address request', n);
        msg.value = fieldCodec('NNNNNNNNNNNN').decode(d);
        msg.name = '通信地址';
      } else needLength(n === 0, 'write address reply', n);
      break;
    case FN.BROADCAST_TIME:
      needLength(req && n === 6, 'broadcast time', n);
      msg.time = fieldCodec('YYMMDDhhmmss').decode(d) as string;
      break;
    case FN.FREEZE:
      if (req) {
        needLength(n === 4, 'freeze request', n);
        msg.time = fieldCodec('MMDDhhmm').decode(d) as string;
      } else needLength(n === 0, 'freeze reply', n);
      break;
    case FN.CHANGE_BAUD:
      needLength(n === 1, 'change baud rate', n);
      msg.value = d[0];
      break;
    case FN.CHANGE_PASSWORD:
      if (req) {
        needLength(n === 12, 'change password request', n);
        msg.di = readDi(d);
        msg.password = wireHex(d.subarray(4, 8));
        msg.value = bytesToDigits(d.subarray(8, 12));
      } else {
        needLength(n === 4, 'change password reply', n);
        msg.value = bytesToDigits(d);
      }
      break;
    case FN.CLEAR_DEMAND:
    case FN.CLEAR_METER:
    case FN.CLEAR_EVENTS:
      if (req) {
        needLength(control.func === FN.CLEAR_EVENTS ? n === 12 : n === 8, 'clear request', n);
        msg.password = wireHex(d.subarray(0, 4));
        msg.operator = wireHex(d.subarray(4, 8));
        if (control.func === FN.CLEAR_EVENTS) msg.di = readDi(d, 8);
      } else needLength(n === 0, 'clear reply', n);
      break;
    case FN.CONTROL:
      if (req) {
        needLength(n === 16, 'control request', n);
        msg.password = wireHex(d.subarray(0, 4));
        msg.operator = wireHex(d.subarray(4, 8));
        msg.command = d[8];
        msg.time = fieldCodec('YYMMDDhhmmss').decode(d.subarray(10, 16)) as string;
      } else needLength(n === 0, 'control reply', n);
      break;
  }
  return msg;
}

const FN_NAMES_SET: Record<number, true> = Object.fromEntries(Object.values(FN).map((v) => [v, true]));

/** decodeFrame + interpretFrame (strict: a bad checksum or unknown DI throws). */
export function decodeMessage(bytes: Uint8Array, opts: InterpretOptions = {}): Dlt645Message {
  return interpretFrame(decodeFrame(bytes), opts);
}

// ---------------------------------------------------------------- builders

interface BuildOptions {
  preamble?: number;
}

function diBytes(di: string): Uint8Array {
  const s = normalizeDi(di);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) out[i] = parseInt(s.slice(6 - 2 * i, 8 - 2 * i), 16);
  return out;
}


/** Encode a DI's value (no offset). Throws Dlt645EncodeError (UNKNOWN_DI, BAD_VALUE, OUT_OF_RANGE). */
export function encodeDiValue(di: string, value: Dlt645Value): Uint8Array {
  const def = lookupDi(di);
  if (!def) throw new Dlt645EncodeError('UNKNOWN_DI', `DI ${normalizeDi(di)} is not in the identifier tables`);
  return encodeFields(def, value);
}

/** Decode a DI's value bytes (no offset). Throws Dlt645DecodeError (UNKNOWN_DI, BAD_LENGTH, BAD_BCD). */
export function decodeDiValue(di: string, data: Uint8Array): Dlt645Value {
  return diValue(normalizeDi(di), data, true).value;
}

/** 0x11 read request. `buildReadRequest('000000000001', '00010000')` = test vector M-1. */
export function buildReadRequest(address: string, di: string, opts: BuildOptions = {}): Uint8Array {
  return encodeFrame({ address, control: FN.READ, data: diBytes(di), preamble: opts.preamble });
}

/** 0x91 normal read reply carrying `value` encoded with the DI's format. */
export function buildReadReply(address: string, di: string, value: Dlt645Value, opts: BuildOptions & { followUp?: boolean } = {}): Uint8Array {
  return encodeFrame({ address, control: replyControl(FN.READ, opts.followUp), data: concat(diBytes(di), encodeDiValue(di, value)), preamble: opts.preamble });
}

/** 0x12 read follow-up request (frame sequence `seq`). */
export function buildReadFollowUpRequest(address: string, di: string, seq: number, opts: BuildOptions = {}): Uint8Array {
  return encodeFrame({ address, control: FN.READ_FOLLOW_UP, data: concat(diBytes(di), Uint8Array.of(seq & 0xff)), preamble: opts.preamble });
}

/** Abnormal reply (0xC0 | func) with error word, e.g. buildErrorReply(a, 0x11, ERR.NO_DATA) -> C = D1. */
export function buildErrorReply(address: string, func: number, errorWord: number, opts: BuildOptions = {}): Uint8Array {
  return encodeFrame({ address, control: errorControl(func), data: Uint8Array.of(errorWord & 0xff), preamble: opts.preamble });
}

/** 0x13 read address request to the wildcard address. */
export function buildReadAddressRequest(opts: BuildOptions = {}): Uint8Array {
  return encodeFrame({ address: WILDCARD_ADDRESS, control: FN.READ_ADDRESS, preamble: opts.preamble });
}

/** 0x93 read address reply. */
export function buildReadAddressReply(address: string, opts: BuildOptions = {}): Uint8Array {
  const a = fieldCodec('NNNNNNNNNNNN').encode(address.replace(/\s/g, ''));
  return encodeFrame({ address, control: replyControl(FN.READ_ADDRESS), data: a, preamble: opts.preamble });
}

/** Normal reply without data (write, freeze, clear, control acknowledgements). */
export function buildAck(address: string, func: number, opts: BuildOptions = {}): Uint8Array {
  return encodeFrame({ address, control: replyControl(func), preamble: opts.preamble });
}

/** Meter-local wall time text "YYYY-MM-DD hh:mm:ss" of an instant in Asia/Shanghai (UTC+8, no DST). */
export function formatChinaTime(ms: number): string {
  const d = new Date(ms + 8 * 3600_000);
  const p = (x: number) => String(x).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** 0x08 broadcast time to 999999999999; `time` is "YYYY-MM-DD hh:mm:ss" (Beijing time) or epoch ms. */
export function buildBroadcastTime(time: string | number, opts: BuildOptions = {}): Uint8Array {
  const t = typeof time === 'number' ? formatChinaTime(time) : time;
  return encodeFrame({ address: BROADCAST_ADDRESS, control: FN.BROADCAST_TIME, data: fieldCodec('YYMMDDhhmmss').encode(t), preamble: opts.preamble });
}

/** 0x16 freeze at "MM-DD hh:mm" (99 = every: "99-99 99:99" freezes now). */
export function buildFreeze(address: string, time: string, opts: BuildOptions = {}): Uint8Array {
  return encodeFrame({ address, control: FN.FREEZE, data: fieldCodec('MMDDhhmm').encode(time), preamble: opts.preamble });
}

/** password / operator code: 8 hex digits in wire order ("02123456" = PA 02, P0..P2 12 34 56) */
function pwBytes(hexDigits: string, what: string): Uint8Array {
  if (!/^[0-9A-Fa-f]{8}$/.test(hexDigits)) throw new Dlt645EncodeError('BAD_VALUE', `${what} is 8 hex digits`);
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) out[i] = parseInt(hexDigits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** 0x14 write: password "PAP0P1P2" in wire order (e.g. "02000000", level 02) and operator code C0..C3, 8 hex digits each. */
export function buildWrite(address: string, di: string, value: Dlt645Value, password: string, operator: string, opts: BuildOptions = {}): Uint8Array {
  return encodeFrame({
    address,
    control: FN.WRITE,
    data: concat(diBytes(di), pwBytes(password, 'password'), pwBytes(operator, 'operator'), encodeDiValue(di, value)),
    preamble: opts.preamble,
  });
}

/** 0x19 clear demand / 0x1A clear meter. */
export function buildClear(address: string, func: 0x19 | 0x1a, password: string, operator: string, opts: BuildOptions = {}): Uint8Array {
  return encodeFrame({ address, control: func, data: concat(pwBytes(password, 'password'), pwBytes(operator, 'operator')), preamble: opts.preamble });
}

/** 0x1C control: command 0x1A trip, 0x1B allow closing, 0x2A alarm, 0x2B alarm off, 0x3A/0x3B keep power on/off; valid until `until`. */
export function buildControl(address: string, command: number, until: string, password: string, operator: string, opts: BuildOptions = {}): Uint8Array {
  return encodeFrame({
    address,
    control: FN.CONTROL,
    data: concat(pwBytes(password, 'password'), pwBytes(operator, 'operator'), Uint8Array.of(command & 0xff, 0), fieldCodec('YYMMDDhhmmss').encode(until)),
    preamble: opts.preamble,
  });
}
