// A small builder for hand-made histories: times are seconds since the run start, sessions
// default to `s-<user>`, and `message()` writes a whole send → ack → deliveries lifecycle.

import type { MetricStore } from '../../checks/metrics.ts';
import type { RunModel } from '../../checks/model.ts';
import type { Checker, CheckOptions } from '../../checks/result.ts';
import { checkRun } from '../../checks/run-checker.ts';
import type { HistoryEvent } from '../../contracts/history.ts';

export const T0 = 1_700_000_000_000;
export const at = (seconds: number): number => T0 + seconds * 1000;

/** One entry of a final log: the seq the region gave a message, its sender and its cmid. */
export type Entry = [seq: number, from: string, cmid: string];

export interface Builder {
  events: HistoryEvent[];
  start(regions?: string[], ackLevel?: string): Builder;
  conv(conv: string, members: string[], residency?: string[]): Builder;
  user(user: string, region: string): Builder;
  up(user: string, region: string, s: number, session?: string): Builder;
  down(user: string, region: string, s: number, session?: string, reason?: string): Builder;
  failover(user: string, from: string, to: string, s: number, session?: string): Builder;
  send(user: string, conv: string, cmid: string, s: number, intendedS?: number, region?: string): Builder;
  ack(
    user: string,
    conv: string,
    cmid: string,
    seq: number,
    s: number,
    level?: string,
    region?: string,
  ): Builder;
  /** A send at s that was acked with seq at ackS: send, then ack. */
  acked(user: string, conv: string, cmid: string, s: number, seq: number, ackS: number): Builder;
  failed(user: string, conv: string, cmid: string, s: number, reason?: string): Builder;
  indeterminate(user: string, conv: string, cmid: string, s: number): Builder;
  deliver(
    user: string,
    conv: string,
    from: string,
    cmid: string,
    seq: number,
    s: number,
    options?: { session?: string; via?: 'push' | 'sync'; region?: string },
  ): Builder;
  synced(user: string, conv: string, afterSeq: number, seq: number, s: number, session?: string): Builder;
  reset(user: string, conv: string, seq: number, s: number, session?: string): Builder;
  faultStart(id: string, kind: string, target: string, regions: string[], s: number): Builder;
  faultStop(id: string, s: number): Builder;
  phase(name: 'load_start' | 'load_stop' | 'healed' | 'converged' | 'final_reads', s: number): Builder;
  digest(region: string, conv: string, count: number, lastSeq: number, hash: string, s: number): Builder;
  /** A final read that succeeded: the log of `conv` in `region` at s, one entry an argument. */
  finalRead(region: string, conv: string, s: number, ...entries: Entry[]): Builder;
  /** A final read that failed (with `error` when given), carrying whatever entries it still listed. */
  failedRead(region: string, conv: string, s: number, error?: string, ...entries: Entry[]): Builder;
  health(ok: boolean, s: number, reason?: string): Builder;
  end(s: number): Builder;
  /** send at s, ack 20 ms later, deliveries to `receivers` 50 ms after the send. */
  message(conv: string, from: string, cmid: string, seq: number, s: number, receivers: string[]): Builder;
}

const logOf = (entries: Entry[]) => entries.map(([seq, from, cmid]) => ({ seq, from, cmid }));

