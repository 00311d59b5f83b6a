// Process faults on nodes that run in containers: the same ProcessBackend the timeline drives,
// with each signal mapped to what a container engine does (SIGKILL → kill, SIGSTOP → pause,
// SIGCONT → unpause, SIGTERM → stop). The engine is reached through a small ContainerControl
// that the harness provides, so chaos/ stays free of any Docker client.
import type { ProcessBackendHandle } from './process.ts';
import { resumeEach } from './resume-all.ts';

/** What the harness does to a node's container; node ids are "region/node". */
export interface ContainerControl {
  /** Whether the node's container is running (paused counts as running). */
  isRunning(nodeId: string): boolean;
  /** `docker kill` (SIGKILL): the container stops, its filesystem stays. */
  kill(nodeId: string): Promise<void>;
  /** `docker stop`: SIGTERM, then SIGKILL after a grace period. */
  stop(nodeId: string): Promise<void>;
  pause(nodeId: string): Promise<void>;
  unpause(nodeId: string): Promise<void>;
  /** Starts the same container again (same filesystem, so the node's data survives), once ready. */
  restart(nodeId: string): Promise<void>;
  /** Starts a new node container in a region, resolving with its id once it is ready. */
  addNode(region: string): Promise<string>;
  removeNode(nodeId: string): Promise<void>;
}

export function createContainerBackend(control: ContainerControl): ProcessBackendHandle {
  const paused = new Set<string>();

  const runningOrThrow = (nodeId: string): void => {
    if (!control.isRunning(nodeId)) throw new Error(`node ${nodeId} is not running`);
  };

  const unpauseIfPaused = async (nodeId: string): Promise<void> => {
    if (paused.delete(nodeId) && control.isRunning(nodeId)) await control.unpause(nodeId);
  };

  return {
    async signal(nodeId, signal) {
      if (signal === 'SIGCONT') {
        // Resuming is a heal: a node that died meanwhile has nothing left to resume.
        await unpauseIfPaused(nodeId);
        return;
      }
      runningOrThrow(nodeId);
      if (signal === 'SIGSTOP') {
        await control.pause(nodeId);
        paused.add(nodeId);
        return;
      }
      // The engine refuses to kill or stop a paused container: unpause it first.
      await unpauseIfPaused(nodeId);
      if (signal === 'SIGKILL') await control.kill(nodeId);
      else await control.stop(nodeId);
    },
    async restart(nodeId) {
      await unpauseIfPaused(nodeId);
      await control.restart(nodeId);
    },
    addNode: (region) => control.addNode(region),
    async removeNode(nodeId) {
      await unpauseIfPaused(nodeId);
      await control.removeNode(nodeId);
    },
    paused: () => [...paused],
    resumeAll() {
      return resumeEach(paused, (nodeId) => this.signal(nodeId, 'SIGCONT'), 'unpause');
    },
  };
}
