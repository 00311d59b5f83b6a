import { describe, expect, it } from 'vitest';
import { CHECK_KEYS } from '../../contracts/checks.ts';
import { parseSummary, SUMMARY_SCHEMA_VERSION, Summary } from '../../contracts/summary.ts';
import { generateFixture } from '../reports/fixture.ts';

describe('summary.json contract', () => {
  const built = generateFixture({ seed: 7 }).summary;

  it('is what the runner builds, field for field, at the current schema version', () => {
    expect(Summary.safeParse(built).success).toBe(true);
    expect(built.schemaVersion).toBe(SUMMARY_SCHEMA_VERSION);
    expect(Object.keys(built.consistency).slice(0, CHECK_KEYS.length)).toEqual(CHECK_KEYS);
  });

  it('refuses a written summary that leaves out a check, naming the field', () => {
    const { silentGaps: _, ...consistency } = built.consistency;
    const result = Summary.safeParse({ ...built, consistency });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['consistency.silentGaps']);
  });

  it('refuses a field the writer does not know, so the schema and the writer cannot drift', () => {
    const result = Summary.safeParse({ ...built, extra: 1 });
    expect(result.success).toBe(false);
  });

  it('reads a half-written summary leniently but names a field of the wrong type', () => {
    expect(parseSummary(JSON.stringify({ runId: 'r', consistency: { ackedLost: 2 } })).runId).toBe('r');
    expect(() => parseSummary(JSON.stringify({ load: { sent: 'many' } }), 'x/summary.json')).toThrow(
      /^x\/summary\.json: load\.sent: /,
    );
  });
});
