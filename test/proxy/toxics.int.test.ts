// Every toxic measured over real TCP on loopback: a client, the fault proxy, and an echo or
// blast server. Each check would fail if the toxic did nothing (the baseline is asserted too).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxyServer, startFaultProxy } from '../../proxy/index.ts';
import {
  api,
  blastServer,
  closedWithin,
  dial,
  echoServer,
  median,
  pattern,
  portOf,
  roundTrip,
  sleep,
  type TcpServer,
  tryConnect,
  typicalRoundTrip,
  within,
} from './helpers.ts';

let fp: FaultProxyServer;
let echo: TcpServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  fp = await startFaultProxy({ port: 0, seed: 42 });
  echo = await echoServer();
});

afterAll(async () => {
  await fp.close();
  await echo.close();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await api(fp.url, 'POST', '/reset');
  const proxies = (await api(fp.url, 'GET', '/proxies')).json as Record<string, unknown>;
  for (const name of Object.keys(proxies)) await api(fp.url, 'DELETE', `/proxies/${name}`);
});

let counter = 0;
async function proxyTo(upstream: string): Promise<{ name: string; port: number }> {
  const name = `p${counter++}`;
  const answer = await api(fp.url, 'POST', '/proxies', { name, upstream, listen: '127.0.0.1:0' });
  expect(answer.status).toBe(201);
  return { name, port: portOf((answer.json as { listen: string }).listen) };
}

async function addToxic(proxy: string, body: Record<string, unknown>): Promise<void> {
  const answer = await api(fp.url, 'POST', `/proxies/${proxy}/toxics`, body);
  expect(answer.status, answer.text).toBe(200);
}

async function open(port: number) {
  const client = await dial(port);
  cleanups.push(() => {
    client.socket.destroy();
  });
  return client;
}

describe('latency', () => {
  it('adds the configured delay to each round trip, and none without it', async () => {
    const proxy = await proxyTo(echo.address);
    const client = await open(proxy.port);
    const baseline: number[] = [];
    for (let i = 0; i < 5; i++) baseline.push(await roundTrip(client));
    expect(median(baseline)).toBeLessThan(30);

    await addToxic(proxy.name, { type: 'latency', attributes: { latency: 100 } });
    const delayed: number[] = [];
    for (let i = 0; i < 5; i++) delayed.push(await roundTrip(client));
    // The toxic reached a connection that was already open.
    expect(median(delayed)).toBeGreaterThanOrEqual(95);
    expect(median(delayed)).toBeLessThan(140);
  });

  it('adds latency in each direction it is put on', async () => {
    const proxy = await proxyTo(echo.address);
    await addToxic(proxy.name, { type: 'latency', stream: 'upstream', attributes: { latency: 60 } });
    await addToxic(proxy.name, { type: 'latency', stream: 'downstream', attributes: { latency: 60 } });
    const client = await open(proxy.port);
    const times: number[] = [];
    for (let i = 0; i < 3; i++) times.push(await roundTrip(client));
    expect(median(times)).toBeGreaterThanOrEqual(115);
    expect(median(times)).toBeLessThan(170);
  });

  it('keeps byte order under jitter', async () => {
    const proxy = await proxyTo(echo.address);
    await addToxic(proxy.name, { type: 'latency', attributes: { latency: 20, jitter: 20 } });
    const client = await open(proxy.port);
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const message = `<${i}>`;
      sent.push(message);
      client.socket.write(message);
      await sleep(3);
    }
    const expected = sent.join('');
    const got = await client.waitFor(expected.length);
    expect(got.toString()).toBe(expected);
  });
});

describe('bandwidth', () => {
  it('caps the rate within 20% and the same transfer is much faster without it', async () => {
    const bytes = 300_000;
    const blast = await blastServer(bytes);
    cleanups.push(() => blast.close());
    const proxy = await proxyTo(blast.address);

    const fast = await open(proxy.port);
    const fastStart = performance.now();
    await fast.waitFor(bytes);
    const fastMs = performance.now() - fastStart;

    await addToxic(proxy.name, { type: 'bandwidth', attributes: { rate: 150 } });
    const slow = await open(proxy.port);
    const start = performance.now();
    const got = await slow.waitFor(bytes, 10_000);
    const elapsedMs = performance.now() - start;
    expect(got.equals(pattern(bytes))).toBe(true);
    const rateKBs = bytes / elapsedMs; // bytes per ms = KB/s with KB = 1000 bytes
    expect(rateKBs).toBeGreaterThan(150 * 0.8);
    expect(rateKBs).toBeLessThan(150 * 1.2);
    expect(fastMs).toBeLessThan(elapsedMs / 3);
  });
});

