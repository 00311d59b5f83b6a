// `chatquake compare` and `chatquake report` as users run them, on real runs: a clean region
// outage as the baseline and the same scenario with the drop-sync bug knob as the candidate.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatquake, regionOutageRun } from './real-run.ts';

const root = mkdtempSync(join(tmpdir(), 'cq-compare-'));
const baseline = join(root, 'baseline');
const buggy = join(root, 'drop-sync');

// 14 s runs, as short as the metrics test's outage: compare reads what the runs measured, so a
// shorter run changes nothing it is asked, as long as the bug still shows.
beforeAll(async () => {
  const clean = await regionOutageRun(baseline, 11, [], 14);
  expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  const broken = await regionOutageRun(buggy, 12, ['drop-sync'], 14);
  expect(broken.code, broken.stdout + broken.stderr).toBe(99);
}, 340_000);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('chatquake compare on real runs', () => {
  it('exits 99 and names the new violations when the candidate runs a bug knob', async () => {
    const out = join(root, 'compare.html');
    const result = await chatquake(['compare', baseline, buggy, '--out', out]);
    expect(result.code, result.stderr).toBe(99);
    expect(result.stdout).toMatch(/bugs: drop-sync/);
    expect(result.stdout).toMatch(/REGRESSED:/);
    expect(result.stdout).toMatch(/new consistency violation: /);
    expect(result.stdout).toMatch(/measure\s+baseline\s+candidate\s+change\s+95% interval\s+verdict/);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('"regressed":true');
  });

  it('passes a run against itself, writing compare.html into the candidate', async () => {
    const result = await chatquake(['compare', baseline, baseline, '--max-regression', '5%']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/no regression beyond the tolerance/);
    expect(existsSync(join(baseline, 'compare.html'))).toBe(true);
  });

  it('prints the comparison as JSON on request', async () => {
    const result = await chatquake([
      'compare',
      baseline,
      buggy,
      '--json',
      '--iterations',
      '300',
      '--out',
      join(root, 'c.html'),
    ]);
    expect(result.code).toBe(99);
    const parsed = JSON.parse(result.stdout) as { regressed: boolean; rows: { label: string }[] };
    expect(parsed.regressed).toBe(true);
    expect(parsed.rows.map((r) => r.label)).toEqual(['delivery p99', 'recovery p99', 'throughput (acked/s)']);
  });

  it('exits 104 on bad usage, naming the flag', async () => {
    const tolerance = await chatquake(['compare', baseline, buggy, '--max-regression', 'lots']);
    expect(tolerance.code).toBe(104);
    expect(tolerance.stderr).toMatch(/--max-regression: "lots" is not a tolerance/);
    const missing = await chatquake(['compare', baseline]);
    expect(missing.code).toBe(104);
    const nowhere = await chatquake(['compare', baseline, join(root, 'nope')]);
    expect(nowhere.code).toBe(104);
    expect(nowhere.stderr).toMatch(/is not a folder/);
  });
});

describe('chatquake report on a real run', () => {
  it('re-renders report.html from the saved files', async () => {
    rmSync(join(buggy, 'report.html'), { force: true });
    const result = await chatquake(['report', buggy]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(join(buggy, 'report.html'));
    expect(readFileSync(join(buggy, 'report.html'), 'utf8')).toContain('id="report-data"');
  });

  it('exits 1 for a folder without a history and 104 for no folder', async () => {
    const empty = mkdtempSync(join(root, 'empty-'));
    const result = await chatquake(['report', empty]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no history\.jsonl/);
    expect((await chatquake(['report'])).code).toBe(104);
  });
});
