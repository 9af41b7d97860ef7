import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Store tests share one PostgreSQL server; each file isolates itself in its own schema.
    pool: 'forks',
    // Test files run one after another in two long-lived processes instead of a fresh process each: starting
    // one and importing the app again cost more than many files' tests (the suite took 484 s, now ~300 s).
    // A file that changes process-wide state (environment variables, globals) restores it in its after-hooks.
    isolate: false,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
