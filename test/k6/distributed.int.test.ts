// Issue 19's promise end to end: a distributed k6 run judged by chatquake's checkers gets the
// verdict a local run gets. A reference cluster runs; `chatquake k6 --setup` writes the script
// and creates the conversations; the script runs as two k6 instances (two execution segments,
// under the test-only stand-in for k6's modules, since k6 cannot be installed here), each with
// its own JSON output; `chatquake ingest k6` merges both into one history and judges it. The
// same scenario, seed and size run locally with `chatquake run`. Then the same again with a
// planted bug on every node, which the distributed run must catch as a local run does
// (test/e2e/run.int.test.ts pins the local run's exit 99 for it).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../e2e/helpers.ts';
import { type Cluster, clusterTopology, startCluster } from '../support/cluster.ts';
import { runK6 } from '../support/k6/index.ts';

const REGIONS = ['eu-west', 'us-east', 'ap-south'];
const SIZE = ['--seed', '5', '--duration', '6s', '--users', '18', '--rate', '60'];
const base = mkdtempSync(join(tmpdir(), 'chatquake-k6-'));
let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

interface Verdict {
  exitCode: number;
  sent: number;
  failedChecks: string[];
  checks: string[];
}

function verdictOf(dir: string): Verdict {
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
    exitCode: number;
    load: { sent: number };
    checks: { name: string; ok: boolean }[];
  };
  return {
    exitCode: summary.exitCode,
    sent: summary.load.sent,
    failedChecks: summary.checks.filter((c) => !c.ok).map((c) => c.name),
    checks: summary.checks.map((c) => c.name).sort(),
  };
}

/** The cluster as a topology file, the way a team would write one for its own deployment. */
function topologyFile(c: Cluster, dir: string): string {
  const file = join(dir, 'topology.json');
  const topology = clusterTopology(c, REGIONS);
  writeFileSync(file, `${JSON.stringify(topology, null, 2)}\n`);
  return file;
}

/** Generate, run as two instances, ingest: the distributed run's folder. */
async function distributedRun(name: string, bugs: string[], size = SIZE): Promise<string> {
  const dir = join(base, name);
  cluster = await startCluster({ regions: REGIONS, ...(bugs.length > 0 ? { bugs } : {}) });
  const topology = topologyFile(cluster, base);
  const script = join(base, `${name}.js`);
  const generated = await runCli([
    'k6',
    'steady-state',
    '--topology',
    topology,
    '--setup',
    '-o',
    script,
    ...size,
  ]);
  expect(generated.code, generated.stderr).toBe(0);
  const outputs = [join(base, `${name}-1.json`), join(base, `${name}-2.json`)];
  const instances = await Promise.all([
    runK6(script, { out: outputs[0] as string, executionSegment: '0:1/2', timeoutMs: 120_000 }),
    runK6(script, { out: outputs[1] as string, executionSegment: '1/2:1', timeoutMs: 120_000 }),
  ]);
  for (const instance of instances) expect(instance.exitCode, instance.log).toBe(0);
  const ingest = await runCli([
    'ingest',
    'k6',
    ...outputs,
    '--script',
    script,
    '--topology',
    topology,
    '--out',
    dir,
  ]);
  expect(existsSync(join(dir, 'report.html')), ingest.stdout + ingest.stderr).toBe(true);
  return dir;
}

async function localRun(name: string, bugs: string[]): Promise<string> {
  const dir = join(base, name);
  await runCli([
    'run',
    'steady-state',
    ...SIZE,
    ...bugs.flatMap((b) => ['--bug', b]),
    '--quiet',
    '--out',
    dir,
  ]);
  return dir;
}

describe('a distributed k6 run, judged by chatquake', () => {
  it('gets the verdict a local run gets: a clean run passes both ways, every scheduled send sent', async () => {
    const k6 = verdictOf(await distributedRun('clean-k6', []));
    const local = verdictOf(await localRun('clean-local', []));
    expect(k6.exitCode).toBe(0);
    expect(k6).toEqual({ ...local, sent: k6.sent });
    // The same seeded schedule: the same sends, whichever side drove them.
    expect(k6.sent).toBe(local.sent);
  }, 240_000);

  it('catches the servers applying replication out of order (exit 99), as a local run does', async () => {
    // Replication batches of more than one entry are what the bug reverses: a higher rate makes
    // them, as the local test's does.
    const k6 = verdictOf(
      await distributedRun(
        'bug-k6',
        ['reorder-apply'],
        ['--seed', '5', '--duration', '6s', '--users', '30', '--rate', '300'],
      ),
    );
    expect(k6.exitCode).toBe(99);
    expect(k6.failedChecks.length).toBeGreaterThan(0);
  }, 240_000);
});
