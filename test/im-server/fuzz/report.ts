// What a fuzz run reports, shared by the server's fuzzers and whatever runs them (the test
// suite with a small fixed budget, `npm run fuzz` with a larger one): per surface, how many
// cases were tried and what was found, each finding with the case number that replays it.

export interface FuzzOptions {
  /** fast-check seed: the same seed and runs give the same cases. */
  seed: number;
  /** Cases to generate. */
  runs: number;
  /** Stop starting new cases after this long (the report says how many were tried). */
  timeBudgetMs: number;
}

export interface Finding {
  /** The case's index in the seed's sequence; -1 for a check made after all cases. */
  case: number;
  /** The input, cut short. */
  input: string;
  problem: string;
}

export interface FuzzReport {
  surface: string;
  cases: number;
  /** More about what was covered, e.g. frames sent or requests per endpoint. */
  detail: string;
  findings: Finding[];
  durationMs: number;
}

/** Environment knobs of a run: CHATQUAKE_FUZZ_SEED, CHATQUAKE_FUZZ_RUNS, CHATQUAKE_FUZZ_SECONDS. */
export function fuzzOptionsFromEnv(defaults: FuzzOptions, env: NodeJS.ProcessEnv = process.env): FuzzOptions {
  const num = (name: string, fallback: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 0 || value > max) {
      throw new RangeError(`${name}: expected an integer from 0 to ${max}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  return {
    seed: num('CHATQUAKE_FUZZ_SEED', defaults.seed, 2 ** 31 - 1),
    runs: num('CHATQUAKE_FUZZ_RUNS', defaults.runs, 1_000_000),
    timeBudgetMs: num('CHATQUAKE_FUZZ_SECONDS', defaults.timeBudgetMs / 1000, 86_400) * 1000,
  };
}

export function formatReport(report: FuzzReport): string {
  const head = `${report.surface}: ${report.cases} cases (${report.detail}) in ${(report.durationMs / 1000).toFixed(1)} s, ${report.findings.length} findings`;
  const lines = report.findings.map((f) => `  case ${f.case}: ${f.problem}\n    input: ${f.input}`);
  return [head, ...lines].join('\n');
}
