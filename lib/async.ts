// The two waits every room needs: a sleep an AbortSignal can cut short, and a bound on a promise
// that names what did not answer. One copy here, so a hung call reads the same everywhere.

/**
 * Resolves after `ms`, or as soon as `signal` aborts; never rejects. A negative `ms` still waits
 * for the next timer turn, so a loop that has fallen behind its schedule lets I/O run.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** `work`'s outcome, or a rejection "<what>: no answer within <ms> ms" once `ms` passes. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
