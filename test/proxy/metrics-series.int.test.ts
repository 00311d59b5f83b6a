// A proxy's series live exactly as long as the proxy: after DELETE, and after a create or a
// populate that failed to bind, /metrics names it nowhere. Otherwise a game day that recreates
// proxies under new addresses would graph ghosts, and a failed create would look like a proxy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxyServer, startFaultProxy } from '../../proxy/index.ts';
import { api, dial, echoServer, portOf, roundTrip, type TcpServer } from './helpers.ts';

let fp: FaultProxyServer;
let echo: TcpServer;
let squatter: TcpServer;

beforeAll(async () => {
  fp = await startFaultProxy({ port: 0, seed: 1 });
  echo = await echoServer();
  squatter = await echoServer();
});

afterAll(async () => {
  await fp?.close();
  await echo?.close();
  await squatter?.close();
});

/** The series lines (not comments) of /metrics that carry proxy="name". */
async function seriesOf(name: string): Promise<string[]> {
  const answer = await api(fp.url, 'GET', '/metrics');
  expect(answer.status).toBe(200);
  return answer.text.split('\n').filter((line) => !line.startsWith('#') && line.includes(`proxy="${name}"`));
}

describe('proxy series', () => {
  it('disappear when the proxy is deleted', async () => {
    const created = await api(fp.url, 'POST', '/proxies', {
      name: 'doomed',
      listen: '127.0.0.1:0',
      upstream: echo.address,
    });
    expect(created.status).toBe(201);
    const listen = (created.json as { listen: string }).listen;
    const toxic = { type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 0 } };
    expect((await api(fp.url, 'POST', '/proxies/doomed/toxics', toxic)).status).toBe(200);
    const client = await dial(portOf(listen));
    await roundTrip(client, 'hello');
    client.socket.destroy();
    const before = await seriesOf('doomed');
    for (const family of [
      'toxiproxy_proxy_received_bytes_total',
      'toxiproxy_proxy_sent_bytes_total',
      'chatquake_proxy_connections_total',
      'chatquake_proxy_toxic_applied_total',
      'chatquake_proxy_enabled',
    ])
      expect(
        before.some((line) => line.startsWith(`${family}{`)),
        family,
      ).toBe(true);

    expect((await api(fp.url, 'DELETE', '/proxies/doomed')).status).toBe(204);
    expect(await seriesOf('doomed')).toEqual([]);
  });

  it('never appear for a proxy whose create failed to bind', async () => {
    const refused = await api(fp.url, 'POST', '/proxies', {
      name: 'stillborn',
      listen: squatter.address,
      upstream: echo.address,
    });
    expect(refused.status).toBe(409);
    expect(await seriesOf('stillborn')).toEqual([]);
  });

  it('never appear for a proxy a failed populate rolled back', async () => {
    const refused = await api(fp.url, 'POST', '/populate', [
      { name: 'first', listen: '127.0.0.1:0', upstream: echo.address },
      { name: 'second', listen: squatter.address, upstream: echo.address },
    ]);
    expect(refused.status).toBe(409);
    expect(await seriesOf('first')).toEqual([]);
    expect(await seriesOf('second')).toEqual([]);
  });
});
