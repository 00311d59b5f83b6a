// startFaultProxy's options, checked and given their defaults in one place. Each number has an
// upper bound: a port past 65535 or a connect timeout past Node's timer limit would otherwise
// fail late and strangely (a 3e9 ms connect timeout fires after 1 ms and closes every
// connection before its upstream answers). A bad option is an error naming it.
import { z } from 'zod';
import { describeIssues } from '../contracts/errors.ts';
import type { ApiEvent } from './api.ts';
import type { ProxyConfig } from './schemas.ts';

/** The longest an upstream may take to accept a connection: 10 minutes. */
export const MAX_CONNECT_TIMEOUT_MS = 600_000;

export interface FaultProxyOptions {
  /** Address of the HTTP API, and of proxies whose listen has no host. Default 127.0.0.1. */
  host?: string;
  /** Port of the HTTP API, 0 to 65535; 0 picks a free one. Default 8474, Toxiproxy's. */
  port?: number;
  /** Seeds every random choice (toxicity, jitter, slice sizes, drops); any safe integer. Default 0. */
  seed?: number;
  /** Proxies to create before the API answers, in the /populate format. */
  config?: ProxyConfig[];
  /** How long a connection waits for its upstream to accept, 1 ms to 10 minutes. Default 10 s. */
  connectTimeoutMs?: number;
  /** Told about every change made through the API (proxy created, toxic added, ...). */
  log?: (event: ApiEvent) => void;
}

export interface ResolvedOptions {
  host: string;
  port: number;
  seed: number;
  config: ProxyConfig[];
  connectTimeoutMs: number;
  log: (event: ApiEvent) => void;
}

const numbersSchema = z.object({
  host: z.string('must be a string').min(1, 'must not be empty').default('127.0.0.1'),
  port: z
    .number('must be a number')
    .int('must be a whole number')
    .min(0, 'must be from 0 to 65535')
    .max(65535, 'must be from 0 to 65535')
    .default(8474),
  seed: z.number('must be a number').int('must be a whole number (a safe integer)').default(0),
  connectTimeoutMs: z
    .number('must be a number')
    .int('must be a whole number')
    .min(1, `must be from 1 to ${MAX_CONNECT_TIMEOUT_MS}`)
    .max(MAX_CONNECT_TIMEOUT_MS, `must be from 1 to ${MAX_CONNECT_TIMEOUT_MS}`)
    .default(10_000),
});

/** The options with their defaults; throws an Error naming the first bad option. */
export function resolveFaultProxyOptions(options: FaultProxyOptions): ResolvedOptions {
  const parsed = numbersSchema.safeParse({
    host: options.host,
    port: options.port,
    seed: options.seed,
    connectTimeoutMs: options.connectTimeoutMs,
  });
  if (!parsed.success) throw new Error(describeIssues(parsed.error));
  return { ...parsed.data, config: options.config ?? [], log: options.log ?? (() => {}) };
}
