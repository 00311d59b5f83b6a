// `chatquake run --mode docker` end to end: the project image built the way this machine can,
// region-outage run with every node, the directory and the fault proxy in containers. It passes
// (exit 0), its planted-bug twin fails (exit 99), the outage is a SIGKILL of the region's node
// container (Docker's own events say so), and after each run nothing labelled with its run id is
// left: no container, network or volume. A stale network and container labelled by a dead owner
// are cleared, the container's logs saved to the crashed run's folder first. A node freeze is a
// docker pause, and a scale-out a container of its own.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, dockerEvents, dockerSuite, runCommand, testImage } from '../support/docker.ts';

const suite = dockerSuite('chatquake run --mode docker');
let IMAGE = '';
const STALE = `chatquake-stale-${process.pid}`;
let out = '';

const exec = (cmd: string, args: string[], timeoutMs: number) =>
  runCommand(cmd, args, { timeoutMs, env: { ...process.env, TESTCONTAINERS_RYUK_DISABLED: 'true' } });

/** What carries the run's label, on every kind of object; all should be empty. */
async function leftovers(runId: string): Promise<string[]> {
  const filter = `label=chatquake.run=${runId}`;
  const lists = await Promise.all([
    docker(['ps', '-aq', '--filter', filter]),
    docker(['network', 'ls', '-q', '--filter', filter]),
    docker(['volume', 'ls', '-q', '--filter', filter]),
  ]);
  return lists.flatMap((r) => r.stdout.split('\n').filter((l) => l.trim() !== ''));
}

/** `run <scenario> --mode docker --seed 1` into out/<dir>; with the run's id and start time. */
async function runDocker(scenario: string, dir: string, extra: string[]) {
  const since = Math.floor(Date.now() / 1000) - 1;
  const args = ['bin/chatquake.js', 'run', scenario, '--mode', 'docker', '--image', IMAGE, '--seed', '1'];
  const result = await exec('node', [...args, '--quiet', '--out', join(out, dir), ...extra], 240_000);
  const run = JSON.parse(readFileSync(join(out, dir, 'run.json'), 'utf8')) as { runId: string };
  return { ...result, runId: run.runId, since };
}

