// Every proxy by name, and the operations on the set that Toxiproxy's API offers: create,
// populate (keep what is unchanged, replace what differs), update, delete, reset.
import { createRandom, type Random } from '../lib/random.ts';
import { type HostPort, parseHostPort } from './address.ts';
import { ApiError, badRequestBody, missingField, proxyAlreadyExists, proxyNotFound } from './errors.ts';
import type { Metrics } from './metrics.ts';
import { nameProblem } from './names.ts';
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

export interface Collection {
  list(): TcpProxy[];
  get(name: string): TcpProxy;
  create(input: ProxyInput): Promise<TcpProxy>;
  /**
   * All or nothing: every entry is checked before anything changes, and if a proxy then cannot
   * bind, what this call created is removed and what it replaced comes back before it throws.
   */
  populate(inputs: readonly ProxyInput[]): Promise<TcpProxy[]>;
  update(name: string, change: ProxyChange): Promise<TcpProxy>;
  remove(name: string): Promise<void>;
  /**
   * Remove every toxic and enable every proxy; proxies stay. A proxy that cannot bind stays
   * disabled and is reported, and the rest is still done.
   */
  reset(): Promise<ApiError[]>;
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

interface Entry {
  name: string;
  at: ProxyAddresses;
  enabled: boolean;
  /** " at proxy 3": where the entry sits in the request, for errors. */
  where: string;
}

function checkName(name: string, where: string): void {
  const problem = nameProblem(name);
  if (problem !== undefined) throw badRequestBody(`name${where}: ${problem}`);
}

/** Every populate entry checked, before anything is touched; a name may appear only once. */
function checkEntries(inputs: readonly ProxyInput[]): Entry[] {
  const seen = new Map<string, number>();
  return inputs.map((input, i) => {
    const where = ` at proxy ${i + 1}`;
    if (input.name === undefined || input.name === '') throw missingField(`name${where}`);
    if (input.upstream === undefined || input.upstream === '') throw missingField(`upstream${where}`);
    checkName(input.name, where);
    const first = seen.get(input.name);
    if (first !== undefined)
      throw badRequestBody(`name${where}: ${JSON.stringify(input.name)} is also proxy ${first}`);
    seen.set(input.name, i + 1);
    return {
      name: input.name,
      at: addresses(input.listen, input.upstream, where),
      enabled: input.enabled !== false,
      where,
    };
  });
}

/** The same error with `suffix` after its message (which entry, which proxy). */
function named(error: ApiError, suffix: string): ApiError {
  return new ApiError(`${error.message}${suffix}`, error.status);
}

async function startAt(proxy: TcpProxy, where: string): Promise<void> {
  try {
    await proxy.start();
  } catch (error) {
    throw named(error as ApiError, where);
  }
}

/** One name a populate changed: what was there before, and what it put there. */
interface Replacement {
  name: string;
  previous: TcpProxy | undefined;
  wasEnabled: boolean | undefined;
  created?: TcpProxy;
}

/**
 * Undoes a populate that failed part way, newest change first: what it created is stopped and
 * forgotten, what it replaced is put back (toxics and all) and bound again where it was. If a
 * proxy cannot bind again (someone took its port meanwhile), the error says so.
 */
async function rollBack(
  proxies: Map<string, TcpProxy>,
  undo: Replacement[],
  cause: ApiError,
  metrics: Metrics,
): Promise<ApiError> {
  const lost: string[] = [];
  for (const { name, previous, wasEnabled, created } of undo.reverse()) {
    await created?.stop();
    if (previous === undefined) {
      proxies.delete(name);
      metrics.forget(name);
      continue;
    }
    proxies.set(name, previous);
    if (wasEnabled !== true) continue;
    try {
      await previous.start();
    } catch (error) {
      lost.push(`${JSON.stringify(name)} stays disabled: ${(error as Error).message}`);
    }
  }
  return lost.length === 0 ? cause : named(cause, `; ${lost.join('; ')}`);
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
      checkName(input.name, '');
      const at = addresses(input.listen, input.upstream, '');
      if (proxies.has(input.name)) throw proxyAlreadyExists();
      const proxy = make(input.name, at);
      if (input.enabled !== false) {
        try {
          await proxy.start();
        } catch (error) {
          options.metrics.forget(input.name);
          throw error;
        }
      }
      proxies.set(input.name, proxy);
      return proxy;
    },
    async populate(inputs) {
      const entries = checkEntries(inputs);
      const undo: Replacement[] = [];
      const result: TcpProxy[] = [];
      try {
        for (const entry of entries) {
          const existing = proxies.get(entry.name);
          if (existing !== undefined && !existing.differs(entry.at)) {
            result.push(existing);
            continue;
          }
          const replacement: Replacement = {
            name: entry.name,
            previous: existing,
            wasEnabled: existing?.enabled,
          };
          undo.push(replacement);
          await existing?.stop();
          const proxy = make(entry.name, entry.at);
          if (entry.enabled) await startAt(proxy, entry.where);
          replacement.created = proxy;
          proxies.set(entry.name, proxy);
          result.push(proxy);
        }
      } catch (error) {
        throw await rollBack(proxies, undo, error as ApiError, options.metrics);
      }
      return result;
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
      options.metrics.forget(name);
    },
    async reset() {
      const failures: ApiError[] = [];
      for (const proxy of proxies.values()) {
        proxy.toxics.clear();
        try {
          await proxy.start();
        } catch (error) {
          failures.push(named(error as ApiError, ` (proxy ${JSON.stringify(proxy.name)})`));
        }
      }
      return failures;
    },
    async close() {
      await Promise.all([...proxies.values()].map((proxy) => proxy.stop()));
    },
  };
}
