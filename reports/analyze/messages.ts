// The message side of the analyzer: a send is remembered until its outcome (ack, failure or
// no answer) and its deliveries arrive, and each is recorded once, in the histogram of the
// second the message was meant to be sent, plus a seeded sample of individual sends. Events
// that arrive before their send wait in state.pending for replayPending.
import type { EventOf } from '../../contracts/history.ts';
import { record } from '../../lib/histogram.ts';
import { ALL, type AnalyzerState, histOf, messageKey, regionOf, secondAt } from './state.ts';

type OutcomeEvent = EventOf<'ack'> | EventOf<'send_failed'> | EventOf<'send_indeterminate'>;

/** 0 acked, 1 failed, 2 indeterminate: the SendInfo outcome each event sets. */
const OUTCOME = { ack: 0, send_failed: 1, send_indeterminate: 2 } as const;

export function recordSend(state: AnalyzerState, event: EventOf<'send'>): void {
  const key = messageKey(event.conv, event.user, event.cmid);
  if (state.sends.has(key)) return;
  const region = regionOf(state, event.user, event.region);
  state.regionsSeen.add(region);
  state.sends.set(key, {
    intendedAt: event.intendedAt,
    user: event.user,
    conv: event.conv,
    region,
    outcome: -1,
  });
}

function keepSample(state: AnalyzerState, intendedAt: number, ms: number, outcome: number): void {
  if (state.sampleLimit === 0) return;
  state.sampleSeen++;
  if (state.sample.length < state.sampleLimit) state.sample.push({ intendedAt, ms, outcome });
  else {
    const j = Math.floor(state.sampleRandom.next() * state.sampleSeen);
    if (j < state.sampleLimit) state.sample[j] = { intendedAt, ms, outcome };
  }
}

/** Applies a send's first outcome; false when its send is not known yet. */
function resolve(state: AnalyzerState, event: OutcomeEvent): boolean {
  const outcome = OUTCOME[event.type];
  const send = state.sends.get(messageKey(event.conv, event.user, event.cmid));
  if (send === undefined) return false;
  if (send.outcome !== -1) return true;
  send.outcome = outcome;
  const ms = Math.max(0, event.t - send.intendedAt);
  if (outcome === 0) {
    const region = event.type === 'ack' && event.region !== undefined ? event.region : send.region;
    state.regionsSeen.add(region);
    const s = secondAt(state, send.intendedAt);
    record(histOf(s.ack, region), ms);
    record(histOf(s.ack, ALL), ms);
  }
  keepSample(state, send.intendedAt, ms, outcome);
  return true;
}

/** Records a message's first delivery to a user; false when its send is not known yet. */
function deliver(state: AnalyzerState, event: EventOf<'deliver'>): boolean {
  const key = messageKey(event.conv, event.from, event.cmid);
  const send = state.sends.get(key);
  if (send === undefined) return false;
  const pair = `${key}\u0000${event.user}`;
  if (state.deliveredPairs.has(pair)) return true;
  state.deliveredPairs.add(pair);
  const to = regionOf(state, event.user, event.region, event.session);
  state.regionsSeen.add(to);
  const ms = Math.max(0, event.t - send.intendedAt);
  const s = secondAt(state, send.intendedAt);
  record(histOf(s.delivery, to), ms);
  record(histOf(s.delivery, ALL), ms);
  // The matrix is by home region: a stable population, whatever a fault moved.
  if (event.user !== send.user) {
    record(histOf(state.pairHist, `${regionOf(state, send.user)}\u0000${regionOf(state, event.user)}`), ms);
  }
  return true;
}

/** Applies an outcome or a delivery, or keeps it for replayPending when its send comes later. */
export function recordOutcome(state: AnalyzerState, event: OutcomeEvent | EventOf<'deliver'>): void {
  const applied = event.type === 'deliver' ? deliver(state, event) : resolve(state, event);
  if (!applied) state.pending.push(event);
}

/** Applies what arrived before its send, now that every send is known. */
export function replayPending(state: AnalyzerState): void {
  for (const event of state.pending) {
    if (event.type === 'ack' || event.type === 'send_failed' || event.type === 'send_indeterminate')
      resolve(state, event);
    else if (event.type === 'deliver') deliver(state, event);
  }
}
