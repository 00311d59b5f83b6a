// The sender loop of one link: at most one request in flight, the next one scheduled as soon as
// something is dirty, and a backed-off retry (sent even when empty, as a keepalive) after a
// failed exchange.
import { collectItems } from './batch.ts';
import { applyResults, exchange } from './exchange.ts';
import type { Link, ShipperState } from './state.ts';

export interface Sender {
  /** Sends what is dirty (or, with `keepalive`, an empty request) unless a request is in flight. */
  flush(link: Link, keepalive: boolean): Promise<void>;
  /** Schedules a flush for the next turn unless one is in flight, scheduled or waiting to retry. */
  kick(link: Link): void;
}

export function createSender(state: ShipperState): Sender {
  const kick = (link: Link): void => {
    if (state.stopped || link.inFlight || link.scheduled || link.retryTimer !== null) return;
    link.scheduled = true;
    setImmediate(() => {
      link.scheduled = false;
      void flush(link, false);
    });
  };

  const retryLater = (link: Link): void => {
    const delay = Math.min(2000, 50 * 2 ** Math.min(link.failures, 6));
    link.retryTimer = setTimeout(() => {
      link.retryTimer = null;
      void flush(link, true);
    }, delay);
  };

  const flush = async (link: Link, keepalive: boolean): Promise<void> => {
    if (state.stopped || link.inFlight) return;
    const items = collectItems(state, link);
    if (items.length === 0 && !keepalive) return;
    link.inFlight = true;
    link.rid += 1;
    link.lastSentAt = performance.now();
    const results = await exchange(state, link, items);
    link.inFlight = false;
    if (state.stopped) return;
    if (results !== null) {
      applyResults(state, link, items, results);
      if (link.dirty.size > 0) kick(link);
    } else {
      retryLater(link);
    }
  };

  return { flush, kick };
}
