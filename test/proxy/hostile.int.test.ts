// The fault proxy under hostile requests (issue 12): timers past Node's 2^31−1 ms limit over
// real sockets, attributes past their bounds, a /populate or PATCH or /reset that meets a taken
// port (all-or-nothing, never a 5xx), and a client that never finishes its body.
import { connect, createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxyServer, startFaultProxy } from '../../proxy/index.ts';
import {
  api,
  dial,
  echoServer,
  portOf,
  rawApi,
  sleep,
  type TcpServer,
  tryConnect,
  within,
} from './helpers.ts';

/** Past Node's longest timer (2^31−1 ms) and within the documented 30-day bound. */
const LONG_MS = 2_500_000_000;

let fp: FaultProxyServer;
let echo: TcpServer;
let blocker: Server;
/** host:port of a plain listener, so any proxy asked to bind it finds it taken. */
let taken: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  fp = await startFaultProxy({ port: 0, seed: 12 });
  echo = await echoServer();
  blocker = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = blocker.address() as { port: number };
  taken = `127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await fp.close();
  await echo.close();
  await new Promise<void>((resolve) => blocker.close(() => resolve()));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  const proxies = (await api(fp.url, 'GET', '/proxies')).json as Record<string, unknown>;
  for (const name of Object.keys(proxies)) await api(fp.url, 'DELETE', `/proxies/${name}`);
});

interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: { name: string; attributes: Record<string, number> }[];
}

async function create(name: string, listen = '127.0.0.1:0'): Promise<ProxyJson> {
  const answer = await api(fp.url, 'POST', '/proxies', { name, upstream: echo.address, listen });
  expect(answer.status, answer.text).toBe(201);
  return answer.json as ProxyJson;
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

const everything = async () => (await api(fp.url, 'GET', '/proxies')).json as Record<string, ProxyJson>;

describe('timers past 2^31−1 ms', () => {
  it('timeout, limit_time, reset_peer and slow_close of 2.5e9 ms do not fire within a second', async () => {
    const timeout = await create('t-timeout');
    await addToxic('t-timeout', { type: 'timeout', attributes: { timeout: LONG_MS } });
    const limitTime = await create('t-limit-time');
    await addToxic('t-limit-time', { type: 'limit_time', attributes: { time: LONG_MS } });
    const reset = await create('t-reset');
    await addToxic('t-reset', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: LONG_MS } });
    const slow = await create('t-slow');
    await addToxic('t-slow', { type: 'slow_close', attributes: { delay: LONG_MS } });

    const clients = {
      timeout: await open(portOf(timeout.listen)),
      limitTime: await open(portOf(limitTime.listen)),
      reset: await open(portOf(reset.listen)),
      slow: await open(portOf(slow.listen)),
    };
    clients.reset.socket.write('arms the reset');
    // The echo server echoes, then ends when the client ends: slow_close must hold that end.
    clients.slow.socket.end('x');
    await clients.slow.waitFor(1);
    await sleep(1000);
    for (const [what, client] of Object.entries(clients)) {
      expect(client.socket.destroyed, `${what} closed early`).toBe(false);
    }
    expect(clients.slow.socket.readableEnded, 'slow_close passed the close on early').toBe(false);
  });

  it('a latency of 2.5e9 ms holds the data without re-arming a timer every millisecond', async () => {
    const proxy = await create('t-latency');
    await addToxic('t-latency', { type: 'latency', stream: 'upstream', attributes: { latency: LONG_MS } });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    cleanups.push(() => {
      process.off('warning', onWarning);
    });
    const client = await open(portOf(proxy.listen));
    client.socket.end('held');
    await sleep(500);
    expect(warnings.filter((name) => name === 'TimeoutOverflowWarning')).toEqual([]);
    expect(client.received().length).toBe(0);
    expect(client.socket.destroyed).toBe(false);
  });
});

describe('attributes past their bounds', () => {
  it('a toxic past its bound is a 400 naming the attribute, and nothing changes', async () => {
    await create('bounds');
    const tooLong = await api(fp.url, 'POST', '/proxies/bounds/toxics', {
      type: 'timeout',
      attributes: { timeout: 3e9 },
    });
    expect(tooLong.status).toBe(400);
    expect(JSON.parse(tooLong.text)).toEqual({
      error: 'bad request body: attributes.timeout: must be at most 2592000000 (30 days in ms)',
      status: 400,
    });
    await addToxic('bounds', { name: 'lag', type: 'latency', attributes: { latency: 10 } });
    const patch = await api(fp.url, 'PATCH', '/proxies/bounds/toxics/lag', {
      attributes: { jitter: 2 ** 53 },
    });
    expect(patch.status).toBe(400);
    expect((JSON.parse(patch.text) as { error: string }).error).toMatch(/attributes\.jitter: /);
    const toxics = (await everything()).bounds?.toxics;
    expect(toxics).toEqual([
      expect.objectContaining({ name: 'lag', attributes: { latency: 10, jitter: 0 } }),
    ]);
  });
});

describe('a taken port', () => {
  it('POST /proxies answers 409 naming the address and creates nothing', async () => {
    const answer = await api(fp.url, 'POST', '/proxies', {
      name: 'clash',
      upstream: echo.address,
      listen: taken,
    });
    expect(answer.status).toBe(409);
    expect(JSON.parse(answer.text)).toMatchObject({
      status: 409,
      error: expect.stringContaining(`listen tcp ${taken}`),
    });
    expect(await everything()).toEqual({});
  });

  it('a /populate that meets it half way changes nothing: created proxies go, replaced ones come back', async () => {
    const kept = await create('kept');
    await addToxic('kept', { type: 'latency', attributes: { latency: 5 } });
    const replaced = await create('replaced');
    await addToxic('replaced', { type: 'limit_data', attributes: { bytes: 7 } });
    const dormant = await create('dormant');
    await api(fp.url, 'PATCH', '/proxies/dormant', { enabled: false });
    const before = await everything();

    const answer = await api(fp.url, 'POST', '/populate', [
      { name: 'fresh', upstream: echo.address, listen: '127.0.0.1:0' },
      { name: 'kept', upstream: kept.upstream, listen: kept.listen },
      { name: 'replaced', upstream: `127.0.0.1:${portOf(taken)}`, listen: replaced.listen },
      { name: 'dormant', upstream: echo.address, listen: '127.0.0.1:0' },
      { name: 'clash', upstream: echo.address, listen: taken },
    ]);
    expect(answer.status).toBe(409);
    expect(answer.json).toEqual({
      error: expect.stringMatching(new RegExp(`^listen tcp ${taken}: .* at proxy 5$`)),
      status: 409,
      proxies: null,
    });
    expect(await everything()).toEqual(before);
    expect(await tryConnect(portOf(replaced.listen))).toBe('connected');
    expect(await tryConnect(portOf(kept.listen))).toBe('connected');
    expect(await tryConnect(portOf(dormant.listen))).toBe('ECONNREFUSED');
  });

  it('a /populate that names one proxy twice is a 400 before anything is created', async () => {
    const answer = await api(fp.url, 'POST', '/populate', [
      { name: 'twice', upstream: echo.address },
      { name: 'other', upstream: echo.address },
      { name: 'twice', upstream: echo.address, listen: '127.0.0.1:0' },
    ]);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      error: 'bad request body: name at proxy 3: "twice" is also proxy 1',
      status: 400,
      proxies: null,
    });
    expect(await everything()).toEqual({});
  });

  it('PATCH to it answers 409 and keeps the proxy where it was, enabled, with its toxics', async () => {
    const moving = await create('moving');
    await addToxic('moving', { type: 'noop' });
    const before = await everything();
    const answer = await api(fp.url, 'PATCH', '/proxies/moving', { listen: taken });
    expect(answer.status).toBe(409);
    expect(JSON.parse(answer.text)).toMatchObject({ status: 409, error: expect.stringContaining(taken) });
    expect(await everything()).toEqual(before);
    expect(await tryConnect(portOf(moving.listen))).toBe('connected');
  });

  it('/reset removes every toxic and enables what it can, then answers 409 naming what it could not', async () => {
    // A disabled proxy whose port someone else took meanwhile.
    const squatted = await create('squatted');
    await api(fp.url, 'PATCH', '/proxies/squatted', { enabled: false });
    const squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) =>
      squatter.listen({ host: '127.0.0.1', port: portOf(squatted.listen) }, resolve),
    );
    cleanups.push(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
    await addToxic('squatted', { type: 'noop' });
    const later = await create('later');
    await addToxic('later', { type: 'timeout' });
    await api(fp.url, 'PATCH', '/proxies/later', { enabled: false });

    const answer = await api(fp.url, 'POST', '/reset');
    expect(answer.status).toBe(409);
    expect(JSON.parse(answer.text)).toMatchObject({
      status: 409,
      error: expect.stringMatching(/^listen tcp 127\.0\.0\.1:\d+: .* \(proxy "squatted"\)$/),
    });
    const after = await everything();
    expect(after.squatted).toMatchObject({ enabled: false, toxics: [] });
    expect(after.later).toMatchObject({ enabled: true, toxics: [] });
    expect(await tryConnect(portOf(later.listen))).toBe('connected');
  });
});

describe('a client that never finishes its body', () => {
  it('does not hold up anyone else', async () => {
    const url = new URL(fp.url);
    const stalled = connect({ host: url.hostname, port: Number(url.port) });
    cleanups.push(() => {
      stalled.destroy();
    });
    await new Promise<void>((resolve) => stalled.once('connect', resolve));
    stalled.write(
      'POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na',
    );
    await sleep(100);
    const version = await within(api(fp.url, 'GET', '/version'), 2000, 'GET /version behind a stalled body');
    expect(version.status).toBe(200);
    const created = await within(
      api(fp.url, 'POST', '/proxies', { name: 'after-stall', upstream: echo.address, listen: '127.0.0.1:0' }),
      2000,
      'POST /proxies behind a stalled body',
    );
    expect(created.status).toBe(201);
  });
});

describe('names and paths', () => {
  const error = (answer: { status: number; text: string }) =>
    JSON.parse(answer.text) as { error: string; status: number };

  it('refuses a name it could not be addressed by later: a lone surrogate, or longer than 256', async () => {
    for (const [name, problem] of [
      ['\ud800', 'must be valid Unicode (it has a lone surrogate)'],
      ['x'.repeat(257), 'must be at most 256 characters'],
    ] as const) {
      const created = await api(fp.url, 'POST', '/proxies', { name, upstream: echo.address });
      expect(created.status, name.slice(0, 5)).toBe(400);
      expect(error(created).error).toBe(`bad request body: name: ${problem}`);
      const populated = await api(fp.url, 'POST', '/populate', [
        { name: 'ok', upstream: echo.address },
        { name, upstream: echo.address },
      ]);
      expect(populated.status).toBe(400);
      expect(error(populated).error).toBe(`bad request body: name at proxy 2: ${problem}`);
      await create('holder');
      const toxic = await api(fp.url, 'POST', '/proxies/holder/toxics', { name, type: 'noop' });
      expect(toxic.status).toBe(400);
      expect(error(toxic).error).toBe(`bad request body: name: ${problem}`);
      await api(fp.url, 'DELETE', '/proxies/holder');
    }
    const longest = await api(fp.url, 'POST', '/proxies', { name: 'x'.repeat(256), upstream: echo.address });
    expect(longest.status).toBe(201);
    expect((await rawApi(fp.url, 'DELETE', `/proxies/${'x'.repeat(256)}`)).status).toBe(204);
    expect(await everything()).toEqual({});
  });

  it('reads and deletes proxies named ".", ".." and "a/b" by their encoded names', async () => {
    for (const name of ['.', '..', 'a/b', '%']) {
      await api(fp.url, 'POST', '/proxies', { name, upstream: echo.address });
      const path = `/proxies/${encodeURIComponent(name).replaceAll('.', '%2E')}`;
      const shown = await rawApi(fp.url, 'GET', path);
      expect(shown.status, `GET ${path}`).toBe(200);
      expect((shown.json as { name: string }).name).toBe(name);
      expect((await rawApi(fp.url, 'DELETE', path)).status, `DELETE ${path}`).toBe(204);
    }
    expect(await everything()).toEqual({});
  });

  it('answers a malformed path, or a request too big for the parser, with a JSON error', async () => {
    for (const path of ['/proxies/%zz', '/proxies/%ED%A0%80', '/proxies/a/toxics/%E0%A4%A']) {
      const answer = await rawApi(fp.url, 'GET', path);
      expect(answer.status, path).toBe(400);
      expect(answer.json, path).toEqual({ error: expect.stringMatching(/^bad request path: /), status: 400 });
    }
    const huge = await rawApi(fp.url, 'GET', `/proxies/${'x'.repeat(20_000)}`);
    expect(huge.status).toBe(431);
    expect(huge.json).toEqual({ error: expect.any(String), status: 431 });
    expect((await api(fp.url, 'GET', '/version')).status).toBe(200);
  });
});
