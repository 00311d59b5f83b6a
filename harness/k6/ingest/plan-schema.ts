// The plan `chatquake ingest k6` judges by, read back from the script `chatquake k6` wrote: the
// script is a file anyone may have edited, so the plan between its markers is validated here
// field by field (errors name the field: `--script s.js: plan.users[3].region: …`) before any
// of it is trusted.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../../../contracts/errors.ts';
import { ScenarioError, ThresholdsSpec } from '../../scenario/scenario.ts';
import { type K6Plan, planOfScript } from '../plan.ts';

const str = z.string().min(1);
const ms = z.number().finite().nonnegative();

const K6PlanSchema = z.looseObject({
  version: z.literal(1),
  runId: str,
  scenario: str,
  seed: z.number().int(),
  target: str,
  regions: z.array(str).min(1),
  ackLevel: str,
  durationMs: ms,
  connectRampMs: ms,
  drainMs: ms,
  bodyBytes: z.number().int().nonnegative(),
  users: z.array(
    z.looseObject({
      id: str,
      region: str,
      convs: z.array(str),
      endpoints: z.array(str).min(1),
      token: z.string(),
    }),
  ),
  conversations: z.array(
    z.looseObject({ id: str, members: z.array(str).min(1), residency: z.array(str).optional() }),
  ),
  sends: z.record(z.string(), z.array(z.tuple([ms, str, str]))),
  thresholds: ThresholdsSpec,
});

/** The plan of a generated script's text; throws ScenarioError (exit 104) naming the field. */
export function parsePlan(script: string, where: string): K6Plan {
  let raw: unknown;
  try {
    raw = planOfScript(script);
  } catch (error) {
    throw new ScenarioError(
      `${where}: the plan between the chatquake-plan markers is not JSON: ${(error as Error).message}`,
    );
  }
  if (raw === undefined)
    throw new ScenarioError(
      `${where}: no chatquake-plan markers: this is not a script \`chatquake k6\` wrote (or they were removed)`,
    );
  const parsed = K6PlanSchema.safeParse(raw);
  if (!parsed.success) throw new ScenarioError(`${where}: ${describeIssues(parsed.error, { root: 'plan' })}`);
  return parsed.data as K6Plan;
}

/** Reads `--script FILE` and its plan. */
export function readPlan(path: string): K6Plan {
  let script: string;
  try {
    script = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(`--script ${path}: ${(error as Error).message}`);
  }
  return parsePlan(script, `--script ${path}`);
}
