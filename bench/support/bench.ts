// What every benchmark shares: its flags (--quick for the test suite's smoke run, --strict to
// fail on a missed goal), goals as data, one table printer, and bench/results/<name>.json. A
// benchmark is a script, not a test: it measures a baseline in the same run and reports ratios,
// and it fails on its own only when what it measured is wrong (a violation, a lost message), or,
// with --strict, when a goal is missed. A --quick run never judges goals: its numbers are too
// small to mean anything, it only proves the benchmark still runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchArgs {
  /** Smallest sizes that still exercise every path (the test suite runs this). */
  quick: boolean;
  /** Exit 1 when a goal is missed (never in a quick run). */
  strict: boolean;
}

export function benchArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  return { quick: argv.includes('--quick'), strict: argv.includes('--strict') };
}

export interface Goal {
  /** What is compared, e.g. "no toxic: bulk throughput / bare pipe". */
  name: string;
  value: number;
  op: '>=' | '<=';
  target: number;
  unit: string;
  met: boolean;
}

export function goal(name: string, value: number, op: Goal['op'], target: number, unit = ''): Goal {
  const met = op === '>=' ? value >= target : value <= target;
  return { name, value, op, target, unit, met };
}

export type Row = Record<string, string | number>;

export interface BenchResult {
  /** The file name without .ts; the results file is bench/results/<name>.json. */
  name: string;
  /** One row per measured case; every row has the same keys. */
  rows: Row[];
  goals: Goal[];
  /** What limits the figures (the machine, what shares it, what the baseline is). */
  notes?: string[];
  /** Anything else worth keeping (profiles' top functions, ramp steps). */
  data?: unknown;
  /** Set when the benchmark measured something wrong; the script exits 1. */
  failure?: string;
}

function cell(value: string | number): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3);
}

export function formatTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const keys = Object.keys(rows[0] as Row);
  const cells = rows.map((row) => keys.map((k) => cell(row[k] ?? '')));
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => (c[i] as string).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] as number)).join('  ');
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function formatGoal(g: Goal): string {
  const value = `${cell(g.value)}${g.unit}`;
  return `${g.met ? 'met   ' : 'MISSED'}  ${g.name}: ${value} (goal ${g.op} ${cell(g.target)}${g.unit})`;
}

/** bench/results, or $CHATQUAKE_BENCH_RESULTS (the test suite's quick run writes to a temp dir). */
export const resultsDir =
  process.env.CHATQUAKE_BENCH_RESULTS ?? join(dirname(dirname(fileURLToPath(import.meta.url))), 'results');

/** Prints the table and goals, writes the results file, and sets the exit code. */
export function finish(result: BenchResult, args: BenchArgs = benchArgs()): void {
  console.log(formatTable(result.rows));
  if (result.goals.length > 0) {
    console.log('');
    for (const g of result.goals) console.log(formatGoal(g));
    if (args.quick) console.log('(quick run: goals are not judged)');
  }
  for (const note of result.notes ?? []) console.log(`note: ${note}`);
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${result.name}${args.quick ? '.quick' : ''}.json`);
  const machine = { node: process.version, cpus: cpus().length, loadavg: loadavg() };
  const record = { ...result, quick: args.quick, at: new Date().toISOString(), machine };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`wrote ${file}`);
  if (result.failure !== undefined) {
    console.error(`FAILED: ${result.failure}`);
    process.exitCode = 1;
  } else if (args.strict && !args.quick && result.goals.some((g) => !g.met)) {
    process.exitCode = 1;
  }
}
