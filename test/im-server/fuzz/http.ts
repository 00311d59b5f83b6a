// The HTTP fuzzer (issue 12, Fuzzing): requests to a node's admin and internal APIs and to the
// directory's, with bodies generated from each endpoint's zod schema and then mutated, garbage
// bodies, bodies over the limit, wrong methods and keys, and path segments no id could be.
// What must hold: never a 5xx, never a hung request (10 s), a JSON answer with an `error`
// string on every 4xx, and a refused create leaves no conversation behind. Cases come from a
// fixed seed; the runner reports cases per endpoint and what it found, and never throws.
import fc from 'fast-check';
import type { z } from 'zod';
import { ClockOffsetBody, ConversationId, CreateConversationBody, UserId } from '../../../contracts/wire.ts';
import {
  ConvRecord,
  ForwardRequest,
  HeartbeatRequest,
  InternalSyncRequest,
  ReplicateRequest,
} from '../../../im-server/internal-protocol.ts';
import { PEER_HEADER } from '../../../im-server/token.ts';
import { arbitraryOf, garbageArb, mutatedArb, type Overrides } from './arbitraries.ts';
import type { Finding, FuzzOptions, FuzzReport } from './report.ts';

export interface HttpFuzzTarget {
  nodeUrl: string;
  adminToken: string;
  peerKey: string;
  /** Regions of the node's cluster, so some residencies are real. */
  regions: string[];
  directoryUrl: string;
  directoryPeerKey: string;
  directoryAdminToken: string;
  /** False once the node's process has exited. */
  alive(): boolean;
}

type Server = 'node' | 'directory';
type Auth = 'admin' | 'peer' | 'none';

interface Endpoint {
  server: Server;
  method: string;
  /** `:id` is replaced by a generated path segment. */
  path: string;
  auth: Auth;
  schema?: z.ZodType;
  overrides?: Overrides;
  /** The body limit, when small enough to send one byte over it. */
  limit?: number;
  /** The answer is not JSON (Prometheus text). */
  text?: boolean;
  /** Makes a generated body consistent across fields where the schema alone cannot. */
  fix?: (doc: Record<string, unknown>) => Record<string, unknown>;
}

const idArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('room', 'fz-1', 'fz-2', 'other') },
  { weight: 2, arbitrary: arbitraryOf(ConversationId) as fc.Arbitrary<string> },
);
const userArb = fc.oneof(
  fc.constantFrom('alice', 'bob', 'mallory'),
  arbitraryOf(UserId) as fc.Arbitrary<string>,
);

function endpoints(regions: string[]): Endpoint[] {
  const residency = fc.option(
    fc.array(fc.oneof(fc.constantFrom(...regions), fc.constantFrom('atlantis', 'r9')), {
      minLength: 1,
      maxLength: 3,
    }),
    { nil: undefined },
  );
  const convIds: Overrides = {
    id: idArb,
    conv: idArb,
    members: fc.array(userArb, { minLength: 1, maxLength: 4 }),
  };
  return [
    {
      server: 'node',
      method: 'POST',
      path: '/admin/conversations',
      auth: 'admin',
      schema: CreateConversationBody,
      overrides: { ...convIds, residency },
    },
    { server: 'node', method: 'GET', path: '/admin/conversations/:id', auth: 'admin' },
    { server: 'node', method: 'GET', path: '/admin/conversations/:id/digest', auth: 'admin' },
    { server: 'node', method: 'GET', path: '/admin/conversations/:id/log', auth: 'admin' },
    {
      server: 'node',
      method: 'POST',
      path: '/admin/clock',
      auth: 'admin',
      schema: ClockOffsetBody,
      limit: 64 * 1024,
    },
    { server: 'node', method: 'GET', path: '/admin/clock', auth: 'admin' },
    {
      server: 'node',
      method: 'POST',
      path: '/internal/send',
      auth: 'peer',
      schema: ForwardRequest,
      overrides: { 'items[].conv': idArb, 'items[].from': userArb },
    },
    {
      server: 'node',
      method: 'POST',
      path: '/internal/replicate',
      auth: 'peer',
      schema: ReplicateRequest,
      overrides: { 'items[].conv': idArb },
    },
    {
      server: 'node',
      method: 'POST',
      path: '/internal/sync',
      auth: 'peer',
      schema: InternalSyncRequest,
      overrides: { conv: idArb, user: userArb },
      limit: 64 * 1024,
    },
    {
      server: 'node',
      method: 'POST',
      path: '/internal/conversations',
      auth: 'peer',
      schema: ConvRecord,
      overrides: convIds,
    },
    { server: 'node', method: 'GET', path: '/healthz', auth: 'none' },
    { server: 'node', method: 'GET', path: '/metrics', auth: 'none', text: true },
    { server: 'node', method: 'GET', path: '/:id', auth: 'none' },
    {
      server: 'directory',
      method: 'POST',
      path: '/v1/heartbeat',
      auth: 'peer',
      schema: HeartbeatRequest,
      overrides: {
        region: fc.constantFrom('r1', 'r2', 'solo'),
        node: fc.constantFrom('n1', 'n2', 'x.y_z-1'),
      },
      // The directory refuses a node id that is not region/node (a 400 the schema cannot say).
      fix: (doc) => ({ ...doc, nodeId: `${String(doc.region)}/${String(doc.node)}` }),
    },
    {
      server: 'directory',
      method: 'POST',
      path: '/v1/conversations',
      auth: 'peer',
      schema: CreateConversationBody,
      overrides: { ...convIds, residency },
    },
    { server: 'directory', method: 'GET', path: '/v1/conversations/:id', auth: 'peer' },
    { server: 'directory', method: 'GET', path: '/admin/state', auth: 'admin' },
    { server: 'directory', method: 'GET', path: '/healthz', auth: 'none' },
  ];
}

