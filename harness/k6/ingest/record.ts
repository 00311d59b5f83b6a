// run.json of an ingested k6 run. A k6 run has no scenario file, only the plan its script
// carries, so the record is built from the plan: the scenario's name, seed, regions, ack level
// and thresholds; the load figures from the merged history itself (sends, acks, send lag, the
// plan's sends that are in no output); the faults from the chaos events. `chatquake check`
// reads it back like any other run.json.
import { hostname } from 'node:os';
import type { EventOf, HistoryEvent } from '../../../contracts/history.ts';
import { LATE_SEND_MS } from '../../../load/index.ts';
import type { RunRecord } from '../../run/run-record.ts';
import type { K6Plan } from '../plan.ts';
import type { Topology } from '../topology.ts';
import type { LoadFigures } from './merge.ts';

/** How long ingest waits for the regions to agree (the scenario default). */
export const CONVERGENCE_DEADLINE_MS = 30_000;

export interface RecordInputs {
  plan: K6Plan;
  scriptPath: string;
  outputs: readonly string[];
  topology: Topology | undefined;
  figures: LoadFigures;
  /** Every k6 sample of the history counter that was not a valid event, as `file:line: problem`. */
  bad: readonly string[];
  faults: readonly HistoryEvent[];
  loadStartT: number | undefined;
  startT: number;
  endT: number;
  tags: Record<string, string>;
  noThresholds: boolean;
}

function p99(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] as number;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

/** Why the run proves nothing, from what ingest itself found. */
export function invalidReasonsOf(plan: K6Plan, figures: LoadFigures, bad: readonly string[]): string[] {
  const reasons: string[] = [];
  if (bad.length > 0) {
    const shown = bad.slice(0, 5).join('; ');
    reasons.push(
      `${bad.length} ${HISTORY_SAMPLES(bad.length)} not history events (${shown}${bad.length > 5 ? '; …' : ''}): the history is damaged, so what they held was not judged`,
    );
  }
  const planned = plannedSends(plan);
  if (figures.sent < planned)
    reasons.push(
      `${planned - figures.sent} of the plan's ${planned} sends are in no k6 output: an instance's output is missing, or an instance stopped early`,
    );
  return reasons;
}

const HISTORY_SAMPLES = (n: number) =>
  n === 1 ? 'k6 sample of im_history is' : 'k6 samples of im_history are';

export const plannedSends = (plan: K6Plan): number =>
  Object.values(plan.sends).reduce((sum, list) => sum + list.length, 0);

function faultRecords(faults: readonly HistoryEvent[], loadStartT: number): RunRecord['faults'] {
  const stops = new Map<string, number>();
  for (const e of faults) if (e.type === 'fault_stop') stops.set(e.faultId, e.t);
  return faults
    .filter((e): e is EventOf<'fault_start'> => e.type === 'fault_start')
    .map((e) => {
      const stop = stops.get(e.faultId);
      const until = stop === undefined ? null : round(stop - loadStartT);
      return {
        id: e.faultId,
        kind: e.kind,
        target: e.target,
        regions: e.regions,
        plannedAt: round(e.t - loadStartT),
        plannedUntil: until,
        appliedAt: round(e.t - loadStartT),
        revertedAt: until,
      };
    });
}

export function ingestRecord(inputs: RecordInputs): RunRecord {
  const { plan, figures, topology } = inputs;
  const invalidReasons = invalidReasonsOf(plan, figures, inputs.bad);
  const planned = plannedSends(plan);
  const nodesOf = (region: string) => topology?.regions.find((r) => r.name === region)?.adminUrls ?? [];
  return {
    schemaVersion: 1,
    runId: plan.runId,
    scenario: {
      name: plan.scenario,
      description: `a k6 run of ${plan.scenario} over ${inputs.outputs.length} instance${inputs.outputs.length === 1 ? '' : 's'}, judged by chatquake ingest k6`,
      path: inputs.scriptPath,
      target: plan.target,
      durationMs: plan.durationMs,
      topology: {
        regions: [...plan.regions],
        nodesPerRegion: Math.max(0, ...plan.regions.map((r) => nodesOf(r).length)),
        ack: plan.ackLevel,
        leaseMs: 0,
        bugs: [],
      },
      workload: { users: plan.users.length, conversations: plan.conversations.length, sends: planned },
      chaos: [],
      thresholds: plan.thresholds,
      convergenceDeadlineMs: CONVERGENCE_DEADLINE_MS,
    },
    seed: plan.seed,
    startedAt: new Date(inputs.startT).toISOString(),
    endedAt: new Date(inputs.endT).toISOString(),
    wallSeconds: round(Math.max(0.001, (inputs.endT - inputs.startT) / 1000)),
    host: hostname(),
    topology: { regions: plan.regions.map((name) => ({ name, nodes: [...nodesOf(name)] })) },
    aliases: {},
    thresholds: plan.thresholds,
    faults: faultRecords(inputs.faults, inputs.loadStartT ?? inputs.startT),
    load: {
      sent: figures.sent,
      acked: figures.acked,
      delivered: figures.delivered,
      failed: figures.failed,
      indeterminate: figures.indeterminate,
      valid: invalidReasons.length === 0,
      invalidReasons,
      aborted: false,
      lateSends: figures.lags.filter((lag) => lag > LATE_SEND_MS).length,
      unsent: Math.max(0, planned - figures.sent),
      sendLagP99Ms: round(p99(figures.lags)),
      sendLagMaxMs: round(figures.lags.reduce((max, lag) => Math.max(max, lag), 0)),
      eventLoopDelayP99Ms: 0,
    },
    convergence: null,
    interrupted: null,
    tags: inputs.tags,
    noThresholds: inputs.noThresholds,
    errors: [],
    warnings: [],
  };
}
