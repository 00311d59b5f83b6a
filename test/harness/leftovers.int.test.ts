// The next run clears what a crashed run left, and nothing else. Each case writes the crashed
// run's ledger (started.json) by hand around real processes and a real fault proxy standing for
// a shared Toxiproxy: a paused node of the crashed run is killed; a pid that is alive but not
// provably the recorded process (another command line, another start time) is left alone, as
// is everything of a run whose owner still lives, and a proxy that another run has made since
// under the same name.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToxiproxyClient, type ToxiproxyClient } from '../../chaos/backends/toxiproxy.ts';
import { createCleanupRegistry } from '../../harness/local/cleanup.ts';
import {
  argvHash,
  identityOf,
  LEDGER_FILE,
  type LedgerFile,
  readLedger,
  writeLedger,
} from '../../harness/local/ledger.ts';
import { clearLeftovers, describeCleared } from '../../harness/local/leftovers.ts';
import { readyPort, startService } from '../../harness/local/processes.ts';
import { pidAlive } from './ports.ts';

const base = mkdtempSync(join(tmpdir(), 'chatquake-leftovers-'));
const registry = createCleanupRegistry();
const spawned: ChildProcess[] = [];
let url: string;
let api: ToxiproxyClient;

/** A long-lived process standing for a run's child, with the argv /proc will show. */
function sleeper(tag: string): { child: ChildProcess; argv: string[] } {
  const argv = [process.execPath, '-e', `setInterval(() => {}, 1000) /* ${tag} */`];
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' });
  spawned.push(child);
  return { child, argv };
}

