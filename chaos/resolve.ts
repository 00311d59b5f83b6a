// Turns the scenario's fault specs into a concrete, seeded timeline of backend calls, before
// anything starts. The same seed and topology always give the same timeline, and the dry run
// prints exactly what a real run will do.
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { createRandom } from '../lib/random.ts';
import { describeAction, type FaultAction } from './actions.ts';
import { type FaultContext, FaultSpecError } from './faults/context.ts';
import { faultModules } from './faults/index.ts';
import { FaultSpec } from './faults/spec.ts';
import type { ChaosTopology } from './topology.ts';

export { FaultSpecError };

export interface ResolvedStep {
  /** ms from load start. */
  at: number;
  actions: FaultAction[];
}

export interface ResolvedFault {
  /** The spec's name, or "f<n>-<kind>" with n counting from 1 in scenario order. */
  id: string;
  kind: string;
  /** ms from load start. */
  at: number;
  /** ms from load start; null = until the end of the run (reverted by healAll). */
  until: number | null;
  /** Human readable, e.g. "region eu-west". */
  target: string;
  /** Regions the fault touches. */
  regions: string[];
  /** Concrete backend calls that apply the fault. */
  actions: FaultAction[];
  /** Calls that revert it, run at `until` or by healAll. */
  reverts: FaultAction[];
  /** Calls between apply and revert (flap's toggles), in time order. */
  steps?: ResolvedStep[];
  /** No revert: the effect stays for the rest of the run (scaleOut). */
  instant?: boolean;
}

export interface ResolveOptions {
  seed: number;
  loadDurationMs: number;
  /** Region aliases ('@busiest' → 'eu-west') chosen by the harness. */
  aliases?: Record<string, string>;
}

/** Bound on generated flap steps, so a typo like period "1ms" cannot make a million steps. */
const MAX_STEPS_PER_FAULT = 10_000;

function zodPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/**
 * Resolves faults against a topology. Throws a FaultSpecError whose message starts with the
 * field at fault, e.g. `chaos[2].region: unknown region "eu-wset" (known: eu-west, us-east)`.
 */
export function resolveTimeline(
  faults: readonly FaultSpec[],
  topology: ChaosTopology,
  options: ResolveOptions,
): ResolvedFault[] {
  const random = createRandom(options.seed).fork('chaos');
  const aliases = options.aliases ?? {};
  const ids = new Set<string>();
  return faults.map((raw, index) => {
    const path = `chaos[${index}]`;
    const parsed = FaultSpec.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new FaultSpecError(`${path}${zodPath(issue?.path ?? [])}`, issue?.message ?? 'invalid fault');
    }
    const spec = parsed.data;
    const id = spec.name ?? `f${index + 1}-${spec.fault}`;
    if (ids.has(id)) throw new FaultSpecError(`${path}.name`, `"${id}" is used by another fault`);
    ids.add(id);

    const fail = (field: string, message: string): never => {
      throw new FaultSpecError(`${path}.${field}`, message);
    };
    const ctx: FaultContext = {
      topology,
      random: random.fork(`f${index + 1}`),
      id,
      fail,
      region(field, value) {
        let name = value;
        if (value.startsWith('@')) {
          const resolved = aliases[value];
          if (resolved === undefined) {
            const known = Object.keys(aliases);
            fail(field, `unknown alias "${value}"${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}`);
          }
          name = resolved as string;
        }
        if (!topology.regions.includes(name))
          fail(field, `unknown region "${name}" (known: ${topology.regions.join(', ')})`);
        return name;
      },
    };

    const at = parseDuration(spec.at);
    if (at >= options.loadDurationMs)
      fail(
        'at',
        `${formatDuration(at)} is not before the end of load (${formatDuration(options.loadDurationMs)})`,
      );
    const module = faultModules[spec.fault] as (
      s: FaultSpec,
      c: FaultContext,
    ) => ReturnType<(typeof faultModules)['latency']>;
    const plan = module(spec, ctx);
    if (plan.actions.length === 0) fail('fault', 'selects nothing in this topology');

    const durationMs =
      plan.durationMs ??
      ('duration' in spec && spec.duration !== undefined ? parseDuration(spec.duration) : undefined);
    if (durationMs === 0) {
      // Apply and revert at one instant cannot be ordered against other faults meaningfully.
      fail(plan.durationMs === undefined ? 'duration' : 'restartAfter', 'must be more than 0');
    }
    const until = plan.instant ? null : durationMs === undefined ? null : at + durationMs;
    const resolved: ResolvedFault = {
      id,
      kind: spec.fault,
      at,
      until,
      target: plan.target,
      regions: plan.regions,
      actions: plan.actions,
      reverts: plan.reverts,
    };
    if (plan.instant) resolved.instant = true;
    if (plan.cycle !== undefined) {
      const end = until ?? options.loadDurationMs;
      const half = plan.cycle.periodMs / 2;
      if ((end - at) / half > MAX_STEPS_PER_FAULT)
        fail(
          'period',
          `${formatDuration(plan.cycle.periodMs)} toggles more than ${MAX_STEPS_PER_FAULT} times`,
        );
      const steps: ResolvedStep[] = [];
      for (let k = 1; at + k * half < end; k++) {
        steps.push({ at: at + k * half, actions: k % 2 === 1 ? plan.cycle.up : plan.cycle.down });
      }
      resolved.steps = steps;
    }
    return resolved;
  });
}

const MAX_STEPS_SHOWN = 4;

function time(ms: number): string {
  return ms === 0 ? '0s' : formatDuration(ms);
}

/** The dry-run text: one block per fault in time order, every backend call spelled out. */
export function formatTimeline(faults: readonly ResolvedFault[]): string {
  if (faults.length === 0) return 'chaos: no faults\n';
  const ordered = faults.slice().sort((a, b) => a.at - b.at);
  const lines: string[] = [`chaos: ${faults.length} fault${faults.length === 1 ? '' : 's'}`];
  for (const f of ordered) {
    const until = f.instant ? 'stays' : f.until === null ? 'until end of load' : `until ${time(f.until)}`;
    lines.push(
      `  ${time(f.at).padStart(7)}  ${f.id}  ${f.target}  [${until}; regions ${f.regions.join(',')}]`,
    );
    for (const a of f.actions) lines.push(`             apply   ${describeAction(a)}`);
    const steps = f.steps ?? [];
    for (const s of steps.slice(0, MAX_STEPS_SHOWN)) {
      for (const a of s.actions) lines.push(`    ${time(s.at).padStart(7)}  step    ${describeAction(a)}`);
    }
    if (steps.length > MAX_STEPS_SHOWN) {
      const last = steps[steps.length - 1] as ResolvedStep;
      lines.push(`             … ${steps.length - MAX_STEPS_SHOWN} more steps, the last at ${time(last.at)}`);
    }
    const when = f.until === null ? 'at end' : `at ${time(f.until)}`;
    for (const a of f.reverts) lines.push(`             revert  ${describeAction(a)} (${when})`);
  }
  return `${lines.join('\n')}\n`;
}
