// The timeline's public face: resolve a scenario's faults, print them, run them.
export type { Clock } from './clock.ts';
export { realClock } from './clock.ts';
export { createLiveTimeline, type LiveTimeline, type LiveTimelineOptions } from './live.ts';
export type { ResolvedFault, ResolvedStep, ResolveOptions } from './resolve.ts';
export { FaultSpecError, formatTimeline, resolveTimeline } from './resolve.ts';
export type { AppliedFault, RunTimelineOptions, TimelineEvent, TimelineRun } from './runner.ts';
export { runTimeline } from './runner.ts';
