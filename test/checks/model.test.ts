// The run model is what every checker reads besides its own judgement: these tests pin what it
// records for each event kind, its lookups, the schema gate (ingest and its fast path) and the
// "had a quiet connection" rule that decides whether a missing delivery counts as lost.
import { describe, expect, it } from 'vitest';
import type { MetricStore } from '../../checks/metrics.ts';
import {
  activeFaultsAt,
  allowedRegions,
  createRunModel,
  endTime,
  faultLabel,
  findMessage,
  hadQuietConnection,
  ingest,
  isValidHotEvent,
  type MessageRecord,
  messageOf,
  observe,
  phaseAt,
  type RunModel,
  receiptOf,
  regionOfUser,
  relSeconds,
  userOf,
  wasDelivered,
} from '../../checks/model.ts';
import type { CheckOptions } from '../../checks/result.ts';
import { runChecker } from '../../checks/run-checker.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { HistoryEvent as HistoryEventSchema } from '../../contracts/history.ts';
import { at, fullAck, fullDeliver, history, stage, T0 } from './fixtures.ts';

/** The model after taking in every event (invalid ones are counted and skipped). */
function modelOf(events: readonly unknown[]): RunModel {
  const model = createRunModel();
  for (const raw of events) step(model, raw);
  return model;
}

/** Feeds one event; returns the model so a test can look at what that event left behind. */
function step(model: RunModel, raw: unknown): RunModel {
  const e = ingest(model, raw);
  if (e !== undefined) observe(model, e);
  return model;
}

/** The record of (conversation, sender, cmid), failing the test when there is none. */
function record(model: RunModel, conv: string, from: string, cmid: string): MessageRecord {
  const m = findMessage(model, conv, from, cmid);
  if (m === undefined) throw new Error(`no record of ${conv}/${from}/${cmid}`);
  return m;
}

function deliveredSeq(model: RunModel, session: string, m: MessageRecord): number | undefined {
  const s = model.sessions.get(session);
  return s === undefined ? undefined : receiptOf(m, s);
}

describe('a fresh run model', () => {
  it('holds nothing, with every time NaN until an event arrives', () => {
    expect(createRunModel()).toEqual({
      hasRunStart: false,
      runId: undefined,
      scenario: undefined,
      seed: undefined,
      t0: Number.NaN,
      firstT: Number.NaN,
      lastT: Number.NaN,
      runEndT: Number.NaN,
      regions: [],
      ackLevel: undefined,
      events: 0,
      invalidEvents: 0,
      firstInvalid: undefined,
      conversations: new Map(),
      users: new Map(),
      sessions: new Map(),
      faults: [],
      faultsById: new Map(),
      phases: [],
      messages: [],
      index: new Map(),
      byCmid: new Map(),
      finalReads: new Map(),
      health: { reports: 0, invalid: false, reasons: [] },
      ownEcho: false,
      sawConnections: false,
      current: undefined,
      currentFirstToUser: false,
      currentRead: undefined,
      currentRepeatOf: Number.NaN,
    });
  });
});

describe('the run model: time base and regions', () => {
  it('takes time zero, identity, regions and ack level from run_start, copying the region list', () => {
    const h = history().start(['eu-west', 'us-east'], 'replicated');
    const model = modelOf(h.events);
    expect(model).toMatchObject({
      hasRunStart: true,
      runId: 'fixture',
      scenario: 'fixture',
      seed: 1,
      t0: T0,
      firstT: T0,
      lastT: T0,
      ackLevel: 'replicated',
      events: 1,
      regions: ['eu-west', 'us-east'],
    });
    const start = h.events[0] as Extract<HistoryEvent, { type: 'run_start' }>;
    expect(model.regions).not.toBe(start.regions);
  });

  it('counts events, keeps the first time seen and the latest time even when events come out of order', () => {
    const model = modelOf(
      history().phase('load_start', 5).phase('load_stop', 3).end(7).phase('healed', 6).events,
    );
    expect(model.events).toBe(4);
    expect(model.firstT).toBe(at(5));
    expect(model.lastT).toBe(at(7));
    expect(model.t0).toBe(at(5));
    expect(model.runEndT).toBe(at(7));
  });

  it('without run_start takes time zero from the first event, then lets a late run_start set it', () => {
    const model = modelOf(history().phase('load_start', 2).events);
    expect(model.t0).toBe(at(2));
    expect(model.hasRunStart).toBe(false);
    step(model, { type: 'run_start', t: at(1), runId: 'r', scenario: 's', seed: 3, regions: ['x'] });
    expect(model.t0).toBe(at(1));
    expect(model.firstT).toBe(at(2));
    expect(model.lastT).toBe(at(2));
    expect(model.regions).toEqual(['x']);
    expect(model.ackLevel).toBeUndefined();
  });

  it('without run_start collects each region the events name, once, in order of first mention', () => {
    const model = modelOf(
      history()
        .user('u1', 'eu-west')
        .up('u2', 'us-east', 1)
        .deliver('u1', 'c1', 'u2', 'm1', 1, 2, { region: 'ap-south' })
        .deliver('u1', 'c1', 'u2', 'm2', 2, 2.5)
        .finalRead('eu-central', 'c1', 3)
        .user('u3', 'eu-west')
        .up('u1', 'ap-south', 4).events,
    );
    expect(model.regions).toEqual(['eu-west', 'us-east', 'ap-south', 'eu-central']);
  });

  it('with run_start keeps exactly its regions, whatever regions the events name', () => {
    const model = modelOf(
      history()
        .start(['eu-west'])
        .user('u1', 'us-east')
        .up('u1', 'ap-south', 1)
        .deliver('u1', 'c1', 'u2', 'm1', 1, 2, { region: 'eu-central' })
        .finalRead('sa-east', 'c1', 3).events,
    );
    expect(model.regions).toEqual(['eu-west']);
  });
});

