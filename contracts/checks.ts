// The table of consistency checks: for each, the key its count has in summary.json's consistency
// section, the name it goes by in examples, junit.xml and the console, its metric (and default
// threshold), and the words the report and the docs show. Every room that lists checks reads
// this table, and the types below make the compiler refuse a check that is missing from it.

export interface CheckInfo {
  /** Stable name, as examples, junit.xml and `compare` carry it, e.g. "acked-lost". */
  readonly name: string;
  /** The metric holding its count; the default threshold is `count==0` on it. */
  readonly metric: string;
  readonly label: string;
  /** One sentence on what the anomaly is. */
  readonly description: string;
}

/** The violations, in the order every listing shows them. */
export const CHECKS = {
  ackedLost: {
    name: 'acked-lost',
    metric: 'acked_lost',
    label: 'Acknowledged, then lost',
    description:
      'Acknowledged, yet missing from a final read of a region that should hold it, or never delivered to a member who stayed connected.',
  },
  unexpected: {
    name: 'unexpected',
    metric: 'unexpected_messages',
    label: 'Unexpected messages',
    description: 'A message was delivered or read that nobody sent.',
  },
  failedButAppeared: {
    name: 'failed-but-appeared',
    metric: 'failed_but_appeared',
    label: 'Failed, yet appeared',
    description: 'The system said a send definitely failed, and the message appeared anyway.',
  },
  duplicates: {
    name: 'duplicates',
    metric: 'duplicates',
    label: 'Duplicates',
    description: 'One message appears twice in a conversation, or reached one session twice.',
  },
  orderViolations: {
    name: 'order',
    metric: 'order_violations',
    label: 'Order violations',
    description: 'Readers disagree on the order of a conversation, or one saw it go backwards.',
  },
  divergentConversations: {
    name: 'divergence',
    metric: 'divergent_conversations',
    label: 'Divergent conversations',
    description: 'Regions hold different logs of one conversation after the faults healed.',
  },
  unconvergedConversations: {
    name: 'convergence',
    metric: 'unconverged_conversations',
    label: 'Never converged',
    description: 'A conversation whose regions never agreed while the run waited for convergence.',
  },
  readYourWritesViolations: {
    name: 'read-your-writes',
    metric: 'read_your_writes_violations',
    label: 'Read-your-writes',
    description: 'A user synced after sending and did not see their own acknowledged message.',
  },
  monotonicReadViolations: {
    name: 'monotonic-reads',
    metric: 'monotonic_read_violations',
    label: 'Monotonic reads',
    description: 'A user saw a message, then a later read of the same conversation no longer held it.',
  },
  silentGaps: {
    name: 'silent-gaps',
    metric: 'silent_gaps',
    label: 'Silent gaps',
    description: 'A session skipped messages without being told its history was reset.',
  },
  residencyViolations: {
    name: 'residency',
    metric: 'residency_violations',
    label: 'Residency',
    description: 'A conversation was stored in a region outside the regions it is allowed in.',
  },
} as const satisfies Record<string, CheckInfo>;

/** A violation's key in summary.json's consistency section. */
export type CheckKey = keyof typeof CHECKS;
/** A violation's stable name. */
export type CheckName = (typeof CHECKS)[CheckKey]['name'];

/** One count per check: a type that fails to compile while any check is left out. */
export type CheckCounts = Record<CheckKey, number>;

export const CHECK_KEYS = Object.keys(CHECKS) as CheckKey[];

/** The run-level check beside the violations: the load generator stayed healthy. */
export const RUN_VALID = 'run-valid';

/** Counts that are allowed behaviour, reported beside the violations but never as one. */
export const INFORMATIONAL = {
  recovered: {
    label: 'Indeterminate, then appeared',
    description: 'Sends with no answer that turned out to have gone through (allowed).',
  },
  indeterminateMissing: {
    label: 'Indeterminate, never appeared',
    description: 'Sends with no answer that never appeared (allowed).',
  },
  failedAfterAck: {
    label: 'Acknowledged, then refused',
    description:
      'Sends the system acknowledged and later said had failed (an XMPP bounce) that never appeared (allowed: the sender was told).',
  },
  ackedLostStoredOnly: {
    label: 'Lost, acked as stored only',
    description: 'Of the lost messages, those acknowledged before they were replicated.',
  },
} as const satisfies Record<string, Omit<CheckInfo, 'name' | 'metric'>>;

export type InformationalKey = keyof typeof INFORMATIONAL;

/** The check a name or key stands for, or undefined. */
export function checkByName(nameOrKey: string): { key: CheckKey; info: CheckInfo } | undefined {
  for (const key of CHECK_KEYS) {
    const info: CheckInfo = CHECKS[key];
    if (info.name === nameOrKey || key === nameOrKey) return { key, info };
  }
  return undefined;
}

/** The check whose count a metric holds, or undefined. */
export function checkByMetric(metric: string): { key: CheckKey; info: CheckInfo } | undefined {
  for (const key of CHECK_KEYS) {
    const info: CheckInfo = CHECKS[key];
    if (info.metric === metric) return { key, info };
  }
  return undefined;
}

/** Just the check counts of a larger record, in the table's order. */
export function pickCheckCounts(from: CheckCounts): CheckCounts {
  return Object.fromEntries(CHECK_KEYS.map((key) => [key, from[key]])) as CheckCounts;
}
