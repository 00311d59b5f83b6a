// The harness's /metrics endpoint while a run goes on: a plain HTTP server on 127.0.0.1 that
// answers GET /metrics from the run's own registry (metrics.ts) and 404 to anything else. Closing
// it drops open keep-alive connections too, so no port stays bound after the run.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunMetrics } from './metrics.ts';

export interface MetricsServer {
  /** http://127.0.0.1:PORT/metrics */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops its connections. Idempotent. */
  close(): Promise<void>;
}

export const METRICS_HOST = '127.0.0.1';

/** Listens on `port` (0: a free one) of 127.0.0.1; rejects if the port is taken. */
export async function startMetricsServer(
  metrics: RunMetrics,
  port: number,
  host: string = METRICS_HOST,
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: the harness serves GET /metrics\n');
      return;
    }
    metrics.text().then(
      (body) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    // Every interface (a compose harness's 0.0.0.0) is reachable on loopback too.
    url: `http://${host === '0.0.0.0' ? METRICS_HOST : host}:${bound}/metrics`,
    port: bound,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