describe('the run model: conversations, users and connections', () => {
  it('records each conversation with its members and residency, and lists it on each member', () => {
    const model = modelOf(
      history().start().conv('c1', ['u1', 'u2']).conv('c2', ['u2', 'u3'], ['eu-west']).events,
    );
    const c1 = model.conversations.get('c1');
    expect(c1).toEqual({
      conv: 'c1',
      members: ['u1', 'u2'],
      memberSet: new Set(['u1', 'u2']),
      residency: undefined,
    });
    expect(model.conversations.get('c2')).toMatchObject({ residency: ['eu-west'] });
    expect(model.conversations.get('c2')?.memberSet.has('u3')).toBe(true);
    expect(model.users.get('u1')?.convs).toEqual(['c1']);
    expect(model.users.get('u2')?.convs).toEqual(['c1', 'c2']);
    expect(model.users.get('u3')?.convs).toEqual(['c2']);
    expect(allowedRegions(model, 'c1')).toEqual(['eu-west', 'us-east']);
    expect(allowedRegions(model, 'c2')).toEqual(['eu-west']);
    expect(allowedRegions(model, 'nowhere')).toEqual(['eu-west', 'us-east']);
  });

  it('places a user at its latest connection’s region, else at its home, else nowhere', () => {
    const model = modelOf(
      history().start().user('u1', 'eu-west').user('u2', 'eu-west').up('u2', 'us-east', 1).events,
    );
    expect(model.users.get('u1')).toMatchObject({
      user: 'u1',
      home: 'eu-west',
      region: undefined,
      connUps: 0,
    });
    expect(regionOfUser(model, 'u1')).toBe('eu-west');
    expect(regionOfUser(model, 'u2')).toBe('us-east');
    expect(regionOfUser(model, 'ghost')).toBeUndefined();
    expect(model.users.has('ghost')).toBe(false);
  });

  it('creates a user record on first use and returns the same one afterwards', () => {
    const model = createRunModel();
    const u = userOf(model, 'u9');
    expect(u).toEqual({
      user: 'u9',
      home: undefined,
      region: undefined,
      sessions: [],
      connUps: 0,
      lastConnUpT: Number.NaN,
      failovers: [],
      convs: [],
    });
    u.connUps = 4;
    expect(userOf(model, 'u9').connUps).toBe(4);
    expect(model.users.size).toBe(1);
  });

  it('keeps each session’s connections as [up, down] pairs with their regions; a second up closes the open one', () => {
    const model = modelOf(
      history()
        .start()
        .up('u1', 'eu-west', 1)
        .down('u1', 'eu-west', 3)
        .down('u1', 'eu-west', 4)
        .up('u1', 'us-east', 5)
        .up('u1', 'eu-west', 8).events,
    );
    const s = model.sessions.get('s-u1');
    expect(s?.intervals).toEqual([at(1), at(3), at(5), at(8), at(8), Number.NaN]);
    expect(s?.intervalRegions).toEqual(['eu-west', 'us-east', 'eu-west']);
    expect(s).toMatchObject({ id: 's-u1', user: 'u1', up: true, region: 'eu-west' });
    expect(s?.owner).toBe(model.users.get('u1'));
    expect(model.users.get('u1')).toMatchObject({ region: 'eu-west', connUps: 3, lastConnUpT: at(8) });
    expect(model.users.get('u1')?.sessions).toEqual([s]);
    expect(model.sawConnections).toBe(true);
  });

  it('marks a session down on conn_down and keeps the closed interval as it was', () => {
    const model = modelOf(history().start().up('u1', 'eu-west', 1).down('u1', 'eu-west', 2).events);
    expect(model.sessions.get('s-u1')).toMatchObject({ up: false, intervals: [at(1), at(2)] });
    expect(model.sawConnections).toBe(true);
  });

  it('does not count a conn_down alone as a connection', () => {
    const model = modelOf(history().start().down('u1', 'eu-west', 2).events);
    expect(model.sessions.get('s-u1')).toMatchObject({ up: false, intervals: [], region: undefined });
    expect(model.sawConnections).toBe(false);
  });

  it('records failovers per user, and the session they happened on', () => {
    const model = modelOf(
      history().start().failover('u1', 'eu-west', 'us-east', 4).failover('u1', 'us-east', 'eu-west', 9, 's2')
        .events,
    );
    expect(model.users.get('u1')?.failovers).toEqual([
      { t: at(4), from: 'eu-west', to: 'us-east' },
      { t: at(9), from: 'us-east', to: 'eu-west' },
    ]);
    expect([...model.sessions.keys()]).toEqual(['s-u1', 's2']);
    expect(model.users.get('u1')?.sessions.map((s) => s.id)).toEqual(['s-u1', 's2']);
  });
});

describe('the run model: faults and phases', () => {
  it('records a fault with its regions and label, and ends it at its first fault_stop only', () => {
    const model = modelOf(
      history()
        .start()
        .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 2)
        .faultStart('f2', 'clockSkew', '', [], 3)
        .faultStop('f1', 5)
        .faultStop('f1', 7)
        .faultStop('nope', 8).events,
    );
    expect(model.faults).toEqual([
      {
        id: 'f1',
        kind: 'regionOutage',
        target: 'eu-west',
        regions: ['eu-west'],
        start: at(2),
        end: at(5),
        label: 'regionOutage(eu-west)',
      },
      {
        id: 'f2',
        kind: 'clockSkew',
        target: '',
        regions: [],
        start: at(3),
        end: Number.NaN,
        label: 'clockSkew',
      },
    ]);
    expect(model.faultsById.get('f2')).toBe(model.faults[1]);
    expect(model.faultsById.size).toBe(2);
  });

  it('gives a fault without regions an empty region list', () => {
    const model = modelOf([
      { type: 'fault_start', t: at(1), faultId: 'f', kind: 'partition', target: 'a|b' },
    ]);
    expect(model.faults[0]?.regions).toEqual([]);
    expect(model.faults[0]?.label).toBe('partition(a|b)');
  });

  it('gives a fault_start handed to observe unparsed, without a region list, no regions', () => {
    const model = createRunModel();
    const raw = { type: 'fault_start', t: at(1), faultId: 'f', kind: 'partition', target: '' };
    observe(model, raw as unknown as HistoryEvent);
    expect(model.faults[0]?.regions).toEqual([]);
  });

  it('names a fault by kind, with its target in brackets when there is one', () => {
    expect(faultLabel('regionOutage', 'eu-west')).toBe('regionOutage(eu-west)');
    expect(faultLabel('clockSkew', '')).toBe('clockSkew');
  });

  it('is "before" until a fault starts, "fault" from its start up to (not including) its end, then "after"', () => {
    const model = modelOf(
      history()
        .start()
        .faultStart('f1', 'k', '', [], 10)
        .faultStop('f1', 20)
        .faultStart('f2', 'k', '', [], 30).events,
    );
    expect(phaseAt(model, at(9.999))).toBe('before');
    expect(phaseAt(model, at(10))).toBe('fault');
    expect(phaseAt(model, at(19.999))).toBe('fault');
    expect(phaseAt(model, at(20))).toBe('after');
    expect(phaseAt(model, at(29))).toBe('after');
    expect(phaseAt(model, at(30))).toBe('fault');
    expect(phaseAt(model, at(1000))).toBe('fault');
    expect(phaseAt(createRunModel(), at(5))).toBe('before');
  });

  it('lists the faults active at a time: started at or before it, not yet stopped', () => {
    const model = modelOf(
      history()
        .start()
        .faultStart('f1', 'k', 'a', [], 10)
        .faultStop('f1', 20)
        .faultStart('f2', 'k', 'b', [], 15).events,
    );
    const ids = (t: number): string[] => activeFaultsAt(model, t).map((f) => f.id);
    expect(ids(at(9))).toEqual([]);
    expect(ids(at(10))).toEqual(['f1']);
    expect(ids(at(15))).toEqual(['f1', 'f2']);
    expect(ids(at(20))).toEqual(['f2']);
    expect(ids(at(500))).toEqual(['f2']);
  });

  it('records phase marks in order with their times', () => {
    const model = modelOf(history().start().phase('load_start', 1).phase('load_stop', 9).events);
    expect(model.phases).toEqual([
      { name: 'load_start', t: at(1) },
      { name: 'load_stop', t: at(9) },
    ]);
  });
});

