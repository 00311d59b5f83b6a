// `npm run fuzz`: every fuzzer of issue 12 with a budget far above the test suite's, one report
// per surface (cases tried, findings) and exit 1 on any finding. The suite runs the same fuzzers
// with small fixed budgets; this is the longer run for a game-day eve or a nightly job.
// CHATQUAKE_FUZZ_SEED, CHATQUAKE_FUZZ_RUNS and CHATQUAKE_FUZZ_SECONDS set the seed, the cases
// and the time per surface; CHATQUAKE_FUZZ_SCALE multiplies the property suites' budgets.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { formatReport, fuzzOptionsFromEnv } from '../im-server/fuzz/report.ts';
import { LONG_RUN, runServerFuzz } from '../im-server/fuzz/run.ts';
import { formatFuzzReport, runProxyFuzz } from '../proxy/fuzz-runner.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The property suites of scenario files, flags and `check`, run by vitest at a larger scale. */
function propertySuites(scale: number, seed: number): { line: string; failed: boolean } {
  const result = spawnSync(
    'npx',
    ['vitest', 'run', '--project', 'unit', 'test/harness/hostile-input.properties.test.ts'],
    { cwd: ROOT, env: { ...process.env, CHATQUAKE_FUZZ_SCALE: String(scale) }, encoding: 'utf8' },
  );
  const tests = /Tests\s+(.*)/.exec(stripVTControlCharacters(result.stdout))?.[1] ?? '?';
  const failed = result.status !== 0;
  const head = `scenario files, flags and check: properties at ${scale}× the suite's budget (fixed seeds; CHATQUAKE_FUZZ_SEED ${seed} is for the other surfaces): ${tests}`;
  return { line: failed ? `${head}\n${result.stdout}\n${result.stderr}` : head, failed };
}

async function main(): Promise<number> {
  const options = fuzzOptionsFromEnv(LONG_RUN);
  const scale = Number(process.env.CHATQUAKE_FUZZ_SCALE ?? '20');
  process.stdout.write(
    `fuzz: seed ${options.seed}, up to ${options.runs} cases and ${options.timeBudgetMs / 1000} s per surface\n`,
  );
  let findings = 0;
  const proxy = await runProxyFuzz({ seed: options.seed, runs: Math.min(options.runs, 5_000) });
  process.stdout.write(`${formatFuzzReport(proxy)}\n`);
  findings += proxy.findings.length;
  for (const report of await runServerFuzz(options)) {
    process.stdout.write(`${formatReport(report)}\n`);
    findings += report.findings.length;
  }
  const properties = propertySuites(scale, options.seed);
  process.stdout.write(`${properties.line}\n`);
  if (properties.failed) findings++;
  process.stdout.write(findings === 0 ? 'fuzz: no findings\n' : `fuzz: ${findings} findings\n`);
  return findings === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`fuzz: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
