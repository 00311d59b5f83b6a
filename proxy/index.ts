// The fault proxy as a library: start it in-process, get its URL, close it. `chatquake proxy`
// is this plus flags; the harness may use either.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ApiEvent, createApi } from './api.ts';
import { createCollection } from './collection.ts';
import { createMetrics } from './metrics.ts';
import type { ProxyConfig } from './schemas.ts';

export type { ApiEvent } from './api.ts';
export { API_VERSION } from './api.ts';
export { type ProxyConfig, proxyConfigFileSchema, proxyConfigSchema } from './schemas.ts';
export { toxicTypes } from './toxics/index.ts';

export interface FaultProxyOptions {
  /** Address of the HTTP API, and of proxies whose listen has no host. Default 127.0.0.1. */
  host?: string;
  /** Port of the HTTP API; 0 picks a free one. Default 8474, Toxiproxy's. */
  port?: number;
  /** Seeds every random choice (toxicity, jitter, slice sizes, drops). Default 0. */
  seed?: number;
  /** Proxies to create before the API answers, in the /populate format. */
  config?: ProxyConfig[];
  /** How long a connection waits for its upstream to accept before it is closed. Default 10 s. */
  connectTimeoutMs?: number;
  /** Told about every change made through the API (proxy created, toxic added, ...). */
  log?: (event: ApiEvent) => void;
}

export interface FaultProxyServer {
  /** http://host:port of the API. */
  url: string;
  host: string;
  port: number;
  /** Closes the API, every listener and every connection. */
  close(): Promise<void>;
}

export async function startFaultProxy(options: FaultProxyOptions = {}): Promise<FaultProxyServer> {
  const host = options.host ?? '127.0.0.1';
  const metrics = createMetrics();
  const collection = createCollection({
    seed: options.seed ?? 0,
    defaultHost: host,
    metrics,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
  });
  if (options.config !== undefined && options.config.length > 0) {
    let failure: Error | undefined;
    try {
      const result = await collection.populate(options.config);
      failure = result.error;
    } catch (error) {
      failure = error as Error;
    }
    if (failure !== undefined) {
      await collection.close();
      throw new Error(`config: ${failure.message}`);
    }
  }

  const server = createServer(createApi({ collection, metrics, log: options.log }));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: options.port ?? 8474 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await collection.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    host: address.address,
    port: address.port,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await collection.close();
        await closed;
      })();
      return closing;
    },
  };
}
