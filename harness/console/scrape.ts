// Reads each node's /metrics for the console every couple of seconds: whether it answers, and
// the gauges its target names (homed conversations, replication lag). A plain line reader of
// the Prometheus text format, enough for gauges; a node that does not answer within a second is
// unreachable for that round. One round at a time: a slow round is never stacked on.
import type { TargetDefinition } from '../targets/types.ts';
import type { NodeReading } from './nodes.ts';

export const SCRAPE_INTERVAL_MS = 2000;
const SCRAPE_TIMEOUT_MS = 1000;

type Gauges = NonNullable<TargetDefinition['consoleGauges']>;

/** Sum and max of every sample of each named metric in an exposition text. */
export function readGauges(
  text: string,
  names: readonly string[],
): Map<string, { sum: number; max: number }> {
  const found = new Map<string, { sum: number; max: number }>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const nameEnd = line.search(/[{\s]/);
    const name = nameEnd < 0 ? line : line.slice(0, nameEnd);
    if (!names.includes(name)) continue;
    // `name{labels} value [timestamp]`: the value is the first field after the name and labels.
    const rest = line.slice(line[nameEnd] === '{' ? line.indexOf('}', nameEnd) + 1 : nameEnd).trim();
    const value = Number(rest.split(/\s+/)[0]);
    if (!Number.isFinite(value)) continue;
    const now = found.get(name) ?? { sum: 0, max: Number.NEGATIVE_INFINITY };
    now.sum += value;
    now.max = Math.max(now.max, value);
    found.set(name, now);
  }
  return found;
}

/** One node's reading from its exposition text. */
export function readingOf(text: string, gauges: Gauges): NodeReading {
  const names = [gauges.homed, gauges.lagSeconds, gauges.lagMessages].filter(
    (n): n is string => n !== undefined,
  );
  const found = readGauges(text, names);
  const pick = (name: string | undefined, how: 'sum' | 'max'): number | undefined =>
    name === undefined ? undefined : found.get(name)?.[how];
  const reading: NodeReading = { reachable: true };
  const homed = pick(gauges.homed, 'sum');
  const lagSeconds = pick(gauges.lagSeconds, 'max');
  const lagMessages = pick(gauges.lagMessages, 'sum');
  if (homed !== undefined) reading.homed = homed;
  // No peer series means nothing to confirm: a lag of 0.
  if (gauges.lagSeconds !== undefined) reading.lagSeconds = lagSeconds ?? 0;
  if (gauges.lagMessages !== undefined) reading.lagMessages = lagMessages ?? 0;
  return reading;
}

export interface NodeScraper {
  readings(): ReadonlyMap<string, NodeReading>;
  stop(): void;
}

/**
 * Scrapes `nodes()` (id → metrics URL, read each round so joined nodes are included) every
 * SCRAPE_INTERVAL_MS until stopped. Without gauges, nothing is scraped.
 */
export function startNodeScraper(
  nodes: () => readonly { id: string; metrics: string }[],
  gauges: Gauges | undefined,
): NodeScraper {
  const readings = new Map<string, NodeReading>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const one = async (id: string, url: string): Promise<void> => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
      const text = await response.text();
      readings.set(id, response.ok && gauges ? readingOf(text, gauges) : { reachable: response.ok });
    } catch {
      readings.set(id, { reachable: false });
    }
  };
  const round = async (): Promise<void> => {
    await Promise.all(nodes().map((n) => one(n.id, n.metrics)));
    if (!stopped) timer = setTimeout(() => void round(), SCRAPE_INTERVAL_MS).unref();
  };
  if (gauges !== undefined) void round();
  return {
    readings: () => readings,
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
