// The analyzer's fault views, computed at the end: each fault window in its lane (one lane per
// kind and target), how long the clients it cut off took to reconnect, and delivery latency
// during each fault against equal windows just before and after it.
import { createHistogram, type Histogram, merge } from '../../lib/histogram.ts';
import type { FaultLane, FaultWindow } from '../types.ts';
import { ALL, type FaultState, type Second } from './state.ts';
import { latencyStats, round } from './stats.ts';
import type { FaultPhase, ReconnectOutcome } from './types.ts';

/** The fault windows in seconds since the origin, each with its lane. */
export function faultWindows(
  faults: FaultState[],
  rel: (t: number) => number,
): { lanes: FaultLane[]; windows: FaultWindow[] } {
  const lanes: FaultLane[] = [];
  const laneIndex = new Map<string, number>();
  const windows: FaultWindow[] = faults.map((f) => {
    const key = `${f.kind}\u0000${f.target}`;
    let lane = laneIndex.get(key);
    if (lane === undefined) {
      lane = lanes.length;
      lanes.push({ kind: f.kind, target: f.target });
      laneIndex.set(key, lane);
    }
    return {
      id: f.id,
      kind: f.kind,
      target: f.target,
      regions: f.regions,
      lane,
      start: rel(f.start),
      end: f.end === null ? null : rel(f.end),
    };
  });
  return { lanes, windows };
}

export function reconnectOutcomes(faults: FaultState[]): ReconnectOutcome[] {
  return faults.map((f) => {
    const samples: number[] = [];
    for (const entry of f.affected.values()) {
      if (entry.recoveredAt !== null) samples.push(round((entry.recoveredAt - entry.outageStart) / 1000, 3));
    }
    samples.sort((a, b) => a - b);
    return { disconnected: f.affected.size, reconnected: samples.length, samples };
  });
}

/** Each fault against equal windows just before and after it, by intended send second. */
export function faultPhases(
  seconds: Second[],
  windows: FaultWindow[],
  durationSeconds: number,
): FaultPhase[] {
  const gather = (from: number, to: number): Histogram => {
    const h = createHistogram();
    seconds.forEach((s, i) => {
      const part = s?.delivery.get(ALL);
      const center = i + 0.5;
      if (part !== undefined && center >= from && center < to) merge(h, part);
    });
    return h;
  };
  return windows.map((w, fault) => {
    const end = w.end ?? durationSeconds;
    const windowSeconds = Math.min(60, Math.max(5, end - w.start));
    return {
      fault,
      windowSeconds: round(windowSeconds, 3),
      before: latencyStats(gather(w.start - windowSeconds, w.start)),
      during: latencyStats(gather(w.start, end)),
      after: latencyStats(gather(end, end + windowSeconds)),
    };
  });
}
