import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Dlt645DecodeError,
  FN,
  FrameStreamParser,
  analyzeBytes,
  buildReadReply,
  buildReadRequest,
  decodeFrame,
  decodeMessage,
  encodeFrame,
  listDis,
  lookupDi,
  type DiDefinition,
  type Dlt645Value,
  type FieldCodec,
} from './index.js';

const allDis = listDis();
const address = fc.stringMatching(/^[0-9]{12}$/);
const di = fc.constantFrom(...allDis, '0001FF00', '0101FF00', '0201FF00', '05060101');

function bcdBytes(n: number) {
  return fc.array(fc.integer({ min: 0, max: 99 }), { minLength: n, maxLength: n }).map((a) => Uint8Array.from(a, (x) => Math.floor(x / 10) * 16 + (x % 10)));
}

/** random value of one field, built from the field's format */
function fieldValue(c: FieldCodec): fc.Arbitrary<Dlt645Value> {
  switch (c.kind) {
    case 'number': {
      const f = c.format.split('.')[1] ?? '';
      const signed = !!c.signed;
      const max = (signed ? 8 * 10 ** (c.bytes * 2 - 1) : 10 ** (c.bytes * 2)) - 1;
      return fc.integer({ min: signed ? -max : 0, max }).map((n) => (n === 0 ? 0 : Number((n / 10 ** f.length).toFixed(f.length))));
    }
    case 'digits':
      return fc.stringMatching(new RegExp(`^[0-9]{${c.bytes * 2}}$`));
    case 'ascii':
      return fc.stringMatching(new RegExp(`^[A-Za-z0-9 .-]{0,${c.bytes}}$`));
    case 'datetime':
      return bcdBytes(c.bytes).map((b) => c.decode(b));
  }
}

function diValue(d: DiDefinition): fc.Arbitrary<Dlt645Value> {
  const item: fc.Arbitrary<Dlt645Value> =
    d.fields.length === 1 && !d.fields[0].key
      ? fieldValue(d.fields[0].codec)
      : d.fields.every((f) => f.key)
        ? fc.record(Object.fromEntries(d.fields.map((f) => [f.key!, fieldValue(f.codec)])))
        : fc.tuple(...d.fields.map((f) => fieldValue(f.codec)));
  if (!d.block) return item;
  const maxItems = Math.max(1, Math.min(5, Math.floor(180 / d.itemBytes)));
  return fc.array(item, { minLength: 1, maxLength: maxItems });
}

describe('encode -> decode identity (fast-check)', () => {
  it('read reply: random address, DI and value', () => {
    const arb = fc.tuple(address, di).chain(([a, d]) => {
      const def = lookupDi(d)!;
      return fc.tuple(fc.constant(a), fc.constant(d), diValue(def), fc.integer({ min: 0, max: 4 }));
    });
    fc.assert(
      fc.property(arb, ([a, d, v, pre]) => {
        const frame = buildReadReply(a, d, v, { preamble: pre });
        const m = decodeMessage(frame);
        expect(m.address).toBe(a);
        expect(m.di).toBe(d);
        expect(m.control.byte).toBe(0x91);
        expect(m.value).toEqual(v);
      }),
      { numRuns: 3000 },
    );
  });

  it('read request: random address and DI', () => {
    fc.assert(
      fc.property(address, di, (a, d) => {
        const m = decodeMessage(buildReadRequest(a, d));
        expect([m.address, m.di, m.control.func, m.control.direction]).toEqual([a, d, FN.READ, 'request']);
      }),
      { numRuns: 1000 },
    );
  });

  it('raw frame: random address (with AA wildcard bytes), control and data', () => {
    const addr = fc.array(fc.oneof(fc.stringMatching(/^[0-9]{2}$/), fc.constant('AA')), { minLength: 6, maxLength: 6 }).map((a) => a.join(''));
    fc.assert(
      fc.property(addr, fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 4 }), (a, c, data, pre) => {
        const bytes = encodeFrame({ address: a, control: c, data, preamble: pre });
        const f = decodeFrame(bytes);
        expect(f.address).toBe(a);
        expect(f.control).toBe(c);
        expect(Array.from(f.data)).toEqual(Array.from(data));
        expect(f.preamble).toBe(pre);
        expect(f.checksumOk).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fuzz: random bytes never throw anything but Dlt645DecodeError', () => {
  const onlyTyped = (bytes: Uint8Array) => {
    try {
      decodeMessage(bytes);
    } catch (e) {
      if (!(e instanceof Dlt645DecodeError)) throw e;
    }
    try {
      decodeMessage(bytes, { strictDi: false });
    } catch (e) {
      if (!(e instanceof Dlt645DecodeError)) throw e;
    }
    const a = analyzeBytes(bytes);
    expect(a.errorCode).not.toBe('INTERNAL');
    new FrameStreamParser().push(bytes);
  };

  it('random byte strings', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), onlyTyped), { numRuns: 5000 });
  });

  it('valid frames with random byte mutations (checksum fixed up, so deeper layers are reached)', () => {
    const base = fc.tuple(address, di).chain(([a, d]) => diValue(lookupDi(d)!).map((v) => buildReadReply(a, d, v)));
    fc.assert(
      fc.property(base, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.boolean(), (frame, muts, fix) => {
        const f = Uint8Array.from(frame);
        for (const [i, b] of muts) f[i % f.length] = b;
        if (fix && f.length >= 12 && f[9] === f.length - 12) {
          let s = 0;
          for (let i = 0; i < f.length - 2; i++) s = (s + f[i]) & 0xff;
          f[f.length - 2] = s;
        }
        onlyTyped(f);
      }),
      { numRuns: 5000 },
    );
  });
});
