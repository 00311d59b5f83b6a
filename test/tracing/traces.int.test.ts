// One message traced across real processes: a client (this process, the SDK client with tracing
// started from OTEL_*) sends in a conversation homed in r1 through a node of r2, and two node
// processes (r1/n1 the home, r2/n1 its peer) export over OTLP/HTTP JSON to a tiny receiver
// here. One trace id must hold the client's send, the home's sequence, the peer's replicate and
// the deliveries to recipients on both nodes, with the parent links the message took, from
// three service names. Fixed conversation id and users; one node per region for 2 cores.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type ImClient, startClientTracing } from '../../client/index.ts';
import type { ClientTracing } from '../../client/tracing.ts';
import { sleep } from '../../lib/async.ts';
import { createRandom } from '../../lib/random.ts';
import { eventLog } from '../client/events.ts';
import { type Cluster, convHomedIn, startCluster } from '../support/cluster.ts';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, string | number | boolean>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

const REGIONS = ['r1', 'r2'];
const OTEL_KEYS = [
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_TRACES_SAMPLER',
  'OTEL_BSP_SCHEDULE_DELAY',
  'OTEL_METRICS_EXPORTER',
  'OTEL_LOGS_EXPORTER',
];

const spans: ReceivedSpan[] = [];
let receiver: Server;
let cluster: Cluster;
let tracing: ClientTracing | null = null;
const clients: ImClient[] = [];
const savedEnv = new Map<string, string | undefined>();

const otlpValue = (v: OtlpValue): string | number | boolean =>
  v.stringValue ??
  (v.intValue === undefined ? undefined : Number(v.intValue)) ??
  v.boolValue ??
  v.doubleValue ??
  '';

const attributes = (list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> =>
  Object.fromEntries((list ?? []).map((a) => [a.key, otlpValue(a.value)]));

function collect(body: OtlpExport): void {
  for (const rs of body.resourceSpans ?? []) {
    const service = String(attributes(rs.resource?.attributes)['service.name'] ?? '');
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          service,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          attributes: attributes(s.attributes),
        });
      }
    }
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A tiny OTLP/HTTP JSON receiver: POST /v1/traces, every resourceSpans kept in `spans`. */
async function startReceiver(): Promise<string> {
  receiver = createServer((req, res) => {
    void readBody(req).then((text) => {
      if (req.method === 'POST' && req.url === '/v1/traces') {
        collect(JSON.parse(text) as OtlpExport);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  const endpoint = await startReceiver();
  // Set here, so this process's client and (inheriting them) the node processes trace.
  const env: Record<string, string> = {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_TRACES_SAMPLER: 'always_on',
    OTEL_BSP_SCHEDULE_DELAY: '200',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  };
  for (const key of OTEL_KEYS) {
    savedEnv.set(key, process.env[key]);
    process.env[key] = env[key];
  }
  tracing = await startClientTracing('chatquake-client');
  cluster = await startCluster({ regions: REGIONS, leaseMs: 2000 });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await tracing?.shutdown().catch(() => {});
  await cluster?.stop();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  for (const [key, value] of savedEnv) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

function client(user: string, region: string): ReturnType<typeof eventLog> {
  const log = eventLog();
  const c = createClient({
    user,
    token: () => cluster.token(user),
    endpoints: [{ region, url: cluster.node(region).wsUrl }],
    backoff: { minMs: 50, maxMs: 500 },
    random: createRandom(`trace-${user}`).next,
    onEvent: log.onEvent,
  });
  clients.push(c);
  c.start();
  return log;
}

/** The spans of the trace whose client send span names `cmid`, once `done` holds for them. */
async function traceOf(cmid: string, done: (trace: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const send = spans.find(
      (s) => s.name.startsWith('send ') && s.attributes['messaging.message.id'] === cmid,
    );
    const trace = send === undefined ? [] : spans.filter((s) => s.traceId === send.traceId);
    if (trace.length > 0 && done(trace)) return trace;
    if (Date.now() > deadline) {
      throw new Error(
        `no complete trace for ${cmid}; spans seen: ${JSON.stringify(spans.map((s) => s.name))}`,
      );
    }
    await sleep(100);
  }
}

describe('a traced message across two regions', () => {
  it('is one trace: send, sequence at the home, replicate at the peer, deliver on both nodes', async () => {
    expect(tracing).not.toBeNull();
    const conv = convHomedIn(REGIONS, 'r1', 'traced');
    const created = await cluster.admin('r1/n1', 'POST', '/admin/conversations', {
      id: conv,
      members: ['alice', 'bob', 'carol'],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const home = cluster.node('r1');
    expect((created.body as { home: string }).home).toBe(`${home.region}/${home.node}`);

    const alice = client('alice', 'r2');
    const bob = client('bob', 'r2');
    const carol = client('carol', 'r1');
    for (const log of [alice, bob, carol]) await log.waitFor('connected', undefined, 15_000);
    alice.events.length = 0;
    // Through r2/n1, which forwards to the home r1/n1.
    clients[0]!.send(conv, 'traced-1', 'hello across regions');
    await alice.waitFor('acked', (e) => e.cmid === 'traced-1', 20_000);
    await bob.waitFor('delivered', (e) => e.cmid === 'traced-1', 20_000);
    await carol.waitFor('delivered', (e) => e.cmid === 'traced-1', 20_000);

    const named = (t: ReceivedSpan[], name: string, service: string) =>
      t.filter((s) => s.name === `${name} ${conv}` && s.service === service);
    const deliveredTo = (t: ReceivedSpan[], service: string, user: string) =>
      named(t, 'deliver', service).find((s) => s.attributes['chatquake.recipient'] === user);
    const trace = await traceOf(
      'traced-1',
      (t) =>
        named(t, 'send', 'chatquake-client').length === 1 &&
        named(t, 'sequence', 'chatquake-node r1/n1').length === 1 &&
        named(t, 'replicate', 'chatquake-node r2/n1').length >= 1 &&
        deliveredTo(t, 'chatquake-node r2/n1', 'bob') !== undefined &&
        deliveredTo(t, 'chatquake-node r1/n1', 'carol') !== undefined,
    );
    const send = named(trace, 'send', 'chatquake-client')[0]!;
    const sequence = named(trace, 'sequence', 'chatquake-node r1/n1')[0]!;
    const replicates = named(trace, 'replicate', 'chatquake-node r2/n1');
    const toBob = deliveredTo(trace, 'chatquake-node r2/n1', 'bob')!;
    const toCarol = deliveredTo(trace, 'chatquake-node r1/n1', 'carol')!;

    expect(new Set(trace.map((s) => s.service)).size).toBeGreaterThanOrEqual(3);
    expect(send.parentSpanId).toBe('');
    expect(sequence.parentSpanId).toBe(send.spanId);
    for (const r of replicates) expect(r.parentSpanId).toBe(sequence.spanId);
    expect(replicates.map((r) => r.spanId)).toContain(toBob.parentSpanId);
    expect(toCarol.parentSpanId).toBe(sequence.spanId);

    for (const [span, op] of [
      [send, 'send'],
      [sequence, 'sequence'],
      [replicates[0]!, 'replicate'],
      [toBob, 'deliver'],
    ] as const) {
      expect(span.attributes).toMatchObject({
        'messaging.system': 'chatquake',
        'messaging.operation.name': op,
        'messaging.destination.name': conv,
        'messaging.message.conversation_id': conv,
        'messaging.message.id': 'traced-1',
      });
    }
    expect(sequence.attributes['chatquake.seq']).toBe(1);
  });
});
