// Running the real CLI as a child, and reading back what a run folder says about the processes
// and ports it used, so tests can prove that nothing outlived the run.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/chatquake.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Resolves once stdout+stderr contain the text. */
  waitFor(text: string | RegExp, timeoutMs: number): Promise<void>;
  /** stdout and stderr so far. */
  output(): string;
}

export function startCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): CliRun {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: '1', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  const waiters: { test: (s: string) => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.test(stdout + stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    check();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    check();
  });
  const timeoutMs = options.timeoutMs ?? 180_000;
  const done = new Promise<CliResult>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    done,
    output: () => stdout + stderr,
    waitFor(text, waitMs) {
      const test = (s: string) => (typeof text === 'string' ? s.includes(text) : text.test(s));
      if (test(stdout + stderr)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no "${String(text)}" within ${waitMs} ms; output so far:\n${stdout}${stderr}`)),
          waitMs,
        );
        waiters.push({
          test,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return startCli(args, options).done;
}

/**
 * Every process a run started (from the `# <time> pid N chatquake ...` header of each log) and
 * every port its services reported listening on (their ready lines and the proxy's log).
 */
export function servicesOf(runDir: string): { pids: number[]; ports: number[] } {
  const logs = join(runDir, 'logs');
  const pids = new Set<number>();
  const ports = new Set<number>();
  if (!existsSync(logs)) return { pids: [], ports: [] };
  for (const file of readdirSync(logs)) {
    const text = readFileSync(join(logs, file), 'utf8');
    for (const m of text.matchAll(/^# \S+ pid (\d+) chatquake/gm)) pids.add(Number(m[1]));
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const event = JSON.parse(line) as { event?: string; port?: unknown; listen?: unknown };
        if (event.event === 'listening' && typeof event.port === 'number') ports.add(event.port);
        if (typeof event.listen === 'string')
          ports.add(Number(event.listen.slice(event.listen.lastIndexOf(':') + 1)));
      } catch {
        // A log line that is not JSON.
      }
    }
  }
  return { pids: [...pids], ports: [...ports].filter((p) => p > 0) };
}
