import { describe, expect, it } from 'vitest';
import { auditHash, canonicalJson, GENESIS_HASH, verifyChain, type ChainRow } from './chain.js';

function build(n: number): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const c = {
      id: i, occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), actorId: 1, actorName: 'admin',
      action: 'account.update', entityType: 'account', entityId: String(i), orgUnitId: 3,
      before: { name: 'a', n: i }, after: { name: 'b', n: i }, requestId: 'r' + i,
    };
    const hash = auditHash(prev, c);
    rows.push({ ...c, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

describe('audit hash chain', () => {
  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });
  it('verifies an intact chain', () => {
    expect(verifyChain(build(5))).toMatchObject({ ok: true, checked: 5 });
  });
  it('detects an edited row', () => {
    const rows = build(5);
    rows[2] = { ...rows[2], after: { name: 'evil', n: 3 } };
    expect(verifyChain(rows)).toMatchObject({ ok: false, firstBrokenId: 3 });
  });
  it('detects a deleted row', () => {
    const rows = build(5);
    rows.splice(1, 1);
    expect(verifyChain(rows)).toMatchObject({ ok: false, firstBrokenId: 3 });
  });
  it('detects reordering', () => {
    const rows = build(5);
    [rows[1], rows[2]] = [rows[2], rows[1]];
    expect(verifyChain(rows)).toMatchObject({ ok: false, firstBrokenId: 3 });
  });
});
