// Valid histories of a correct system in the shape property tests and the benchmark ask for: a
// number of messages at a mean gap, optionally one region down (its users fail over and catch up
// by sync) for the middle half of the load. A thin wrapper over the one generator (history.ts),
// with no bug knob set: every member but the sender gets every stored message once and in seq
// order, regions agree after the heal and every final log is complete.
import type { HistoryEvent } from '../../contracts/history.ts';
import { createRandom } from '../../lib/random.ts';
import {
  generateHistory,
  HISTORY_DEFAULTS,
  type HistoryOptions,
  LOAD_START_MS,
  SETTLE_MS,
  withDefaults,
} from './history.ts';

export { T0 } from './history.ts';

/** The shape of the history; defaults as in history.ts except where said. */
export interface SyntheticOptions
  extends Pick<HistoryOptions, 'seed' | 'regions' | 'users' | 'conversations' | 'members' | 'messages'> {
  /** Mean gap between intended sends, ms. Default 50. */
  gapMs?: number;
  /** Take one region down (users there fail over) for part of the load. Default false. */
  outage?: boolean;
  /** Share of conversations bound to a subset of regions. Default 0.25. */
  residencyShare?: number;
  /** Share of sends that fail outright / end indeterminate (half of those stored anyway). Default 0.03 each. */
  failShare?: number;
  indeterminateShare?: number;
}

const SYNTHETIC_DEFAULTS: Required<Omit<SyntheticOptions, 'seed' | 'users' | 'conversations' | 'members'>> = {
  regions: HISTORY_DEFAULTS.regions,
  messages: HISTORY_DEFAULTS.messages,
  gapMs: 50,
  outage: false,
  residencyShare: 0.25,
  failShare: 0.03,
  indeterminateShare: 0.03,
};

/** The outage's window, in ms from the run's start: the middle half of the load, long enough to fail over and settle. */
function outageWindow(loadMs: number): { start: number; stop: number } {
  const start = LOAD_START_MS + loadMs * 0.25;
  return { start, stop: Math.max(LOAD_START_MS + loadMs * 0.75, start + 4000) };
}

export function syntheticHistory(options: SyntheticOptions): HistoryEvent[] {
  const o = withDefaults(SYNTHETIC_DEFAULTS, options);
  const loadMs = o.messages * o.gapMs;
  const outage = o.outage ? outageWindow(loadMs) : undefined;
  const durationMs = Math.max(LOAD_START_MS + loadMs, outage?.stop ?? 0) + SETTLE_MS;
  const region = createRandom(options.seed).fork('outage').pick(o.regions);
  const faults =
    outage === undefined
      ? []
      : [
          {
            kind: 'regionOutage',
            effect: 'outage' as const,
            target: region,
            regions: [region],
            at: outage.start / durationMs,
            until: outage.stop / durationMs,
          },
        ];
  return generateHistory({
    seed: options.seed,
    users: options.users,
    conversations: options.conversations,
    members: options.members,
    regions: o.regions,
    messages: o.messages,
    residencyShare: o.residencyShare,
    failShare: o.failShare,
    indeterminateShare: o.indeterminateShare,
    loadMs,
    durationMs,
    faults,
  }).events;
}
