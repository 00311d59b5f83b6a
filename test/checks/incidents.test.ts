// The incident tracker on hand-built histories: which clients a fault touches and how, which
// faults join an open incident, which sends, acks and deliveries count as service after the
// impact, and when an incident closes (during its faults or after them). The failover checker
// builds every figure on these incidents, so each field is pinned here exactly.
import { describe, expect, it } from 'vitest';
import {
  createIncidentTracker,
  type Impact,
  type Incident,
  observed,
  servedAgain,
} from '../../checks/incidents.ts';
import { createRunModel, ingest, observe } from '../../checks/model.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { sorted, stage, T0 } from './fixtures.ts';

/** Every incident the tracker followed through the history, in the order they started. */
function track(events: HistoryEvent[]): Incident[] {
  return trackAsWritten(sorted(events));
}

/** The same, over the events in the order given (a history file need not be sorted by time). */
function trackAsWritten(events: HistoryEvent[]): Incident[] {
  const model = createRunModel();
  const tracker = createIncidentTracker();
  for (const raw of events) {
    const e = ingest(model, raw);
    if (e === undefined) continue;
    observe(model, e);
    tracker.add(e, model);
  }
  return tracker.incidents;
}

/** Seconds since the run start, to the millisecond; null for a time that never came. */
const secs = (t: number): number | null => (Number.isNaN(t) ? null : Math.round(t - T0) / 1000);

/** An incident with its times in seconds, fault ids and sorted regions: comparable with toEqual. */
function view(i: Incident) {
  return {
    user: i.user,
    region: i.region,
    start: secs(i.start),
    impact: i.impact,
    faults: i.faults.map((f) => f.id),
    regions: [...i.regions].sort(),
    ownSent: i.ownSent,
    othersSent: i.othersSent,
    ackAt: secs(i.ackAt),
    deliverAt: secs(i.deliverAt),
    servedAt: secs(i.servedAt),
    duringFault: i.duringFault,
  };
}

/** An incident that has seen nothing yet since its impact, for the fields a test does not set. */
const untouched = {
  ownSent: false,
  othersSent: false,
  ackAt: null,
  deliverAt: null,
  servedAt: null,
  duringFault: false,
};

/** The view of an incident that has seen nothing since its impact; its regions are its own unless given. */
function quiet(
  user: string,
  region: string,
  start: number,
  impact: Impact,
  faults: string[],
  regions = [region],
) {
  return { user, region, start, impact, faults, regions, ...untouched };
}

/** A bare incident for the pure predicates. */
function incident(fields: Partial<Incident>): Incident {
  return {
    user: 'u1',
    region: 'eu-west',
    start: T0,
    impact: 'connected',
    faults: [],
    regions: new Set(['eu-west']),
    ownSent: false,
    othersSent: false,
    ackAt: Number.NaN,
    deliverAt: Number.NaN,
    servedAt: Number.NaN,
    duringFault: false,
    ...fields,
  };
}

