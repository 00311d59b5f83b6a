// The dependency-free half of tracing, shared by the node and the client: whether the standard
// OTEL_* environment variables turn traces on (so that, when they do not, nobody loads the
// OpenTelemetry SDK at all), and the W3C `traceparent` header a message carries between
// processes, read and written by hand so that no propagator needs to be configured.

/** The variables read here; a plain record so tests can pass their own. */
export type OtelEnv = Readonly<Record<string, string | undefined>>;

const set = (value: string | undefined): boolean => value !== undefined && value.trim() !== '';

/**
 * True when the environment asks for traces: OTEL_TRACES_EXPORTER names an exporter other than
 * `none`, or (with OTEL_TRACES_EXPORTER unset) an OTLP endpoint is given. OTEL_SDK_DISABLED=true
 * wins over both. Nothing set: false, so tracing is off by default.
 */
export function tracesWanted(env: OtelEnv): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER;
  if (set(exporters)) {
    return exporters!
      .split(',')
      .map((e) => e.trim().toLowerCase())
      .some((e) => e !== '' && e !== 'none');
  }
  return set(env.OTEL_EXPORTER_OTLP_ENDPOINT) || set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * The OTEL_* variables set in `env`, for a process that does not inherit them (a container):
 * tracing turned on for a run reaches the node containers too.
 */
export function otelVariables(env: OtelEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (name.startsWith('OTEL_') && value !== undefined) out[name] = value;
  return out;
}

/** The variables a compose file passes through from the shell to the processes that trace. */
export const OTEL_PASSTHROUGH = [
  'OTEL_TRACES_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
] as const;

/** A W3C trace context, version 00: `00-<trace id>-<parent span id>-<flags>`, lower-case hex. */
export const TRACEPARENT_PATTERN = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

export interface TraceParent {
  traceId: string;
  spanId: string;
  /** Bit 0: sampled. */
  flags: number;
}

/** The parts of a `traceparent`, or undefined when it is not a valid version-00 one. */
export function parseTraceparent(header: string): TraceParent | undefined {
  if (!TRACEPARENT_PATTERN.test(header)) return undefined;
  return {
    traceId: header.slice(3, 35),
    spanId: header.slice(36, 52),
    flags: Number.parseInt(header.slice(53), 16),
  };
}

export function formatTraceparent(tp: TraceParent): string {
  return `00-${tp.traceId}-${tp.spanId}-${(tp.flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** Whether the message's trace was sampled: only those are traced further (parent-based sampling). */
export function isSampled(header: string): boolean {
  return (Number.parseInt(header.slice(-2), 16) & 1) === 1;
}
