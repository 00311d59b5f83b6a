// The fault proxy against Toxiproxy 2.x's HTTP contract: the unmodified toxiproxy-node-client
// first (what users' test suites run), then raw HTTP for every endpoint, status code and error
// body, including the ones the client hides.
import fc from 'fast-check';
import { Toxiproxy, ToxiproxyError } from 'toxiproxy-node-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxyServer, startFaultProxy, toxicTypes } from '../../proxy/index.ts';
import {
  api,
  closedWithin,
  dial,
  echoServer,
  portOf,
  roundTrip,
  type TcpServer,
  tryConnect,
  typicalRoundTrip,
} from './helpers.ts';

let fp: FaultProxyServer;
let echo: TcpServer;
let other: TcpServer;

beforeAll(async () => {
  fp = await startFaultProxy({ port: 0, seed: 1 });
  echo = await echoServer();
  other = await echoServer();
});

afterAll(async () => {
  await fp.close();
  await echo.close();
  await other.close();
});

afterEach(async () => {
  const proxies = (await api(fp.url, 'GET', '/proxies')).json as Record<string, unknown>;
  for (const name of Object.keys(proxies))
    await api(fp.url, 'DELETE', `/proxies/${encodeURIComponent(name)}`);
});

interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}
interface ToxicJson {
  name: string;
  type: string;
  stream: string;
  toxicity: number;
  attributes: Record<string, number>;
}

function expectError(
  answer: { status: number; contentType: string | null; text: string },
  status: number,
  error: string,
) {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toBe('text/plain; charset=utf-8');
  expect(answer.text.endsWith('\n')).toBe(true);
  expect(JSON.parse(answer.text)).toEqual({ error, status });
}

async function create(name: string, extra: Record<string, unknown> = {}): Promise<ProxyJson> {
  const answer = await api(fp.url, 'POST', '/proxies', {
    name,
    upstream: echo.address,
    listen: '127.0.0.1:0',
    ...extra,
  });
  expect(answer.status, answer.text).toBe(201);
  return answer.json as ProxyJson;
}

describe('toxiproxy-node-client, unmodified', () => {
  it('drives the whole lifecycle', async () => {
    const toxiproxy = new Toxiproxy(fp.url);
    const version = await toxiproxy.getVersion();
    expect(JSON.parse(version)).toHaveProperty('version');

    const proxy = await toxiproxy.createProxy({
      name: 'redis',
      listen: 'localhost:0',
      upstream: echo.address,
    });
    expect(proxy.name).toBe('redis');
    expect(proxy.enabled).toBe(true);
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(portOf(proxy.listen)).toBeGreaterThan(0);
    expect(proxy.upstream).toBe(echo.address);

    const client = await dial(portOf(proxy.listen));
    expect(await typicalRoundTrip(client)).toBeLessThan(100);

    /** The toxic this test adds, reads back and updates: `latency` ms on the downstream, no jitter. */
    const slow = (latency: number) =>
      ({
        name: 'slow',
        type: 'latency',
        stream: 'downstream',
        toxicity: 1,
        attributes: { latency, jitter: 0 },
      }) as const;
    const toxic = await proxy.addToxic(slow(120));
    expect(toxic.toJson()).toEqual(slow(120));
    expect(await roundTrip(client)).toBeGreaterThanOrEqual(110);

    const fetched = await proxy.getToxic<{ latency: number; jitter: number }>('slow');
    expect(fetched.attributes.latency).toBe(120);
    const updated = await fetched.update(slow(10));
    expect(updated.attributes).toEqual({ latency: 10, jitter: 0 });
    expect(await typicalRoundTrip(client)).toBeLessThan(100);
    await updated.remove();
    await expect(proxy.getToxic('slow')).rejects.toBeInstanceOf(ToxiproxyError);

    const all = await toxiproxy.getAll();
    expect(Object.keys(all)).toEqual(['redis']);
    const same = await toxiproxy.get('redis');
    expect(same.toJson()).toEqual(proxy.toJson());

    const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(disabled.enabled).toBe(false);
    expect(disabled.listen).toBe(proxy.listen);
    expect(await tryConnect(portOf(proxy.listen))).toBe('ECONNREFUSED');
    await closedWithin(client);

    await proxy.addToxic({
      name: 't',
      type: 'timeout',
      stream: 'upstream',
      toxicity: 1,
      attributes: { timeout: 0 },
    });
    await toxiproxy.reset();
    const afterReset = await api(fp.url, 'GET', '/proxies/redis');
    expect(afterReset.json).toMatchObject({ enabled: true, toxics: [] });

    const populated = await toxiproxy.populate([
      { name: 'redis', listen: proxy.listen, upstream: proxy.upstream },
      { name: 'pg', listen: '127.0.0.1:0', upstream: other.address },
    ]);
    expect(Object.keys(populated).sort()).toEqual(['pg', 'redis']);
    expect(populated.pg?.enabled).toBe(true);

    await proxy.remove();
    await expect(toxiproxy.get('redis')).rejects.toThrow('Request failed with status code 404');
    await expect(
      toxiproxy.createProxy({ name: 'pg', listen: '127.0.0.1:0', upstream: echo.address }),
    ).rejects.toThrow('Request failed with status code 409');
  });
});

