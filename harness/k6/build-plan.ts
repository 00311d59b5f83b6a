// A prepared run (the scenario with its flags, workload and thresholds, harness/scenario/
// prepare.ts) and a deployment's topology file → the K6Plan a generated script embeds: the same
// users, conversations and seeded send schedule (with the same cmids) chatquake's own load
// would use, so that a distributed k6 run and a local run of the scenario are the same run and
// are judged the same way.
import { randomBytes } from 'node:crypto';
import { schedule } from '../../load/index.ts';
import type { PreparedRun } from '../scenario/prepare.ts';
import { ScenarioError } from '../scenario/scenario.ts';
import { targetNamed } from '../targets/index.ts';
import { k6Users } from '../targets/reference/k6/index.ts';
import type { K6Plan } from './plan.ts';
import type { Topology } from './topology.ts';

/** A script holds every send; past this its plan would not fit in a k6 VU's memory, nor in JSON. */
export const MAX_K6_SENDS = 2_000_000;

/** After load stops, outstanding sends get this long, as in a local run (load/options.ts). */
export const K6_DRAIN_MS = 5000;

/** Tokens outlive the run by this much, so the script may wait a while before it runs. */
export const TOKEN_MARGIN_SECONDS = 3600;

export interface BuildPlanOptions {
  /** Where the topology came from, for messages; default "--topology". */
  topologyName?: string;
  /** Default: a fresh one. */
  runId?: string;
  /** When tokens are signed; default now. */
  now?: number;
  /** The bound on sends; default MAX_K6_SENDS. */
  maxSends?: number;
}

export interface BuiltPlan {
  plan: K6Plan;
  /** What the script will not do that the scenario asks for, to print as a warning. */
  notes: string[];
}

/** The scenario's regions must all be in the topology file. */
function checkRegions(prepared: PreparedRun, topology: Topology, name: string): void {
  const have = topology.regions.map((r) => r.name);
  for (const region of prepared.scenario.topology.regions) {
    if (!have.includes(region))
      throw new ScenarioError(
        `${name}: regions: no region "${region}", a region of the scenario (the file has ${have.join(', ')}); add it to the file or run fewer with --regions`,
      );
  }
}

/** The seeded schedule as each user's sends, with the cmids load/send.ts gives them. */
function sendsOf(prepared: PreparedRun, maxSends: number): { sends: K6Plan['sends']; total: number } {
  const { scenario, workload, seed } = prepared;
  const sends: K6Plan['sends'] = {};
  for (const u of workload.users) sends[u.id] = [];
  let total = 0;
  for (const item of schedule(scenario.workload, workload, scenario.durationMs, seed)) {
    total++;
    if (total > maxSends)
      throw new ScenarioError(
        `scenario ${scenario.name}: more than ${maxSends} sends; a k6 script holds every send: shorten it with --duration or lower --rate`,
      );
    const list = sends[item.user] as [number, string, string][];
    list.push([Math.round(item.at * 1000) / 1000, item.conv, `${item.user}-${list.length}`]);
  }
  return { sends, total };
}

function freshRunId(prepared: PreparedRun, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${prepared.scenario.name}-${prepared.seed}-k6-${randomBytes(3).toString('hex')}`;
}

/** The plan of a prepared run against a topology; throws ScenarioError (exit 104) naming the field. */
export function buildK6Plan(
  prepared: PreparedRun,
  topology: Topology,
  options: BuildPlanOptions = {},
): BuiltPlan {
  const name = options.topologyName ?? '--topology';
  const { scenario, workload } = prepared;
  if (scenario.target !== 'reference')
    throw new ScenarioError(
      `scenario.target: the k6 script speaks the reference server's protocol; "${scenario.target}" is not supported`,
    );
  if (topology.target !== 'reference')
    throw new ScenarioError(`${name}: target: only "reference" is supported`);
  checkRegions(prepared, topology, name);
  const { sends } = sendsOf(prepared, options.maxSends ?? MAX_K6_SENDS);
  const now = options.now ?? Date.now();
  const spec = scenario.workload;
  const connectRampMs = spec.connectRampMs;
  const runMs = connectRampMs + 1000 + scenario.durationMs + K6_DRAIN_MS;
  const users = k6Users({
    topology,
    regions: scenario.topology.regions,
    users: workload.users,
    conversations: workload.conversations,
    ttlSeconds: Math.ceil(runMs / 1000) + TOKEN_MARGIN_SECONDS,
    now,
  });
  const plan: K6Plan = {
    version: 1,
    runId: options.runId ?? freshRunId(prepared, now),
    scenario: scenario.name,
    seed: prepared.seed,
    target: 'reference',
    regions: [...scenario.topology.regions],
    ackLevel: targetNamed(scenario.target).ackLevel(scenario.topology),
    durationMs: scenario.durationMs,
    connectRampMs,
    drainMs: K6_DRAIN_MS,
    bodyBytes: spec.bodyBytes,
    users,
    conversations: workload.conversations.map((c) => ({
      id: c.id,
      members: [...c.members],
      ...(c.residency === undefined ? {} : { residency: [...c.residency] }),
    })),
    sends,
    thresholds: prepared.thresholds.raw,
  };
  return { plan, notes: notesOf(prepared) };
}

/** Parts of the scenario a k6 script does not carry. */
function notesOf(prepared: PreparedRun): string[] {
  const notes: string[] = [];
  if (prepared.scenario.workload.api !== undefined)
    notes.push(
      'workload.api: the k6 script drives sessions only; its API sends are made as session sends and its reads are not made',
    );
  if (prepared.faults.length > 0)
    notes.push(
      `scenario.chaos: ${prepared.faults.length} fault(s) are not in the script; drive them with \`chatquake chaos\` (docs/K6.md)`,
    );
  return notes;
}
