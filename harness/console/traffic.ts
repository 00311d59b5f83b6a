// What the console draws of the traffic, built from the history one event at a time (the same
// events history.jsonl gets): per-second sends, acks, deliveries and failures with the
// second's delivery latency percentiles, running totals, sessions connected per region, and
// failovers with how long each session was without service. Bounded: the last few minutes of
// seconds, and sends remembered only as long as the live metrics remember them.
import type { ConsoleFailover, ConsolePoint, ConsoleState } from '../../contracts/console.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { createHistogram, type Histogram, percentile, record } from '../../lib/histogram.ts';
import { forgetOldSends, SEND_MEMORY_MS } from '../observe/metrics.ts';

/** Seconds of traffic kept for the charts. */
export const SERIES_SECONDS = 600;
/** Failovers listed, newest last. */
const RECENT_FAILOVERS = 20;

interface Second {
  point: ConsolePoint;
  latency: Histogram;
}

export interface TrafficModel {
  observe(event: HistoryEvent): void;
  /** The parts of ConsoleState this model owns, as of now. */
  snapshot(): Pick<ConsoleState, 'totals' | 'series' | 'failovers'> & { clients: Map<string, number> };
}

const secondOf = (t: number): number => Math.floor(t / 1000) * 1000;
const orNull = (n: number): number | null => (Number.isFinite(n) ? Math.round(n * 1000) / 1000 : null);

export function createTrafficModel(): TrafficModel {
  const seconds: Second[] = [];
  const totals = { sent: 0, acked: 0, delivered: 0, failed: 0, indeterminate: 0 };
  const intended = new Map<string, { intendedAt: number; sentAt: number }>();
  const sessions = new Map<string, { region: string; downAt: number | undefined; moved: boolean }>();
  const outage = createHistogram();
  const recent: ConsoleFailover[] = [];
  let failovers = 0;

  const second = (t: number): Second => {
    const start = secondOf(t);
    const last = seconds[seconds.length - 1];
    if (last !== undefined && last.point.t === start) return last;
    // An event from an earlier second (a late report) lands in that second when it is kept.
    for (let i = seconds.length - 1; i >= 0 && (seconds[i] as Second).point.t >= start; i--) {
      if ((seconds[i] as Second).point.t === start) return seconds[i] as Second;
    }
    const fresh: Second = {
      point: { t: start, sent: 0, acked: 0, delivered: 0, failed: 0, p50Ms: null, p99Ms: null },
      latency: createHistogram(),
    };
    seconds.push(fresh);
    seconds.sort((a, b) => a.point.t - b.point.t);
    while (seconds.length > SERIES_SECONDS) seconds.shift();
    return fresh;
  };
  const key = (conv: string, user: string, cmid: string) => `${conv}\u0000${user}\u0000${cmid}`;

  const observeSession = (e: HistoryEvent): void => {
    if (e.type === 'conn_up') {
      const s = sessions.get(e.session);
      if (s?.downAt !== undefined) {
        const secondsDown = Math.max(0, e.t - s.downAt) / 1000;
        record(outage, secondsDown * 1000);
        if (s.moved || s.region !== e.region) {
          recent.push({ t: e.t, from: s.region, to: e.region, seconds: orNull(secondsDown) });
          if (recent.length > RECENT_FAILOVERS) recent.shift();
        }
      }
      sessions.set(e.session, { region: e.region, downAt: undefined, moved: false });
    } else if (e.type === 'conn_down') {
      const s = sessions.get(e.session);
      if (s !== undefined && s.downAt === undefined) s.downAt = e.t;
      else if (s === undefined) sessions.set(e.session, { region: e.region, downAt: e.t, moved: false });
    } else if (e.type === 'failover') {
      failovers++;
      const s = sessions.get(e.session);
      if (s !== undefined) s.moved = true;
    }
  };

  const observe = (e: HistoryEvent): void => {
    switch (e.type) {
      case 'send':
        totals.sent++;
        second(e.t).point.sent++;
        forgetOldSends(intended, e.t - SEND_MEMORY_MS);
        intended.set(key(e.conv, e.user, e.cmid), { intendedAt: e.intendedAt, sentAt: e.t });
        return;
      case 'ack':
        totals.acked++;
        second(e.t).point.acked++;
        return;
      case 'send_failed':
      case 'send_indeterminate':
        totals[e.type === 'send_failed' ? 'failed' : 'indeterminate']++;
        second(e.t).point.failed++;
        return;
      case 'deliver': {
        totals.delivered++;
        const s = second(e.t);
        s.point.delivered++;
        const sent = intended.get(key(e.conv, e.from, e.cmid));
        if (sent !== undefined) record(s.latency, Math.max(0, e.t - sent.intendedAt));
        return;
      }
      default:
        observeSession(e);
    }
  };

  const snapshot = () => {
    const clients = new Map<string, number>();
    let disconnected = 0;
    for (const s of sessions.values()) {
      if (s.downAt !== undefined) disconnected++;
      else clients.set(s.region, (clients.get(s.region) ?? 0) + 1);
    }
    const series = seconds.map((s) => ({
      ...s.point,
      p50Ms: orNull(percentile(s.latency, 50)),
      p99Ms: orNull(percentile(s.latency, 99)),
    }));
    const secondsOf = (p: number): number | null => orNull(percentile(outage, p) / 1000);
    return {
      totals: { ...totals },
      series,
      failovers: {
        count: failovers,
        disconnected,
        p50Seconds: secondsOf(50),
        p99Seconds: secondsOf(99),
        maxSeconds: secondsOf(100),
        recent: recent.slice(),
      },
      clients,
    };
  };
  return { observe, snapshot };
}
