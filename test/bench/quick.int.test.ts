// Benchmarks are not tests, but they must not rot: the suite runs every one of them at its
// smallest size (`npm run bench -- --quick`) and checks that each ran to the end and wrote its
// results file with rows. Goals are not judged here; a benchmark that measured something wrong
// (a lost message, a violation in a valid history) exits non-zero and fails this test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const benchDir = join(import.meta.dirname, '..', '..', 'bench');
const benches = readdirSync(benchDir)
  .filter((f) => f.endsWith('.ts') && f !== 'run-all.ts')
  .map((f) => f.slice(0, -'.ts'.length));

describe('npm run bench -- --quick', () => {
  const results = mkdtempSync(join(tmpdir(), 'chatquake-bench-quick-'));
  afterAll(() => rmSync(results, { recursive: true, force: true }));

  it('runs every benchmark to the end and writes its results', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, 'run-all.ts'), '--quick'], {
      env: { ...process.env, CHATQUAKE_BENCH_RESULTS: results },
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(run.stdout + run.stderr).toContain(`${benches.length} benchmarks passed, 0 failed`);
    expect(run.status).toBe(0);
    for (const name of benches) {
      const file = JSON.parse(readFileSync(join(results, `${name}.quick.json`), 'utf8')) as {
        name: string;
        quick: boolean;
        rows: unknown[];
      };
      expect(file.name).toBe(name);
      expect(file.quick).toBe(true);
      expect(file.rows.length).toBeGreaterThan(0);
    }
  }, 300_000);
});