async function waitForIdentity(pid: number) {
  for (let i = 0; i < 100; i++) {
    const identity = identityOf(pid);
    // Until exec, /proc shows this process's command line: wait for the child's own.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (identity !== undefined && cmdline.includes('setInterval')) return identity;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no identity for ${pid}`);
}

/** The identity of a process that has exited: a dead owner. */
async function deadOwner() {
  const { child } = sleeper('owner');
  const identity = await waitForIdentity(child.pid as number);
  child.kill('SIGKILL');
  await once(child, 'exit');
  return identity;
}

function ledgerIn(name: string, fields: Partial<LedgerFile> & Pick<LedgerFile, 'owner'>): string {
  const dir = join(base, 'runs', name);
  mkdirSync(dir, { recursive: true });
  writeLedger(dir, {
    schemaVersion: 1,
    runId: name,
    finished: false,
    toxiproxy: null,
    processes: [],
    proxies: [],
    faults: [],
    ...fields,
  });
  return dir;
}

beforeAll(async () => {
  const external = await startService({
    name: 'shared-toxiproxy',
    args: ['proxy', '--host', '127.0.0.1', '--port', '0'],
    logFile: join(base, 'shared-toxiproxy.log'),
    registry,
  });
  url = `http://127.0.0.1:${readyPort(external)}`;
  api = createToxiproxyClient(url);
});

afterAll(async () => {
  for (const child of spawned)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await registry.run();
  rmSync(base, { recursive: true, force: true });
});

describe('clearing a crashed run', () => {
  it('kills its paused process and removes its proxies, leaves what is not provably its own, and says so', async () => {
    const owner = await deadOwner();
    const paused = sleeper('paused node');
    const pausedIdentity = await waitForIdentity(paused.child.pid as number);
    process.kill(paused.child.pid as number, 'SIGSTOP');
    const otherCommand = sleeper('reused pid');
    const otherIdentity = await waitForIdentity(otherCommand.child.pid as number);
    const laterStart = sleeper('later start');
    const laterIdentity = await waitForIdentity(laterStart.child.pid as number);

    const ours = await api.createProxy({
      name: 'edge:clients->eu-west.n1',
      listen: '127.0.0.1:0',
      upstream: '127.0.1.11:40001',
    });
    await api.setEnabled(ours.name, false);
    // Made since by another run under a name the crashed run also used: another upstream.
    await api.createProxy({ name: 'dir:eu-west.n1', listen: '127.0.0.1:0', upstream: '127.0.0.1:40099' });
    await api.createProxy({ name: 'other-team:db', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' });
    await api.setEnabled('other-team:db', false);

    const crashed = ledgerIn('20260101-000000-crashed', {
      owner,
      toxiproxy: { url, external: true },
      processes: [
        { id: 1, name: 'us-east/n1', argvSha256: argvHash(paused.argv), identity: pausedIdentity, ports: [] },
        // Alive with the recorded identity, but another command line: not ours.
        {
          id: 2,
          name: 'eu-west/n1',
          argvSha256: argvHash(['node', 'something else']),
          identity: otherIdentity,
          ports: [],
        },
        // The right command line, but the pid now belongs to a process started at another time.
        {
          id: 3,
          name: 'ap-south/n1',
          argvSha256: argvHash(laterStart.argv),
          identity: { ...laterIdentity, startTime: String(Number(laterIdentity.startTime) - 1) },
          ports: [],
        },
        // Recorded, never spawned.
        { id: 4, name: 'directory', argvSha256: argvHash(['x']), ports: [] },
      ],
      proxies: [
        { name: ours.name, upstream: ours.upstream, listen: ours.listen },
        { name: 'dir:eu-west.n1', upstream: '127.0.0.1:40002' },
        { name: 'link:gone', upstream: '127.0.0.1:40003' },
      ],
      faults: [{ proxy: ours.name, fault: 'disabled' }],
    });

    const cleared = await clearLeftovers({ searchDirs: [join(base, 'runs')], clearedBy: 'next-run' });
    expect(cleared).toEqual([
      expect.objectContaining({
        runDir: crashed,
        killed: 1,
        proxiesRemoved: 1,
        toxiproxyUrl: url,
        notOurs: 2,
        problems: [],
      }),
    ]);
    expect(describeCleared(cleared, join(base, 'runs'))).toBe(
      `chatquake: cleared what a crashed run left behind (20260101-000000-crashed): 1 process killed, 1 proxy removed from ${url}, 2 recorded pids or proxies now belong to something else, left alone`,
    );
    expect(pidAlive(paused.child.pid as number)).toBe(false);
    expect(pidAlive(otherCommand.child.pid as number)).toBe(true);
    expect(pidAlive(laterStart.child.pid as number)).toBe(true);
    const left = await api.listProxies();
    expect(Object.keys(left).sort()).toEqual(['dir:eu-west.n1', 'other-team:db']);
    expect(left['other-team:db']?.enabled).toBe(false);

    // The ledger says who cleared it, still says the run did not finish, and lists nothing more,
    // so the run after that has nothing to say.
    const after = readLedger(crashed);
    expect(after).toMatchObject({
      finished: false,
      clearedBy: 'next-run',
      processes: [],
      proxies: [],
      faults: [],
    });
    expect(await clearLeftovers({ searchDirs: [join(base, 'runs')], clearedBy: 'third-run' })).toEqual([]);
    await api.deleteProxy('dir:eu-west.n1');
    await api.deleteProxy('other-team:db');
  });

  it('touches nothing of a run whose owner is alive, and skips unreadable ledgers', async () => {
    const owner = identityOf(process.pid);
    if (owner === undefined) throw new Error('this test needs /proc');
    const node = sleeper('live run node');
    const identity = await waitForIdentity(node.child.pid as number);
    ledgerIn('20260102-000000-running', {
      owner,
      processes: [{ id: 1, name: 'eu-west/n1', argvSha256: argvHash(node.argv), identity, ports: [] }],
    });
    const garbage = join(base, 'runs', '20260103-000000-garbage');
    mkdirSync(garbage, { recursive: true });
    writeFileSync(join(garbage, LEDGER_FILE), '{"schemaVersion": 1, "runId": ');
    const wrongShape = join(base, 'runs', '20260104-000000-wrong-shape');
    mkdirSync(wrongShape, { recursive: true });
    writeFileSync(join(wrongShape, LEDGER_FILE), JSON.stringify({ schemaVersion: 1, processes: 'all' }));

    expect(
      await clearLeftovers({ searchDirs: [join(base, 'runs'), join(base, 'no-such-dir')], clearedBy: 'x' }),
    ).toEqual([]);
    expect(pidAlive(node.child.pid as number)).toBe(true);
    expect(readLedger(garbage)).toMatch(/started\.json: /);
    expect(readLedger(wrongShape)).toMatch(/not a run ledger/);
  });

  it('keeps the proxies listed when the Toxiproxy cannot be reached, for a later run to retry', async () => {
    const owner = await deadOwner();
    const dir = ledgerIn('20260105-000000-unreachable', {
      owner,
      toxiproxy: { url: 'http://127.0.0.1:9', external: true },
      proxies: [{ name: 'edge:clients->eu-west.n1', upstream: '127.0.1.11:40001' }],
    });
    const cleared = await clearLeftovers({
      searchDirs: [join(base, 'runs')],
      clearedBy: 'next-run',
      toxiproxyTimeoutMs: 1_000,
    });
    expect(cleared).toHaveLength(1);
    expect(cleared[0]?.problems[0]).toMatch(/could not reach the Toxiproxy at http:\/\/127\.0\.0\.1:9/);
    expect(describeCleared(cleared, base)).toMatch(/not cleared: could not reach the Toxiproxy/);
    expect(readLedger(dir)).toMatchObject({ proxies: [{ name: 'edge:clients->eu-west.n1' }] });
    rmSync(dir, { recursive: true, force: true });
  });
});
