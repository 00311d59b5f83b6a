// A one-seed sample of `npm run catches`, sized for CI: the two scenarios whose verdicts used to
// depend on the seed, run at their own duration on seeds the sweep in docs/SCENARIOS.md did not
// use. The full sweep (every scenario, clean and with each bug it claims, on five seeds) takes
// about an hour on two cores, so it runs on demand, not here.
import { describe, expect, it } from 'vitest';
import { asExpected, runCase } from '../../scenarios/sweep/catches.ts';

describe('scenario catches on a held-out seed', () => {
  it('zombie-leader catches no-fencing', async () => {
    const o = await runCase({ scenario: 'zombie-leader', seed: 6, bug: 'no-fencing' });
    expect(asExpected(o), JSON.stringify(o)).toBe(true);
    expect(o.found.some((f) => f.startsWith('acked-lost '))).toBe(true);
  });

  it('clock-skew passes clean (it used to lose a stored ack now and then)', async () => {
    const o = await runCase({ scenario: 'clock-skew', seed: 6, bug: null });
    expect(asExpected(o), JSON.stringify(o)).toBe(true);
    expect(o.found).toEqual([]);
  });
});
