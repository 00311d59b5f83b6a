// Ctrl-C (or a CI runner's SIGTERM) must not leave proxies down, toxics installed or nodes
// frozen. On the first signal the heal runs once, bounded in time; then, if no other handler
// for that signal is still at work, the signal is raised again with no handler installed, so
// the process ends the way it would have without us (killed by SIGINT, exit status 130 in a
// shell). Several cleanups compose: each removes itself when done and the last one re-raises.
// A second signal while healing exits at once, as with k6 and most CLIs.

export type HealSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

export interface HealOnSignalOptions {
  /** Longest the heal may take before the process exits anyway (default 15000 ms). */
  timeoutMs?: number;
  /** Default SIGINT and SIGTERM. */
  signals?: HealSignal[];
  /** Where progress lines go (default stderr). */
  log?: (line: string) => void;
}

/** Returns a function that removes the handlers (call it once the run healed normally). */
export function installHealOnSignal(
  heal: () => Promise<void>,
  options: HealOnSignalOptions = {},
): () => void {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let healing = false;

  const uninstall = (): void => {
    for (const s of signals) process.removeListener(s, onSignal);
  };
  const reraise = (signal: HealSignal): void => {
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  function onSignal(signal: HealSignal): void {
    if (healing) {
      log(`chatquake: second ${signal}, exiting without waiting for the heal`);
      uninstall();
      reraise(signal);
      return;
    }
    healing = true;
    log(`chatquake: ${signal} received, healing every fault before exit`);
    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        log(`chatquake: heal did not finish within ${timeoutMs}ms, exiting anyway`);
        resolve();
      }, timeoutMs);
    });
    const work = Promise.resolve()
      .then(heal)
      .catch((error: unknown) =>
        log(`chatquake: heal failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    void Promise.race([work, bounded]).then(() => {
      clearTimeout(timer);
      uninstall();
      reraise(signal);
    });
  }

  for (const s of signals) process.on(s, onSignal);
  return uninstall;
}
