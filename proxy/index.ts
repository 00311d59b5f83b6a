// The fault proxy as a library: start it in-process, get its URL, close it. `chatquake proxy`
// is this plus flags; the harness may use either.
import { createServer, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createApi } from './api.ts';
import { createCollection } from './collection.ts';
import { createMetrics } from './metrics.ts';
import { type FaultProxyOptions, resolveFaultProxyOptions } from './options.ts';

export type { ApiEvent } from './api.ts';
export { API_VERSION } from './api.ts';
export { type FaultProxyOptions, MAX_CONNECT_TIMEOUT_MS } from './options.ts';
export { type ProxyConfig, proxyConfigFileSchema, proxyConfigSchema } from './schemas.ts';
export { toxicTypes } from './toxics/index.ts';

/**
 * A request whose headers and body have not all arrived by then gets 408 and is closed (Node
 * checks every few seconds), so a stalled client holds a socket, never the API.
 */
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * A request Node's parser refuses (a bad request line, headers past 16 KiB, a timeout) never
 * reaches the API; it gets the same JSON error body as every other refusal, then the socket
 * closes, instead of a bare status line.
 */
function refuseUnparsable(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const reason = STATUS_CODES[status] ?? 'Bad Request';
  const text = `${JSON.stringify({ error: `${reason.toLowerCase()}: ${error.code ?? error.message}`, status })}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
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
  const { host, port, seed, config, connectTimeoutMs, log } = resolveFaultProxyOptions(options);
  const metrics = createMetrics();
  const collection = createCollection({ seed, defaultHost: host, metrics, connectTimeoutMs });
  if (config.length > 0) {
    try {
      await collection.populate(config);
    } catch (error) {
      await collection.close();
      throw new Error(`config: ${(error as Error).message}`);
    }
  }

  const server = createServer(createApi({ collection, metrics, log }));
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = Math.min(server.headersTimeout, REQUEST_TIMEOUT_MS);
  server.on('clientError', refuseUnparsable);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
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
