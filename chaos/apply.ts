// Executes FaultActions against the backends and remembers what is applied, and by which fault.
//
// Faults may overlap on one proxy or node (a partition during a region outage). Each disable,
// pause, kill and skew is held by the fault that made it, and undone only when its last holder
// lets go, so the first fault to end never heals what another fault still wants broken.
import { describeAction, type FaultAction } from './actions.ts';
import type { ChaosBackends } from './backends/types.ts';

export interface ExecutorState {
  disabled: string[];
  toxics: { proxy: string; name: string }[];
  paused: string[];
  killed: string[];
  skewed: string[];
}

export interface RunResult {
  errors: string[];
  /** Ids of nodes added by addNode actions. */
  addedNodes: string[];
}

export interface Executor {
  /**
   * Runs one fault's actions in order. Consecutive actions with the same op run concurrently
   * (a region's nodes die together, restarts overlap); different ops stay in sequence. A failing
   * action is reported in `errors` and the rest still run.
   */
  run(owner: string, actions: readonly FaultAction[]): Promise<RunResult>;
  /** Undoes whatever is still held: SIGCONT, restart, clock 0, then the proxy backend's reset. */
  sweep(): Promise<string[]>;
  state(): ExecutorState;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createExecutor(backends: ChaosBackends): Executor {
  const disabledBy = new Map<string, Set<string>>();
  const pausedBy = new Map<string, Set<string>>();
  const killedBy = new Map<string, Set<string>>();
  const skewedBy = new Map<string, string>();
  const toxics = new Map<string, { proxy: string; name: string }>();

  const hold = (map: Map<string, Set<string>>, key: string, owner: string): boolean => {
    let holders = map.get(key);
    if (holders === undefined) {
      holders = new Set();
      map.set(key, holders);
    }
    const first = holders.size === 0;
    holders.add(owner);
    return first;
  };
  /** True when `owner` held the key and was its last holder. */
  const release = (map: Map<string, Set<string>>, key: string, owner: string): boolean => {
    const holders = map.get(key);
    if (holders === undefined || !holders.delete(owner)) return false;
    if (holders.size > 0) return false;
    map.delete(key);
    return true;
  };

  /** A failed undo keeps its hold, so the final sweep tries again. */
  const undoing = async (
    map: Map<string, Set<string>>,
    key: string,
    owner: string,
    work: Promise<void>,
  ): Promise<void> => {
    try {
      await work;
    } catch (error) {
      hold(map, key, owner);
      throw error;
    }
  };

  // State changes happen synchronously before the first await, so concurrent actions in one
  // batch see each other's holds.
  async function one(owner: string, action: FaultAction, added: string[]): Promise<void> {
    switch (action.op) {
      case 'disable':
        if (hold(disabledBy, action.proxy, owner)) await backends.proxy.setEnabled(action.proxy, false);
        return;
      case 'enable':
        if (release(disabledBy, action.proxy, owner))
          await undoing(disabledBy, action.proxy, owner, backends.proxy.setEnabled(action.proxy, true));
        return;
      case 'toxic': {
        const key = `${action.proxy}\u0000${action.toxic.name}`;
        toxics.set(key, { proxy: action.proxy, name: action.toxic.name });
        await backends.proxy.addToxic(action.proxy, action.toxic);
        return;
      }
      case 'removeToxic': {
        const key = `${action.proxy}\u0000${action.name}`;
        if (!toxics.has(key)) return;
        await backends.proxy.removeToxic(action.proxy, action.name);
        toxics.delete(key);
        return;
      }
      case 'signal':
        if (action.signal === 'SIGSTOP') {
          if (hold(pausedBy, action.node, owner)) await backends.process.signal(action.node, 'SIGSTOP');
        } else if (action.signal === 'SIGCONT') {
          if (release(pausedBy, action.node, owner))
            await undoing(pausedBy, action.node, owner, backends.process.signal(action.node, 'SIGCONT'));
        } else {
          // A dead process is no longer paused; its restart comes from whoever killed it.
          pausedBy.delete(action.node);
          if (hold(killedBy, action.node, owner)) await backends.process.signal(action.node, action.signal);
        }
        return;
      case 'restart':
        if (release(killedBy, action.node, owner))
          await undoing(killedBy, action.node, owner, backends.process.restart(action.node));
        return;
      case 'clock':
        if (action.offsetMs !== 0) {
          skewedBy.set(action.node, owner);
          await backends.admin.setClockOffset(action.node, action.offsetMs);
        } else if (skewedBy.get(action.node) === owner) {
          skewedBy.delete(action.node);
          try {
            await backends.admin.setClockOffset(action.node, 0);
          } catch (error) {
            skewedBy.set(action.node, owner);
            throw error;
          }
        }
        return;
      case 'addNode':
        added.push(await backends.process.addNode(action.region));
        return;
    }
  }

  async function run(owner: string, actions: readonly FaultAction[]): Promise<RunResult> {
    const errors: string[] = [];
    const addedNodes: string[] = [];
    let i = 0;
    while (i < actions.length) {
      const op = actions[i]?.op;
      let j = i;
      while (j < actions.length && actions[j]?.op === op) j++;
      const batch = actions.slice(i, j);
      const results = await Promise.allSettled(batch.map((a) => one(owner, a, addedNodes)));
      results.forEach((r, k) => {
        if (r.status === 'rejected')
          errors.push(`${describeAction(batch[k] as FaultAction)}: ${message(r.reason)}`);
      });
      i = j;
    }
    return { errors, addedNodes };
  }

  async function sweep(): Promise<string[]> {
    const errors: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void>): Promise<void> => {
      try {
        await fn();
      } catch (error) {
        errors.push(`${what}: ${message(error)}`);
      }
    };
    const paused = [...pausedBy.keys()];
    pausedBy.clear();
    const killed = [...killedBy.keys()];
    killedBy.clear();
    const skewed = [...skewedBy.keys()];
    skewedBy.clear();
    await Promise.all(
      paused.map((node) => attempt(`SIGCONT ${node}`, () => backends.process.signal(node, 'SIGCONT'))),
    );
    await Promise.all(killed.map((node) => attempt(`restart ${node}`, () => backends.process.restart(node))));
    await Promise.all(
      skewed.map((node) => attempt(`clock 0 on ${node}`, () => backends.admin.setClockOffset(node, 0))),
    );
    await attempt('proxy reset', () => backends.proxy.reset());
    disabledBy.clear();
    toxics.clear();
    return errors;
  }

  return {
    run,
    sweep,
    state: () => ({
      disabled: [...disabledBy.keys()],
      toxics: [...toxics.values()],
      paused: [...pausedBy.keys()],
      killed: [...killedBy.keys()],
      skewed: [...skewedBy.keys()],
    }),
  };
}
