import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy } from './password.js';
import { maskIdNumber, maskName, maskPhone, maskPii } from './mask.js';
import { BUILTIN_ROLES, PERMISSION_CODES, permissionsOf } from './permissions.js';

describe('password policy', () => {
  it('accepts a strong password', () => expect(checkPasswordPolicy('Voltline@2026', 'admin')).toBeNull());
  it.each([
    ['short', 'Ab1!'],
    ['two classes', 'abcdefgh1'],
    ['contains username', 'Admin@2026x'],
  ])('rejects %s', (_n, pw) => expect(checkPasswordPolicy(pw, 'admin')).not.toBeNull());
});

describe('masking', () => {
  it('masks phones, ids and names', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskIdNumber('330102199001011234')).toBe('330102********1234');
    expect(maskIdNumber('91330100MA2AXXXX1X')).toBe('913301********XX1X');
    expect(maskName('张三丰')).toBe('张*丰');
    expect(maskName('李四')).toBe('李*');
  });
  it('masks nested PII fields', () => {
    expect(maskPii({ a: { phone: '13812345678', idNumber: '330102199001011234' }, n: 1 })).toEqual({
      a: { phone: '138****5678', idNumber: '330102********1234' },
      n: 1,
    });
  });
});

describe('roles', () => {
  it('only reference known permissions', () => {
    for (const r of BUILTIN_ROLES) for (const p of r.permissions) expect(PERMISSION_CODES.has(p), `${r.code}:${p}`).toBe(true);
  });
  it('union permissions of several roles', () => {
    const p = permissionsOf(['collector', 'meter_reader'], BUILTIN_ROLES);
    expect(p).toContain('payment.collect');
    expect(p).toContain('reading.write');
    expect(p).not.toContain('user.write');
  });
});
