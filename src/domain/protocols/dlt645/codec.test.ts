import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Dlt645DecodeError,
  ERR,
  FN,
  FrameStreamParser,
  analyzeFrame,
  buildBroadcastTime,
  buildErrorReply,
  buildFreeze,
  buildReadAddressReply,
  buildReadAddressRequest,
  buildReadReply,
  buildReadRequest,
  buildWrite,
  bytesToHex,
  decodeDiValue,
  decodeFrame,
  decodeMessage,
  encodeDiValue,
  hexToBytes,
  interpretFrame,
  lookupDi,
} from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(fs.readFileSync(path.join(here, '../../../../test/fixtures/dlt645/frames.json'), 'utf8')) as {
  frames: { hex: string; address: string; control: string; data_minus_0x33: string; expect_checksum_ok?: boolean }[];
};

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Dlt645DecodeError);
    return (e as Dlt645DecodeError).code;
  }
  return 'NO_ERROR';
};

describe('frames.json (public implementations)', () => {
  it('every good frame decodes to its stated address, control and data', () => {
    const good = fixture.frames.filter((f) => f.expect_checksum_ok !== false);
    expect(good.length).toBe(5);
    for (const f of good) {
      const raw = decodeFrame(hexToBytes(f.hex));
      expect(raw.address).toBe(f.address);
      expect(raw.control.toString(16).toUpperCase().padStart(2, '0')).toBe(f.control);
      expect(bytesToHex(raw.data)).toBe(f.data_minus_0x33);
      expect(raw.checksumOk).toBe(true);
    }
  });

  it('stated values', () => {
    const [f0, f1, f2, f3, f4] = fixture.frames.slice(0, 5).map((f) => decodeMessage(hexToBytes(f.hex)));
    expect(f0).toMatchObject({ address: '001234567890', di: '00000000', name: '（当前）组合有功总电能' });
    expect(f0.control).toMatchObject({ func: FN.READ, direction: 'request', error: false });
    expect(f1).toMatchObject({ address: '000012345678', di: '02010100', name: 'A相电压', unit: 'V' });
    expect(f2).toMatchObject({ address: '020247020276', di: '00010000', value: 0.02, unit: 'kWh' });
    expect(f2.control.direction).toBe('reply');
    expect(f3.value).toBe('123456789012');
    expect(f3.raw.preamble).toBe(1);
    expect(f3.control.func).toBe(FN.READ_ADDRESS);
    expect(f4.control.error).toBe(true);
    expect(f4.errorWord).toBe(0x02);
    expect(f4.errors).toEqual(['无请求数据 no requested data']);
  });

  it('rejects the corrupt frame', () => {
    const bad = fixture.frames.find((f) => f.expect_checksum_ok === false)!;
    expect(codeOf(() => decodeFrame(hexToBytes(bad.hex)))).toBe('BAD_CHECKSUM');
    const a = analyzeFrame(bad.hex);
    expect(a.ok).toBe(false);
    expect(a.checksumOk).toBe(false);
    expect(a.errorCode).toBe('BAD_CHECKSUM');
    expect(a.error).toContain('computed 54');
    // the analyzer still shows what the frame says
    expect(a.value).toBe(1234.56);
    // the corrected frame is fine
    const fixed = bad.hex.replace(/55 16$/, '54 16');
    expect(analyzeFrame(fixed)).toMatchObject({ ok: true, checksumOk: true, value: 1234.56 });
  });
});

describe('test vector M-1 (domain-cn §9.3)', () => {
  it('request', () => {
    expect(bytesToHex(buildReadRequest('000000000001', '00010000'))).toBe('68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16');
  });
  it('reply 12345.67 kWh', () => {
    const hex = '68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D3 16';
    expect(bytesToHex(buildReadReply('000000000001', '00010000', 12345.67))).toBe(hex);
    expect(decodeMessage(hexToBytes(hex))).toMatchObject({ address: '000000000001', di: '00010000', value: 12345.67, unit: 'kWh' });
    expect(analyzeFrame(hex)).toMatchObject({ ok: true, control: '91', direction: 'reply', name: '（当前）正向有功总电能', value: 12345.67 });
  });
  it('with 4 FE preamble bytes', () => {
    const f = buildReadRequest('000000000001', '00010000', { preamble: 4 });
    expect(bytesToHex(f).startsWith('FE FE FE FE 68 01')).toBe(true);
    expect(decodeFrame(f)).toMatchObject({ preamble: 4, address: '000000000001' });
  });
});

