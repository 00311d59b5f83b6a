// Runs a resolved timeline: applies each fault at its time, runs its steps, reverts it at its
// end, and records when each of those actually happened. However the run ends (all faults done,
// healAll, abort, an error inside a backend), everything applied is reverted and the backends
// are swept clean, so a run never leaves a proxy down or a node frozen behind it.

import type { FaultAction } from './actions.ts';
import { createExecutor } from './apply.ts';
import type { ChaosBackends } from './backends/types.ts';
import { type Clock, realClock } from './clock.ts';
import type { ResolvedFault } from './resolve.ts';

export interface AppliedFault {
  id: string;
  kind: string;
  target: string;
  regions: string[];
  /** ms from load start when the apply actions completed; null if never applied. */
  appliedAt: number | null;
  /** ms from load start when the revert actions completed; null if not (yet) reverted or instant. */
  revertedAt: number | null;
  /** Every failed action of this fault, joined with "; ". */
  error?: string;
  /** Nodes that scaleOut added. */
  addedNodes?: string[];
}

export interface TimelineEvent {
  type: 'fault_start' | 'fault_stop';
  /** Clock time (epoch ms with realClock), as history events use. */
  t: number;
  faultId: string;
  kind: string;
  target: string;
  regions: string[];
}

export interface TimelineRun {
  /**
   * Resolves once every applied fault is reverted and the backends are swept; never rejects.
   * That is after the last scheduled revert when no fault runs to the end of load, else after
   * healAll() or the abort signal.
   */
  done: Promise<AppliedFault[]>;
  /**
   * Stops the timeline (faults not yet started never start), reverts everything still applied
   * in reverse order, then resets the proxy backend and resumes paused nodes. Idempotent: every
   * call returns the same promise. Faults that run until the end of load are reverted here, so
   * the harness calls it when load ends.
   */
  healAll(): Promise<void>;
  /** Faults applied and not yet reverted (instant faults are never active). */
  active(): AppliedFault[];
  /** Failures of the final sweep (reset, SIGCONT, restart), which belong to no one fault. */
  healErrors(): string[];
}

export interface RunTimelineOptions {
  faults: readonly ResolvedFault[];
  backends: ChaosBackends;
  /** Default realClock. */
  clock?: Clock;
  /** Clock time of load start, from which `at` counts (default: now). */
  startAt?: number;
  /** Aborting heals everything, as healAll does. */
  signal?: AbortSignal;
  /** Called after each fault is applied and reverted; exceptions from it are ignored. */
  onEvent?: (event: TimelineEvent) => void;
}

type Phase = 'revert' | 'step' | 'apply';
// At one instant a fault ending goes before a fault starting, so back-to-back faults never overlap.
const PHASE_ORDER: Record<Phase, number> = { revert: 0, step: 1, apply: 2 };

interface ScheduledEvent {
  t: number;
  index: number;
  phase: Phase;
  actions: FaultAction[];
}

