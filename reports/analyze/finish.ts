// The analyzer's last step: once every event is in, replay what arrived early, lay the run on
// the charts' time axis and assemble the RunAnalysis from the parts (buckets.ts, faults.ts,
// matrix.ts).
import { bucketsOf, counterSeries, latencySeries, openSeries, relativeTo } from './buckets.ts';
import { faultPhases, faultWindows, reconnectOutcomes } from './faults.ts';
import { regionMatrix } from './matrix.ts';
import { replayPending } from './messages.ts';
import { ALL, type AnalyzerState } from './state.ts';
import { round } from './stats.ts';
import type { RunAnalysis } from './types.ts';

/** Regions in the order the run declared them, then any others seen, alphabetically. */
function orderedRegions(declared: readonly string[], seen: Set<string>): string[] {
  const out = [...declared];
  const extra = [...seen].filter((r) => !out.includes(r) && r !== 'unknown').sort();
  out.push(...extra);
  if (seen.has('unknown')) out.push('unknown');
  return out;
}

/** Seconds [from, to) in which load was generated: load_start..load_stop, else the whole run. */
function loadWindowOf(state: AnalyzerState, rel: (t: number) => number, nSeconds: number): [number, number] {
  const phaseTime = (name: string): number | undefined => state.phases.find((p) => p.name === name)?.t;
  const loadStart = phaseTime('load_start');
  const loadStop = phaseTime('load_stop');
  return [
    loadStart === undefined ? 0 : Math.floor(rel(loadStart)),
    loadStop === undefined ? nSeconds : Math.max(1, Math.ceil(rel(loadStop))),
  ];
}

export function finishAnalysis(state: AnalyzerState): RunAnalysis {
  replayPending(state);
  const { seconds, runStart, sample } = state;
  const b = bucketsOf(state);
  const rel = relativeTo(b.origin);
  const regions = orderedRegions(runStart?.regions ?? [], state.regionsSeen);
  const byRegion = <T>(make: (region: string) => T): Record<string, T> =>
    Object.fromEntries(regions.map((r) => [r, make(r)]));
  const latencyOf = (kind: 'delivery' | 'ack') => ({
    all: latencySeries(seconds, b, kind, ALL),
    byRegion: byRegion((r) => latencySeries(seconds, b, kind, r)),
  });
  const open = openSeries(seconds, b, regions);
  const { lanes, windows } = faultWindows(state.faults, rel);
  const reconnects = reconnectOutcomes(state.faults);
  const matrix = regionMatrix(state, regions);
  const phases = faultPhases(seconds, windows, b.durationSeconds);
  const loadWindow = loadWindowOf(state, rel, b.nSeconds);

  sample.sort((x, y) => x.intendedAt - y.intendedAt);

  return {
    runId: runStart?.runId ?? null,
    scenario: runStart?.scenario ?? null,
    seed: runStart?.seed ?? null,
    ackLevel: runStart?.ackLevel ?? null,
    regions,
    t0: b.origin,
    durationSeconds: b.durationSeconds,
    users: state.userHome.size,
    conversations: state.convMembers.size,
    phases: state.phases.map((p) => ({ name: p.name, t: rel(p.t) })),
    step: b.step,
    x: Array.from({ length: b.nBuckets }, (_, i) => i * b.step),
    latency: { delivery: latencyOf('delivery'), ack: latencyOf('ack') },
    connections: {
      open,
      reconnects: byRegion((r) => counterSeries(seconds, b, 'reconnects', r)),
      failovers: byRegion((r) => counterSeries(seconds, b, 'failovers', r)),
    },
    samples: {
      t: sample.map((s) => rel(s.intendedAt)),
      ms: sample.map((s) => round(s.ms, 2)),
      outcome: sample.map((s) => s.outcome),
      total: state.sampleSeen,
    },
    lanes,
    faults: windows,
    reconnects,
    matrix,
    faultPhases: phases,
    deliveryBySecond: Array.from({ length: b.nSeconds }, (_, i) => seconds[i]?.delivery.get(ALL)),
    loadWindow,
    warnings: [...state.warnings],
  };
}
