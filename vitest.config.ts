import { defineConfig } from 'vitest/config';

// Unit tests (src/**) run without a database; integration and scenario tests (test/**)
// run on PGlite and, when DATABASE_URL is set, on PostgreSQL too. Browser tests live in
// vitest.e2e.config.ts. See docs/testing.md.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/scenarios/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
