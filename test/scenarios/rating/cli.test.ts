// CLI: spawn `node bin/voltline.mjs …` like a user would.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

function voltline(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin/voltline.mjs'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('voltline rate-urdb', () => {
  it('--json prints months[] with energy/demand/fixed/total and the annual total', () => {
    const r = voltline('rate-urdb', '--rate', 'test/fixtures/urdb/sam_commercial_demand_tou.json', '--load', 'test/fixtures/loads/load_commercial.csv', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.months).toHaveLength(12);
    for (const k of ['energy', 'demand', 'fixed', 'total']) expect(typeof j.months[0][k]).toBe('string');
    expect(j.annual).toBe('104614.49');
  });

  it('prints a table without --json; --year changes the weekday calendar', () => {
    const r = voltline('rate-urdb', '--rate', 'test/fixtures/urdb/sam_residential_tou4.json', '--load', 'test/fixtures/loads/pvsamv1_residential_load.csv', '--year', '2025');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/annual \d+\.\d\d/);
    expect(r.out).not.toMatch(/annual 771\.78 /); // 2025 starts on a Wednesday, not SAM's Monday
  });

  it('an unknown URDB unit fails with UNSUPPORTED', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-'));
    const rate = JSON.parse(fs.readFileSync(path.join(repoRoot, 'test/fixtures/urdb/sam_residential_tou4.json'), 'utf8'));
    rate.energyratestructure[0][0].unit = 'kWh/kVA';
    fs.writeFileSync(path.join(dir, 'r.json'), JSON.stringify(rate));
    const r = voltline('rate-urdb', '--rate', path.join(dir, 'r.json'), '--load', 'test/fixtures/loads/pvsamv1_residential_load.csv');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/UNSUPPORTED: energyratestructure\.0\.0\.unit/);
  });
});

describe('voltline quote', () => {
  it('rates a quote file naming a tariff code (R-2 → 166.30)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-'));
    const f = path.join(dir, 'q.json');
    fs.writeFileSync(
      f,
      JSON.stringify({
        tariff: 'ZJ-RES-1H1B-LT1KV',
        usage: { periodStart: '2024-07-01', periodEnd: '2024-07-31', tou: { PEAK: 200, VALLEY: 150 }, ladderPrevCum: 2600 },
      }),
    );
    const r = voltline('quote', '--json', f);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.total).toBe('166.30');
    expect(j.lines[2]).toMatchObject({ code: 'LADDER_T2_SURCHARGE', amount: '9.50', rule: 'domain-cn §1.4 ladder tier 2 surcharge' });
  });

  it('accepts a path to tariffs/*.json and reports bad usage with the field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vl-'));
    const f = path.join(dir, 'q.json');
    fs.writeFileSync(f, JSON.stringify({ tariff: 'tariffs/bj-resident-monthly-ladder.json', usage: { periodStart: '2024-07-01', periodEnd: '2024-07-31', kwh: -3 } }));
    const r = voltline('quote', '--json', f);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/VALIDATION_FAILED: usage\.kwh/);
  });
});