describe('the run model: one record per message', () => {
  it('records a send with its times, region and the phase at its intended time', () => {
    const model = modelOf(
      stage()
        .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
        .faultStop('f1', 20)
        .send('u1', 'c1', 'm1', 21, 15)
        .send('u3', 'c1', 'm2', 22, 22, 'eu-west').events,
    );
    const m1 = record(model, 'c1', 'u1', 'm1');
    expect(m1).toEqual({
      id: 0,
      conv: 'c1',
      from: 'u1',
      cmid: 'm1',
      sendT: at(21),
      intendedAt: at(15),
      sendRegion: 'eu-west',
      phase: 'fault',
      acked: false,
      ackT: Number.NaN,
      seq: Number.NaN,
      level: undefined,
      ackRegion: undefined,
      failedT: Number.NaN,
      failReason: undefined,
      indeterminateT: Number.NaN,
      indeterminateReason: undefined,
      firstDeliveryT: Number.NaN,
      deliveries: 0,
      firstSeq: Number.NaN,
      receipts: undefined,
    });
    // The send names its region: that wins over the user's connection (us-east).
    expect(record(model, 'c1', 'u3', 'm2')).toMatchObject({ id: 1, sendRegion: 'eu-west', phase: 'after' });
    expect(model.messages).toEqual([m1, record(model, 'c1', 'u3', 'm2')]);
  });

  it('takes a send’s region from the sender’s connection, else its home, else leaves it unknown', () => {
    const model = modelOf(
      history()
        .start()
        .user('u1', 'eu-west')
        .user('u2', 'eu-west')
        .up('u2', 'us-east', 1)
        .send('u1', 'c1', 'm1', 2)
        .send('u2', 'c1', 'm2', 2)
        .send('u3', 'c1', 'm3', 2).events,
    );
    expect(record(model, 'c1', 'u1', 'm1').sendRegion).toBe('eu-west');
    expect(record(model, 'c1', 'u2', 'm2').sendRegion).toBe('us-east');
    expect(record(model, 'c1', 'u3', 'm3').sendRegion).toBeUndefined();
  });

  it('keeps the first send of a message when it is sent again', () => {
    const model = modelOf(
      stage().send('u1', 'c1', 'm1', 2, 1.5).send('u1', 'c1', 'm1', 4, 3.5, 'us-east').events,
    );
    expect(model.messages).toHaveLength(1);
    expect(record(model, 'c1', 'u1', 'm1')).toMatchObject({
      sendT: at(2),
      intendedAt: at(1.5),
      sendRegion: 'eu-west',
    });
  });

  it('re-judges the phase of a message acked after its fault by its intended send time once its send shows up', () => {
    const model = modelOf(
      stage()
        .faultStart('f1', 'k', '', [], 10)
        .faultStop('f1', 20)
        .ack('u1', 'c1', 'm1', 1, 25)
        .send('u1', 'c1', 'm1', 26, 15).events,
    );
    expect(record(model, 'c1', 'u1', 'm1')).toMatchObject({ phase: 'fault', sendT: at(26), acked: true });
  });

  it('gives a message whose send was never seen the phase at its first sighting', () => {
    const model = modelOf(stage().faultStart('f1', 'k', '', [], 10).ack('u1', 'c1', 'm1', 1, 12).events);
    expect(record(model, 'c1', 'u1', 'm1')).toMatchObject({ phase: 'fault', sendT: Number.NaN });
  });

  it('records the first ack only, with the run’s ack level and the sender’s region when the ack names neither', () => {
    const model = modelOf(
      history()
        .start(['eu-west', 'us-east'], 'replicated')
        .user('u1', 'eu-west')
        .acked('u1', 'c1', 'm1', 1, 7, 1.5)
        .ack('u1', 'c1', 'm1', 9, 2, 'stored', 'us-east')
        .ack('u1', 'c1', 'm2', 8, 3, 'stored', 'us-east').events,
    );
    expect(record(model, 'c1', 'u1', 'm1')).toMatchObject({
      acked: true,
      ackT: at(1.5),
      seq: 7,
      firstSeq: 7,
      level: 'replicated',
      ackRegion: 'eu-west',
    });
    expect(record(model, 'c1', 'u1', 'm2')).toMatchObject({
      acked: true,
      ackT: at(3),
      seq: 8,
      firstSeq: 8,
      level: 'stored',
      ackRegion: 'us-east',
      sendT: Number.NaN,
    });
  });

  it('keeps the seq of a delivery seen before the ack as the first seq, and the ack’s as the seq', () => {
    const model = modelOf(
      stage().send('u1', 'c1', 'm1', 1).deliver('u2', 'c1', 'u1', 'm1', 4, 1.1).ack('u1', 'c1', 'm1', 5, 1.2)
        .events,
    );
    expect(record(model, 'c1', 'u1', 'm1')).toMatchObject({
      firstSeq: 4,
      seq: 5,
      acked: true,
      ackT: at(1.2),
    });
  });

  it('records the first failure and the first indeterminate outcome with their reasons', () => {
    const model = modelOf(
      stage()
        .send('u1', 'c1', 'm1', 1)
        .failed('u1', 'c1', 'm1', 2, 'rejected')
        .failed('u1', 'c1', 'm1', 3, 'again')
        .indeterminate('u1', 'c1', 'm1', 4)
        .events.concat({
          type: 'send_indeterminate',
          t: at(5),
          user: 'u1',
          conv: 'c1',
          cmid: 'm1',
          reason: 'later',
        }),
    );
    expect(record(model, 'c1', 'u1', 'm1')).toMatchObject({
      failedT: at(2),
      failReason: 'rejected',
      indeterminateT: at(4),
      indeterminateReason: 'timeout',
      acked: false,
    });
  });

  it('points `current` at the message each send, ack, outcome or delivery is about', () => {
    const model = modelOf(stage().events);
    const kinds: HistoryEvent[] = [
      { type: 'send', t: at(1), intendedAt: at(1), user: 'u1', conv: 'c1', cmid: 'm1' },
      { type: 'ack', t: at(1), user: 'u1', conv: 'c1', cmid: 'm2', seq: 1 },
      { type: 'send_failed', t: at(1), user: 'u1', conv: 'c1', cmid: 'm3', reason: 'x' },
      { type: 'send_indeterminate', t: at(1), user: 'u1', conv: 'c1', cmid: 'm4', reason: 'x' },
      {
        type: 'deliver',
        t: at(1),
        user: 'u2',
        session: 's-u2',
        conv: 'c1',
        cmid: 'm5',
        from: 'u1',
        seq: 2,
        via: 'push',
      },
    ];
    kinds.forEach((e, i) => {
      step(model, e);
      expect(model.current).toBe(model.messages[i]);
      expect(model.current?.cmid).toBe(`m${i + 1}`);
    });
  });
});

