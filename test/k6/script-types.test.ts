// The generated k6 script is what k6 ≥ 1.6 accepts: it type-checks against k6's own declarations
// (@types/k6) under `strict` checkJs, imports only the stable k6 modules it may use (no
// experimental websockets, no http, no blocking sleep), embeds its plan between the markers and
// declares one per-vu-iterations scenario with the mapped thresholds. A deliberately broken
// script fails the same check, so the check can fail.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRunFlags } from '../../harness/cli/flags.ts';
import { k6Spec } from '../../harness/cli/options.ts';
import { buildK6Plan } from '../../harness/k6/build-plan.ts';
import { PLAN_BEGIN, PLAN_END, planOfScript } from '../../harness/k6/plan.ts';
import { loadTopology } from '../../harness/k6/topology.ts';
import { prepareRun } from '../../harness/scenario/prepare.ts';
import { referenceK6Script } from '../../harness/targets/reference/k6/index.ts';

const REPO = resolve(import.meta.dirname, '../..');
const topology = loadTopology(resolve(import.meta.dirname, 'fixtures/topology.json'), {});
const dir = mkdtempSync(join(tmpdir(), 'k6-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function scriptOf(args: string[]) {
  const prepared = await prepareRun(parseRunFlags(args, 'k6', k6Spec));
  const { plan } = buildK6Plan(prepared, topology);
  return { plan, text: referenceK6Script(plan) };
}

/** tsc over the files with k6's types; its output, and whether it passed. */
function typeCheck(files: string[]): { ok: boolean; output: string } {
  const config = join(dir, `tsconfig-${files.length}-${files[0]}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        allowJs: true,
        checkJs: true,
        noEmit: true,
        strict: true,
        target: 'es2022',
        module: 'esnext',
        moduleResolution: 'bundler',
        types: ['k6'],
        typeRoots: [join(REPO, 'node_modules/@types')],
      },
      files: files.map((f) => join(dir, f)),
    }),
  );
  try {
    const output = execFileSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', config], { encoding: 'utf8' });
    return { ok: true, output };
  } catch (error) {
    return { ok: false, output: String((error as { stdout?: string }).stdout ?? error) };
  }
}

describe('the generated k6 script', () => {
  it('type-checks against @types/k6 for two scenarios, and a broken one does not', async () => {
    const steady = await scriptOf(['steady-state', '--seed', '2', '-d', '3s', '-u', '20']);
    const outage = await scriptOf(['region-outage', '--seed', '4', '-d', '3s', '-u', '20']);
    writeFileSync(join(dir, 'steady.js'), steady.text);
    writeFileSync(join(dir, 'outage.js'), outage.text);
    const good = typeCheck(['steady.js', 'outage.js']);
    expect(good.output).toBe('');
    expect(good.ok).toBe(true);

    writeFileSync(join(dir, 'broken.js'), `${steady.text}\nnew WebSocket(1);\n`);
    const broken = typeCheck(['broken.js']);
    expect(broken.ok).toBe(false);
    expect(broken.output).toMatch(/broken\.js\(\d+,\d+\): error TS2345/);
  }, 60_000);

  it('imports only the stable k6 modules, never blocks, and carries its plan and options', async () => {
    const { plan, text } = await scriptOf(['steady-state', '--seed', '2', '-d', '3s', '-u', '20']);
    const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['k6/websockets', 'k6/timers', 'k6/metrics', 'k6/execution']);
    expect(text).not.toMatch(/k6\/experimental|k6\/http|k6\/crypto|\bsleep\(/);
    const lines = text.split('\n');
    expect(lines).toContain(PLAN_BEGIN);
    expect(lines).toContain(PLAN_END);
    expect(planOfScript(text)).toEqual(plan);
    expect(text).toContain("new Counter('im_history')");
    expect(text).toContain('history.add(1, { e: JSON.stringify(event) })');

    const options = JSON.parse(/export const options = (\{[\s\S]*?\n\});/.exec(text)?.[1] ?? 'null');
    // 2 s ramp + 1 s + 3 s load + 5 s drain + 30 s
    expect(options.scenarios).toEqual({
      im: { executor: 'per-vu-iterations', vus: 20, iterations: 1, maxDuration: '41s' },
    });
    expect(options.thresholds).toEqual({
      im_delivery_ms: ['p(99)<1000'],
      im_ack_ms: ['p(99)<1000'],
      im_send_errors: ['rate<0.001'],
    });
    expect(text).toMatch(/^\/\/ {3}acked_lost, .*: a consistency check/m);
  });
});
