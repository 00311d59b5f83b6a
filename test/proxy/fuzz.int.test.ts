// The proxy API fuzz (fuzz-runner.ts) with a fixed seed and a budget that fits the suite (well
// under 30 s on 2 cores). CHATQUAKE_FUZZ_RUNS and CHATQUAKE_FUZZ_SEED run it longer or
// elsewhere, and print what was tried:
//   CHATQUAKE_FUZZ_RUNS=2000 npx vitest run --project integration test/proxy/fuzz.int.test.ts
import { describe, expect, it } from 'vitest';
import { formatFuzzReport, runProxyFuzz } from './fuzz-runner.ts';

const runs = Number(process.env.CHATQUAKE_FUZZ_RUNS ?? 300);
const seed = Number(process.env.CHATQUAKE_FUZZ_SEED ?? 12);

describe('the proxy API under fuzzing', () => {
  it(
    'answers every request with a valid answer or a 4xx JSON error, and changes nothing it refuses',
    async () => {
      const report = await runProxyFuzz({ seed, runs });
      if (process.env.CHATQUAKE_FUZZ_RUNS !== undefined)
        process.stdout.write(`${formatFuzzReport(report)}\n`);
      // The budget was spent: the sweep covered every bounded attribute and every case ran.
      expect(report.cases).toBeGreaterThanOrEqual(runs + 12);
      expect(report.requests).toBeGreaterThan(runs * 2);
      expect(report.findings).toEqual([]);
    },
    Math.max(120_000, runs * 2_000),
  );
});
