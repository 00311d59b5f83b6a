// How fast the history recorder appends, against the floor set by the disk in the same run: the
// same lines, preformatted, written with fs.writeSync in batches of the same size. The recorder
// must keep 100k events/s on one core (issue 4); the ratio shows what JSON.stringify and
// buffering cost on top of the raw writes. Bounded: a fixed number of events, a few rounds.
//
//   npx tsx bench/history.ts [--events N] [--rounds N] [--quick] [--strict]
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { HistoryEvent } from '../contracts/history.ts';
import { readHistorySync } from '../load/reader.ts';
import { createRecorder } from '../load/recorder.ts';
import { benchArgs, finish, goal } from './support/bench.ts';

const TARGET_EVENTS_PER_SEC = 100_000;
const BATCH = 8192;

const Flags = z.object({
  events: z.coerce.number().int().min(1000).max(5_000_000).default(400_000),
  rounds: z.coerce.number().int().min(1).max(10).default(3),
});

/** A run's typical mix: per message one send, one ack and about two deliveries. */
function makeEvents(n: number): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const base = Date.now();
  for (let i = 0; events.length < n; i++) {
    const user = `u${(i * 7919) % 5000}`;
    const cmid = `${user}-${i}`;
    const conv = `grp${i % 500}`;
    const t = base + i * 0.3;
    events.push({ type: 'send', t, intendedAt: t - 0.4, user, conv, cmid, region: 'eu' });
    events.push({
      type: 'ack',
      t: t + 3.1,
      user,
      conv,
      cmid,
      seq: i + 1,
      epoch: 3,
      level: 'replicated',
      region: 'eu',
    });
    for (const r of [1, 2]) {
      events.push({
        type: 'deliver',
        t: t + 5 + r,
        user: `u${(i + r) % 5000}`,
        session: `u${(i + r) % 5000}#1`,
        conv,
        cmid,
        from: user,
        seq: i + 1,
        via: 'push',
        region: 'us',
      });
    }
  }
  return events.slice(0, n);
}

function baseline(path: string, lines: string[]): number {
  const fd = openSync(path, 'w');
  const started = performance.now();
  for (let i = 0; i < lines.length; i += BATCH) writeSync(fd, lines.slice(i, i + BATCH).join(''));
  const elapsed = performance.now() - started;
  closeSync(fd);
  return elapsed;
}

async function recorded(path: string, events: HistoryEvent[]): Promise<number> {
  rmSync(path, { force: true });
  const recorder = createRecorder(path, { maxBufferedEvents: BATCH });
  const started = performance.now();
  for (const e of events) recorder.append(e);
  recorder.flush();
  const elapsed = performance.now() - started;
  await recorder.close();
  return elapsed;
}

async function main(): Promise<number> {
  const args = benchArgs();
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      rounds: { type: 'string' },
      quick: { type: 'boolean' },
      strict: { type: 'boolean' },
    },
  });
  const sized = args.quick ? { events: '20000', rounds: '1', ...values } : values;
  const parsed = Flags.safeParse(sized);
  if (!parsed.success) {
    process.stderr.write(
      `bench/history: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n`,
    );
    return 2;
  }
  const { events: n, rounds } = parsed.data;
  const dir = mkdtempSync(join(tmpdir(), 'chatquake-bench-history-'));
  try {
    const events = makeEvents(n);
    const lines = events.map((e) => `${JSON.stringify(e)}\n`);
    const basePath = join(dir, 'baseline.jsonl');
    const recPath = join(dir, 'recorded.jsonl');
    let bestBase = Number.POSITIVE_INFINITY;
    let bestRec = Number.POSITIVE_INFINITY;
    for (let r = 0; r < rounds; r++) {
      bestBase = Math.min(bestBase, baseline(basePath, lines));
      bestRec = Math.min(bestRec, await recorded(recPath, events));
    }
    if (statSync(recPath).size !== statSync(basePath).size) throw new Error('recorder wrote different bytes');
    const readStarted = performance.now();
    const read = readHistorySync(recPath);
    const readMs = performance.now() - readStarted;
    if (read.events.length !== n) throw new Error(`read back ${read.events.length} of ${n} events`);

    const basePerSec = n / (bestBase / 1000);
    const recPerSec = n / (bestRec / 1000);
    const bytes = statSync(recPath).size;
    finish(
      {
        name: 'history',
        rows: [
          { case: 'baseline: fs.writeSync of preformatted lines', 'events/s': basePerSec, ratio: 1 },
          {
            case: 'recorder append (stringify + buffer + write)',
            'events/s': recPerSec,
            ratio: recPerSec / basePerSec,
          },
          {
            case: 'reader: readHistorySync',
            'events/s': n / (readMs / 1000),
            ratio: n / (readMs / 1000) / basePerSec,
          },
        ],
        goals: [
          goal('recorder append rate on one core', recPerSec, '>=', TARGET_EVENTS_PER_SEC, ' events/s'),
        ],
        notes: [
          `${n} events of ${(bytes / n).toFixed(0)} bytes, best of ${rounds} rounds, ${BATCH} events per write`,
        ],
      },
      args,
    );
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
