// `chatquake token --user U --secret S [--ttl SECONDS]`: prints one signed client token. A reader
// that went away gets nothing and the exit code 1, not an EPIPE stack trace (lib/lifeline.ts).

import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeIssues } from '../contracts/errors.ts';
import { ExitCode } from '../contracts/exit-codes.ts';
import { UserId } from '../contracts/wire.ts';
import { guardStdio, writeErr, writeOut } from '../lib/lifeline.ts';
import { withSecretsFromEnv } from './secrets-env.ts';
import { DEFAULT_TOKEN_TTL_SECONDS, signToken } from './token.ts';

const Flags = z.object({
  user: UserId,
  secret: z.string().min(1),
  ttl: z.coerce.number().int().min(1).max(31_536_000).default(DEFAULT_TOKEN_TTL_SECONDS),
});

/** What the parser accepts; harness/targets/reference/commands.ts documents each (a test checks). */
export const tokenOptions = {
  user: { type: 'string' },
  secret: { type: 'string' },
  ttl: { type: 'string' },
} as const;

export async function main(argv: string[]): Promise<number> {
  guardStdio(() => {
    process.exitCode = 1;
  });
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: argv,
      options: tokenOptions,
      strict: true,
    }).values;
  } catch (error) {
    writeErr(`chatquake token: ${(error as Error).message}\n`);
    return ExitCode.invalidConfig;
  }
  const flags = Flags.safeParse(withSecretsFromEnv(values, process.env, ['secret']));
  if (!flags.success) {
    writeErr(`chatquake token: --${describeIssues(flags.error)}\n`);
    return ExitCode.invalidConfig;
  }
  writeOut(
    `${signToken({ user: flags.data.user, secret: flags.data.secret, ttlSeconds: flags.data.ttl })}\n`,
  );
  return 0;
}
