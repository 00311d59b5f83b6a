// Everything decided before a run starts anything: the scenario with flags applied, the seed,
// the workload, the topology layout, the region aliases, the resolved fault timeline and the
// thresholds. `validate` prints it; `run` executes it. A mistake anywhere here is a usage error
// (exit 104) whose message names the field.
import { randomInt } from 'node:crypto';
import type { ChaosTopology } from '../../chaos/index.ts';
import { FaultSpecError, type ResolvedFault, resolveTimeline } from '../../chaos/index.ts';
import { describeIssues } from '../../contracts/errors.ts';
import { formatDuration } from '../../lib/duration.ts';
import {
  buildWorkload,
  checkWorkloadRegions,
  schedule,
  type Workload,
  WorkloadSpec,
} from '../../load/index.ts';
import { applyFlags, type RunFlags } from '../cli/flags.ts';
import { SPARE_EDGE_PORTS } from '../docker/plan.ts';
import type { TopologyLayout } from '../local/layout.ts';
import { chaosProxyRef, nodeId } from '../local/system.ts';
import { type TargetDefinition, targetNamed } from '../targets/index.ts';
import { regionAliases } from './aliases.ts';
import { loadScenario, SCENARIO_LIMITS, type Scenario, ScenarioError } from './scenario.ts';
import { mergeThresholds, type ThresholdSet, validateThresholds } from './thresholds.ts';

export interface PreparedRun {
  scenario: Scenario;
  /** The file the scenario came from. */
  path: string;
  seed: number;
  /** True when no seed was given and one was drawn. */
  seedDrawn: boolean;
  workload: Workload;
  layout: TopologyLayout;
  aliases: Record<string, string>;
  faults: ResolvedFault[];
  thresholds: ThresholdSet;
  /** The scenario's targetOptions as its target's schema parsed them (defaults applied). */
  targetOptions: unknown;
}

export function chaosTopologyOfLayout(layout: TopologyLayout): ChaosTopology {
  return {
    regions: layout.regions.map((r) => r.name),
    nodes: layout.regions.flatMap((r) =>
      r.nodes.map((n) => ({ id: nodeId(n.region, n.node), region: n.region })),
    ),
    proxies: layout.proxies.map(chaosProxyRef),
  };
}

/** Loads the scenario and applies flags; throws ScenarioError (exit 104, or 107 when the file throws) naming the field. */
export async function prepareRun(flags: RunFlags, cwd = process.cwd()): Promise<PreparedRun> {
  const loaded = await loadScenario(flags.scenario, cwd);
  const scenario = applyFlags(loaded, flags);
  const target = targetNamed(scenario.target);
  if (!target.modes.includes(flags.mode))
    throw new ScenarioError(
      `--mode ${flags.mode}: the ${target.name} target runs in ${target.modes.join(' or ')} mode only`,
    );
  const prepared = prepareScenario(scenario, loaded.path, flags.seed);
  checkModeSupports(prepared.faults, flags.mode);
  return prepared;
}

/**
 * Nodes added mid-run need room: a compose topology has none (its nodes are the compose file's),
 * and docker mode publishes SPARE_EDGE_PORTS edge ports beyond its planned nodes.
 */
export function checkModeSupports(faults: readonly ResolvedFault[], mode: RunFlags['mode']): void {
  const adding = faults.filter((f) => f.actions.some((a) => a.op === 'addNode'));
  const added = adding.reduce((sum, f) => sum + f.actions.filter((a) => a.op === 'addNode').length, 0);
  const first = adding[0];
  if (first === undefined) return;
  if (mode === 'compose')
    throw new ScenarioError(
      `scenario.chaos: ${first.id} adds nodes, but a compose topology's nodes are the compose file's; run it with --mode local or docker`,
    );
  if (mode === 'docker' && added > SPARE_EDGE_PORTS)
    throw new ScenarioError(
      `scenario.chaos: the scaleOut faults add ${added} nodes; docker mode has room for ${SPARE_EDGE_PORTS} (run it with --mode local)`,
    );
}

/**
 * A workload with `api` traffic needs a target whose MessagingTarget has an `api`; a target
 * definition says so with `messageApi: true` (the reference target does, XMPP does not).
 */
function checkApiWorkload(scenario: Scenario, target: TargetDefinition): string[] {
  if (scenario.workload.api === undefined) return [];
  const offers = target.messageApi === true;
  if (offers) return [];
  return [
    `workload.api: the ${target.name} target has no request/response message API (only sessions); remove workload.api`,
  ];
}

