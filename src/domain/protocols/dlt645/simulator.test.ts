import { describe, expect, it } from 'vitest';
import {
  ERR,
  NO_FAULTS,
  SimulatedMeter,
  buildBroadcastTime,
  buildReadAddressRequest,
  buildReadRequest,
  buildWrite,
  createFleet,
  decodeMessage,
  handleRequest,
  meterAddress,
  meterIndexOf,
  meterProfile,
  parseFaults,
  prng,
  type Dlt645Value,
} from './index.js';

const T = Date.parse('2026-07-15T12:00:00+08:00');
const H = 3_600_000;
const opts = (now: number, faults = NO_FAULTS) => ({ now, faults, random: prng(3) });

function read(meters: SimulatedMeter[], address: string, di: string, now: number): Dlt645Value | string[] | null {
  const r = handleRequest(meters, buildReadRequest(address, di), opts(now));
  if (!r) return null;
  const m = decodeMessage(r.bytes);
  return m.control.error ? m.errors! : m.value!;
}

describe('address mapping and profiles', () => {
  it('index <-> address', () => {
    expect(meterAddress(1)).toBe('000000000001');
    expect(meterAddress(10000)).toBe('000000010000');
    expect(meterIndexOf('000000010000')).toBe(10000);
    expect(() => meterAddress(0)).toThrow(RangeError);
  });
  it('profiles are deterministic per seed', () => {
    expect(meterProfile(5, 17, NO_FAULTS, 0)).toEqual(meterProfile(5, 17, NO_FAULTS, 0));
    const a = Array.from({ length: 50 }, (_, i) => meterProfile(5, i + 1, NO_FAULTS, 0).sizeKw);
    const b = Array.from({ length: 50 }, (_, i) => meterProfile(6, i + 1, NO_FAULTS, 0).sizeKw);
    expect(a).not.toEqual(b);
    const classes = new Set(Array.from({ length: 400 }, (_, i) => meterProfile(5, i + 1).customerClass));
    expect(classes).toEqual(new Set(['residential', 'commercial', 'industrial', 'agriculture']));
  });
  it('parseFaults', () => {
    expect(parseFaults('no-reply=0.01,late=0.005,power-down=0.1')).toMatchObject({ noReply: 0.01, late: 0.005, powerDown: 0.1, error: 0 });
    expect(() => parseFaults('nope=1')).toThrow(/unknown fault/);
    expect(() => parseFaults('late=2')).toThrow(/probability/);
  });
});

describe('registers', () => {
  const fleet = createFleet({ count: 300, seed: 11, startMs: T });
  const byClass = (c: string) => fleet.filter((m) => m.profile.customerClass === c);

  it('never go backwards, and 尖+峰+平+谷 = total (±0.05)', () => {
    for (const m of fleet.slice(0, 40)) {
      let prev = -1;
      for (let h = 0; h < 48; h += 1) {
        const regs = m.read('0001FF00', T + h * H) as number[];
        expect(regs[0]).toBeGreaterThanOrEqual(prev);
        prev = regs[0];
        expect(Math.abs(regs[1] + regs[2] + regs[3] + regs[4] - regs[0])).toBeLessThan(0.06);
      }
    }
  });

  it('load shapes: residential evening peak, commercial daytime, agriculture seasonal', () => {
    const day = Date.parse('2026-07-15T00:00:00+08:00');
    const used = (m: SimulatedMeter, from: number, to: number) => (m.read('00010000', day + to * H) as number) - (m.read('00010000', day + from * H) as number);
    const res = byClass('residential')[0];
    expect(used(res, 18, 22)).toBeGreaterThan(2 * used(res, 1, 5));
    const com = byClass('commercial')[0];
    expect(used(com, 9, 13)).toBeGreaterThan(3 * used(com, 1, 5));
    const agri = byClass('agriculture')[0];
    const summer = (agri.read('00010000', Date.parse('2026-07-31T00:00:00+08:00')) as number) - (agri.read('00010000', Date.parse('2026-07-01T00:00:00+08:00')) as number);
    const winter = (agri.read('00010000', Date.parse('2026-01-31T00:00:00+08:00')) as number) - (agri.read('00010000', Date.parse('2026-01-01T00:00:00+08:00')) as number);
    expect(summer).toBeGreaterThan(3 * winter);
    const ind = byClass('industrial')[0];
    expect(ind.profile.multiplier).toBeGreaterThan(1);
    expect(used(ind, 1, 5) / used(ind, 9, 13)).toBeGreaterThan(0.8);
  });

  it('上1结算日 = value at the 1st 00:00; daily freeze = value at midnight', () => {
    const m = fleet[0];
    expect(m.read('00010001', T)).toBe(m.read('00010000', Date.parse('2026-07-01T00:00:00+08:00')));
    expect(m.read('00010002', T)).toBe(m.read('00010000', Date.parse('2026-06-01T00:00:00+08:00')));
    expect((m.read('05060101', T) as number[])[0]).toBe(m.read('00010000', Date.parse('2026-07-15T00:00:00+08:00')));
    expect(m.read('05060001', T)).toBe('2026-07-15 00:00');
    const d = m.read('01010000', T) as { demand: number; time: string };
    expect(d.demand).toBeGreaterThan(0);
    expect(d.time.startsWith('2026-07-')).toBe(true);
  });

  it('rollover fault: register passes 999999.99 -> 0 within the first hour', () => {
    const f = createFleet({ count: 50, seed: 11, startMs: T, faults: { rollover: 1 } });
    for (const m of f.slice(0, 10)) {
      const at = m.profile.rolloverAt!;
      expect(at).toBeGreaterThan(T);
      expect(at).toBeLessThan(T + H);
      expect(m.read('00010000', at - 60_000) as number).toBeGreaterThan(999_000);
      expect(m.read('00010000', at + 60_000) as number).toBeLessThan(100);
    }
  });
});

