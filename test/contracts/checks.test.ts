import { describe, expect, it } from 'vitest';
import { checkHistory, checkRows, defaultThresholds } from '../../checks/index.ts';
import { METRIC_NAMES } from '../../checks/metrics.ts';
import {
  CHECK_KEYS,
  CHECKS,
  type CheckCounts,
  checkByMetric,
  checkByName,
  pickCheckCounts,
} from '../../contracts/checks.ts';

describe('the table of checks', () => {
  const infos = CHECK_KEYS.map((k) => CHECKS[k]);

  it('gives every check its own name and metric', () => {
    expect(new Set(infos.map((c) => c.name)).size).toBe(infos.length);
    expect(new Set(infos.map((c) => c.metric)).size).toBe(infos.length);
  });

  it('names a metric the checkers record, with a count==0 default threshold', () => {
    for (const c of infos) {
      expect(METRIC_NAMES as readonly string[]).toContain(c.metric);
      expect(defaultThresholds[c.metric]).toEqual(['count==0']);
    }
    expect(Object.keys(defaultThresholds).sort()).toEqual(infos.map((c) => c.metric).sort());
  });

  it('lists the checks in the same order the checkers report them', () => {
    const rows = checkRows(checkHistory([])).map((r) => r.name);
    expect(rows.slice(0, infos.length)).toEqual(infos.map((c) => c.name));
  });

  it('finds a check by name, key or metric, and nothing for an unknown one', () => {
    expect(checkByName('silent-gaps')?.key).toBe('silentGaps');
    expect(checkByName('silentGaps')?.info.name).toBe('silent-gaps');
    expect(checkByMetric('acked_lost')?.key).toBe('ackedLost');
    expect(checkByName('nope')).toBeUndefined();
    expect(checkByMetric('nope')).toBeUndefined();
  });

  it('picks exactly the check counts out of a larger record', () => {
    const counts = Object.fromEntries(CHECK_KEYS.map((k, i) => [k, i])) as CheckCounts;
    const picked = pickCheckCounts({ ...counts, extra: 9 } as CheckCounts);
    expect(picked).toEqual(counts);
    expect(Object.keys(picked)).toEqual(CHECK_KEYS);
  });
});
