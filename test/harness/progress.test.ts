import { describe, expect, it } from 'vitest';
import { createProgress, formatStatusLine, type ProgressSnapshot } from '../../harness/cli/progress.ts';

const snapshot: ProgressSnapshot = {
  phase: 'load',
  elapsedMs: 12_400,
  totalMs: 30_000,
  sentPerSec: 201.4,
  deliveredPerSec: 9.25,
  deliveryP99Ms: 1234,
  reconnects: 3,
  activeFaults: ['outage-1'],
  violations: 2,
  sent: 2000,
  acked: 1990,
  delivered: 5000,
  healthy: true,
};

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return {
    chunks,
    stream: { isTTY, columns: 80, write: (s: string) => chunks.push(s) } as unknown as NodeJS.WriteStream,
  };
}

describe('progress', () => {
  it('shows elapsed/total, rates, p99, reconnects, faults and violations', () => {
    const line = formatStatusLine(snapshot);
    for (const part of [
      '12s/30s',
      'sent 201/s',
      'delivered 9.3/s',
      'p99 1.23s',
      'reconnects 3',
      'faults outage-1',
      'violations 2',
    ])
      expect(line).toContain(part);
  });

  it('rewrites one line on a terminal and never wraps it', () => {
    const { chunks, stream } = fakeStream(true);
    const progress = createProgress({ stream, interactive: true });
    progress.update(snapshot);
    progress.update(snapshot);
    expect(chunks.every((c) => c.startsWith('\r\x1b[2K'))).toBe(true);
    expect(chunks[0]?.length).toBeLessThanOrEqual(80 + 5);
    progress.log('fault started');
    expect(chunks.at(-1)).toBe('fault started\n');
  });

  it('prints a plain line every interval elsewhere', () => {
    const { chunks, stream } = fakeStream(false);
    let now = 0;
    const progress = createProgress({ stream, interactive: false, plainIntervalMs: 5000, now: () => now });
    progress.update(snapshot);
    now = 1000;
    progress.update(snapshot);
    now = 5000;
    progress.update(snapshot);
    expect(chunks).toHaveLength(2);
    expect(chunks.every((c) => c.endsWith('\n') && !c.includes('\r'))).toBe(true);
  });

  it('prints nothing when quiet', () => {
    const { chunks, stream } = fakeStream(false);
    const progress = createProgress({ stream, quiet: true });
    progress.update(snapshot);
    progress.log('x');
    expect(chunks).toEqual([]);
  });
});
