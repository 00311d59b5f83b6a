// The detection sweep: does every built-in scenario catch each server bug it claims to catch on
// every seed, and pass on every seed without one? A catch that depends on the seed makes a flaky
// CI gate, and so does a clean run that fails now and then. `npm run catches -- --seeds N` runs
// `chatquake run` for each scenario, clean and with each claimed bug knob, on seeds 1..N at the
// scenario's own duration, and writes the table into docs/SCENARIOS.md.
//
// This file is not a scenario (it is in a subfolder, so `chatquake list` does not see it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinScenarioNames, loadScenario } from '../../harness/index.ts';

const BIN = fileURLToPath(new URL('../../bin/chatquake.js', import.meta.url));
const DOC = fileURLToPath(new URL('../../docs/SCENARIOS.md', import.meta.url));
export const BEGIN = '<!-- catches:begin (written by `npm run catches`) -->';
export const END = '<!-- catches:end -->';

/** One `chatquake run`: a scenario, a seed, and the bug knob it ran with (none: the clean run). */
export interface Case {
  scenario: string;
  seed: number;
  bug: string | null;
}

export interface Outcome extends Case {
  exitCode: number | null;
  /** Failed checks with their counts, e.g. "acked-lost 42". */
  found: string[];
  /** Failed thresholds, e.g. "failover_seconds{fault:regionOutage} p(99)<10 (actual 12.1)". */
  thresholds: string[];
  recoveryP99: number | null;
  seconds: number;
}

/** Every case of a sweep: for each scenario and seed, the clean run, then each bug it claims. */
export async function plan(seeds: number[], only?: string[]): Promise<Case[]> {
  const cases: Case[] = [];
  for (const scenario of only ?? builtinScenarioNames()) {
    const { catches } = await loadScenario(scenario);
    for (const seed of seeds) {
      cases.push({ scenario, seed, bug: null });
      for (const bug of catches) cases.push({ scenario, seed, bug });
    }
  }
  return cases;
}

interface SummaryView {
  checks: { name: string; ok: boolean; actual: number }[];
  thresholds: { metric: string; expression: string; actual: number | string | null; ok: boolean }[];
  failover?: { recoverySeconds?: { p99: number | null } };
}

