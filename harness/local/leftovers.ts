// What a crashed run left behind, found and cleared by the next run in the same tree. A run that
// was SIGKILLed never ran its teardown: its children end themselves (lib/lifeline.ts) unless a
// fault had paused them, and proxies it made on an external Toxiproxy stay there, faults and
// all. Its ledger (ledger.ts) says what it started. A ledger whose owner is gone and which still
// lists something is a crashed run's; each process it lists is killed only if it is provably
// the same process (same boot, start time and command line), and each proxy is removed only if
// it still points where the run pointed it. Anything else is left alone and counted.
import { type Dirent, readdirSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createToxiproxyClient } from '../../chaos/index.ts';
import { argvHash, argvOf, bootId, type LedgerFile, readLedger, sameProcess, writeLedger } from './ledger.ts';

/** Default bound on the sub-folders looked at in each search folder (the newest by name). */
export const DEFAULT_MAX_FOLDERS = 1000;
/** Default bound on the wait for killed processes to be gone. */
export const DEFAULT_KILL_WAIT_MS = 3_000;
/** Default bound on each call to an external Toxiproxy. */
export const DEFAULT_TOXIPROXY_TIMEOUT_MS = 3_000;

export interface LeftoverOptions {
  /** Folders whose sub-folders may be run folders: the new run's parent, <cwd>/runs. */
  searchDirs: string[];
  /** Written into each cleared ledger: the run that cleared it. */
  clearedBy: string;
  maxFolders?: number;
  killWaitMs?: number;
  toxiproxyTimeoutMs?: number;
}

export interface ClearedRun {
  runDir: string;
  killed: number;
  proxiesRemoved: number;
  toxiproxyUrl: string | undefined;
  /** Recorded pids or proxy names that now belong to something else: left alone. */
  notOurs: number;
  problems: string[];
}

interface Settled {
  killWaitMs: number;
  toxiproxyTimeoutMs: number;
  clearedBy: string;
}

export async function clearLeftovers(options: LeftoverOptions): Promise<ClearedRun[]> {
  const settled: Settled = {
    killWaitMs: options.killWaitMs ?? DEFAULT_KILL_WAIT_MS,
    toxiproxyTimeoutMs: options.toxiproxyTimeoutMs ?? DEFAULT_TOXIPROXY_TIMEOUT_MS,
    clearedBy: options.clearedBy,
  };
  const cleared: ClearedRun[] = [];
  for (const runDir of candidateDirs(options.searchDirs, options.maxFolders ?? DEFAULT_MAX_FOLDERS)) {
    const ledger = readLedger(runDir);
    if (typeof ledger === 'string' || !isCrashed(ledger)) continue;
    const result = await clearOne(runDir, ledger, settled);
    // Children that ended themselves leave nothing to say.
    if (result.killed + result.proxiesRemoved + result.notOurs + result.problems.length > 0)
      cleared.push(result);
  }
  return cleared;
}

/** A crashed run's ledger: its owner is gone and it still lists something. */
export function isCrashed(ledger: LedgerFile): boolean {
  if (sameProcess(ledger.owner) || unprovablyAlive(ledger.owner.pid, ledger.owner.bootId)) return false;
  return ledger.processes.length > 0 || ledger.proxies.length > 0;
}

/**
 * Without /proc (or for an owner recorded without it) a live pid may or may not be the owner:
 * taken as alive, so a run that may still be going is never cleared.
 */
