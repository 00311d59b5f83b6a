// What the proxy API fuzz sends: requests to every route of the Toxiproxy API, built from valid
// bodies and then mutated (wrong types, missing and extra fields, numbers at and past every
// bound, odd names, raw text that is not JSON, deep nesting, oversized bodies), plus bursts of
// concurrent requests on one proxy. Addresses only ever name loopback, so nothing generated
// makes the proxy bind outside 127.0.0.0/8, dial out, or look a name up in DNS.
import { isIP } from 'node:net';
import fc from 'fast-check';
import { parseHostPort } from '../../proxy/address.ts';
import { toxicTypes } from '../../proxy/index.ts';

/** One HTTP request. Tokens in the body (`@echo@`, `@taken@`) are replaced when it is sent. */
export interface FuzzRequest {
  method: string;
  path: string;
  body?: string;
}

/** A case: requests sent one after another, or a burst sent all at once. */
export type FuzzStep = { kind: 'one'; request: FuzzRequest } | { kind: 'burst'; requests: FuzzRequest[] };

/** Every attribute of every toxic with its bounds, read from the toxics' own schemas. */
export interface AttributeBound {
  type: string;
  attribute: string;
  max: number;
  integer: boolean;
  /** Whether the schema states an upper bound at all (every attribute must). */
  bounded: boolean;
}

interface NumberSchema {
  maxValue: number | null;
  isInt: boolean;
}

export function attributeBounds(): AttributeBound[] {
  const bounds: AttributeBound[] = [];
  for (const [type, definition] of toxicTypes) {
    const shape = (definition.schema as unknown as { shape?: Record<string, { unwrap(): NumberSchema }> })
      .shape;
    for (const [attribute, field] of Object.entries(shape ?? {})) {
      const inner = field.unwrap();
      const bounded = inner.maxValue !== null && inner.maxValue !== Number.POSITIVE_INFINITY;
      bounds.push({
        type,
        attribute,
        max: bounded ? (inner.maxValue as number) : Number.MAX_SAFE_INTEGER,
        integer: inner.isInt,
        bounded,
      });
    }
  }
  return bounds;
}

/** A path segment as a client would send it; a lone surrogate cannot be encoded, so it is fixed. */
export function segment(name: string): string {
  return encodeURIComponent(Buffer.from(name, 'utf8').toString('utf8'));
}

/** Whether a string that parses as host:port names only loopback (no DNS, no other interface). */
function loopbackOnly(text: string): boolean {
  const parsed = parseHostPort(text);
  if (typeof parsed === 'string') return true;
  const { host } = parsed;
  return (
    host === '' || host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
  );
}

/** Any JSON but a string: safe where the proxy would bind or dial a string. */
const notString = fc.jsonValue({ maxDepth: 2 }).filter((value) => typeof value !== 'string');
const junk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null));
/** Random text that is never a non-loopback host:port (a trailing space spoils the port). */
const addressText = fc.string({ maxLength: 24 }).map((text) => (loopbackOnly(text) ? text : `${text} `));

const names = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('a', 'b', 'race') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '.',
      '..',
      'a/b',
      '%',
      '?x',
      '#',
      'ü',
      '\ud800',
      'x'.repeat(300),
      'x'.repeat(20_000),
      'Mozilla/5',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const toxicNames = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('t', 'u', 'latency_downstream', 'timeout_upstream') },
  { weight: 1, arbitrary: fc.constantFrom('', '..', '\udc00', 'y'.repeat(300), 'y'.repeat(20_000)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);
const listens = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      '127.0.0.1:0',
      '',
      ':0',
      'localhost:0',
      '127.0.0.7:0',
      '[::1]:0',
      '@taken@',
      '@echo@',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('127.0.0.1:70000', 'nocolon', '127.0.0.1:', '::1:80', '127.0.0.1:-1'),
  },
  { weight: 1, arbitrary: addressText },
  { weight: 1, arbitrary: notString },
);
const upstreams = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('@echo@', '127.0.0.1:1', 'localhost:@echo-port@') },
  { weight: 2, arbitrary: fc.constantFrom('127.0.0.1:0', 'x', '', '[::1]:1') },
  { weight: 1, arbitrary: addressText },
  { weight: 1, arbitrary: notString },
);
const enabled = fc.oneof({ weight: 4, arbitrary: fc.boolean() }, { weight: 1, arbitrary: junk });

