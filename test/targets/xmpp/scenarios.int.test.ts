// The XMPP target end to end, as a user runs it: two Prosody regions federated through the fault
// proxy, the built-in XMPP scenarios shortened, and the verdicts. A clean cut of the s2s link must
// pass (what could not cross came back as bounces); a blackhole over federation without s2s
// stream management (--bug s2s-dialback) loses what the servers accepted without telling anyone,
// and the acked-lost check must catch it; with stream management the same blackhole passes.
// Every run must leave no Prosody, no wrapper and no port behind.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, servicesOf } from '../../e2e/helpers.ts';
import { listeningPorts, pidAlive } from '../../harness/ports.ts';

const base = mkdtempSync(join(tmpdir(), 'chatquake-xmpp-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

interface Summary {
  topology: { target?: string; ack: string };
  load: { sent: number; acked: number };
  consistency: Record<string, unknown> & {
    ackedLost: number;
    failedButAppeared: number;
    failedAfterAck: number;
    duplicates: number;
    orderViolations: number;
    examples: { check: string; message: string }[];
  };
}

const RUN_MS = 120_000;

async function run(
  name: string,
  dir: string,
  extra: string[] = [],
): Promise<{ code: number | null; s: Summary; bounces: number }> {
  const out = join(base, dir);
  const result = await runCli(
    ['run', name, '--seed', '1', '--duration', '15s', '--out', out, '--quiet', ...extra],
    {
      timeoutMs: RUN_MS,
    },
  );
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
  expect(s.topology.target).toBe('xmpp');
  expect(s.topology.ack).toBe('accepted');
  expect(s.load.sent).toBeGreaterThan(300);
  expectNothingLeft(out);
  const bounces = readFileSync(join(out, 'history.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"type":"send_failed"') && line.includes('"reason":"bounced: ')).length;
  return { code: result.code, s, bounces };
}

/** No process the run started is alive, no port it listened on is open, no Prosody of its own runs. */
function expectNothingLeft(out: string): void {
  const { pids, ports } = servicesOf(out);
  expect(pids.length).toBeGreaterThan(0);
  expect(pids.filter(pidAlive)).toEqual([]);
  const listening = listeningPorts();
  expect(ports.filter((p) => listening.has(p))).toEqual([]);
  let prosody = '';
  try {
    prosody = execFileSync('pgrep', ['-af', join(out, 'prosody')], { encoding: 'utf8' });
  } catch {
    // pgrep exits 1 when nothing matches.
  }
  expect(prosody).toBe('');
}

describe('the xmpp target', () => {
  it('passes a clean cut of federation: nothing lost, duplicated or reordered, the archives agree', async () => {
    const { code, s, bounces } = await run('xmpp-partition', 'partition');
    expect(code, JSON.stringify(s.consistency.examples.slice(0, 3))).toBe(0);
    expect(s.consistency.ackedLost).toBe(0);
    // What could not cross the cut came back to its senders as bounces.
    expect(bounces).toBeGreaterThan(10);
  });

  it('catches the silent loss of federation without s2s stream management under a blackhole (exit 99)', async () => {
    const { code, s, bounces } = await run('xmpp-blackhole', 'dialback', ['--bug', 's2s-dialback']);
    // Nobody was told: no bounce for what the silence swallowed.
    expect(bounces).toBe(0);
    expect(code).toBe(99);
    expect(s.consistency.ackedLost).toBeGreaterThan(10);
    const lost = s.consistency.examples.find((e) => e.check === 'acked-lost');
    expect(lost?.message).toMatch(/during blackhole/);
    expect(lost?.message).not.toMatch(/level "stored"/);
  });

  it('passes the same blackhole with s2s stream management: what was unacked comes back as bounces', async () => {
    const { code, s, bounces } = await run('xmpp-blackhole', 'smacks');
    expect(code, JSON.stringify(s.consistency.examples.slice(0, 3))).toBe(0);
    expect(s.consistency.failedButAppeared).toBe(0);
    expect(bounces).toBeGreaterThan(10);
    // Accepted, then bounced at the heal: counted apart, not as lost.
    expect(s.consistency.failedAfterAck).toBeGreaterThan(10);
  });
});
