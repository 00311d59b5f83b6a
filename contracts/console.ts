// What the game-day console (`chatquake up`) serves its page: the live state of a session, the
// catalogue of faults the page builds its controls from, and the control requests' answers.
// The harness builds these (harness/console/); the page (console/) imports the types only. A
// type change here is a change of both sides, and the compiler holds them together.

/** A node as the console shows it. `up` unless a fault acts on it or it stopped answering. */
export type NodeState = 'up' | 'down' | 'paused' | 'isolated' | 'degraded' | 'unreachable';

export interface ConsoleNode {
  /** "region/node" */
  id: string;
  region: string;
  state: NodeState;
  /** Ids of the faults acting on this node now. */
  faults: string[];
  /** Conversations this node sequences (is home for); null when the target does not say. */
  homed: number | null;
  /** Age of the oldest message a peer has not confirmed, in seconds; null when not reported. */
  lagSeconds: number | null;
  /** Messages a peer has not confirmed, summed over peers; null when not reported. */
  lagMessages: number | null;
}

export interface ConsoleRegion {
  name: string;
  /** Every node's state when they agree; `degraded` when some nodes are not up. */
  state: NodeState;
  nodes: ConsoleNode[];
  /** Conversations homed in the region (sum over its nodes); null when not reported. */
  homed: number | null;
  /** Client sessions connected to the region now. */
  clients: number;
}

/** One second of traffic, measured from each message's intended send time. */
export interface ConsolePoint {
  /** Epoch ms of the second's start. */
  t: number;
  sent: number;
  acked: number;
  delivered: number;
  /** Sends refused or left without an answer in this second. */
  failed: number;
  /** Delivery latency percentiles of the second's deliveries; null when none. */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface ConsoleFault {
  id: string;
  kind: string;
  /** Human readable, e.g. "region eu-west". */
  target: string;
  regions: string[];
  /** Epoch ms when it was applied. */
  startedAt: number;
  /** Epoch ms when it was healed; null while active. */
  stoppedAt: number | null;
  /** Epoch ms when it heals by itself (its duration); null when it lasts until healed. */
  endsAt: number | null;
  /** Injected from the console (true) or planned by the scenario. */
  manual: boolean;
  /** A backend call that failed while applying or healing it. */
  error?: string;
}

export interface ConsoleFailover {
  /** Epoch ms the session was up again. */
  t: number;
  from: string;
  to: string;
  /** Connection lost until up again; null when the loss was not seen. */
  seconds: number | null;
}

export interface ConsoleCounter {
  /** The check's name (summary.json's), e.g. "duplicates". */
  name: string;
  label: string;
  count: number;
}

export interface ConsoleLogLine {
  /** Epoch ms. */
  t: number;
  level: 'info' | 'warn' | 'error';
  text: string;
}

export type SessionPhase = 'starting' | 'load' | 'stopping' | 'settling' | 'judging' | 'ended' | 'failed';

export interface ConsoleResult {
  /** The run's exit code, as `chatquake run` would return it. */
  exitCode: number;
  passed: boolean;
  /** The run folder and its report.html, as paths on the harness's machine. */
  runDir: string;
  report: string;
  /** One line per failed threshold or check. */
  failures: string[];
}

export interface ConsoleState {
  session: {
    scenario: string;
    target: string;
    seed: number;
    runDir: string;
    phase: SessionPhase;
    /** Epoch ms: the session began, load began (null before), now (the harness's clock). */
    startedAt: number;
    loadStartedAt: number | null;
    now: number;
    /** The session's bound: load stops by itself this long after it started. */
    maxDurationMs: number;
    result: ConsoleResult | null;
  };
  regions: ConsoleRegion[];
  totals: { sent: number; acked: number; delivered: number; failed: number; indeterminate: number };
  /** The last few minutes, one point a second, oldest first. */
  series: ConsolePoint[];
  faults: ConsoleFault[];
  failovers: {
    count: number;
    /** Sessions without a connection right now. */
    disconnected: number;
    p50Seconds: number | null;
    p99Seconds: number | null;
    maxSeconds: number | null;
    /** The latest, newest last. */
    recent: ConsoleFailover[];
  };
  /** The live judge's counts so far (the full checkers run when the session ends). */
  consistency: ConsoleCounter[];
  /** Newest last. */
  log: ConsoleLogLine[];
}

/** How the page should draw one field of a fault's form. */
export type FaultFieldType =
  | 'region'
  | 'node'
  | 'link'
  | 'groups'
  | 'pick'
  | 'duration'
  | 'number'
  | 'boolean'
  | 'enum'
  | 'text';

export interface FaultField {
  name: string;
  type: FaultFieldType;
  required: boolean;
  /** The choices of an `enum`. */
  choices?: string[];
  min?: number;
  max?: number;
  /** One line: what it does and its default. */
  help: string;
}

export interface FaultKindEntry {
  kind: string;
  /** One sentence: what the fault does to the system. */
  description: string;
  fields: FaultField[];
}

/** GET /api/catalogue: what the controls offer. */
export interface ConsoleCatalogue {
  kinds: FaultKindEntry[];
  regions: string[];
  /** Node ids, "region/node". */
  nodes: string[];
  /** Region aliases ('@busiest') the scenario defines, with what each resolves to. */
  aliases: Record<string, string>;
  /** The scenario's own planned faults, offered as one-click presets (their specs, without `at`). */
  presets: { name: string; spec: Record<string, unknown> }[];
}

/** The answer to POST /api/faults. */
export interface InjectAnswer {
  id: string;
  kind: string;
  target: string;
  regions: string[];
}

/** Every error answer: what went wrong and, for a bad request, the field at fault. */
export interface ConsoleError {
  error: string;
  field?: string;
}
