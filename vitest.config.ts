import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup-env.ts'],
    pool: 'forks',
    // Bounded only to stop a hung run; speed is measured by `npm run bench`, never asserted here.
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
