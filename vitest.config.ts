// Two projects: unit tests run in parallel; integration tests start real processes on
// loopback and run one file at a time so that timing-sensitive assertions are not starved
// on a 2-core machine.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts', 'node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          fileParallelism: false,
          // The container tests' shared image: named per run, removed at its end.
          globalSetup: ['test/support/docker-images.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
