// The reference server's fuzzers as one call, for a top-level `npm run fuzz`: starts a
// standalone node (as real processes) and a directory that requires its keys, runs the
// client-frame and the HTTP fuzzers against them, stops everything and returns one report per
// surface. Run directly (`tsx test/im-server/fuzz/run.ts`), it prints the reports and exits 1
// on any finding; CHATQUAKE_FUZZ_SEED, CHATQUAKE_FUZZ_RUNS and CHATQUAKE_FUZZ_SECONDS set the
// seed, the cases per surface and the time per surface.
import { pathToFileURL } from 'node:url';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_FRAME_BYTES } from '../../../contracts/wire.ts';
import { startDirectory } from '../../../im-server/directory.ts';
import { createLogger } from '../../../im-server/log.ts';
import { peerKey } from '../../../im-server/token.ts';
import { startCluster } from '../../support/cluster.ts';
import { FUZZ_CONVERSATIONS, fuzzClientFrames } from './frames.ts';
import { fuzzHttp } from './http.ts';
import { type FuzzOptions, type FuzzReport, formatReport, fuzzOptionsFromEnv } from './report.ts';

const NODE = 'solo/n1';

/** The defaults of a long run: many more cases than the test suite's, a few minutes at most. */
export const LONG_RUN: FuzzOptions = { seed: Date.now() % 2 ** 31, runs: 20_000, timeBudgetMs: 120_000 };

async function framesSurface(options: FuzzOptions): Promise<FuzzReport> {
  const cluster = await startCluster({ regions: ['solo'], directory: false });
  try {
    for (const conv of FUZZ_CONVERSATIONS) {
      const created = await cluster.admin(NODE, 'POST', '/admin/conversations', conv);
      if (created.status !== 201) throw new Error(`creating ${conv.id}: HTTP ${created.status}`);
    }
    return await fuzzClientFrames(
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
  } finally {
    await cluster.stop();
  }
}

async function httpSurface(options: FuzzOptions): Promise<FuzzReport> {
  const cluster = await startCluster({ regions: ['solo'], directory: false });
  const secret = `fuzz-${process.pid}`;
  const directory = await startDirectory({
    host: '127.0.0.1',
    port: 0,
    secret,
    adminToken: `${secret}-admin`,
    logger: createLogger({ component: 'directory' }, 'error'),
  });
  try {
    await cluster.admin(NODE, 'POST', '/admin/conversations', FUZZ_CONVERSATIONS[0]);
    return await fuzzHttp(
      {
        nodeUrl: cluster.node('solo').url,
        adminToken: cluster.adminToken,
        peerKey: peerKey(cluster.secret),
        regions: ['solo'],
        directoryUrl: directory.url,
        directoryPeerKey: peerKey(secret),
        directoryAdminToken: `${secret}-admin`,
        alive: () => cluster.lastExit(NODE) === null,
      },
      options,
    );
  } finally {
    await directory.close();
    await cluster.stop();
  }
}

/** Runs every server fuzzer with `options` (each surface gets the runs and time budget). */
export async function runServerFuzz(options: FuzzOptions): Promise<FuzzReport[]> {
  return [await framesSurface(options), await httpSurface(options)];
}

async function main(): Promise<number> {
  const options = fuzzOptionsFromEnv(LONG_RUN);
  process.stdout.write(
    `server fuzz: seed ${options.seed}, up to ${options.runs} cases and ${options.timeBudgetMs / 1000} s per surface\n`,
  );
  const reports = await runServerFuzz(options);
  for (const report of reports) process.stdout.write(`${formatReport(report)}\n`);
  return reports.some((r) => r.findings.length > 0) ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`server fuzz: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