interface Request {
  endpoint: number;
  method: string;
  segment: string;
  auth: 'right' | 'wrong' | 'none';
  body: { text: string; what: string } | null;
}

/** Path segments: ids, and what no id could be (escapes, traversal, very long, non-ASCII). */
const segmentArb = fc.oneof(
  { weight: 4, arbitrary: idArb.map((id) => encodeURIComponent(id)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((s) => encodeURIComponent(s)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '%',
      '%ZZ',
      '%E0%A4%A',
      '..',
      '.',
      '%2F',
      'a%00b',
      '%F0%9F%98%80',
      'x'.repeat(5000),
      '%ED%A0%80',
    ),
  },
);

function requestArb(list: Endpoint[]): fc.Arbitrary<Request> {
  return fc.nat(list.length - 1).chain((endpoint) => {
    const e = list[endpoint]!;
    const generated = e.schema === undefined ? fc.constant({}) : arbitraryOf(e.schema, e.overrides ?? {});
    const fix = e.fix;
    const valid = fix === undefined ? generated : generated.map((doc) => fix(doc as Record<string, unknown>));
    const asText = valid.map((doc) => ({ text: JSON.stringify(doc), what: 'valid' }));
    const over =
      e.limit === undefined
        ? []
        : [
            {
              weight: 1,
              arbitrary: fc.constant({ text: `"${'x'.repeat(e.limit)}"`, what: 'over the limit' }),
            },
          ];
    const body: fc.Arbitrary<{ text: string; what: string } | null> =
      e.method === 'GET'
        ? fc.constant(null)
        : fc.oneof(
            { weight: 4, arbitrary: asText },
            { weight: 4, arbitrary: mutatedArb(valid) },
            { weight: 1, arbitrary: garbageArb(valid) },
            ...over,
          );
    return fc.record({
      endpoint: fc.constant(endpoint),
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(e.method) },
        { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
      ),
      segment: segmentArb,
      auth: fc.oneof(
        { weight: 10, arbitrary: fc.constant<'right'>('right') },
        { weight: 1, arbitrary: fc.constantFrom<'wrong' | 'none'>('wrong', 'none') },
      ),
      body,
    });
  });
}

function headersFor(target: HttpFuzzTarget, e: Endpoint, auth: Request['auth']): Record<string, string> {
  if (auth === 'none' || e.auth === 'none') return {};
  const key =
    e.auth === 'admin'
      ? e.server === 'node'
        ? target.adminToken
        : target.directoryAdminToken
      : e.server === 'node'
        ? target.peerKey
        : target.directoryPeerKey;
  const value = auth === 'right' ? key : `${key}x`;
  return e.auth === 'admin' ? { authorization: `Bearer ${value}` } : { [PEER_HEADER]: value };
}

interface Outcome {
  status: number;
  text: string;
  contentType: string;
}

