// Docker for the container tests: whether an engine answers, a promise-based `docker` call, and
// removal of everything a test labelled, so each test can prove it left no container behind.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** True when `docker info` reaches an engine (CI starts one; see .ci/run). */
export function dockerAvailable(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * The name of a container suite: in CI an engine is required, so the suite runs (and fails if
 * there is none); elsewhere, without an engine, it is skipped and its name says why.
 */
export function dockerSuite(name: string): { name: string; skip: boolean } {
  if (process.env.CI === 'true' || dockerAvailable()) return { name, skip: false };
  return {
    name: `${name} (skipped: no Docker engine answers \`docker info\`; .ci/run starts one)`,
    skip: true,
  };
}

/** Runs a command to its end; never rejects: a failure is its exit code (1 when it has none). */
export function runCommand(
  cmd: string,
  args: string[],
  options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<DockerResult> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        timeout: options.timeoutMs ?? 120_000,
        cwd: options.cwd,
        env: options.env,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

export function docker(
  args: string[],
  options: { timeoutMs?: number; cwd?: string } = {},
): Promise<DockerResult> {
  return runCommand('docker', args, options);
}

/** Ids of containers (running or not) carrying the label `key=value`. */
export async function labelledContainers(label: string): Promise<string[]> {
  const result = await docker(['ps', '-aq', '--filter', `label=${label}`]);
  return result.stdout.split('\n').filter((line) => line.trim() !== '');
}

/** Force-removes every container with the label, and their anonymous volumes. */
export async function removeLabelled(label: string): Promise<void> {
  const ids = await labelledContainers(label);
  if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids]);
}

/** The engine's events since a Unix time (s) until now, matching every filter, one formatted line each. */
export async function dockerEvents(since: number, filters: string[], format: string): Promise<string[]> {
  const until = String(Math.floor(Date.now() / 1000));
  const args = ['events', '--since', String(since), '--until', until, '--format', format];
  for (const filter of filters) args.push('--filter', filter);
  const result = await docker(args);
  return result.stdout.split('\n').filter((line) => line.trim() !== '');
}

/** The project image the container tests share within one `vitest run` (see docker-images.ts). */
export function testImageTag(): string {
  return `chatquake:test-run-${process.env.CHATQUAKE_TEST_RUN ?? process.ppid}`;
}

/**
 * The project image, built the way this machine can (scripts/docker-host-image.sh) by the first
 * container test that asks and reused by the others; the global teardown removes it.
 */
export async function testImage(): Promise<string> {
  const tag = testImageTag();
  if ((await docker(['image', 'inspect', tag])).code === 0) return tag;
  const built = await runCommand('bash', ['scripts/docker-host-image.sh', tag], { timeoutMs: 300_000 });
  if (built.code !== 0) throw new Error(`image build failed: ${built.stderr}`);
  return tag;
}

/**
 * A Prometheus image made here, since none can be pulled: FROM scratch with Debian's prometheus
 * binary and the C library it links, for the compose topology's prometheus service. Removed by
 * the caller.
 */
export async function prometheusImage(tag: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'chatquake-prom-image-'));
  try {
    const files = ['/usr/bin/prometheus', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'];
    for (const file of files) {
      mkdirSync(join(dir, 'root', dirname(file)), { recursive: true });
      copyFileSync(file, join(dir, 'root', file));
    }
    mkdirSync(join(dir, 'root', 'prometheus'));
    writeFileSync(
      join(dir, 'Dockerfile'),
      'FROM scratch\nCOPY root/ /\nWORKDIR /prometheus\nENTRYPOINT ["/usr/bin/prometheus"]\nCMD ["--config.file=/etc/prometheus/prometheus.yml"]\n',
    );
    const built = await docker(['build', '-q', '-t', tag, dir], { timeoutMs: 180_000 });
    if (built.code !== 0) throw new Error(`prometheus image build failed: ${built.stderr}`);
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
