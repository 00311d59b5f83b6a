// The report checks/index.ts assembles from every checker in one pass: the run's identity and
// times, the notes on what could not be judged, every check's examples in a fixed order, the
// check rows junit.xml and the console print, and the metric store thresholds read. CI gates on
// this report, so each field is pinned on small hand-built histories.
import { describe, expect, it } from 'vitest';
import { type CheckReport, checkHistory, checkRows, createCheckRun } from '../../checks/index.ts';
import { selectSink } from '../../checks/metrics.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { createRandom } from '../../lib/random.ts';
import { syntheticHistory } from '../support/synthetic.ts';
import { history, sorted, stage, T0 } from './fixtures.ts';

/** A counter's total in the report's metric store. */
function count(r: CheckReport, name: 'run_invalid' | 'acked_lost' | 'residency_violations'): number {
  const sink = selectSink(r.metrics, name);
  return sink.type === 'counter' ? sink.value : Number.NaN;
}

/**
 * One anomaly of each kind the consistency checks know, bar failed-but-appeared, divergence and
 * read-your-writes: m1 reaches u2 twice and never u3 (lost, duplicate, and seq 1 is a silent gap
 * for u3); u2 gets m3 before m2 (order) and then syncs to seq 1 (monotonic reads); the regions
 * never agree after the heal (convergence); c2, bound to eu-west, has a never-sent message in
 * us-east (unexpected, residency).
 */
function everyAnomaly(): HistoryEvent[] {
  return sorted(
    stage()
      .conv('c2', ['u1', 'u2'], ['eu-west'])
      .message('c1', 'u1', 'm1', 1, 1, ['u2'])
      .deliver('u2', 'c1', 'u1', 'm1', 1, 1.5)
      .acked('u1', 'c1', 'm2', 2, 2, 2.02)
      .acked('u1', 'c1', 'm3', 2.5, 3, 2.52)
      .deliver('u2', 'c1', 'u1', 'm3', 3, 2.6)
      .deliver('u2', 'c1', 'u1', 'm2', 2, 2.7)
      .deliver('u3', 'c1', 'u1', 'm2', 2, 2.6)
      .deliver('u3', 'c1', 'u1', 'm3', 3, 2.7)
      .synced('u2', 'c1', 0, 1, 3)
      .phase('healed', 10)
      .digest('eu-west', 'c1', 3, 3, 'aaa', 20)
      .digest('us-east', 'c1', 2, 3, 'bbb', 20)
      .finalRead('us-east', 'c2', 28, [1, 'u1', 'x1'])
      .end(30).events,
  );
}

/** A clean run: one message delivered to everyone, read in full from both regions, digests agreeing. */
function clean(): HistoryEvent[] {
  return stage()
    .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
    .phase('healed', 10)
    .digest('eu-west', 'c1', 1, 1, 'h1', 12)
    .digest('us-east', 'c1', 1, 1, 'h1', 12.5)
    .finalRead('eu-west', 'c1', 28, [1, 'u1', 'm1'])
    .finalRead('us-east', 'c1', 28, [1, 'u1', 'm1'])
    .end(30).events;
}

