// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// The stand-in's `--out json=FILE`: one JSON object per line, a
// "Metric" line the first time a metric gets a sample, then one "Point" line per sample, in the
// layout of k6's JSON output. Lines are written in chunks with synchronous writes, so that a run
// of millions of samples neither grows memory nor loses a line if the process ends.
import { closeSync, openSync, writeSync } from 'node:fs';

export type MetricType = 'counter' | 'trend' | 'rate' | 'gauge';

export interface MetricInfo {
  name: string;
  type: MetricType;
  contains: 'default' | 'time';
}

export interface Output {
  sample(metric: MetricInfo, value: number, tags: Record<string, string>): void;
  /** Writes what is buffered and closes the file. */
  close(): void;
  /** Samples written so far. */
  readonly samples: number;
}

const CHUNK = 64 * 1024;

/** Wall-clock time with nanoseconds: one Date.now() anchor, advanced by the monotonic clock. */
export function nanoClock(): () => string {
  const anchorNs = BigInt(Date.now()) * 1_000_000n;
  const hr0 = process.hrtime.bigint();
  return () => rfc3339(anchorNs + (process.hrtime.bigint() - hr0));
}

/** RFC 3339 in UTC with nine fractional digits, as k6 writes sample times. */
export function rfc3339(unixNs: bigint): string {
  const ms = Number(unixNs / 1_000_000n);
  const seconds = new Date(ms).toISOString().slice(0, 19);
  const fraction = (unixNs % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${fraction}Z`;
}

export function jsonOutput(
  path: string,
  thresholdsOf: (metric: string) => string[],
  now: () => string = nanoClock(),
): Output {
  const fd = openSync(path, 'w');
  const declared = new Set<string>();
  let buffer = '';
  let samples = 0;
  let closed = false;
  const flush = (): void => {
    if (buffer.length > 0) writeSync(fd, buffer);
    buffer = '';
  };
  return {
    get samples() {
      return samples;
    },
    sample(metric, value, tags) {
      if (closed) return;
      if (!declared.has(metric.name)) {
        declared.add(metric.name);
        const data = { ...metric, thresholds: thresholdsOf(metric.name), submetrics: null };
        buffer += `${JSON.stringify({ type: 'Metric', data, metric: metric.name })}\n`;
      }
      const data = { time: now(), value, tags };
      buffer += `${JSON.stringify({ metric: metric.name, type: 'Point', data })}\n`;
      samples++;
      if (buffer.length >= CHUNK) flush();
    },
    close() {
      if (closed) return;
      closed = true;
      flush();
      closeSync(fd);
    },
  };
}
