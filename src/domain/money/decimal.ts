/**
 * Exact decimal helpers on scaled integers (domain-cn §0, architecture §3).
 *
 * A value `v` at scale `s` is the integer `v × 10^s`: 0.538 元/kWh at scale 6 is `538000`,
 * 113.60 元 at scale 2 is `11360`. Money crosses module boundaries as decimal strings
 * ("166.30"); inside the engine it is an integer number of 分 (scale 2). Quantities (kWh, kW,
 * kvarh) use scale 2, unit prices scale 6, ratios scale 6.
 *
 * All arithmetic stays in JS numbers while the intermediate product is a safe integer
 * (|x| ≤ 2^53 − 1) and falls back to BigInt otherwise, so results are exact either way.
 * There is ONE rounding rule: ROUND_HALF_UP (四舍五入), half away from zero for negatives
 * (same as decimal.js ROUND_HALF_UP), implemented once in {@link divRoundHalfUp}.
 */
import { ValidationError } from '../errors.js';

/** Scale of money amounts (分). */
export const MONEY_SCALE = 2;
/** Scale of quantities (kWh, kW, kVA, kvarh). */
export const QTY_SCALE = 2;
/** Scale of unit prices and ratios (元/kWh, 6 dp per domain-cn §0.2). */
export const PRICE_SCALE = 6;

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const DEC_RE = /^([+-])?(\d+)(?:\.(\d*))?$/;

/** 10^n as a number (n ≤ 15). Example: `pow10(6) === 1000000`. */
export function pow10(n: number): number {
  return POW10[n];
}

/**
 * The one rounding function: `n / d` rounded half away from zero (四舍五入), exact for integers.
 * Example: `divRoundHalfUp(11_719_200, 100_000) === 117` (117.192 → 117),
 * `divRoundHalfUp(-5, 10) === -1` (−0.5 → −1).
 */
export function divRoundHalfUp(n: number, d: number): number {
  const r = n % d;
  let q = (n - r) / d;
  const twice = 2 * (r < 0 ? -r : r);
  if (twice >= d) q += n < 0 ? -1 : 1;
  return q;
}

/** BigInt twin of {@link divRoundHalfUp}. Example: `divRoundHalfUpBig(15n, 10n) === 2n`. */
export function divRoundHalfUpBig(n: bigint, d: bigint): bigint {
  const r = n % d;
  let q = n / d;
  const ar = r < 0n ? -r : r;
  if (2n * ar >= d) q += n < 0n ? -1n : 1n;
  return q;
}

/**
 * Parse a decimal string (or a finite number, via its shortest decimal form) into an integer
 * at `scale`. More fractional digits than `scale` are rounded half-up.
 * Example: `parseScaled("0.538000", 6) === 538000`, `parseScaled("113.60", 2) === 11360`.
 * Throws `ValidationError(field, …)` for malformed input.
 */
export function parseScaled(value: string | number, scale: number, field = 'value'): number {
  let s: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValidationError(field, `not a finite number: ${value}`);
    s = numberToPlain(value);
  } else if (typeof value === 'string') {
    s = value.trim();
  } else {
    throw new ValidationError(field, 'expected a decimal string or number');
  }
  const m = DEC_RE.exec(s);
  if (!m) throw new ValidationError(field, `not a decimal number: "${s}"`);
  const neg = m[1] === '-';
  const intPart = m[2];
  const frac = m[3] ?? '';
  const digits = intPart + frac.slice(0, scale).padEnd(scale, '0');
  let v = BigInt(digits);
  if (frac.length > scale) {
    const next = frac.charCodeAt(scale) - 48;
    if (next >= 5) v += 1n;
  }
  if (neg) v = -v;
  if (v > BigInt(MAX_SAFE) || v < -BigInt(MAX_SAFE)) throw new ValidationError(field, `number too large: "${s}"`);
  return Number(v);
}

/** Plain (non-exponent) decimal form of a finite JS number. Example: `numberToPlain(1e-7) === "0.0000001"`. */
export function numberToPlain(x: number): string {
  const s = String(x);
  if (!/e/i.test(s)) return s;
  const [mant, expS] = s.toLowerCase().split('e');
  const exp = Number(expS);
  const neg = mant.startsWith('-');
  const [ip, fp = ''] = mant.replace('-', '').split('.');
  const digits = ip + fp;
  const point = ip.length + exp;
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return (neg ? '-' : '') + out;
}

