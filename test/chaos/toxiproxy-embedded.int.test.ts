import { type AddressInfo, connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createToxiproxyBackend } from '../../chaos/backends/toxiproxy.ts';
import { startFaultProxy } from '../../proxy/index.ts';
import { type ApiProxy, api, EDGE, toxicSpec, toxiproxyApiSuite } from './fixtures/toxiproxy-api-suite.ts';

toxiproxyApiSuite('the embedded fault proxy', () => startFaultProxy({ port: 0, seed: 1 }));

describe('toxiproxy backend on the embedded proxy’s data plane', () => {
  it('refuses connections when disabled and delays data with latency', async () => {
    const echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const proxyServer = await startFaultProxy({ port: 0, seed: 1 });
    try {
      const upstream = `127.0.0.1:${(echo.address() as AddressInfo).port}`;
      const created = await api<ApiProxy>(`${proxyServer.url}/proxies`, 'POST', {
        name: EDGE,
        listen: '127.0.0.1:0',
        upstream,
      });
      const port = Number(created.listen.slice(created.listen.lastIndexOf(':') + 1));
      const roundTrip = (): Promise<number> =>
        new Promise((resolve, reject) => {
          const started = performance.now();
          const socket = connect(port, '127.0.0.1', () => socket.write('ping'));
          socket.once('data', () => {
            socket.destroy();
            resolve(performance.now() - started);
          });
          socket.once('error', reject);
          socket.setTimeout(5_000, () => {
            socket.destroy();
            reject(new Error('timeout'));
          });
        });
      const backend = createToxiproxyBackend(proxyServer.url);
      expect(await roundTrip()).toBeLessThan(1_000);
      await backend.setEnabled(EDGE, false);
      await expect(roundTrip()).rejects.toThrow(/ECONNREFUSED/);
      await backend.setEnabled(EDGE, true);
      await backend.addToxic(EDGE, toxicSpec('slow', 'latency', 'downstream', { latency: 300, jitter: 0 }));
      expect(await roundTrip()).toBeGreaterThanOrEqual(290);
      await backend.reset();
      expect(await roundTrip()).toBeLessThan(290);
    } finally {
      await proxyServer.close();
      await new Promise((resolve) => echo.close(resolve));
    }
  });
});
