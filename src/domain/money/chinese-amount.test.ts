import { describe, expect, it } from 'vitest';
import { amountToFen, chineseAmount, chineseAmountFen } from './chinese-amount.js';
import { ValidationError } from '../errors.js';

describe('money/chinese-amount (大写金额)', () => {
  it('converts the cases from the issue', () => {
    expect(chineseAmount('0.00')).toBe('零元整');
    expect(chineseAmount('0.05')).toBe('伍分');
    expect(chineseAmount('10.00')).toBe('壹拾元整');
    expect(chineseAmount('100,010.50')).toBe('壹拾万零壹拾元伍角整');
    expect(chineseAmount('166.30')).toBe('壹佰陆拾陆元叁角整');
    expect(chineseAmount('1,000,000,000.01')).toBe('壹拾亿元零壹分');
  });

  it('follows the PBOC examples for zeros', () => {
    expect(chineseAmount('1409.50')).toBe('壹仟肆佰零玖元伍角整');
    expect(chineseAmount('6007.14')).toBe('陆仟零柒元壹角肆分');
    expect(chineseAmount('16409.02')).toBe('壹万陆仟肆佰零玖元零贰分');
    expect(chineseAmount('325.04')).toBe('叁佰贰拾伍元零肆分');
    expect(chineseAmount('107000.53')).toBe('壹拾万柒仟元伍角叁分');
    expect(chineseAmount('100000001')).toBe('壹亿零壹元整');
    expect(chineseAmount('10001000')).toBe('壹仟万壹仟元整');
    expect(chineseAmount('10000100')).toBe('壹仟万零壹佰元整');
    expect(chineseAmount('0.5')).toBe('伍角整');
    expect(chineseAmount('0.56')).toBe('伍角陆分');
    expect(chineseAmount('1')).toBe('壹元整');
    expect(chineseAmount('110000')).toBe('壹拾壹万元整');
    expect(chineseAmount('-12.30')).toBe('负壹拾贰元叁角整');
    expect(chineseAmount(166.3)).toBe('壹佰陆拾陆元叁角整');
    expect(chineseAmount(25n)).toBe('贰拾伍元整');
    expect(chineseAmountFen(16630n)).toBe('壹佰陆拾陆元叁角整');
    expect(chineseAmount('1234567890123456.78')).toBe('壹仟贰佰叁拾肆万亿伍仟陆佰柒拾捌亿玖仟零壹拾贰万叁仟肆佰伍拾陆元柒角捌分');
  });

  it('never uses a bare 拾 or a doubled 零, and every digit reappears', () => {
    const back: Record<string, number> = { 零: 0, 壹: 1, 贰: 2, 叁: 3, 肆: 4, 伍: 5, 陆: 6, 柒: 7, 捌: 8, 玖: 9 };
    let x = 123456789n;
    for (let i = 0; i < 2000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) % (1n << 63n);
      const fen = x % 10n ** BigInt(2 + (i % 15));
      const s = chineseAmountFen(fen);
      expect(s).not.toMatch(/零零/);
      expect(s).not.toMatch(/(^|[^壹贰叁肆伍陆柒捌玖])拾/);
      if (fen !== 0n) expect(s).not.toMatch(/零(元|万|亿|整)/);
      // parse the capitals back to 分 and compare
      let total = 0n, big = 0n, section = 0n, group = 0n, digit = 0n;
      for (const ch of s.replace(/整$/, '')) {
        if (ch in back) digit = BigInt(back[ch]);
        else if (ch === '拾') { group += digit * 10n; digit = 0n; }
        else if (ch === '佰') { group += digit * 100n; digit = 0n; }
        else if (ch === '仟') { group += digit * 1000n; digit = 0n; }
        else if (ch === '万') { section += (group + digit) * 10000n; group = 0n; digit = 0n; }
        else if (ch === '亿') { big += (section + group + digit) * 100000000n; section = 0n; group = 0n; digit = 0n; }
        else if (ch === '元') { total = (big + section + group + digit) * 100n; section = 0n; group = 0n; digit = 0n; }
        else if (ch === '角') { total += digit * 10n; digit = 0n; }
        else if (ch === '分') { total += digit; digit = 0n; }
      }
      expect(total, `${fen} → ${s}`).toBe(fen);
    }
  });

  it('refuses malformed input naming the field', () => {
    expect(() => chineseAmount('1.234', 'amountTotal')).toThrow(ValidationError);
    expect(() => chineseAmount('abc', 'amountTotal')).toThrow(/amountTotal/);
    expect(() => chineseAmount('1e5')).toThrow(ValidationError);
    expect(() => chineseAmount(Number.NaN)).toThrow(ValidationError);
    expect(() => chineseAmount('10000000000000000.00')).toThrow(/too large/);
    expect(amountToFen('1,234.5')).toBe(123450n);
  });
});
