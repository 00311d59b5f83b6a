// Real runs, shortened with flags: the whole stack (topology, load, faults, checks, results)
// judged by its exit code and the files it leaves.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listeningPorts, pidAlive } from '../harness/ports.ts';
import { runCli, servicesOf } from './helpers.ts';

const base = mkdtempSync(join(tmpdir(), 'chatquake-e2e-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

interface SummaryShape {
  schemaVersion: number;
  runId: string;
  scenario: string;
  seed: number;
  startedAt: string;
  durationSeconds: number;
  ok: boolean;
  valid: boolean;
  invalidReasons: string[];
  exitCode: number;
  topology: { regions: { name: string; nodes: number }[] };
  load: Record<
    | 'sent'
    | 'acked'
    | 'failed'
    | 'indeterminate'
    | 'delivered'
    | 'sendRatePerSecond'
    | 'deliverRatePerSecond',
    number
  >;
  latency: { ackMs: Record<string, number | null>; deliveryMs: Record<string, number | null> };
  failover: {
    clients: number;
    failedOver: number;
    rodeOut: number;
    neverRecovered: number;
    seconds: { p99: number | null; censored: number };
    recoverySeconds: { p99: number | null; count: number };
    faults: { kind: string; target: string; clients: number; neverRecovered: number }[];
  };
  consistency: Record<string, unknown> & {
    ackedLost: number;
    examples: { check: string; message: string }[];
  };
  faults: { kind: string; target: string; at: number | null; until: number | null }[];
  thresholds: { metric: string; expression: string; actual: unknown; ok: boolean }[];
}

function summaryOf(dir: string): SummaryShape {
  return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as SummaryShape;
}

/** `chatquake run <scenario>`, each flag `--<name> <value>` in the order given (true: the bare flag), `--out <dir>` last. */
function runScenario(scenario: string, flags: Record<string, string | number | true>, dir: string) {
  const args = ['run', scenario];
  for (const [name, value] of Object.entries(flags)) {
    args.push(`--${name}`);
    if (value !== true) args.push(String(value));
  }
  return runCli([...args, '--out', dir]);
}

function expectNothingLeft(dir: string): void {
  const { pids, ports } = servicesOf(dir);
  expect(pids.length).toBeGreaterThanOrEqual(5); // directory, proxy, three nodes
  expect(pids.filter(pidAlive)).toEqual([]);
  const listening = listeningPorts();
  expect(ports.filter((p) => listening.has(p))).toEqual([]);
}

describe('chatquake run', () => {
  const clean = join(base, 'steady');

  it('passes a short steady-state run with exit 0 and writes every result file', async () => {
    const result = await runScenario('steady-state', { duration: 6, users: 60, rate: 60, seed: 3 }, clean);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('PASSED (exit 0)');
    const s = summaryOf(clean);
    expect(s).toMatchObject({
      schemaVersion: 2,
      scenario: 'steady-state',
      seed: 3,
      ok: true,
      valid: true,
      exitCode: 0,
    });
    expect(s.invalidReasons).toEqual([]);
    expect(s.runId).toMatch(/steady-state/);
    expect(Number.isNaN(Date.parse(s.startedAt))).toBe(false);
    expect(s.durationSeconds).toBeGreaterThan(6);
    expect(s.topology.regions).toEqual([
      expect.objectContaining({ name: 'eu-west', nodes: 1 }),
      expect.objectContaining({ name: 'us-east', nodes: 1 }),
      expect.objectContaining({ name: 'ap-south', nodes: 1 }),
    ]);
    // About 60 msgs/s for 6 s, all acked and delivered to someone.
    expect(s.load.sent).toBeGreaterThan(200);
    expect(s.load.acked).toBe(s.load.sent);
    expect(s.load.failed + s.load.indeterminate).toBe(0);
    expect(s.load.delivered).toBeGreaterThan(s.load.sent);
    expect(s.load.sendRatePerSecond).toBeGreaterThan(30);
    for (const key of ['p50', 'p90', 'p99', 'max']) {
      expect(typeof s.latency.deliveryMs[key]).toBe('number');
      expect(typeof s.latency.ackMs[key]).toBe('number');
    }
    for (const key of [
      'ackedLost',
      'unexpected',
      'duplicates',
      'orderViolations',
      'divergentConversations',
      'readYourWritesViolations',
      'silentGaps',
      'residencyViolations',
    ]) {
      expect(s.consistency[key], key).toBe(0);
    }
    expect(s.consistency).toHaveProperty('convergenceSeconds');
    expect(s.faults).toEqual([]);
    expect(s.thresholds.length).toBeGreaterThan(10);
    expect(s.thresholds.every((t) => t.ok)).toBe(true);
    expect(s.thresholds).toContainEqual(
      expect.objectContaining({ metric: 'acked_lost', expression: 'count==0' }),
    );

    const junit = readFileSync(join(clean, 'junit.xml'), 'utf8');
    const cases = junit.match(/<testcase /g)?.length ?? 0;
    expect(cases).toBe(s.thresholds.length + 12); // + 11 checks + run-valid
    expect(junit).toMatch(/<testsuite name="chatquake steady-state" tests="\d+" failures="0"/);
    for (const file of ['history.jsonl', 'faults.json', 'run.json', 'report.html']) {
      expect(existsSync(join(clean, file)), file).toBe(true);
    }
    for (const node of ['eu-west-n1', 'us-east-n1', 'ap-south-n1']) {
      expect(readFileSync(join(clean, 'logs', `${node}.log`), 'utf8')).toContain('"event":"listening"');
    }
    expectNothingLeft(clean);
  });

  it('fails a shortened region outage with exit 99 when the server acks early, and counts the loss', async () => {
    const dir = join(base, 'outage-ack-early');
    const result = await runScenario(
      'region-outage',
      { duration: 15, seed: 1, bug: 'ack-early', quiet: true },
      dir,
    );
    expect(result.code, result.stdout + result.stderr).toBe(99);
    expect(result.stdout).toContain('FAILED (exit 99)');
    const s = summaryOf(dir);
    expect(s.ok).toBe(false);
    expect(s.valid).toBe(true);
    expect(s.consistency.ackedLost).toBeGreaterThan(0);
    expect(s.consistency.examples.some((e) => e.check === 'acked-lost')).toBe(true);
    expect(s.thresholds).toContainEqual(expect.objectContaining({ metric: 'acked_lost', ok: false }));
    expect(s.faults.map((f) => f.kind)).toEqual(['regionIsolation', 'regionOutage']);
    expect(s.faults.every((f) => f.at !== null && f.until !== null && f.until > f.at)).toBe(true);
    expect(s.failover.faults.some((f) => f.kind === 'regionOutage' && f.clients > 0)).toBe(true);
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(
      /<testcase classname="chatquake\.region-outage\.checks" name="acked-lost"[^>]*>\s*<failure message="acked-lost: \d+ found"/,
    );
    expectNothingLeft(dir);

    // `check` judges the saved history again and rewrites the results the same way.
    const summaryPath = join(dir, 'summary.json');
    const before = statSync(summaryPath).mtimeMs;
    const again = await runCli(['check', dir, '--quiet']);
    expect(again.code).toBe(99);
    expect(statSync(summaryPath).mtimeMs).toBeGreaterThan(before);
    expect(summaryOf(dir).consistency.ackedLost).toBe(s.consistency.ackedLost);

    // A history cut mid-line can still be checked; beside the run.json of the finished run it is
    // judged up to the cut and found cut: invalid (96), never passed (issue 12; it used to pass).
    const cut = join(base, 'cut');
    mkdirSync(cut);
    copyFileSync(join(dir, 'run.json'), join(cut, 'run.json'));
    const history = readFileSync(join(dir, 'history.jsonl'), 'utf8');
    // Ten characters into the line that holds the 60% mark, so the last line is always partial.
    const cutAt = history.lastIndexOf('\n', Math.floor(history.length * 0.6)) + 11;
    writeFileSync(join(cut, 'history.jsonl'), history.slice(0, cutAt));
    const partial = await runCli(['check', cut, '--quiet']);
    expect(partial.code).toBe(96);
    expect(summaryOf(cut).load.sent).toBeGreaterThan(0);
    expect(JSON.stringify(summaryOf(cut))).toContain('mid-line');
    expect(JSON.stringify(summaryOf(cut))).toMatch(/the history is cut: it holds \d+ of the \d+ sends/);
  });
  it('fails a steady run with exit 99 when followers apply replication out of order (reorder-apply)', async () => {
    // The SDK delivers in seq order, so users never see the reordering; the history's
    // out_of_order events (pushes below a seq already pushed on the connection) carry it.
    const dir = join(base, 'steady-reorder');
    const result = await runScenario(
      'steady-state',
      {
        duration: 10,
        // Replication batches of more than one entry are what the bug reverses; a higher rate
        // makes them common (about 10-20 reversed pushes in 10 s instead of 2).
        rate: 300,
        seed: 1,
        bug: 'reorder-apply',
        quiet: true,
      },
      dir,
    );
    expect(result.code, result.stdout + result.stderr).toBe(99);
    const s = summaryOf(dir);
    expect(s.consistency.orderViolations).toBeGreaterThan(0);
    expect(s.consistency.ackedLost).toBe(0);
    expect(
      s.consistency.examples.some((e) => e.check === 'order' && e.message.includes('out of order')),
    ).toBe(true);
    expect(s.thresholds).toContainEqual(expect.objectContaining({ metric: 'order_violations', ok: false }));
    expectNothingLeft(dir);
  });
  it('reports every client of a clean region outage recovered, so an untagged failover gate passes', async () => {
    // The run from the failover issue: the region's links are cut 2 s before its nodes die,
    // shorter than clients need to move. Judged per fault, half the clients were "never
    // recovered" and `failover_seconds: ['p(99)<10']` failed a clean run.
    const dir = join(base, 'outage-4242');
    const file = join(base, 'outage-untagged.ts');
    const builtin = new URL('../../scenarios/region-outage.ts', import.meta.url).pathname;
    writeFileSync(
      file,
      [
        `import outage from ${JSON.stringify(builtin)};`,
        "export default { ...outage, name: 'outage-untagged', thresholds: { failover_seconds: ['p(99)<10'] } };",
      ].join('\n'),
    );
    const result = await runScenario(file, { seed: 4242, duration: 18, quiet: true }, dir);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const s = summaryOf(dir);
    const f = s.failover;
    expect(f.clients).toBeGreaterThan(20);
    expect(f.neverRecovered).toBe(0);
    expect(f.failedOver + f.rodeOut).toBeGreaterThanOrEqual(f.clients);
    expect(f.seconds.censored).toBe(0);
    expect(f.seconds.p99).not.toBeNull();
    expect(f.recoverySeconds.p99).toBeLessThan(10);
    // The cut-off and the outage are one incident for their clients, counted under both faults.
    expect(f.faults.map((x) => x.kind)).toEqual(['regionIsolation', 'regionOutage']);
    expect(f.faults.every((x) => x.clients > 0 && x.neverRecovered === 0)).toBe(true);
    expect(s.thresholds).toContainEqual(
      expect.objectContaining({ metric: 'failover_seconds', expression: 'p(99)<10', ok: true }),
    );
    expect(result.stdout).toMatch(/recovery +p50 [\d.]+s p99 [\d.]+s .* 0 never recovered/);
    expectNothingLeft(dir);
  });
});
