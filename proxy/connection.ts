// One client connection through a proxy: dial the upstream, run a link each way, and turn how
// a link ends into what the sockets do. A plain end is passed on as a half-close; a toxic's
// close shuts the connection (after what was already let through); a reset sends RST both ways.
import { connect, type Socket } from 'node:net';
import type { Random } from '../lib/random.ts';
import type { HostPort } from './address.ts';
import { createLink, type Link } from './link.ts';
import type { LinkCounters, ProxyCounters } from './metrics.ts';
import type { Direction, ToxicState } from './model.ts';
import type { EndKind } from './toxics/types.ts';

export interface ConnectionOptions {
  client: Socket;
  upstream: HostPort;
  /** Accept order on this proxy, from 0: with the seed, it fixes every random choice. */
  ordinal: number;
  /** This connection's random stream; each toxic forks it by name. */
  random: Random;
  toxics(direction: Direction): readonly ToxicState[];
  counters: ProxyCounters;
  linkCounters(direction: Direction): LinkCounters;
  applied(toxic: ToxicState): void;
  connectTimeoutMs: number;
  /** Both sockets are closed. */
  closed(connection: Connection): void;
}

export interface Connection {
  readonly ordinal: number;
  /** The link of a direction, once the upstream answered. */
  link(direction: Direction): Link | undefined;
  /** Close both sockets now, dropping what is in flight (proxy disabled or deleted). */
  destroy(): void;
}

function ignoreErrors(socket: Socket): void {
  // Errors surface as 'close'; without a listener an ECONNRESET would crash the process.
  socket.on('error', () => {});
}

export function createConnection(options: ConnectionOptions): Connection {
  const { client, counters } = options;
  const openedAt = performance.now();
  const links: Partial<Record<Direction, Link>> = {};
  const outputDone: Record<Direction, boolean> = { upstream: false, downstream: false };
  let upstream: Socket | undefined;
  let established = false;
  let clientClosed = false;
  let upstreamClosed = false;
  let finished = false;
  /** Closed by the proxy (disabled, deleted): not an upstream failure. */
  let destroyed = false;

  counters.connectionsTotal++;
  counters.connectionsActive++;
  ignoreErrors(client);
  client.setNoDelay(true);

  const connection: Connection = {
    ordinal: options.ordinal,
    link: (direction) => links[direction],
    destroy() {
      destroyed = true;
      links.upstream?.abort();
      links.downstream?.abort();
      client.destroy();
      upstream?.destroy();
    },
  };

  const finish = (): void => {
    if (finished || !clientClosed || !upstreamClosed) return;
    finished = true;
    links.upstream?.abort();
    links.downstream?.abort();
    counters.connectionsActive--;
    options.closed(connection);
  };

  const destOf = (direction: Direction): Socket | undefined => (direction === 'upstream' ? upstream : client);

  const closeSoon = (socket: Socket | undefined): void => {
    if (socket === undefined || socket.destroyed) return;
    socket.end();
    socket.destroySoon();
  };

  const linkEnded = (direction: Direction, kind: EndKind): void => {
    const other: Direction = direction === 'upstream' ? 'downstream' : 'upstream';
    outputDone[direction] = true;
    if (kind === 'reset') {
      links.upstream?.abort();
      links.downstream?.abort();
      for (const socket of [client, upstream]) {
        if (socket !== undefined && !socket.destroyed) socket.resetAndDestroy();
      }
      return;
    }
    const dest = destOf(direction);
    if (kind === 'close' || outputDone[other]) closeSoon(dest);
    else if (dest !== undefined && !dest.destroyed) dest.end();
    if (outputDone[other]) closeSoon(destOf(other));
  };

  // A socket that closed can take no more writes (abort the link into it) and will send no
  // more data (end the link out of it, which flushes the toxics towards the other side).
  const socketClosed = (direction: Direction): void => {
    const into = links[direction];
    const outOf = links[direction === 'upstream' ? 'downstream' : 'upstream'];
    outputDone[direction] = true;
    into?.abort();
    outOf?.endInput();
  };

  const start = (socket: Socket): void => {
    const base = {
      openedAt,
      draw: (toxic: ToxicState) => {
        const forked = options.random.fork(toxic.name);
        return { chance: forked.fork('toxicity').next(), random: forked.fork('stream') };
      },
      applied: options.applied,
    };
    links.upstream = createLink({
      ...base,
      direction: 'upstream',
      source: client,
      dest: socket,
      toxics: options.toxics('upstream'),
      counters: options.linkCounters('upstream'),
      ended: (kind) => linkEnded('upstream', kind),
    });
    links.downstream = createLink({
      ...base,
      direction: 'downstream',
      source: socket,
      dest: client,
      toxics: options.toxics('downstream'),
      counters: options.linkCounters('downstream'),
      ended: (kind) => linkEnded('downstream', kind),
    });
    client.resume();
  };

  client.once('close', () => {
    clientClosed = true;
    if (!established) upstream?.destroy();
    else socketClosed('downstream');
    finish();
  });

  const dialed = connect({
    host: options.upstream.host === '' ? '127.0.0.1' : options.upstream.host,
    port: options.upstream.port,
    allowHalfOpen: true,
    noDelay: true,
  });
  upstream = dialed;
  ignoreErrors(dialed);
  const timer = setTimeout(() => dialed.destroy(), options.connectTimeoutMs);
  dialed.once('connect', () => {
    clearTimeout(timer);
    if (client.destroyed) {
      dialed.destroy();
      return;
    }
    established = true;
    start(dialed);
  });
  dialed.once('close', () => {
    clearTimeout(timer);
    upstreamClosed = true;
    if (!established) {
      if (!clientClosed && !destroyed) counters.connectFailures++;
      client.destroy();
    } else socketClosed('upstream');
    finish();
  });
  return connection;
}
