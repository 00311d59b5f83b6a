// What the report draws that the checkers (checks/) do not compute, in one pass over a history:
// latency percentiles per second (by the second each message was meant to be sent), open
// connections and reconnects, fault windows and lanes, how long cut-off clients took to
// reconnect, a seeded sample of individual sends, and the region-to-region delivery matrix.
// Every number the checkers also produce (counts, failover, consistency, phase latencies) is
// taken from them instead, so the report cannot disagree with summary.json. It keeps
// per-message state only where a later event needs it, so a long run is streamed from disk.
// Pure: no I/O, no clock. This file routes each event to its handler; the parts and the
// state they share live in analyze/.
//
// Conventions, the same as the checkers': a region is where the session was connected (the
// event's region, else the session's, else the user's home); latencies are measured from
// `intendedAt`, so a stalled generator cannot hide a stall; a message is (conversation, sender,
// cmid); delivery latency counts the first delivery of a message to each user. The
// region-to-region matrix is different: it is by home region, so its rows and columns are fixed
// groups of users, and it counts only members other than the sender.
import type { HistoryEvent } from '../contracts/history.ts';
import { connDown, connUp, faultStart, faultStop } from './analyze/connections.ts';
import { finishAnalysis } from './analyze/finish.ts';
import { recordOutcome, recordSend } from './analyze/messages.ts';
import { type AnalyzerState, countConn, createAnalyzerState } from './analyze/state.ts';
import type { AnalyzeOptions, Analyzer, RunAnalysis } from './analyze/types.ts';

export { ALL } from './analyze/state.ts';
export { latencyStats, pct, sortedPercentile } from './analyze/stats.ts';
export type { AnalyzeOptions, Analyzer, ReconnectOutcome, RunAnalysis } from './analyze/types.ts';

/** Folds one event into the state: each kind goes to its handler in analyze/. */
function addEvent(state: AnalyzerState, event: HistoryEvent): void {
  if (state.t0 === undefined) state.t0 = event.t;
  if (event.t > state.lastT) state.lastT = event.t;
  switch (event.type) {
    case 'run_start':
      state.runStart = event;
      for (const r of event.regions) state.regionsSeen.add(r);
      break;
    case 'conversation':
      state.convMembers.set(event.conv, event.members);
      break;
    case 'user':
      state.userHome.set(event.user, event.region);
      state.regionsSeen.add(event.region);
      break;
    case 'send':
      recordSend(state, event);
      break;
    case 'ack':
    case 'send_failed':
    case 'send_indeterminate':
    case 'deliver':
      recordOutcome(state, event);
      break;
    case 'conn_up':
      connUp(state, event);
      break;
    case 'conn_down':
      connDown(state, event);
      break;
    case 'failover':
      countConn(state, 'failovers', event.t, event.to);
      break;
    case 'fault_start':
      faultStart(state, event);
      break;
    case 'fault_stop':
      faultStop(state, event);
      break;
    case 'phase':
      state.phases.push({ name: event.name, t: event.t });
      break;
    case 'run_end':
      state.runEndT = event.t;
      break;
    default:
      break;
  }
}

export function createAnalyzer(options: AnalyzeOptions = {}): Analyzer {
  const state = createAnalyzerState(options);
  return {
    add: (event) => addEvent(state, event),
    finish: () => finishAnalysis(state),
  };
}

export function analyzeHistory(events: Iterable<HistoryEvent>, options: AnalyzeOptions = {}): RunAnalysis {
  const analyzer = createAnalyzer(options);
  for (const event of events) analyzer.add(event);
  return analyzer.finish();
}
