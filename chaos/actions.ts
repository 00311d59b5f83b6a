// A fault is resolved into plain data before anything runs: a list of backend calls to apply it
// and a list to revert it. chaos/apply.ts executes them; the dry run prints them.
import type { ToxicSpec } from './backends/types.ts';

export type Signal = 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT';

export type FaultAction =
  | { op: 'disable'; proxy: string }
  | { op: 'enable'; proxy: string }
  | { op: 'toxic'; proxy: string; toxic: ToxicSpec }
  | { op: 'removeToxic'; proxy: string; name: string }
  | { op: 'signal'; node: string; signal: Signal }
  | { op: 'restart'; node: string }
  | { op: 'clock'; node: string; offsetMs: number }
  | { op: 'addNode'; region: string };

/** One line per action, as the dry run and error messages show it. */
export function describeAction(action: FaultAction): string {
  switch (action.op) {
    case 'disable':
      return `disable ${action.proxy}`;
    case 'enable':
      return `enable ${action.proxy}`;
    case 'toxic': {
      const t = action.toxic;
      const attrs = Object.entries(t.attributes)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      const toxicity = t.toxicity === 1 ? '' : ` toxicity=${t.toxicity}`;
      return `toxic ${t.type} ${t.stream} ${attrs}${toxicity} on ${action.proxy} (${t.name})`;
    }
    case 'removeToxic':
      return `remove toxic ${action.name} from ${action.proxy}`;
    case 'signal':
      return `${action.signal} ${action.node}`;
    case 'restart':
      return `restart ${action.node}`;
    case 'clock':
      return `clock offset ${action.offsetMs}ms on ${action.node}`;
    case 'addNode':
      return `add a node to ${action.region}`;
  }
}
