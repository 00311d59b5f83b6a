import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const started: number[] = [];

/** Alive and not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
const stateOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] as string;
};

interface ApiProxy {
  name: string;
  enabled: boolean;
  toxics: { name: string }[];
}

afterAll(() => {
  // Only the processes this file started, whatever state a failure left them in.
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

function spawnTs(script: string, args: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', `${root}${script}`, ...args], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child.pid as number);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) w();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const waitFor = async (predicate: (line: string) => boolean, ms: number): Promise<string> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = lines.find(predicate);
      if (hit !== undefined) return hit;
      if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null)
        throw new Error(`no matching line within ${ms}ms; stdout: ${lines.join('\n')}; stderr: ${stderr}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return { child, lines, waitFor, exited, stderr: () => stderr };
}

describe('a run interrupted with SIGINT', () => {
  it('leaves no fault applied and no process behind', async () => {
    const run = spawnTs('test/chaos/fixtures/sigint-child.ts');
    const ready = JSON.parse(await run.waitFor((l) => l.includes('"ready"'), 60_000)) as {
      url: string;
      proxyPid: number;
      nodePids: Record<string, number>;
    };
    started.push(ready.proxyPid, ...Object.values(ready.nodePids));
    await run.waitFor((l) => l.includes('"applied"'), 30_000);

    // The faults are really there before the interrupt.
    const before = (await (await fetch(`${ready.url}/proxies`)).json()) as Record<string, ApiProxy>;
    expect(
      Object.values(before)
        .filter((p) => !p.enabled)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['dir:eu/n1', 'link:eu->us/n1', 'link:us->eu/n1']);
    expect(before['edge:clients->us/n1']?.toxics.map((t) => t.name)).toEqual([
      'f2-latency_latency_downstream',
    ]);
    const paused = ready.nodePids['us/n1'] as number;
    expect(stateOf(paused)).toBe('T');

    // Ctrl-C: SIGINT to the run's whole process group.
    process.kill(-(run.child.pid as number), 'SIGINT');
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
    const [code, signal] = await run.exited;
    clearTimeout(timer);
    // It healed, then ended the way an interrupted process does: by the signal.
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGINT' });
    expect(run.stderr()).toContain('SIGINT received, healing every fault before exit');

    const after = (await (await fetch(`${ready.url}/proxies`)).json()) as Record<string, ApiProxy>;
    expect(Object.keys(after)).toHaveLength(6);
    for (const p of Object.values(after)) {
      expect(p.enabled, p.name).toBe(true);
      expect(p.toxics, p.name).toEqual([]);
    }
    // The paused node was resumed, so its SIGTERM could end it; nothing the run started lives on.
    for (const pid of [run.child.pid as number, ...Object.values(ready.nodePids)]) {
      await expect.poll(() => running(pid), { timeout: 10_000 }).toBe(false);
    }

    // The proxy outlived the run on purpose (it stands for an external Toxiproxy); stop it.
    process.kill(ready.proxyPid, 'SIGTERM');
    await expect.poll(() => running(ready.proxyPid), { timeout: 10_000 }).toBe(false);
  });
});

describe('installHealOnSignal', () => {
  it('bounds a heal that hangs, then exits by the signal', async () => {
    const run = spawnTs('test/chaos/fixtures/heal-child.ts', ['hang']);
    await run.waitFor((l) => l === 'installed', 30_000);
    const t0 = Date.now();
    process.kill(run.child.pid as number, 'SIGTERM');
    const [code, signal] = await run.exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(run.stderr()).toContain('heal did not finish within 300ms, exiting anyway');
  });

  it('composes with another cleanup: both run, the last one re-raises', async () => {
    const run = spawnTs('test/chaos/fixtures/heal-child.ts', ['compose']);
    await run.waitFor((l) => l === 'installed', 30_000);
    process.kill(run.child.pid as number, 'SIGINT');
    const [code, signal] = await run.exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGINT' });
    expect(run.lines).toEqual(['installed', 'heal start', 'other start', 'heal done', 'other done']);
  });

  it('runs the heal once, and a second signal exits at once', async () => {
    const run = spawnTs('test/chaos/fixtures/heal-child.ts', ['twice']);
    await run.waitFor((l) => l === 'installed', 30_000);
    process.kill(run.child.pid as number, 'SIGINT');
    await run.waitFor((l) => l === 'heal start', 10_000);
    process.kill(run.child.pid as number, 'SIGINT');
    const [code, signal] = await run.exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGINT' });
    expect(run.lines.filter((l) => l === 'heal start')).toHaveLength(1);
    expect(run.stderr()).toContain('second SIGINT, exiting without waiting for the heal');
  });

  it('uninstalls: once removed, the signal has its default effect', async () => {
    const run = spawnTs('test/chaos/fixtures/heal-child.ts', ['uninstall']);
    await run.waitFor((l) => l === 'installed', 30_000);
    process.kill(run.child.pid as number, 'SIGTERM');
    const [code, signal] = await run.exited;
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(run.lines).toEqual(['installed']);
  });
});