/**
 * Format an integer at `scale` as a decimal string with exactly `scale` fraction digits.
 * Example: `formatScaled(16630, 2) === "166.30"`, `formatScaled(-5, 2) === "-0.05"`.
 */
export function formatScaled(v: number | bigint, scale: number): string {
  const neg = v < 0;
  let s = (neg ? -v : v).toString();
  if (scale === 0) return (neg ? '-' : '') + s;
  if (s.length <= scale) s = '0'.repeat(scale - s.length + 1) + s;
  return (neg ? '-' : '') + s.slice(0, s.length - scale) + '.' + s.slice(s.length - scale);
}

/**
 * Rescale an integer from scale `from` to scale `to` (rounding half-up when reducing).
 * Example: `rescale(1247400, 6, 2) === 125` (1.2474 → 1.25).
 */
export function rescale(v: number, from: number, to: number): number {
  if (to === from) return v;
  if (to > from) {
    const f = POW10[to - from];
    const p = v * f;
    if (p > MAX_SAFE || p < -MAX_SAFE) throw new RangeError('rescale overflow');
    return p;
  }
  return divRoundHalfUp(v, POW10[from - to]);
}

/**
 * Multiply `a` (scale `sa`) by `b` (scale `sb`) and round half-up to `outScale`.
 * Exact: uses BigInt when the product leaves the safe-integer range.
 * Example: line amount 200 kWh × 0.568 元 → `mulRound(20000, 2, 568000, 6, 2) === 11360` (113.60 元).
 */
export function mulRound(a: number, sa: number, b: number, sb: number, outScale: number): number {
  const drop = sa + sb - outScale;
  const p = a * b;
  if (p <= MAX_SAFE && p >= -MAX_SAFE) {
    if (drop <= 0) return p * POW10[-drop];
    return divRoundHalfUp(p, POW10[drop]);
  }
  const pb = BigInt(a) * BigInt(b);
  if (drop <= 0) return Number(pb * 10n ** BigInt(-drop));
  return Number(divRoundHalfUpBig(pb, 10n ** BigInt(drop)));
}

/**
 * Line amount in 分: quantity (scale 2) × unit price (scale 6), rounded half-up to 0.01 元
 * (domain-cn §0.3). Example: `amountFen(24000, 488300) === 11719` (240 kWh × 0.4883 = 117.19).
 */
export function amountFen(qtyCenti: number, priceMicro: number): number {
  const p = qtyCenti * priceMicro;
  if (p <= MAX_SAFE && p >= -MAX_SAFE) return divRoundHalfUp(p, 1000000);
  return Number(divRoundHalfUpBig(BigInt(qtyCenti) * BigInt(priceMicro), 1000000n));
}

/**
 * `a × num / den` rounded half-up, exact (BigInt when needed). All integers.
 * Example: proration 2,300,000 分 × 20 / 30 → `mulDivRound(2300000, 20, 30) === 1533333`.
 */
export function mulDivRound(a: number, num: number, den: number): number {
  const p = a * num;
  if (p <= MAX_SAFE && p >= -MAX_SAFE) return divRoundHalfUp(p, den);
  return Number(divRoundHalfUpBig(BigInt(a) * BigInt(num), BigInt(den)));
}

/** Parse a money string to 分. Example: `parseMoney("113.60") === 11360`. */
export function parseMoney(s: string | number, field = 'amount'): number {
  return parseScaled(s, MONEY_SCALE, field);
}

/** Format 分 as a money string. Example: `formatMoney(28215) === "282.15"`. */
export function formatMoney(fen: number | bigint): string {
  return formatScaled(fen, MONEY_SCALE);
}

/** Parse a unit price (up to 6 dp). Example: `parsePrice("0.4883") === 488300`. */
export function parsePrice(s: string | number, field = 'price'): number {
  return parseScaled(s, PRICE_SCALE, field);
}

/** Format a scale-6 price. Example: `formatPrice(1247400) === "1.247400"`. */
export function formatPrice(micro: number): string {
  return formatScaled(micro, PRICE_SCALE);
}

/** Parse a quantity (kWh etc., 2 dp). Example: `parseQty("350") === 35000`. */
export function parseQty(s: string | number, field = 'quantity'): number {
  return parseScaled(s, QTY_SCALE, field);
}

/** Format a scale-2 quantity, trimming a ".00" tail. Example: `formatQty(35000) === "350"`, `formatQty(12345) === "123.45"`. */
export function formatQty(centi: number): string {
  if (centi % 100 === 0) return String(centi / 100);
  return formatScaled(centi, QTY_SCALE);
}
