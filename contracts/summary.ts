// summary.json, the file CI reads: the schema the runner writes (strict, and the writer's type is
// derived from it, so the two cannot drift) and the lenient reader the report and `compare` use,
// which must still read a run that crashed half way or an older schema version: there every
// section is optional and unknown fields are kept, while a field present with the wrong type is
// an error naming that field.

import { z } from 'zod';
import { CHECK_KEYS, type CheckKey, INFORMATIONAL, type InformationalKey } from './checks.ts';
import { describeIssues } from './errors.ts';

/** 2: failover is judged per incident (failedOver, rodeOut, neverRecovered, recoverySeconds). */
export const SUMMARY_SCHEMA_VERSION = 2;

const num = z.number();
const nul = num.nullable();
const P4 = z.object({ p50: nul, p90: nul, p99: nul, max: nul });
const Counted = z.object({ p50: nul, p99: nul, max: nul, count: num, censored: num });
const IncidentCounts = {
  incidents: num,
  clients: num,
  failedOver: num,
  rodeOut: num,
  neverRecovered: num,
  unobserved: num,
};
const ExampleSchema = z.object({
  check: z.string(),
  message: z.string(),
  conv: z.string().optional(),
  cmid: z.string().optional(),
  from: z.string().optional(),
  user: z.string().optional(),
  region: z.string().optional(),
  t: num.optional(),
});
const CheckCountsSchema = z.object(
  Object.fromEntries(CHECK_KEYS.map((k) => [k, num])) as Record<CheckKey, typeof num>,
);
/** The allowed-behaviour counts beside the violations (contracts/checks.ts INFORMATIONAL). */
const InformationalSchema = z.object(
  Object.fromEntries(Object.keys(INFORMATIONAL).map((k) => [k, num])) as Record<InformationalKey, typeof num>,
);

/** What the runner writes, field for field (harness/results/results.ts builds it). */
export const Summary = z.strictObject({
  schemaVersion: num,
  runId: z.string(),
  scenario: z.string(),
  description: z.string(),
  seed: num,
  startedAt: z.string(),
  /** Seconds from run_start to run_end in the history (load, heal, convergence, final reads). */
  durationSeconds: num,
  /** Wall time of the whole command, start-up and teardown included. */
  wallSeconds: num,
  commit: z.string().nullable(),
  ok: z.boolean(),
  valid: z.boolean(),
  invalidReasons: z.array(z.string()),
  exitCode: num,
  verdict: z.string(),
  interrupted: z.object({ reason: z.enum(['signal', 'threshold']), detail: z.string() }).nullable(),
  /** `--tag KEY=VALUE`s of the run (keys are Prometheus label names); {} when none. */
  tags: z.record(z.string(), z.string()),
  /** `--no-thresholds`: failed thresholds and checks were reported but did not fail the run. */
  noThresholds: z.boolean(),
  errors: z.array(z.string()),
  warnings: z.array(z.string()),
  topology: z.object({
    /** The system under test (docs/TARGETS.md); absent in summaries written before targets had names. */
    target: z.string().optional(),
    regions: z.array(z.object({ name: z.string(), nodes: num, nodeNames: z.array(z.string()) })),
    /** What an ack promised: "replicated" or "stored" (the reference server), "accepted" (XMPP). */
    ack: z.string(),
    leaseMs: num,
    bugs: z.array(z.string()),
  }),
  load: z.object({
    sent: num,
    acked: num,
    failed: num,
    indeterminate: num,
    pending: num,
    delivered: num,
    loadSeconds: num,
    sendRatePerSecond: num,
    deliverRatePerSecond: num,
    lateSends: nul,
    sendLagP99Ms: nul,
  }),
  latency: z.object({
    ackMs: P4,
    deliveryMs: P4,
    byPhase: z.record(z.string(), z.object({ ackMs: P4, deliveryMs: P4 })),
  }),
  /** Failover and recovery per incident, over the run and per fault; never-recovered ones censored. */
  failover: z.object({
    ...IncidentCounts,
    seconds: Counted,
    recoverySeconds: Counted,
    faults: z.array(
      z.object({
        id: z.string(),
        kind: z.string(),
        target: z.string(),
        start: num,
        end: nul,
        ...IncidentCounts,
        seconds: Counted,
        recoverySeconds: Counted,
      }),
    ),
  }),
  consistency: CheckCountsSchema.extend(InformationalSchema.shape).extend({
    convergenceSeconds: nul,
    examples: z.array(ExampleSchema),
  }),
  /** Faults as applied, in seconds from the start of load. */
  faults: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      target: z.string(),
      regions: z.array(z.string()),
      at: nul,
      until: nul,
      error: z.string().optional(),
    }),
  ),
  thresholds: z.array(
    z.object({
      metric: z.string(),
      expression: z.string(),
      actual: z.union([num, z.string()]).nullable(),
      ok: z.boolean(),
    }),
  ),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), actual: num })),
  notes: z.array(z.string()),
  files: z.record(z.string(), z.string()),
});
export type Summary = z.infer<typeof Summary>;
export type FailoverSummary = Summary['failover'];