const proxyBody = fc.record(
  {
    name: fc.oneof({ weight: 6, arbitrary: names }, { weight: 1, arbitrary: junk }),
    upstream: upstreams,
    listen: listens,
    enabled,
    toxics: junk,
    extra: junk,
  },
  { requiredKeys: [] },
);
const proxyChange = fc.record({ listen: listens, upstream: upstreams, enabled }, { requiredKeys: [] });
/**
 * An entry that passes every check, so a populate of several gets as far as binding: with a
 * taken or repeated address among them it fails part way, which is where half-applied
 * changes hide.
 */
const validEntry = fc.record(
  {
    name: fc.constantFrom('a', 'b', 'c', 'race'),
    upstream: fc.constantFrom('@echo@', '127.0.0.1:1'),
    listen: fc.constantFrom('127.0.0.1:0', '@taken@', '@echo@', '127.0.0.1:@echo-port@', 'localhost:0'),
    enabled: fc.boolean(),
  },
  { requiredKeys: ['name', 'upstream'] },
);

/** Numbers at and around every bound, and the values the issue found (3e9, 2^53). */
function edgeNumbers(): number[] {
  const edges = new Set<number>([
    0,
    -0,
    1,
    -1,
    0.5,
    1e-9,
    2 ** 31 - 1,
    2 ** 31,
    3e9,
    2 ** 53 - 1,
    2 ** 53,
    1e308,
  ]);
  for (const { max } of attributeBounds()) {
    for (const value of [max - 1, max, max + 1, max + 0.5]) edges.add(value);
  }
  return [...edges];
}

function toxicBodyArbitrary() {
  const bounds = attributeBounds();
  const attributeNames = [...new Set(bounds.map((b) => b.attribute)), 'unknown'];
  const value = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...edgeNumbers()) },
    { weight: 2, arbitrary: fc.integer() },
    { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
    { weight: 1, arbitrary: junk },
  );
  return fc.record(
    {
      name: fc.oneof({ weight: 6, arbitrary: toxicNames }, { weight: 1, arbitrary: junk }),
      type: fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom(...toxicTypes.keys(), 'x', '') },
        { weight: 1, arbitrary: junk },
      ),
      stream: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('upstream', 'downstream', 'UpStream', '', 'sideways') },
        { weight: 1, arbitrary: junk },
      ),
      toxicity: fc.oneof(fc.constantFrom(0, 0.5, 1, -0.1, 1.1), fc.double(), junk),
      attributes: fc.oneof(
        { weight: 6, arbitrary: fc.dictionary(fc.constantFrom(...attributeNames), value) },
        {
          weight: 1,
          arbitrary: junk,
        },
      ),
    },
    { requiredKeys: [] },
  );
}

