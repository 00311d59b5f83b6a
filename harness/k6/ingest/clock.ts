// What the history itself says about the k6 machines' clocks. A message sent in one clock
// domain and delivered in another gives a bound: the delivery cannot truly precede the send, so
// the receiver's clock is at most (delivery t − send t) ahead of the sender's. When that figure
// is negative the receiver's clock is behind by at least its opposite, and every latency across
// the two is off by as much: that is said as a warning, and every bound goes to ingest.json.
import type { HistoryEvent } from '../../../contracts/history.ts';
import { sendKey } from './merge.ts';

/** What the cross-domain messages say about `to`'s clock against `from`'s. */
export interface ClockBound {
  /** The sender's output file. */
  from: string;
  /** The receiver's output file. */
  to: string;
  /** Deliveries in `to` of messages sent in `from`. */
  messages: number;
  /** `to`'s clock is at most this many ms ahead of `from`'s (negative: at least its opposite behind). */
  maxAheadMs: number;
}

export interface ClockCheck {
  /** Feed every merged event with its domain index. */
  observe(event: HistoryEvent, domain: number): void;
  bounds(): ClockBound[];
  /** One sentence per pair whose receiver is provably behind. */
  warnings(): string[];
}

export function createClockCheck(
  files: readonly string[],
  sends: ReadonlyMap<string, [number, number]>,
): ClockCheck {
  /** "from\0to" → [messages, min(delivery t − send t)] */
  const pairs = new Map<string, { from: number; to: number; messages: number; min: number }>();
  const bounds = (): ClockBound[] =>
    [...pairs.values()]
      .sort((a, b) => a.from - b.from || a.to - b.to)
      .map((p) => ({
        from: files[p.from] as string,
        to: files[p.to] as string,
        messages: p.messages,
        maxAheadMs: Math.round(p.min * 1000) / 1000,
      }));
  return {
    observe(event, domain) {
      if (event.type !== 'deliver' || domain < 0) return;
      const sent = sends.get(sendKey(event.from, event.conv, event.cmid));
      if (sent === undefined || sent[0] === domain) return;
      const key = `${sent[0]}\u0000${domain}`;
      const gap = event.t - sent[1];
      const pair = pairs.get(key);
      if (pair === undefined) pairs.set(key, { from: sent[0], to: domain, messages: 1, min: gap });
      else {
        pair.messages++;
        pair.min = Math.min(pair.min, gap);
      }
    },
    bounds,
    warnings: () =>
      bounds()
        .filter((b) => b.maxAheadMs < 0)
        .map(
          (b) =>
            `instance ${b.to}'s clock is at least ${Math.ceil(-b.maxAheadMs)} ms behind ${b.from}'s: latencies across them are off by as much`,
        ),
  };
}