describe('the run model: deliveries', () => {
  it('records a first delivery: the session’s seq, the message’s first delivery time and seq, and a first-to-user mark', () => {
    const model = modelOf(stage().send('u1', 'c1', 'm1', 1).deliver('u2', 'c1', 'u1', 'm1', 3, 1.5).events);
    const m = record(model, 'c1', 'u1', 'm1');
    expect(m).toMatchObject({ firstDeliveryT: at(1.5), firstSeq: 3, deliveries: 1 });
    expect(deliveredSeq(model, 's-u2', m)).toBe(3);
    expect(model.current).toBe(m);
    expect(model.currentFirstToUser).toBe(true);
    expect(model.currentRepeatOf).toBeNaN();
    expect(model.ownEcho).toBe(false);
    expect(wasDelivered(model, 'u2', m)).toBe(true);
    expect(wasDelivered(model, 'u3', m)).toBe(false);
    expect(wasDelivered(model, 'ghost', m)).toBe(false);
  });

  it('marks a second delivery to the same session as a repeat of the seq it first came at', () => {
    const model = modelOf(
      stage().deliver('u2', 'c1', 'u1', 'm1', 3, 1.5).deliver('u2', 'c1', 'u1', 'm1', 4, 2.5, { via: 'sync' })
        .events,
    );
    const m = record(model, 'c1', 'u1', 'm1');
    expect(model.currentRepeatOf).toBe(3);
    expect(model.currentFirstToUser).toBe(false);
    expect(deliveredSeq(model, 's-u2', m)).toBe(3);
    expect(m).toMatchObject({ firstDeliveryT: at(1.5), firstSeq: 3, deliveries: 2 });
  });

  it('does not count a delivery as first to a user whose other session already had it, nor as a repeat', () => {
    const model = modelOf(stage().deliver('u2', 'c1', 'u1', 'm1', 3, 1.5).events);
    const deliver = (session: string, cmid: string, s: number): RunModel =>
      step(model, {
        type: 'deliver',
        t: at(s),
        user: 'u2',
        session,
        conv: 'c1',
        cmid,
        from: 'u1',
        seq: 3,
        via: 'push',
      });
    expect(model.currentFirstToUser).toBe(true);
    deliver('phone', 'm1', 1.6);
    expect(model.currentFirstToUser).toBe(false);
    expect(model.currentRepeatOf).toBeNaN();
    deliver('tablet', 'm1', 1.7);
    expect(model.currentFirstToUser).toBe(false);
    expect(model.currentRepeatOf).toBeNaN();
    // A message only this session got is still a first for the user, with two other sessions around.
    deliver('tablet', 'm2', 1.8);
    expect(model.currentFirstToUser).toBe(true);
    const m1 = record(model, 'c1', 'u1', 'm1');
    expect(m1.deliveries).toBe(3);
    expect(['s-u2', 'phone', 'tablet'].map((s) => deliveredSeq(model, s, m1))).toEqual([3, 3, 3]);
  });

  it('notices a user receiving its own message (the target echoes sends back)', () => {
    const model = modelOf(stage().deliver('u1', 'c1', 'u1', 'm1', 1, 1).events);
    expect(model.ownEcho).toBe(true);
  });

  it('after a reset, takes a redelivery past the reset seq as a new delivery, not a repeat nor a first', () => {
    const model = modelOf(
      stage()
        .deliver('u2', 'c1', 'u1', 'm1', 1, 1)
        .deliver('u2', 'c1', 'u1', 'm2', 2, 1.1)
        .deliver('u2', 'c1', 'u1', 'm3', 3, 1.2)
        .deliver('u2', 'c2', 'u1', 'm4', 9, 1.3)
        .reset('u2', 'c1', 1, 2).events,
    );
    const [m1, m2, m3, m4] = ['m1', 'm2', 'm3']
      .map((c) => record(model, 'c1', 'u1', c))
      .concat(record(model, 'c2', 'u1', 'm4'));
    expect(deliveredSeq(model, 's-u2', m1!)).toBe(1);
    expect(deliveredSeq(model, 's-u2', m2!)).toBe(Number.NEGATIVE_INFINITY);
    expect(deliveredSeq(model, 's-u2', m3!)).toBe(Number.NEGATIVE_INFINITY);
    expect(deliveredSeq(model, 's-u2', m4!)).toBe(9);
    // The user still counts as having had them.
    expect(wasDelivered(model, 'u2', m2!)).toBe(true);
    step(model, {
      type: 'deliver',
      t: at(3),
      user: 'u2',
      session: 's-u2',
      conv: 'c1',
      cmid: 'm2',
      from: 'u1',
      seq: 5,
      via: 'sync',
    });
    expect(model.currentRepeatOf).toBeNaN();
    expect(model.currentFirstToUser).toBe(false);
    expect(deliveredSeq(model, 's-u2', m2!)).toBe(5);
    expect(m2?.deliveries).toBe(2);
    // A second reset drops it again; a reset of a session never seen changes nothing.
    step(model, { type: 'reset', t: at(4), user: 'u2', session: 's-u2', conv: 'c1', seq: 4, reason: 'r' });
    step(model, { type: 'reset', t: at(4), user: 'u9', session: 'nobody', conv: 'c1', seq: 0, reason: 'r' });
    expect(deliveredSeq(model, 's-u2', m2!)).toBe(Number.NEGATIVE_INFINITY);
    expect(model.sessions.has('nobody')).toBe(false);
  });

  it('clears what the previous event was about before each event', () => {
    const model = modelOf(
      stage().deliver('u2', 'c1', 'u1', 'm1', 1, 1).deliver('u2', 'c1', 'u1', 'm1', 1, 1.1).events,
    );
    expect(model.currentRepeatOf).toBe(1);
    step(model, { type: 'phase', t: at(2), name: 'load_stop' });
    expect(model.current).toBeUndefined();
    expect(model.currentRepeatOf).toBeNaN();
    step(model, {
      type: 'deliver',
      t: at(3),
      user: 'u3',
      session: 's-u3',
      conv: 'c1',
      cmid: 'm1',
      from: 'u1',
      seq: 1,
      via: 'push',
    });
    expect(model.currentFirstToUser).toBe(true);
    step(model, { type: 'final_read', t: at(4), region: 'eu-west', conv: 'c1', ok: true, messages: [] });
    expect(model.currentRead).toEqual([]);
    expect(model.currentFirstToUser).toBe(false);
    step(model, { type: 'run_end', t: at(5) });
    expect(model.currentRead).toBeUndefined();
  });
});

