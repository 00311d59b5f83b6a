// Who is connected where, and when, in a generated history (history.ts): each user's sessions in
// time order. An outage drops the sessions in its regions; their users fail over to another
// region after a delay, except the censored ones, who never come back. Sends, acks and
// deliveries ask this timeline when a user can next be reached, and its sessions become the
// history's conn_up, failover and conn_down events.
import type { HistoryEvent } from '../../contracts/history.ts';
import type { Random } from '../../lib/random.ts';

export interface Session {
  id: string;
  region: string;
  up: number;
  /** When it dropped; Infinity while it lasts (the run's end closes it). */
  down: number;
  /** Why it dropped, when it did. */
  reason?: string;
  /** The region it failed over from; absent on a user's first session. */
  from?: string;
}

/** Each user's sessions, in time order and never overlapping. */
export type Connections = Map<string, Session[]>;

/** What one fault did to the clients, known by construction. */
export interface FaultTruth {
  /** Users connected to one of its regions when it started. */
  affected: number;
  /** Of those, the ones that reconnected elsewhere. */
  recovered: number;
  /** Of those, the ones that never came back. */
  censored: number;
  /** Seconds from the fault's start to each reconnect. */
  samples: number[];
}

export interface OutageOptions {
  start: number;
  regions: string[];
  allRegions: string[];
  /** How many of the affected users (the first in user order) never reconnect. */
  censored: number;
  /** Multiplies the time to notice the drop and to reconnect. */
  slowdown: number;
  rnd: Random;
}

export const noTruth = (): FaultTruth => ({ affected: 0, recovered: 0, censored: 0, samples: [] });

/** Every user connects to its home region, all within half a second of `t`. */
export function openSessions(users: { id: string; home: string }[], t: number): Connections {
  const spread = 500 / Math.max(1, users.length);
  return new Map(
    users.map((u, i) => [u.id, [{ id: `s-${u.id}`, region: u.home, up: t + i * spread, down: Infinity }]]),
  );
}

/** The session up at `t`, if any. */
export function sessionAt(sessions: Session[], t: number): Session | undefined {
  return sessions.find((s) => s.up <= t && t < s.down);
}

/** The region the user last connected to by `t` (its first one before it ever connected). */
export function regionAt(sessions: Session[], t: number): string {
  let region = (sessions[0] as Session).region;
  for (const s of sessions) if (s.up <= t) region = s.region;
  return region;
}

/** `t` when the user is connected then, else when it next connects, or null if it never does. */
export function availableAt(sessions: Session[], t: number): number | null {
  for (const s of sessions) {
    if (t < s.up) return s.up;
    if (t < s.down) return t;
  }
  return null;
}

/** Drops every session in the outage's regions and fails their users over. Apply outages in time order. */
export function applyOutage(conns: Connections, o: OutageOptions): FaultTruth {
  const truth = noTruth();
  const others = o.allRegions.filter((r) => !o.regions.includes(r));
  let censored = o.censored;
  for (const [user, sessions] of conns) {
    const current = sessionAt(sessions, o.start);
    if (current === undefined || !o.regions.includes(current.region)) continue;
    truth.affected++;
    current.down = o.start + o.rnd.int(150, 700) * o.slowdown;
    current.reason = 'heartbeat timeout';
    // With no region left to fail over to, a user never comes back either.
    if (censored > 0 || others.length === 0) {
      censored--;
      truth.censored++;
      continue;
    }
    const up = current.down + o.rnd.int(300, 2500) * o.slowdown;
    const to = o.rnd.pick(others);
    sessions.push({
      id: `s-${user}-${sessions.length + 1}`,
      region: to,
      up,
      down: Infinity,
      from: current.region,
    });
    truth.recovered++;
    truth.samples.push((up - o.start) / 1000);
  }
  return truth;
}

/** The sessions as events; those still up are closed at `end`. */
export function connectionEvents(conns: Connections, end: number): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  for (const [user, sessions] of conns) {
    for (const s of sessions) {
      if (s.from !== undefined) {
        events.push({ type: 'failover', t: s.up - 1, user, session: s.id, from: s.from, to: s.region });
      }
      events.push({ type: 'conn_up', t: s.up, user, session: s.id, region: s.region });
      const down = Math.min(s.down, end);
      const reason = s.down === Infinity ? 'closed' : (s.reason ?? 'closed');
      events.push({ type: 'conn_down', t: down, user, session: s.id, region: s.region, reason });
    }
  }
  return events;
}
