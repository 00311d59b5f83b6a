// The scenario schema as JSON Schema, for editors: a YAML scenario's
// `# yaml-language-server: $schema=...` line or a JSON one's "$schema" key points at the file
// `npm run schema` writes from this (schema/scenario.schema.json), so fields, defaults and
// bounds complete and underline as they are typed. ScenarioSpec keeps workload and chaos loose
// (they are validated separately, so one run names every mistake); here they are the real
// WorkloadSpec and FaultSpec, so editors know those too.
import { z } from 'zod';
import { FaultSpec } from '../../chaos/index.ts';
import { WorkloadSpec } from '../../load/index.ts';
import { SCENARIO_LIMITS, ScenarioSpec } from './scenario.ts';

/** Where the checked-in schema lives, relative to the package root. */
export const SCENARIO_SCHEMA_FILE = 'schema/scenario.schema.json';

/** The scenario as a JSON or YAML file writes it: every field, and a "$schema" key. */
export const ScenarioFileSpec = ScenarioSpec.extend({
  $schema: z.string().optional(),
  workload: WorkloadSpec.optional(),
  chaos: z.array(FaultSpec).max(SCENARIO_LIMITS.faults).optional(),
});

/** The JSON Schema (draft-07, which most editors speak) of a scenario file's input. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ScenarioFileSpec, {
    io: 'input',
    target: 'draft-7',
    // Durations are checked by a refinement JSON Schema cannot say; the type is still there.
    unrepresentable: 'any',
  });
  return {
    ...schema,
    title: 'chatquake scenario',
    description:
      'A chatquake scenario: topology, workload, faults on a timeline and k6-style thresholds (docs/SCENARIOS.md).',
  };
}

/** The schema file's text: stable key order, two-space indent, a final newline. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}
