// The keys that guard a node's and the directory's HTTP APIs (the admin bearer token and the
// peer key) are compared in constant time (issue 12, Security): a `===` on strings returns at
// the first differing character, so response times would leak the key a byte at a time. Both
// sides are hashed first, so not even the length shows; these tests see `timingSafeEqual` used
// on every guarded request, and the comparison stay correct.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClock } from '../../im-server/clock.ts';
import type { ControlPlane } from '../../im-server/control-plane.ts';
import { createDirectoryHandler } from '../../im-server/directory/routes.ts';
import { createDirectoryState } from '../../im-server/directory/state.ts';
import type { Engine } from '../../im-server/engine.ts';
import { createLogger } from '../../im-server/log.ts';
import type { NodeMetrics } from '../../im-server/metrics.ts';
import { createNodeHttpHandler } from '../../im-server/node-http.ts';
import { PEER_HEADER, secretMatches } from '../../im-server/token.ts';

const spy = vi.hoisted(() => ({ calls: [] as [number, number][] }));

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      spy.calls.push([a.byteLength, b.byteLength]);
      return real.timingSafeEqual(a, b);
    },
  };
});

const ADMIN = 'admin-token-of-some-length';
const PEER = 'peer-key-0123456789';
let server: Server | undefined;

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
});
beforeEach(() => {
  spy.calls.length = 0;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  const s = server;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

function nodeHandler(): (req: IncomingMessage, res: ServerResponse) => void {
  return createNodeHttpHandler({
    region: 'r1',
    node: 'n1',
    adminToken: ADMIN,
    peerKey: PEER,
    // Neither is reached: every request here stops at the key check or at /admin/clock.
    engine: {} as unknown as Engine,
    controlPlane: {} as unknown as ControlPlane,
    clock: createClock(),
    metrics: {} as unknown as NodeMetrics,
    logger: createLogger({ component: 'test' }, 'error'),
    healthz: () => ({}),
  });
}

/** Status of a request, and how many constant-time comparisons of equal-length digests it made. */
async function probe(url: string, headers: Record<string, string>, method = 'GET') {
  spy.calls.length = 0;
  const res = await fetch(url, { method, headers, signal: AbortSignal.timeout(5000) });
  await res.text();
  return { status: res.status, compared: spy.calls.filter(([a, b]) => a === b && a >= 32).length };
}

describe('secretMatches', () => {
  it('is true only for the same string, whatever the lengths', () => {
    expect(secretMatches('abc', 'abc')).toBe(true);
    expect(secretMatches('abd', 'abc')).toBe(false);
    expect(secretMatches('ab', 'abc')).toBe(false);
    expect(secretMatches('abcd', 'abc')).toBe(false);
    expect(secretMatches('', 'abc')).toBe(false);
    expect(secretMatches(undefined, 'abc')).toBe(false);
    expect(secretMatches(['abc'], 'abc')).toBe(false);
    expect(secretMatches('é😀', 'é😀')).toBe(true);
    expect(secretMatches('x'.repeat(100_000), 'abc')).toBe(false);
  });

  it('compares digests of equal length with timingSafeEqual, even for inputs of other lengths', () => {
    secretMatches('short', 'a much longer expected secret');
    expect(spy.calls).toEqual([[32, 32]]);
  });
});

describe('the node’s admin and internal keys', () => {
  it('checks the admin bearer token in constant time, right or wrong, any length', async () => {
    const base = await serve(nodeHandler());
    for (const given of ['Bearer x', `Bearer ${ADMIN.slice(0, -1)}z`, `Bearer ${ADMIN}${ADMIN}`, ADMIN]) {
      expect(await probe(`${base}/admin/clock`, { authorization: given }), given).toEqual({
        status: 401,
        compared: 1,
      });
    }
    expect(await probe(`${base}/admin/clock`, { authorization: `Bearer ${ADMIN}` })).toEqual({
      status: 200,
      compared: 1,
    });
  });

  it('checks the peer key of /internal/* in constant time', async () => {
    const base = await serve(nodeHandler());
    for (const given of ['x', `${PEER.slice(0, -1)}z`, `${PEER}0`]) {
      expect(await probe(`${base}/internal/sync`, { [PEER_HEADER]: given }, 'POST'), given).toEqual({
        status: 401,
        compared: 1,
      });
    }
    // The right key passes the check (and the empty body is then refused as a bad request).
    expect(await probe(`${base}/internal/sync`, { [PEER_HEADER]: PEER }, 'POST')).toEqual({
      status: 400,
      compared: 1,
    });
  });
});

describe('the directory’s admin and peer keys', () => {
  function directory(): (req: IncomingMessage, res: ServerResponse) => void {
    const handle = createDirectoryHandler(createDirectoryState('d1', 3000, 300), {
      adminToken: ADMIN,
      expectedPeerKey: PEER,
      heartbeat: () => {
        throw new Error('not reached');
      },
      createConversation: () => ({ status: 400, body: { error: 'x', status: 400 } }),
    });
    return (req, res) => {
      handle(req, res).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    };
  }

  it('checks the admin token of /admin/state in constant time', async () => {
    const base = await serve(directory());
    expect(await probe(`${base}/admin/state`, { authorization: 'Bearer nope' })).toEqual({
      status: 401,
      compared: 1,
    });
    expect(await probe(`${base}/admin/state`, { authorization: `Bearer ${ADMIN}` })).toEqual({
      status: 200,
      compared: 1,
    });
  });

  it('checks the peer key of /v1/* in constant time', async () => {
    const base = await serve(directory());
    expect(await probe(`${base}/v1/conversations/c1`, { [PEER_HEADER]: `${PEER}!` })).toEqual({
      status: 401,
      compared: 1,
    });
    expect(await probe(`${base}/v1/conversations/c1`, { [PEER_HEADER]: PEER })).toEqual({
      status: 404,
      compared: 1,
    });
  });
});
