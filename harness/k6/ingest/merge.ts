// Many k6 instances' outputs into one history. Each output is one clock domain (one machine's
// clock). Every instance writes the run's static facts (run_start, its users, its
// conversations) and its own load_start and load_stop: those are kept once (they must agree,
// else the outputs are not of one run) with load_start the earliest and load_stop the latest.
// Everything else is merged in time order.
//
// Two passes over each file, neither holding it whole: the first validates, gathers the static
// facts, counts and the sends (for the clock check), and measures how far out of time order
// the file is (k6 flushes samples in batches); the second streams every file through a reorder
// buffer that wide and merges the streams by time.
import type { EventOf, HistoryEvent } from '../../../contracts/history.ts';
import { ScenarioError } from '../../scenario/scenario.ts';
import type { K6Plan } from '../plan.ts';
import type { K6FileState } from './k6-json.ts';
import { k6Batches } from './k6-json.ts';

/** One k6 output file. */
export interface Domain {
  /** The path as given on the command line. */
  file: string;
  /** History events it holds (static facts included). */
  events: number;
  firstT: number | null;
  lastT: number | null;
  /** How far back in time an event came after a later one, ms (the reorder buffer's width). */
  disorderMs: number;
  state: K6FileState;
}

/** What the first pass found in all the files. */
export interface Scan {
  domains: Domain[];
  /** run_start, users, conversations, load_start (earliest), load_stop (latest), in time order. */
  header: HistoryEvent[];
  /** send key → [domain index, t], for the cross-domain clock check. */
  sends: Map<string, [number, number]>;
  figures: LoadFigures;
}

/** The load generator's figures, from the events themselves (run.json's `load`). */
export interface LoadFigures {
  sent: number;
  acked: number;
  delivered: number;
  failed: number;
  indeterminate: number;
  /** Send lag (t − intendedAt) of every send, ms. */
  lags: number[];
}

export const sendKey = (user: string, conv: string, cmid: string): string =>
  `${user}\u0000${conv}\u0000${cmid}`;

/** Events kept once across instances; run_end is written once by ingest itself. */
const STATIC = new Set(['run_start', 'user', 'conversation', 'run_end']);
const isStatic = (e: HistoryEvent): boolean =>
  STATIC.has(e.type) || (e.type === 'phase' && (e.name === 'load_start' || e.name === 'load_stop'));

const sorted = (xs: readonly string[] | undefined): string =>
  xs === undefined ? '-' : [...xs].sort().join(',');

interface Kept<T> {
  event: T;
  file: string;
}

/** The facts every instance writes, kept once; a disagreement is an error naming both files. */
function createStaticFacts(plan: K6Plan) {
  let runStart: Kept<EventOf<'run_start'>> | undefined;
  const users = new Map<string, Kept<EventOf<'user'>>>();
  const convs = new Map<string, Kept<EventOf<'conversation'>>>();
  let loadStart: EventOf<'phase'> | undefined;
  let loadStop: EventOf<'phase'> | undefined;
  const conflict = (what: string, a: string, b: string, detail: string): never => {
    throw new ScenarioError(
      `${a} and ${b} disagree on ${what} (${detail}): they are not outputs of one run of one script`,
    );
  };
  const convFacts = (c: EventOf<'conversation'>) =>
    `members ${sorted(c.members)}, residency ${sorted(c.residency)}`;
  return {
    add(e: HistoryEvent, file: string): void {
      if (e.type === 'run_start') {
        checkRunStart(e, plan, file);
        if (runStart === undefined) runStart = { event: e, file };
        else if (runStartFacts(runStart.event) !== runStartFacts(e))
          conflict(
            'run_start',
            runStart.file,
            file,
            `${runStartFacts(runStart.event)} vs ${runStartFacts(e)}`,
          );
        else if (e.t < runStart.event.t) runStart.event = e;
      } else if (e.type === 'user') {
        const seen = users.get(e.user);
        if (seen === undefined) users.set(e.user, { event: e, file });
        else if (seen.event.region !== e.region)
          conflict(`user ${e.user}`, seen.file, file, `region ${seen.event.region} vs ${e.region}`);
        else if (e.t < seen.event.t) seen.event = e;
      } else if (e.type === 'conversation') {
        const seen = convs.get(e.conv);
        if (seen === undefined) convs.set(e.conv, { event: e, file });
        else if (convFacts(seen.event) !== convFacts(e))
          conflict(`conversation ${e.conv}`, seen.file, file, `${convFacts(seen.event)} vs ${convFacts(e)}`);
        else if (e.t < seen.event.t) seen.event = e;
      } else if (e.type === 'phase') {
        if (e.name === 'load_start' && (loadStart === undefined || e.t < loadStart.t)) loadStart = e;
        if (e.name === 'load_stop' && (loadStop === undefined || e.t > loadStop.t)) loadStop = e;
      }
    },
    /** run_start first, then the rest in time order; throws when no file had a run_start. */
    header(files: readonly string[]): HistoryEvent[] {
      if (runStart === undefined)
        throw new ScenarioError(
          `no run_start in ${files.join(', ')}: these are not k6 outputs of a \`chatquake k6\` script (or k6 ran without --out json)`,
        );
      const rest: HistoryEvent[] = [
        ...[...users.values()].map((k) => k.event),
        ...[...convs.values()].map((k) => k.event),
        ...(loadStart ? [loadStart] : []),
        ...(loadStop ? [loadStop] : []),
      ].sort((a, b) => a.t - b.t);
      return [runStart.event, ...rest];
    },
  };
}

