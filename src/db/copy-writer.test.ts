import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CopyWriter } from './copy-writer.js';
import { copyField } from './database.js';

const text = (w: CopyWriter) => Buffer.concat(w.take().text.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))).toString('utf8');

describe('CopyWriter: COPY text format as bytes', () => {
  it('writes the same bytes as copyField for any string, integer and null (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.integer(), fc.maxSafeInteger(), fc.constant(null), fc.constantFrom('a\tb', 'x\\y', 'l1\nl2\r', '高峰电费', '"q"', 'lone \ud800 \udc00 surrogates')), { maxLength: 12 }), (row) => {
        const w = new CopyWriter();
        row.forEach((v, i) => {
          if (v === null) w.nul();
          else if (typeof v === 'number') w.int(v);
          else if (i % 2) w.cached(v);
          else w.text(v);
        });
        w.endRow();
        const want = row.map((v) => (typeof v === 'string' ? Buffer.from(copyField(v)).toString('utf8') : copyField(v))).join('\t') + '\n';
        expect(text(w)).toBe(want);
      }),
      { numRuns: 500 },
    );
  });

  it('ascii() takes a fast path only for plain printable ASCII and escapes the rest', () => {
    const w = new CopyWriter();
    w.ascii('2026-10-01');
    w.ascii('12.50');
    w.ascii('bad\\value\twith 中文');
    w.endRow();
    expect(text(w)).toBe('2026-10-01\t12.50\tbad\\\\value\\twith 中文\n');
  });

  it('integers: zero, negatives, large, unsafe', () => {
    const w = new CopyWriter();
    for (const n of [0, 7, 10, -1, -450, 123456789012345, Number.MAX_SAFE_INTEGER, 2 ** 60]) {
      w.int(n);
      w.endRow();
    }
    expect(text(w).split('\n').slice(0, -1)).toEqual(['0', '7', '10', '-1', '-450', '123456789012345', String(Number.MAX_SAFE_INTEGER), String(2 ** 60)]);
  });

  it('cuts chunks of about 1 MB at row boundaries and counts rows', () => {
    const w = new CopyWriter();
    const row = 'x'.repeat(999);
    for (let i = 0; i < 3000; i++) {
      w.text(row);
      w.endRow();
    }
    const out = w.take();
    expect(out.rows).toBe(3000);
    expect(out.text.length).toBe(3);
    for (const c of out.text) expect((c as Buffer)[(c as Buffer).length - 1]).toBe(10);
    expect(out.text.reduce((n, c) => n + c.length, 0)).toBe(3000 * 1000);
    expect(w.take()).toEqual({ text: [], rows: 0 });
  });
});
