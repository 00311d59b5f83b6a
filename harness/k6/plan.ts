// What a generated k6 script carries and what `chatquake ingest k6` reads back from it: the run's
// plan as data (users with their endpoints in failover order and their tokens, conversations, each
// user's sends at their intended times, the scenario's thresholds), embedded in the script between
// two markers so that the script alone says what was run. And how the script reports the history:
// every history event (contracts/history.ts) is one sample of the counter HISTORY_METRIC, the
// event's JSON in the tag HISTORY_TAG, so that k6's own JSON output (`--out json=FILE`) holds the
// whole history, in the clock of the machine that ran it.
import type { ThresholdsSpec } from '../scenario/scenario.ts';

/** The counter every history event is a sample of (value 1). */
export const HISTORY_METRIC = 'im_history';
/** The tag holding the event's JSON. */
export const HISTORY_TAG = 'e';
/** The plan sits between these two lines of the script, as one JSON object. */
export const PLAN_BEGIN = '/* chatquake-plan:begin */';
export const PLAN_END = '/* chatquake-plan:end */';

export interface K6PlanUser {
  id: string;
  /** The user's home region. */
  region: string;
  /** Its conversations, to sync after every (re)connect. */
  convs: string[];
  /** Where it connects, home region first, then the SDK's failover order. */
  endpoints: string[];
  /** A signed client token, valid for the whole run. */
  token: string;
}

export interface K6Plan {
  version: 1;
  /** A fresh id per generated script: the run id ingest writes. */
  runId: string;
  scenario: string;
  seed: number;
  target: string;
  regions: string[];
  /** What an ack promises (run_start's ackLevel). */
  ackLevel: string;
  /** Load length from load start, ms. */
  durationMs: number;
  /** Connections are spread over this long before load start, ms. */
  connectRampMs: number;
  /** After load stops, outstanding sends get this long for an answer, ms. */
  drainMs: number;
  bodyBytes: number;
  /** One VU per user, in VU order (VU idInTest n is users[n - 1]). */
  users: K6PlanUser[];
  conversations: { id: string; members: string[]; residency?: string[] }[];
  /** user id → its sends in time order: [ms from load start, conv, cmid]. */
  sends: Record<string, [number, string, string][]>;
  /** The scenario's thresholds (chatquake's form, merged with the defaults), judged by ingest. */
  thresholds: ThresholdsSpec;
}

/** The plan embedded in a script's text; undefined when the markers are missing. */
export function planOfScript(script: string): unknown {
  const begin = script.indexOf(PLAN_BEGIN);
  const end = script.indexOf(PLAN_END, begin + 1);
  if (begin < 0 || end < 0) return undefined;
  const text = script
    .slice(begin + PLAN_BEGIN.length, end)
    .trim()
    .replace(/^const PLAN = /, '')
    .replace(/;$/, '');
  return JSON.parse(text);
}
