// The reference server's HTTP message API under autocannon (its programmatic API): requests a
// second and latency percentiles for POST /api/conversations/:id/messages (a send, acked at the
// node's ack level) and GET .../messages?afterSeq= (a page of history), against GET /healthz on
// the same node in the same run, so the ratio says what the message path costs over a bare
// HTTP answer. Also the node's CPU per request, and a page read anywhere in a long history
// against the last page, which shows what a page costs beyond its own messages. A run fails only when the server answered wrong:
// a non-2xx answer, a socket error, or fewer messages stored than sends acked.
//
//   npx tsx bench/api.ts [--quick] [--strict]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createCleanupRegistry } from '../harness/local/cleanup.ts';
import { startLocalTopology } from '../harness/local/topology.ts';
import { signToken } from '../im-server/index.ts';
import { type BenchResult, benchArgs, finish, goal, type Row } from './support/bench.ts';
import { processCpuSeconds } from './support/proc.ts';

const args = benchArgs();
const SIZE = args.quick
  ? { seconds: 1, connections: 8, conversations: 8, history: 60 }
  : { seconds: 15, connections: 16, conversations: 100, history: 1000 };
const MEMBERS = 4;
const PAGE = 50;
const SECRET = 'bench-api-secret';
const ADMIN = 'bench-api-admin';

interface Case {
  name: string;
  result: autocannon.Result;
  cpuSeconds: number;
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.json() };
}

/** One autocannon run against the node, with the node's CPU over it. */
async function cannon(name: string, pid: number, options: autocannon.Options): Promise<Case> {
  const cpu0 = processCpuSeconds(pid);
  const result = await autocannon({ duration: SIZE.seconds, connections: SIZE.connections, ...options });
  return { name, result, cpuSeconds: processCpuSeconds(pid) - cpu0 };
}

function row(c: Case, base: Case): Row {
  const r = c.result;
  return {
    case: c.name,
    'req/s': r.requests.average,
    'p50 ms': r.latency.p50,
    'p90 ms': r.latency.p90,
    'p99 ms': r.latency.p99,
    '2xx': r['2xx'],
    'non-2xx': r.non2xx,
    errors: r.errors + r.timeouts,
    'node CPU µs/req': r['2xx'] > 0 ? (c.cpuSeconds * 1e6) / r['2xx'] : 0,
    'req/s vs healthz': r.requests.average / Math.max(1e-9, base.result.requests.average),
  };
}

async function setUp(
  adminUrl: string,
  node: string,
): Promise<{ convs: string[]; tokens: Map<string, string> }> {
  const convs: string[] = [];
  const tokens = new Map<string, string>();
  for (let i = 0; i < SIZE.conversations; i++) {
    const members = Array.from({ length: MEMBERS }, (_, k) => `u${i * MEMBERS + k}`);
    for (const m of members) tokens.set(m, signToken({ user: m, secret: SECRET, ttlSeconds: 3600 }));
    const created = await json(`${adminUrl}/admin/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: `c${i}`, members }),
    });
    if (created.status !== 201) throw new Error(`creating c${i}: HTTP ${created.status}`);
    convs.push(`c${i}`);
  }
  // History to page through: conversation c0 gets SIZE.history messages.
  for (let n = 0; n < SIZE.history; n++) {
    const sent = await json(`${node}/api/conversations/c0/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.get('u0')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ cmid: `h${n}`, body: `history ${n}` }),
    });
    if (sent.status !== 200) throw new Error(`history message ${n}: HTTP ${sent.status}`);
  }
  return { convs, tokens };
}

