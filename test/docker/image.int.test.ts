// The project image, built the way this machine can (scripts/docker-host-image.sh: a base image
// FROM scratch with the host's Node, then the Dockerfile with DEPS=host), used in each of its
// roles: the CLI, a server node reached from the host through a published port, and the harness
// running a whole scenario inside the container and passing its verdict out as the exit code.
// Every container is labelled with this file's run id and none is left at the end.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, dockerSuite, labelledContainers, removeLabelled, testImage } from '../support/docker.ts';

const suite = dockerSuite('the project image');
const LABEL = `chatquake.test=image-${process.pid}`;
const SECRET = 'image-test-secret-0123456789';
const ADMIN = 'image-test-admin-0123456789';
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

let image = '';
let results = '';

/** The host port Docker published for a container port. */
async function publishedPort(id: string, port: number): Promise<number> {
  const mapped = (await docker(['port', id, `${port}/tcp`])).stdout.split('\n')[0] ?? '';
  const host = Number(mapped.slice(mapped.lastIndexOf(':') + 1));
  expect(host).toBeGreaterThan(0);
  return host;
}

function fetchJson(url: string): Promise<unknown> {
  return fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => (r.ok ? r.json() : undefined));
}

/** The first answer within 15 s (a container takes a moment to listen), or undefined. */
async function poll(read: () => Promise<unknown>): Promise<unknown> {
  for (let i = 0; i < 60; i++) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

function run(args: string[], timeoutMs = 120_000) {
  return docker(['run', '--rm', '--label', LABEL, ...args], { timeoutMs });
}

describe.skipIf(suite.skip)(suite.name, () => {
  beforeAll(async () => {
    image = await testImage();
    results = mkdtempSync(join(tmpdir(), 'chatquake-image-'));
  }, 300_000);

  afterAll(async () => {
    await removeLabelled(LABEL);
    expect(await labelledContainers(LABEL)).toEqual([]);
    if (results !== '') rmSync(results, { recursive: true, force: true });
  }, 60_000);

  it('runs the CLI as its entry point', async () => {
    const version = await run([image, '--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(`chatquake ${pkg.version}`);
    const help = await run([image]);
    expect(help.stdout).toContain('Usage: chatquake <command>');
  });

  it('serves a node the host reaches through a published port, and stops it cleanly', async () => {
    const started = await docker([
      'run',
      '-d',
      '--label',
      LABEL,
      '-p',
      '127.0.0.1::8080',
      image,
      'server',
      '--region',
      'eu-west',
      '--node',
      'n1',
      '--port',
      '8080',
      '--host',
      '0.0.0.0',
      '--data',
      '/data',
      '--secret',
      SECRET,
      '--admin-token',
      ADMIN,
    ]);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    const port = await publishedPort(id, 8080);
    const health = await poll(() => fetchJson(`http://127.0.0.1:${port}/healthz`));
    expect(health).toMatchObject({ status: 'ok', nodeId: 'eu-west/n1' });
    // docker stop sends SIGTERM to the node, which closes and exits 0.
    expect((await docker(['stop', '-t', '10', id])).code).toBe(0);
    const exit = await docker(['inspect', '-f', '{{.State.ExitCode}}', id]);
    expect(exit.stdout.trim()).toBe('0');
  });

  it("stands in for Toxiproxy's image: /toxiproxy with Toxiproxy's flags and config file", async () => {
    const config = join(results, 'toxiproxy.json');
    writeFileSync(
      config,
      JSON.stringify([{ name: 'redis', listen: '0.0.0.0:26379', upstream: '127.0.0.1:6379', enabled: true }]),
    );
    const started = await docker([
      'run',
      '-d',
      '--label',
      LABEL,
      '-p',
      '127.0.0.1::8474',
      '-v',
      `${config}:/config/toxiproxy.json:ro`,
      '--entrypoint',
      '/toxiproxy',
      image,
      '-host=0.0.0.0',
      '-config=/config/toxiproxy.json',
    ]);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    const port = await publishedPort(id, 8474);
    const proxies = await poll(() => fetchJson(`http://127.0.0.1:${port}/proxies`));
    expect(proxies).toMatchObject({ redis: { listen: '0.0.0.0:26379', enabled: true } });
    expect((await docker(['stop', '-t', '10', id])).code).toBe(0);
    expect((await docker(['inspect', '-f', '{{.State.ExitCode}}', id])).stdout.trim()).toBe('0');
  });

  it('runs a whole scenario as the harness, results on a mounted folder, exit 0', async () => {
    const result = await run(
      [
        '-v',
        `${results}:/results`,
        image,
        'run',
        'steady-state',
        '--seed',
        '1',
        '-d',
        '5s',
        '--quiet',
        '--out',
        '/results/pass',
      ],
      180_000,
    );
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(results, 'pass/summary.json'), 'utf8')) as {
      exitCode: number;
      load: { acked: number };
    };
    expect(summary.exitCode).toBe(0);
    expect(summary.load.acked).toBeGreaterThan(0);
  });

  it("runs the team's own scenario file and passes a failed threshold out as exit 99", async () => {
    // A scenario of the user's, as data, mounted into the container: a latency threshold no
    // run can meet, so the verdict is certain whatever the machine's speed.
    writeFileSync(
      join(results, 'strict.json'),
      JSON.stringify({
        name: 'strict',
        description: 'steady load under a threshold nothing meets',
        duration: '5s',
        workload: { users: 20, rate: 20 },
        thresholds: { delivery_latency_ms: ['p(99)<0.001'] },
      }),
    );
    const result = await run(
      [
        '-v',
        `${results}:/results`,
        image,
        'run',
        '/results/strict.json',
        '--seed',
        '1',
        '--quiet',
        '--out',
        '/results/bug',
      ],
      180_000,
    );
    expect(result.code, result.stdout + result.stderr).toBe(99);
    const summary = JSON.parse(readFileSync(join(results, 'bug/summary.json'), 'utf8')) as {
      exitCode: number;
      verdict: string;
    };
    expect(summary.exitCode).toBe(99);
    expect(summary.verdict).toContain('delivery_latency_ms');
  });

  it('refuses an unknown DEPS build argument, naming the choices', async () => {
    const result = await docker(
      ['build', '-q', '--force-rm', '--build-arg', `NODE_IMAGE=${image}`, '--build-arg', 'DEPS=bogus', '.'],
      { timeoutMs: 120_000 },
    );
    // The failed build's layers inherit the base image's label; remove them with it.
    await docker([
      'image',
      'prune',
      '-f',
      '--filter',
      'dangling=true',
      '--filter',
      'label=chatquake.image=host',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('DEPS must be install or host, not "bogus"');
  });
});