describe('the run header', () => {
  it('takes identity, regions and ack level from run_start and the length from run_end', () => {
    const events = history().start(['eu-west', 'us-east', 'ap-south'], 'replicated').end(42.5).events;
    const r = checkHistory(events);
    expect(r.run).toEqual({
      runId: 'fixture',
      scenario: 'fixture',
      seed: 1,
      regions: ['eu-west', 'us-east', 'ap-south'],
      ackLevel: 'replicated',
      startedAt: T0,
      durationSeconds: 42.5,
      complete: true,
      events: 2,
      invalidEvents: 0,
    });
    expect(r.metrics.durationMs).toBe(42_500);
    expect(r.notes).toEqual([]);
  });

  it('judges a clean run with no notes, no examples and every row ok', () => {
    const r = checkHistory(clean());
    expect(r.notes).toEqual([]);
    expect(r.consistency.examples).toEqual([]);
    expect(r.failoverExamples).toEqual([]);
    expect(r.consistency.convergenceSeconds).toBe(2.5);
    expect(r.consistency.convergence).toMatchObject({ judged: 1, converged: 1, unconverged: 0, healAt: 10 });
    expect(checkRows(r).filter((row) => !row.ok)).toEqual([]);
    expect(count(r, 'run_invalid')).toBe(0);
    expect(r.valid).toEqual({ ok: true, reasons: [] });
  });

  it('without run_start, times from the first event, names the regions the events name, and says so', () => {
    const events = history()
      .conv('c1', ['u1', 'u2'])
      .user('u1', 'eu-west')
      .up('u2', 'us-east', 1)
      .end(10).events;
    const r = checkHistory(events);
    expect(r.run).toEqual({
      runId: null,
      scenario: null,
      seed: null,
      regions: ['eu-west', 'us-east'],
      ackLevel: null,
      startedAt: T0 + 10,
      durationSeconds: 9.99,
      complete: true,
      events: 4,
      invalidEvents: 0,
    });
    expect(r.notes).toEqual([
      'no run_start: times are relative to the first event and regions are those events name',
      '1 conversation had neither digests nor final reads from every allowed region',
    ]);
  });

  it('without run_end, marks the run incomplete, ends it at the last event and says when', () => {
    const events = stage().message('c1', 'u1', 'm1', 1, 12.34, ['u2', 'u3']).events;
    const r = checkHistory(events);
    expect(r.run).toMatchObject({ complete: false, durationSeconds: 12.39, startedAt: T0 });
    expect(r.metrics.durationMs).toBeCloseTo(12_390, 6);
    expect(r.notes[0]).toBe(
      'no run_end: the history stops at 12.4s (a killed run?); open faults and connections were judged as ending there',
    );
  });

  it('counts no negative length when run_end comes before run_start', () => {
    const events: HistoryEvent[] = [
      { type: 'run_end', t: T0 },
      ...history()
        .start()
        .events.map((e) => ({ ...e, t: T0 + 5000 })),
    ];
    const r = checkHistory(events);
    expect(r.run.durationSeconds).toBe(0);
    expect(r.metrics.durationMs).toBe(0);
  });

  it('reports an empty history with no start, no length and one note', () => {
    const r = checkHistory([]);
    expect(r.run).toEqual({
      runId: null,
      scenario: null,
      seed: null,
      regions: [],
      ackLevel: null,
      startedAt: null,
      durationSeconds: 0,
      complete: false,
      events: 0,
      invalidEvents: 0,
    });
    expect(r.metrics.durationMs).toBe(0);
    expect(r.notes).toEqual(['the history holds no valid events: nothing was judged']);
  });
});

