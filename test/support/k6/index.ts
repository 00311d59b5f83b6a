// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// The door of the k6 stand-in: runK6 runs a k6 script (an ES
// module) as `k6 run --out json=FILE` would, with the stand-in's k6/websockets, k6/timers,
// k6/metrics, k6/execution and k6 (check) built on `ws`, so that the suite can run generated
// k6 scripts where k6 cannot be installed. Behaviour follows k6's docs; thresholds are not
// evaluated (that is k6's job): exitCode is 0 when no VU threw, 1 otherwise (k6's own codes for
// setup/teardown timeouts, exec.test.abort() and exec.test.fail(): see runner.ts). Every run is one
// child process holding all the VUs (see main.ts for why).
import { fork } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from './runner.ts';

export type { RunResult } from './runner.ts';

export interface K6Options {
  /** The JSON output file. */
  out: string;
  /** __ENV entries on top of the environment. */
  env?: Record<string, string>;
  /** k6's --execution-segment: this run is that share of the test (see RunOptions). */
  executionSegment?: string;
  /** The whole run, init to last byte written; past it the run is killed and runK6 rejects (default 60 s). */
  timeoutMs?: number;
}

export interface K6Result extends RunResult {
  /** What the run printed (stdout then stderr), also passed through to this process's. */
  log: string;
}

const DEFAULTS = { env: {}, timeoutMs: 60_000 };
const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = resolve(here, '../../..');

export function runK6(script: string, options: K6Options): Promise<K6Result> {
  const o = { ...DEFAULTS, ...options };
  const args = JSON.stringify({
    script: resolve(script),
    out: resolve(o.out),
    env: o.env,
    executionSegment: o.executionSegment,
  });
  return new Promise<K6Result>((ok, fail) => {
    const child = fork(resolve(here, 'main.ts'), [args], {
      cwd: repoRoot,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let log = '';
    let result: RunResult | undefined;
    child.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('message', (message) => {
      result = message as RunResult;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`k6 stand-in: ${script} still running after ${o.timeoutMs} ms\n${log}`));
    }, o.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (result === undefined)
        fail(new Error(`k6 stand-in: ${script} ended (exit ${code}) without a result\n${log}`));
      else ok({ ...result, log });
    });
  });
}
