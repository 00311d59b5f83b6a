// What tracing costs on a node's send→deliver path: a home engine in this process (group commit,
// deduplication, delivery to a counting stand-in for sessions; storage is a stand-in too, since
// SQLite's time would hide a small cost, so the ratios are against the engine's own work) sequences and delivers
// batches of sends in three set-ups measured in interleaved rounds of one run: tracing off
// (the default: the baseline), tracing off while the frames carry a traceparent (a traced
// client, an untraced node: must cost nothing), and tracing on (an SDK tracer provider with a
// batch processor and an exporter that drops spans, every message sampled). Prints messages/s
// and the ratios to the baseline; bounded by a fixed message count.
//   npx tsx bench/tracing.ts [--quick]
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as api from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { sequenceLocal } from '../im-server/engine/group-commit.ts';
import { becomeHome } from '../im-server/engine/home-role.ts';
import { type Conv, type EngineState, newConv } from '../im-server/engine/state.ts';
import type { ForwardItem } from '../im-server/internal-protocol.ts';
import type { Storage } from '../im-server/storage.ts';
import { createNodeTracing, type NodeTracing } from '../im-server/tracing.ts';
import { testEngineState } from '../test/support/engine.ts';
import { benchArgs, finish, goal } from './support/bench.ts';

const args = benchArgs();
const ROUNDS = args.quick ? 2 : 7;
const MESSAGES_PER_ROUND = args.quick ? 5_000 : 50_000;
/** Sends in flight at once: each turn of the event loop commits them as one group. */
const CONCURRENCY = 50;
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

interface Setup {
  name: string;
  s: EngineState;
  c: Conv;
  traceparent: string | undefined;
  delivered: number;
  ms: number[];
}

/** What the home's send→deliver path asks of storage: appends kept in memory, nothing found. */
function memoryStorage(): Storage {
  let rows = 0;
  const stand = {
    upsertConversation: () => {},
    setLogEpoch: () => {},
    findByCmid: () => undefined,
    appendMany: (batch: readonly unknown[]) => {
      rows += batch.length;
    },
    range: () => [],
    rows: () => rows,
  };
  return stand as unknown as Storage;
}

function setup(name: string, tracing: NodeTracing | null, traced: boolean): Setup {
  const storage = memoryStorage();
  const box: Setup = {} as Setup;
  const s = testEngineState({
    storage,
    replicas: 0,
    // Two recipients' sessions: a traced message gets a deliver span for each.
    pushToMembers(_members, text, onSent) {
      box.delivered += text.length > 0 ? 2 : 0;
      onSent?.('alice');
      onSent?.('bob');
      return 2;
    },
    tracing,
  });
  const rec = { id: 'c1', members: ['alice', 'bob'], residency: null, home: 'eu/n1', epoch: 1, version: 1 };
  storage.upsertConversation(rec);
  const c = newConv(rec);
  s.convs.set('c1', c);
  becomeHome(s, c);
  Object.assign(box, { name, s, c, traceparent: traced ? TRACEPARENT : undefined, delivered: 0, ms: [] });
  return box;
}

// A full collection before each round, so one set-up's garbage is not collected in another's time.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function round(x: Setup, r: number): Promise<void> {
  collectGarbage();
  const started = performance.now();
  for (let sent = 0; sent < MESSAGES_PER_ROUND; sent += CONCURRENCY) {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      const item: ForwardItem = {
        conv: 'c1',
        from: 'alice',
        cmid: `r${r}-${sent + i}`,
        body: 'a short message body',
      };
      if (x.traceparent !== undefined) item.traceparent = x.traceparent;
      batch.push(sequenceLocal(x.s, x.c, item));
    }
    await Promise.all(batch);
  }
  x.ms.push(performance.now() - started);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dropAll: SpanExporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropAll)] });
const on = createNodeTracing(api, provider.getTracer('chatquake'), () => provider.shutdown());
const setups = [
  setup('tracing off', null, false),
  setup('off, frames traced', null, true),
  setup('tracing on', on, true),
];
try {
  // Warm-up rounds, not counted, then interleaved rounds in a rotating order so that drift and
  // the garbage one set-up leaves behind hit all alike.
  for (let r = 0; r < 2; r++) for (const x of setups) await round(x, -1 - r);
  for (const x of setups) x.ms.length = 0;
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < setups.length; i++) await round(setups[(r + i) % setups.length]!, r);
  }
  const base = median(setups[0]!.ms);
  const ratio = (x: Setup): number => median(x.ms) / base;
  const pushed = setups.every((x) => x.delivered === 2 * MESSAGES_PER_ROUND * (ROUNDS + 2));
  finish(
    {
      name: 'tracing',
      rows: setups.map((x) => ({
        'set-up': x.name,
        'ms per round': median(x.ms),
        'msgs/s': MESSAGES_PER_ROUND / (median(x.ms) / 1000),
        'time / tracing off': ratio(x),
      })),
      goals: [goal('traced frames, tracing off: time / tracing off', ratio(setups[1]!), '<=', 1.1)],
      notes: [
        `${ROUNDS} interleaved rounds of ${MESSAGES_PER_ROUND} sends (${CONCURRENCY} per group commit), medians; storage and sessions are stand-ins`,
      ],
      ...(pushed ? {} : { failure: 'a set-up did not deliver every message' }),
    },
    args,
  );
} finally {
  await on.shutdown();
}