export function runTimeline(options: RunTimelineOptions): TimelineRun {
  const clock = options.clock ?? realClock;
  const startAt = options.startAt ?? clock.now();
  const executor = createExecutor(options.backends);
  const faults = options.faults;
  const records: AppliedFault[] = faults.map((f) => ({
    id: f.id,
    kind: f.kind,
    target: f.target,
    regions: f.regions,
    appliedAt: null,
    revertedAt: null,
  }));
  const errorsOf: string[][] = faults.map(() => []);
  const healErrors: string[] = [];

  const events: ScheduledEvent[] = [];
  faults.forEach((f, index) => {
    events.push({ t: f.at, index, phase: 'apply', actions: f.actions });
    for (const s of f.steps ?? []) events.push({ t: s.at, index, phase: 'step', actions: s.actions });
    if (!f.instant && f.until !== null)
      events.push({ t: f.until, index, phase: 'revert', actions: f.reverts });
  });
  events.sort((a, b) => a.t - b.t || PHASE_ORDER[a.phase] - PHASE_ORDER[b.phase] || a.index - b.index);

  const stop = new AbortController();
  const emit = (type: TimelineEvent['type'], index: number): void => {
    const f = faults[index] as ResolvedFault;
    try {
      options.onEvent?.({
        type,
        t: clock.now(),
        faultId: f.id,
        kind: f.kind,
        target: f.target,
        regions: f.regions,
      });
    } catch {
      // A reporting callback must not stop chaos from healing.
    }
  };
  const isActive = (index: number): boolean => {
    const r = records[index] as AppliedFault;
    return r.appliedAt !== null && r.revertedAt === null && !faults[index]?.instant;
  };

  async function execute(event: ScheduledEvent): Promise<void> {
    const record = records[event.index] as AppliedFault;
    const fault = faults[event.index] as ResolvedFault;
    if (event.phase !== 'apply' && !isActive(event.index)) return;
    const result = await executor.run(fault.id, event.actions);
    (errorsOf[event.index] as string[]).push(...result.errors);
    if (result.addedNodes.length > 0)
      record.addedNodes = [...(record.addedNodes ?? []), ...result.addedNodes];
    if (event.phase === 'apply') {
      record.appliedAt = clock.now() - startAt;
      emit('fault_start', event.index);
    } else if (event.phase === 'revert') {
      record.revertedAt = clock.now() - startAt;
      emit('fault_stop', event.index);
    }
  }

  /** Sleeps until clock time `target`; false if stopped first. */
  async function waitUntil(target: number): Promise<boolean> {
    while (!stop.signal.aborted && clock.now() < target) {
      try {
        await clock.sleep(target - clock.now(), stop.signal);
      } catch {
        // Aborted: the loop checks the signal.
      }
    }
    return !stop.signal.aborted;
  }

  async function loop(): Promise<void> {
    for (const event of events) {
      if (!(await waitUntil(startAt + event.t))) return;
      await execute(event);
    }
  }

  // An abort that came before the run must not let the first fault slip in.
  if (options.signal?.aborted) stop.abort();
  let healing: Promise<void> | undefined;
  let healStarted: (heal: Promise<void>) => void = () => {};
  const healingStarted = new Promise<Promise<void>>((resolve) => {
    healStarted = resolve;
  });
  const loopDone = loop().catch((error: unknown) => {
    healErrors.push(`timeline: ${error instanceof Error ? error.message : String(error)}`);
  });

  function healAll(): Promise<void> {
    if (healing === undefined) {
      stop.abort();
      healing = (async () => {
        await loopDone;
        const open = records
          .map((r, index) => ({ r, index }))
          .filter(({ index }) => isActive(index))
          .sort((a, b) => (b.r.appliedAt as number) - (a.r.appliedAt as number) || b.index - a.index);
        for (const { index } of open) {
          const fault = faults[index] as ResolvedFault;
          await execute({ t: clock.now() - startAt, index, phase: 'revert', actions: fault.reverts });
        }
        healErrors.push(...(await executor.sweep()));
        records.forEach((r, index) => {
          const errors = errorsOf[index] as string[];
          if (errors.length > 0) r.error = errors.join('; ');
        });
      })();
      healStarted(healing);
    }
    return healing;
  }

  // When the last scheduled event has run and no fault is left open, the run heals itself;
  // otherwise the open faults wait for healAll (end of load) or the abort signal.
  void loopDone.then(() => {
    if (!records.some((_, index) => isActive(index))) void healAll();
  });
  if (options.signal?.aborted) void healAll();
  else options.signal?.addEventListener('abort', () => void healAll(), { once: true });

  const snapshot = (): AppliedFault[] =>
    records.map((r, index) => {
      const errors = errorsOf[index] as string[];
      return errors.length > 0 ? { ...r, error: errors.join('; ') } : { ...r };
    });
  const done = healingStarted.then(async (heal) => {
    await heal;
    return snapshot();
  });

  return {
    done,
    healAll,
    active: () => snapshot().filter((_, index) => isActive(index)),
    healErrors: () => healErrors.slice(),
  };
}