// The lenient reader.

const count = z.number().finite().nonnegative();
const maybeNumber = z.number().finite().nullable().optional();
const percentiles = z.looseObject({
  p50: maybeNumber,
  p90: maybeNumber,
  p95: maybeNumber,
  p99: maybeNumber,
  max: maybeNumber,
});

/** A check's count may be a bare number or an object with a count. */
const checkCount = z.union([count, z.looseObject({ count })]);

export const SummaryFile = z.looseObject({
  schemaVersion: z.number().optional(),
  runId: z.string().optional(),
  scenario: z.string().optional(),
  description: z.string().optional(),
  seed: z.number().int().optional(),
  startedAt: z.string().optional(),
  durationSeconds: z.number().finite().nonnegative().optional(),
  commit: z.string().nullable().optional(),
  ok: z.boolean().optional(),
  valid: z.boolean().optional(),
  exitCode: z.number().int().optional(),
  /** One sentence saying why the run passed or failed. */
  verdict: z.string().optional(),
  /** Absent before `--tag`; a value that is not a string is an error naming the tag. */
  tags: z.record(z.string(), z.string()).default({}),
  noThresholds: z.boolean().optional(),
  invalidReasons: z.array(z.string()).default([]),
  errors: z.array(z.string()).default([]),
  warnings: z.array(z.string()).default([]),
  notes: z.array(z.string()).default([]),
  topology: z
    .looseObject({
      regions: z
        .array(
          z.looseObject({
            name: z.string().min(1),
            // A node count, or the list of nodes.
            nodes: z.union([count, z.array(z.unknown())]).optional(),
          }),
        )
        .default([]),
      ack: z.string().optional(),
      /** Server bug knobs the run was started with. */
      bugs: z.array(z.string()).default([]),
    })
    .optional(),
  load: z
    .looseObject({
      sent: count.optional(),
      acked: count.optional(),
      failed: count.optional(),
      indeterminate: count.optional(),
      delivered: count.optional(),
      sendRatePerSecond: maybeNumber,
      deliverRatePerSecond: maybeNumber,
    })
    .optional(),
  latency: z.looseObject({ ackMs: percentiles.optional(), deliveryMs: percentiles.optional() }).optional(),
  // Schema 2 judges failover per incident; schema 1's per-fault fields (affectedClients,
  // recoveredClients, censored) are kept as unknown fields. The report reads failover from the
  // checkers, so this only checks the types of what is there.
  failover: z
    .looseObject({
      seconds: percentiles.optional(),
      recoverySeconds: percentiles.optional(),
      incidents: count.optional(),
      clients: count.optional(),
      failedOver: count.optional(),
      rodeOut: count.optional(),
      neverRecovered: count.optional(),
      unobserved: count.optional(),
      faults: z
        .array(
          z.looseObject({
            kind: z.string(),
            target: z.string().default(''),
            start: maybeNumber,
            end: maybeNumber,
            seconds: percentiles.optional(),
            recoverySeconds: percentiles.optional(),
          }),
        )
        .default([]),
    })
    .optional(),
  consistency: z
    .looseObject({
      convergenceSeconds: maybeNumber,
      examples: z
        .array(
          z.looseObject({
            check: z.string(),
            message: z.string(),
            conv: z.string().nullable().optional(),
            cmid: z.string().nullable().optional(),
            region: z.string().nullable().optional(),
            t: maybeNumber,
          }),
        )
        .default([]),
    })
    .catchall(z.union([checkCount, z.unknown()]))
    .optional(),
  faults: z
    .array(
      z.looseObject({
        kind: z.string(),
        target: z.string().default(''),
        at: z.union([z.number(), z.string()]).nullable().optional(),
        until: z.union([z.number(), z.string()]).nullable().optional(),
      }),
    )
    .default([]),
  thresholds: z
    .array(
      z.looseObject({
        metric: z.string(),
        expression: z.string(),
        actual: z.union([z.number(), z.string()]).nullable().optional(),
        ok: z.boolean(),
      }),
    )
    .default([]),
});

export type SummaryFile = z.infer<typeof SummaryFile>;

/** Parses summary.json text; throws an Error naming the file and the offending fields. */
export function parseSummary(text: string, source = 'summary.json'): SummaryFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not JSON (${(error as Error).message})`);
  }
  const parsed = SummaryFile.safeParse(value);
  if (!parsed.success) throw new Error(`${source}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
