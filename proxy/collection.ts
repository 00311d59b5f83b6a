// Every proxy by name, and the operations on the set that Toxiproxy's API offers: create,
// populate (keep what is unchanged, replace what differs), update, delete, reset.
import { createRandom, type Random } from '../lib/random.ts';
import { type HostPort, parseHostPort } from './address.ts';
import { type ApiError, badRequestBody, missingField, proxyAlreadyExists, proxyNotFound } from './errors.ts';
import type { Metrics } from './metrics.ts';
import { createProxy, type ProxyAddresses, type TcpProxy } from './proxy.ts';

export interface CollectionOptions {
  seed: number;
  /** Host of a listen address given without one ("" or ":port"), and of a missing listen. */
  defaultHost: string;
  metrics: Metrics;
  connectTimeoutMs: number;
}

export interface ProxyInput {
  name?: string | undefined;
  listen?: string | undefined;
  upstream?: string | undefined;
  enabled?: boolean | undefined;
}

export interface ProxyChange {
  listen?: string | undefined;
  upstream?: string | undefined;
  enabled?: boolean | undefined;
}

export interface PopulateResult {
  proxies: TcpProxy[];
  /** Set when a proxy could not start; the proxies before it were created. */
  error?: ApiError;
}

export interface Collection {
  list(): TcpProxy[];
  get(name: string): TcpProxy;
  create(input: ProxyInput): Promise<TcpProxy>;
  /** Throws before touching anything when an entry is invalid. */
  populate(inputs: readonly ProxyInput[]): Promise<PopulateResult>;
  update(name: string, change: ProxyChange): Promise<TcpProxy>;
  remove(name: string): Promise<void>;
  /** Re-enable every proxy and remove every toxic; proxies stay. */
  reset(): Promise<void>;
  /** Stop every proxy (the server is shutting down). */
  close(): Promise<void>;
}

function addresses(listen: string | undefined, upstream: string, where: string): ProxyAddresses {
  const listenAt: HostPort | string =
    listen === undefined || listen === '' ? { host: '', port: 0 } : parseHostPort(listen);
  if (typeof listenAt === 'string') throw badRequestBody(`listen${where}: ${listenAt}`);
  const upstreamAt = parseHostPort(upstream);
  if (typeof upstreamAt === 'string') throw badRequestBody(`upstream${where}: ${upstreamAt}`);
  if (upstreamAt.port === 0)
    throw badRequestBody(`upstream${where}: "${upstream}" needs a port other than 0`);
  return { listen: listenAt, upstream: upstreamAt, upstreamText: upstream };
}

export function createCollection(options: CollectionOptions): Collection {
  const proxies = new Map<string, TcpProxy>();
  const root: Random = createRandom(options.seed);

  const make = (name: string, at: ProxyAddresses): TcpProxy =>
    createProxy(name, at, {
      random: root.fork(`proxy/${name}`),
      metrics: options.metrics,
      defaultHost: options.defaultHost,
      connectTimeoutMs: options.connectTimeoutMs,
    });

  const get = (name: string): TcpProxy => {
    const proxy = proxies.get(name);
    if (proxy === undefined) throw proxyNotFound();
    return proxy;
  };

  return {
    list: () => [...proxies.values()],
    get,
    async create(input) {
      if (input.name === undefined || input.name === '') throw missingField('name');
      if (input.upstream === undefined || input.upstream === '') throw missingField('upstream');
      const at = addresses(input.listen, input.upstream, '');
      if (proxies.has(input.name)) throw proxyAlreadyExists();
      const proxy = make(input.name, at);
      if (input.enabled !== false) await proxy.start();
      proxies.set(input.name, proxy);
      return proxy;
    },
    async populate(inputs) {
      const checked = inputs.map((input, i) => {
        const where = ` at proxy ${i + 1}`;
        if (input.name === undefined || input.name === '') throw missingField(`name${where}`);
        if (input.upstream === undefined || input.upstream === '') throw missingField(`upstream${where}`);
        return {
          name: input.name,
          at: addresses(input.listen, input.upstream, where),
          enabled: input.enabled !== false,
        };
      });
      const result: TcpProxy[] = [];
      for (const entry of checked) {
        const existing = proxies.get(entry.name);
        if (existing !== undefined && !existing.differs(entry.at)) {
          result.push(existing);
          continue;
        }
        await existing?.stop();
        const proxy = make(entry.name, entry.at);
        if (entry.enabled) {
          try {
            await proxy.start();
          } catch (error) {
            return { proxies: result, error: error as ApiError };
          }
        }
        proxies.set(entry.name, proxy);
        result.push(proxy);
      }
      return { proxies: result };
    },
    async update(name, change) {
      const proxy = get(name);
      const at = addresses(change.listen ?? proxy.listen, change.upstream ?? proxy.upstream, '');
      await proxy.update(at, change.enabled ?? proxy.enabled);
      return proxy;
    },
    async remove(name) {
      const proxy = get(name);
      await proxy.stop();
      proxies.delete(name);
    },
    async reset() {
      for (const proxy of proxies.values()) {
        await proxy.start();
        proxy.toxics.clear();
      }
    },
    async close() {
      await Promise.all([...proxies.values()].map((proxy) => proxy.stop()));
    },
  };
}
