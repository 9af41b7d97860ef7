import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Store tests share one PostgreSQL server; each file isolates itself in its own schema.
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
  },
});
