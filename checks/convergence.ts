// Convergence after heal: per conversation, the time from the heal until every region allowed
// to hold it reports the same digest (count, last seq, hash) and keeps doing so to the end.
// The heal is the last `healed` phase mark, else the end of the last fault, else load_stop.
// A conversation whose allowed regions still disagree at the end — by digest, or by their
// final logs, which are the last word — never converged, and fails.

import type { HistoryEvent } from '../contracts/history.ts';
import { createHistogram, percentile, record } from '../lib/histogram.ts';
import { at, list, plural } from './explain.ts';
import { addCensored, addCount, addTrendHistogram, type MetricStore } from './metrics.ts';
import { allowedRegions, type FinalRead, type RunModel, relSeconds } from './model.ts';
import {
  type Checker,
  type CheckOptions,
  createExampleList,
  type Example,
  type Percentiles,
} from './result.ts';
import { runChecker } from './run-checker.ts';

export interface ConvergenceResult {
  /** Conversations judged: converged + unconverged. */
  judged: number;
  converged: number;
  unconverged: number;
  /** Conversations with neither digests nor final reads from every allowed region. */
  unjudged: number;
  /** Seconds since run start of the heal convergence is measured from; null when unknown. */
  healAt: number | null;
  /** Heal → agreement, over conversations whose agreement time is known. */
  seconds: Percentiles;
  /** Heal → the last conversation's agreement: how long until everything agreed; null if never or unknown. */
  allConvergedSeconds: number | null;
  notes: string[];
  examples: Example[];
}

interface Digest {
  count: number;
  lastSeq: number;
  hash: string;
  t: number;
}

interface ConvState {
  digests: Map<string, Digest>;
  /** Start of the current stretch during which all allowed regions agree; NaN while they do not. */
  agreeSince: number;
  lastPoll: number;
}

/** When convergence is measured from. */
export function healTime(model: RunModel): number {
  let healed = Number.NaN;
  for (const p of model.phases) if (p.name === 'healed') healed = p.t;
  if (!Number.isNaN(healed)) return healed;
  let lastFaultEnd = Number.NEGATIVE_INFINITY;
  for (const f of model.faults) if (!Number.isNaN(f.end)) lastFaultEnd = Math.max(lastFaultEnd, f.end);
  if (lastFaultEnd !== Number.NEGATIVE_INFINITY) return lastFaultEnd;
  for (const p of model.phases) if (p.name === 'load_stop') return p.t;
  return Number.NaN;
}

function sameDigest(a: Digest, b: Digest): boolean {
  return a.hash === b.hash && a.count === b.count && a.lastSeq === b.lastSeq;
}

/** The log's entries in seq order (a final log usually is already: then no copy is made). */
function inSeqOrder(read: FinalRead): FinalRead['messages'] {
  const entries = read.messages;
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.seq < entries[i - 1]!.seq) return entries.slice().sort((a, b) => a.seq - b.seq);
  }
  return entries;
}

/** Every log holds the same (seq, sender, cmid) entries, compared in seq order, field by field. */
function logsAgree(reads: FinalRead[]): boolean {
  const first = inSeqOrder(reads[0]!);
  for (let r = 1; r < reads.length; r++) {
    const other = inSeqOrder(reads[r]!);
    if (other.length !== first.length) return false;
    for (let i = 0; i < first.length; i++) {
      const a = first[i]!;
      const b = other[i]!;
      if (a.seq !== b.seq || a.from !== b.from || a.cmid !== b.cmid) return false;
    }
  }
  return true;
}

function describeLog(read: FinalRead): string {
  const last = read.messages.reduce((max, m) => Math.max(max, m.seq), 0);
  return `${read.region} holds ${plural(read.messages.length, 'message')} (last seq ${last})`;
}

