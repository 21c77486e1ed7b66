import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/voltline.mjs'), 'dlt645', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });

describe('voltline dlt645 (spawned CLI)', () => {
  it('decode prints the meaning of the M-1 reply as JSON', () => {
    const r = run('decode', '68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D3 16');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      address: '000000000001',
      control: '91',
      direction: 'reply',
      di: '00010000',
      name: '（当前）正向有功总电能',
      value: 12345.67,
      unit: 'kWh',
      error: null,
      checksumOk: true,
    });
  });

  it('decode of a corrupt frame: JSON with checksumOk false, exit 1, no stack trace', () => {
    const r = run('decode', '68', '12', '90', '78', '56', '34', '12', '68', '91', '08', '33', '33', '34', '33', '89', '67', '45', '33', '55', '16');
    expect(r.status).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.checksumOk).toBe(false);
    expect(j.error).toMatch(/^BAD_CHECKSUM/);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  it('decode of garbage and of a truncated frame', () => {
    const g = run('decode', 'not-hex');
    expect(g.status).toBe(1);
    expect(JSON.parse(g.stdout).errorCode).toBe('BAD_HEX');
    const t = run('decode', '68 01 00 00 00 00 00 68 11 04 33');
    expect(t.status).toBe(1);
    expect(JSON.parse(t.stdout).errorCode).toBe('TRUNCATED');
  });

  it('read-frame prints the request frame (test vector M-1)', () => {
    const r = run('read-frame', '--address', '000000000001', '--di', '00010000');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16');
    const bad = run('read-frame', '--address', '12345', '--di', '00010000');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/VALIDATION_FAILED: address/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
