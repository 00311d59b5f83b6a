// Pins the console's HTTP server (harness/console/http.ts), a control plane that can break a
// running system: the page's files with their types and CSP, no file outside the assets folder,
// the state as JSON and as server-sent events, and the guards: JSON-only, same-origin control
// requests, loopback Host names without a token, and with a token every /api request refused
// unless it carries it. The server runs on 127.0.0.1 port 0 with fake state and controls; raw
// node:http requests let each test set Host, Origin and paths exactly as an attacker could.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleCatalogue, ConsoleState, InjectAnswer } from '../../contracts/console.ts';
import { type ConsoleControls, ControlError } from '../../harness/console/controls.ts';
import { type ConsoleServer, startConsoleServer } from '../../harness/console/http.ts';

const TOKEN = 'a-token-of-enough-length-0123456789';

let dir: string;
let assets: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'console-http-'));
  assets = join(dir, 'dist');
  mkdirSync(join(assets, 'assets'), { recursive: true });
  writeFileSync(join(assets, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(assets, 'assets', 'x.js'), 'console.log("page")');
  // Next to the assets folder, never to be served.
  writeFileSync(join(dir, 'secret.txt'), 'not for the page');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A state whose `now` counts the snapshots taken, so two events can be told apart. */
function fakeState(): { state: () => ConsoleState; taken: () => number } {
  let taken = 0;
  return {
    taken: () => taken,
    state: () => {
      taken++;
      return {
        session: {
          scenario: 'steady-state',
          target: 'reference',
          seed: 1,
          runDir: '/runs/x',
          phase: 'load',
          startedAt: 1,
          loadStartedAt: 2,
          now: taken,
          maxDurationMs: 3_600_000,
          result: null,
        },
        regions: [],
        totals: { sent: 0, acked: 0, delivered: 0, failed: 0, indeterminate: 0 },
        series: [],
        faults: [],
        failovers: {
          count: 0,
          disconnected: 0,
          p50Seconds: null,
          p99Seconds: null,
          maxSeconds: null,
          recent: [],
        },
        consistency: [],
        log: [],
      };
    },
  };
}

const CATALOGUE: ConsoleCatalogue = {
  kinds: [],
  regions: ['eu-west'],
  nodes: ['eu-west/n1'],
  aliases: {},
  presets: [],
};

interface Calls {
  inject: unknown[];
  heal: string[];
  healAll: number;
  stop: number;
}

function fakeControls(calls: Calls): ConsoleControls {
  return {
    async inject(body) {
      calls.inject.push(body);
      const fault = (body as { fault?: unknown } | undefined)?.fault;
      if (fault === 'bad') throw new ControlError(400, 'region: unknown region "eu-wst"', 'region');
      if (fault === 'late') throw new ControlError(409, 'load has not started yet');
      return { id: 'm1-regionOutage', kind: 'regionOutage', target: 'region eu-west', regions: ['eu-west'] };
    },
    async heal(id) {
      calls.heal.push(id);
      if (id !== 'm1-regionOutage') throw new ControlError(404, `no active fault "${id}"`);
    },
    async healAll() {
      calls.healAll++;
      return ['m1-regionOutage'];
    },
    stop() {
      calls.stop++;
    },
  };
}

const servers: ConsoleServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: { token?: string } = {}) {
  const calls: Calls = { inject: [], heal: [], healAll: 0, stop: 0 };
  const state = fakeState();
  const server = await startConsoleServer({
    host: '127.0.0.1',
    port: 0,
    assets,
    state: state.state,
    catalogue: () => CATALOGUE,
    controls: fakeControls(calls),
    ...options,
  });
  servers.push(server);
  return { server, calls, state };
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  json: () => unknown;
}

