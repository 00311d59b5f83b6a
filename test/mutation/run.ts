// `npm run mutation`: Stryker over checks/ with the vitest runner on the checkers' unit tests,
// then the score per file and a gate. The checkers are what says PASSED in a team's CI, so their
// tests must notice when the logic changes: every file at least 85% of its mutants killed, and
// 90% over all of checks/. Mutants proved equivalent (no output can tell them apart) are marked
// in the source with `// Stryker disable next-line <mutator>: <why>` and listed here as ignored;
// docs/CHECKS.md has the table and the reasons.
//
//   npm run mutation                          every file of checks/ (about half an hour on 2 cores)
//   npm run mutation -- --files checks/order.ts,checks/lost.ts
//
// The HTML report goes to .stryker/report.html (git-ignored).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REPORT = `${ROOT}.stryker/report.json`;
export const FILE_MIN = 85;
export const TOTAL_MIN = 90;

type Status = 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'Ignored' | 'CompileError' | 'RuntimeError';

interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: Status;
  statusReason?: string;
  location: { start: { line: number; column: number } };
}

export interface MutationReport {
  files: Record<string, { mutants: Mutant[] }>;
}

export interface FileScore {
  file: string;
  killed: number;
  survived: number;
  noCoverage: number;
  ignored: number;
  /** Killed (timeouts included) of the mutants that count: killed, survived, not covered. */
  score: number;
}

export function scoreFile(file: string, mutants: Mutant[]): FileScore {
  const n = (...s: Status[]) => mutants.filter((m) => s.includes(m.status)).length;
  const killed = n('Killed', 'Timeout');
  const survived = n('Survived');
  const noCoverage = n('NoCoverage');
  const counted = killed + survived + noCoverage;
  return {
    file,
    killed,
    survived,
    noCoverage,
    ignored: n('Ignored'),
    score: counted === 0 ? 100 : (100 * killed) / counted,
  };
}

export function scores(report: MutationReport): { files: FileScore[]; total: FileScore } {
  const files = Object.entries(report.files)
    .map(([file, f]) => scoreFile(file, f.mutants))
    .sort((a, b) => a.file.localeCompare(b.file));
  const all = Object.values(report.files).flatMap((f) => f.mutants);
  return { files, total: scoreFile('all of checks/', all) };
}

export function formatScores(s: { files: FileScore[]; total: FileScore }): string {
  const rows = [...s.files, s.total].map(
    (f) =>
      `| ${f.file} | ${f.score.toFixed(1)}% | ${f.killed} | ${f.survived} | ${f.noCoverage} | ${f.ignored} |`,
  );
  return [
    '| file | killed | killed mutants | survived | not covered | ignored (equivalent) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** What fails the gate: a file under FILE_MIN, or the whole under TOTAL_MIN (only for a full run). */
export function gateFailures(s: { files: FileScore[]; total: FileScore }, full: boolean): string[] {
  const out = s.files
    .filter((f) => f.score < FILE_MIN)
    .map((f) => `${f.file}: ${f.score.toFixed(1)}% < ${FILE_MIN}%`);
  if (full && s.total.score < TOTAL_MIN)
    out.push(`all of checks/: ${s.total.score.toFixed(1)}% < ${TOTAL_MIN}%`);
  return out;
}

function parseArgs(argv: string[]): string[] | undefined {
  if (argv.length === 0) return undefined;
  if (argv[0] === '--files' && argv[1] !== undefined && argv.length === 2) {
    const files = argv[1].split(',').filter((f) => f !== '');
    for (const f of files) if (!existsSync(`${ROOT}${f}`)) throw new Error(`mutation: no file ${f}`);
    return files;
  }
  throw new Error('mutation: usage: npm run mutation [-- --files checks/a.ts,checks/b.ts]');
}

export function main(argv: string[]): number {
  const files = parseArgs(argv);
  const args = ['stryker', 'run', ...(files === undefined ? [] : ['--mutate', files.join(',')])];
  const run = spawnSync('npx', args, { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0) return run.status ?? 1;
  const report = JSON.parse(readFileSync(REPORT, 'utf8')) as MutationReport;
  const s = scores(report);
  process.stdout.write(`\n${formatScores(s)}\n\n`);
  for (const [file, f] of Object.entries(report.files)) {
    for (const m of f.mutants.filter((x) => x.status === 'Ignored')) {
      process.stdout.write(
        `ignored ${file}:${m.location.start.line} ${m.mutatorName}: ${m.statusReason ?? '(no reason)'}\n`,
      );
    }
  }
  const failures = gateFailures(s, files === undefined);
  for (const f of failures) process.stdout.write(`below the bar: ${f}\n`);
  process.stdout.write(failures.length === 0 ? 'mutation gate passed\n' : 'mutation gate FAILED\n');
  return failures.length === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 2;
  }
}