describe('replies', () => {
  it('read address, unknown DI, write refused, faults', () => {
    const f = createFleet({ count: 3, seed: 1, startMs: T });
    const ra = handleRequest(f, buildReadAddressRequest(), opts(T))!;
    expect(decodeMessage(ra.bytes).value).toBe('000000000001');
    expect(read(f, '000000000002', 'EE000000', T)).toEqual(['无请求数据 no requested data']);
    const f10 = createFleet({ count: 10, seed: 1, startMs: T });
    const res = f10.find((m) => m.profile.customerClass === 'residential')!;
    expect(read(f10, res.address, '02010100', T)).toEqual(expect.any(Number));
    expect(read(f10, res.address, '02010300', T)).toEqual(['无请求数据 no requested data']); // single-phase meter has no phase C
    const w = handleRequest(f, buildWrite('000000000002', '04000B01', '01日 00时', '02000000', '00000000'), opts(T))!;
    expect(decodeMessage(w.bytes).errorWord).toBe(ERR.UNAUTHORIZED);
    expect(read(f, '000000000099', '00010000', T)).toBeNull(); // not on this bus
    expect(handleRequest(f, buildReadRequest('000000000001', '00010000'), opts(T, { ...NO_FAULTS, noReply: 1 }))).toBeNull();
    const bad = handleRequest(f, buildReadRequest('000000000001', '00010000'), opts(T, { ...NO_FAULTS, badChecksum: 1 }))!;
    expect(() => decodeMessage(bad.bytes)).toThrow(/BAD_CHECKSUM/);
    const late = handleRequest(f, buildReadRequest('000000000001', '00010000'), { ...opts(T, { ...NO_FAULTS, late: 1 }), lateMs: 1234 })!;
    expect(late.delayMs).toBe(1234);
    const err = handleRequest(f, buildReadRequest('000000000001', '00010000'), opts(T, { ...NO_FAULTS, error: 1 }))!;
    expect(decodeMessage(err.bytes).errorWord).toBe(ERR.OTHER);
  });

  it('clock drift and broadcast time (corrects offsets up to 5 min)', () => {
    const f = createFleet({ count: 40, seed: 2, startMs: T, faults: { clockDrift: 1 } });
    const small = f.find((m) => Math.abs(m.driftMs) < 5 * 60_000 && Math.abs(m.driftMs) > 60_000)!;
    const big = f.find((m) => Math.abs(m.driftMs) > 6 * 60_000)!;
    expect(read(f, small.address, '04000102', T)).not.toBe('12:00:00');
    expect(handleRequest(f, buildBroadcastTime(T), opts(T))).toBeNull();
    expect(read(f, small.address, '04000102', T)).toBe('12:00:00');
    expect(read(f, small.address, '04000101', T)).toBe('2026-07-15 W3');
    expect(read(f, big.address, '04000102', T)).not.toBe('12:00:00');
  });

  it('power-down events 03 11 00 xx', () => {
    const f = createFleet({ count: 20, seed: 4, startMs: T, faults: { powerDown: 1 } });
    const m = f[0];
    const count = read(f, m.address, '03110000', T) as number;
    expect(count).toBeGreaterThan(10);
    const ev = read(f, m.address, '03110001', T) as { start: string; end: string };
    expect(ev.start).toMatch(/^2026-07-/);
    const ev2 = read(f, m.address, '03110002', T) as { start: string; end: string };
    expect(ev2.start < ev.start).toBe(true);
    // find an instant while this meter is down: it does not answer
    let t = T;
    while (!m.isDown(t) && t < T + 30 * 24 * H) t += 60_000;
    expect(m.isDown(t)).toBe(true);
    expect(read(f, m.address, '00010000', t)).toBeNull();
    const ok = createFleet({ count: 1, seed: 4, startMs: T });
    expect(read(ok, ok[0].address, '03110000', T)).toBe(0);
  });
});

describe('fuzz: the simulated bus never throws on what it receives', () => {
  it('random frames (any control, any data, any address incl. wildcards and broadcast)', async () => {
    const fc = (await import('fast-check')).default;
    const { encodeFrame } = await import('./index.js');
    const fleet = createFleet({ count: 5, seed: 8, startMs: T, faults: { clockDrift: 0.5, powerDown: 0.5, rollover: 0.5 } });
    const addr = fc.oneof(
      fc.constantFrom('000000000001', '000000000003', '999999999999', 'AAAAAAAAAAAA', '0000000000AA'),
      fc.stringMatching(/^[0-9]{12}$/),
    );
    fc.assert(
      fc.property(addr, fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 40 * 24 }), (a, c, data, h) => {
        const r = handleRequest(fleet, encodeFrame({ address: a, control: c, data }), { now: T + h * H, faults: NO_FAULTS, random: prng(h) });
        if (r) expect(decodeMessage(r.bytes).control.direction).toBe('reply');
      }),
      { numRuns: 3000 },
    );
    // random raw bytes too
    fc.assert(fc.property(fc.uint8Array({ maxLength: 60 }), (b) => void handleRequest(fleet, b, opts(T))), { numRuns: 2000 });
  });
});
