// A node whose log pipe has no reader any more (the harness that read its stderr was SIGKILLed)
// must exit, not spin: a failed log write used to raise EPIPE, which the uncaughtException
// handler logged to the same broken stderr, forever, at full CPU and deaf to signals.
// Here the reader is closed on purpose and the node is made to log; it must be gone within
// a few seconds, having used little CPU. Same for the directory and the proxy.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { withTimeout } from '../../lib/async.ts';
import { pidAlive } from '../harness/ports.ts';

const BIN = new URL('../../bin/chatquake.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'chatquake-log-pipe-'));
const started: ChildProcess[] = [];

afterAll(() => {
  // Only what this file started, whatever state a failure left it in.
  for (const child of started) if (child.pid !== undefined && pidAlive(child.pid)) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `chatquake ...args` with piped stdout/stderr and waits for its listening line. */
async function startListening(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CHATQUAKE_LOG_LEVEL: 'info' },
  });
  started.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await withTimeout(once(lines, 'line'), 30_000, 'listening line')) as [string];
  lines.close();
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

/** User+system CPU time of a process so far, in ms (from /proc/<pid>/stat). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the state field.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Closes the reader of the child's stdout and stderr: the next write gets EPIPE. */
function closeReaders(child: ChildProcess): void {
  child.stdout?.destroy();
  child.stderr?.destroy();
}

async function expectExitWithin(child: ChildProcess, ms: number): Promise<void> {
  const pid = child.pid as number;
  const cpuBefore = cpuMs(pid);
  const deadline = Date.now() + ms;
  while (pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const alive = pidAlive(pid);
  const spent = alive ? cpuMs(pid) - cpuBefore : 0;
  expect({ alive, spinning: spent > ms / 2 }).toEqual({ alive: false, spinning: false });
}

describe('a process whose log reader is gone', () => {
  it('a server node exits when a log write fails with EPIPE, instead of looping', async () => {
    const adminToken = 'log-pipe-admin';
    const { child, port } = await startListening([
      'server',
      '--region',
      'solo',
      '--node',
      'n1',
      '--port',
      '0',
      '--data',
      join(dir, 'n1'),
      '--secret',
      'log-pipe-secret',
      '--admin-token',
      adminToken,
    ]);
    closeReaders(child);
    // Setting the clock offset logs a warning: the first write to the broken pipe.
    const res = await fetch(`http://127.0.0.1:${port}/admin/clock`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ offsetMs: 5 }),
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(200);
    await expectExitWithin(child, 5_000);
  });

  it('the directory and the proxy exit too when they log to a broken pipe', async () => {
    const directory = await startListening(['directory', '--port', '0']);
    closeReaders(directory.child);
    // A node registering logs "node registered".
    await fetch(`http://127.0.0.1:${directory.port}/nodes/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(5_000),
    }).catch(() => undefined);
    // SIGTERM makes it log "shutting down" even if the heartbeat was refused without a log.
    directory.child.kill('SIGTERM');
    await expectExitWithin(directory.child, 5_000);

    const proxy = await startListening(['proxy', '--port', '0']);
    closeReaders(proxy.child);
    // Creating a proxy logs the change.
    await fetch(`http://127.0.0.1:${proxy.port}/proxies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'p', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' }),
      signal: AbortSignal.timeout(5_000),
    });
    await expectExitWithin(proxy.child, 5_000);
  });
});