/** Counts what the load did, and notes each send's domain and time for the clock check. */
function countLoad(
  figures: LoadFigures,
  sends: Map<string, [number, number]>,
  e: HistoryEvent,
  domain: number,
): void {
  if (e.type === 'send') {
    figures.sent++;
    figures.lags.push(e.t - e.intendedAt);
    sends.set(sendKey(e.user, e.conv, e.cmid), [domain, e.t]);
  } else if (e.type === 'ack') figures.acked++;
  else if (e.type === 'deliver') figures.delivered++;
  else if (e.type === 'send_failed') figures.failed++;
  else if (e.type === 'send_indeterminate') figures.indeterminate++;
}

/** The first pass: every file read through once. Throws ScenarioError naming both files of a conflict. */
export async function scanOutputs(files: readonly string[], plan: K6Plan): Promise<Scan> {
  const figures: LoadFigures = { sent: 0, acked: 0, delivered: 0, failed: 0, indeterminate: 0, lags: [] };
  const sends = new Map<string, [number, number]>();
  const facts = createStaticFacts(plan);
  const domains: Domain[] = [];
  for (const [index, file] of files.entries()) {
    const state = { bad: [], badLines: new Set<number>(), truncated: false };
    const domain: Domain = { file, events: 0, firstT: null, lastT: null, disorderMs: 0, state };
    let maxT = Number.NEGATIVE_INFINITY;
    for await (const batch of k6Batches(file, file, state)) {
      for (const e of batch) {
        domain.events++;
        domain.firstT = Math.min(domain.firstT ?? e.t, e.t);
        domain.lastT = Math.max(domain.lastT ?? e.t, e.t);
        if (e.t < maxT) domain.disorderMs = Math.max(domain.disorderMs, maxT - e.t);
        maxT = Math.max(maxT, e.t);
        if (isStatic(e)) facts.add(e, file);
        else countLoad(figures, sends, e, index);
      }
    }
    domains.push(domain);
  }
  return { domains, header: facts.header(files), sends, figures };
}

function runStartFacts(e: EventOf<'run_start'>): string {
  return `runId ${e.runId}, scenario ${e.scenario}, seed ${e.seed}, regions ${e.regions.join(',')}, ackLevel ${e.ackLevel ?? '-'}`;
}

function checkRunStart(e: EventOf<'run_start'>, plan: K6Plan, file: string): void {
  if (e.runId !== plan.runId || e.seed !== plan.seed)
    throw new ScenarioError(
      `${file}: run_start has runId ${e.runId} and seed ${e.seed}, the script's plan ${plan.runId} and ${plan.seed}: the outputs are not of this script`,
    );
}