/** Bodies that are not what JSON.stringify would write. */
const rawBodies = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '[',
      '{',
      '{"name":',
      'null',
      '42',
      '"x"',
      '[1,2]',
      '[]',
      '{}',
      '\u0000',
      '\ufeff{}',
      '{"name":"a","upstream":"@echo@"} trailing',
      '{"name":"\\ud800","upstream":"@echo@"}',
      '{"name":"a","upstream":"@echo@","enabled":1e400}',
      '{"type":"latency","attributes":{"latency":1e400}}',
      '{"type":"timeout","attributes":{"timeout":-1e400}}',
      '{"type":"latency","attributes":{"latency":25e8,"jitter":25e8}}',
      '{"type":"slicer","attributes":{"average_size":1,"delay":2592000000001}}',
      '{"toxicity":1e-400}',
      `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
      `{"name":"a","upstream":"@echo@","listen":"${'9'.repeat(5_000)}"}`,
    ),
  },
  { weight: 1, arbitrary: fc.constant(`"${'x'.repeat(1024 * 1024)}"`) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
);

const json = (value: unknown): string => JSON.stringify(value) ?? 'null';
const bodyOf = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 5, arbitrary: valid.map(json) }, { weight: 1, arbitrary: rawBodies });

function populateBodyArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc.uniqueArray(validEntry, { maxLength: 4, selector: (entry) => entry.name }).map(json),
    },
    { weight: 1, arbitrary: bodyOf(fc.array(validEntry, { maxLength: 3 })) },
    { weight: 2, arbitrary: bodyOf(fc.array(proxyBody, { maxLength: 4 })) },
    { weight: 1, arbitrary: bodyOf(proxyBody) },
  );
}

function requestArbitrary(): fc.Arbitrary<FuzzRequest> {
  const toxicBody = toxicBodyArbitrary();
  const toxicChange = toxicBody.map(({ attributes, toxicity }) => ({ attributes, toxicity }));
  const proxyPath = names.map((name) => `/proxies/${segment(name)}`);
  const toxicPath = fc
    .tuple(names, toxicNames)
    .map(([p, t]) => `/proxies/${segment(p)}/toxics/${segment(t)}`);
  const updateMethod = fc.constantFrom('PATCH', 'POST');
  return fc.oneof(
    { weight: 4, arbitrary: bodyOf(proxyBody).map((body) => ({ method: 'POST', path: '/proxies', body })) },
    {
      weight: 2,
      arbitrary: populateBodyArbitrary().map((body) => ({ method: 'POST', path: '/populate', body })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(updateMethod, proxyPath, bodyOf(proxyChange))
        .map(([method, path, body]) => ({ method, path, body })),
    },
    { weight: 2, arbitrary: proxyPath.map((path) => ({ method: 'DELETE', path })) },
    {
      weight: 5,
      arbitrary: fc
        .tuple(proxyPath, bodyOf(toxicBody))
        .map(([p, body]) => ({ method: 'POST', path: `${p}/toxics`, body })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(updateMethod, toxicPath, bodyOf(toxicChange))
        .map(([method, path, body]) => ({ method, path, body })),
    },
    { weight: 1, arbitrary: toxicPath.map((path) => ({ method: 'DELETE', path })) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          proxyPath,
          toxicPath,
          proxyPath.map((p) => `${p}/toxics`),
        )
        .map((path) => ({ method: 'GET', path })),
    },
    { weight: 1, arbitrary: fc.constant({ method: 'POST', path: '/reset' }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { method: 'GET', path: '/proxies' },
        { method: 'GET', path: '/version' },
        { method: 'GET', path: '/metrics' },
        { method: 'GET', path: '/nowhere' },
        { method: 'PUT', path: '/proxies' },
        { method: 'OPTIONS', path: '/proxies/a' },
        { method: 'GET', path: '/proxies/%zz' },
        { method: 'GET', path: '/proxies/%ED%A0%80' },
        { method: 'DELETE', path: '/proxies/%2E%2E' },
        { method: 'GET', path: '/proxies/a/toxics/' },
        { method: 'GET', path: '/proxies/a?x=%zz' },
      ),
    },
  );
}

/** Requests on the one proxy "race" that interleave badly when sent at once. */
function burstArbitrary(): fc.Arbitrary<FuzzRequest[]> {
  const create = {
    method: 'POST',
    path: '/proxies',
    body: '{"name":"race","upstream":"@echo@","listen":"127.0.0.1:0"}',
  };
  const move = { method: 'PATCH', path: '/proxies/race', body: '{"listen":"127.0.0.1:0"}' };
  const one = fc.constantFrom(
    create,
    create,
    { method: 'DELETE', path: '/proxies/race' },
    { method: 'DELETE', path: '/proxies/race' },
    move,
    { method: 'PATCH', path: '/proxies/race', body: '{"enabled":false}' },
    { method: 'POST', path: '/proxies/race', body: '{"enabled":true}' },
    {
      method: 'POST',
      path: '/proxies/race/toxics',
      body: '{"name":"t","type":"latency","attributes":{"latency":5}}',
    },
    { method: 'DELETE', path: '/proxies/race/toxics/t' },
    {
      method: 'POST',
      path: '/populate',
      body: '[{"name":"race","upstream":"@echo@","listen":"127.0.0.1:0"}]',
    },
    { method: 'POST', path: '/reset' },
  );
  return fc.array(one, { minLength: 2, maxLength: 8 });
}

/** A case: up to six steps, each one request or (rarely) a burst. */
export function caseArbitrary(): fc.Arbitrary<FuzzStep[]> {
  const step: fc.Arbitrary<FuzzStep> = fc.oneof(
    { weight: 9, arbitrary: requestArbitrary().map((request) => ({ kind: 'one' as const, request })) },
    { weight: 1, arbitrary: burstArbitrary().map((requests) => ({ kind: 'burst' as const, requests })) },
  );
  return fc.array(step, { minLength: 1, maxLength: 6 });
}
