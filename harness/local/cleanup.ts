// One place that knows everything a run started, so that teardown is certain: after a normal
// end, on an error, on SIGINT/SIGTERM, and (best effort, synchronously) when the process exits.
// Everything that starts a process, a port or a timer registers its undo here.
import type { ChildProcess } from 'node:child_process';
import { ExitCode } from '../cli/exit-codes.ts';

export interface CleanupRegistry {
  /** Registers an undo step; returns a function that removes it (call it once the thing is gone). */
  add(name: string, undo: () => Promise<void> | void): () => void;
  /** Tracks a child for the last-resort SIGKILL on process exit; returns an untrack function. */
  trackChild(child: ChildProcess): () => void;
  /**
   * Runs every undo step, newest first, each bounded by `stepTimeoutMs`. Errors are collected,
   * never thrown, so one stuck step cannot leave the others undone. Safe to call twice: the
   * second call waits for the first.
   */
  run(options?: { stepTimeoutMs?: number }): Promise<string[]>;
  /** Kills every tracked child with SIGCONT + SIGKILL, synchronously. For process 'exit'. */
  killAllNow(): void;
  /** How many undo steps are registered. */
  size(): number;
}

export function createCleanupRegistry(): CleanupRegistry {
  let steps: { id: number; name: string; undo: () => Promise<void> | void }[] = [];
  const children = new Set<ChildProcess>();
  let nextId = 1;
  let running: Promise<string[]> | undefined;

  const registry: CleanupRegistry = {
    add(name, undo) {
      const id = nextId++;
      steps.push({ id, name, undo });
      return () => {
        steps = steps.filter((s) => s.id !== id);
      };
    },
    trackChild(child) {
      children.add(child);
      const untrack = () => children.delete(child);
      child.once('exit', untrack);
      return () => {
        untrack();
      };
    },
    run(options = {}) {
      if (running !== undefined) return running;
      const stepTimeoutMs = options.stepTimeoutMs ?? 15_000;
      running = (async () => {
        const errors: string[] = [];
        while (steps.length > 0) {
          const step = steps.pop();
          if (step === undefined) break;
          let timer: NodeJS.Timeout | undefined;
          try {
            await Promise.race([
              Promise.resolve().then(step.undo),
              new Promise<void>((_, reject) => {
                timer = setTimeout(
                  () => reject(new Error(`timed out after ${stepTimeoutMs} ms`)),
                  stepTimeoutMs,
                );
                timer.unref();
              }),
            ]);
          } catch (error) {
            errors.push(`${step.name}: ${error instanceof Error ? error.message : String(error)}`);
          } finally {
            if (timer !== undefined) clearTimeout(timer);
          }
        }
        running = undefined;
        return errors;
      })();
      return running;
    },
    killAllNow() {
      for (const child of children) {
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
        for (const signal of ['SIGCONT', 'SIGKILL'] as const) {
          try {
            process.kill(child.pid, signal);
          } catch {
            // Already gone.
          }
        }
      }
      children.clear();
    },
    size() {
      return steps.length;
    },
  };
  return registry;
}

/** The process-wide registry the run command and topology share. */
export const cleanup: CleanupRegistry = createCleanupRegistry();

let exitHookInstalled = false;

/** Makes sure tracked children die with this process, even on process.exit(). */
export function installExitHook(registry: CleanupRegistry = cleanup): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => registry.killAllNow());
}

/**
 * Routes SIGINT and SIGTERM to `onSignal` (first time: graceful abort). A second signal while
 * the first is being handled kills every child at once and exits, as users expect from a
 * second Ctrl-C (105, k6's ExternalAbort, like the first). Returns a function that removes the handlers.
 */
export function onTerminationSignal(
  onSignal: (signal: NodeJS.Signals) => void,
  registry: CleanupRegistry = cleanup,
): () => void {
  let received = 0;
  const handler = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) {
      onSignal(signal);
      return;
    }
    process.stderr.write(`\nchatquake: second ${signal}, killing everything now\n`);
    registry.killAllNow();
    process.exit(ExitCode.externalAbort);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