function unprovablyAlive(pid: number, ownerBoot: string): boolean {
  if (bootId() !== undefined && ownerBoot !== 'unknown') return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function candidateDirs(searchDirs: string[], maxFolders: number): string[] {
  const seen = new Set<string>();
  const dirs: string[] = [];
  for (const base of searchDirs) {
    let entries: Dirent[];
    try {
      entries = readdirSync(base, { withFileTypes: true });
    } catch {
      continue;
    }
    const names = entries
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
      .map((e) => e.name)
      .sort()
      .reverse()
      .slice(0, maxFolders);
    for (const name of names) {
      let real: string;
      try {
        real = realpathSync(join(base, name));
      } catch {
        continue;
      }
      if (seen.has(real)) continue;
      seen.add(real);
      dirs.push(real);
    }
  }
  return dirs;
}

async function clearOne(runDir: string, ledger: LedgerFile, settled: Settled): Promise<ClearedRun> {
  const result: ClearedRun = {
    runDir,
    killed: 0,
    proxiesRemoved: 0,
    toxiproxyUrl: undefined,
    notOurs: 0,
    problems: [],
  };
  await killProcesses(ledger, result, settled.killWaitMs);
  const remaining = await removeProxies(ledger, result, settled.toxiproxyTimeoutMs);
  try {
    // The run did not finish: `finished` stays false; what could not be removed stays listed.
    writeLedger(runDir, {
      ...ledger,
      processes: [],
      proxies: remaining,
      faults: ledger.faults.filter((f) => remaining.some((p) => p.name === f.proxy)),
      clearedBy: settled.clearedBy,
    });
  } catch (error) {
    result.problems.push(`could not update ${runDir}: ${(error as Error).message}`);
  }
  return result;
}

async function killProcesses(ledger: LedgerFile, result: ClearedRun, waitMs: number): Promise<void> {
  const killed: NonNullable<LedgerFile['processes'][number]['identity']>[] = [];
  for (const entry of ledger.processes) {
    const identity = entry.identity;
    // Recorded but never spawned, or spawned and gone: nothing to do.
    if (identity === undefined || !sameProcess(identity)) continue;
    const argv = argvOf(identity.pid);
    const ours =
      identity.pid !== process.pid &&
      identity.pid !== process.ppid &&
      argv !== undefined &&
      argvHash(argv) === entry.argvSha256;
    if (!ours) {
      result.notOurs++;
      continue;
    }
    for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
      try {
        process.kill(identity.pid, signal);
      } catch {
        // Gone meanwhile.
      }
    }
    killed.push(identity);
    result.killed++;
  }
  const deadline = Date.now() + waitMs;
  while (killed.some(sameProcess) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const survivors = killed.filter(sameProcess).map((i) => i.pid);
  if (survivors.length > 0) result.problems.push(`pids ${survivors.join(', ')} did not exit after SIGKILL`);
}

/** Removes the run's proxies from its external Toxiproxy; returns those it could not. */
async function removeProxies(
  ledger: LedgerFile,
  result: ClearedRun,
  timeoutMs: number,
): Promise<LedgerFile['proxies']> {
  const toxiproxy = ledger.toxiproxy;
  if (toxiproxy === null || !toxiproxy.external || ledger.proxies.length === 0) return [];
  result.toxiproxyUrl = toxiproxy.url;
  const client = createToxiproxyClient(toxiproxy.url, { timeoutMs });
  let current: Awaited<ReturnType<typeof client.listProxies>>;
  try {
    current = await client.listProxies();
  } catch (error) {
    result.problems.push(`could not reach the Toxiproxy at ${toxiproxy.url}: ${(error as Error).message}`);
    return ledger.proxies;
  }
  const remaining: LedgerFile['proxies'] = [];
  for (const proxy of ledger.proxies) {
    const found = current[proxy.name];
    if (found === undefined) continue;
    const same =
      found.upstream === proxy.upstream && (proxy.listen === undefined || found.listen === proxy.listen);
    if (!same) {
      // Another run made a proxy of that name since: not ours to touch.
      result.notOurs++;
      continue;
    }
    try {
      await client.deleteProxy(proxy.name);
      result.proxiesRemoved++;
    } catch (error) {
      if ((error as { status?: number }).status === 404) continue;
      result.problems.push((error as Error).message);
      remaining.push(proxy);
    }
  }
  return remaining;
}

/** One line for the run's output, or undefined when nothing was found. */
export function describeCleared(cleared: ClearedRun[], cwd: string): string | undefined {
  if (cleared.length === 0) return undefined;
  const shown = cleared.map((c) => {
    const path = relative(cwd, c.runDir) || '.';
    return path.startsWith('..') ? c.runDir : path;
  });
  const folders =
    shown.length > 3 ? `${shown.slice(0, 3).join(', ')} and ${shown.length - 3} more` : shown.join(', ');
  const sum = (pick: (c: ClearedRun) => number) => cleared.reduce((n, c) => n + pick(c), 0);
  const urls = [...new Set(cleared.flatMap((c) => (c.toxiproxyUrl === undefined ? [] : [c.toxiproxyUrl])))];
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const parts = [
    `${count(
      sum((c) => c.killed),
      'process',
      'processes',
    )} killed`,
  ];
  if (urls.length > 0)
    parts.push(
      `${count(
        sum((c) => c.proxiesRemoved),
        'proxy',
        'proxies',
      )} removed from ${urls.join(', ')}`,
    );
  const notOurs = sum((c) => c.notOurs);
  if (notOurs > 0) parts.push(`${notOurs} recorded pids or proxies now belong to something else, left alone`);
  const problems = cleared.flatMap((c) => c.problems);
  if (problems.length > 0) parts.push(`not cleared: ${problems.join('; ')}`);
  const runs = cleared.length === 1 ? 'a crashed run' : `${cleared.length} crashed runs`;
  return `chatquake: cleared what ${runs} left behind (${folders}): ${parts.join(', ')}`;
}
