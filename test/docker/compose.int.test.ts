// docker-compose.yml end to end, with Debian's docker-compose (v1): the file passes `config`, and
// `up` of the harness service (with the project image built the way this machine can, standing in
// for Toxiproxy's image too) brings the three clouds up and runs a shortened region-outage
// against them: it passes, the outage is a SIGKILL of the region's node container, the node runs
// again afterwards, and the results land in CHATQUAKE_RESULTS on the host. The compose file's
// Prometheus (Debian's binary in an image made here) scraped every node, the proxy and the
// harness, and saw the fault. `down -v` then leaves no container, network or volume of the project.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../harness/local/topology.ts';
import {
  docker,
  dockerEvents,
  dockerSuite,
  prometheusImage,
  runCommand,
  testImage,
} from '../support/docker.ts';

const suite = dockerSuite('docker-compose.yml');
let IMAGE = '';
const PROMETHEUS = `chatquake-test-prometheus:${process.pid}`;
const PROJECT = `chatquake-compose-test-${process.pid}`;
let results = '';
let env: NodeJS.ProcessEnv = {};

const exec = (cmd: string, args: string[], timeoutMs: number, extraEnv: NodeJS.ProcessEnv = {}) =>
  runCommand(cmd, args, { timeoutMs, env: { ...process.env, ...env, ...extraEnv } });

const compose = (args: string[], timeoutMs = 120_000, extraEnv: NodeJS.ProcessEnv = {}) =>
  exec('docker-compose', ['-p', PROJECT, ...args], timeoutMs, extraEnv);

/** Everything that carries the project's label, on every kind of object. */
async function projectObjects(): Promise<string[]> {
  const filter = `label=com.docker.compose.project=${PROJECT}`;
  const lists = await Promise.all([
    docker(['ps', '-aq', '--filter', filter]),
    docker(['network', 'ls', '-q', '--filter', filter]),
    docker(['volume', 'ls', '-q', '--filter', filter]),
  ]);
  return lists.flatMap((r) => r.stdout.split('\n').filter((l) => l.trim() !== ''));
}

/** An instant query on the compose Prometheus, as job → value; waits for it to answer. */
async function promQuery(query: string): Promise<Record<string, number>> {
  const url = `http://127.0.0.1:${env.PROMETHEUS_PORT}/api/v1/query?${new URLSearchParams({ query })}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const body = (await (await fetch(url, { signal: AbortSignal.timeout(5000) })).json()) as {
        data: { result: { metric: { job?: string }; value: [number, string] }[] };
      };
      return Object.fromEntries(body.data.result.map((r) => [r.metric.job ?? '', Number(r.value[1])]));
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

describe.skipIf(suite.skip)(suite.name, () => {
  beforeAll(async () => {
    IMAGE = await testImage();
    results = mkdtempSync(join(tmpdir(), 'chatquake-compose-'));
    env = {
      CHATQUAKE_IMAGE: IMAGE,
      TOXIPROXY_IMAGE: IMAGE,
      PROMETHEUS_IMAGE: await prometheusImage(PROMETHEUS),
      PROMETHEUS_PORT: String(await freePort('127.0.0.1')),
      CHATQUAKE_RESULTS: results,
      TOXIPROXY_PORT: String(await freePort('127.0.0.1')),
      CHATQUAKE_RUN_FLAGS: '--duration 15s --seed 1 --quiet',
    };
  }, 330_000);

  afterAll(async () => {
    await compose(['down', '-v', '--remove-orphans']);
    await docker(['rmi', '-f', PROMETHEUS]);
    // The harness wrote as root; the folder is ours to remove.
    if (results !== '') rmSync(results, { recursive: true, force: true });
  }, 120_000);

  it('passes docker-compose config (Toxiproxy by default, or the one variable switched) and promtool', async () => {
    const plain = await exec('docker-compose', ['config'], 60_000, {
      TOXIPROXY_IMAGE: '',
      CHATQUAKE_IMAGE: '',
    });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('image: ghcr.io/shopify/toxiproxy:2.12.0');
    const switched = await exec('docker-compose', ['config'], 60_000);
    expect(switched.code, switched.stderr).toBe(0);
    expect(switched.stdout).not.toContain('ghcr.io/shopify/toxiproxy');
    expect(switched.stdout).toContain(`image: ${IMAGE}`);
    // Prometheus's own checker accepts the scrape configuration the prometheus service mounts.
    const promtool = await exec('promtool', ['check', 'config', 'compose/prometheus.yml'], 60_000);
    expect(promtool.code, promtool.stdout + promtool.stderr).toBe(0);
  }, 120_000);

  it('brings the clouds up and runs region-outage through the harness service', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const prometheus = await compose(['up', '-d', 'prometheus']);
    expect(prometheus.code, prometheus.stderr).toBe(0);
    const up = await compose(['up', '--exit-code-from', 'harness', 'harness'], 300_000);
    expect(up.code, `${up.stdout.slice(-4000)}\n${up.stderr.slice(-2000)}`).toBe(0);
    expect(up.stdout).toContain('PASSED (exit 0)');

    // The results are on the host, in the folder the variable named.
    const runs = readdirSync(join(results, 'runs'));
    expect(runs).toHaveLength(1);
    const runDir = join(results, 'runs', runs[0] as string);
    const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { exitCode?: number };
    expect(readdirSync(runDir)).toEqual(
      expect.arrayContaining(['report.html', 'junit.xml', 'history.jsonl']),
    );
    expect(summary.exitCode).toBe(0);
    // The run's ids carry its own prefix, so that a second run against the same nodes starts clean.
    const first = JSON.parse(readFileSync(join(runDir, 'history.jsonl'), 'utf8').split('\n')[1] as string);
    expect(JSON.stringify(first)).toMatch(/"r[0-9a-f]{6}\./);

    // The outage killed a node container with SIGKILL; the heal started the same container again.
    const events = await dockerEvents(
      since,
      [`label=com.docker.compose.project=${PROJECT}`, 'event=kill'],
      '{{.Actor.Attributes.name}} {{.Actor.Attributes.signal}}',
    );
    const kills = events.filter((l) => / 9$/.test(l));
    expect(kills.length, events.join('\n')).toBeGreaterThan(0);
    const killed = (kills[0] as string).split(' ')[0] as string;
    expect(killed).toMatch(/-n1_1$/);
    const state = await docker(['inspect', '-f', '{{.State.Running}} {{.State.Paused}}', killed]);
    expect(state.stdout.trim()).toBe('true false');

    // The compose Prometheus scraped every node, the proxy and the harness, and saw the outage.
    // (--exit-code-from stopped it with the harness; its data lives in its container.)
    expect((await compose(['start', 'prometheus'])).code).toBe(0);
    expect(await promQuery('max by (job) (max_over_time(up[10m]))')).toEqual({
      chatquake: 1,
      'chatquake-node': 1,
      'chatquake-proxy': 1,
    });
    expect(await promQuery('count by (job) (max_over_time(up[10m]))')).toMatchObject({ 'chatquake-node': 3 });
    const faults = await promQuery('max by (job) (max_over_time(chatquake_fault_active[10m]))');
    expect(faults).toEqual({ chatquake: 1 });
  }, 360_000);

  it('down -v leaves no container, network or volume of the project', async () => {
    const down = await compose(['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    expect(await projectObjects()).toEqual([]);
  }, 120_000);
});
