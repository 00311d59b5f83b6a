// Duplicates: a session receiving one message twice (a reset excuses redelivery of what it
// dropped), and one region's final log holding one message at two seqs or two messages at
// one seq. Disagreement *between* regions, acks and deliveries is divergence (order.ts).

import type { HistoryEvent } from '../contracts/history.ts';
import { list, messageName, when } from './explain.ts';
import { addCount, type MetricStore } from './metrics.ts';
import { type FinalRead, type RunModel, relSeconds } from './model.ts';
import { type Checker, type CheckOptions, createExampleList, type Example } from './result.ts';
import { runChecker } from './run-checker.ts';

export interface DuplicatesResult {
  /** sessionDuplicates + logDuplicates + logSeqCollisions. */
  duplicates: number;
  /** Deliveries of a message to a session that already had it (and no reset dropped it). */
  sessionDuplicates: number;
  /** A final log holding one message at two (or more) seqs: one per extra copy. */
  logDuplicates: number;
  /** A final log holding two messages at one seq: one per extra message. */
  logSeqCollisions: number;
  examples: Example[];
}

export function createDuplicatesChecker(options: CheckOptions): Checker<DuplicatesResult> {
  const sessionExamples = createExampleList(options.maxExamples);
  const sessionByRegion = new Map<string, number>();
  let sessionDuplicates = 0;

  return {
    name: 'duplicates',
    add(e: HistoryEvent, model: RunModel) {
      // Stryker disable next-line ConditionalExpression: observe() leaves currentRepeatOf NaN for every other event type, so the next line returns for them anyway
      if (e.type !== 'deliver') return;
      if (Number.isNaN(model.currentRepeatOf)) return;
      const m = model.current!;
      sessionDuplicates++;
      // observe() has made the delivery's session before any checker sees the delivery.
      const region = e.region ?? model.sessions.get(e.session)!.region;
      sessionByRegion.set(region ?? '', (sessionByRegion.get(region ?? '') ?? 0) + 1);
      // Stryker disable next-line ConditionalExpression: add() drops an example past the cap anyway; this only skips building its sentence
      if (sessionExamples.wanted) {
        sessionExamples.add({
          check: 'duplicates',
          message: `Session ${e.session} of ${e.user} received ${messageName(m)} twice: again at seq ${e.seq}${model.currentRepeatOf === e.seq ? '' : ` (first at seq ${model.currentRepeatOf})`} by ${e.via} ${when(model, e.t)}.`,
          conv: e.conv,
          cmid: e.cmid,
          from: e.from,
          user: e.user,
          ...(region !== undefined ? { region } : {}),
          t: relSeconds(model, e.t),
        });
      }
    },
    finish(model: RunModel, metrics: MetricStore): DuplicatesResult {
      // Local copies: finish() leaves the checker's state alone, so a run can be judged again.
      const examples = createExampleList(options.maxExamples);
      for (const ex of sessionExamples.items) examples.add(ex);
      const byRegion = new Map(sessionByRegion);
      // One per extra copy, as the result counts them, so a threshold sees what the report shows.
      const bump = (region: string, extra: number): void => {
        byRegion.set(region, (byRegion.get(region) ?? 0) + extra);
      };
      let logDuplicates = 0;
      let logSeqCollisions = 0;
      for (const [conv, reads] of model.finalReads) {
        for (const read of reads.values()) {
          if (!read.ok) continue;
          const found = logRepeats(read);
          if (found === undefined) continue;
          for (const [key, seqs] of found.seqsOf) {
            if (seqs.length < 2) continue;
            logDuplicates += seqs.length - 1;
            bump(read.region, seqs.length - 1);
            const { from, cmid } = keyName(model, key);
            examples.add({
              check: 'duplicates',
              message: `The final log of ${conv} in ${read.region} holds ${messageName({ conv, from, cmid })} ${seqs.length} times, at seqs ${list(seqs.map(String), 5)}.`,
              conv,
              cmid,
              from,
              region: read.region,
              t: relSeconds(model, read.t),
            });
          }
          for (const [seq, keys] of found.atSeq) {
            const distinct = [...new Set(keys)];
            if (distinct.length < 2) continue;
            logSeqCollisions += distinct.length - 1;
            bump(read.region, distinct.length - 1);
            const names = distinct.map((k) => {
              const { from, cmid } = keyName(model, k);
              return `${cmid} from ${from}`;
            });
            examples.add({
              check: 'duplicates',
              message: `The final log of ${conv} in ${read.region} holds ${distinct.length} messages at seq ${seq}: ${list(names)}.`,
              conv,
              region: read.region,
              t: relSeconds(model, read.t),
            });
          }
        }
      }
      for (const [region, n] of byRegion) addCount(metrics, 'duplicates', n, region === '' ? {} : { region });
      return {
        duplicates: sessionDuplicates + logDuplicates + logSeqCollisions,
        sessionDuplicates,
        logDuplicates,
        logSeqCollisions,
        examples: examples.items,
      };
    },
  };
}

/**
 * A log entry's message: its record's id when an event named it (one record per conversation,
 * sender and cmid, so equal ids are equal entries), else "from\0cmid" for a stranger.
 */
type EntryKey = number | string;

function keyName(model: RunModel, key: EntryKey): { from: string; cmid: string } {
  if (typeof key === 'number') return model.messages[key]!;
  const [from, cmid] = key.split('\u0000') as [string, string];
  return { from, cmid };
}

/**
 * Each message's seqs and each seq's messages in one final log, in first-seen order, or
 * undefined when no message repeats and no seq repeats: a clean log (the usual case) costs one
 * pass over packed seqs and ids, no map of arrays.
 */
function logRepeats(
  read: FinalRead,
): { seqsOf: Map<EntryKey, number[]>; atSeq: Map<number, EntryKey[]> } | undefined {
  const keys: EntryKey[] = read.messages.map(
    (entry, k) => read.records[k]?.id ?? `${entry.from}\u0000${entry.cmid}`,
  );
  const seenKeys = new Set<EntryKey>(keys);
  const seenSeqs = new Set<number>();
  for (const entry of read.messages) seenSeqs.add(entry.seq);
  if (seenKeys.size === keys.length && seenSeqs.size === keys.length) return undefined;
  const seqsOf = new Map<EntryKey, number[]>();
  const atSeq = new Map<number, EntryKey[]>();
  read.messages.forEach((entry, k) => {
    const key = keys[k] as EntryKey;
    const seqs = seqsOf.get(key);
    if (seqs === undefined) seqsOf.set(key, [entry.seq]);
    else seqs.push(entry.seq);
    const at = atSeq.get(entry.seq);
    if (at === undefined) atSeq.set(entry.seq, [key]);
    else at.push(key);
  });
  return { seqsOf, atSeq };
}

/** Duplicate deliveries and duplicate log entries over a whole history. */
export function checkDuplicates(
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): DuplicatesResult {
  return runChecker(createDuplicatesChecker, events, options);
}