describe('invalid events', () => {
  it('counts and skips events that fail the schema, naming the first, and never shows them to a checker', () => {
    const events = stage().message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3']).end(30).events;
    const bad = [
      { type: 'send', t: T0 + 2000, user: 'u1', conv: 'c1', cmid: 'm2' },
      { type: 'deliver', t: 'soon' },
    ] as unknown as HistoryEvent[];
    const r = checkHistory([...events.slice(0, -1), ...bad, events[events.length - 1]!]);
    expect(r.run).toMatchObject({ events: events.length, invalidEvents: 2 });
    expect(r.load.sent).toBe(1);
    expect(r.notes).toEqual([
      `2 events did not match the history schema and were skipped (first: send #${events.length}: intendedAt: Invalid input: expected number, received undefined)`,
      'no final reads: acked messages were judged only by delivery to members, not by region logs',
      '1 conversation had neither digests nor final reads from every allowed region',
    ]);
  });

  it('notes both the empty history and the skipped events when nothing valid came', () => {
    const r = checkHistory([{ type: 'nonsense', t: 1 } as unknown as HistoryEvent]);
    expect(r.run).toMatchObject({ events: 0, invalidEvents: 1, startedAt: null });
    expect(r.notes).toHaveLength(2);
    expect(r.notes[0]).toBe('the history holds no valid events: nothing was judged');
    expect(r.notes[1]).toMatch(
      /^1 events did not match the history schema and were skipped \(first: nonsense #1: /,
    );
  });
});

describe('notes', () => {
  it('notes sends that never got an outcome', () => {
    const events = stage()
      .send('u1', 'c1', 'm1', 1)
      .send('u2', 'c1', 'm2', 2)
      .message('c1', 'u3', 'm3', 3, 3, ['u1', 'u2'])
      .finalRead('eu-west', 'c1', 28, [1, 'u3', 'm3'])
      .finalRead('us-east', 'c1', 28, [1, 'u3', 'm3'])
      .end(30).events;
    const r = checkHistory(events);
    expect(r.load).toMatchObject({ sent: 3, acked: 1, pending: 2 });
    expect(r.notes[0]).toBe('2 sends had no outcome (ack, failure or indeterminate) by the end');
  });

  it('appends the loss, convergence and session notes after its own, in that order', () => {
    const events = sorted(
      stage()
        .conv('c2', ['u1', 'u2'])
        // m9 never gets an outcome; there are no final reads and no digests; u1's sync after
        // reconnecting misses its own m1, which counts only where the target echoes senders,
        // and nobody ever receives their own message here.
        .acked('u1', 'c1', 'm1', 2, 5, 2.02)
        .down('u1', 'eu-west', 3.1)
        .up('u1', 'us-east', 4)
        .deliver('u2', 'c1', 'u1', 'm1', 5, 2.1)
        .deliver('u3', 'c1', 'u1', 'm1', 5, 2.1)
        .synced('u1', 'c1', 4, 6, 4.5)
        .send('u1', 'c1', 'm9', 5)
        .end(30).events,
    );
    const r = checkHistory(events);
    expect(r.notes).toEqual([
      '1 sends had no outcome (ack, failure or indeterminate) by the end',
      'no final reads: acked messages were judged only by delivery to members, not by region logs',
      '2 conversations had neither digests nor final reads from every allowed region',
      'no user ever received its own message, so syncs were not required to deliver the sender’s own messages',
    ]);
  });
});

describe('examples and check rows', () => {
  it('gathers every consistency check’s examples, loss first and residency last', () => {
    const r = checkHistory(everyAnomaly());
    expect(r.consistency.examples.map((e) => e.check)).toEqual([
      'acked-lost',
      'unexpected',
      'duplicates',
      'order',
      'convergence',
      'monotonic-reads',
      'silent-gaps',
      'residency',
    ]);
    expect(r.consistency).toMatchObject({
      ackedLost: 1,
      ackedLostStoredOnly: 0,
      unexpected: 1,
      failedButAppeared: 0,
      recovered: 0,
      indeterminateMissing: 0,
      duplicates: 1,
      orderViolations: 1,
      divergentConversations: 0,
      readYourWritesViolations: 0,
      monotonicReadViolations: 1,
      silentGaps: 1,
      residencyViolations: 1,
      unconvergedConversations: 1,
      convergenceSeconds: null,
    });
    expect(r.consistency.convergence).toEqual({
      ...Object.fromEntries(
        Object.entries(r.checks.convergence).filter(([k]) => k !== 'examples' && k !== 'notes'),
      ),
    });
    expect(r.consistency.convergence).not.toHaveProperty('examples');
    expect(r.consistency.convergence).not.toHaveProperty('notes');
    expect(count(r, 'acked_lost')).toBe(1);
    expect(count(r, 'residency_violations')).toBe(1);
  });

  it('lists one row per check with its count and only its own examples', () => {
    const r = checkHistory(everyAnomaly());
    const rows = checkRows(r);
    expect(rows.map((row) => [row.name, row.ok, row.actual, row.examples.length])).toEqual([
      ['acked-lost', false, 1, 1],
      ['unexpected', false, 1, 1],
      ['failed-but-appeared', true, 0, 0],
      ['duplicates', false, 1, 1],
      ['order', false, 1, 1],
      ['divergence', true, 0, 0],
      ['convergence', false, 1, 1],
      ['read-your-writes', true, 0, 0],
      ['monotonic-reads', false, 1, 1],
      ['silent-gaps', false, 1, 1],
      ['residency', false, 1, 1],
      ['run-valid', true, 0, 0],
    ]);
    const byName = new Map(rows.map((row) => [row.name, row.examples]));
    expect(byName.get('residency')).toEqual([
      'Conversation c2 may live only in eu-west, yet us-east holds 1 of its messages (first: x1 from u1, seq 1).',
    ]);
    expect(byName.get('monotonic-reads')).toEqual([
      "User u2's sync of c1 reported seq 1, but u2 had already received seq 3 at +2.6s, with no reset in between; the sync finished at +3.0s.",
    ]);
  });

  it('makes run-valid fail with the generator’s reasons and count 1 in run_invalid', () => {
    const r = checkHistory(
      stage().health(false, 5, 'event loop stalled').health(false, 6).health(true, 7).end(30).events,
    );
    expect(r.valid).toEqual({ ok: false, reasons: ['event loop stalled', 'send lag p99 900 ms'] });
    expect(checkRows(r).at(-1)).toEqual({
      name: 'run-valid',
      ok: false,
      actual: 1,
      examples: ['event loop stalled', 'send lag p99 900 ms'],
    });
    expect(count(r, 'run_invalid')).toBe(1);
  });

  it('keeps failover examples apart from consistency examples and out of the failover summary', () => {
    const r = checkHistory(
      stage()
        .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
        .down('u2', 'eu-west', 10.1)
        .send('u2', 'c1', 'm1', 12)
        .acked('u3', 'c1', 'm2', 13, 1, 13.02)
        .faultStop('f1', 20)
        .end(30).events,
    );
    expect(r.failoverExamples.map((e) => [e.check, e.user])).toEqual([
      ['failover', 'u1'],
      ['failover', 'u2'],
    ]);
    expect(r.failoverExamples).toEqual(r.checks.failover.examples);
    expect(r.failover).not.toHaveProperty('examples');
    expect(r.failover.neverRecovered).toBe(2);
    expect(r.consistency.examples.filter((e) => e.check === 'failover')).toEqual([]);
  });
});

describe('faults and phases', () => {
  it('lists fault windows and phase marks in seconds since the start, an unstopped fault with no end', () => {
    const r = checkHistory(
      stage()
        .phase('load_start', 0.5)
        .faultStart('p1', 'partition', 'eu-west', ['eu-west'], 5.04)
        .faultStop('p1', 8.26)
        .faultStart('l1', 'latency', '', [], 9)
        .phase('load_stop', 25)
        .end(30).events,
    );
    expect(r.faults).toEqual([
      { id: 'p1', kind: 'partition', target: 'eu-west', regions: ['eu-west'], at: 5, until: 8.3 },
      { id: 'l1', kind: 'latency', target: '', regions: [], at: 9, until: null },
    ]);
    expect(r.phases.marks).toEqual([
      { name: 'load_start', at: 0.5 },
      { name: 'load_stop', at: 25 },
    ]);
    expect(r.phases.counts).toBe(r.checks.latency.phaseCounts);
  });
});

describe('laws of the report', () => {
  it('a snapshot after any prefix equals the final report of the history cut there', () => {
    const events = syntheticHistory({ seed: 21, outage: true, messages: 30 });
    const run = createCheckRun();
    const rnd = createRandom(21);
    const cuts = new Set(Array.from({ length: 8 }, () => rnd.int(0, events.length - 1)));
    events.forEach((e, i) => {
      run.add(e);
      if (cuts.has(i)) {
        expect(JSON.stringify(run.snapshot())).toBe(JSON.stringify(checkHistory(events.slice(0, i + 1))));
      }
    });
    expect(JSON.stringify(run.finish())).toBe(JSON.stringify(checkHistory(events)));
  });

  it('junk events anywhere change only the invalid count and its note', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const events = syntheticHistory({ seed, outage: seed % 2 === 0, messages: 40 });
      const rnd = createRandom(seed);
      const junk = Array.from({ length: rnd.int(1, 5) }, (_, k) => ({
        type: rnd.pick(['send', 'ack', 'deliver', 'bogus']),
        t: k,
      })) as unknown as HistoryEvent[];
      const mixed = [...events];
      for (const j of junk) mixed.splice(rnd.int(0, mixed.length), 0, j);
      const a = checkHistory(events);
      const b = checkHistory(mixed);
      expect(b.run.invalidEvents).toBe(junk.length);
      expect(b.notes.filter((n) => !n.includes('did not match the history schema'))).toEqual(a.notes);
      expect(JSON.stringify({ ...b, run: { ...b.run, invalidEvents: 0 }, notes: a.notes })).toBe(
        JSON.stringify(a),
      );
    }
  });
});