describe('which clients a fault touches', () => {
  it('opens a connected incident for each client connected to a region of a starting fault, and none for clients elsewhere or offline', () => {
    const h = stage()
      .down('u2', 'eu-west', 5)
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .end(30);
    // u2 was offline at the start, u3 was connected to us-east.
    expect(track(h.events).map(view)).toEqual([quiet('u1', 'eu-west', 10, 'connected', ['f1'])]);
  });

  it('opens a lost incident, from the moment of the loss, when a client loses a connection to a fault region while the fault is active', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'us-east', ['us-east'], 10)
      .up('u1', 'us-east', 11)
      .down('u1', 'us-east', 12)
      .down('u2', 'eu-west', 12.5)
      .end(30);
    // u3 was on us-east at the start; u2's loss was on a region the fault does not name.
    expect(track(h.events).map(view)).toEqual([
      quiet('u3', 'us-east', 10, 'connected', ['f1']),
      quiet('u1', 'us-east', 12, 'lost', ['f1']),
    ]);
  });

  it('counts every lost connection during a fault that names no region, and keeps the regions lost so later faults there join', () => {
    const h = stage()
      .faultStart('f0', 'latency', '', [], 10)
      .down('u2', 'eu-west', 11)
      .up('u2', 'ap-south', 11.5, 's-u2b')
      .down('u2', 'ap-south', 12, 's-u2b')
      // Nobody is connected to ap-south or sa-east: only the regions u2's incident involves join it.
      .faultStart('f3', 'regionOutage', 'ap-south', ['ap-south', 'sa-east'], 13)
      .faultStart('f4', 'regionOutage', 'sa-east', ['sa-east'], 14)
      .faultStart('f5', 'regionOutage', 'af-south', ['af-south'], 15)
      .end(30);
    // A region-less fault touches no connected client at its start: u1 and u3 have no incident.
    expect(track(h.events).map(view)).toEqual([
      quiet('u2', 'eu-west', 11, 'lost', ['f0', 'f3', 'f4'], ['ap-south', 'eu-west', 'sa-east']),
    ]);
  });

  it('joins a fault that starts on a region an open incident involves, even after the client moved away, without listing a fault twice', () => {
    const h = stage()
      .faultStart('f1', 'regionIsolation', 'eu-west', ['eu-west'], 10)
      .down('u1', 'eu-west', 10.5)
      .up('u1', 'us-east', 11)
      .faultStart('f2', 'regionOutage', 'eu-west', ['eu-west'], 12)
      .faultStart('f3', 'regionOutage', 'ap-south', ['ap-south'], 13)
      .end(30);
    const base = { region: 'eu-west', start: 10, impact: 'connected', regions: ['eu-west'], ...untouched };
    // u1 is on us-east when f2 starts but its incident involves eu-west; u2 is still connected there.
    expect(track(h.events).map(view)).toEqual([
      { user: 'u1', faults: ['f1', 'f2'], ...base },
      { user: 'u2', faults: ['f1', 'f2'], ...base },
    ]);
  });

  it('joins every active fault that a lost connection touches into one incident', () => {
    const h = stage()
      .faultStart('slow', 'latency', 'us-east', ['us-east'], 10)
      .faultStart('split', 'partition', 'us-east | ap-south', ['us-east', 'ap-south'], 10)
      .up('u1', 'us-east', 11)
      .down('u1', 'us-east', 12)
      .end(30);
    // u3 was on us-east when both started: one incident, joined by the second.
    const [u3, u1] = track(h.events).map(view);
    expect(u3).toMatchObject({ user: 'u3', start: 10, impact: 'connected', faults: ['slow', 'split'] });
    expect(u1).toEqual(quiet('u1', 'us-east', 12, 'lost', ['slow', 'split'], ['ap-south', 'us-east']));
  });

  it('stops touching clients once the fault stops, and ignores a stop for a fault that is not active', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'ap-south', ['ap-south'], 10)
      .faultStop('ghost', 10.5)
      .up('u1', 'ap-south', 10.8, 's-u1b')
      .down('u1', 'ap-south', 11, 's-u1b')
      .faultStop('f1', 12)
      .up('u2', 'ap-south', 12.5, 's-u2b')
      .down('u2', 'ap-south', 13, 's-u2b')
      .end(30);
    expect(track(h.events).map((i) => [i.user, secs(i.start), i.impact])).toEqual([['u1', 11, 'lost']]);
  });
});

describe('what counts as service after the impact', () => {
  it('marks sends intended at or after the impact, by the client and for the other members, never before', () => {
    const fault = stage().faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10);
    const before = track(
      fault.send('u1', 'c1', 'm1', 10.5, 9.9).send('u3', 'c1', 'm2', 10.6, 9.9).end(30).events,
    );
    expect(before.map((i) => [i.user, i.ownSent, i.othersSent])).toEqual([
      ['u1', false, false],
      ['u2', false, false],
    ]);
    const exact = stage().faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10);
    // Intended at the very moment of the impact: the client's own send, and owed to u2; not to u1 itself.
    const atImpact = track(exact.send('u1', 'c1', 'm1', 10.5, 10).end(30).events);
    expect(atImpact.map((i) => [i.user, i.ownSent, i.othersSent])).toEqual([
      ['u1', true, false],
      ['u2', false, true],
    ]);
  });

  it('owes a send only to members of its conversation, and takes a send in an undeclared conversation as the client’s own only', () => {
    const h = stage()
      .conv('c2', ['u1', 'u3'])
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .send('u3', 'c2', 'm1', 11)
      .send('u2', 'cx', 'm2', 12)
      .end(30);
    expect(track(h.events).map((i) => [i.user, i.ownSent, i.othersSent])).toEqual([
      ['u1', false, true],
      ['u2', true, false],
    ]);
  });

  it('times service from the first ack and the first delivery of others’ messages intended from the impact on, and closes when both are in', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      // Intended before the impact: neither the ack of u1's send nor the delivery of u3's counts.
      .send('u3', 'c1', 'o3', 10.1, 9.8)
      .send('u1', 'c1', 'old', 10.2, 9.5)
      .ack('u1', 'c1', 'old', 1, 10.4)
      // Intended exactly at the impact: counts for u2's ack and for u1's delivery.
      .send('u2', 'c1', 'm4', 10.5, 10)
      .deliver('u2', 'c1', 'u3', 'o3', 2, 10.6)
      // u2's own message echoed back is no delivery.
      .deliver('u2', 'c1', 'u2', 'm4', 4, 10.8)
      .send('u1', 'c1', 'm1', 11)
      .deliver('u2', 'c1', 'u1', 'm1', 3, 11.2)
      .ack('u1', 'c1', 'm1', 3, 11.4)
      .acked('u1', 'c1', 'm3', 11.5, 5, 11.6)
      .send('u3', 'c1', 'm2', 11.7)
      .deliver('u2', 'c1', 'u3', 'm2', 6, 11.8)
      .ack('u2', 'c1', 'm4', 4, 12)
      .deliver('u1', 'c1', 'u2', 'm4', 4, 12.5)
      .deliver('u1', 'c1', 'u3', 'm2', 6, 12.6)
      // Both were served again: a new fault opens new incidents instead of joining the closed ones.
      .faultStart('f2', 'regionOutage', 'eu-west', ['eu-west'], 14)
      .send('u2', 'c1', 'm5', 15)
      .end(30);
    const base = { region: 'eu-west', impact: 'connected', regions: ['eu-west'] };
    expect(track(h.events).map(view)).toEqual([
      {
        user: 'u1',
        start: 10,
        faults: ['f1'],
        ...base,
        ownSent: true,
        othersSent: true,
        ackAt: 11.4,
        deliverAt: 12.5,
        servedAt: 12.5,
        duringFault: true,
      },
      {
        user: 'u2',
        start: 10,
        faults: ['f1'],
        ...base,
        ownSent: true,
        othersSent: true,
        ackAt: 12,
        deliverAt: 11.2,
        servedAt: 12,
        duringFault: true,
      },
      { user: 'u1', start: 14, faults: ['f2'], ...base, ...untouched, othersSent: true },
      { user: 'u2', start: 14, faults: ['f2'], ...base, ...untouched, ownSent: true },
    ]);
  });

  it('ignores acks and deliveries for clients without an open incident', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'us-east', ['us-east'], 10)
      .acked('u1', 'c1', 'm1', 11, 1, 11.1)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 11.2)
      .end(30);
    // u3 was owed u1's message, which never reached it.
    expect(track(h.events).map(view)).toEqual([
      { ...quiet('u3', 'us-east', 10, 'connected', ['f1']), othersSent: true },
    ]);
  });
});

