// checkRun, the one way to run a single checker over a history: what it hands back beside the
// verdict (the metrics, the model, how many events the model refused) is what tests read.
import { describe, expect, it } from 'vitest';
import type { Checker } from '../../checks/result.ts';
import { checkRun } from '../../checks/run-checker.ts';
import type { HistoryEvent } from '../../contracts/history.ts';
import { history } from './fixtures.ts';

/** A checker whose verdict is the number of events it was given. */
const counter = (): Checker<number> => {
  let n = 0;
  return {
    name: 'counter',
    add() {
      n++;
    },
    finish: () => n,
  };
};

describe('checkRun', () => {
  it('counts the events the model refused, and gives the checker only the rest', () => {
    const [start, ...rest] = history().start().phase('load_start', 1).end(12.5).events;
    const bogus = { type: 'bogus', t: 5 } as unknown as HistoryEvent;
    const run = checkRun(counter, [start as HistoryEvent, bogus, bogus, ...rest]);
    expect(run.rejected).toBe(2);
    expect(run.result).toBe(3);
    expect(run.model.events).toBe(3);
    expect(run.metrics.durationMs).toBe(12_500);
  });

  it('refuses nothing in a well-formed history', () => {
    expect(checkRun(counter, history().start().end(2).events).rejected).toBe(0);
  });
});