describe('server basics', () => {
  it('answers /version with JSON', async () => {
    const answer = await api(fp.url, 'GET', '/version');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json;charset=utf-8');
    expect(answer.json).toEqual({ version: expect.stringMatching(/^2\.\d+\.\d+/) });
  });

  it('refuses browsers with 403 and a plain-text body', async () => {
    const response = await fetch(`${fp.url}/proxies`, {
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' },
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('User agent not allowed\n');
  });

  it('answers unknown paths with 404 and wrong methods with 405', async () => {
    expect((await api(fp.url, 'GET', '/nope')).status).toBe(404);
    expect((await api(fp.url, 'GET', '/proxies/a/b/c/d')).status).toBe(404);
    expect((await api(fp.url, 'PUT', '/proxies')).status).toBe(405);
    expect((await api(fp.url, 'GET', '/reset')).status).toBe(405);
  });

  it('serves Prometheus text on /metrics with byte counters per proxy and direction', async () => {
    const proxy = await create('metered');
    const client = await dial(portOf(proxy.listen));
    await roundTrip(client, 'twelve bytes');
    client.socket.destroy();
    const answer = await api(fp.url, 'GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/plain/);
    const labels = `proxy="metered",listener="${proxy.listen}",upstream="${echo.address}"`;
    expect(answer.text).toContain(`toxiproxy_proxy_received_bytes_total{direction="upstream",${labels}} 12`);
    expect(answer.text).toContain(`toxiproxy_proxy_sent_bytes_total{direction="downstream",${labels}} 12`);
    expect(answer.text).toMatch(/chatquake_proxy_connections_total\{proxy="metered"\} 1/);
    expect(answer.text).toMatch(/# TYPE chatquake_proxy_connections_active gauge/);
  });
});

describe('/proxies', () => {
  it('creates with 201, starts listening at once, and lists a map by name', async () => {
    const proxy = await create('a');
    expect(proxy).toEqual({
      name: 'a',
      listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      upstream: echo.address,
      enabled: true,
      toxics: [],
    });
    expect(await tryConnect(portOf(proxy.listen))).toBe('connected');
    const list = await api(fp.url, 'GET', '/proxies');
    expect(list.status).toBe(200);
    expect(list.contentType).toBe('application/json');
    expect(list.json).toEqual({ a: proxy });
  });

  it('ignores toxics in a create body and honours enabled:false', async () => {
    const proxy = await create('quiet', {
      enabled: false,
      listen: '127.0.0.1:0',
      toxics: [{ type: 'latency', attributes: { latency: 1 } }],
    });
    expect(proxy.enabled).toBe(false);
    expect(proxy.toxics).toEqual([]);
  });

  it('listens on any 127.x address it is given', async () => {
    const proxy = await create('aliased', { listen: '127.0.1.5:0' });
    expect(proxy.listen).toMatch(/^127\.0\.1\.5:\d+$/);
    const client = await dial(portOf(proxy.listen), '127.0.1.5');
    expect(await typicalRoundTrip(client)).toBeLessThan(100);
    client.socket.destroy();
  });

  it('rejects bad creates with Toxiproxy’s errors', async () => {
    await create('dup');
    expectError(
      await api(fp.url, 'POST', '/proxies', { name: 'dup', upstream: echo.address }),
      409,
      'proxy already exists',
    );
    expectError(
      await api(fp.url, 'POST', '/proxies', { upstream: echo.address }),
      400,
      'missing required field: name',
    );
    expectError(
      await api(fp.url, 'POST', '/proxies', { name: 'x' }),
      400,
      'missing required field: upstream',
    );
    const notJson = await api(fp.url, 'POST', '/proxies', '{"name":');
    expect(notJson.status).toBe(400);
    expect((JSON.parse(notJson.text) as { error: string }).error).toMatch(/^bad request body: /);
    const wrongType = await api(fp.url, 'POST', '/proxies', { name: 5, upstream: echo.address });
    expect(wrongType.status).toBe(400);
    expect((JSON.parse(wrongType.text) as { error: string }).error).toMatch(/^bad request body: name: /);
    const empty = await api(fp.url, 'POST', '/proxies', '');
    expect(empty.status).toBe(400);
    const badUpstream = await api(fp.url, 'POST', '/proxies', { name: 'y', upstream: 'no-port' });
    expect(badUpstream.status).toBe(400);
    expect((JSON.parse(badUpstream.text) as { error: string }).error).toMatch(/^bad request body: upstream/);
  });

  // Toxiproxy answers 500 here; a port in use is the request's conflict, not a server fault.
  it('answers 409 with the error body when the listen address is taken', async () => {
    const first = await create('first');
    const taken = await api(fp.url, 'POST', '/proxies', {
      name: 'second',
      upstream: echo.address,
      listen: first.listen,
    });
    expect(taken.status).toBe(409);
    expect(JSON.parse(taken.text)).toMatchObject({
      status: 409,
      error: expect.stringContaining(`listen tcp ${first.listen}: `),
    });
    expect((await api(fp.url, 'GET', '/proxies/second')).status).toBe(404);
  });
});

describe('/proxies/{name}', () => {
  it('shows one proxy or 404', async () => {
    const proxy = await create('shown');
    expect((await api(fp.url, 'GET', '/proxies/shown')).json).toEqual(proxy);
    expectError(await api(fp.url, 'GET', '/proxies/missing'), 404, 'proxy not found');
  });

  it('PATCH and POST merge: fields not sent keep their values', async () => {
    const proxy = await create('merge');
    const off = await api(fp.url, 'PATCH', '/proxies/merge', { enabled: false });
    expect(off.status, off.text).toBe(200);
    expect(off.json).toEqual({ ...proxy, enabled: false });
    const on = await api(fp.url, 'POST', '/proxies/merge', { enabled: true });
    expect(on.status, on.text).toBe(200);
    expect(on.json).toEqual(proxy);
    const moved = await api(fp.url, 'PATCH', '/proxies/merge', { upstream: other.address });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json).toEqual({ ...proxy, upstream: other.address });
    const rebound = await api(fp.url, 'PATCH', '/proxies/merge', { listen: '127.0.0.1:0' });
    expect(rebound.status, rebound.text).toBe(200);
    const newListen = (rebound.json as ProxyJson).listen;
    expect(newListen).not.toBe(proxy.listen);
    expect(await tryConnect(portOf(proxy.listen)), `old ${proxy.listen}, new ${newListen}`).toBe(
      'ECONNREFUSED',
    );
    expect(await tryConnect(portOf(newListen))).toBe('connected');
    expectError(await api(fp.url, 'PATCH', '/proxies/missing', { enabled: false }), 404, 'proxy not found');
    const bad = await api(fp.url, 'PATCH', '/proxies/merge', { enabled: 'no' });
    expect(bad.status).toBe(400);
    expect((JSON.parse(bad.text) as { error: string }).error).toMatch(/^bad request body: enabled/);
  });

  it('changing the upstream drops open connections', async () => {
    const proxy = await create('moving');
    const client = await dial(portOf(proxy.listen));
    await roundTrip(client);
    await api(fp.url, 'PATCH', '/proxies/moving', { upstream: other.address });
    await closedWithin(client);
    const again = await dial(portOf(proxy.listen));
    expect(await typicalRoundTrip(again)).toBeLessThan(100);
    again.socket.destroy();
  });

  it('DELETE answers 204, closes the listener, then 404', async () => {
    const proxy = await create('doomed');
    const deleted = await api(fp.url, 'DELETE', '/proxies/doomed');
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(await tryConnect(portOf(proxy.listen))).toBe('ECONNREFUSED');
    expectError(await api(fp.url, 'DELETE', '/proxies/doomed'), 404, 'proxy not found');
  });
});

describe('/proxies/{name}/toxics', () => {
  it('creates with 200 and Toxiproxy’s defaults', async () => {
    await create('t');
    const answer = await api(fp.url, 'POST', '/proxies/t/toxics', {
      type: 'latency',
      attributes: { latency: 5, bogus: 1 },
    });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json');
    expect(answer.json).toEqual({
      name: 'latency_downstream',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 5, jitter: 0 },
    });
  });

  it('shows every toxic type with all its attributes', async () => {
    await create('types');
    const expected: Record<string, Record<string, number>> = {
      latency: { latency: 0, jitter: 0 },
      bandwidth: { rate: 0 },
      slow_close: { delay: 0 },
      timeout: { timeout: 0 },
      reset_peer: { timeout: 0 },
      slicer: { average_size: 1, size_variation: 0, delay: 0 },
      limit_data: { bytes: 0 },
      noop: {},
      limit_time: { time: 0 },
      drop: { probability: 1 },
    };
    for (const [type, attributes] of Object.entries(expected)) {
      const body = type === 'slicer' ? { type, attributes: { average_size: 1 } } : { type };
      const answer = await api(fp.url, 'POST', '/proxies/types/toxics', body);
      expect(answer.status, `${type}: ${answer.text}`).toBe(200);
      expect((answer.json as ToxicJson).attributes).toEqual(attributes);
    }
  });

  it('matches the stream without regard to case and echoes it as sent', async () => {
    await create('case');
    const answer = await api(fp.url, 'POST', '/proxies/case/toxics', { type: 'latency', stream: 'UpStream' });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ name: 'latency_UpStream', stream: 'UpStream' });
  });

  it('lists upstream toxics first, then downstream, each in the order added', async () => {
    await create('order');
    for (const [name, stream] of [
      ['d1', 'downstream'],
      ['u1', 'upstream'],
      ['d2', 'downstream'],
      ['u2', 'upstream'],
    ]) {
      expect(
        (await api(fp.url, 'POST', '/proxies/order/toxics', { name, stream, type: 'noop' })).status,
      ).toBe(200);
    }
    const list = await api(fp.url, 'GET', '/proxies/order/toxics');
    expect(list.status).toBe(200);
    expect((list.json as ToxicJson[]).map((t) => t.name)).toEqual(['u1', 'u2', 'd1', 'd2']);
    const proxy = (await api(fp.url, 'GET', '/proxies/order')).json as ProxyJson;
    expect(proxy.toxics.map((t) => t.name)).toEqual(['u1', 'u2', 'd1', 'd2']);
  });

  it('rejects bad toxics with Toxiproxy’s errors, in Toxiproxy’s order', async () => {
    await create('bad');
    const post = (body: unknown) => api(fp.url, 'POST', '/proxies/bad/toxics', body);
    expectError(
      await post({ type: 'latency', stream: 'sideways' }),
      400,
      'stream was invalid, can be either upstream or downstream',
    );
    expectError(
      await post({ type: 'nonsense', stream: 'sideways' }),
      400,
      'stream was invalid, can be either upstream or downstream',
    );
    expectError(await post({ type: 'nonsense' }), 400, 'invalid toxic type');
    expectError(await post({}), 400, 'invalid toxic type');
    expect((await post({ type: 'latency' })).status).toBe(200);
    expectError(await post({ type: 'latency' }), 409, 'toxic already exists');
    expectError(
      await post({ name: 'latency_downstream', type: 'noop', stream: 'upstream' }),
      409,
      'toxic already exists',
    );
    const badAttribute = await post({ name: 'x', type: 'latency', attributes: { latency: 'slow' } });
    expect(badAttribute.status).toBe(400);
    expect((JSON.parse(badAttribute.text) as { error: string }).error).toMatch(
      /^bad request body: attributes\.latency: /,
    );
    const badToxicity = await post({ name: 'y', type: 'latency', toxicity: 2 });
    expect(badToxicity.status).toBe(400);
    expect((JSON.parse(badToxicity.text) as { error: string }).error).toMatch(/^bad request body: toxicity/);
    expectError(
      await api(fp.url, 'POST', '/proxies/missing/toxics', { type: 'latency' }),
      404,
      'proxy not found',
    );
    expectError(await api(fp.url, 'GET', '/proxies/missing/toxics'), 404, 'proxy not found');
  });

  it('PATCH and POST merge attributes and toxicity; type, stream and name do not change', async () => {
    await create('patch');
    await api(fp.url, 'POST', '/proxies/patch/toxics', {
      name: 'lag',
      type: 'latency',
      toxicity: 0.3,
      attributes: { latency: 100, jitter: 10 },
    });
    const jitter = await api(fp.url, 'PATCH', '/proxies/patch/toxics/lag', { attributes: { jitter: 5 } });
    expect(jitter.status).toBe(200);
    expect(jitter.json).toEqual({
      name: 'lag',
      type: 'latency',
      stream: 'downstream',
      toxicity: 0.3,
      attributes: { latency: 100, jitter: 5 },
    });
    const toxicity = await api(fp.url, 'POST', '/proxies/patch/toxics/lag', {
      toxicity: 0.9,
      type: 'bandwidth',
      stream: 'upstream',
      name: 'renamed',
    });
    expect(toxicity.json).toEqual({
      name: 'lag',
      type: 'latency',
      stream: 'downstream',
      toxicity: 0.9,
      attributes: { latency: 100, jitter: 5 },
    });
    expect((await api(fp.url, 'GET', '/proxies/patch/toxics/lag')).json).toEqual(toxicity.json);
    expectError(
      await api(fp.url, 'PATCH', '/proxies/patch/toxics/nope', { toxicity: 1 }),
      404,
      'toxic not found',
    );
    expectError(
      await api(fp.url, 'PATCH', '/proxies/nope/toxics/lag', { toxicity: 1 }),
      404,
      'proxy not found',
    );
    const bad = await api(fp.url, 'PATCH', '/proxies/patch/toxics/lag', { attributes: { latency: -1 } });
    expect(bad.status).toBe(400);
  });

  it('GET and DELETE one toxic: 200, 204, then 404', async () => {
    await create('one');
    await api(fp.url, 'POST', '/proxies/one/toxics', { type: 'noop' });
    expect((await api(fp.url, 'GET', '/proxies/one/toxics/noop_downstream')).status).toBe(200);
    expectError(await api(fp.url, 'GET', '/proxies/one/toxics/other'), 404, 'toxic not found');
    const deleted = await api(fp.url, 'DELETE', '/proxies/one/toxics/noop_downstream');
    expect(deleted.status).toBe(204);
    expectError(await api(fp.url, 'DELETE', '/proxies/one/toxics/noop_downstream'), 404, 'toxic not found');
    expectError(await api(fp.url, 'DELETE', '/proxies/none/toxics/noop_downstream'), 404, 'proxy not found');
  });
});

