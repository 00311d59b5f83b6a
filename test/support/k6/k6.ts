// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// The stand-in's `k6` module: check() (k6's `checks` rate, one
// sample per condition tagged `check`), group() and fail(). sleep() blocks a VU's runtime in k6,
// which one Node process running every VU cannot do, so the stand-in refuses it by name.
import { builtin } from './metrics.ts';
import type { MetricInfo } from './output.ts';

const CHECKS: MetricInfo = { name: 'checks', type: 'rate', contains: 'default' };

export function check<T>(
  value: T,
  sets: Record<string, (value: T) => boolean>,
  tags?: Record<string, string>,
): boolean {
  let all = true;
  for (const [name, condition] of Object.entries(sets)) {
    const ok = Boolean(condition(value));
    builtin(CHECKS, ok ? 1 : 0, { ...tags, check: name });
    all &&= ok;
  }
  return all;
}

export function group<T>(_name: string, fn: () => T): T {
  return fn();
}

export function fail(message?: string): never {
  throw new Error(message ?? 'fail() called');
}

export function sleep(_seconds: number): never {
  throw new Error('sleep() is not supported by the k6 stand-in: use k6/timers');
}

export default { check, group, fail, sleep };
