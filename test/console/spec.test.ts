// The inject form's values → the fault spec POST /api/faults takes: empty fields left out so
// the server's defaults apply, and the shapes of link, groups and pick as docs/FAULTS.md has them.
import { describe, expect, it } from 'vitest';
import { buildSpec, groups } from '../../console/src/spec.ts';
import type { FaultField } from '../../contracts/console.ts';

const field = (name: string, type: FaultField['type'], required = false): FaultField => ({
  name,
  type,
  required,
  help: '',
});
const values =
  (map: Record<string, string | boolean>) =>
  (name: string): string | boolean | undefined =>
    map[name];

describe('buildSpec', () => {
  const latency = [
    field('region', 'region'),
    field('link', 'link'),
    field('pick', 'pick'),
    field('latency', 'number', true),
    field('oneWay', 'boolean'),
    field('duration', 'duration'),
  ];

  it('leaves out empty and unchecked fields', () => {
    const built = buildSpec(
      'latency',
      latency,
      values({ region: '', latency: '250', oneWay: false, duration: ' ' }),
    );
    expect(built).toEqual({ spec: { fault: 'latency', latency: 250 } });
  });

  it('builds a link, a pick and a boolean in their spec shapes', () => {
    const built = buildSpec(
      'latency',
      latency,
      values({
        'link.from': 'us-east',
        'link.to': 'eu-west',
        pick: 'count',
        'pick.value': '2',
        latency: '0',
        oneWay: true,
        duration: '30s',
      }),
    );
    expect(built).toEqual({
      spec: {
        fault: 'latency',
        link: { from: 'us-east', to: 'eu-west' },
        pick: { count: 2 },
        latency: 0,
        oneWay: true,
        duration: '30s',
      },
    });
    expect(
      buildSpec('latency', latency, values({ pick: 'percent', 'pick.value': '50', latency: '1' })),
    ).toEqual({
      spec: { fault: 'latency', pick: { percent: 50 }, latency: 1 },
    });
    expect(buildSpec('latency', latency, values({ pick: 'all', latency: '1' }))).toEqual({
      spec: { fault: 'latency', pick: 'all', latency: 1 },
    });
  });

  it('names the field to fix: a missing required value, half a link, a pick without its number', () => {
    expect(buildSpec('latency', latency, values({}))).toEqual({
      error: 'latency is required',
      field: 'latency',
    });
    expect(buildSpec('latency', latency, values({ 'link.from': 'us-east', latency: '1' }))).toMatchObject({
      field: 'link.to',
    });
    expect(buildSpec('latency', latency, values({ pick: 'count', latency: '1' }))).toMatchObject({
      field: 'pick.value',
    });
    expect(buildSpec('latency', latency, values({ latency: 'fast' }))).toMatchObject({ field: 'latency' });
  });
});

describe('groups', () => {
  it('reads "a,b | c" as groups of regions, dropping blanks', () => {
    expect(groups('eu-west, us-east | ap-south')).toEqual([['eu-west', 'us-east'], ['ap-south']]);
    expect(groups(' | ,')).toBeUndefined();
    expect(groups(undefined)).toBeUndefined();
  });
});
