/**
 * Exact money arithmetic in the browser for previews only (cart total, change, cash difference):
 * decimal strings <-> integer 分 as BigInt. Never floats. The server's figures are authoritative.
 */

/** "12.3" / "12.34" / "12" -> 1234n; null when not a non-negative amount with at most 2 decimals. */
export function parseFen(s: string | null | undefined): bigint | null {
  if (s === null || s === undefined) return null;
  const m = /^\s*(\d{1,12})(?:\.(\d{0,2}))?\s*$/.exec(String(s));
  if (!m) return null;
  return BigInt(m[1]) * 100n + BigInt((m[2] ?? '').padEnd(2, '0') || '0');
}

/** Signed decimal string from the API ("-5.00") -> fen; null when malformed. */
export function apiFen(s: string | null | undefined): bigint | null {
  if (s === null || s === undefined) return null;
  const neg = String(s).trim().startsWith('-');
  const v = parseFen(String(s).trim().replace(/^[-+]/, ''));
  return v === null ? null : neg ? -v : v;
}

/** 1234n -> "12.34"; -5n -> "-0.05". */
export function fenStr(f: bigint): string {
  const neg = f < 0n;
  const a = neg ? -f : f;
  const s = a.toString().padStart(3, '0');
  return `${neg ? '-' : ''}${s.slice(0, -2)}.${s.slice(-2)}`;
}

export function sumFen(values: Array<string | null | undefined>): bigint | null {
  let t = 0n;
  for (const v of values) {
    const f = parseFen(v);
    if (f === null) return null;
    t += f;
  }
  return t;
}