describe('the run model: final reads', () => {
  it('links each entry of a final read to its message, and gives unseen messages their seq from an ok read', () => {
    const model = modelOf(
      stage()
        .send('u1', 'c1', 'm1', 1)
        .acked('u1', 'c1', 'm2', 2, 9, 2.1)
        .finalRead('eu-west', 'c1', 29, [4, 'u1', 'm1'], [5, 'u1', 'm2'], [6, 'u3', 'never-sent']).events,
    );
    const m1 = record(model, 'c1', 'u1', 'm1');
    const m2 = record(model, 'c1', 'u1', 'm2');
    expect(m1.firstSeq).toBe(4);
    expect(m2.firstSeq).toBe(9);
    expect(model.currentRead).toEqual([m1, m2, undefined]);
    expect(model.messages).toHaveLength(2);
    const read = model.finalReads.get('c1')?.get('eu-west');
    expect(read).toEqual({
      region: 'eu-west',
      conv: 'c1',
      t: at(29),
      ok: true,
      error: undefined,
      messages: [
        { seq: 4, from: 'u1', cmid: 'm1' },
        { seq: 5, from: 'u1', cmid: 'm2' },
        { seq: 6, from: 'u3', cmid: 'never-sent' },
      ],
      records: [m1, m2, undefined],
    });
  });

  it('takes no seq from a failed read', () => {
    const model = modelOf(stage().send('u1', 'c1', 'm1', 1).events);
    step(model, {
      type: 'final_read',
      t: at(29),
      region: 'eu-west',
      conv: 'c1',
      ok: false,
      error: 'timeout',
      messages: [{ seq: 4, from: 'u1', cmid: 'm1' }],
    });
    expect(record(model, 'c1', 'u1', 'm1').firstSeq).toBeNaN();
    expect(model.finalReads.get('c1')?.get('eu-west')).toMatchObject({ ok: false, error: 'timeout' });
  });

  it('keeps, per conversation and region, the last ok read; a failed read replaces only a failed one', () => {
    const model = modelOf(
      stage()
        .failedRead('eu-west', 'c1', 20, 'first failure')
        .failedRead('eu-west', 'c1', 21, 'second failure')
        .finalRead('us-east', 'c1', 22, [1, 'u1', 'm1'])
        .finalRead('us-east', 'c1', 23, [1, 'u1', 'm1'])
        .failedRead('us-east', 'c1', 24, 'late failure')
        .finalRead('us-east', 'c2', 25).events,
    );
    expect(model.finalReads.get('c1')?.get('eu-west')).toMatchObject({
      t: at(21),
      ok: false,
      error: 'second failure',
    });
    expect(model.finalReads.get('c1')?.get('us-east')).toMatchObject({ t: at(23), ok: true });
    expect(model.finalReads.get('c2')?.get('us-east')).toMatchObject({
      t: at(25),
      conv: 'c2',
      region: 'us-east',
    });
    expect(model.finalReads.get('c1')?.size).toBe(2);
    // An ok read after failed ones replaces them.
    step(model, { type: 'final_read', t: at(26), region: 'eu-west', conv: 'c1', ok: true, messages: [] });
    expect(model.finalReads.get('c1')?.get('eu-west')).toMatchObject({ t: at(26), ok: true });
  });
});

describe('the run model: generator health and the run end', () => {
  it('counts health reports and marks the run invalid on a bad one, keeping distinct reasons', () => {
    const model = modelOf(
      history()
        .start()
        .health(true, 1)
        .health(false, 2, 'event loop stalled')
        .health(false, 3, 'event loop stalled')
        .health(false, 4).events,
    );
    expect(model.health).toEqual({
      reports: 4,
      invalid: true,
      reasons: ['event loop stalled', 'send lag p99 900 ms'],
    });
  });

  it('keeps the run valid while every health report is ok', () => {
    const model = modelOf(history().start().health(true, 1).health(true, 2, 'fine').events);
    expect(model.health).toEqual({ reports: 2, invalid: false, reasons: [] });
  });

  it('keeps at most ten reasons', () => {
    const b = history().start();
    for (let i = 0; i < 12; i++) b.health(false, i + 1, `reason ${i}`);
    const model = modelOf(b.events);
    expect(model.health.reports).toBe(12);
    expect(model.health.reasons).toEqual(Array.from({ length: 10 }, (_, i) => `reason ${i}`));
  });

  it('ends observation at run_end, else at the last event', () => {
    const cut = modelOf(history().start().phase('load_start', 1).phase('load_stop', 4).events);
    expect(endTime(cut)).toBe(at(4));
    const ended = modelOf(history().start().end(6).phase('healed', 8).events);
    expect(ended.runEndT).toBe(at(6));
    expect(endTime(ended)).toBe(at(6));
  });

  it('counts seconds from time zero, rounded to a tenth', () => {
    const model = modelOf(history().start().events);
    expect(relSeconds(model, T0)).toBe(0);
    expect(relSeconds(model, T0 + 1234)).toBe(1.2);
    expect(relSeconds(model, T0 + 1250)).toBe(1.3);
    expect(relSeconds(model, T0 + 99_949)).toBe(99.9);
    expect(relSeconds(model, T0 - 500)).toBe(-0.5);
  });
});

