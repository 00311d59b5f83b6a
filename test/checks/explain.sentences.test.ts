// The sentence pieces every checker explains anomalies with (checks/explain.ts): run-relative
// times, where a moment sits among the faults, message names and short lists. A user reads these
// in the report to find the moment and the fault a violation belongs to, so each piece is pinned
// word for word here.
import { describe, expect, it } from 'vitest';
import {
  at,
  capital,
  faultContext,
  list,
  messageName,
  plural,
  seqRange,
  when,
} from '../../checks/explain.ts';
import { createRunModel, observe, type RunModel } from '../../checks/model.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { history, at as ms, T0 } from './fixtures.ts';

function modelOf(events: HistoryEvent[]): RunModel {
  const model = createRunModel();
  for (const e of events) observe(model, e);
  return model;
}

/** A run with a closed partition (10–20 s) and a region outage from 40 s that never stopped. */
function faulted(): RunModel {
  return modelOf(
    history()
      .start()
      .faultStart('p1', 'partition', 'eu-west', ['eu-west'], 10)
      .faultStop('p1', 20)
      .faultStart('o1', 'regionOutage', 'us-east', ['us-east'], 40).events,
  );
}

describe('at', () => {
  it('writes a moment as signed seconds since the run start, to a tenth', () => {
    const model = modelOf(history().start().events);
    expect(at(model, ms(12.44))).toBe('+12.4s');
    expect(at(model, ms(12.46))).toBe('+12.5s');
    expect(at(model, ms(0))).toBe('+0.0s');
  });

  it('writes a moment before the run start with a minus sign and no plus', () => {
    const model = modelOf(history().start().events);
    expect(at(model, T0 - 1500)).toBe('-1.5s');
  });
});

describe('faultContext', () => {
  it('says nothing in a run without faults', () => {
    const model = modelOf(history().start().events);
    expect(faultContext(model, ms(5))).toBe('');
    expect(when(model, ms(5))).toBe('at +5.0s');
  });

  it('names the faults active at the moment', () => {
    const model = faulted();
    expect(faultContext(model, ms(10))).toBe('during partition(eu-west)');
    expect(faultContext(model, ms(19.9))).toBe('during partition(eu-west)');
    expect(faultContext(model, ms(45))).toBe('during regionOutage(us-east)');
  });

  it('lists every fault active at once', () => {
    const model = modelOf(
      history()
        .start()
        .faultStart('a', 'partition', 'eu-west', ['eu-west'], 1)
        .faultStart('b', 'latency', '', [], 2)
        .faultStart('c', 'regionOutage', 'us-east', ['us-east'], 3).events,
    );
    expect(faultContext(model, ms(2.5))).toBe('during partition(eu-west) and latency');
    expect(faultContext(model, ms(4))).toBe('during partition(eu-west), latency and regionOutage(us-east)');
  });

  it('places a moment before the first fault as before any fault, even when an open fault starts later', () => {
    const model = faulted();
    expect(faultContext(model, ms(9.9))).toBe('before any fault');
    expect(when(model, ms(5))).toBe('at +5.0s, before any fault');
  });

  it('places a moment after a fault ended (from its very stop) as after that fault', () => {
    const model = faulted();
    expect(faultContext(model, ms(20))).toBe('after partition(eu-west) ended');
    expect(faultContext(model, ms(39.9))).toBe('after partition(eu-west) ended');
    expect(when(model, ms(30))).toBe('at +30.0s, after partition(eu-west) ended');
  });

  it('names the fault that ended last, whatever the order the faults started in', () => {
    const model = modelOf(
      history()
        .start()
        .faultStart('long', 'partition', 'eu-west', ['eu-west'], 1)
        .faultStart('short', 'latency', 'us-east', ['us-east'], 2)
        .faultStop('short', 3)
        .faultStop('long', 8).events,
    );
    expect(faultContext(model, ms(5))).toBe('during partition(eu-west)');
    expect(faultContext(model, ms(9))).toBe('after partition(eu-west) ended');
    const reversed = modelOf(
      history()
        .start()
        .faultStart('short', 'latency', 'us-east', ['us-east'], 1)
        .faultStart('long', 'partition', 'eu-west', ['eu-west'], 2)
        .faultStop('long', 8)
        .faultStop('short', 3).events,
    );
    expect(faultContext(reversed, ms(9))).toBe('after partition(eu-west) ended');
    // Between the stops only the earlier one has ended.
    expect(faultContext(reversed, ms(2.5))).toBe('during latency(us-east) and partition(eu-west)');
  });

  it('names the first of two faults that ended at the same moment', () => {
    const model = modelOf(
      history()
        .start()
        .faultStart('a', 'partition', 'eu-west', ['eu-west'], 1)
        .faultStart('b', 'latency', 'us-east', ['us-east'], 2)
        .faultStop('b', 5)
        .faultStop('a', 5).events,
    );
    expect(faultContext(model, ms(6))).toBe('after partition(eu-west) ended');
  });
});

describe('when', () => {
  it('joins the time and the fault context with a comma', () => {
    expect(when(faulted(), ms(15))).toBe('at +15.0s, during partition(eu-west)');
  });
});

describe('messageName', () => {
  it('names a message by cmid, sender and conversation', () => {
    expect(messageName({ cmid: 'm42', from: 'u3', conv: 'c1' })).toBe('message m42 from u3 in c1');
  });
});

describe('list', () => {
  it('joins up to three items with commas and a final and', () => {
    expect(list([])).toBe('');
    expect(list(['a'])).toBe('a');
    expect(list(['a', 'b'])).toBe('a and b');
    expect(list(['a', 'b', 'c'])).toBe('a, b and c');
  });

  it('cuts a longer list after three items and counts the rest', () => {
    expect(list(['a', 'b', 'c', 'd'])).toBe('a, b, c and 1 more');
    expect(list(['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toBe('a, b, c and 4 more');
  });

  it('takes another cut-off when asked', () => {
    expect(list(['a', 'b', 'c', 'd', 'e'], 5)).toBe('a, b, c, d and e');
    expect(list(['a', 'b', 'c'], 2)).toBe('a, b and 1 more');
    expect(list(['a', 'b'], 1)).toBe('a and 1 more');
  });
});

describe('seqRange', () => {
  it('names one seq or a range with an en dash', () => {
    expect(seqRange(7, 7)).toBe('seq 7');
    expect(seqRange(7, 9)).toBe('seqs 7–9');
  });
});

describe('plural', () => {
  it('uses the singular for exactly one and the plural otherwise', () => {
    expect(plural(1, 'message')).toBe('1 message');
    expect(plural(0, 'message')).toBe('0 messages');
    expect(plural(2, 'message')).toBe('2 messages');
  });

  it('takes an irregular plural', () => {
    expect(plural(1, 'copy', 'copies')).toBe('1 copy');
    expect(plural(3, 'copy', 'copies')).toBe('3 copies');
  });
});

describe('capital', () => {
  it('capitalises the first letter only, and leaves an empty text empty', () => {
    expect(capital('message m1 was lost')).toBe('Message m1 was lost');
    expect(capital('x')).toBe('X');
    expect(capital('')).toBe('');
  });
});
