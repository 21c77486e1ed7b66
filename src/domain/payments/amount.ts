/**
 * Payment amounts: CNY only, at most 2 decimals (分), positive, below an absurd cap.
 * Money inside the payments module is an integer number of 分 (fen); it crosses module
 * boundaries as a decimal string ("300.00"). See src/domain/money.
 */
import { ValidationError } from '../errors.js';
import { formatScaled, numberToPlain } from '../money/decimal.js';

/** Largest single payment accepted: 10,000,000.00 元 (anything above is a typo or an attack). */
export const MAX_PAYMENT_FEN = 1_000_000_000;

const AMOUNT_RE = /^(\d{1,13})(?:\.(\d{1,2}))?$/;

/**
 * Parse a payment amount into fen. Throws ValidationError naming `field` with details.reason:
 * AMOUNT_FORMAT, AMOUNT_DECIMALS (3+ decimals), AMOUNT_NOT_POSITIVE, AMOUNT_TOO_LARGE.
 * Example: `parsePaymentAmount("300.5") === 30050`; `parsePaymentAmount("1.005")` throws.
 */
export function parsePaymentAmount(value: unknown, field = 'amount', maxFen = MAX_PAYMENT_FEN): number {
  let s: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValidationError(field, 'not a finite number', { reason: 'AMOUNT_FORMAT' });
    s = numberToPlain(value);
  } else if (typeof value === 'string') {
    s = value.trim();
  } else {
    throw new ValidationError(field, 'required: a decimal amount in 元, e.g. "300.00"', { reason: 'AMOUNT_FORMAT' });
  }
  if (/^-/.test(s)) throw new ValidationError(field, `must be positive, got "${s}"`, { reason: 'AMOUNT_NOT_POSITIVE' });
  if (/^\d+\.\d{3,}$/.test(s)) throw new ValidationError(field, `at most 2 decimals (分), got "${s}"`, { reason: 'AMOUNT_DECIMALS' });
  const m = AMOUNT_RE.exec(s);
  if (!m) throw new ValidationError(field, `not a decimal amount in 元: "${s.slice(0, 40)}"`, { reason: 'AMOUNT_FORMAT' });
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (fen <= 0) throw new ValidationError(field, 'must be positive', { reason: 'AMOUNT_NOT_POSITIVE' });
  if (fen > maxFen) throw new ValidationError(field, `must not exceed ${formatScaled(maxFen, 2)} 元`, { reason: 'AMOUNT_TOO_LARGE' });
  return fen;
}

/** Only CNY is accepted; absent means CNY. Throws ValidationError(field) with reason CURRENCY_UNSUPPORTED. */
export function checkCurrency(value: unknown, field = 'currency'): 'CNY' {
  if (value === undefined || value === null || value === 'CNY') return 'CNY';
  throw new ValidationError(field, `only CNY is accepted, got "${String(value).slice(0, 10)}"`, { reason: 'CURRENCY_UNSUPPORTED' });
}

/** Fen -> "123.45". */
export const fen2 = (fen: number | bigint): string => formatScaled(fen, 2);

/** "123.45" (numeric from the database, always ≤ 2 decimals) -> fen. Example: `toFen("-0.05") === -5`. */
export function toFen(s: string | number): number {
  const str = typeof s === 'number' ? numberToPlain(s) : s.trim();
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(str);
  if (!m) throw new RangeError(`not a money amount: ${str}`);
  const v = Number(m[2]) * 100 + Number((m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -v : v;
}
