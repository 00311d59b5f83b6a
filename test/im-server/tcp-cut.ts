// A minimal TCP proxy for tests: forwards to a target until cut, then drops every connection
// and refuses new data (connections are accepted and held, like a blackhole) until healed.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface CutProxy {
  url: string;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

/** Listens on a free port now; the target is resolved on each connection. */
export async function startCutProxy(target: () => { host: string; port: number }): Promise<CutProxy> {
  const sockets = new Set<Socket>();
  let isCut = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (isCut) return; // held open, nothing forwarded: a blackhole
    const t = target();
    const upstream = createConnection(t.port, t.host);
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      isCut = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    heal() {
      isCut = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
