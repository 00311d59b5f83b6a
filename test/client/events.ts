// Collects a client's events and waits for conditions on them, for the client's integration tests.
import type { ClientEvent } from '../../client/index.ts';

export interface EventLog {
  events: ClientEvent[];
  onEvent: (event: ClientEvent) => void;
  of<T extends ClientEvent['type']>(type: T): Extract<ClientEvent, { type: T }>[];
  /** Resolves with the first event (from the start of the log) matching; rejects after timeoutMs. */
  waitFor<T extends ClientEvent['type']>(
    type: T,
    match?: (event: Extract<ClientEvent, { type: T }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<ClientEvent, { type: T }>>;
  /** Resolves once `count` events of the type (matching) have been seen. */
  waitForCount<T extends ClientEvent['type']>(
    type: T,
    count: number,
    match?: (event: Extract<ClientEvent, { type: T }>) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<ClientEvent, { type: T }>[]>;
}

export function eventLog(): EventLog {
  const events: ClientEvent[] = [];
  const waiters = new Set<() => void>();
  const of = <T extends ClientEvent['type']>(type: T) =>
    events.filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type);
  const log: EventLog = {
    events,
    onEvent(event) {
      events.push(event);
      for (const waiter of [...waiters]) waiter();
    },
    of,
    async waitFor(type, match = () => true, timeoutMs = 5000) {
      const [found] = await log.waitForCount(type, 1, match, timeoutMs);
      return found!;
    },
    waitForCount(type, count, match = () => true, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = of(type).filter(match);
          if (found.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found.slice(0, count));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const tail = events
            .slice(-15)
            .map((e) => JSON.stringify(e))
            .join('\n  ');
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${count} × ${type}; last events:\n  ${tail}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
  };
  return log;
}

export { sleep } from '../../lib/async.ts';
