// `chatquake directory --port P [--host 127.0.0.1] [--lease-ms 3000] [--data DIR] [--secret S] [--admin-token A]`

import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeIssues } from '../contracts/errors.ts';

import { DEFAULT_LEASE_MS, startDirectory } from './directory.ts';
import { createLogger } from './log.ts';

const Flags = z.object({
  port: z.coerce.number().int().min(0).max(65_535),
  host: z.string().min(1).default('127.0.0.1'),
  'lease-ms': z.coerce.number().int().min(200).max(600_000).default(DEFAULT_LEASE_MS),
  data: z.string().min(1).optional(),
  secret: z.string().min(1).optional(),
  'admin-token': z.string().min(1).optional(),
});

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'lease-ms': { type: 'string' },
        data: { type: 'string' },
        secret: { type: 'string' },
        'admin-token': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`chatquake directory: ${(error as Error).message}\n`);
    return 2;
  }
  const flags = Flags.safeParse(values);
  if (!flags.success) {
    process.stderr.write(`chatquake directory: --${describeIssues(flags.error)}\n`);
    return 2;
  }
  const f = flags.data;
  const logger = createLogger({ component: 'directory' });
  const directory = await startDirectory({
    host: f.host,
    port: f.port,
    leaseMs: f['lease-ms'],
    logger,
    ...(f.data === undefined ? {} : { dataDir: f.data }),
    ...(f.secret === undefined ? {} : { secret: f.secret }),
    ...(f['admin-token'] === undefined ? {} : { adminToken: f['admin-token'] }),
  });
  process.stdout.write(
    `${JSON.stringify({ event: 'listening', host: directory.host, port: directory.port })}\n`,
  );
  return new Promise<number>((resolve) => {
    const shutdown = (): void => {
      logger.info('shutting down');
      directory.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
}