describe('formats', () => {
  it('energy, demand with time, signed current, power factor', () => {
    expect(decodeDiValue('00010100', Uint8Array.of(0x00, 0x50, 0x02, 0x00))).toBe(250); // 费率1 000250.00
    expect(lookupDi('00010100')!.name).toBe('（当前）正向有功费率1电能');
    expect(lookupDi('00010001')!.name).toBe('（上1结算日）正向有功总电能');
    const dem = { demand: 12.3456, time: '2026-11-03 19:15' };
    expect(decodeDiValue('01010000', encodeDiValue('01010000', dem))).toEqual(dem);
    expect(bytesToHex(encodeDiValue('01010000', dem))).toBe('56 34 12 15 19 03 11 26');
    expect(bytesToHex(encodeDiValue('02020100', -1.234))).toBe('34 12 80');
    expect(decodeDiValue('02020100', hexToBytes('34 12 80'))).toBe(-1.234);
    expect(lookupDi('02060000')!.unit).toBe('');
    expect(decodeDiValue('02800002', hexToBytes('00 50'))).toBe(50);
  });
  it('blocks, dates, addresses, events', () => {
    const blk = [100.5, 10, 20, 30, 40.5];
    expect(decodeDiValue('0001FF00', encodeDiValue('0001FF00', blk))).toEqual(blk);
    expect(decodeDiValue('04000101', hexToBytes('05 27 11 26'))).toBe('2026-11-27 W5');
    expect(decodeDiValue('04000102', hexToBytes('00 55 20'))).toBe('20:55:00');
    expect(decodeDiValue('04000B01', hexToBytes('00 01'))).toBe('01日 00时');
    expect(decodeDiValue('04000401', hexToBytes('01 00 00 00 00 00'))).toBe('000000000001');
    expect(decodeDiValue('03110000', hexToBytes('03 00 00'))).toBe(3);
    const ev = { start: '2026-11-20 03:10:00', end: '2026-11-20 05:40:30' };
    expect(decodeDiValue('03110001', encodeDiValue('03110001', ev))).toEqual(ev);
  });
  it('bad BCD, bad length and unknown DI are typed errors', () => {
    expect(codeOf(() => decodeDiValue('00010000', hexToBytes('0A 00 00 00')))).toBe('BAD_BCD');
    expect(codeOf(() => decodeDiValue('00010000', hexToBytes('00 00 00')))).toBe('BAD_LENGTH');
    expect(codeOf(() => decodeDiValue('EE000000', hexToBytes('00')))).toBe('UNKNOWN_DI');
    expect(() => encodeDiValue('00010000', 1_000_000)).toThrow(/OUT_OF_RANGE/);
    expect(() => encodeDiValue('00010000', -1)).toThrow(/OUT_OF_RANGE/);
  });
});