describe('message lookups', () => {
  it('tells apart messages that share a cmid in other conversations or from other senders', () => {
    const model = modelOf(
      stage()
        .send('u1', 'c1', 'dup', 1)
        .send('u2', 'c1', 'dup', 2)
        .send('u1', 'c2', 'dup', 3)
        .ack('u2', 'c1', 'dup', 7, 4)
        .ack('u1', 'c2', 'dup', 8, 5).events,
    );
    expect(model.messages.map((m) => [m.id, m.conv, m.from, m.seq])).toEqual([
      [0, 'c1', 'u1', Number.NaN],
      [1, 'c1', 'u2', 7],
      [2, 'c2', 'u1', 8],
    ]);
    expect(findMessage(model, 'c1', 'u1', 'dup')).toBe(model.messages[0]);
    expect(findMessage(model, 'c1', 'u2', 'dup')).toBe(model.messages[1]);
    expect(findMessage(model, 'c2', 'u1', 'dup')).toBe(model.messages[2]);
    expect(findMessage(model, 'c2', 'u2', 'dup')).toBeUndefined();
    expect(findMessage(model, 'c3', 'u1', 'dup')).toBeUndefined();
    expect(findMessage(model, 'c1', 'u1', 'other')).toBeUndefined();
    expect(model.byCmid.get('dup')).toBe(model.messages[0]);
    // Only the cmid's later holders go to the nested index: unique cmids cost one map entry.
    expect(model.index.get('c1')?.get('u1')).toBeUndefined();
    expect(model.index.get('c1')?.get('u2')?.get('dup')).toBe(model.messages[1]);
    expect(model.index.get('c2')?.get('u1')?.get('dup')).toBe(model.messages[2]);
  });

  it('creates a message record once, with the phase at the time it was first named, and dense ids', () => {
    const model = modelOf(stage().faultStart('f', 'k', '', [], 10).events);
    const a = messageOf(model, 'c1', 'u1', 'a', at(5));
    const b = messageOf(model, 'c1', 'u1', 'b', at(11));
    expect([a.id, a.phase, b.id, b.phase]).toEqual([0, 'before', 1, 'fault']);
    expect(messageOf(model, 'c1', 'u1', 'a', at(50))).toBe(a);
    expect(messageOf(model, 'c2', 'u1', 'a', at(50)).id).toBe(2);
    expect(messageOf(model, 'c2', 'u1', 'a', at(50)).id).toBe(2);
    expect(model.messages).toHaveLength(3);
  });
});

describe('ingest: the schema gate', () => {
  it('passes a valid hot event through as it is, and parses any other valid event with its defaults', () => {
    const model = createRunModel();
    const send = { type: 'send', t: 1, intendedAt: 1, user: 'u', conv: 'c', cmid: 'm' };
    expect(ingest(model, send)).toBe(send);
    const fault = { type: 'fault_start', t: 1, faultId: 'f', kind: 'k', target: '' };
    expect(ingest(model, fault)).toEqual({ ...fault, regions: [] });
    expect(model.invalidEvents).toBe(0);
    expect(model.firstInvalid).toBeUndefined();
  });

  it('counts invalid events and describes the first: its type, its position and what is wrong', () => {
    const model = modelOf([
      { type: 'run_start', t: T0, runId: 'r', scenario: 's', seed: 1, regions: ['x'] },
      { type: 'user', t: T0, user: '', region: 'x' },
      { type: 'send', t: T0 },
      { type: 'phase', t: T0, name: 'load_start' },
    ]);
    expect(model.events).toBe(2);
    expect(model.invalidEvents).toBe(2);
    expect(model.firstInvalid).toBe('user #2: user: Too small: expected string to have >=1 characters');
  });

  it('numbers an invalid event by its place among all events, valid and invalid', () => {
    const model = modelOf([
      { type: 'phase', t: T0, name: 'load_start' },
      { type: 'phase', t: T0, name: 'load_start' },
      { type: 'send', t: T0, intendedAt: T0, user: 'u', conv: 'c' },
    ]);
    expect(model.firstInvalid).toBe('send #3: cmid: Invalid input: expected string, received undefined');
  });

  it('names a nested field by its dotted path', () => {
    const model = modelOf([
      {
        type: 'final_read',
        t: T0,
        region: 'eu-west',
        conv: 'c1',
        ok: true,
        messages: [{ seq: 1, cmid: '', from: 'u1' }],
      },
    ]);
    expect(model.firstInvalid).toBe(
      'final_read #1: messages.0.cmid: Too small: expected string to have >=1 characters',
    );
  });

  it('calls an event without a usable type "event" and a problem with the whole value "(root)"', () => {
    const notObject = modelOf([42]);
    expect(notObject.firstInvalid).toBe('event #1: (root): Invalid input: expected object, received number');
    expect(modelOf([null]).firstInvalid).toBe(
      'event #1: (root): Invalid input: expected object, received null',
    );
    expect(modelOf([undefined]).firstInvalid).toBe(
      'event #1: (root): Invalid input: expected object, received undefined',
    );
    expect(modelOf(['send']).firstInvalid).toBe(
      'event #1: (root): Invalid input: expected object, received string',
    );
    const noType = modelOf([{ t: 1, type: 7 }]);
    expect(noType.firstInvalid).toMatch(
      /^event #1: type: Invalid discriminator value\. Expected 'run_start' \| /,
    );
    expect(notObject.events).toBe(0);
    expect(notObject.invalidEvents).toBe(1);
  });
});

describe('runChecker', () => {
  /** A checker that reports what it was shown and the duration it was given. */
  function spy(options: CheckOptions) {
    const seen: string[] = [];
    return {
      name: 'spy',
      add(e: HistoryEvent, model: RunModel) {
        seen.push(`${e.type}@${model.events}`);
      },
      finish(model: RunModel, metrics: MetricStore) {
        return { seen, options, durationMs: metrics.durationMs, invalid: model.invalidEvents };
      },
    };
  }

  it('feeds the checker every valid event after the model took it in, and gives it the run’s duration', () => {
    const [start, ...rest] = history().start().phase('load_start', 1).end(12.5).events;
    const bogus = { type: 'bogus', t: 5 } as unknown as HistoryEvent;
    const r = runChecker(spy, [start as HistoryEvent, bogus, ...rest], { maxExamples: 3 });
    expect(r).toEqual({
      seen: ['run_start@1', 'phase@2', 'run_end@3'],
      options: { maxExamples: 3, deliveryGraceMs: 5000 },
      durationMs: 12_500,
      invalid: 1,
    });
  });

  it('measures a killed run to its last event and an empty one as zero', () => {
    expect(runChecker(spy, history().start().phase('load_start', 3).events).durationMs).toBe(3000);
    expect(runChecker(spy, []).durationMs).toBe(0);
    expect(runChecker(spy, history().phase('load_start', 3).events).durationMs).toBe(0);
  });

  it('never gives a negative duration, even when run_end comes before time zero', () => {
    const events: HistoryEvent[] = [
      { type: 'run_end', t: T0 },
      ...history()
        .start()
        .events.map((e) => ({ ...e, t: T0 + 4000 })),
    ];
    expect(runChecker(spy, events).durationMs).toBe(0);
  });
});