/** Stored messages over every conversation, from the node's digests. */
async function storedCount(adminUrl: string, convs: string[]): Promise<number> {
  let total = 0;
  for (const conv of convs) {
    const d = await json(`${adminUrl}/admin/conversations/${conv}/digest`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    total += (d.body as { count: number }).count;
  }
  return total;
}

async function main(): Promise<void> {
  const registry = createCleanupRegistry();
  const runDir = mkdtempSync(join(tmpdir(), 'chatquake-bench-api-'));
  try {
    const topology = await startLocalTopology({
      runDir,
      regions: ['bench'],
      seed: 1,
      secret: SECRET,
      adminToken: ADMIN,
      registry,
    });
    const info = topology.nodes('bench')[0];
    if (info?.pid === undefined) throw new Error('the node did not start');
    // Straight to the node, not through its edge proxy: the proxy is bench/proxy.ts's subject.
    const node = info.httpUrl;
    const { convs, tokens } = await setUp(node, node);
    const users = [...tokens.keys()];
    const before = await storedCount(node, convs);

    const base = await cannon('GET /healthz (baseline)', info.pid, { url: `${node}/healthz` });
    const page = (name: string, afterSeqOf: (n: number) => number): Promise<Case> => {
      let read = 0;
      return cannon(name, info.pid as number, {
        url: node,
        requests: [
          {
            method: 'GET',
            setupRequest: (req) => {
              const n = read++;
              const user = users[n % MEMBERS] as string;
              return {
                ...req,
                path: `/api/conversations/c0/messages?afterSeq=${afterSeqOf(n)}&limit=${PAGE}`,
                headers: { authorization: `Bearer ${tokens.get(user)}` },
              };
            },
          },
        ],
      });
    };
    // Pages anywhere in the history, and the last page only: the difference is what reading the
    // rest of the log costs a page (the engine's sync reads everything after afterSeq).
    const get = await page(
      `GET messages (page of ${PAGE}, anywhere)`,
      (n) => (n * 37) % (SIZE.history - PAGE),
    );
    const tail = await page(`GET messages (last page of ${PAGE})`, () => SIZE.history - PAGE);
    // Sends last, so the reads are not measured in the wake of their inserts (WAL checkpoints
    // on the node's worker thread, a larger table).
    let sent = 0;
    const post = await cannon('POST messages (send, ack)', info.pid, {
      url: node,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            const n = sent++;
            const conv = convs[n % convs.length] as string;
            const user = `u${(n % convs.length) * MEMBERS + (n % MEMBERS)}`;
            return {
              ...req,
              path: `/api/conversations/${conv}/messages`,
              headers: { authorization: `Bearer ${tokens.get(user)}`, 'content-type': 'application/json' },
              body: JSON.stringify({ cmid: `b${n}`, body: `bench ${n} ${'x'.repeat(48)}` }),
            };
          },
        },
      ],
    });
    const stored = (await storedCount(node, convs)) - before;
    const cases = [base, get, tail, post];
    const rows = cases.map((c) => row(c, base));
    const wrong = cases.filter((c) => c.result.non2xx > 0 || c.result.errors > 0);
    const result: BenchResult = {
      name: 'api',
      rows,
      goals: [
        goal('POST messages: p99 latency', post.result.latency.p99, '<=', 50, ' ms'),
        goal('GET messages (anywhere): p99 latency', get.result.latency.p99, '<=', 50, ' ms'),
        goal('GET messages (last page): p99 latency', tail.result.latency.p99, '<=', 50, ' ms'),
      ],
      notes: [
        `one node, ack ${'replicated'} with no other region (so a send is acked once stored), ${SIZE.connections} connections, ${SIZE.seconds} s per case, autocannon in the benchmark process on the same 2 cores as the node`,
        `POST: ${post.result['2xx']} sends acked, ${stored} messages stored (${convs.length} conversations of ${MEMBERS} members)`,
      ],
      data: {
        size: SIZE,
        latency: Object.fromEntries(cases.map((c) => [c.name, c.result.latency])),
        requests: Object.fromEntries(cases.map((c) => [c.name, c.result.requests])),
      },
    };
    if (wrong.length > 0) {
      result.failure = wrong
        .map((c) => `${c.name}: ${c.result.non2xx} non-2xx, ${c.result.errors} errors`)
        .join('; ');
    } else if (stored < post.result['2xx']) {
      result.failure = `${post.result['2xx']} sends acked but only ${stored} messages stored`;
    }
    finish(result, args);
  } finally {
    await registry.run();
    rmSync(runDir, { recursive: true, force: true });
  }
}

await main();
