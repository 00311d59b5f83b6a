import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHistorySync } from '../../load/reader.ts';

const CHILD = fileURLToPath(new URL('./fixtures/record-child.ts', import.meta.url));
let dir: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chatquake-crash-'));
});
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function start(path: string, mode: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** The events must be exactly 0..k-1: nothing reordered, duplicated or missing in between. */
function expectPrefix(path: string): number {
  const read = readHistorySync(path);
  expect(read.invalidLines).toEqual([]);
  read.events.forEach((e, i) => {
    expect(e.t).toBe(i);
  });
  return read.events.length;
}

describe('history survives a crash of the harness', () => {
  it('keeps every flushed batch of a SIGKILLed recorder', async () => {
    const path = join(dir, 'killed.jsonl');
    const child = start(path, 'kill');
    let lastFlushed = 0;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('child never reported 50k flushed events')), 60_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const reports = [...out.matchAll(/flushed (\d+)\n/g)];
        const last = reports[reports.length - 1];
        if (last) lastFlushed = Number(last[1]);
        if (lastFlushed >= 50_000) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (lastFlushed < 50_000) reject(new Error(`child exited early with ${code}`));
      });
    });
    const { signal } = await exited(child);
    expect(signal).toBe('SIGKILL');
    const onDisk = expectPrefix(path);
    expect(onDisk).toBeGreaterThanOrEqual(lastFlushed);
  });

  it('flushes the buffer when the process exits without closing the recorder', async () => {
    const path = join(dir, 'exit.jsonl');
    const { code } = await exited(start(path, 'exit'));
    expect(code).toBe(0);
    expect(expectPrefix(path)).toBe(1234);
  });

  it('flushes the buffer when the process dies of an uncaught exception', async () => {
    const path = join(dir, 'throw.jsonl');
    const child = start(path, 'throw');
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const { code } = await exited(child);
    expect(code).not.toBe(0);
    expect(err).toContain('boom');
    expect(expectPrefix(path)).toBe(777);
  });
});