function exec(args: string[], timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: 'ignore',
      env: { ...process.env, CI: '1' },
    });
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Runs one case in a throwaway folder and reads its summary. */
export async function runCase(c: Case, extraArgs: string[] = []): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), `cq-catch-${c.scenario}-`));
  const args = ['run', c.scenario, '--seed', String(c.seed), '--quiet', '--out', dir, ...extraArgs];
  if (c.bug !== null) args.push('--bug', c.bug);
  const started = Date.now();
  try {
    const exitCode = await exec(args, 10 * 60_000);
    const outcome: Outcome = { ...c, exitCode, found: [], thresholds: [], recoveryP99: null, seconds: 0 };
    try {
      const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as SummaryView;
      outcome.found = summary.checks.filter((x) => !x.ok).map((x) => `${x.name} ${x.actual}`);
      outcome.thresholds = summary.thresholds
        .filter((t) => !t.ok)
        .map((t) => `${t.metric} ${t.expression} (actual ${t.actual})`);
      outcome.recoveryP99 = summary.failover?.recoverySeconds?.p99 ?? null;
    } catch {
      outcome.found.push('no summary.json');
    }
    outcome.seconds = Math.round((Date.now() - started) / 1000);
    return outcome;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a case should give: exit 99 with a bug knob, exit 0 without. */
export function asExpected(o: Outcome): boolean {
  return o.bug === null ? o.exitCode === 0 : o.exitCode === 99;
}

function range(values: number[]): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

/** "acked-lost 42–101 (5/5)": what the bug runs found, over the seeds that found it. */
function findings(rows: Outcome[]): string {
  const byCheck = new Map<string, number[]>();
  for (const o of rows) {
    for (const f of o.found) {
      const space = f.lastIndexOf(' ');
      const name = f.slice(0, space);
      byCheck.set(name, [...(byCheck.get(name) ?? []), Number(f.slice(space + 1))]);
    }
  }
  if (byCheck.size === 0) return rows.some((o) => o.thresholds.length > 0) ? 'thresholds only' : '–';
  return [...byCheck].map(([name, n]) => `${name} ${range(n)} (${n.length}/${rows.length})`).join(', ');
}

/** The Markdown table: one row per scenario and bug (the clean run first). */
export function table(outcomes: Outcome[]): string {
  const groups = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    const key = `${o.scenario}\u0000${o.bug ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  const cells: string[][] = [
    [
      'scenario',
      'bug knob',
      'expected',
      'as expected',
      'missed seeds',
      'what the checks found',
      'recovery p99 (s)',
    ],
  ];
  for (const rows of groups.values()) {
    const first = rows[0]!;
    const good = rows.filter(asExpected).length;
    const missed = rows.filter((o) => !asExpected(o)).map((o) => `${o.seed} (exit ${o.exitCode})`);
    const p99s = rows.map((o) => o.recoveryP99).filter((x): x is number => x !== null);
    cells.push([
      first.scenario,
      first.bug ?? '(none)',
      first.bug === null ? 'pass (exit 0)' : 'caught (exit 99)',
      `${good} of ${rows.length}`,
      missed.join(', ') || '–',
      findings(rows),
      p99s.length === 0 ? '–' : range(p99s.map((x) => Math.round(x * 10) / 10)),
    ]);
  }
  return aligned(cells);
}

/** A Markdown table with padded columns, as the formatter lays it out, so the doc stays lint-clean. */
function aligned(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(3, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]): string => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join('\n');
}

/** Puts the table between the markers of docs/SCENARIOS.md. */
export function writeTable(doc: string, text: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/SCENARIOS.md has no ${BEGIN} … ${END} section`);
  return `${doc.slice(0, a + BEGIN.length)}\n\n${text}\n\n${doc.slice(b)}`;
}

interface Options {
  seeds: number[];
  only: string[] | undefined;
  write: boolean;
}

function parseArgs(argv: string[]): Options {
  let n = 5;
  let first = 1;
  let only: string[] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--seeds' && value !== undefined) n = Number(value);
    else if (flag === '--first-seed' && value !== undefined) first = Number(value);
    else if (flag === '--scenarios' && value !== undefined) only = value.split(',');
    else
      throw new Error(
        `catches: unknown or incomplete flag ${flag} (--seeds N, --first-seed N, --scenarios a,b)`,
      );
    i++;
  }
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error(`catches: --seeds must be 1..100, got ${n}`);
  if (!Number.isInteger(first) || first < 0)
    throw new Error(`catches: --first-seed must be ≥ 0, got ${first}`);
  const names = builtinScenarioNames();
  for (const s of only ?? []) if (!names.includes(s)) throw new Error(`catches: no built-in scenario "${s}"`);
  return { seeds: Array.from({ length: n }, (_, i) => first + i), only, write: only === undefined };
}

export async function main(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  const cases = await plan(options.seeds, options.only);
  const outcomes: Outcome[] = [];
  for (const [i, c] of cases.entries()) {
    const o = await runCase(c);
    outcomes.push(o);
    const what = o.found.length > 0 ? o.found.join(', ') : o.thresholds.join(', ') || 'clean';
    process.stdout.write(
      `[${i + 1}/${cases.length}] ${c.scenario} seed ${c.seed} ${c.bug ?? '(no bug)'}: exit ${o.exitCode} ${asExpected(o) ? 'as expected' : 'NOT AS EXPECTED'} — ${what} (${o.seconds}s)\n`,
    );
  }
  const text = table(outcomes);
  process.stdout.write(`\n${text}\n`);
  if (options.write) {
    writeFileSync(DOC, writeTable(readFileSync(DOC, 'utf8'), text));
    process.stdout.write('\nwritten to docs/SCENARIOS.md\n');
  }
  return outcomes.every(asExpected) ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
    },
  );
}
