// What the console's buttons do, apart from HTTP: inject a fault now (a scenario's `chaos:`
// entry without `at`, checked by the same zod schema and resolved against the same topology and
// aliases as a planned one), heal one, heal all, and stop the session. Every refusal is a
// ControlError with an HTTP status and, for a bad fault, the field at fault.

import type { ChaosTopology, ResolvedFault } from '../../chaos/index.ts';
import { FaultSpec, FaultSpecError, type LiveTimeline, resolveTimeline } from '../../chaos/index.ts';
import type { InjectAnswer } from '../../contracts/console.ts';

export class ControlError extends Error {
  override name = 'ControlError';
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface ControlContext {
  topology: ChaosTopology;
  aliases: Record<string, string>;
  seed: number;
  /** The live timeline once load has started; undefined before. */
  timeline(): LiveTimeline | undefined;
  /** ms of load left before the session's bound. */
  remainingMs(): number;
  /** Why no fault may be injected now (stopping, ended), or undefined. */
  closed(): string | undefined;
  /** Told of each fault as it is scheduled, shifted to load time, before it acts. */
  plan(fault: ResolvedFault): void;
  /** Ends the load; the session then heals, converges and is judged. */
  stop(): void;
}

export interface ConsoleControls {
  inject(body: unknown): Promise<InjectAnswer>;
  heal(id: string): Promise<void>;
  healAll(): Promise<string[]>;
  stop(): void;
}

/** The first zod issue as a field path ("link.from") and its message; an unknown key is its own field. */
function firstIssue(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string; keys?: readonly string[] }[];
}) {
  const issue = error.issues[0];
  const path = [...(issue?.path ?? []), ...(issue?.keys?.slice(0, 1) ?? [])];
  return { field: path.map(String).join('.'), message: issue?.message ?? 'invalid fault' };
}

export function createControls(ctx: ControlContext): ConsoleControls {
  let injected = 0;
  /** m<n>-<kind> with the first n from the count so far that no fault has taken (a user may name one so). */
  const freeName = (kind: string): string => {
    const taken = new Set(
      ctx
        .timeline()
        ?.all()
        .map((f) => f.id) ?? [],
    );
    let n = injected + 1;
    while (taken.has(`m${n}-${kind}`)) n++;
    return `m${n}-${kind}`;
  };

  const ready = (): LiveTimeline => {
    const closed = ctx.closed();
    if (closed !== undefined) throw new ControlError(409, closed);
    const timeline = ctx.timeline();
    if (timeline === undefined)
      throw new ControlError(409, 'load has not started yet: try again in a moment');
    return timeline;
  };

  const parse = (body: unknown): FaultSpec => {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ControlError(
        400,
        'the body must be a JSON object: a fault such as {"fault":"regionOutage","region":"eu-west"}',
      );
    if ('at' in body) throw new ControlError(400, 'a fault from the console starts now: leave at out', 'at');
    const name =
      'name' in body && body.name !== undefined
        ? {}
        : { name: freeName(String((body as { fault?: unknown }).fault)) };
    const parsed = FaultSpec.safeParse({ ...body, ...name, at: 0 });
    if (!parsed.success) {
      const { field, message } = firstIssue(parsed.error);
      throw new ControlError(
        400,
        `${field === '' ? 'fault' : field}: ${message}`,
        field === '' ? 'fault' : field,
      );
    }
    return parsed.data;
  };

  const resolve = (spec: FaultSpec): ResolvedFault => {
    try {
      const [fault] = resolveTimeline([spec], ctx.topology, {
        seed: ctx.seed + injected,
        loadDurationMs: Math.max(1, ctx.remainingMs()),
        aliases: ctx.aliases,
      });
      return fault as ResolvedFault;
    } catch (error) {
      if (!(error instanceof FaultSpecError)) throw error;
      const field = error.path.replace(/^chaos\[0\]\.?/, '') || 'fault';
      throw new ControlError(400, error.message.replace(/^chaos\[0\]\.?/, ''), field);
    }
  };

  return {
    async inject(body) {
      const timeline = ready();
      const fault = resolve(parse(body));
      injected++;
      try {
        await timeline.inject(fault, ctx.plan);
      } catch (error) {
        throw new ControlError(409, (error as Error).message, 'name');
      }
      return { id: fault.id, kind: fault.kind, target: fault.target, regions: fault.regions };
    },
    async heal(id) {
      const timeline = ctx.timeline();
      if (timeline === undefined || !(await timeline.heal(id)))
        throw new ControlError(404, `no active fault "${id}"`);
    },
    async healAll() {
      const timeline = ctx.timeline();
      if (timeline === undefined) return [];
      const ids = timeline.active().map((f) => f.id);
      const healed = await Promise.all(ids.map((id) => timeline.heal(id)));
      return ids.filter((_, i) => healed[i]);
    },
    stop: () => ctx.stop(),
  };
}