describe.skipIf(suite.skip)(suite.name, () => {
  beforeAll(async () => {
    IMAGE = await testImage();
    out = mkdtempSync(join(tmpdir(), 'chatquake-mode-'));
    // What a crashed run would leave: labelled, owned by a process that is not running.
    const stale = await docker([
      'network',
      'create',
      '--label',
      `chatquake.run=${STALE}`,
      '--label',
      'chatquake.owner=999999:1:no-such-boot',
      STALE,
    ]);
    expect(stale.code, stale.stderr).toBe(0);
    // And a container of it that logged a line and stopped: its logs must reach the crashed run's folder.
    mkdirSync(join(out, 'crashed', 'logs'), { recursive: true });
    const container = await docker([
      'run',
      '--label',
      `chatquake.run=${STALE}`,
      '--label',
      'chatquake.owner=999999:1:no-such-boot',
      '--label',
      `chatquake.log=${join(out, 'crashed', 'logs', 'eu-west-n1.log')}`,
      IMAGE,
      '--version',
    ]);
    expect(container.code, container.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await docker(['network', 'rm', STALE]);
    if (out !== '') rmSync(out, { recursive: true, force: true });
  }, 60_000);

  it('passes region-outage in containers, kills the region as a container, leaves nothing', async () => {
    // While it runs, what the containers publish ("host:port->port/tcp"; an exposed port that is
    // not published has no arrow): on loopback only, never on every interface.
    const published = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const ps = await docker(['ps', '--filter', `ancestor=${IMAGE}`, '--format', '{{.Ports}}']);
        for (const line of ps.stdout.split('\n'))
          for (const port of line.split(', ')) if (port.includes('->')) published.add(port);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    const result = await runDocker('region-outage', 'pass', ['--duration', '15s']).finally(() => {
      watching = false;
    });
    await watch;
    expect([...published].some((p) => p.startsWith('127.0.0.1:'))).toBe(true);
    expect([...published].filter((p) => !p.startsWith('127.0.0.1:'))).toEqual([]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // Other crashed runs on this engine may be named too ("removed what 2 crashed runs left").
    expect(result.stderr).toMatch(
      new RegExp(`removed what (a crashed run|\\d+ crashed runs) left on Docker \\([^)]*${STALE}`),
    );
    expect(await leftovers(STALE)).toEqual([]);
    expect(readFileSync(join(out, 'crashed', 'logs', 'eu-west-n1.log'), 'utf8')).toMatch(/\d+\.\d+\.\d+/);
    expect(await leftovers(result.runId)).toEqual([]);
    const faults = JSON.parse(readFileSync(join(out, 'pass', 'faults.json'), 'utf8')) as {
      faults: {
        kind: string;
        regions: string[];
        actions: { op: string; node?: string; signal?: string }[];
      }[];
    };
    const outage = faults.faults.find((f) => f.kind === 'regionOutage');
    const killed = outage?.actions.find((a) => a.op === 'signal' && a.signal === 'SIGKILL')?.node;
    expect(killed).toBeDefined();
    // The engine saw that node's container killed with signal 9 (teardown stops servers with 15).
    const events = await dockerEvents(
      result.since,
      ['event=kill', `label=chatquake.run=${result.runId}`],
      '{{index .Actor.Attributes "chatquake.node"}} {{index .Actor.Attributes "signal"}}',
    );
    expect(events).toContain(`${killed} 9`);
    // Restarted on the same container: its log holds two starts.
    const [region, node] = (killed as string).split('/');
    const log = readFileSync(join(out, 'pass', 'logs', `${region}-${node}.log`), 'utf8');
    expect(log.match(/"event":"listening"/g)?.length).toBe(2);
  }, 300_000);

  it('fails with exit 99 when the servers ack early, and still leaves nothing', async () => {
    const result = await runDocker('region-outage', 'bug', ['--duration', '15s', '--bug', 'ack-early']);
    expect(result.code, result.stdout + result.stderr).toBe(99);
    expect(await leftovers(result.runId)).toEqual([]);
  }, 300_000);

  it('freezes a node as docker pause and adds a node as a new container, then leaves nothing', async () => {
    const scenario = join(out, 'freeze-and-grow.json');
    writeFileSync(
      scenario,
      JSON.stringify({
        name: 'freeze-and-grow',
        description: 'eu-west/n1 frozen for 2 s, then a node added to us-east.',
        duration: '8s',
        topology: { regions: ['eu-west', 'us-east'] },
        workload: { users: 20, rate: 40 },
        chaos: [
          { fault: 'nodePause', name: 'freeze', node: 'eu-west/n1', at: '2s', duration: '2s' },
          { fault: 'scaleOut', name: 'grow', region: 'us-east', at: '3s' },
        ],
        thresholds: { acked_lost: ['count==0'] },
      }),
    );
    const result = await runDocker(scenario, 'freeze', []);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const { runId } = result;
    const dir = join(out, 'freeze');
    const lines = await dockerEvents(
      result.since,
      [`label=chatquake.run=${runId}`, 'type=container'],
      '{{.Action}} {{index .Actor.Attributes "chatquake.node"}}',
    );
    expect(lines).toContain('pause eu-west/n1');
    expect(lines).toContain('unpause eu-west/n1');
    // The added node is a container of its own, started on the region's network.
    expect(lines).toContain('start us-east/n2');
    expect(readFileSync(join(dir, 'logs', 'us-east-n2.log'), 'utf8')).toContain('"event":"listening"');
    expect(await leftovers(runId)).toEqual([]);
  }, 300_000);
});
