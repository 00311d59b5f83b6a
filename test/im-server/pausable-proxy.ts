// A TCP proxy for tests whose server-to-client direction can be paused: while paused it stops
// reading from the server, exactly as a client that stops reading would, while the client's
// own traffic still goes through. Resumed, everything held flows on in order.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface PausableProxy {
  /** ws://127.0.0.1:PORT */
  wsUrl: string;
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startPausableProxy(targetPort: number): Promise<PausableProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let paused = false;
  const server: Server = createServer((client) => {
    const upstream = createConnection(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    // The server's end only reaches the client once everything before it has (pipe ends it).
    upstream.on('close', () => {
      if (upstream.readableLength === 0) end();
    });
    client.pipe(upstream);
    if (paused) upstream.pause();
    else upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    pause() {
      paused = true;
      for (const { client, upstream } of pairs) {
        upstream.unpipe(client);
        upstream.pause();
      }
    },
    resume() {
      paused = false;
      for (const { client, upstream } of pairs) upstream.pipe(client);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
