// Regression cases of issue 12 for the CLI itself, run as a user runs it: hostile scenario files
// and flags, damaged run folders given to `check`, garbage given to `compare`, a folder given to
// `report --out`. Each ends with a clear error naming what is wrong (exit 104), or a verdict that
// says what it could judge, and never with a stack trace, a hang or a stray file. Nothing here
// starts a topology.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFixtureRun } from '../reports/fixture.ts';
import {
  asFile,
  finishedRecord,
  killedRecord,
  passingHistory,
  writeRunFolder,
} from '../support/run-folder.ts';
import { type CliResult, runCli } from './helpers.ts';

const SCENARIO_MODULE = fileURLToPath(new URL('../../harness/scenario/scenario.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'chatquake-hostile-'));
// A team's scenarios live in an ES module package, where a top-level await is allowed.
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STACK = /^\s+at .+\(.*:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;

function scenarioFile(name: string, body: string, before = ''): string {
  const file = join(dir, `${name}.ts`);
  writeFileSync(
    file,
    [
      `import { defineScenario } from ${JSON.stringify(SCENARIO_MODULE)};`,
      before,
      `export default defineScenario({ name: '${name}', description: 'hostile input', ${body} });`,
    ].join('\n'),
  );
  return file;
}

function expectUsageError(result: CliResult, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(104);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(STACK);
}

describe('scenario files and flags past their bounds', () => {
  it('refuses rate: 1e9 in a file at validate, naming the field, at once', async () => {
    const file = scenarioFile('fast', "duration: '10s', workload: { rate: 1e9 }");
    const started = Date.now();
    const result = await runCli(['validate', file], { timeoutMs: 30_000 });
    expectUsageError(result, /scenario\.workload\.rate: must be at most 100000/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('refuses users: 1e6 at validate at once instead of building for minutes', async () => {
    const file = scenarioFile('crowd', "duration: '10s', workload: { users: 1e6 }");
    const result = await runCli(['validate', file], { timeoutMs: 30_000 });
    expectUsageError(result, /scenario\.workload\.users: at most 100000 users/);
  });

  it("refuses duration: '0s' and --rate 0: a run that would send nothing", async () => {
    const file = scenarioFile('empty', "duration: '0s'");
    expectUsageError(await runCli(['validate', file]), /scenario\.duration: must be above 0/);
    expectUsageError(await runCli(['run', 'steady-state', '--rate', '0']), /--rate: must be above 0/);
  });

  it('says a negative flag is out of range, naming it, instead of "ambiguous"', async () => {
    const result = await runCli(['validate', 'steady-state', '--users', '-5']);
    expectUsageError(result, /--users: must be at least 1/);
    expect(result.stderr).not.toMatch(/ambiguous/);
  });

  it('explains a scenario whose top-level await never settles instead of exiting 13 silently', async () => {
    const file = scenarioFile('stuck', "duration: '10s'", 'await new Promise(() => {});');
    const result = await runCli(['validate', file], { timeoutMs: 60_000 });
    // The file's own code is at fault: k6's ScriptException (107), not a bad configuration.
    expect(result.code, result.stderr).toBe(107);
    expect(result.stderr).toMatch(/stuck\.ts.*top-level await.*never settle/);
    expect(result.stderr).not.toMatch(STACK);
  });
});

describe('check on a damaged run folder', () => {
  const { events, lines } = passingHistory();

  it('exits 104 naming the field of a run.json of the wrong shape, with no stack trace', async () => {
    const record = { ...finishedRecord(events), load: { sent: 'many' }, errors: 'none' };
    const folder = writeRunFolder(join(dir, 'wrong-shape'), asFile(lines), record);
    const result = await runCli(['check', folder, '--quiet']);
    expectUsageError(result, /run\.json: .*load\.sent/);
    expect(result.stderr).toMatch(/errors/);
  });

  it('exits 104 for a run.json that is not an object, and for a history that is a folder', async () => {
    const folder = writeRunFolder(join(dir, 'array'), asFile(lines), [1, 2, 3]);
    expectUsageError(await runCli(['check', folder]), /run\.json: /);
    const odd = join(dir, 'odd');
    mkdirSync(join(odd, 'history.jsonl'), { recursive: true });
    writeFileSync(join(odd, 'run.json'), JSON.stringify(finishedRecord(events)));
    expectUsageError(await runCli(['check', odd]), /history\.jsonl/);
  });

  it('never passes a history cut to half its lines, and says it was cut', async () => {
    const half = lines.slice(0, Math.floor(lines.length / 2));
    const folder = writeRunFolder(join(dir, 'half'), asFile(half), finishedRecord(events));
    const result = await runCli(['check', folder]);
    expect(result.code, result.stderr).toBe(96);
    expect(result.stdout).toMatch(/INVALID \(exit 96\): .*cut/);
    const summary = JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8')) as { valid: boolean };
    expect(summary.valid).toBe(false);
  });

  it('judges a killed run up to its cut: exit 1 with what it saw, not "no load ran"', async () => {
    const cut = `${asFile(lines.slice(0, 150))}${(lines[150] as string).slice(0, 12)}`;
    const folder = writeRunFolder(join(dir, 'killed'), cut, killedRecord(events));
    const result = await runCli(['check', folder]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/ERROR \(exit 1\): the run did not finish .*\d+ sent, \d+ acked/);
    expect(result.stdout).not.toMatch(/no load ran/);
  });
});

describe('compare and report given bad input', () => {
  const base = join(dir, 'base');
  writeFixtureRun(base, { seed: 1, durationSeconds: 20, faults: [] });

  it('compare base <garbage> is a bad input (exit 104 naming it), not a regression', async () => {
    const garbage = join(dir, 'garbage');
    mkdirSync(garbage, { recursive: true });
    writeFileSync(join(garbage, 'history.jsonl'), 'hello\nworld\n\u0000\u0001\n');
    const result = await runCli(['compare', base, garbage]);
    expectUsageError(result, /candidate .*garbage.*not a chatquake history/);
    expect(existsSync(join(garbage, 'compare.html'))).toBe(false);
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    expectUsageError(await runCli(['compare', empty, base]), /baseline .*empty.*no history\.jsonl/);
  });

  it('report --out <existing folder> is refused, naming --out, and leaves no .partial file', async () => {
    const out = join(dir, 'out-folder');
    mkdirSync(out, { recursive: true });
    const result = await runCli(['report', base, '--out', out]);
    expectUsageError(result, /--out .*out-folder.* is a folder/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(readdirSync(out)).toEqual([]);
  });

  it('compare --out <existing folder> is refused the same way', async () => {
    const out = join(dir, 'cmp-folder');
    mkdirSync(out, { recursive: true });
    const result = await runCli(['compare', base, base, '--out', out]);
    expectUsageError(result, /--out .*cmp-folder.* is a folder/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('compare says a negative flag is out of range, naming it', async () => {
    const result = await runCli(['compare', base, base, '--iterations', '-5']);
    expectUsageError(result, /--iterations: /);
    expect(result.stderr).not.toMatch(/ambiguous/);
  });
});
