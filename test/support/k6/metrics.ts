// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// The stand-in's k6/metrics: Counter, Gauge, Rate and Trend
// (second argument isTime), declared in the init context only and fed with add(value, tags?),
// as k6's docs describe. Every sample goes to the run's JSON output with the VU's tags and k6's
// system tag `scenario`.
import type { MetricInfo, MetricType } from './output.ts';
import { currentRun, requireVu } from './state.ts';

const NAME = /^[\p{L}\p{N}._ !?/&#()<>%-]{1,128}$/u;
const declared = new Map<string, MetricType>();

/** The tags of one sample: the run's, the scenario's, the VU's, then the call's. */
export function sampleTags(extra: Record<string, unknown> | undefined): Record<string, string> {
  const run = currentRun();
  const vu = requireVu('adding samples to metrics');
  const tags: Record<string, string> = {
    ...run.testTags,
    ...run.scenario.tags,
    scenario: run.scenario.name,
    ...vu.tags,
  };
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (value !== undefined && value !== null) tags[key] = String(value);
  }
  return tags;
}

/** Emits one sample of a metric the stand-in itself keeps (k6's built-in metrics). */
export function builtin(metric: MetricInfo, value: number, tags?: Record<string, unknown>): void {
  currentRun().output.sample(metric, value, sampleTags(tags));
}

function declare(name: string, type: MetricType, isTime: boolean): MetricInfo {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new Error(
      `invalid metric name ${JSON.stringify(name)}: 1 to 128 letters, digits or ._ !?/&#()<>%-`,
    );
  }
  const run = currentRun();
  if (run.phase !== 'init') throw new Error(`metric ${name}: metrics must be declared in the init context`);
  const before = declared.get(name);
  if (before !== undefined && before !== type) {
    throw new Error(`metric ${name} is already a ${before}, it cannot also be a ${type}`);
  }
  declared.set(name, type);
  return { name, type, contains: isTime ? 'time' : 'default' };
}

function sampleValue(info: MetricInfo, value: number | boolean): number {
  if (info.type === 'rate') return value === true || (typeof value === 'number' && value !== 0) ? 1 : 0;
  const n = typeof value === 'boolean' ? Number(value) : value;
  if (typeof n !== 'number' || Number.isNaN(n)) {
    throw new Error(`metric ${info.name}: ${JSON.stringify(value)} is not a number`);
  }
  return n;
}

abstract class Metric {
  readonly name: string;
  readonly #info: MetricInfo;
  constructor(name: string, type: MetricType, isTime: boolean) {
    this.#info = declare(name, type, isTime);
    this.name = name;
  }
  add(value: number | boolean, tags?: Record<string, string>): void {
    const sample = sampleValue(this.#info, value);
    currentRun().output.sample(this.#info, sample, sampleTags(tags));
  }
}

export class Counter extends Metric {
  constructor(name: string, isTime = false) {
    super(name, 'counter', isTime);
  }
}

export class Gauge extends Metric {
  constructor(name: string, isTime = false) {
    super(name, 'gauge', isTime);
  }
}

export class Rate extends Metric {
  constructor(name: string, isTime = false) {
    super(name, 'rate', isTime);
  }
}

export class Trend extends Metric {
  constructor(name: string, isTime = false) {
    super(name, 'trend', isTime);
  }
}

/** Forgets the declared metrics: the next run starts with none. */
export function resetMetrics(): void {
  declared.clear();
}