export function createConvergenceChecker(options: CheckOptions): Checker<ConvergenceResult> {
  const convs = new Map<string, ConvState>();

  return {
    name: 'convergence',
    add(e: HistoryEvent, model: RunModel) {
      if (e.type !== 'digest') return;
      const allowed = allowedRegions(model, e.conv);
      if (!allowed.includes(e.region)) return;
      let state = convs.get(e.conv);
      if (state === undefined) {
        state = { digests: new Map(), agreeSince: Number.NaN, lastPoll: e.t };
        convs.set(e.conv, state);
      }
      state.digests.set(e.region, { count: e.count, lastSeq: e.lastSeq, hash: e.hash, t: e.t });
      state.lastPoll = e.t;
      // Every allowed region has answered, with the same digest as the first. When the first has
      // not answered, its own turn returns false before `first` is used.
      const digests = state.digests;
      const first = digests.get(allowed[0] as string);
      const agree = allowed.every((region) => {
        const d = digests.get(region);
        return d !== undefined && sameDigest(first!, d);
      });
      if (!agree) state.agreeSince = Number.NaN;
      else if (Number.isNaN(state.agreeSince)) state.agreeSince = e.t;
    },
    finish(model: RunModel, metrics: MetricStore): ConvergenceResult {
      const heal = healTime(model);
      const examples = createExampleList(options.maxExamples);
      const notes: string[] = [];
      const hist = createHistogram();
      let converged = 0;
      let unconverged = 0;
      let unjudged = 0;
      let latest = Number.NEGATIVE_INFINITY;
      let timeUnknown = 0;

      const names = new Set<string>([
        ...model.conversations.keys(),
        ...convs.keys(),
        ...model.finalReads.keys(),
      ]);
      for (const conv of names) {
        const allowed = allowedRegions(model, conv);
        const state = convs.get(conv);
        const reads = model.finalReads.get(conv);
        const okReads = allowed.map((r) => reads?.get(r)).filter((r): r is FinalRead => r?.ok === true);
        const allRead = allowed.length > 0 && okReads.length === allowed.length;
        const logsAgreed = allRead && logsAgree(okReads);

        if (state === undefined && !allRead) {
          unjudged++;
          continue;
        }
        const digestsAgree = state !== undefined && !Number.isNaN(state.agreeSince);
        if ((state === undefined || digestsAgree) && (!allRead || logsAgreed)) {
          converged++;
          if (digestsAgree && !Number.isNaN(heal)) {
            const seconds = Math.max(0, state!.agreeSince - heal) / 1000;
            record(hist, seconds);
            latest = Math.max(latest, seconds);
          } else {
            timeUnknown++;
          }
          continue;
        }
        unconverged++;
        // Stryker disable next-line ConditionalExpression: add() drops an example past the cap anyway; this only skips building its sentence
        if (!examples.wanted) continue;
        const since = Number.isNaN(heal) ? '' : ` after the heal at ${at(model, heal)}`;
        let why: string;
        if (allRead && !logsAgreed) {
          why = `the final logs differ: ${list(okReads.map(describeLog), 4)}`;
        } else {
          const polled = allowed.map((region) => {
            const d = state!.digests.get(region);
            return d === undefined
              ? `${region} never answered`
              : `${region} held ${plural(d.count, 'message')} (last seq ${d.lastSeq}, hash ${d.hash.slice(0, 8)})`;
          });
          why = `at the last poll (${at(model, state!.lastPoll)}) ${list(polled, 4)}`;
        }
        examples.add({
          check: 'convergence',
          message: `Conversation ${conv} never converged${since}: ${why}.`,
          conv,
          ...(Number.isNaN(heal) ? {} : { t: relSeconds(model, heal) }),
        });
      }
      if (Number.isNaN(heal) && converged > 0) {
        notes.push('no heal, fault end or load_stop in the history: convergence times were not measured');
      } else if (timeUnknown > 0) {
        notes.push(
          `${plural(timeUnknown, 'conversation')} agreed only by final reads (no digests): convergence time unknown`,
        );
      }
      if (unjudged > 0) {
        notes.push(
          `${plural(unjudged, 'conversation')} had neither digests nor final reads from every allowed region`,
        );
      }

      addTrendHistogram(metrics, 'convergence_seconds', hist);
      addCensored(metrics, 'convergence_seconds', unconverged);
      addCount(metrics, 'unconverged_conversations', unconverged);
      const pct = (p: number): number | null => (hist.count === 0 ? null : percentile(hist, p));
      return {
        judged: converged + unconverged,
        converged,
        unconverged,
        unjudged,
        healAt: Number.isNaN(heal) ? null : relSeconds(model, heal),
        seconds: {
          count: hist.count,
          p50: pct(50),
          p90: pct(90),
          p99: pct(99),
          max: hist.count === 0 ? null : hist.max,
        },
        allConvergedSeconds: unconverged > 0 || hist.count === 0 ? null : latest,
        notes,
        examples: examples.items,
      };
    },
  };
}

/** Convergence after heal over a whole history. */
export function checkConvergence(
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): ConvergenceResult {
  return runChecker(createConvergenceChecker, events, options);
}