describe('/reset', () => {
  it('re-enables every proxy and removes every toxic, keeping the proxies', async () => {
    const a = await create('ra');
    await create('rb');
    await api(fp.url, 'PATCH', '/proxies/ra', { enabled: false });
    await api(fp.url, 'POST', '/proxies/rb/toxics', { type: 'latency', stream: 'upstream' });
    await api(fp.url, 'POST', '/proxies/rb/toxics', { type: 'timeout' });
    const reset = await api(fp.url, 'POST', '/reset');
    expect(reset.status).toBe(204);
    const list = (await api(fp.url, 'GET', '/proxies')).json as Record<string, ProxyJson>;
    expect(Object.keys(list).sort()).toEqual(['ra', 'rb']);
    expect(list.ra).toEqual({ ...a, enabled: true });
    expect(list.rb?.toxics).toEqual([]);
    expect(await tryConnect(portOf(a.listen))).toBe('connected');
  });
});

describe('/populate', () => {
  it('creates, keeps identical proxies untouched, replaces differing ones, leaves others alone', async () => {
    const kept = await create('kept');
    await api(fp.url, 'POST', '/proxies/kept/toxics', { type: 'latency' });
    await api(fp.url, 'PATCH', '/proxies/kept', { enabled: false });
    const replaced = await create('replaced');
    await api(fp.url, 'POST', '/proxies/replaced/toxics', { type: 'latency' });
    await create('bystander');

    const answer = await api(fp.url, 'POST', '/populate', [
      { name: 'kept', listen: kept.listen, upstream: kept.upstream },
      { name: 'replaced', listen: replaced.listen, upstream: other.address },
      { name: 'fresh', upstream: echo.address, listen: '127.0.0.1:0' },
      { name: 'dormant', upstream: echo.address, listen: '127.0.0.1:0', enabled: false },
    ]);
    expect(answer.status).toBe(201);
    expect(answer.contentType).toBe('application/json');
    const proxies = (answer.json as { proxies: ProxyJson[] }).proxies;
    expect(proxies.map((p) => p.name)).toEqual(['kept', 'replaced', 'fresh', 'dormant']);
    expect(proxies[0]).toMatchObject({ enabled: false, toxics: [{ name: 'latency_downstream' }] });
    expect(proxies[1]).toMatchObject({ upstream: other.address, enabled: true, toxics: [] });
    expect(proxies[2]).toMatchObject({ enabled: true });
    expect(proxies[3]).toMatchObject({ enabled: false });
    const names = Object.keys((await api(fp.url, 'GET', '/proxies')).json as object).sort();
    expect(names).toEqual(['bystander', 'dormant', 'fresh', 'kept', 'replaced']);
  });

  it('validates every entry before creating anything', async () => {
    const answer = await api(fp.url, 'POST', '/populate', [
      { name: 'ok', upstream: echo.address },
      { name: 'broken' },
    ]);
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      error: 'missing required field: upstream at proxy 2',
      status: 400,
      proxies: null,
    });
    expect((await api(fp.url, 'GET', '/proxies/ok')).status).toBe(404);
    const notArray = await api(fp.url, 'POST', '/populate', { name: 'x', upstream: echo.address });
    expect(notArray.status).toBe(400);
    expect((notArray.json as { error: string }).error).toMatch(/^bad request body: /);
  });
});

