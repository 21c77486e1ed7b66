import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { assertNoOverlap, assertNoOverlaps, checkTariffPolicy, parseTariffVersion, validateTariffVersion } from './validate.js';

const dir = path.resolve(__dirname, '../../../tariffs');
const load = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).details?.field;
  }
  throw new Error('expected a ValidationError');
}

describe('parseTariffVersion', () => {
  it('accepts every demo tariff in tariffs/', () => {
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      const v = parseTariffVersion(load(f));
      expect(v.code).toBeTruthy();
    }
  });

  it('rejects bands that leave hours uncovered', () => {
    const j = load('zj-resident-annual-ladder-tou.json');
    j.tou.seasons[0].bands[1].to = '07:00';
    expect(fieldOf(() => parseTariffVersion(j))).toBe('tou.seasons.0.bands');
    expect(() => parseTariffVersion(j)).toThrow(/07:00–08:00 are not covered/);
  });

  it('rejects overlapping bands', () => {
    const j = load('zj-large-industrial-tou-a.json');
    j.tou.seasons[1].bands[0].to = '18:00'; // SHARP 15–18 overlaps PEAK 17–22
    expect(fieldOf(() => parseTariffVersion(j))).toMatch(/^tou\.seasons\.1\.bands\.\d+$/);
  });

  it('rejects a month missing from every season', () => {
    const j = load('zj-large-industrial-tou-a.json');
    j.tou.seasons[1].months = [2, 3, 4, 5, 6, 9, 10];
    expect(fieldOf(() => parseTariffVersion(j))).toBe('tou.seasons');
  });

  it('rejects tiers out of order', () => {
    const j = load('bj-resident-monthly-ladder.json');
    j.ladder.thresholds = [400, 240];
    expect(fieldOf(() => parseTariffVersion(j))).toBe('ladder.thresholds.1');
    const k = load('bj-resident-monthly-ladder.json');
    k.ladder.increments = ['0.30', '0.05'];
    expect(fieldOf(() => parseTariffVersion(k))).toBe('ladder.increments.1');
  });

  it('rejects a negative price, naming the field', () => {
    const j = load('zj-large-industrial-tou-b.json');
    j.energyComponents[2].price = '-0.150000';
    expect(fieldOf(() => parseTariffVersion(j))).toBe('energyComponents.2.price');
    const k = load('zj-large-industrial-tou-b.json');
    k.tou.ratios.VALLEY = '-0.38';
    expect(fieldOf(() => parseTariffVersion(k))).toBe('tou.ratios.VALLEY');
  });

  it('rejects a PF standard outside {0.80, 0.85, 0.90}', () => {
    const j = load('zj-large-industrial-tou-a.json');
    j.powerFactor.standard = '0.95';
    expect(fieldOf(() => parseTariffVersion(j))).toBe('powerFactor.standard');
    j.powerFactor.standard = 0.85;
    expect(parseTariffVersion(j).powerFactor?.standard).toBe('0.85');
  });

  it('rejects a period used in bands without a price', () => {
    const j = load('zj-large-industrial-tou-a.json');
    delete j.tou.ratios.DEEP;
    expect(fieldOf(() => parseTariffVersion(j))).toBe('tou.ratios.DEEP');
  });

  it('reports structural errors with their path', () => {
    const j = load('agriculture-flat.json');
    delete j.name.en;
    expect(fieldOf(() => parseTariffVersion(j))).toBe('name.en');
    expect(fieldOf(() => parseTariffVersion('{not json'))).toBe('(root)');
  });
});

describe('policy checks are warnings', () => {
  it('一般工商业 draft ratios (1.65/1.50) are accepted with a warning', () => {
    const { version, warnings } = validateTariffVersion(load('zj-general-commercial-tou.json'));
    expect(version.code).toBe('ZJ-GC-LT1KV-TOU');
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(/critical\/peak = 1.100 < 1.2/);
  });

  it('peak/valley below 3 (or a province value of 4) warns', () => {
    const j = load('zj-large-industrial-tou-a.json');
    j.tou.ratios.VALLEY = '0.60';
    expect(checkTariffPolicy(parseTariffVersion(j)).map((w) => w.code)).toEqual(['PEAK_VALLEY_RATIO']);
    const k = load('zj-large-industrial-tou-a.json');
    k.ruleSet = { peakValleyMinRatio: '4.5' };
    expect(checkTariffPolicy(parseTariffVersion(k)).map((w) => w.code)).toEqual(['PEAK_VALLEY_RATIO']);
  });
});

describe('version overlap', () => {
  const a = parseTariffVersion({ ...load('agriculture-flat.json'), effectiveFrom: '2024-01-01', effectiveTo: '2024-07-01' });
  it('adjacent half-open versions do not overlap', () => {
    const b = parseTariffVersion({ ...load('agriculture-flat.json'), effectiveFrom: '2024-07-01' });
    expect(() => assertNoOverlaps([a, b])).not.toThrow();
  });
  it('overlapping versions of the same scope are an error', () => {
    const b = parseTariffVersion({ ...load('agriculture-flat.json'), effectiveFrom: '2024-06-30' });
    expect(fieldOf(() => assertNoOverlap(a, b))).toBe('effectiveFrom');
    const other = parseTariffVersion({ ...load('agriculture-flat.json'), code: 'OTHER', effectiveFrom: '2024-06-30' });
    expect(() => assertNoOverlap(a, other)).not.toThrow();
    expect(() => assertNoOverlap(a, other, 'CLASS')).toThrow(ValidationError);
  });
});
