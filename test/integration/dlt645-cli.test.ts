import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { pollMeters } from '../../src/jobs/headend/index.js';
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

describe('voltline simulate-meters (spawned CLI)', () => {
  it('listens on 127.0.0.1, answers the head-end, stops on SIGTERM with stats', async () => {
    const child = spawn(process.execPath, [path.join(root, 'bin/voltline.mjs'), 'simulate-meters', '--count', '30', '--port', '0', '--concentrators', '2', '--seed', '5', '--faults', 'clock-drift=0.1'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const first = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no listening line')), 30_000);
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const nl = out.indexOf('\n');
          if (nl >= 0) {
            clearTimeout(t);
            resolve(out.slice(0, nl));
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const info = JSON.parse(first);
      expect(info.event).toBe('listening');
      expect(info.concentrators).toHaveLength(2);
      expect(info.concentrators[0]).toMatchObject({ host: '127.0.0.1', firstAddress: '000000000001', lastAddress: '000000000015' });
      expect(info.concentrators[1]).toMatchObject({ firstAddress: '000000000016', lastAddress: '000000000030' });
      const targets = info.concentrators.flatMap((c: { host: string; port: number; firstIndex: number; lastIndex: number }) =>
        Array.from({ length: c.lastIndex - c.firstIndex + 1 }, (_, i) => ({ address: String(c.firstIndex + i).padStart(12, '0'), host: c.host, port: c.port, dis: ['00010000', '04000401'] })),
      );
      const results = await pollMeters({ targets, concurrency: 8, timeoutMs: 2000, retries: 0 });
      expect(results.every((r) => r.ok)).toBe(true);
      expect(results.map((r) => r.values['04000401'])).toEqual(targets.map((t: { address: string }) => t.address));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const stopped = JSON.parse(out.trim().split('\n').pop()!);
      expect(stopped).toMatchObject({ event: 'stopped', stats: { requests: 60, replies: 60 } });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('rejects bad options with a field error and no stack trace', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/voltline.mjs'), 'simulate-meters', '--count', '5', '--port', '0', '--faults', 'late=7'], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/VALIDATION_FAILED: faults/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