export function history(): Builder {
  const events: HistoryEvent[] = [];
  const b: Builder = {
    events,
    start(regions = ['eu-west', 'us-east'], ackLevel) {
      events.push({
        type: 'run_start',
        t: T0,
        runId: 'fixture',
        scenario: 'fixture',
        seed: 1,
        regions,
        ...(ackLevel !== undefined ? { ackLevel } : {}),
      });
      return b;
    },
    conv(conv, members, residency) {
      events.push({ type: 'conversation', t: at(0.01), conv, members, ...(residency ? { residency } : {}) });
      return b;
    },
    user(user, region) {
      events.push({ type: 'user', t: at(0.02), user, region });
      return b;
    },
    up(user, region, s, session = `s-${user}`) {
      events.push({ type: 'conn_up', t: at(s), user, session, region });
      return b;
    },
    down(user, region, s, session = `s-${user}`, reason = 'closed') {
      events.push({ type: 'conn_down', t: at(s), user, session, region, reason });
      return b;
    },
    failover(user, from, to, s, session = `s-${user}`) {
      events.push({ type: 'failover', t: at(s), user, session, from, to });
      return b;
    },
    send(user, conv, cmid, s, intendedS = s, region) {
      events.push({
        type: 'send',
        t: at(s),
        intendedAt: at(intendedS),
        user,
        conv,
        cmid,
        ...(region !== undefined ? { region } : {}),
      });
      return b;
    },
    ack(user, conv, cmid, seq, s, level, region) {
      events.push({
        type: 'ack',
        t: at(s),
        user,
        conv,
        cmid,
        seq,
        ...(level !== undefined ? { level } : {}),
        ...(region !== undefined ? { region } : {}),
      });
      return b;
    },
    acked(user, conv, cmid, s, seq, ackS) {
      return b.send(user, conv, cmid, s).ack(user, conv, cmid, seq, ackS);
    },
    failed(user, conv, cmid, s, reason = 'unavailable') {
      events.push({ type: 'send_failed', t: at(s), user, conv, cmid, reason });
      return b;
    },
    indeterminate(user, conv, cmid, s) {
      events.push({ type: 'send_indeterminate', t: at(s), user, conv, cmid, reason: 'timeout' });
      return b;
    },
    deliver(user, conv, from, cmid, seq, s, options = {}) {
      events.push({
        type: 'deliver',
        t: at(s),
        user,
        session: options.session ?? `s-${user}`,
        conv,
        cmid,
        from,
        seq,
        via: options.via ?? 'push',
        ...(options.region !== undefined ? { region: options.region } : {}),
      });
      return b;
    },
    synced(user, conv, afterSeq, seq, s, session = `s-${user}`) {
      events.push({ type: 'synced', t: at(s), user, session, conv, afterSeq, seq });
      return b;
    },
    reset(user, conv, seq, s, session = `s-${user}`) {
      events.push({ type: 'reset', t: at(s), user, session, conv, seq, reason: 'epoch changed' });
      return b;
    },
    faultStart(id, kind, target, regions, s) {
      events.push({ type: 'fault_start', t: at(s), faultId: id, kind, target, regions });
      return b;
    },
    faultStop(id, s) {
      events.push({ type: 'fault_stop', t: at(s), faultId: id });
      return b;
    },
    phase(name, s) {
      events.push({ type: 'phase', t: at(s), name });
      return b;
    },
    digest(region, conv, count, lastSeq, hash, s) {
      events.push({ type: 'digest', t: at(s), region, conv, count, lastSeq, hash });
      return b;
    },
    finalRead(region, conv, s, ...entries) {
      events.push({ type: 'final_read', t: at(s), region, conv, ok: true, messages: logOf(entries) });
      return b;
    },
    failedRead(region, conv, s, error, ...entries) {
      events.push({
        type: 'final_read',
        t: at(s),
        region,
        conv,
        ok: false,
        ...(error !== undefined ? { error } : {}),
        messages: logOf(entries),
      });
      return b;
    },
    health(ok, s, reason) {
      events.push({
        type: 'health',
        t: at(s),
        sendLagP99Ms: ok ? 1 : 900,
        sendLagMaxMs: ok ? 2 : 1500,
        eventLoopDelayP99Ms: 1,
        ok,
        ...(reason !== undefined ? { reason } : {}),
      });
      return b;
    },
    end(s) {
      events.push({ type: 'run_end', t: at(s) });
      return b;
    },
    message(conv, from, cmid, seq, s, receivers) {
      b.acked(from, conv, cmid, s, seq, s + 0.02);
      for (const r of receivers) b.deliver(r, conv, from, cmid, seq, s + 0.05);
      return b;
    },
  };
  return b;
}

/**
 * The usual stage: regions eu-west and us-east, conversation c1 with u1, u2, u3 (homes
 * eu-west, eu-west, us-east), all connected from 0.1 s.
 */
export function stage(): Builder {
  return history()
    .start()
    .conv('c1', ['u1', 'u2', 'u3'])
    .user('u1', 'eu-west')
    .user('u2', 'eu-west')
    .user('u3', 'us-east')
    .up('u1', 'eu-west', 0.1)
    .up('u2', 'eu-west', 0.1)
    .up('u3', 'us-east', 0.1);
}

/** A valid ack with every optional field, less its type: for the hot-path schema tests. */
export const fullAck = {
  t: 1,
  user: 'u',
  conv: 'c',
  cmid: 'm',
  seq: 1,
  epoch: 0,
  level: 'stored',
  region: 'r',
};
/** A valid deliver with every optional field, less its type: for the hot-path schema tests. */
export const fullDeliver = {
  t: 1,
  user: 'u',
  session: 's',
  conv: 'c',
  cmid: 'm',
  from: 'f',
  seq: 1,
  via: 'push',
  region: 'r',
};

/** Sorts by time, keeping insertion order for ties (fixtures are written out of order). */
export function sorted(events: HistoryEvent[]): HistoryEvent[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
    .map((x) => x.e);
}

/** One checker over events in the order given: its result, the metrics it recorded, the model it judged. */
export function check<R>(
  create: (options: CheckOptions) => Checker<R>,
  events: HistoryEvent[],
  options: Partial<CheckOptions> = {},
): { r: R; metrics: MetricStore; model: RunModel; rejected: number } {
  const { result, metrics, model, rejected } = checkRun(create, events, options);
  return { r: result, metrics, model, rejected };
}