describe('slow_close', () => {
  it('holds the close for the delay, data first', async () => {
    const blast = await blastServer(100);
    cleanups.push(() => blast.close());
    const proxy = await proxyTo(blast.address);
    const direct = await open(proxy.port);
    const directClose = await closedWithin(direct);
    expect(direct.received().length).toBe(100);

    await addToxic(proxy.name, { type: 'slow_close', attributes: { delay: 300 } });
    const client = await open(proxy.port);
    await client.waitFor(100);
    const dataAt = performance.now();
    const closed = await closedWithin(client);
    expect(closed.ended).toBe(true);
    expect(closed.at - dataAt).toBeGreaterThanOrEqual(250);
    expect(directClose.ended).toBe(true);
  });
});

describe('timeout', () => {
  it('with 0, blackholes data and holds the connection until the toxic is removed', async () => {
    const proxy = await proxyTo(echo.address);
    const client = await open(proxy.port);
    await roundTrip(client);
    await addToxic(proxy.name, { type: 'timeout', attributes: { timeout: 0 } });
    client.socket.write('lost');
    await sleep(300);
    expect(client.received().toString()).toBe('ping');
    expect(client.socket.destroyed).toBe(false);

    await api(fp.url, 'DELETE', `/proxies/${proxy.name}/toxics/timeout_downstream`);
    const closed = await closedWithin(client);
    expect(closed).toBeDefined();
  });

  it('closes the connection after the timeout without passing data', async () => {
    const proxy = await proxyTo(echo.address);
    await addToxic(proxy.name, { type: 'timeout', stream: 'upstream', attributes: { timeout: 200 } });
    const client = await open(proxy.port);
    const start = performance.now();
    client.socket.write('never arrives');
    const closed = await closedWithin(client);
    expect(closed.at - start).toBeGreaterThanOrEqual(150);
    expect(closed.at - start).toBeLessThan(1500);
    expect(client.received().length).toBe(0);
  });
});

describe('reset_peer', () => {
  it('resets a new connection with an RST on first data', async () => {
    const proxy = await proxyTo(echo.address);
    await addToxic(proxy.name, { type: 'reset_peer', attributes: { timeout: 0 } });
    const client = await open(proxy.port);
    client.socket.write('hello');
    const closed = await closedWithin(client);
    expect(closed.error).toBe('ECONNRESET');
    expect(client.received().length).toBe(0);
  });

  it('resets connections that were already open, on both sides', async () => {
    const proxy = await proxyTo(echo.address);
    const client = await open(proxy.port);
    await roundTrip(client);
    const serverSide = echo.sockets[echo.sockets.length - 1];
    const serverError = new Promise<string | undefined>((resolve) => {
      serverSide?.once('error', (e: NodeJS.ErrnoException) => resolve(e.code));
      serverSide?.once('close', () => resolve(undefined));
    });
    await addToxic(proxy.name, { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 50 } });
    client.socket.write('hello');
    const closed = await closedWithin(client);
    expect(closed.error).toBe('ECONNRESET');
    expect(await within(serverError, 3000, 'server-side close')).toBe('ECONNRESET');
  });
});

describe('limit_data', () => {
  it('closes after exactly the given number of bytes', async () => {
    const blast = await blastServer(1000);
    cleanups.push(() => blast.close());
    const proxy = await proxyTo(blast.address);
    const direct = await open(proxy.port);
    await closedWithin(direct);
    expect(direct.received().length).toBe(1000);

    await addToxic(proxy.name, { type: 'limit_data', attributes: { bytes: 10 } });
    const client = await open(proxy.port);
    const closed = await closedWithin(client);
    expect(closed.ended).toBe(true);
    expect(client.received().equals(pattern(10))).toBe(true);
  });
});

describe('limit_time', () => {
  it('closes a connection the given time after it opened', async () => {
    const proxy = await proxyTo(echo.address);
    await addToxic(proxy.name, { type: 'limit_time', attributes: { time: 200 } });
    const start = performance.now();
    const client = await open(proxy.port);
    await roundTrip(client);
    const closed = await closedWithin(client);
    expect(closed.at - start).toBeGreaterThanOrEqual(150);
    expect(closed.at - start).toBeLessThan(1500);

    await api(fp.url, 'DELETE', `/proxies/${proxy.name}/toxics/limit_time_downstream`);
    const survivor = await open(proxy.port);
    await sleep(400);
    expect(survivor.socket.destroyed).toBe(false);
    expect(await typicalRoundTrip(survivor)).toBeLessThan(200);
  });
});

