// schema/scenario.schema.json is generated (`npm run schema`) and checked in, so editors can
// point at it; this fails when it no longer matches the zod schema, and checks that the parts
// validated separately (workload, faults) are spelled out in it rather than left as "any".
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../../chaos/index.ts';
import { SCENARIO_SCHEMA_FILE, scenarioJsonSchemaText } from '../../harness/index.ts';

const checkedIn = readFileSync(new URL(`../../${SCENARIO_SCHEMA_FILE}`, import.meta.url), 'utf8');

describe('the scenario JSON Schema', () => {
  it('is up to date: run `npm run schema` after changing a scenario, workload or fault schema', () => {
    expect(checkedIn).toBe(scenarioJsonSchemaText());
  });

  it('spells out the workload and every fault, and allows "$schema"', () => {
    const schema = JSON.parse(checkedIn) as {
      properties: Record<string, { properties?: Record<string, unknown>; items?: { oneOf?: unknown[] } }>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'description', 'duration']));
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.$schema).toBeDefined();
    expect(Object.keys(schema.properties.workload?.properties ?? {})).toEqual(
      expect.arrayContaining(['users', 'rate', 'conversations']),
    );
    const faults = JSON.stringify(schema.properties.chaos?.items?.oneOf ?? []);
    for (const kind of FAULT_KINDS) expect(faults, kind).toContain(`"const":"${kind}"`);
  });
});
