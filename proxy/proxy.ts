// One named proxy: a listener on `listen` that forwards every connection to `upstream` through
// its toxics. Enabling binds, disabling unbinds and closes every open connection, as Toxiproxy.
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Random } from '../lib/random.ts';
import { formatHostPort, type HostPort, resolveListen } from './address.ts';
import { type Connection, createConnection } from './connection.ts';
import { ApiError } from './errors.ts';
import type { Metrics } from './metrics.ts';
import { type Direction, type ProxyView, toxicView } from './model.ts';
import { createToxicCollection, type ToxicCollection } from './toxic-collection.ts';

export interface ProxyDependencies {
  /** The proxy's own random stream (seed forked by proxy name). */
  random: Random;
  metrics: Metrics;
  /** Host for a listen address without one. */
  defaultHost: string;
  connectTimeoutMs: number;
}

export interface ProxyAddresses {
  listen: HostPort;
  upstream: HostPort;
  /** The upstream as the request spelled it, shown back unchanged. */
  upstreamText: string;
}

export interface TcpProxy {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
  readonly toxics: ToxicCollection;
  view(): ProxyView;
  /** Whether these addresses would mean a different listener or upstream (Toxiproxy's Differs). */
  differs(addresses: ProxyAddresses): boolean;
  /** Binds and starts accepting; a bind failure is a 4xx (see bindStatus) and leaves it disabled. */
  start(): Promise<void>;
  /** Unbinds and closes every connection. */
  stop(): Promise<void>;
  /**
   * PATCH semantics: new addresses rebind (dropping connections); `enabled` starts or stops.
   * When the new address cannot be bound, the proxy goes back to its old one and it throws.
   */
  update(addresses: ProxyAddresses, enabled: boolean): Promise<void>;
  /** Open connections, oldest first. */
  connections(): Connection[];
}

/**
 * The answer to a failed bind. Toxiproxy says 500 to all; here a port in use is a conflict
 * (409), a request the host cannot honour (an address it does not have, a privileged port, a
 * host that does not resolve) is a bad request (400), and only the server running out of
 * descriptors or memory is its own fault (503).
 */
function bindStatus(error: unknown): number {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 409;
  if (code === 'EMFILE' || code === 'ENFILE' || code === 'ENOMEM' || code === 'EAI_AGAIN') return 503;
  return 400;
}

export function createProxy(name: string, addresses: ProxyAddresses, deps: ProxyDependencies): TcpProxy {
  let listenAt = resolveListen(addresses.listen, deps.defaultHost);
  let listen = formatHostPort(listenAt.host, listenAt.port);
  let upstreamAt = addresses.upstream;
  let upstream = addresses.upstreamText;
  let server: Server | undefined;
  let ordinal = 0;
  const open = new Set<Connection>();
  const counters = deps.metrics.proxy(name);

  const toxics = createToxicCollection({
    added: (toxic) => {
      for (const c of open) c.link(toxic.direction)?.added(toxic);
    },
    updated: (toxic) => {
      for (const c of open) c.link(toxic.direction)?.updated(toxic);
    },
    removed: (toxic) => {
      for (const c of [...open]) c.link(toxic.direction)?.removed(toxic);
    },
  });

  const accept = (client: Socket): void => {
    const n = ordinal++;
    const linkCounters = (direction: Direction) => deps.metrics.link(name, direction, listen, upstream);
    const connection = createConnection({
      client,
      upstream: upstreamAt,
      ordinal: n,
      random: deps.random.fork(`connection/${n}`),
      toxics: (direction) => toxics.chain(direction),
      counters,
      linkCounters,
      applied: (toxic) => deps.metrics.toxicApplied(name, toxic.name, toxic.type),
      connectTimeoutMs: deps.connectTimeoutMs,
      closed: (c) => open.delete(c),
    });
    open.add(connection);
  };

  const start = async (): Promise<void> => {
    if (server !== undefined) return;
    const candidate = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, accept);
    try {
      await new Promise<void>((resolve, reject) => {
        candidate.once('error', reject);
        candidate.listen({ host: listenAt.host, port: listenAt.port }, () => {
          candidate.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      throw new ApiError(`listen tcp ${listen}: ${(error as Error).message}`, bindStatus(error));
    }
    // Past the bind, an accept error (say EMFILE) must not take the whole process down.
    candidate.on('error', () => {});
    const address = candidate.address() as AddressInfo;
    listenAt = { host: address.address, port: address.port };
    listen = formatHostPort(address.address, address.port);
    server = candidate;
  };

  const differs = (next: ProxyAddresses): boolean => {
    const at = resolveListen(next.listen, deps.defaultHost);
    return formatHostPort(at.host, at.port) !== listen || next.upstreamText !== upstream;
  };

  const stop = async (): Promise<void> => {
    const current = server;
    if (current === undefined) return;
    server = undefined;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const connection of [...open]) connection.destroy();
    await closed;
  };

  return {
    name,
    get listen() {
      return listen;
    },
    get upstream() {
      return upstream;
    },
    get enabled() {
      return server !== undefined;
    },
    toxics,
    view: () => ({
      name,
      listen,
      upstream,
      enabled: server !== undefined,
      toxics: toxics.list().map(toxicView),
    }),
    differs,
    start,
    stop,
    async update(next, enabled) {
      if (!differs(next)) {
        if (enabled) await start();
        else await stop();
        return;
      }
      const before = { listenAt, listen, upstreamAt, upstream, enabled: server !== undefined };
      await stop();
      listenAt = resolveListen(next.listen, deps.defaultHost);
      listen = formatHostPort(listenAt.host, listenAt.port);
      upstreamAt = next.upstream;
      upstream = next.upstreamText;
      if (!enabled) return;
      try {
        await start();
      } catch (error) {
        // Nothing changes when the new address cannot be bound: back to the old one.
        ({ listenAt, listen, upstreamAt, upstream } = before);
        if (before.enabled)
          await start().catch((again: Error) => {
            throw new ApiError(
              `${(error as Error).message}; the proxy stays disabled: ${again.message}`,
              (error as ApiError).status,
            );
          });
        throw error;
      }
    },
    connections: () => [...open],
  };
}
