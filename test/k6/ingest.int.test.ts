// `chatquake ingest k6 --topology`: after the k6 events, the regions of a real reference cluster
// are given time to agree and their final logs are read into the history, as a local run does.
// The outputs claim a message acked and delivered that no region ever stored: only the region
// logs can tell, so without --topology the run passes (saying the final reads are missing) and
// with it the message is found lost (99).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../contracts/history.ts';
import { ingestK6, NO_TOPOLOGY_WARNING } from '../../harness/k6/ingest.ts';
import { parseTopology } from '../../harness/k6/topology.ts';
import { createReferenceTarget } from '../../harness/targets/reference/index.ts';
import { type Cluster, clusterTopology, startCluster } from '../support/cluster.ts';
import { planOf, splitHistory, writeK6Run } from './fixtures/ingest/k6-output.ts';

const REGIONS = ['eu-west', 'us-east'];
const dir = mkdtempSync(join(tmpdir(), 'chatquake-ingest-int-'));
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ regions: REGIONS });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const topologyFile = () => clusterTopology(cluster, REGIONS);

/** The k6 history of u0 (eu-west) sending to u1 (us-east): the sends given, each acked and delivered. */
function history(sent: { cmid: string; seq: number }[]): HistoryEvent[] {
  const t0 = Date.now() - 20_000;
  const events: HistoryEvent[] = [
    {
      type: 'run_start',
      t: t0,
      runId: 'k6-int-1',
      scenario: 'k6-int',
      seed: 1,
      regions: REGIONS,
      ackLevel: 'replicated',
    },
    { type: 'user', t: t0 + 1, user: 'u0', region: 'eu-west' },
    { type: 'user', t: t0 + 1, user: 'u1', region: 'us-east' },
    { type: 'conversation', t: t0 + 2, conv: 'c1', members: ['u0', 'u1'] },
    { type: 'conn_up', t: t0 + 10, user: 'u0', session: 'u0#1', region: 'eu-west' },
    { type: 'conn_up', t: t0 + 10, user: 'u1', session: 'u1#1', region: 'us-east' },
    { type: 'phase', t: t0 + 100, name: 'load_start' },
  ];
  sent.forEach(({ cmid, seq }, i) => {
    const t = t0 + 200 + i * 100;
    events.push(
      { type: 'send', t, intendedAt: t, user: 'u0', conv: 'c1', cmid, region: 'eu-west' },
      { type: 'ack', t: t + 20, user: 'u0', conv: 'c1', cmid, seq, level: 'replicated', region: 'eu-west' },
      {
        type: 'deliver',
        t: t + 30,
        user: 'u1',
        session: 'u1#1',
        conv: 'c1',
        cmid,
        from: 'u0',
        seq,
        via: 'push',
        region: 'us-east',
      },
    );
  });
  const end = t0 + 200 + sent.length * 100 + 1000;
  events.push(
    { type: 'phase', t: end, name: 'load_stop' },
    { type: 'conn_down', t: end + 10, user: 'u0', session: 'u0#1', region: 'eu-west', reason: 'closed' },
    { type: 'conn_down', t: end + 10, user: 'u1', session: 'u1#1', region: 'us-east', reason: 'closed' },
  );
  return events;
}

describe('ingest k6 --topology', () => {
  it('reads the regions’ final logs, and finds an acked message no region stored', async () => {
    const target = createReferenceTarget({
      regions: topologyFile().regions,
      secret: cluster.secret,
      adminToken: cluster.adminToken,
    });
    await target.createConversation({ id: 'c1', members: ['u0', 'u1'] });
    const sent: { cmid: string; seq: number }[] = [];
    for (const cmid of ['m1', 'm2']) {
      const outcome = await target.api?.send({ user: 'u0', region: 'eu-west', conv: 'c1', cmid, body: 'hi' });
      if (outcome?.outcome !== 'acked') throw new Error(`send ${cmid}: ${JSON.stringify(outcome)}`);
      sent.push({ cmid, seq: outcome.seq });
    }
    // m3: acked and delivered, says the k6 output; stored nowhere, say the regions.
    const events = history([...sent, { cmid: 'm3', seq: (sent.at(-1)?.seq ?? 0) + 1 }]);
    const runDir = join(dir, 'k6');
    mkdirSync(runDir, { recursive: true });
    const run = writeK6Run(runDir, planOf(events), splitHistory(events));

    const without = await ingestK6({
      outputs: run.outputs,
      script: run.script,
      outDir: join(dir, 'without'),
    });
    expect(without.judgement.exitCode).toBe(0);
    expect(without.warnings).toContain(NO_TOPOLOGY_WARNING);

    const topology = parseTopology(topologyFile(), 'topology.json');
    const withReads = await ingestK6({
      outputs: run.outputs,
      script: run.script,
      outDir: join(dir, 'with'),
      topology,
      convergenceDeadlineMs: 5000,
    });
    expect(withReads.judgement.exitCode).toBe(99);
    expect(withReads.judgement.reason).toContain('acked_lost');
    expect(withReads.summary.consistency.ackedLost).toBe(1);
    expect(withReads.warnings).not.toContain(NO_TOPOLOGY_WARNING);
    const lines = readFileSync(join(dir, 'with', 'history.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const reads = lines.map((l) => JSON.parse(l) as HistoryEvent).filter((e) => e.type === 'final_read');
    expect(reads.map((r) => (r.type === 'final_read' ? r.region : '')).sort()).toEqual(REGIONS);
    for (const read of reads)
      if (read.type === 'final_read') expect(read.messages.map((m) => m.cmid)).toEqual(['m1', 'm2']);
    const record = JSON.parse(readFileSync(join(dir, 'with', 'run.json'), 'utf8'));
    expect(record.convergence).toMatchObject({ converged: 1, notConverged: 0 });
  }, 60_000);
});
