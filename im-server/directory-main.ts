// `chatquake directory --port P [--host 127.0.0.1] [--lease-ms 3000] [--data DIR] [--secret S] [--admin-token A]`
// Started by a run, it ends itself once the run is gone (lib/lifeline.ts).

import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeIssues } from '../contracts/errors.ts';
import { ExitCode } from '../contracts/exit-codes.ts';
import { holdLifeline, writeErr, writeOut } from '../lib/lifeline.ts';
import { startCpuProfile } from './cpu-profile.ts';
import { DEFAULT_LEASE_MS, startDirectory } from './directory.ts';
import { createLogger } from './log.ts';
import { withSecretsFromEnv } from './secrets-env.ts';

const Flags = z.object({
  port: z.coerce.number().int().min(0).max(65_535),
  host: z.string().min(1).default('127.0.0.1'),
  'lease-ms': z.coerce.number().int().min(200).max(600_000).default(DEFAULT_LEASE_MS),
  data: z.string().min(1).optional(),
  secret: z.string().min(1).optional(),
  'admin-token': z.string().min(1).optional(),
});

/** What the parser accepts; harness/targets/reference/commands.ts documents each (a test checks). */
export const directoryOptions = {
  port: { type: 'string' },
  host: { type: 'string' },
  'lease-ms': { type: 'string' },
  data: { type: 'string' },
  secret: { type: 'string' },
  'admin-token': { type: 'string' },
} as const;

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: argv,
      options: directoryOptions,
      strict: true,
    }).values;
  } catch (error) {
    writeErr(`chatquake directory: ${(error as Error).message}\n`);
    return ExitCode.invalidConfig;
  }
  const flags = Flags.safeParse(withSecretsFromEnv(values, process.env, ['secret', 'admin-token']));
  if (!flags.success) {
    writeErr(`chatquake directory: --${describeIssues(flags.error)}\n`);
    return ExitCode.invalidConfig;
  }
  const f = flags.data;
  const logger = createLogger({ component: 'directory' });
  let onGone: (why: string) => void = () => process.exit(1);
  const releaseLifeline = holdLifeline({ onGone: (why) => onGone(why) });
  // Opt-in, for bench/capacity.ts: the directory is one of the processes sharing the cores.
  const profiler = await startCpuProfile('directory').catch(() => null);
  let directory: Awaited<ReturnType<typeof startDirectory>>;
  try {
    directory = await startDirectory({
      host: f.host,
      port: f.port,
      leaseMs: f['lease-ms'],
      logger,
      ...(f.data === undefined ? {} : { dataDir: f.data }),
      ...(f.secret === undefined ? {} : { secret: f.secret }),
      ...(f['admin-token'] === undefined ? {} : { adminToken: f['admin-token'] }),
    });
  } catch (error) {
    releaseLifeline();
    writeErr(`chatquake directory: could not start: ${(error as Error).message}\n`);
    return 1;
  }
  writeOut(`${JSON.stringify({ event: 'listening', host: directory.host, port: directory.port })}\n`);
  return new Promise<number>((resolve) => {
    let closing = false;
    const shutdown = (): void => {
      if (closing) return;
      closing = true;
      releaseLifeline();
      logger.info('shutting down');
      directory
        .close()
        .then(() => profiler?.stop())
        .then(
          () => resolve(0),
          () => resolve(1),
        );
    };
    onGone = (why) => {
      logger.warn('the harness is gone, shutting down', { why });
      shutdown();
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
}
