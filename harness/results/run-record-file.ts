// run.json read back by `chatquake check`: validated, so a file of the wrong shape (edited by
// hand, from another tool, or damaged) is a usage error naming the field instead of a stack
// trace from deep in the judge. Fields a later chatquake adds are kept (loose objects); the ones
// the judge and the summary read must be there with the right type.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../../contracts/errors.ts';
import type { RunRecord } from '../run/run-record.ts';
import { ThresholdsSpec } from '../scenario/scenario.ts';

const str = z.string();
const count = z.number().int().nonnegative();
const ms = z.number().finite();

const LoadFigures = z.looseObject({
  sent: count,
  acked: count,
  delivered: count,
  failed: count,
  indeterminate: count,
  valid: z.boolean(),
  invalidReasons: z.array(str),
  aborted: z.boolean(),
  lateSends: count,
  unsent: count,
  sendLagP99Ms: ms,
  sendLagMaxMs: ms,
  eventLoopDelayP99Ms: ms,
});

const RunRecordFile = z.looseObject({
  schemaVersion: z.literal(1),
  runId: str,
  scenario: z.looseObject({
    name: str,
    description: str,
    path: str,
    target: str.optional(),
    targetOptions: z.unknown().optional(),
    durationMs: ms,
    topology: z.looseObject({
      regions: z.array(str),
      nodesPerRegion: count,
      ack: str,
      leaseMs: ms,
      bugs: z.array(str),
    }),
    workload: z.unknown().optional(),
    chaos: z.array(z.unknown()),
    thresholds: ThresholdsSpec,
    convergenceDeadlineMs: ms,
  }),
  seed: z.number().int(),
  startedAt: str,
  endedAt: str,
  wallSeconds: z.number().finite().nonnegative(),
  host: str,
  topology: z.looseObject({ regions: z.array(z.looseObject({ name: str, nodes: z.array(str) })) }),
  aliases: z.record(str, str),
  thresholds: ThresholdsSpec,
  faults: z.array(
    z.looseObject({
      id: str,
      kind: str,
      target: str,
      regions: z.array(str),
      plannedAt: ms,
      plannedUntil: ms.nullable(),
      appliedAt: ms.nullable(),
      revertedAt: ms.nullable(),
      error: str.optional(),
    }),
  ),
  load: LoadFigures.nullable(),
  convergence: z.looseObject({ converged: count, notConverged: count, seconds: ms }).nullable(),
  interrupted: z.looseObject({ reason: z.enum(['signal', 'threshold']), detail: str }).nullable(),
  errors: z.array(str),
  /** Absent in run folders of chatquake before `--tag` and `--no-thresholds`. */
  tags: z.record(str, str).default({}),
  noThresholds: z.boolean().default(false),
  /** Absent in run folders of chatquake before the endpoints were recorded. */
  endpoints: z
    .looseObject({
      harness: str.optional(),
      nodes: z.array(z.looseObject({ region: str, node: str, metrics: str })),
      proxy: str.optional(),
    })
    .optional(),
  /** Absent in run folders of chatquake before it was added. */
  warnings: z.array(str).default([]),
});

/** run.json of a run folder; throws an Error naming the file and each bad field. */
export function readRunRecord(path: string): RunRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: not JSON (${(error as Error).message})`);
  }
  const parsed = RunRecordFile.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${path}: not a run.json of chatquake: ${describeIssues(parsed.error)}`);
  }
  return { ...parsed.data, scenario: { ...parsed.data.scenario, workload: parsed.data.scenario.workload } };
}