describe('hadQuietConnection: did a member have its chance to receive?', () => {
  const GRACE = 5000;

  it('without any connection events, counts everyone connected from the run start (or the ack) to the end', () => {
    const model = modelOf(history().start().phase('load_start', 1).end(10).events);
    expect(hadQuietConnection(model, 'anyone', at(5), GRACE)).toBe(true);
    expect(hadQuietConnection(model, 'anyone', at(5.001), GRACE)).toBe(false);
    // An ack "before" the run start counts from the start.
    expect(hadQuietConnection(model, 'anyone', at(-20), 10_000)).toBe(true);
    expect(hadQuietConnection(model, 'anyone', at(-20), 10_001)).toBe(false);
  });

  it('needs the grace in one stretch of one connection after the ack', () => {
    const model = modelOf(
      history()
        .start()
        .up('u1', 'eu-west', 1)
        .down('u1', 'eu-west', 4)
        .up('u1', 'eu-west', 6)
        .down('u1', 'eu-west', 9)
        .up('u2', 'eu-west', 1)
        .down('u2', 'eu-west', 7)
        .end(30).events,
    );
    // u1 was up 3 s twice: never 5 s in one go.
    expect(hadQuietConnection(model, 'u1', at(0), GRACE)).toBe(false);
    expect(hadQuietConnection(model, 'u1', at(0), 3000)).toBe(true);
    // u2 was up 1 → 7: 5 s from 2, not from 2.001.
    expect(hadQuietConnection(model, 'u2', at(2), GRACE)).toBe(true);
    expect(hadQuietConnection(model, 'u2', at(2.001), GRACE)).toBe(false);
    expect(hadQuietConnection(model, 'ghost', at(0), 0)).toBe(false);
  });

  it('counts a connection still open as lasting to the end of the run', () => {
    const model = modelOf(history().start().up('u1', 'eu-west', 20).end(25).events);
    expect(hadQuietConnection(model, 'u1', at(20), GRACE)).toBe(true);
    expect(hadQuietConnection(model, 'u1', at(20.5), GRACE)).toBe(false);
  });

  it('looks at every session of the user', () => {
    const model = modelOf(
      history()
        .start()
        .up('u1', 'eu-west', 1, 'phone')
        .down('u1', 'eu-west', 2, 'phone')
        .up('u1', 'eu-west', 3, 'laptop')
        .down('u1', 'eu-west', 9, 'laptop')
        .end(30).events,
    );
    expect(hadQuietConnection(model, 'u1', at(1), GRACE)).toBe(true);
    expect(hadQuietConnection(model, 'u1', at(4.5), GRACE)).toBe(false);
  });

  it('does not count time inside a fault touching the connection’s region, but does count other regions’ faults', () => {
    const b = history()
      .start()
      .up('u1', 'eu-west', 0)
      .up('u2', 'us-east', 0)
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 3)
      .faultStop('f1', 8)
      .end(12);
    const model = modelOf(b.events);
    // eu-west: quiet 0–3 and 8–12 only.
    expect(hadQuietConnection(model, 'u1', at(0), GRACE)).toBe(false);
    expect(hadQuietConnection(model, 'u1', at(0), 4000)).toBe(true);
    expect(hadQuietConnection(model, 'u1', at(0), 4001)).toBe(false);
    expect(hadQuietConnection(model, 'u1', at(0), 3000)).toBe(true);
    // us-east is untouched.
    expect(hadQuietConnection(model, 'u2', at(0), 12_000)).toBe(true);
  });

  it('counts quiet time before a fault and between faults, and merges overlapping ones', () => {
    const model = modelOf(
      history()
        .start()
        .up('u1', 'eu-west', 0)
        .faultStart('a', 'k', '', ['eu-west'], 6)
        .faultStart('b', 'k', '', ['eu-west', 'us-east'], 7)
        .faultStop('b', 9)
        .faultStop('a', 12)
        .faultStart('c', 'k', '', ['eu-west'], 15)
        .faultStop('c', 16)
        .end(20).events,
    );
    // Quiet: 0–6, 12–15, 16–20.
    expect(hadQuietConnection(model, 'u1', at(0), 6000)).toBe(true);
    expect(hadQuietConnection(model, 'u1', at(0), 6001)).toBe(false);
    expect(hadQuietConnection(model, 'u1', at(1), 5000)).toBe(true);
    expect(hadQuietConnection(model, 'u1', at(1.5), 4000)).toBe(true);
    expect(hadQuietConnection(model, 'u1', at(2), 4001)).toBe(false);
    expect(hadQuietConnection(model, 'u1', at(7), 4000)).toBe(true);
    expect(hadQuietConnection(model, 'u1', at(7), 4001)).toBe(false);
    expect(hadQuietConnection(model, 'u1', at(12), 3000)).toBe(true);
  });

  it('treats a fault never stopped as lasting to the end of the run', () => {
    const model = modelOf(
      history().start().up('u1', 'eu-west', 0).faultStart('a', 'k', '', ['eu-west'], 4).end(20).events,
    );
    expect(hadQuietConnection(model, 'u1', at(0), 4000)).toBe(true);
    expect(hadQuietConnection(model, 'u1', at(0), 4001)).toBe(false);
    expect(hadQuietConnection(model, 'u1', at(5), 1)).toBe(false);
  });

  it('judges faults recorded out of start order the same as in order', () => {
    const model = modelOf(
      history()
        .start()
        .up('u1', 'eu-west', 0)
        .faultStart('late', 'k', '', ['eu-west'], 10)
        .faultStart('early', 'k', '', ['eu-west'], 2)
        .faultStop('early', 4)
        .faultStop('late', 11)
        .end(14).events,
    );
    // Quiet: 0–2, 4–10, 11–14.
    expect(hadQuietConnection(model, 'u1', at(0), 6000)).toBe(true);
    expect(hadQuietConnection(model, 'u1', at(0), 6001)).toBe(false);
  });

  it('agrees with a millisecond-by-millisecond count of quiet time on random connections and faults', () => {
    let seed = 20_260_424;
    const rnd = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * n);
    };
    const regions = ['a', 'b'];
    for (let round = 0; round < 300; round++) {
      const span = 40;
      const events: HistoryEvent[] = [
        { type: 'run_start', t: 0, runId: 'r', scenario: 's', seed: round, regions },
      ];
      // Up to three sessions with a few connections each, and up to four faults, in random order.
      const conns: { up: number; down: number; region: string }[] = [];
      for (let s = 0; s < 1 + rnd(3); s++) {
        let t = rnd(10);
        for (let c = 0; c < 1 + rnd(3) && t < span; c++) {
          const region = regions[rnd(2)] as string;
          const down = Math.min(span, t + 1 + rnd(15));
          const open = down === span && rnd(2) === 0;
          events.push({ type: 'conn_up', t, user: 'u', session: `s${s}`, region });
          if (!open)
            events.push({ type: 'conn_down', t: down, user: 'u', session: `s${s}`, region, reason: 'x' });
          conns.push({ up: t, down, region });
          t = down + rnd(4);
        }
      }
      const faults: { start: number; end: number; regions: string[] }[] = [];
      for (let f = 0; f < rnd(5); f++) {
        const start = rnd(span);
        const open = rnd(4) === 0;
        const end = open ? span : Math.min(span, start + 1 + rnd(12));
        const touched = [regions[0], regions[1]].filter(() => rnd(3) > 0) as string[];
        faults.push({ start, end, regions: touched });
        events.push({
          type: 'fault_start',
          t: start,
          faultId: `f${f}`,
          kind: 'k',
          target: '',
          regions: touched,
        });
        if (!open) events.push({ type: 'fault_stop', t: end, faultId: `f${f}` });
      }
      events.push({ type: 'run_end', t: span });
      const model = createRunModel();
      for (const e of events) observe(model, e);
      for (let q = 0; q < 5; q++) {
        const from = rnd(span);
        const grace = 1 + rnd(12);
        // The longest run of whole time units, after `from`, inside one connection, outside its region's faults.
        let best = 0;
        for (const c of conns) {
          let run = 0;
          for (let u = Math.max(c.up, from); u < c.down; u++) {
            const busy = faults.some((f) => f.regions.includes(c.region) && f.start <= u && u < f.end);
            run = busy ? 0 : run + 1;
            best = Math.max(best, run);
          }
        }
        expect(
          hadQuietConnection(model, 'u', from, grace),
          `round ${round}, from ${from}, grace ${grace}`,
        ).toBe(best >= grace);
      }
    }
  });
});

