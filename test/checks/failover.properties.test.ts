// Laws of the failover checker over seeded random histories (faults with and without regions,
// some never stopped, connection churn, sends acked or not, deliveries made or not): every
// incident ends exactly one way and the figures, the per-fault rows and the metrics agree on it;
// a second, independent copy of the same run doubles every count and moves no percentile.
import { describe, expect, it } from 'vitest';
import {
  createFailoverChecker,
  type FailoverPercentiles,
  type FailoverResult,
} from '../../checks/failover.ts';
import { aggregate, type MetricStore, selectSink } from '../../checks/metrics.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { createRandom } from '../../lib/random.ts';
import { check, history, sorted } from './fixtures.ts';

const SEEDS = 100;
const REGIONS = ['eu-west', 'us-east', 'ap-south'];

function run(events: HistoryEvent[]): { r: FailoverResult; metrics: MetricStore } {
  return check(createFailoverChecker, events);
}

/** A random run of 3–8 users in 1–3 conversations under 1–3 faults; times in seconds. */
function randomRun(seed: number): HistoryEvent[] {
  const rnd = createRandom(seed);
  const users = Array.from({ length: rnd.int(3, 8) }, (_, i) => `u${i + 1}`);
  const b = history().start(REGIONS);
  const convs = Array.from({ length: rnd.int(1, 3) }, (_, c) => {
    const members = rnd.shuffle(users).slice(0, rnd.int(1, users.length));
    b.conv(`c${c}`, members);
    return { conv: `c${c}`, members };
  });
  for (const user of users) {
    let region = rnd.pick(REGIONS);
    b.user(user, region).up(user, region, 0.1);
    let t = 0.1;
    for (let churn = rnd.int(0, 3); churn > 0; churn--) {
      t += rnd.int(10, 120) / 10;
      b.down(user, region, t);
      region = rnd.pick(REGIONS);
      t += rnd.int(1, 30) / 10;
      b.up(user, region, t);
    }
  }
  for (let f = rnd.int(1, 3); f > 0; f--) {
    const start = rnd.int(20, 200) / 10;
    const regions = rnd.chance(0.2) ? [] : rnd.shuffle(REGIONS).slice(0, rnd.int(1, 2));
    b.faultStart(
      `f${f}`,
      rnd.pick(['regionOutage', 'latency', 'partition']),
      regions.join(' | '),
      regions,
      start,
    );
    if (rnd.chance(0.8)) b.faultStop(`f${f}`, start + rnd.int(5, 150) / 10);
  }
  for (let n = 1, seq = 1; n <= rnd.int(10, 60); n++) {
    const { conv, members } = rnd.pick(convs);
    const from = rnd.pick(members);
    const t = rnd.int(10, 400) / 10;
    b.send(from, conv, `m${n}`, t, rnd.chance(0.2) ? t - rnd.int(1, 20) / 10 : t);
    if (rnd.chance(0.6)) b.ack(from, conv, `m${n}`, seq, t + rnd.int(1, 60) / 10);
    for (const member of members) {
      if (member !== from && rnd.chance(0.6))
        b.deliver(member, conv, from, `m${n}`, seq, t + rnd.int(1, 80) / 10);
    }
    seq++;
  }
  if (rnd.chance(0.8)) b.end(45);
  return sorted(b.events);
}

/** The same run's users, sessions, conversations and messages once more under other names, under the same faults. */
function withCopy(events: HistoryEvent[]): HistoryEvent[] {
  const x = (name: string): string => `${name}x`;
  const copy = (e: HistoryEvent): HistoryEvent[] => {
    switch (e.type) {
      case 'conversation':
        return [{ ...e, conv: x(e.conv), members: e.members.map(x) }];
      case 'user':
        return [{ ...e, user: x(e.user) }];
      case 'conn_up':
      case 'conn_down':
        return [{ ...e, user: x(e.user), session: x(e.session) }];
      case 'send':
      case 'ack':
        return [{ ...e, user: x(e.user), conv: x(e.conv), cmid: x(e.cmid) }];
      case 'deliver':
        return [
          { ...e, user: x(e.user), session: x(e.session), conv: x(e.conv), from: x(e.from), cmid: x(e.cmid) },
        ];
      default:
        return [];
    }
  };
  return events.flatMap((e) => [e, ...copy(e)]);
}

const doubled = (f: FailoverPercentiles): FailoverPercentiles => ({
  ...f,
  count: 2 * f.count,
  censored: 2 * f.censored,
});

describe('failover laws over random runs', () => {
  it('ends every incident exactly one way, and the figures, fault rows and metrics all agree on it', () => {
    const seen = { failedOver: 0, rodeOut: 0, neverRecovered: 0, unobserved: 0 };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { r, metrics } = run(randomRun(seed));
      for (const row of [r, ...r.faults]) {
        expect(row.failedOver + row.rodeOut + row.neverRecovered + row.unobserved).toBe(row.incidents);
        expect(row.clients).toBeLessThanOrEqual(row.incidents);
        expect(row.seconds).toMatchObject({
          count: row.failedOver + row.neverRecovered,
          censored: row.neverRecovered,
        });
        expect(row.recoverySeconds).toMatchObject({
          count: row.failedOver + row.rodeOut + row.neverRecovered,
          censored: row.neverRecovered,
        });
      }
      // An incident spanning several faults is one incident overall and one in each fault's row.
      for (const f of r.faults) expect(f.incidents).toBeLessThanOrEqual(r.incidents);
      expect(r.faults.reduce((sum, f) => sum + f.incidents, 0)).toBeGreaterThanOrEqual(r.incidents);
      expect(aggregate(selectSink(metrics, 'failover_seconds'), 'count', 0)).toBe(r.seconds.count);
      expect(aggregate(selectSink(metrics, 'recovery_seconds'), 'count', 0)).toBe(r.recoverySeconds.count);
      expect(selectSink(metrics, 'failover_rate')).toEqual({
        type: 'rate',
        trues: r.failedOver,
        total: r.failedOver + r.rodeOut + r.neverRecovered,
      });
      expect(r.examples).toHaveLength(Math.min(r.neverRecovered, 10));
      for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k] += r[k];
    }
    // The runs do reach every outcome, many times over.
    for (const n of Object.values(seen)) expect(n).toBeGreaterThan(SEEDS / 10);
  });

  it('doubles every count and moves no percentile when an independent copy of the run is added', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const events = randomRun(seed);
      const { r: once, metrics: m1 } = run(events);
      const { r: twice, metrics: m2 } = run(withCopy(events));
      for (const [a, b] of [
        [once, twice] as const,
        ...once.faults.map((f, i) => [f, twice.faults[i]!] as const),
      ]) {
        expect(b).toMatchObject({
          incidents: 2 * a.incidents,
          clients: 2 * a.clients,
          failedOver: 2 * a.failedOver,
          rodeOut: 2 * a.rodeOut,
          neverRecovered: 2 * a.neverRecovered,
          unobserved: 2 * a.unobserved,
          seconds: doubled(a.seconds),
          recoverySeconds: doubled(a.recoverySeconds),
        });
      }
      once.faults.forEach((f, i) => {
        expect(twice.faults[i]!.ackSeconds).toEqual(doubled(f.ackSeconds));
        expect(twice.faults[i]!.deliverySeconds).toEqual(doubled(f.deliverySeconds));
      });
      for (const name of ['failover_seconds', 'recovery_seconds'] as const) {
        for (const q of [50, 90, 99]) {
          expect(aggregate(selectSink(m2, name), { p: q }, 0)).toBe(
            aggregate(selectSink(m1, name), { p: q }, 0),
          );
        }
      }
    }
  });
});