/** A min-heap of events by time, ties in arrival order. */
function createHeap() {
  const items: { e: HistoryEvent; n: number }[] = [];
  let counter = 0;
  const less = (i: number, j: number): boolean => {
    const a = items[i] as { e: HistoryEvent; n: number };
    const b = items[j] as { e: HistoryEvent; n: number };
    return a.e.t < b.e.t || (a.e.t === b.e.t && a.n < b.n);
  };
  const swap = (i: number, j: number): void => {
    [items[i], items[j]] = [items[j] as (typeof items)[number], items[i] as (typeof items)[number]];
  };
  return {
    get size() {
      return items.length;
    },
    peek: (): HistoryEvent | undefined => items[0]?.e,
    push(e: HistoryEvent): void {
      items.push({ e, n: counter++ });
      for (let i = items.length - 1; i > 0 && less(i, (i - 1) >> 1); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
    },
    pop(): HistoryEvent | undefined {
      const top = items[0];
      const last = items.pop();
      if (top === undefined || last === undefined || items.length === 0) return top?.e;
      items[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && less(l, m)) m = l;
        if (r < items.length && less(r, m)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
      return top.e;
    },
  };
}

/** One file's non-static events in time order, in batches, through a reorder buffer `disorderMs` wide. */
async function* inTimeOrder(domain: Domain): AsyncGenerator<HistoryEvent[]> {
  const heap = createHeap();
  let maxT = Number.NEGATIVE_INFINITY;
  for await (const batch of k6Batches(
    domain.file,
    domain.file,
    { bad: [], badLines: new Set(), truncated: false },
    domain.state.badLines,
  )) {
    const out: HistoryEvent[] = [];
    for (const e of batch) {
      if (isStatic(e)) continue;
      heap.push(e);
      maxT = Math.max(maxT, e.t);
      while ((heap.peek()?.t ?? Number.POSITIVE_INFINITY) < maxT - domain.disorderMs)
        out.push(heap.pop() as HistoryEvent);
    }
    if (out.length > 0) yield out;
  }
  const rest: HistoryEvent[] = [];
  while (heap.size > 0) rest.push(heap.pop() as HistoryEvent);
  if (rest.length > 0) yield rest;
}

/** A stream of time-ordered batches, read one event at a time; awaits only for its next batch. */
interface Cursor {
  batch: HistoryEvent[];
  at: number;
  source: AsyncIterator<HistoryEvent[]>;
  done: boolean;
}

async function advance(cursor: Cursor): Promise<void> {
  cursor.at++;
  while (cursor.at >= cursor.batch.length && !cursor.done) {
    const next = await cursor.source.next();
    if (next.done) cursor.done = true;
    else {
      cursor.batch = next.value;
      cursor.at = 0;
    }
  }
}

/**
 * The merged history, each event handed to `emit` with the index of the domain it came from
 * (-1 for the static facts and `extra`): run_start first, then every stream merged by time
 * (ties: the static facts and fault events first, then the instances in order).
 */
export async function mergeHistory(
  scan: Scan,
  extra: readonly HistoryEvent[],
  emit: (event: HistoryEvent, domain: number) => void,
): Promise<void> {
  const [runStart, ...header] = scan.header;
  if (runStart !== undefined) emit(runStart, -1);
  const fixed = [...header, ...extra].sort((a, b) => a.t - b.t);
  const sources: AsyncIterator<HistoryEvent[]>[] = [
    (async function* () {
      yield fixed;
    })(),
    ...scan.domains.map((d) => inTimeOrder(d)),
  ];
  const cursors: Cursor[] = sources.map((source) => ({ batch: [], at: -1, source, done: false }));
  await Promise.all(cursors.map(advance));
  for (;;) {
    let best: Cursor | undefined;
    let bestIndex = -1;
    cursors.forEach((c, i) => {
      if (c.at >= c.batch.length) return;
      const t = (c.batch[c.at] as HistoryEvent).t;
      if (best === undefined || t < (best.batch[best.at] as HistoryEvent).t) {
        best = c;
        bestIndex = i;
      }
    });
    const chosen = best as Cursor | undefined;
    if (chosen === undefined) return;
    emit(chosen.batch[chosen.at] as HistoryEvent, bestIndex - 1);
    await advance(chosen);
  }
}