export function prepareScenario(scenario: Scenario, path: string, seedFlag?: number): PreparedRun {
  const seedDrawn = seedFlag === undefined && scenario.seed === undefined;
  const seed = seedFlag ?? scenario.seed ?? randomInt(1, 2 ** 31);
  const regions = scenario.topology.regions;

  checkBounds(scenario);
  const target = targetNamed(scenario.target);
  const targetOptions = checkTarget(scenario, target);
  let workload: Workload;
  try {
    checkWorkloadRegions(scenario.workload, regions);
    workload = buildWorkload(scenario.workload, regions, seed);
    checkSendsSomething(scenario, workload, seed);
  } catch (error) {
    if (error instanceof ScenarioError) throw error;
    throw new ScenarioError(prefixed((error as Error).message));
  }
  const misfits = [
    ...target.checkWorkload(workload, scenario.topology.nodesPerRegion),
    ...checkApiWorkload(scenario, target),
  ];
  if (misfits.length > 0) throw new ScenarioError(misfits.map((m) => `scenario.${m}`).join('\n'));
  workload = placed(workload, target);

  let layout: TopologyLayout;
  try {
    layout = target.layout(regions, scenario.topology.nodesPerRegion);
  } catch (error) {
    throw new ScenarioError(`scenario.topology: ${(error as Error).message}`);
  }

  const aliases = regionAliases(workload.conversations, regions, target);
  let faults: ResolvedFault[];
  try {
    faults = resolveTimeline(scenario.chaos, chaosTopologyOfLayout(layout), {
      seed,
      loadDurationMs: scenario.durationMs,
      aliases,
    });
  } catch (error) {
    if (error instanceof FaultSpecError) throw new ScenarioError(`scenario.${error.message}`);
    throw error;
  }
  checkTargetDoes(faults, target);

  const merged = mergeThresholds(scenario.thresholds);
  let thresholds: ThresholdSet;
  try {
    thresholds = validateThresholds(merged);
  } catch (error) {
    throw new ScenarioError(prefixed((error as Error).message));
  }
  return { scenario, path, seed, seedDrawn, workload, layout, aliases, faults, thresholds, targetOptions };
}

/** The target's options parsed by its schema, and its bug knobs; a misfit names the field. */
function checkTarget(scenario: Scenario, target: TargetDefinition): unknown {
  const options = target.options.safeParse(scenario.targetOptions);
  if (!options.success)
    throw new ScenarioError(
      describeIssues(options.error, { root: 'scenario.targetOptions', separator: '\n' }),
    );
  for (const field of ['bugs', 'catches'] as const) {
    const list = field === 'bugs' ? scenario.topology.bugs : scenario.catches;
    const foreign = list.find((bug) => !target.bugs.includes(bug));
    if (foreign !== undefined)
      throw new ScenarioError(
        `scenario.${field === 'bugs' ? 'topology.bugs' : 'catches'}: "${foreign}" is not a bug knob of the ${target.name} target${target.bugs.length === 0 ? ' (it has none)' : ''}`,
      );
  }
  return options.data;
}

/** Conversations the target places itself get those regions as their residency. */
function placed(workload: Workload, target: TargetDefinition): Workload {
  const placement = target.placement?.(workload);
  if (placement === undefined) return workload;
  return {
    ...workload,
    conversations: workload.conversations.map((c) => {
      const regions = placement.get(c.id);
      return c.residency !== undefined || regions === undefined ? c : { ...c, residency: regions };
    }),
  };
}

/** A fault whose actions the target cannot carry out is refused before anything starts. */
function checkTargetDoes(faults: readonly ResolvedFault[], target: TargetDefinition): void {
  for (const fault of faults) {
    for (const action of fault.actions) {
      const why = target.unsupported[action.op];
      if (why !== undefined)
        throw new ScenarioError(
          `scenario.chaos: ${fault.id} cannot run against the ${target.name} target: ${why}`,
        );
    }
  }
}

/**
 * The workload and duration again after the flags: `--rate` scales a staged rate and
 * `--duration` stretches its stages, which can carry a number past its bound.
 */
function checkBounds(scenario: Scenario): void {
  const workload = WorkloadSpec.safeParse(scenario.workload);
  if (!workload.success) {
    throw new ScenarioError(
      `${describeIssues(workload.error, { root: 'scenario.workload', separator: '\n' })}\n(after the flags were applied)`,
    );
  }
  if (!(scenario.durationMs > 0) || scenario.durationMs > SCENARIO_LIMITS.durationMs) {
    throw new ScenarioError(
      `scenario.duration: must be above 0 and at most 24h (got ${scenario.durationMs} ms)`,
    );
  }
}

/**
 * A run that would send nothing proves nothing, and used to pass: a rate that stays at 0, a load
 * too short or too slow for one message with this seed, or a workload without a conversation.
 * The schedule's first send is drawn here exactly as the run will draw it.
 */
function checkSendsSomething(scenario: Scenario, workload: Workload, seed: number): void {
  if (workload.conversations.length === 0) {
    throw new ScenarioError(
      'scenario.workload.conversations: no conversation (direct and groups are 0), so nobody can send',
    );
  }
  const first = schedule(scenario.workload, workload, scenario.durationMs, seed).next();
  if (first.done) {
    throw new ScenarioError(
      `scenario.workload.rate: with this rate over ${formatDuration(scenario.durationMs)} of load the run would send nothing (seed ${seed})`,
    );
  }
}

/** Names fields from the scenario's root: `workload.users: …` → `scenario.workload.users: …`. */
function prefixed(message: string): string {
  return message
    .split('\n')
    .map((line) =>
      /^(workload|thresholds|chaos|topology)\b/.test(line) ? `scenario.${line}` : `scenario: ${line}`,
    )
    .join('\n');
}