describe('robustness', () => {
  it('answers any body on any write endpoint with 2xx or 4xx and keeps serving', async () => {
    await create('fuzz');
    // Every toxic the proxy knows, in its table's order, and one it does not.
    const types = [...toxicTypes.keys(), 'x'];
    const toxicBody = fc.record(
      {
        name: fc.oneof(fc.string(), fc.constant('t')),
        type: fc.oneof(fc.constantFrom(...types), fc.jsonValue()),
        stream: fc.oneof(fc.constantFrom('upstream', 'DOWNSTREAM', ''), fc.jsonValue()),
        toxicity: fc.oneof(fc.double(), fc.jsonValue()),
        attributes: fc.oneof(
          fc.dictionary(
            fc.constantFrom(
              'latency',
              'jitter',
              'rate',
              'delay',
              'timeout',
              'average_size',
              'size_variation',
              'bytes',
              'time',
              'probability',
            ),
            fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
          ),
          fc.jsonValue(),
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(toxicBody, fc.jsonValue()), fc.boolean(), async (body, patch) => {
        const answer = patch
          ? await api(fp.url, 'PATCH', '/proxies/fuzz/toxics/t', body)
          : await api(fp.url, 'POST', '/proxies/fuzz/toxics', body);
        expect([200, 400, 404, 409]).toContain(answer.status);
        if (answer.status >= 400) expect(JSON.parse(answer.text)).toMatchObject({ status: answer.status });
      }),
      { numRuns: 150, seed: 3 },
    );
    const garbage = ['[', '"text"', '42', 'null', '[1,2]'];
    const bodies: [string, string[]][] = [
      ['/proxies', [...garbage, '{"name":{}}']],
      ['/populate', [...garbage, '{"name":"x"}', '[{"name":5}]']],
      ['/proxies/fuzz', [...garbage, '{"enabled":"yes"}', '{"listen":"nowhere"}']],
    ];
    for (const [path, list] of bodies) {
      for (const body of list) {
        const answer = await api(fp.url, 'POST', path, body);
        expect(answer.status, `${path} ${body}`).toBe(400);
      }
    }
    expect((await api(fp.url, 'GET', '/version')).status).toBe(200);
    const proxy = (await api(fp.url, 'GET', '/proxies/fuzz')).json as ProxyJson;
    await api(fp.url, 'POST', '/reset');
    const client = await dial(portOf(proxy.listen));
    expect(await typicalRoundTrip(client)).toBeLessThan(100);
    client.socket.destroy();
  });
});