describe('whether service came back during the faults', () => {
  it('counts service at the very moment the fault stops as after it, and a moment before as during it', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .send('u1', 'c1', 'm1', 11)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 11.999)
      .faultStop('f1', 12)
      .ack('u1', 'c1', 'm1', 1, 12)
      .end(30);
    expect(track(h.events).map((i) => [i.user, secs(i.servedAt), i.duringFault])).toEqual([
      ['u1', 12, false],
      ['u2', 11.999, true],
    ]);
  });

  it('counts service as during the faults while any one of them is still active, or never stopped', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .faultStart('f2', 'regionIsolation', 'eu-west', ['eu-west'], 11)
      .faultStart('f3', 'regionOutage', 'us-east', ['us-east'], 11)
      .send('u1', 'c1', 'm1', 11.5)
      .faultStop('f1', 12)
      .ack('u1', 'c1', 'm1', 1, 13)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 13.1)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 13.2)
      .faultStop('f2', 15)
      .end(30);
    // u1 and u2: f1 over, f2 still on; u3: f3 never stopped.
    expect(
      track(h.events).map((i) => [i.user, i.faults.map((f) => f.id), secs(i.servedAt), i.duringFault]),
    ).toEqual([
      ['u1', ['f1', 'f2'], 13, true],
      ['u2', ['f1', 'f2'], 13.1, true],
      ['u3', ['f3'], 13.2, true],
    ]);
  });

  it('judges by timestamps, not file order: an ack stamped before the fault stopped counts as during it even when written after the stop', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .send('u1', 'c1', 'm1', 11)
      .faultStop('f1', 12)
      .ack('u1', 'c1', 'm1', 1, 11.9)
      .end(30);
    expect(trackAsWritten(h.events).map((i) => [i.user, secs(i.servedAt), i.duringFault])).toEqual([
      ['u1', 11.9, true],
      ['u2', null, false],
    ]);
  });

  it('keeps an incident open while any service it is owed is missing', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .send('u3', 'c1', 'm2', 10.5)
      .acked('u1', 'c1', 'm1', 11, 1, 11.1)
      .faultStop('f1', 20)
      .end(30);
    // u1's send was acked, but u3's message to it never arrived.
    expect(track(h.events).map((i) => [i.user, secs(i.ackAt), secs(i.servedAt)])).toEqual([
      ['u1', 11.1, null],
      ['u2', null, null],
    ]);
  });
});

describe('servedAgain and observed', () => {
  const none = Number.NaN;
  it.each([
    // ownSent, othersSent, ackAt, deliverAt → served
    [false, false, none, none, false],
    [true, false, none, none, false],
    [false, true, none, none, false],
    [true, false, T0, none, true],
    [true, true, T0, none, false],
    [false, true, none, T0, true],
    [true, true, none, T0, false],
    [true, true, T0, T0, true],
    [false, false, T0, none, true],
    [false, false, none, T0, true],
  ])(
    'with ownSent %s, othersSent %s, ackAt %s and deliverAt %s, servedAgain is %s',
    (ownSent, othersSent, ackAt, deliverAt, served) => {
      expect(servedAgain(incident({ ownSent, othersSent, ackAt, deliverAt }))).toBe(served);
    },
  );

  it('counts an incident as observed when the client sent or someone wrote to it', () => {
    expect(observed(incident({}))).toBe(false);
    expect(observed(incident({ ownSent: true }))).toBe(true);
    expect(observed(incident({ othersSent: true }))).toBe(true);
    expect(observed(incident({ ownSent: true, othersSent: true }))).toBe(true);
  });
});
