// `chatquake server ...`: one node of the reference IM server. Prints one JSON `listening` line
// on stdout when ready; logs go to stderr; SIGTERM closes gracefully and exits 0.

import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeIssues } from '../contracts/errors.ts';
import { ExitCode } from '../contracts/exit-codes.ts';
import {
  AckLevel,
  BugName,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  RegionName,
} from '../contracts/wire.ts';
import { holdLifeline, isBrokenPipe, writeErr, writeOut } from '../lib/lifeline.ts';
import { createClock } from './clock.ts';
import type { PeerInfo } from './control-plane.ts';
import { type CpuProfiler, startCpuProfile } from './cpu-profile.ts';
import { DEFAULT_LEASE_MS } from './directory.ts';
import { NodeId } from './internal-protocol.ts';
import { createLogger, errorMessage, type Logger } from './log.ts';
import { LimitFlags, limitsFromFlags } from './node/config.ts';
import { startNode } from './node.ts';
import { withSecretsFromEnv } from './secrets-env.ts';
import { type NodeTracing, startNodeTracing } from './tracing.ts';

const httpUrl = z
  .string()
  .url()
  .refine((u) => u.startsWith('http://') || u.startsWith('https://'), 'expected an http:// URL');

const PeerSpec = z.string().transform((spec, ctx): PeerInfo[] => {
  const peers: PeerInfo[] = [];
  for (const [i, raw] of spec.split(',').entries()) {
    const entry = raw.trim();
    if (entry.length === 0) continue;
    const eq = entry.indexOf('=');
    const id = NodeId.safeParse(eq < 0 ? '' : entry.slice(0, eq));
    const url = httpUrl.safeParse(eq < 0 ? '' : entry.slice(eq + 1));
    if (!id.success || !url.success) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${i + 1} "${entry}" must look like region/node=http://host:port`,
      });
      return z.NEVER;
    }
    peers.push({
      id: id.data,
      region: id.data.slice(0, id.data.indexOf('/')),
      url: url.data.replace(/\/+$/, ''),
    });
  }
  return peers;
});

export const ServerFlags = z.object({
  region: RegionName,
  node: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits and . _ - only'),
  port: z.coerce.number().int().min(0).max(65_535),
  host: z.string().min(1).default('127.0.0.1'),
  data: z.string().min(1),
  secret: z.string().min(1),
  'admin-token': z.string().min(1),
  directory: httpUrl.optional(),
  peers: PeerSpec.default([]),
  ack: AckLevel.default('replicated'),
  replicas: z.coerce.number().int().min(0).max(16).default(1),
  'lease-ms': z.coerce.number().int().min(200).max(600_000).default(DEFAULT_LEASE_MS),
  bug: z.array(BugName).default([]),
  'max-frame-bytes': z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_MAX_FRAME_BYTES),
  'max-body-bytes': z.coerce
    .number()
    .int()
    .min(1)
    .max(64 * 1024 * 1024)
    .default(DEFAULT_MAX_BODY_BYTES),
  fsync: z.boolean().default(false),
  ...LimitFlags.shape,
});
export type ServerFlags = z.infer<typeof ServerFlags>;

/** What the parser accepts; harness/targets/reference/commands.ts documents each (a test checks). */
export const serverOptions = {
  region: { type: 'string' },
  node: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  secret: { type: 'string' },
  'admin-token': { type: 'string' },
  directory: { type: 'string' },
  peers: { type: 'string' },
  ack: { type: 'string' },
  replicas: { type: 'string' },
  'lease-ms': { type: 'string' },
  bug: { type: 'string', multiple: true },
  'max-frame-bytes': { type: 'string' },
  'max-body-bytes': { type: 'string' },
  fsync: { type: 'boolean' },
  'max-connections': { type: 'string' },
  'max-frame-rate': { type: 'string' },
  'max-buffered-bytes': { type: 'string' },
  'max-buffered-total-bytes': { type: 'string' },
} as const;

export function parseServerFlags(
  argv: string[],
): { ok: true; flags: ServerFlags } | { ok: false; message: string } {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options: serverOptions, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return { ok: false, message: errorMessage(error) };
  }
  const parsed = ServerFlags.safeParse(withSecretsFromEnv(values));
  if (!parsed.success) {
    return { ok: false, message: describeIssues(parsed.error).replace(/(^|; )(\w[\w-]*)/g, '$1--$2') };
  }
  const nodeId = `${parsed.data.region}/${parsed.data.node}`;
  if (parsed.data.peers.some((p) => p.id === nodeId)) {
    return { ok: false, message: `--peers: lists this node (${nodeId}) itself` };
  }
  return { ok: true, flags: parsed.data };
}

