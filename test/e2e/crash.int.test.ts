// SIGKILL of `chatquake run` in the middle of a fault (an OOM kill, a cancelled CI job): the run
// gets no chance to heal or stop anything. Within 10 s no process it started may be alive and
// no port it bound may be bound (each child watches its parent); a fault applied in the
// embedded proxy died with it; on an external Toxiproxy the run's proxies stay until the next
// run in the same tree clears them (its ledger, started.json, says what it made), as it does a
// node that a fault had paused and so could not watch anything. Then that next run passes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createToxiproxyClient } from '../../chaos/backends/toxiproxy.ts';
import { createCleanupRegistry } from '../../harness/local/cleanup.ts';
import { type LedgerFile, readLedger } from '../../harness/local/ledger.ts';
import { readyPort, startService } from '../../harness/local/processes.ts';
import { listeningPorts, pidAlive } from '../harness/ports.ts';
import { type CliRun, runCli, servicesOf, startCli } from './helpers.ts';

const base = mkdtempSync(join(tmpdir(), 'chatquake-crash-'));
const registry = createCleanupRegistry();
const SCENARIO_MODULE = new URL('../../harness/index.ts', import.meta.url).pathname;

afterAll(async () => {
  // Whatever a failed assertion left: only the pids this file's runs recorded.
  for (const dir of ['outage/killed', 'shared/killed']) {
    for (const pid of servicesOf(join(base, dir)).pids) {
      if (!pidAlive(pid)) continue;
      try {
        process.kill(pid, 'SIGCONT');
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }
  await registry.run();
  rmSync(base, { recursive: true, force: true });
});

function ledgerOf(dir: string): LedgerFile {
  const ledger = readLedger(dir);
  if (typeof ledger === 'string') throw new Error(ledger);
  return ledger;
}

function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] as string;
}

/** SIGKILLs the run and waits (at most 10 s) until only `allowed` of its processes are alive. */
async function killAndWait(run: CliRun, dir: string, allowed: number[] = []) {
  run.child.kill('SIGKILL');
  const result = await run.done;
  expect(result.signal).toBe('SIGKILL');
  const killedAt = Date.now();
  const { pids, ports } = servicesOf(dir);
  const others = () => pids.filter((p) => !allowed.includes(p));
  while (others().some(pidAlive) && Date.now() - killedAt < 10_000)
    await new Promise((r) => setTimeout(r, 100));
  return { pids, ports, others, aliveAfter: () => others().filter(pidAlive) };
}

const shortRun = [
  'steady-state',
  '--duration',
  '4',
  '--users',
  '20',
  '--rate',
  '20',
  '--seed',
  '3',
  '--quiet',
];