describe('frame errors', () => {
  const good = buildReadReply('000000000001', '00010000', 12345.67);
  it.each([
    ['', 'EMPTY'],
    ['16', 'NO_START'],
    ['FE FE FE FE FE 68', 'BAD_PREAMBLE'],
    ['68 01 00', 'TRUNCATED'],
    ['68 01 00 00 00 00 00 69 11 00 00 16', 'BAD_HEADER'],
    ['68 01 00 00 00 00 00 68 11 04 33 33 34', 'TRUNCATED'],
    ['68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 17', 'BAD_END'],
    ['68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16 00', 'TRAILING_BYTES'],
    ['68 0F 00 00 00 00 00 68 11 04 33 33 34 33 C1 16', 'BAD_ADDRESS'],
  ])('%s -> %s', (hex, code) => {
    expect(codeOf(() => decodeFrame(hex ? hexToBytes(hex) : new Uint8Array()))).toBe(code);
  });
  it('BAD_LENGTH, BAD_CONTROL and UNKNOWN_DI at the message level', () => {
    const shortRead = '68 01 00 00 00 00 00 68 11 02 33 33 E0 16';
    expect(codeOf(() => decodeMessage(hexToBytes(shortRead.replace('E0', cs(shortRead)))))).toBe('BAD_LENGTH');
    const f = Uint8Array.from(good);
    f[8] = 0x1f; // unknown function
    f[f.length - 2] = sum(f);
    expect(codeOf(() => decodeMessage(f))).toBe('BAD_CONTROL');
    const u = Uint8Array.from(buildReadRequest('000000000001', 'EE000000'));
    expect(codeOf(() => decodeMessage(u))).toBe('UNKNOWN_DI');
    expect(analyzeFrame(bytesToHex(u))).toMatchObject({ ok: false, errorCode: 'UNKNOWN_DI', di: 'EE000000' });
  });
});

function sum(f: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < f.length - 2; i++) s = (s + f[i]) & 0xff;
  return s;
}
function cs(hex: string): string {
  const b = hexToBytes(hex);
  return sum(b).toString(16).toUpperCase().padStart(2, '0');
}

describe('other functions', () => {
  it('read address, broadcast time, freeze, write, error reply', () => {
    expect(decodeMessage(buildReadAddressRequest())).toMatchObject({ address: 'AAAAAAAAAAAA' });
    expect(decodeMessage(buildReadAddressReply('000000000042')).value).toBe('000000000042');
    const bt = decodeMessage(buildBroadcastTime('2026-11-27 20:55:07'));
    expect(bt).toMatchObject({ address: '999999999999', time: '2026-11-27 20:55:07' });
    expect(bytesToHex(bt.raw.data)).toBe('07 55 20 27 11 26');
    expect(decodeMessage(buildFreeze('000000000001', '99-99 99:99')).time).toBe('99-99 99:99');
    const w = decodeMessage(buildWrite('000000000001', '04000B01', '01日 00时', '02000000', '00000001'));
    expect(w).toMatchObject({ di: '04000B01', value: '01日 00时', password: '02000000', operator: '00000001' });
    const e = decodeMessage(buildErrorReply('000000000001', FN.READ, ERR.NO_DATA));
    expect(bytesToHex(e.raw.data)).toBe('02');
    expect(e.raw.control).toBe(0xd1);
    expect(e.errors).toEqual(['无请求数据 no requested data']);
    expect(interpretFrame(decodeFrame(buildErrorReply('000000000001', FN.WRITE, ERR.UNAUTHORIZED | ERR.OTHER))).errors).toHaveLength(2);
  });
});

describe('stream parser', () => {
  it('finds frames split across chunks, skips garbage, reports a bad checksum frame', () => {
    const a = buildReadReply('000000000001', '00010000', 1.5, { preamble: 2 });
    const bad = Uint8Array.from(buildReadReply('000000000002', '00010000', 2.5));
    bad[bad.length - 2] ^= 0xff;
    const c = buildReadReply('000000000003', '00020000', 3.5);
    const all = Uint8Array.from([0x00, 0x16, 0x68, ...a, 0x99, ...bad, ...c]);
    const p = new FrameStreamParser();
    const items = [...p.push(all.subarray(0, 7)), ...p.push(all.subarray(7, 30)), ...p.push(all.subarray(30))];
    expect(items.map((i) => [i.frame?.address, i.error?.code])).toEqual([
      ['000000000001', undefined],
      ['000000000002', 'BAD_CHECKSUM'],
      ['000000000003', undefined],
    ]);
    expect(p.skipped).toBeGreaterThan(0);
  });
});
