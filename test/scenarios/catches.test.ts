// The detection sweep's bookkeeping: what counts as expected, the table it writes and where.
import { describe, expect, it } from 'vitest';
import {
  asExpected,
  BEGIN,
  END,
  type Outcome,
  plan,
  table,
  writeTable,
} from '../../scenarios/sweep/catches.ts';

const outcome = (o: Partial<Outcome> & Pick<Outcome, 'scenario' | 'seed' | 'bug' | 'exitCode'>): Outcome => ({
  found: [],
  thresholds: [],
  recoveryP99: null,
  seconds: 1,
  ...o,
});

describe('the catches sweep', () => {
  it('plans a clean run and one run per claimed bug, for each seed', async () => {
    const cases = await plan([1, 2], ['region-outage', 'steady-state']);
    expect(cases).toEqual([
      { scenario: 'region-outage', seed: 1, bug: null },
      { scenario: 'region-outage', seed: 1, bug: 'ack-early' },
      { scenario: 'region-outage', seed: 1, bug: 'drop-sync' },
      { scenario: 'region-outage', seed: 2, bug: null },
      { scenario: 'region-outage', seed: 2, bug: 'ack-early' },
      { scenario: 'region-outage', seed: 2, bug: 'drop-sync' },
      { scenario: 'steady-state', seed: 1, bug: null },
      { scenario: 'steady-state', seed: 1, bug: 'reorder-apply' },
      { scenario: 'steady-state', seed: 2, bug: null },
      { scenario: 'steady-state', seed: 2, bug: 'reorder-apply' },
    ]);
  });

  it('expects exit 0 clean and exit 99 with a bug; an invalid or crashed run is never as expected', () => {
    expect(asExpected(outcome({ scenario: 's', seed: 1, bug: null, exitCode: 0 }))).toBe(true);
    expect(asExpected(outcome({ scenario: 's', seed: 1, bug: null, exitCode: 99 }))).toBe(false);
    expect(asExpected(outcome({ scenario: 's', seed: 1, bug: 'ack-early', exitCode: 99 }))).toBe(true);
    expect(asExpected(outcome({ scenario: 's', seed: 1, bug: 'ack-early', exitCode: 0 }))).toBe(false);
    expect(asExpected(outcome({ scenario: 's', seed: 1, bug: 'ack-early', exitCode: 96 }))).toBe(false);
    expect(asExpected(outcome({ scenario: 's', seed: 1, bug: null, exitCode: null }))).toBe(false);
  });

  it('writes one row per scenario and bug, with the seeds that missed and the ranges found', () => {
    const text = table([
      outcome({ scenario: 'zombie', seed: 1, bug: null, exitCode: 0, recoveryP99: 2.04 }),
      outcome({ scenario: 'zombie', seed: 2, bug: null, exitCode: 0, recoveryP99: 3.46 }),
      outcome({ scenario: 'zombie', seed: 1, bug: 'no-fencing', exitCode: 99, found: ['acked-lost 80'] }),
      outcome({ scenario: 'zombie', seed: 2, bug: 'no-fencing', exitCode: 0 }),
      outcome({
        scenario: 'zombie',
        seed: 3,
        bug: 'no-fencing',
        exitCode: 99,
        found: ['acked-lost 101', 'divergence 18'],
      }),
    ]);
    const rows = text.split('\n');
    expect(rows).toHaveLength(4);
    const cells = (row: string) =>
      row
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    expect(cells(rows[2]!)).toEqual(['zombie', '(none)', 'pass (exit 0)', '2 of 2', '–', '–', '2–3.5']);
    expect(cells(rows[3]!)).toEqual([
      'zombie',
      'no-fencing',
      'caught (exit 99)',
      '2 of 3',
      '2 (exit 0)',
      'acked-lost 80–101 (2/3), divergence 18 (1/3)',
      '–',
    ]);
    // Padded like the formatter pads it: every line as long as the header, columns lined up.
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
    expect(rows[1]).toMatch(/^\| -+ \| -+ \|/);
  });

  it('replaces only what is between the markers, and refuses a document without them', () => {
    const doc = `# Scenarios\n\nbefore\n\n${BEGIN}\n\nold table\n\n${END}\n\nafter\n`;
    const out = writeTable(doc, '| new |');
    expect(out).toBe(`# Scenarios\n\nbefore\n\n${BEGIN}\n\n| new |\n\n${END}\n\nafter\n`);
    expect(writeTable(out, '| newer |')).toContain(`${BEGIN}\n\n| newer |\n\n${END}`);
    expect(() => writeTable('# no markers', 'x')).toThrow(/no <!-- catches:begin/);
  });
});