/** One raw request: the path is sent as given, and Host defaults to the server's loopback address. */
function call(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        // A fresh connection each time: a pooled one would hide a closed server.
        agent: false,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = { 'content-type': 'application/json' };
const post = (port: number, path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(port, path, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });

/** Opens an event stream and collects its text as it arrives. */
function openEvents(port: number, path = '/api/events', headers: Record<string, string> = {}) {
  let text = '';
  let ended = false;
  let waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters) w();
    waiters = [];
  };
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          wake();
        });
        res.on('end', () => {
          ended = true;
          wake();
        });
        res.on('error', () => {
          ended = true;
          wake();
        });
        resolve(res);
      },
    );
    req.on('error', reject);
    req.end();
  });
  /** Resolves once `done` holds of the stream so far. */
  const until = async (done: (text: string, ended: boolean) => boolean): Promise<string> => {
    while (!done(text, ended)) {
      if (ended) throw new Error(`the stream ended: ${text}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    return text;
  };
  return { response, until, ended: () => ended };
}

const events = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('event: '));

describe('console server: the page', () => {
  it('serves index.html at / and files under assets with their types and the CSP', async () => {
    const { server } = await start();
    const index = await call(server.port, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.text).toContain('<title>console</title>');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const js = await call(server.port, '/assets/x.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.text).toBe('console.log("page")');
    expect(js.headers['content-security-policy']).toBe(index.headers['content-security-policy']);
    expect((await call(server.port, '/missing.html')).status).toBe(404);
    expect((await call(server.port, '/assets')).status).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
  ])('never serves a file outside the assets folder: %s', async (path) => {
    const { server } = await start();
    const answer = await call(server.port, path);
    expect(answer.status).toBe(404);
    expect(answer.text).not.toContain('not for the page');
  });

  it('answers a malformed percent-encoding with a 4xx, not a server error', async () => {
    const { server } = await start();
    const page = await call(server.port, '/%E0%A4%A');
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(page.status).toBeLessThan(500);
    const heal = await call(server.port, '/api/faults/%E0%A4%A', { method: 'DELETE', headers: json });
    expect(heal.status).toBeGreaterThanOrEqual(400);
    expect(heal.status).toBeLessThan(500);
  });
});

describe('console server: the API', () => {
  it('serves the state and the catalogue as JSON', async () => {
    const { server } = await start();
    const state = await call(server.port, '/api/state');
    expect(state.status).toBe(200);
    expect(state.headers['content-type']).toBe('application/json');
    expect(state.json()).toMatchObject({ session: { scenario: 'steady-state', phase: 'load' } });
    const catalogue = await call(server.port, '/api/catalogue');
    expect(catalogue.json()).toEqual(CATALOGUE);
    expect((await call(server.port, '/api/nothing')).status).toBe(404);
  });

  it('sends the state on /api/events at once and again on every broadcast', async () => {
    const { server, state } = await start();
    const stream = openEvents(server.port);
    const res = await stream.response;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const first = await stream.until((t) => events(t).length >= 1);
    expect(events(first)).toEqual(['event: state']);
    const data = first.split('\n').find((l) => l.startsWith('data: ')) ?? '';
    expect(JSON.parse(data.slice('data: '.length))).toMatchObject({ session: { now: state.taken() } });
    server.broadcast();
    const second = await stream.until((t) => events(t).length >= 2);
    expect(events(second)).toEqual(['event: state', 'event: state']);
  });

  it('keeps broadcasting to the other streams after one client leaves', async () => {
    const { server } = await start();
    const gone = openEvents(server.port);
    const stays = openEvents(server.port);
    await gone.until((t) => events(t).length >= 1);
    await stays.until((t) => events(t).length >= 1);
    (await gone.response).destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    server.broadcast();
    expect(events(await stays.until((t) => events(t).length >= 2))).toHaveLength(2);
    expect((await call(server.port, '/api/state')).status).toBe(200);
  });

  it('passes a fault to inject and answers 201 with what was applied', async () => {
    const { server, calls } = await start();
    const answer = await post(server.port, '/api/faults', { fault: 'regionOutage', region: 'eu-west' });
    expect(answer.status).toBe(201);
    expect(answer.json()).toEqual({
      id: 'm1-regionOutage',
      kind: 'regionOutage',
      target: 'region eu-west',
      regions: ['eu-west'],
    } satisfies InjectAnswer);
    expect(calls.inject).toEqual([{ fault: 'regionOutage', region: 'eu-west' }]);
  });

  it('heals one, heals all, and stops through the controls', async () => {
    const { server, calls } = await start();
    const one = await call(server.port, '/api/faults/m1-regionOutage', { method: 'DELETE', headers: json });
    expect([one.status, one.json()]).toEqual([200, { id: 'm1-regionOutage' }]);
    const all = await call(server.port, '/api/faults', { method: 'DELETE', headers: json });
    expect([all.status, all.json()]).toEqual([200, { healed: ['m1-regionOutage'] }]);
    const stop = await post(server.port, '/api/stop', {});
    expect(stop.status).toBe(202);
    expect(calls).toMatchObject({ heal: ['m1-regionOutage'], healAll: 1, stop: 1 });
  });

  it('turns a ControlError into its status with the error and the field', async () => {
    const { server } = await start();
    const bad = await post(server.port, '/api/faults', { fault: 'bad' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({ error: 'region: unknown region "eu-wst"', field: 'region' });
    const late = await post(server.port, '/api/faults', { fault: 'late' });
    expect([late.status, late.json()]).toEqual([409, { error: 'load has not started yet' }]);
    const gone = await call(server.port, '/api/faults/nope', { method: 'DELETE', headers: json });
    expect(gone.status).toBe(404);
    expect(gone.json()).toEqual({ error: 'no active fault "nope"' });
  });

  it('refuses a body that is not JSON with 400 and one over 64 KB with 413', async () => {
    const { server, calls } = await start();
    const broken = await call(server.port, '/api/faults', {
      method: 'POST',
      headers: json,
      body: '{"fault":',
    });
    expect(broken.status).toBe(400);
    expect(broken.json()).toMatchObject({ error: expect.stringMatching(/not JSON/) });
    const big = JSON.stringify({ fault: 'regionOutage', region: 'eu-west', pad: 'x'.repeat(70 * 1024) });
    const huge = await call(server.port, '/api/faults', { method: 'POST', headers: json, body: big });
    expect(huge.status).toBe(413);
    expect(calls.inject).toEqual([]);
  });
});

describe('console server: guards without a token', () => {
  it('refuses a control request not sent as JSON with 415', async () => {
    const { server, calls } = await start();
    const form = await call(server.port, '/api/faults', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'fault=regionOutage&region=eu-west',
    });
    expect(form.status).toBe(415);
    const none = await call(server.port, '/api/stop', { method: 'POST', body: '{}' });
    expect(none.status).toBe(415);
    expect(calls).toMatchObject({ inject: [], stop: 0 });
  });

  it('refuses a control request from a foreign origin with 403, and accepts its own', async () => {
    const { server, calls } = await start();
    const foreign = await post(server.port, '/api/stop', {}, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const otherPort = await post(server.port, '/api/stop', {}, { origin: 'http://127.0.0.1:1' });
    expect(otherPort.status).toBe(403);
    expect(calls.stop).toBe(0);
    const own = await post(server.port, '/api/stop', {}, { origin: `http://127.0.0.1:${server.port}` });
    expect(own.status).toBe(202);
    expect(calls.stop).toBe(1);
  });

  it('refuses a request addressed to a name that is not loopback with 403 (DNS rebinding)', async () => {
    const { server } = await start();
    for (const host of [
      `evil.example:${server.port}`,
      `192.168.1.5:${server.port}`,
      '127.0.0.1.evil.example',
    ]) {
      expect((await call(server.port, '/api/state', { headers: { host } })).status).toBe(403);
      expect((await call(server.port, '/', { headers: { host } })).status).toBe(403);
    }
    for (const host of [`localhost:${server.port}`, `[::1]:${server.port}`, '127.0.0.2']) {
      expect((await call(server.port, '/api/state', { headers: { host } })).status).toBe(200);
    }
  });

  it('refuses an HTTP/1.0 request with no Host header with 403', async () => {
    const { server } = await start();
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(server.port, '127.0.0.1', () => socket.end('GET /api/state HTTP/1.0\r\n\r\n'));
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => {
        text += c;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer.split('\r\n')[0]).toMatch(/^HTTP\/1\.[01] 403 /);
  });

  it('gives the page’s address without a token', async () => {
    const { server } = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });
});

