// SIGKILL of the process that started a run's children (an OOM kill, a cancelled CI job) gives
// it no chance to stop them, and they sit in their own process groups. Each child must notice
// on its own (its lifeline, stdin, reads end-of-file; its parent pid changes) and exit within a
// few seconds, leaving no port bound.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { withTimeout } from '../../lib/async.ts';
import { servicesOf } from '../e2e/helpers.ts';
import { listeningPorts, pidAlive } from './ports.ts';

const root = new URL('../../', import.meta.url).pathname;
const runDir = mkdtempSync(join(tmpdir(), 'chatquake-orphans-'));
const started: number[] = [];

afterAll(() => {
  // Only what this file started (the parent and the children its logs name), if still alive.
  for (const pid of [...started, ...servicesOf(runDir).pids]) {
    if (!pidAlive(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  rmSync(runDir, { recursive: true, force: true });
});

describe('children of a SIGKILLed parent', () => {
  it('the directory, the proxy and the node all exit within 5 s and free their ports', async () => {
    const parent = spawn(
      process.execPath,
      ['--import', 'tsx', `${root}test/harness/fixtures/orphan-parent.ts`, runDir],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    started.push(parent.pid as number);
    const lines = createInterface({ input: parent.stdout as NodeJS.ReadableStream });
    const ready = await withTimeout(
      new Promise<string>((resolve) => lines.on('line', (l) => l.includes('"ready"') && resolve(l))),
      60_000,
      'the parent starting its topology',
    );
    const { ports } = JSON.parse(ready) as { ports: number[] };
    const { pids } = servicesOf(runDir);
    expect(pids).toHaveLength(3);
    expect(pids.filter(pidAlive)).toHaveLength(3);
    expect(ports.filter((p) => listeningPorts().has(p))).toHaveLength(ports.length);

    parent.kill('SIGKILL');
    const killedAt = Date.now();
    while (pids.some(pidAlive) && Date.now() - killedAt < 5_000) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(pidAlive)).toEqual([]);
    const listening = listeningPorts();
    expect(ports.filter((p) => listening.has(p))).toEqual([]);
  });

  it('a child whose lifeline names a parent it does not have exits at once, though its stdin stays open', async () => {
    // The parent-pid check is the backstop for a lifeline pipe that does not close (a stdin
    // inherited elsewhere): here stdin is a pipe this test holds open, and the pid named is not
    // the child's parent, so only the pid check can end it.
    const child = spawn(process.execPath, [`${root}bin/chatquake.js`, 'proxy', '--port', '0'], {
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { ...process.env, CHATQUAKE_LIFELINE: String(process.ppid) },
    });
    started.push(child.pid as number);
    const t0 = Date.now();
    const [code] = (await withTimeout(once(child, 'exit'), 30_000, 'the orphaned proxy exiting')) as [
      number | null,
    ];
    // Exits by itself (code 1, not a signal), well before the 30 s bound.
    expect(code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(20_000);
    child.stdin?.destroy();
  });
});