describe('SIGKILL of chatquake run mid-fault', () => {
  it('leaves no process, port or fault behind within 10 s; check says the history was cut; the next run passes', async () => {
    const killed = join(base, 'outage', 'killed');
    const run = startCli(
      [
        'run',
        'region-outage',
        '--duration',
        '15',
        '--seed',
        '4',
        '--users',
        '40',
        '--rate',
        '40',
        '--out',
        killed,
      ],
      { timeoutMs: 120_000 },
    );
    await run.waitFor(/fault +outage/, 90_000);
    expect(servicesOf(killed).pids.filter(pidAlive).length).toBeGreaterThanOrEqual(4); // one node is down

    const { pids, ports, aliveAfter } = await killAndWait(run, killed);
    expect(pids.length).toBeGreaterThanOrEqual(5);
    expect(aliveAfter()).toEqual([]);
    const listening = listeningPorts();
    expect(ports.filter((p) => listening.has(p))).toEqual([]);
    // The embedded proxy, and every fault in it, died with the run. Its ledger says what it
    // started and that it did not finish.
    const ledger = ledgerOf(killed);
    expect(ledger.finished).toBe(false);
    expect(ledger.toxiproxy?.external).toBe(false);
    expect(ledger.processes.map((p) => p.name)).toEqual(expect.arrayContaining(['directory', 'proxy']));

    // `check` judges the cut history and says it stops early. (P2 owns its verdict wording.)
    const check = await runCli(['check', killed]);
    expect(check.code).not.toBe(0);
    expect(check.stdout + check.stderr).toMatch(/no run_end: the history stops at/);

    const next = await runCli(['run', ...shortRun, '--out', join(base, 'outage', 'next')]);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    // Its children had ended themselves: nothing for the next run to clear or say.
    expect(next.stdout + next.stderr).not.toContain('crashed run');
  }, 180_000);

  it('on a shared Toxiproxy: the next run clears the crashed run’s proxies and paused node, and nobody else’s', async () => {
    const external = await startService({
      name: 'shared-toxiproxy',
      args: ['proxy', '--host', '127.0.0.1', '--port', '0'],
      logFile: join(base, 'shared-toxiproxy.log'),
      registry,
    });
    const url = `http://127.0.0.1:${readyPort(external)}`;
    const api = createToxiproxyClient(url);
    await api.createProxy({ name: 'other-team:db', listen: '127.0.0.1:0', upstream: '127.0.0.1:9' });
    await api.setEnabled('other-team:db', false);
    const env = { TOXIPROXY_URL: url };

    // A partition and a paused node, both still on at the kill.
    mkdirSync(join(base, 'shared'), { recursive: true });
    const scenario = join(base, 'crash-mid-fault.ts');
    writeFileSync(
      scenario,
      [
        `import { defineScenario } from ${JSON.stringify(SCENARIO_MODULE)};`,
        'export default defineScenario({',
        "  name: 'crash-mid-fault', description: 'a partition and a paused node', duration: '20s',",
        '  workload: { users: 30, rate: 30 },',
        '  chaos: [',
        "    { fault: 'partition', name: 'split', groups: [['eu-west'], ['us-east', 'ap-south']], at: '2s', duration: '15s' },",
        "    { fault: 'nodePause', name: 'freeze', node: 'us-east/n1', at: '2s', duration: '15s' },",
        '  ],',
        '});',
      ].join('\n'),
    );
    const killed = join(base, 'shared', 'killed');
    const run = startCli(['run', scenario, '--seed', '3', '--out', killed], { env, timeoutMs: 120_000 });
    await run.waitFor(/fault +split/, 90_000);
    await run.waitFor(/fault +freeze/, 30_000);
    const ledger = ledgerOf(killed);
    const pausedPid = ledger.processes.find((p) => p.name === 'us-east/n1')?.identity?.pid as number;
    // The fault line is written at the planned time; the SIGSTOP follows a moment later.
    await expect.poll(() => stateOf(pausedPid), { timeout: 10_000 }).toBe('T');
    const ours = ledger.proxies.map((p) => p.name);
    expect(ours).toHaveLength(12);

    const { ports, aliveAfter } = await killAndWait(run, killed, [pausedPid]);
    expect(aliveAfter()).toEqual([]);
    // The leftovers: the paused node (it cannot watch its parent), and the run's proxies with
    // the partition still applied.
    expect(pidAlive(pausedPid)).toBe(true);
    const during = await api.listProxies();
    expect(Object.keys(during).sort()).toEqual([...ours, 'other-team:db'].sort());
    expect(during['link:eu-west->us-east.n1']?.enabled).toBe(false);

    const next = await runCli(['run', ...shortRun, '--out', join(base, 'shared', 'next')], { env });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout + next.stderr).toContain(
      `chatquake: cleared what a crashed run left behind (${killed}): 1 process killed, 12 proxies removed from ${url}`,
    );
    expect(pidAlive(pausedPid)).toBe(false);
    const listening = listeningPorts();
    expect(ports.filter((p) => listening.has(p))).toEqual([]);
    // The next run removed its own proxies too; the other team's is as it was.
    const after = await api.listProxies();
    expect(Object.keys(after)).toEqual(['other-team:db']);
    expect(after['other-team:db']?.enabled).toBe(false);
    expect(readLedger(killed)).toMatchObject({ finished: false, processes: [], proxies: [] });
  }, 180_000);
});
