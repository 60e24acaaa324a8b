import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Component tests of the portal are .test.tsx and pick their DOM per file (`// @vitest-environment happy-dom`).
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // A run that executes nothing must fail, not pass quietly.
    passWithNoTests: false,
  },
});
