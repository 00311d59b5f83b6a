// The client-frame fuzzer (test/im-server/fuzz/frames.ts) against a real standalone node, with
// a fixed seed and a budget sized for CI (well under 30 s on two cores). CHATQUAKE_FUZZ_RUNS,
// CHATQUAKE_FUZZ_SEED and CHATQUAKE_FUZZ_SECONDS make the run longer or different; the report
// it prints says how many cases were tried, and every finding replays from its case number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_FRAME_BYTES } from '../../contracts/wire.ts';
import { type Cluster, startCluster } from '../support/cluster.ts';
import { FUZZ_CONVERSATIONS, fuzzClientFrames } from './fuzz/frames.ts';
import { formatReport, fuzzOptionsFromEnv } from './fuzz/report.ts';

const NODE = 'solo/n1';
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ regions: ['solo'], directory: false });
  for (const conv of FUZZ_CONVERSATIONS) {
    expect((await cluster.admin(NODE, 'POST', '/admin/conversations', conv)).status).toBe(201);
  }
});
afterAll(async () => {
  await cluster?.stop();
});

describe('fuzzing the client frames of a node', () => {
  it('answers every generated and mutated frame as the protocol says, and reads back every acked body', async () => {
    const options = fuzzOptionsFromEnv({ seed: 12, runs: 250, timeBudgetMs: 20_000 });
    const report = await fuzzClientFrames(
      {
        wsUrl: cluster.node('solo').wsUrl,
        httpUrl: cluster.node('solo').url,
        token: (user) => cluster.token(user),
        alive: () => cluster.lastExit(NODE) === null,
        maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
        maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      },
      options,
    );
    console.log(formatReport(report));
    expect(report.findings, formatReport(report)).toEqual([]);
    // The budget is big enough to mean something: most cases ran, and some of them were acked.
    expect(report.cases).toBeGreaterThanOrEqual(Math.min(options.runs, 100));
    expect(report.detail).not.toMatch(/ 0 acked/);
  });
});
