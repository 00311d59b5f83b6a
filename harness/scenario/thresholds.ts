// The thresholds a run is judged by: the checks' defaults (every consistency check must find
// nothing) with the scenario's own on top. A metric key the scenario names replaces the
// default list for that key, as in k6 where each key owns its list.

import type { ParsedThreshold } from '../../checks/index.ts';
import { defaultThresholds, parseThresholds } from '../../checks/index.ts';
import type { ThresholdsSpec } from './scenario.ts';

export interface ThresholdSet {
  /** The merged thresholds in k6's object form, as written to run.json. */
  raw: ThresholdsSpec;
  parsed: ParsedThreshold[];
}

export function mergeThresholds(scenario: ThresholdsSpec): ThresholdsSpec {
  return { ...defaultThresholds, ...scenario };
}

/** Parses merged thresholds; throws an Error naming the key and expression. */
export function validateThresholds(raw: ThresholdsSpec): ThresholdSet {
  return { raw, parsed: parseThresholds(raw) };
}

export function formatThresholds(set: ThresholdSet): string[] {
  return set.parsed.map((t) => {
    const flags = t.abortOnFail
      ? `  (abortOnFail${t.delayAbortEvalMs !== undefined ? `, after ${t.delayAbortEvalMs / 1000}s` : ''})`
      : '';
    return `${t.key}: ${t.expression}${flags}`;
  });
}
