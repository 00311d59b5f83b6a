// Residency: a conversation created with a residency set may be held only by those regions.
// Every copy of one of its messages in another region's final log is a violation; where a
// region was never read in full, its last digest's message count stands in for the log.

import type { HistoryEvent } from '../contracts/history.ts';
import { list } from './explain.ts';
import { addCount, type MetricStore } from './metrics.ts';
import { type RunModel, relSeconds } from './model.ts';
import { type Checker, type CheckOptions, createExampleList, type Example } from './result.ts';
import { runChecker } from './run-checker.ts';

export interface ResidencyResult {
  /** Message copies found outside their conversation's residency set. */
  residencyViolations: number;
  /** Distinct (conversation, region) pairs holding such copies. */
  offendingPairs: number;
  /** Residency-bound conversations checked. */
  boundConversations: number;
  examples: Example[];
}

export function createResidencyChecker(options: CheckOptions): Checker<ResidencyResult> {
  /**
   * Per bound conversation, per region outside its set: that region's latest digest (each digest
   * judged by the residency in force when it was taken).
   */
  const strayDigests = new Map<string, Map<string, { count: number; t: number }>>();

  return {
    name: 'residency',
    add(e: HistoryEvent, model: RunModel) {
      if (e.type !== 'digest') return;
      const residency = model.conversations.get(e.conv)?.residency;
      if (residency === undefined || residency.includes(e.region)) return;
      let byRegion = strayDigests.get(e.conv);
      if (byRegion === undefined) {
        byRegion = new Map();
        strayDigests.set(e.conv, byRegion);
      }
      byRegion.set(e.region, { count: e.count, t: e.t });
    },
    finish(model: RunModel, metrics: MetricStore): ResidencyResult {
      const examples = createExampleList(options.maxExamples);
      const byRegion = new Map<string, number>();
      let copies = 0;
      let pairs = 0;
      let bound = 0;
      for (const info of model.conversations.values()) {
        const residency = info.residency;
        if (residency === undefined) continue;
        bound++;
        const reads = model.finalReads.get(info.conv);
        const digests = strayDigests.get(info.conv);
        const regions = new Set<string>(reads?.keys());
        if (digests !== undefined) for (const region of digests.keys()) regions.add(region);
        for (const region of regions) {
          if (residency.includes(region)) continue;
          const read = reads?.get(region);
          const digest = digests?.get(region);
          let n: number;
          let detail: string;
          let t: number;
          if (read?.ok) {
            const first = read.messages[0];
            if (first === undefined) continue;
            n = read.messages.length;
            detail = ` (first: ${first.cmid} from ${first.from}, seq ${first.seq})`;
            t = read.t;
          } else if (digest !== undefined && digest.count > 0) {
            n = digest.count;
            detail = ' (by its digest; its final log was not read)';
            t = digest.t;
          } else {
            continue;
          }
          copies += n;
          pairs++;
          byRegion.set(region, (byRegion.get(region) ?? 0) + n);
          examples.add({
            check: 'residency',
            message: `Conversation ${info.conv} may live only in ${list(residency, 5)}, yet ${region} holds ${n} of its messages${detail}.`,
            conv: info.conv,
            region,
            t: relSeconds(model, t),
          });
        }
      }
      for (const [region, n] of byRegion) addCount(metrics, 'residency_violations', n, { region });
      return {
        residencyViolations: copies,
        offendingPairs: pairs,
        boundConversations: bound,
        examples: examples.items,
      };
    },
  };
}

/** Residency over a whole history. */
export function checkResidency(
  events: Iterable<HistoryEvent>,
  options: Partial<CheckOptions> = {},
): ResidencyResult {
  return runChecker(createResidencyChecker, events, options);
}
