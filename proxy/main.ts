// `chatquake proxy`: the fault proxy as a process. Prints one JSON "listening" line on stdout
// when ready, logs API changes as JSON lines on stderr, closes everything on SIGTERM/SIGINT, and
// (started by a run) once the run is gone (lib/lifeline.ts).

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeIssues } from '../contracts/errors.ts';
import { ExitCode } from '../contracts/exit-codes.ts';
import { holdLifeline, writeErr, writeOut } from '../lib/lifeline.ts';
import { startFaultProxy } from './index.ts';
import { type ProxyConfig, proxyConfigFileSchema } from './schemas.ts';
import { fromToxiproxyFlags } from './toxiproxy-flags.ts';

const USAGE = 'chatquake proxy [--host 127.0.0.1] [--port 8474] [--config proxies.json] [--seed N]';

const whole = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from 0 to ${max}`)
    .transform(Number)
    .pipe(z.number().max(max, `must be a whole number from 0 to ${max}`));

const flagsSchema = z.object({
  host: z.string().min(1, 'must not be empty'),
  port: whole(65535),
  seed: whole(Number.MAX_SAFE_INTEGER),
  config: z.string().min(1, 'must not be empty').optional(),
});

function usageError(message: string): number {
  writeErr(`chatquake proxy: ${message}\nUsage: ${USAGE}\n`);
  return ExitCode.invalidConfig;
}

/** What the parser accepts; harness/cli/options.ts documents each for `--help` (a test checks). */
export const proxyOptions = {
  host: { type: 'string' },
  port: { type: 'string' },
  config: { type: 'string' },
  seed: { type: 'string' },
} as const;

async function loadConfig(path: string): Promise<ProxyConfig[] | string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return `--config ${path}: ${(error as Error).message}`;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `--config ${path}: not JSON: ${(error as Error).message}`;
  }
  const parsed = proxyConfigFileSchema.safeParse(json);
  if (!parsed.success) return `--config ${path}: ${describeIssues(parsed.error)}`;
  return parsed.data;
}

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: proxyOptions,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  const flags = flagsSchema.safeParse({
    host: values.host ?? '127.0.0.1',
    port: values.port ?? '8474',
    seed: values.seed ?? '0',
    config: values.config,
  });
  if (!flags.success) {
    const issue = flags.error.issues[0];
    const flag = String(issue?.path[0] ?? '');
    return usageError(`--${flag} ${JSON.stringify(values[flag])}: ${issue?.message ?? 'invalid'}`);
  }
  const { host, port, seed } = flags.data;
  let config: ProxyConfig[] | undefined;
  if (flags.data.config !== undefined) {
    const loaded = await loadConfig(flags.data.config);
    if (typeof loaded === 'string') return usageError(loaded);
    config = loaded;
  }

  let gone: ((why: string) => void) | undefined;
  const releaseLifeline = holdLifeline({ onGone: (why) => (gone ? gone(why) : process.exit(1)) });
  let server: Awaited<ReturnType<typeof startFaultProxy>>;
  try {
    server = await startFaultProxy({
      host,
      port,
      seed,
      config,
      log: (event) => writeErr(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`),
    });
  } catch (error) {
    releaseLifeline();
    writeErr(`chatquake proxy: ${(error as Error).message}\n`);
    return 1;
  }
  writeOut(
    `${JSON.stringify({ event: 'listening', host: server.host, port: server.port, url: server.url })}\n`,
  );

  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const signal = await new Promise<NodeJS.Signals | string>((resolve) => {
    onSignal = resolve;
    gone = resolve;
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  releaseLifeline();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await server.close();
  writeErr(`${JSON.stringify({ time: new Date().toISOString(), event: 'closed', signal })}\n`);
  return 0;
}

const TOXIPROXY_USAGE = 'Usage: toxiproxy [-host HOST] [-port PORT] [-config FILE] [-seed N] [-version]';

/**
 * The proxy under Toxiproxy's own server flags (bin/toxiproxy.js, /toxiproxy in the image).
 * Flag errors exit 2, as Go's flag package makes Toxiproxy do.
 */
export async function toxiproxyMain(argv: string[], version: string): Promise<number> {
  const parsed = fromToxiproxyFlags(argv);
  if ('help' in parsed) {
    writeOut(
      `${TOXIPROXY_USAGE}\nchatquake's fault proxy under Toxiproxy's flags (see chatquake proxy --help).\n`,
    );
    return 0;
  }
  if ('version' in parsed) {
    writeOut(`toxiproxy-server version 2.12.0 (chatquake proxy ${version})\n`);
    return 0;
  }
  if ('error' in parsed) {
    writeErr(`toxiproxy: ${parsed.error}\n${TOXIPROXY_USAGE}\n`);
    return 2;
  }
  return main(parsed.argv);
}
