/**
 * Amount in Chinese capitals (中文大写金额) as printed on bills and receipts, following the
 * People's Bank of China rules for filling in bills (正确填写票据和结算凭证的基本规定):
 * - digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟 inside a group of four, groups 万 / 亿 / 万亿;
 * - a leading ten is written 壹拾 (10 → 壹拾元整), never a bare 拾;
 * - one 零 for a run of zeros between non-zero digits (100,010 → 壹拾万零壹拾);
 * - 元 is followed by 整 when there are no 角/分, and 角 is followed by 整 when there is no 分
 *   (166.30 → 壹佰陆拾陆元叁角整);
 * - when 角 is zero and 分 is not, 零 is written before 分 (16,409.02 → 壹万陆仟肆佰零玖元零贰分);
 * - an amount below one 元 starts at 角/分 (0.05 → 伍分); zero is 零元整;
 * - a negative amount (a credit) starts with 负.
 *
 * @example chineseAmount('166.30') // '壹佰陆拾陆元叁角整'
 * @example chineseAmount('100010.50') // '壹拾万零壹拾元伍角整'
 */
import { ValidationError } from '../errors.js';

const DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const IN_GROUP = ['', '拾', '佰', '仟'];
const GROUPS = ['', '万', '亿', '万亿'];
/** Largest amount accepted: 9999 万亿 元 − 1 分 (16 integer digits). */
const MAX_FEN = 10n ** 18n - 1n;

/** A group of four digits (1..9999) without its group unit; zeros inside collapse into one 零. */
function group4(n: number): string {
  let out = '';
  let zero = false;
  for (let pos = 3; pos >= 0; pos--) {
    const d = Math.floor(n / 10 ** pos) % 10;
    if (d === 0) {
      if (out) zero = true;
      continue;
    }
    if (zero) out += '零';
    zero = false;
    out += DIGITS[d] + IN_GROUP[pos];
  }
  return out;
}

/** Integer 元 (≥ 1) in capitals without the 元. Example: `integerCapitals(100010n) === '壹拾万零壹拾'`. */
function integerCapitals(n: bigint): string {
  const groups: number[] = [];
  for (let v = n; v > 0n; v /= 10000n) groups.push(Number(v % 10000n));
  let out = '';
  let pendingZero = false;
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i];
    if (g === 0) {
      if (out) pendingZero = true;
      continue;
    }
    if (out && (pendingZero || g < 1000)) out += '零';
    pendingZero = false;
    out += group4(g) + GROUPS[i];
  }
  return out;
}

/**
 * Parse an amount in 元 ("166.30", "166.3", "-5", 166.3) into 分 as a BigInt. More than two
 * decimals are refused (an amount on a bill is already rounded). Throws ValidationError(field).
 */
export function amountToFen(amount: string | number | bigint, field = 'amount'): bigint {
  if (typeof amount === 'bigint') return amount * 100n;
  let s: string;
  if (typeof amount === 'number') {
    if (!Number.isFinite(amount)) throw new ValidationError(field, `not a finite number: ${amount}`);
    s = amount.toFixed(2);
    if (Math.abs(Number(s) - amount) > 1e-9) throw new ValidationError(field, `more than two decimals: ${amount}`);
  } else if (typeof amount === 'string') {
    s = amount.trim().replace(/,/g, '');
  } else {
    throw new ValidationError(field, 'expected a decimal string');
  }
  const m = /^([+-])?(\d+)(?:\.(\d{0,2}))?$/.exec(s);
  if (!m) throw new ValidationError(field, `not an amount in 元 with at most two decimals: "${String(amount)}"`);
  const fen = BigInt(m[2]) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  if (fen > MAX_FEN) throw new ValidationError(field, 'amount too large for Chinese capitals (max 9999万亿元)');
  return m[1] === '-' ? -fen : fen;
}

/**
 * 大写金额 of an amount in 元 (decimal string, number or whole-元 BigInt).
 * Examples: `'0.00'` → 零元整, `'0.05'` → 伍分, `'10.00'` → 壹拾元整, `'100010.50'` →
 * 壹拾万零壹拾元伍角整, `'166.30'` → 壹佰陆拾陆元叁角整, `'1000000000.01'` → 壹拾亿元零壹分.
 */
export function chineseAmount(amount: string | number | bigint, field = 'amount'): string {
  return chineseAmountFen(amountToFen(amount, field));
}

/** 大写金额 of an amount in 分 (BigInt). Example: `chineseAmountFen(16630n) === '壹佰陆拾陆元叁角整'`. */
export function chineseAmountFen(fen: bigint): string {
  if (fen < 0n) return '负' + chineseAmountFen(-fen);
  if (fen > MAX_FEN) throw new ValidationError('amount', 'amount too large for Chinese capitals (max 9999万亿元)');
  const yuan = fen / 100n;
  const jiao = Number((fen / 10n) % 10n);
  const fenDigit = Number(fen % 10n);
  if (yuan === 0n && jiao === 0 && fenDigit === 0) return '零元整';
  let out = yuan > 0n ? integerCapitals(yuan) + '元' : '';
  if (jiao === 0 && fenDigit === 0) return out + '整';
  if (jiao > 0) out += DIGITS[jiao] + '角';
  else if (yuan > 0n) out += '零';
  if (fenDigit > 0) out += DIGITS[fenDigit] + '分';
  else out += '整';
  return out;
}
