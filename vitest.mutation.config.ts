// The tests Stryker runs against each mutant of checks/: the checkers' unit tests only (fast,
// no processes), so a mutant is judged in seconds. `npm run mutation` uses it.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/checks/**/*.test.ts', 'test/contracts/**/*.test.ts'],
    exclude: ['test/**/*.int.test.ts', 'node_modules/**'],
    testTimeout: 60_000,
  },
});
