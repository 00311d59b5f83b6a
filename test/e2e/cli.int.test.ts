import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.ts';

const SCENARIO_MODULE = fileURLToPath(new URL('../../harness/scenario/scenario.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'chatquake-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chatquake list, validate and bad input (nothing is started)', () => {
  it('lists every built-in scenario with one line each', async () => {
    const result = await runCli(['list']);
    expect(result.code).toBe(0);
    for (const name of [
      'steady-state',
      'region-outage',
      'partition',
      'brownout',
      'flapping-link',
      'zombie-leader',
      'clock-skew',
      'surge',
      'residency',
      'game-day',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^${name} +\\S+ +\\S+ +\\S`, 'm'));
    }
  });

  it('validate prints the resolved topology and timeline for the seed, the same every time', async () => {
    const args = ['validate', 'region-outage', '--seed', '11', '--regions', 'eu-west,us-east,ap-south'];
    const first = await runCli(args);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('seed      11');
    expect(first.stdout).toContain('node eu-west/n1  127.0.1.11');
    expect(first.stdout).toContain('proxy edge:clients->us-east.n1');
    // The busiest region is resolved to a real name, and the outage kills its node.
    const busiest = /@busiest=([a-z-]+)/.exec(first.stdout)?.[1];
    expect(busiest).toBeDefined();
    expect(first.stdout).toContain(`SIGKILL ${busiest}/n1`);
    expect(first.stdout).toMatch(/acked_lost: count==0/);
    const second = await runCli(args);
    expect(second.stdout).toBe(first.stdout);
  });

  it('validate applies --duration to the fault times', async () => {
    const result = await runCli(['validate', 'region-outage', '--seed', '1', '--duration', '15']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('load      15s');
    expect(result.stdout).toMatch(/^ +5s +outage /m);
  });

  it('exits 104 and names the field for a bad scenario file', async () => {
    const file = join(dir, 'bad.ts');
    writeFileSync(
      file,
      [
        `import { defineScenario } from ${JSON.stringify(SCENARIO_MODULE)};`,
        'export default defineScenario({',
        "  name: 'bad', description: 'a scenario with a typo', duration: '10s',",
        '  chaos: [',
        "    { fault: 'latency', at: '1s', latency: 100 },",
        "    { fault: 'regionOutage', at: '2s', region: 'eu-west' },",
        "    { fault: 'regionOutage', at: '3s', region: 'eu-west', duration: '10 parsecs' },",
        '  ],',
        '});',
      ].join('\n'),
    );
    const result = await runCli(['run', file, '--quiet']);
    expect(result.code).toBe(104);
    expect(result.stderr).toContain('scenario.chaos[2].duration: invalid duration "10 parsecs"');
  });

  it('exits 104 and names the field when a scenario names a region outside the topology', async () => {
    const residency = await runCli(['validate', 'residency', '--regions', 'eu-west,ap-south']);
    expect(residency.code).toBe(104);
    expect(residency.stderr).toMatch(
      /scenario\.workload\.conversations\.residency\.regions: "us-east" is not one of the run's regions/,
    );
    const file = join(dir, 'mars.ts');
    writeFileSync(
      file,
      "export default { name: 'mars', description: 'x', duration: '5s', chaos: [{ fault: 'regionOutage', at: '1s', region: 'mars' }] };\n",
    );
    const fault = await runCli(['validate', file]);
    expect(fault.code).toBe(104);
    expect(fault.stderr).toContain('scenario.chaos[0].region: unknown region "mars"');
  });

  it('exits 104 on a bad flag, naming it', async () => {
    const bug = await runCli(['run', 'steady-state', '--bug', 'no-such-bug']);
    expect(bug.code).toBe(104);
    expect(bug.stderr).toMatch(/--bug/);
    const seed = await runCli(['run', 'steady-state', '--seed', 'abc']);
    expect(seed.code).toBe(104);
    expect(seed.stderr).toMatch(/--seed/);
    const missing = await runCli(['run', 'no-such-scenario']);
    expect(missing.code).toBe(104);
    expect(missing.stderr).toContain('no built-in scenario of that name');
  });
});
