// Faults injected by hand while a session runs (`chatquake up`): each is applied the moment it
// is asked for, runs its steps and heals at the end of its duration, or when it is healed by
// hand, alone or with all the others. It is the scheduled timeline's live twin (runner.ts):
// the same executor holds each proxy and node for every fault that broke it, so healing one
// fault never heals what another still wants broken, and the same events report each start
// and stop. One queue orders every apply, step and revert, so two quick clicks never
// interleave their backend calls.
import { createExecutor } from './apply.ts';
import type { ChaosBackends } from './backends/types.ts';
import { type Clock, realClock } from './clock.ts';
import type { ResolvedFault } from './resolve.ts';
import type { AppliedFault, TimelineEvent, TimelineRun } from './runner.ts';

export interface LiveTimelineOptions {
  backends: ChaosBackends;
  /** Default realClock. */
  clock?: Clock;
  /** Clock time of load start, from which recorded times count (default: now). */
  startAt?: number;
  /** Aborting heals everything, as healAll does. */
  signal?: AbortSignal;
  /** Called after each fault is applied and reverted; exceptions from it are ignored. */
  onEvent?: (event: TimelineEvent) => void;
}

export interface LiveTimeline extends TimelineRun {
  /**
   * Applies a fault now. Its `at` must be 0 (as resolveTimeline gives it for `at: 0`): its
   * steps and its end count from the moment it is applied. Resolves with its record once its
   * actions have run (a failed action is in `error`); rejects when the id is taken or the
   * timeline is healing. The fault as shifted to load time is passed to `onScheduled` first.
   */
  inject(fault: ResolvedFault, onScheduled?: (shifted: ResolvedFault) => void): Promise<AppliedFault>;
  /** Reverts one active fault now; resolves false when no active fault has that id. */
  heal(id: string): Promise<boolean>;
  /** Every fault injected so far, active or not, in the order injected. */
  all(): AppliedFault[];
}

interface Entry {
  fault: ResolvedFault;
  record: AppliedFault;
  errors: string[];
  active: boolean;
  /** Aborts the fault's pending step and end timers. */
  timers: AbortController;
}

/** The fault with its times moved by `offset` ms (from "now" to load time). */
function shifted(fault: ResolvedFault, offset: number): ResolvedFault {
  return {
    ...fault,
    at: fault.at + offset,
    until: fault.until === null ? null : fault.until + offset,
    ...(fault.steps === undefined ? {} : { steps: fault.steps.map((s) => ({ ...s, at: s.at + offset })) }),
  };
}

export function createLiveTimeline(options: LiveTimelineOptions): LiveTimeline {
  const clock = options.clock ?? realClock;
  const startAt = options.startAt ?? clock.now();
  const executor = createExecutor(options.backends);
  const entries = new Map<string, Entry>();
  const healErrors: string[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  let healing: Promise<void> | undefined;
  let healed: (value: AppliedFault[]) => void = () => {};
  const done = new Promise<AppliedFault[]>((resolve) => {
    healed = resolve;
  });

  /** Runs `work` after everything queued before it; a failure never blocks the queue. */
  const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  const emit = (type: TimelineEvent['type'], fault: ResolvedFault): void => {
    try {
      options.onEvent?.({
        type,
        t: clock.now(),
        faultId: fault.id,
        kind: fault.kind,
        target: fault.target,
        regions: fault.regions,
      });
    } catch {
      // A reporting callback must not stop chaos from healing.
    }
  };
  const snapshot = (entry: Entry): AppliedFault =>
    entry.errors.length > 0 ? { ...entry.record, error: entry.errors.join('; ') } : { ...entry.record };

  /**
   * Runs each piece of work (through the queue) at its load time, in order, one sleep at a
   * time (a long flap holds one timer, not thousands); stops when the fault's timers do.
   */
  const later = async (entry: Entry, work: readonly { t: number; run: () => Promise<void> }[]) => {
    for (const item of work) {
      try {
        await clock.sleep(startAt + item.t - clock.now(), entry.timers.signal);
      } catch {
        return;
      }
      await enqueue(item.run).catch(() => undefined);
    }
  };
  const revert = async (entry: Entry): Promise<void> => {
    entry.timers.abort();
    if (!entry.active) return;
    const result = await executor.run(entry.fault.id, entry.fault.reverts);
    entry.errors.push(...result.errors);
    entry.active = false;
    entry.record.revertedAt = clock.now() - startAt;
    emit('fault_stop', entry.fault);
  };
  const apply = async (entry: Entry): Promise<AppliedFault> => {
    const { fault } = entry;
    const result = await executor.run(fault.id, fault.actions);
    entry.errors.push(...result.errors);
    if (result.addedNodes.length > 0) entry.record.addedNodes = result.addedNodes;
    entry.record.appliedAt = clock.now() - startAt;
    entry.active = fault.instant !== true;
    emit('fault_start', fault);
    if (!entry.active) return snapshot(entry);
    const work = (fault.steps ?? []).map((step) => ({
      t: step.at,
      run: async () => {
        if (entry.active) entry.errors.push(...(await executor.run(fault.id, step.actions)).errors);
      },
    }));
    if (fault.until !== null) work.push({ t: fault.until, run: () => revert(entry) });
    void later(entry, work);
    return snapshot(entry);
  };

  function inject(raw: ResolvedFault, onScheduled?: (s: ResolvedFault) => void): Promise<AppliedFault> {
    if (healing !== undefined) return Promise.reject(new Error('the session is healing: no new faults'));
    if (raw.at !== 0) return Promise.reject(new Error(`a live fault starts now (at 0), not at ${raw.at} ms`));
    if (entries.has(raw.id))
      return Promise.reject(new Error(`a fault named "${raw.id}" was already injected`));
    const fault = shifted(raw, clock.now() - startAt);
    const entry: Entry = {
      fault,
      record: {
        id: fault.id,
        kind: fault.kind,
        target: fault.target,
        regions: fault.regions,
        appliedAt: null,
        revertedAt: null,
      },
      errors: [],
      active: false,
      timers: new AbortController(),
    };
    entries.set(fault.id, entry);
    onScheduled?.(fault);
    return enqueue(() => apply(entry));
  }

  function heal(id: string): Promise<boolean> {
    const entry = entries.get(id);
    if (entry === undefined) return Promise.resolve(false);
    return enqueue(async () => {
      if (!entry.active) return false;
      await revert(entry);
      return true;
    });
  }

  function healAll(): Promise<void> {
    healing ??= enqueue(async () => {
      // Newest first: the one queue applies in injection order, so that order, reversed.
      const open = [...entries.values()].filter((e) => e.active).reverse();
      for (const entry of open) await revert(entry);
      for (const entry of entries.values()) entry.timers.abort();
      healErrors.push(...(await executor.sweep()));
      healed([...entries.values()].map(snapshot));
    });
    return healing;
  }

  if (options.signal?.aborted) void healAll();
  else options.signal?.addEventListener('abort', () => void healAll(), { once: true });

  return {
    done,
    inject,
    heal,
    healAll,
    active: () => [...entries.values()].filter((e) => e.active).map(snapshot),
    all: () => [...entries.values()].map(snapshot),
    healErrors: () => healErrors.slice(),
  };
}
