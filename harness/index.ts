// chatquake's public entry for users' own scenario files and scripts:
//   import { defineScenario } from 'chatquake';
// Everything here is stable API; the rest of harness/ is internal. The package's index.js
// re-exports the runtime names for plain `node`; test/package/entry.test.ts keeps the two equal.
export type { FaultSpec } from '../chaos/index.ts';
export type { Summary } from '../contracts/summary.ts';
export type { WorkloadSpecInput, WorkloadSpecInput as WorkloadInput } from '../load/index.ts';
export { ExitCode } from './cli/exit-codes.ts';
export { builtinScenarioNames } from './commands/list.ts';
export { type ComposeFiles, type ComposeOptions, composeFiles, DEFAULT_COMPOSE } from './docker/compose.ts';
export { DASHBOARD_FILE, dashboardJson, dashboardQueries, dashboardText } from './grafana/dashboard.ts';
export { SCENARIO_SCHEMA_FILE, scenarioJsonSchema, scenarioJsonSchemaText } from './scenario/json-schema.ts';
export {
  DEFAULT_REGIONS,
  defineScenario,
  type FaultInput,
  loadScenario,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
  type ThresholdEntry,
  type ThresholdsInput,
  type ThresholdsSpec,
  type TopologyInput,
  type TopologySpec,
} from './scenario/scenario.ts';
