import { describe, expect, it } from 'vitest';
import { type AttributeVersion, applyVersionPatch, checkAccountNo, checkCommAddress, checkDate, checkVersionedPatch, multiplier, versionAt, type VersionedAttributes } from './archive.js';

const base: VersionedAttributes = {
  customerClass: 'residential', voltageLevel: 'LV220', tariffCode: 'ZJ-RES', contractCapacityKva: '8', contractDemandKw: null,
  basicChargeMethod: 'none', pfStandard: null, householdSize: 3, sharedMeter: false, paymentMode: 'postpaid',
  readingRouteId: 1, transformerAreaId: 1, orgUnitId: 3, status: 'active',
};

describe('archive rules', () => {
  it('multiplier = CT ratio x PT ratio (domain-cn §5.3 example)', () => {
    expect(multiplier('200', '5', '10000', '100')).toBe('4000');
    expect(multiplier('1', '1', '1', '1')).toBe('1');
    expect(multiplier('75', '5', '1', '1')).toBe('15');
  });
  it('rejects non-positive CT/PT ratios naming the field', () => {
    expect(() => multiplier('0', '5', '1', '1')).toThrow(/ctPrimary/);
    expect(() => multiplier('100', '-5', '1', '1')).toThrow(/ctSecondary/);
    expect(() => multiplier('100', '5', 'abc', '1')).toThrow(/ptPrimary/);
  });
  it('validates 户号 and comm addresses', () => {
    expect(checkAccountNo('3300012345')).toBe('3300012345');
    expect(() => checkAccountNo('12345')).toThrow(/accountNo/);
    expect(() => checkAccountNo("1' or 1=1--")).toThrow(/accountNo/);
    expect(checkCommAddress('000000000001')).toBe('000000000001');
    expect(() => checkCommAddress('00000000001A')).toThrow(/commAddress/);
  });
  it('validates dates strictly', () => {
    expect(checkDate('d', '2024-02-29')).toBe('2024-02-29');
    expect(() => checkDate('d', '2023-02-29')).toThrow(/d:/);
  });
  it('validates versioned attributes', () => {
    expect(checkVersionedPatch({ pfStandard: '0.9' })).toEqual({ pfStandard: '0.90' });
    expect(() => checkVersionedPatch({ pfStandard: '0.95' })).toThrow(/pfStandard/);
    expect(() => checkVersionedPatch({ householdSize: 0 })).toThrow(/householdSize/);
    expect(() => checkVersionedPatch({ contractCapacityKva: '-1' })).toThrow(/contractCapacityKva/);
  });
  it('splits versions at the effective date and keeps later scheduled versions', () => {
    let v: AttributeVersion[] = [{ effectiveFrom: '2024-01-01', effectiveTo: null, attributes: base }];
    v = applyVersionPatch(v, '2024-06-01', { householdSize: 5 });
    expect(v).toHaveLength(2);
    expect(v[0].effectiveTo).toBe('2024-06-01');
    expect(versionAt(v, '2024-05-31')!.attributes.householdSize).toBe(3);
    expect(versionAt(v, '2024-06-01')!.attributes.householdSize).toBe(5);
    // a back-dated change inside the first version ends where the scheduled one begins
    v = applyVersionPatch(v, '2024-03-01', { tariffCode: 'ZJ-RES-2' });
    expect(v.map((x) => [x.effectiveFrom, x.effectiveTo])).toEqual([['2024-01-01', '2024-03-01'], ['2024-03-01', '2024-06-01'], ['2024-06-01', null]]);
    expect(versionAt(v, '2024-07-01')!.attributes.tariffCode).toBe('ZJ-RES');
    // same-day change replaces that version's attributes
    v = applyVersionPatch(v, '2024-06-01', { householdSize: 6 });
    expect(v).toHaveLength(3);
    expect(versionAt(v, '2024-06-01')!.attributes.householdSize).toBe(6);
    expect(() => applyVersionPatch(v, '2023-12-31', { householdSize: 2 })).toThrow(/effectiveFrom/);
  });
});
