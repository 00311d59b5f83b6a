// summary.json as the report reads it. The runner writes it; the report must still render a run
// that crashed half way, so every section is optional and unknown fields are kept, while a field
// that is present with the wrong type is an error naming that field.
import { z } from 'zod';

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

/** `path.to.field: message; ...`, so a bad file names the field at fault. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

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
