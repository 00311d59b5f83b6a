// The package's entry for plain `node` (no tsx loader): `import('chatquake')` from a script or
// a .mjs scenario. chatquake ships TypeScript sources with no build step, so this loads
// harness/index.ts through tsx's scoped tsImport (which leaves the caller's module loading
// alone) and re-exports its runtime names; TypeScript users get types/ (built at pack time).
// When the CLI loads a scenario it has the API already (harness/scenario/scenario.ts puts it on
// globalThis), so a scenario's `import ... from 'chatquake'` shares that instance rather than
// compiling harness/ twice.
import { tsImport } from 'tsx/esm/api';

const api =
  globalThis[Symbol.for('chatquake.api')] ?? (await tsImport('./harness/index.ts', import.meta.url));

export const {
  DASHBOARD_FILE,
  DEFAULT_COMPOSE,
  DEFAULT_REGIONS,
  ExitCode,
  SCENARIO_SCHEMA_FILE,
  ScenarioError,
  builtinScenarioNames,
  composeFiles,
  dashboardJson,
  dashboardQueries,
  dashboardText,
  defineScenario,
  loadScenario,
  parseScenario,
  scenarioJsonSchema,
  scenarioJsonSchemaText,
} = api;
