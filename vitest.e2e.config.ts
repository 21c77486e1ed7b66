import { defineConfig } from 'vitest/config';

// Browser tests: drive the built UI (web/dist) served by a real `voltline serve` on a fresh
// embedded database, in Debian's Chromium via playwright-core. One worker: each file starts
// its own server and browser. See docs/ui.md.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 360_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    reporters: ['default'],
    // the UI answers in well under a second, but CI machines can be busy
    expect: { poll: { timeout: 30_000, interval: 100 } },
  },
});
