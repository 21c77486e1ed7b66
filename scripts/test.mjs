#!/usr/bin/env node
// `npm test`: unit + integration + scenario tests (vitest.config.ts), then the browser tests
// (vitest.e2e.config.ts). PostgreSQL runs happen when DATABASE_URL is set; browser tests when
// Chromium is installed; each says loudly when skipped.
// VOLTLINE_TEST_JSON=DIR also writes vitest JSON reports there (used by .ci/run for its summary).
// VOLTLINE_E2E=0 skips the browser suite (e.g. a second CI pass on another engine).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const extra = process.argv.slice(2);
const jsonDir = process.env.VOLTLINE_TEST_JSON;
const label = process.env.DATABASE_URL ? 'postgres' : 'embedded';
if (jsonDir) fs.mkdirSync(jsonDir, { recursive: true });

function run(name, args) {
  const rep = jsonDir ? ['--reporter=default', '--reporter=json', `--outputFile=${path.join(jsonDir, `${label}-${name}.json`)}`] : [];
  const r = spawnSync(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...args, ...rep, ...extra], { stdio: 'inherit' });
  return r.status ?? 1;
}

let status = run('main', []);
if (process.env.VOLTLINE_E2E === '0') {
  console.log('\n*** browser suite not run in this pass (VOLTLINE_E2E=0) ***\n');
} else if (fs.existsSync('vitest.e2e.config.ts')) {
  status = run('e2e', ['--config', 'vitest.e2e.config.ts']) || status;
}
process.exit(status);
