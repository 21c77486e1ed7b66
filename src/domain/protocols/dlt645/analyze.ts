/**
 * Frame analyzer (报文解析) for field engineers: one frame in hex -> a JSON-ready description.
 * Used by `voltline dlt645 decode` and by the web API. Never throws.
 *
 * Example: analyzeFrame('68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D3 16') ->
 *   { ok: true, address: '000000000001', control: '91', direction: 'reply', di: '00010000',
 *     name: '（当前）正向有功总电能', value: 12345.67, unit: 'kWh', checksumOk: true, ... }
 */
import { Dlt645DecodeError } from './errors.js';
import type { Dlt645Value } from './formats.js';
import { bytesToHex, decodeFrame, describeControl, hexToBytes, type RawFrame } from './frame.js';
import { interpretFrame } from './message.js';

export interface FrameAnalysis {
  /** true when the frame decoded completely, checksum included, and its DI is known */
  ok: boolean;
  /** the input bytes, normalised ("68 01 00 ...") or null if the input was not hex */
  hex: string | null;
  /** 12 digits, most significant first ("AA" bytes = wildcard) */
  address: string | null;
  /** control byte as 2 hex digits, e.g. "91" */
  control: string | null;
  /** function name, e.g. "读数据 read data" */
  function: string | null;
  /** 'request' (master -> meter) or 'reply' (meter -> master) */
  direction: 'request' | 'reply' | null;
  /** abnormal reply (control bit 6) */
  abnormal: boolean | null;
  /** more frames follow (control bit 5) */
  followUp: boolean | null;
  di: string | null;
  name: string | null;
  value: Dlt645Value;
  unit: string | null;
  /** problem text: decode error ("BAD_CHECKSUM: ...") or the meter's error word meaning */
  error: string | null;
  /** decode error code (BAD_CHECKSUM, TRUNCATED, UNKNOWN_DI, ...) or METER_ERROR for an abnormal reply */
  errorCode: string | null;
  /** abnormal reply: error word and its bits */
  errorWord: number | null;
  meterErrors: string[] | null;
  checksumOk: boolean | null;
  /** number of FE bytes */
  preamble: number | null;
  /** DATA with the 0x33 offset removed, wire order */
  data: string | null;
  /** time field of broadcast time / freeze / control / load-profile reads */
  time: string | null;
  /** follow-up sequence number */
  seq: number | null;
}

function empty(): FrameAnalysis {
  return {
    ok: false,
    hex: null,
    address: null,
    control: null,
    function: null,
    direction: null,
    abnormal: null,
    followUp: null,
    di: null,
    name: null,
    value: null,
    unit: null,
    error: null,
    errorCode: null,
    errorWord: null,
    meterErrors: null,
    checksumOk: null,
    preamble: null,
    data: null,
    time: null,
    seq: null,
  };
}

function fail(r: FrameAnalysis, e: unknown): FrameAnalysis {
  if (e instanceof Dlt645DecodeError) {
    r.error = e.message;
    r.errorCode = e.code;
  } else {
    r.error = `INTERNAL: ${(e as Error)?.message ?? String(e)}`;
    r.errorCode = 'INTERNAL';
  }
  r.ok = false;
  return r;
}

/** Analyse one frame given as hex text (spaces, commas, 0x prefixes allowed). Never throws. */
export function analyzeFrame(hex: string): FrameAnalysis {
  const r = empty();
  let bytes: Uint8Array;
  try {
    bytes = hexToBytes(String(hex ?? ''));
  } catch (e) {
    return fail(r, e);
  }
  r.hex = bytesToHex(bytes);
  return analyzeBytes(bytes, r);
}

/** Same as analyzeFrame for raw bytes. Never throws. */
export function analyzeBytes(bytes: Uint8Array, r: FrameAnalysis = empty()): FrameAnalysis {
  r.hex ??= bytesToHex(bytes);
  let raw: RawFrame;
  try {
    raw = decodeFrame(bytes, { allowBadChecksum: true });
  } catch (e) {
    return fail(r, e);
  }
  const c = describeControl(raw.control);
  r.address = raw.address;
  r.control = raw.control.toString(16).padStart(2, '0').toUpperCase();
  r.function = c.funcName;
  r.direction = c.direction;
  r.abnormal = c.error;
  r.followUp = c.followUp;
  r.checksumOk = raw.checksumOk;
  r.preamble = raw.preamble;
  r.data = bytesToHex(raw.data);
  try {
    const m = interpretFrame(raw, { strictDi: false });
    r.di = m.di ?? null;
    r.name = m.name ?? null;
    r.unit = m.unit ?? null;
    r.value = m.value ?? null;
    r.time = m.time ?? null;
    r.seq = m.seq ?? null;
    if (m.errorWord !== undefined) {
      r.errorWord = m.errorWord;
      r.meterErrors = m.errors ?? [];
      r.error = `meter error word 0x${m.errorWord.toString(16).padStart(2, '0')}: ${r.meterErrors.join('; ')}`;
      r.errorCode = 'METER_ERROR';
    }
    if (m.di && !m.name) {
      r.error = `UNKNOWN_DI: DI ${m.di} is not in the identifier tables (value shown as raw digits)`;
      r.errorCode = 'UNKNOWN_DI';
      r.ok = false;
    } else r.ok = raw.checksumOk;
  } catch (e) {
    fail(r, e);
  }
  if (!raw.checksumOk) {
    const expected = checksumOf(bytes, raw);
    const prev = r.error ? `; ${r.error}` : '';
    r.error = `BAD_CHECKSUM: checksum ${hex2(raw.checksum)}, computed ${hex2(expected)}${prev}`;
    r.errorCode = 'BAD_CHECKSUM';
    r.ok = false;
  }
  return r;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0').toUpperCase();

function checksumOf(bytes: Uint8Array, raw: RawFrame): number {
  let cs = 0;
  for (let k = raw.preamble; k < raw.length - 2; k++) cs = (cs + bytes[k]) & 0xff;
  return cs;
}