async function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | null,
): Promise<Outcome> {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body === null ? {} : { 'content-type': 'application/json' }) },
    ...(body === null || method === 'GET' || method === 'HEAD' ? {} : { body }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

function problems(e: Endpoint, method: string, out: Outcome): string[] {
  const found: string[] = [];
  if (out.status >= 500 || out.status < 200) found.push(`answered ${out.status}: ${out.text.slice(0, 200)}`);
  if (method === 'HEAD' || (e.text === true && out.status === 200)) return found;
  let json: unknown;
  try {
    json = JSON.parse(out.text);
  } catch {
    found.push(`answered ${out.status} with a body that is not JSON: ${out.text.slice(0, 100)}`);
    return found;
  }
  if (!out.contentType.startsWith('application/json')) found.push(`content-type ${out.contentType}`);
  if (out.status >= 400) {
    const error = json !== null && typeof json === 'object' ? (json as { error?: unknown }).error : undefined;
    if (typeof error !== 'string' || error.length === 0)
      found.push(`a ${out.status} without an error message: ${out.text.slice(0, 100)}`);
  }
  return found;
}

/** Runs the HTTP fuzzer against a node and a directory; never throws for a finding. */
export async function fuzzHttp(target: HttpFuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const list = endpoints(target.regions);
  const requests = fc.sample(requestArb(list), { seed: options.seed, numRuns: options.runs });
  const findings: Finding[] = [];
  const perEndpoint = new Map<string, { tried: number; ok: number }>();
  let tried = 0;
  for (const [caseNo, r] of requests.entries()) {
    if (performance.now() - started > options.timeBudgetMs || !target.alive()) break;
    tried++;
    const e = list[r.endpoint]!;
    const base = e.server === 'node' ? target.nodeUrl : target.directoryUrl;
    const url = `${base}${e.path.replace(':id', r.segment)}`;
    const label = `${e.server} ${e.method} ${e.path}`;
    const counts = perEndpoint.get(label) ?? { tried: 0, ok: 0 };
    perEndpoint.set(label, counts);
    counts.tried++;
    const input = `${r.method} ${url.slice(0, 150)} auth=${r.auth} ${r.body === null ? '' : `${r.body.what}: ${r.body.text.slice(0, 150)}`}`;
    try {
      const id = createdId(e, r);
      const before = id === undefined ? undefined : await exists(target, id);
      const out = await send(url, r.method, headersFor(target, e, r.auth), r.body?.text ?? null);
      if (out.status < 300) counts.ok++;
      for (const problem of problems(e, r.method, out))
        if (findings.length < 50) findings.push({ case: caseNo, input, problem });
      // A create that was refused must have changed nothing: no conversation half made.
      if (id !== undefined && before === 404 && out.status !== 201) {
        const after = await exists(target, id);
        if (after !== 404)
          findings.push({
            case: caseNo,
            input,
            problem: `a create refused with ${out.status} left ${id} behind (${after})`,
          });
      }
    } catch (error) {
      findings.push({
        case: caseNo,
        input,
        problem: `no answer: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  if (!target.alive()) findings.push({ case: tried, input: '', problem: 'the node process exited' });
  // Leave the node's clock as it was found.
  await send(
    `${target.nodeUrl}/admin/clock`,
    'POST',
    { authorization: `Bearer ${target.adminToken}` },
    '{"offsetMs":0}',
  ).catch(() => undefined);
  return {
    surface: 'HTTP (node admin and internal, directory)',
    cases: tried,
    detail: [...perEndpoint].map(([label, n]) => `${label} ×${n.tried} (${n.ok} 2xx)`).join(', '),
    findings,
    durationMs: Math.round(performance.now() - started),
  };
}

/** The id a create request names, when it names a valid one. */
function createdId(e: Endpoint, r: Request): string | undefined {
  if (e.server !== 'node' || e.path !== '/admin/conversations' || r.method !== 'POST' || r.body === null)
    return undefined;
  try {
    const id = (JSON.parse(r.body.text) as { id?: unknown }).id;
    return typeof id === 'string' && ConversationId.safeParse(id).success ? id : undefined;
  } catch {
    return undefined;
  }
}

async function exists(target: HttpFuzzTarget, id: string): Promise<number> {
  const url = `${target.nodeUrl}/admin/conversations/${encodeURIComponent(id)}`;
  return (await send(url, 'GET', { authorization: `Bearer ${target.adminToken}` }, null)).status;
}
