// The client's tracing glue: a `send {conversation}` span for each message sent (the root of
// its trace), with the messaging semantic-convention attributes, whose W3C traceparent rides in
// the send frame so the nodes continue the trace (im-server/tracing.ts); it ends when the
// message's outcome is known. Off unless the OTEL_* environment asks for traces and someone
// starts it (the harness does for its virtual users); until then the client checks one null and
// the OpenTelemetry SDK is never loaded.
import type * as OtelApi from '@opentelemetry/api';
import { formatTraceparent, type OtelEnv, tracesWanted } from '../lib/trace-context.ts';

/** `messaging.system` of every span chatquake makes. */
export const MESSAGING_SYSTEM = 'chatquake';

export type SendOutcome = 'acked' | 'failed' | 'expired' | 'abandoned' | 'refused' | 'duplicate';

/** The span of one send, open until its outcome. */
export interface SendSpan {
  /** What the send frame carries; undefined when the sampler left this message out. */
  readonly traceparent: string | undefined;
  end(outcome: SendOutcome, attributes?: Record<string, string | number>): void;
}

export interface ClientTracing {
  startSend(conv: string, cmid: string): SendSpan;
  /** Flushes what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

let active: ClientTracing | null = null;

/** The tracing clients in this process use, or null (off). */
export function clientTracing(): ClientTracing | null {
  return active;
}

/** Sets (or, with null, clears) the tracing every client in this process uses. */
export function useClientTracing(tracing: ClientTracing | null): void {
  active = tracing;
}

/** The glue over an OpenTelemetry API and tracer (the SDK's, or a test's provider). */
export function createClientTracing(
  api: Pick<typeof OtelApi, 'SpanKind' | 'SpanStatusCode'>,
  tracer: OtelApi.Tracer,
  shutdown: () => Promise<void>,
): ClientTracing {
  return {
    startSend(conv, cmid) {
      const span = tracer.startSpan(`send ${conv}`, {
        root: true,
        kind: api.SpanKind.PRODUCER,
        attributes: {
          'messaging.system': MESSAGING_SYSTEM,
          'messaging.operation.name': 'send',
          'messaging.operation.type': 'send',
          'messaging.destination.name': conv,
          'messaging.message.conversation_id': conv,
          'messaging.message.id': cmid,
        },
      });
      const sc = span.spanContext();
      const sampled = (sc.traceFlags & 1) === 1;
      return {
        traceparent: sampled
          ? formatTraceparent({ traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags })
          : undefined,
        end(outcome, attributes) {
          span.setAttribute('chatquake.outcome', outcome);
          if (attributes !== undefined) span.setAttributes(attributes);
          if (outcome !== 'acked' && outcome !== 'duplicate')
            span.setStatus({ code: api.SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
    shutdown,
  };
}

export type SdkLoader = () => Promise<typeof import('@opentelemetry/sdk-node')>;
const loadSdk: SdkLoader = () => import('@opentelemetry/sdk-node');

/**
 * Starts the OpenTelemetry SDK as the OTEL_* environment configures it, traces only, under
 * `serviceName` unless OTEL_SERVICE_NAME names one, and makes it every client's tracing; null,
 * without loading anything, when the environment does not ask for traces.
 */
export async function startClientTracing(
  serviceName = 'chatquake-client',
  env: OtelEnv = process.env,
  load: SdkLoader = loadSdk,
): Promise<ClientTracing | null> {
  if (!tracesWanted(env)) return null;
  const sdk = await load();
  const named = (env.OTEL_SERVICE_NAME ?? '').trim() !== '';
  const node = new sdk.NodeSDK({
    ...(named ? {} : { serviceName }),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  node.start();
  const tracing = createClientTracing(sdk.api, sdk.api.trace.getTracer('chatquake'), async () => {
    if (active === tracing) active = null;
    await node.shutdown();
    // Unregistered, so that a later run in the same process can register its own provider.
    sdk.api.trace.disable();
  });
  active = tracing;
  return tracing;
}
