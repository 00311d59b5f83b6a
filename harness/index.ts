// chatquake's public entry for users' own scenario files and scripts:
//   import { defineScenario } from 'chatquake';
// Everything here is stable API; the rest of harness/ is internal.
export type { FaultSpec } from '../chaos/index.ts';
export type { Summary } from '../contracts/summary.ts';
export type { WorkloadSpecInput } from '../load/index.ts';
export { ExitCode } from './cli/exit-codes.ts';
export { builtinScenarioNames } from './commands/list.ts';
export {
  defineScenario,
  loadScenario,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
  type ThresholdsSpec,
} from './scenario/scenario.ts';
