// The HTTP fuzzer (test/im-server/fuzz/http.ts) against a real node (its admin and internal
// APIs) and a directory that requires its keys, with a fixed seed and a budget sized for CI
// (well under 30 s on two cores). CHATQUAKE_FUZZ_RUNS, CHATQUAKE_FUZZ_SEED and
// CHATQUAKE_FUZZ_SECONDS make the run longer or different.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DirectoryServer, startDirectory } from '../../im-server/directory.ts';
import { createLogger } from '../../im-server/log.ts';
import { peerKey } from '../../im-server/token.ts';
import { type Cluster, startCluster } from '../support/cluster.ts';
import { fuzzHttp } from './fuzz/http.ts';
import { formatReport, fuzzOptionsFromEnv } from './fuzz/report.ts';

const NODE = 'solo/n1';
const DIRECTORY_SECRET = 'fuzz-directory-secret';
const DIRECTORY_ADMIN = 'fuzz-directory-admin';
let cluster: Cluster;
let directory: DirectoryServer;

beforeAll(async () => {
  cluster = await startCluster({ regions: ['solo'], directory: false });
  expect(
    (await cluster.admin(NODE, 'POST', '/admin/conversations', { id: 'room', members: ['alice', 'bob'] }))
      .status,
  ).toBe(201);
  directory = await startDirectory({
    host: '127.0.0.1',
    port: 0,
    secret: DIRECTORY_SECRET,
    adminToken: DIRECTORY_ADMIN,
    logger: createLogger({ component: 'directory' }, 'error'),
  });
});
afterAll(async () => {
  await directory?.close();
  await cluster?.stop();
});

describe('fuzzing the HTTP APIs of a node and the directory', () => {
  it('answers every request with a JSON 2xx or 4xx, in time, and half-applies nothing', async () => {
    const options = fuzzOptionsFromEnv({ seed: 12, runs: 600, timeBudgetMs: 20_000 });
    const report = await fuzzHttp(
      {
        nodeUrl: cluster.node('solo').url,
        adminToken: cluster.adminToken,
        peerKey: peerKey(cluster.secret),
        regions: ['solo'],
        directoryUrl: directory.url,
        directoryPeerKey: peerKey(DIRECTORY_SECRET),
        directoryAdminToken: DIRECTORY_ADMIN,
        alive: () => cluster.lastExit(NODE) === null,
      },
      options,
    );
    console.log(formatReport(report));
    expect(report.findings, formatReport(report)).toEqual([]);
    expect(report.cases).toBeGreaterThanOrEqual(Math.min(options.runs, 200));
  });
});