describe('slicer', () => {
  it('splits data into pieces near the average size, delayed between pieces, bytes intact', async () => {
    const proxy = await proxyTo(echo.address);
    await addToxic(proxy.name, {
      type: 'slicer',
      attributes: { average_size: 100, size_variation: 20, delay: 20_000 },
    });
    const client = await open(proxy.port);
    const message = pattern(1000);
    const start = performance.now();
    client.socket.write(message);
    const got = await client.waitFor(1000);
    const elapsed = performance.now() - start;
    expect(got.equals(message)).toBe(true);
    // About 10 pieces 20 ms apart; a loaded box may merge a few reads, never most of them.
    expect(client.reads.length).toBeGreaterThanOrEqual(5);
    expect(Math.min(...client.reads.slice(0, -1).map((r) => r.length))).toBeGreaterThanOrEqual(80);
    expect(elapsed).toBeGreaterThanOrEqual(120);
  });
});

describe('drop and noop', () => {
  it('drop with probability 1 loses every chunk; noop passes them', async () => {
    const proxy = await proxyTo(echo.address);
    await addToxic(proxy.name, { type: 'noop' });
    const client = await open(proxy.port);
    expect(await roundTrip(client, 'kept')).toBeLessThan(1000);
    await addToxic(proxy.name, { type: 'drop', attributes: { probability: 1 } });
    client.socket.write('gone');
    await sleep(200);
    expect(client.received().toString()).toBe('kept');
    expect(client.socket.destroyed).toBe(false);
  });
});

describe('enabled:false', () => {
  it('drops open connections and refuses new ones; enabling again listens on the same port', async () => {
    const proxy = await proxyTo(echo.address);
    const client = await open(proxy.port);
    await roundTrip(client);
    const disabled = await api(fp.url, 'POST', `/proxies/${proxy.name}`, { enabled: false });
    expect(disabled.status).toBe(200);
    const closed = await closedWithin(client);
    expect(closed).toBeDefined();
    expect(await tryConnect(proxy.port)).toBe('ECONNREFUSED');

    const enabled = await api(fp.url, 'PATCH', `/proxies/${proxy.name}`, { enabled: true });
    expect((enabled.json as { listen: string }).listen).toBe(`127.0.0.1:${proxy.port}`);
    const again = await open(proxy.port);
    expect(await typicalRoundTrip(again)).toBeLessThan(200);
  });
});

describe('upstream failures', () => {
  it('closes the client promptly when the upstream refuses', async () => {
    const gone = await echoServer();
    const address = gone.address;
    await gone.close();
    const proxy = await proxyTo(address);
    const start = performance.now();
    const client = await open(proxy.port);
    const closed = await closedWithin(client);
    expect(closed.at - start).toBeLessThan(1000);
  });
});

/**
 * One proxy run: `count` connections one after another through a limit_data toxic of 1 byte
 * with toxicity 0.5. A connection the toxic applied to gets 1 byte and a close; one it spared
 * gets the whole echo. Returns which connections were hit.
 */
async function toxicityPattern(seed: number, count: number): Promise<boolean[]> {
  const own = await startFaultProxy({ port: 0, seed });
  try {
    const created = await api(own.url, 'POST', '/proxies', { name: 'db', upstream: echo.address });
    const port = portOf((created.json as { listen: string }).listen);
    await api(own.url, 'POST', '/proxies/db/toxics', {
      type: 'limit_data',
      toxicity: 0.5,
      attributes: { bytes: 1 },
    });
    const hits: boolean[] = [];
    for (let i = 0; i < count; i++) {
      const client = await dial(port);
      client.socket.write('hello');
      const outcome = await Promise.race([
        client.waitFor(5, 3000).then(() => 'spared' as const),
        client.closed.then(() => 'hit' as const),
      ]);
      hits.push(outcome === 'hit' && client.received().length === 1);
      client.socket.destroy();
      await closedWithin(client);
    }
    const metrics = (await api(own.url, 'GET', '/metrics')).text;
    const applied = metrics.match(
      /chatquake_proxy_toxic_applied_total\{[^}]*toxic="limit_data_downstream"[^}]*\} (\d+)/,
    );
    expect(Number(applied?.[1])).toBe(hits.filter(Boolean).length);
    return hits;
  } finally {
    await own.close();
  }
}

describe('toxicity and the seed', () => {
  it('toxicity 0.5 hits about half of 200 connections, and the same seed hits the same ones', async () => {
    const first = await toxicityPattern(7, 200);
    const hit = first.filter(Boolean).length;
    expect(hit).toBeGreaterThan(70);
    expect(hit).toBeLessThan(130);

    const again = await toxicityPattern(7, 200);
    expect(again).toEqual(first);

    const other = await toxicityPattern(8, 200);
    expect(other).not.toEqual(first);
  });
});
