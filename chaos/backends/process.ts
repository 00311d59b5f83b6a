// Process faults on the nodes the harness started: signals by pid, restarts and scale-out
// through the harness's ProcessControl.

import { resumeEach } from './resume-all.ts';
import type { ProcessBackend, ProcessControl } from './types.ts';

export interface ProcessBackendHandle extends ProcessBackend {
  /** Nodes this backend stopped and has not resumed. */
  paused(): string[];
  /** SIGCONT to every node still stopped; part of every heal. */
  resumeAll(): Promise<void>;
}

export function createProcessBackend(control: ProcessControl): ProcessBackendHandle {
  const paused = new Set<string>();

  const pidOrThrow = (nodeId: string): number => {
    const pid = control.pidOf(nodeId);
    if (pid === undefined) throw new Error(`node ${nodeId} is not running`);
    return pid;
  };

  const send = (nodeId: string, signal: NodeJS.Signals): void => {
    const pid = pidOrThrow(nodeId);
    try {
      process.kill(pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH')
        throw new Error(`node ${nodeId} (pid ${pid}) is gone`);
      throw error;
    }
  };

  return {
    async signal(nodeId, signal) {
      if (signal === 'SIGCONT') {
        // Resuming is a heal: a node that died meanwhile has nothing left to resume.
        paused.delete(nodeId);
        const pid = control.pidOf(nodeId);
        if (pid !== undefined) {
          try {
            process.kill(pid, 'SIGCONT');
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
          }
        }
        return;
      }
      send(nodeId, signal);
      if (signal === 'SIGSTOP') paused.add(nodeId);
      else if (paused.delete(nodeId) && signal === 'SIGTERM') {
        // A stopped process only acts on SIGTERM once it runs again.
        send(nodeId, 'SIGCONT');
      }
    },
    async restart(nodeId) {
      if (paused.delete(nodeId)) {
        const pid = control.pidOf(nodeId);
        if (pid !== undefined) process.kill(pid, 'SIGCONT');
      }
      await control.restart(nodeId);
    },
    addNode: (region) => control.addNode(region),
    async removeNode(nodeId) {
      paused.delete(nodeId);
      await control.removeNode(nodeId);
    },
    paused: () => [...paused],
    resumeAll() {
      return resumeEach(paused, (nodeId) => this.signal(nodeId, 'SIGCONT'), 'SIGCONT');
    },
  };
}