describe('console server: guards with a token', () => {
  it.each([
    ['GET', '/api/state'],
    ['GET', '/api/catalogue'],
    ['GET', '/api/events'],
    ['POST', '/api/faults'],
    ['DELETE', '/api/faults'],
    ['DELETE', '/api/faults/m1-regionOutage'],
    ['POST', '/api/stop'],
  ])('refuses %s %s with 401 without the token or with a wrong one', async (method, path) => {
    const { server, calls } = await start({ token: TOKEN });
    const body = method === 'POST' ? '{"fault":"regionOutage","region":"eu-west"}' : undefined;
    const bare = await call(server.port, path, { method, headers: json, ...(body ? { body } : {}) });
    expect(bare.status).toBe(401);
    const wrong = await call(server.port, `${path}?token=${TOKEN}x`, {
      method,
      headers: { ...json, authorization: `Bearer ${TOKEN.slice(1)}` },
      ...(body ? { body } : {}),
    });
    expect(wrong.status).toBe(401);
    const wrongQuery = await call(server.port, `${path}?token=wrong`, { method, headers: json });
    expect(wrongQuery.status).toBe(401);
    expect(calls).toEqual({ inject: [], heal: [], healAll: 0, stop: 0 });
  });

  it('accepts the token as a bearer header or as ?token=', async () => {
    const { server, calls } = await start({ token: TOKEN });
    const bearer = await call(server.port, '/api/state', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(200);
    const query = await call(server.port, `/api/catalogue?token=${encodeURIComponent(TOKEN)}`);
    expect(query.status).toBe(200);
    const inject = await post(
      server.port,
      '/api/faults',
      { fault: 'regionOutage', region: 'eu-west' },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(inject.status).toBe(201);
    expect(calls.inject).toHaveLength(1);
    const stream = openEvents(server.port, `/api/events?token=${encodeURIComponent(TOKEN)}`);
    expect((await stream.response).statusCode).toBe(200);
    expect(events(await stream.until((t) => events(t).length >= 1))).toEqual(['event: state']);
  });

  it('serves a non-loopback Host once the token is set, and still guards the API', async () => {
    const { server } = await start({ token: TOKEN });
    const host = `console.example:${server.port}`;
    expect((await call(server.port, '/', { headers: { host } })).status).toBe(200);
    expect((await call(server.port, '/api/state', { headers: { host } })).status).toBe(401);
    const ok = await call(server.port, '/api/state', { headers: { host, authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
  });

  it('still refuses a foreign origin with the right token', async () => {
    const { server, calls } = await start({ token: TOKEN });
    const answer = await post(
      server.port,
      '/api/stop',
      {},
      { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' },
    );
    expect(answer.status).toBe(403);
    expect(calls.stop).toBe(0);
  });

  it('gives the page’s address with the token in it', async () => {
    const { server } = await start({ token: TOKEN });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
  });
});

describe('console server: close', () => {
  it('ends open event streams and frees the port', async () => {
    const { server } = await start();
    const port = server.port;
    const a = openEvents(port);
    const b = openEvents(port);
    await a.until((t) => events(t).length >= 1);
    await b.until((t) => events(t).length >= 1);
    await server.close();
    await a.until((_t, ended) => ended);
    await b.until((_t, ended) => ended);
    await expect(call(port, '/api/state')).rejects.toThrow(/ECONNREFUSED/);
    // Closing twice is harmless.
    await server.close();
  });
});
