// Regression case of issue 12 item 6: a scenario file whose top-level await never settles used
// to end the CLI with Node's bare exit 13 (test/e2e/hostile-input.int.test.ts runs that one), or,
// with a timer of its own still pending, to hang it for ever. Loading is bounded and says why.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, ScenarioError } from '../../harness/scenario/scenario.ts';

const dir = mkdtempSync(join(tmpdir(), 'chatquake-load-'));
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
const handles = globalThis as { chatquakeTestTimer?: ReturnType<typeof setInterval> };
afterAll(() => {
  clearInterval(handles.chatquakeTestTimer);
  rmSync(dir, { recursive: true, force: true });
});

describe('loading a scenario file', () => {
  it('gives up on a top-level await that keeps waiting, naming the file, and says its code still runs', async () => {
    const file = join(dir, 'waits.ts');
    writeFileSync(
      file,
      [
        'await new Promise(() => {',
        '  (globalThis as { chatquakeTestTimer?: unknown }).chatquakeTestTimer = setInterval(() => {}, 1000);',
        '});',
        "export default { name: 'waits', description: 'never loads', duration: '5s' };",
      ].join('\n'),
    );
    const started = performance.now();
    const error = await loadScenario(file, dir, { timeoutMs: 500 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(ScenarioError);
    expect((error as ScenarioError).message).toMatch(
      /waits\.ts: its top-level await never settled \(still waiting after 500ms\)/,
    );
    expect((error as ScenarioError).stillRunning).toBe(true);
  });

  it('loads a scenario whose top-level await settles', async () => {
    const file = join(dir, 'settles.ts');
    writeFileSync(
      file,
      [
        'const duration = await new Promise<string>((resolve) => setTimeout(() => resolve("5s"), 10));',
        "export default { name: 'settles', description: 'loads', duration };",
      ].join('\n'),
    );
    const scenario = await loadScenario(file, dir, { timeoutMs: 5000 });
    expect(scenario.durationMs).toBe(5000);
  });
});