/** Tracing as OTEL_* asks (null when it does not); a failure to start it only costs the traces. */
async function startTracing(serviceName: string, logger: Logger): Promise<NodeTracing | null> {
  try {
    const tracing = await startNodeTracing(serviceName);
    if (tracing !== null) logger.info('tracing on', { service: serviceName });
    return tracing;
  } catch (error) {
    logger.warn('tracing could not start; running without it', { error: errorMessage(error) });
    return null;
  }
}

/** Flushes the spans still buffered; an unreachable collector only loses them. */
async function stopTracing(tracing: NodeTracing | null, logger: Logger): Promise<void> {
  try {
    await tracing?.shutdown();
  } catch (error) {
    logger.warn('could not flush traces', { error: errorMessage(error) });
  }
}

/** A CPU profile when $CHATQUAKE_CPU_PROF_DIR asks for one; a failure only costs the profile. */
async function startProfiler(name: string, logger: Logger): Promise<CpuProfiler | null> {
  try {
    return await startCpuProfile(name);
  } catch (error) {
    logger.warn('cpu profile could not start', { error: errorMessage(error) });
    return null;
  }
}

async function stopProfiler(profiler: CpuProfiler | null, logger: Logger): Promise<void> {
  if (profiler === null) return;
  try {
    logger.info('cpu profile written', { file: await profiler.stop() });
  } catch (error) {
    logger.warn('could not write the cpu profile', { error: errorMessage(error) });
  }
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseServerFlags(argv);
  if (!parsed.ok) {
    writeErr(`chatquake server: ${parsed.message}\n`);
    return ExitCode.invalidConfig;
  }
  const f = parsed.flags;
  const logger = createLogger({ component: 'server', region: f.region, node: f.node });
  // Until the node is up, a lost parent (or log pipe) simply ends the process.
  let onGone: (why: string) => void = () => process.exit(1);
  const releaseLifeline = holdLifeline({ onGone: (why) => onGone(why) });
  process.on('uncaughtException', (error) => {
    // A broken log pipe is handled by the lifeline; logging it would only break it again.
    if (!isBrokenPipe(error))
      logger.error('uncaught exception', { error: errorMessage(error), stack: error.stack });
  });
  process.on('unhandledRejection', (error) => {
    if (!isBrokenPipe(error)) logger.error('unhandled rejection', { error: errorMessage(error) });
  });
  const tracing = await startTracing(`chatquake-node ${f.region}/${f.node}`, logger);
  const profiler = await startProfiler(`${f.region}-${f.node}`, logger);
  let node: Awaited<ReturnType<typeof startNode>>;
  try {
    node = await startNode({
      region: f.region,
      node: f.node,
      host: f.host,
      port: f.port,
      dataDir: f.data,
      secret: f.secret,
      adminToken: f['admin-token'],
      directoryUrl: f.directory?.replace(/\/+$/, '') ?? null,
      peers: f.peers,
      ack: f.ack,
      replicas: f.replicas,
      leaseMs: f['lease-ms'],
      bugs: new Set(f.bug),
      maxFrameBytes: f['max-frame-bytes'],
      maxBodyBytes: f['max-body-bytes'],
      fsync: f.fsync,
      limits: limitsFromFlags(f),
      clock: createClock(),
      logger,
      tracing,
    });
  } catch (error) {
    releaseLifeline();
    writeErr(`chatquake server: could not start: ${errorMessage(error)}\n`);
    return 1;
  }
  writeOut(
    `${JSON.stringify({ event: 'listening', region: f.region, node: f.node, host: node.host, port: node.port })}\n`,
  );
  return new Promise<number>((resolve) => {
    let closing = false;
    const shutdown = (): void => {
      if (closing) return;
      closing = true;
      releaseLifeline();
      node
        .close()
        .then(() => stopTracing(tracing, logger))
        .then(() => stopProfiler(profiler, logger))
        .then(
          () => resolve(0),
          (error: unknown) => {
            logger.error('shutdown failed', { error: errorMessage(error) });
            resolve(1);
          },
        );
    };
    // An orphan closes as on SIGTERM (bounded by the lifeline's forced exit).
    onGone = (why) => {
      logger.warn('the harness is gone, shutting down', { why });
      shutdown();
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
}