describe('isValidHotEvent: the fast path for send, ack, deliver and final_read', () => {
  const good: Record<'send' | 'ack' | 'deliver', Record<string, unknown>> = {
    send: { type: 'send', t: 1.5, intendedAt: 1.25, user: 'u', conv: 'c', cmid: 'm', region: 'r' },
    ack: { type: 'ack', ...fullAck },
    deliver: { type: 'deliver', ...fullDeliver },
  };
  const required: Record<'send' | 'ack' | 'deliver', string[]> = {
    send: ['t', 'intendedAt', 'user', 'conv', 'cmid'],
    ack: ['t', 'user', 'conv', 'cmid', 'seq'],
    deliver: ['t', 'user', 'session', 'conv', 'cmid', 'from', 'seq', 'via'],
  };
  const optional: Record<'send' | 'ack' | 'deliver', string[]> = {
    send: ['region'],
    ack: ['epoch', 'level', 'region'],
    deliver: ['region'],
  };
  /** Values each kind of field must refuse. */
  const bad: Record<string, unknown[]> = {
    t: [Number.NaN, Number.POSITIVE_INFINITY, '1', undefined],
    intendedAt: [Number.NEGATIVE_INFINITY, Number.NaN, null],
    seq: [1.5, 2 ** 53, '1', Number.NaN, undefined],
    epoch: [0.5, '0', null],
    via: ['pull', '', undefined],
    level: [1, null],
    region: [1, null],
  };
  const badString = ['', 7, null, undefined];
  const kinds = ['send', 'ack', 'deliver'] as const;

  it('accepts a full event and one without its optional fields, exactly as zod does', () => {
    for (const kind of kinds) {
      expect(isValidHotEvent(good[kind])).toBe(true);
      const bare = { ...good[kind] };
      for (const f of optional[kind]) delete bare[f];
      expect(isValidHotEvent(bare)).toBe(true);
      expect(HistoryEventSchema.safeParse(bare).success).toBe(true);
    }
    expect(isValidHotEvent({ ...good.deliver, via: 'sync' })).toBe(true);
    expect(isValidHotEvent({ ...good.send, region: '' })).toBe(true);
    expect(isValidHotEvent({ ...good.ack, level: '', epoch: -3, seq: -1 })).toBe(true);
  });

  it('refuses each invalid value of each field, as zod does', () => {
    for (const kind of kinds) {
      for (const field of [...required[kind], ...optional[kind]]) {
        for (const value of bad[field] ?? badString) {
          const e = { ...good[kind], [field]: value };
          const label = `${kind}.${field} = ${String(value)}`;
          expect(isValidHotEvent(e), label).toBe(false);
          expect(HistoryEventSchema.safeParse(e).success, label).toBe(false);
        }
      }
    }
  });

  it('refuses events missing a required field', () => {
    for (const kind of kinds) {
      for (const field of required[kind]) {
        const e = { ...good[kind] };
        delete e[field];
        expect(isValidHotEvent(e), `${kind} without ${field}`).toBe(false);
      }
    }
  });

  it('judges a final_read and each entry of its log as zod does', () => {
    const entry = { seq: 1, cmid: 'm1', from: 'u1' };
    const read = { type: 'final_read', t: 5, region: 'r', conv: 'c', ok: true, messages: [entry] };
    const same = (e: unknown, label: string, ok: boolean): void => {
      expect(isValidHotEvent(e), label).toBe(ok);
      expect(HistoryEventSchema.safeParse(e).success, label).toBe(ok);
    };
    same(read, 'full', true);
    same({ ...read, messages: [] }, 'empty log', true);
    same({ ...read, ok: false, error: 'timeout', messages: [] }, 'failed read', true);
    const badFields: [string, unknown][] = [
      ['t', Number.NaN],
      ['region', ''],
      ['conv', 7],
      ['ok', 'true'],
      ['error', 5],
      ['messages', undefined],
      ['messages', { 0: entry }],
    ];
    for (const [field, value] of badFields)
      same({ ...read, [field]: value }, `${field} = ${String(value)}`, false);
    const badEntries: unknown[] = [
      null,
      [1, 'm1', 'u1'],
      { ...entry, seq: 1.5 },
      { ...entry, seq: '1' },
      { ...entry, cmid: '' },
      { ...entry, from: undefined },
    ];
    for (const bad of badEntries)
      same({ ...read, messages: [entry, bad] }, `entry ${JSON.stringify(bad)}`, false);
    for (const field of ['t', 'region', 'conv', 'ok', 'messages']) {
      const e: Record<string, unknown> = { ...read };
      delete e[field];
      same(e, `without ${field}`, false);
    }
  });

  it('leaves every other event type and every non-object to zod', () => {
    expect(isValidHotEvent({ type: 'phase', t: 1, name: 'load_start' })).toBe(false);
    expect(isValidHotEvent({ ...good.send, type: 'send_failed', reason: 'x' })).toBe(false);
    expect(isValidHotEvent(null)).toBe(false);
    expect(isValidHotEvent('send')).toBe(false);
    expect(isValidHotEvent(undefined)).toBe(false);
    expect(isValidHotEvent([good.send])).toBe(false);
    // Not even a function that carries every field of a send.
    const fn = Object.assign(() => undefined, good.send);
    expect(isValidHotEvent(fn)).toBe(false);
    expect(HistoryEventSchema.safeParse(fn).success).toBe(false);
  });
});
