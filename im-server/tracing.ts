// A node's tracing glue: the spans a traced message gets here (sequence at its home, replicate
// at each peer, deliver to each recipient session), with the messaging semantic-convention
// attributes, parented on the W3C traceparent the message carries. Off unless the OTEL_*
// environment asks for traces (lib/trace-context.ts); only then is the OpenTelemetry SDK
// imported, so a node without tracing never loads it and its engine checks one null.
import type * as OtelApi from '@opentelemetry/api';
import {
  formatTraceparent,
  isSampled,
  type OtelEnv,
  parseTraceparent,
  tracesWanted,
} from '../lib/trace-context.ts';

export type NodeOperation = 'sequence' | 'replicate' | 'deliver';
export type SpanAttributes = Record<string, string | number>;

/** `messaging.system` of every span chatquake makes. */
export const MESSAGING_SYSTEM = 'chatquake';

/** One step of a traced message, open until end(). */
export interface MessageSpan {
  /** This span as a traceparent: what the message carries on from here. */
  readonly traceparent: string;
  end(attributes?: SpanAttributes): void;
}

export interface NodeTracing {
  /**
   * Opens the span of `op` for a message of `conv`, a child of `parent` (a traceparent), with
   * `attributes` (a fresh record: the messaging ones are added to it); undefined when the
   * parent was not sampled (the client's sampler decided for the message).
   */
  start(op: NodeOperation, parent: string, conv: string, attributes: SpanAttributes): MessageSpan | undefined;
  /** Flushes what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/** `messaging.operation.type` and span kind of each operation. */
const OPERATIONS: Record<NodeOperation, { type: string; kind: 'CONSUMER' | 'PRODUCER' }> = {
  sequence: { type: 'process', kind: 'CONSUMER' },
  replicate: { type: 'receive', kind: 'CONSUMER' },
  deliver: { type: 'send', kind: 'PRODUCER' },
};

/**
 * Adds the semantic-convention attributes of a message span to `attributes` (a fresh record per
 * span, so it is filled in place). Conversation ids are fine here; never in metric labels.
 */
export function withMessagingAttributes(
  attributes: SpanAttributes,
  op: string,
  type: string,
  conv: string,
): SpanAttributes {
  attributes['messaging.system'] = MESSAGING_SYSTEM;
  attributes['messaging.operation.name'] = op;
  attributes['messaging.operation.type'] = type;
  attributes['messaging.destination.name'] = conv;
  attributes['messaging.message.conversation_id'] = conv;
  return attributes;
}

/** The glue over an OpenTelemetry API and tracer (the SDK's, or a test's provider). */
export function createNodeTracing(
  api: Pick<typeof OtelApi, 'trace' | 'ROOT_CONTEXT' | 'SpanKind'>,
  tracer: OtelApi.Tracer,
  shutdown: () => Promise<void>,
): NodeTracing {
  return {
    start(op, parent, conv, attributes) {
      const tp = parseTraceparent(parent);
      if (tp === undefined || !isSampled(parent)) return undefined;
      const ctx = api.trace.setSpanContext(api.ROOT_CONTEXT, {
        traceId: tp.traceId,
        spanId: tp.spanId,
        traceFlags: tp.flags,
        isRemote: true,
      });
      const { type, kind } = OPERATIONS[op];
      const span = tracer.startSpan(
        `${op} ${conv}`,
        { kind: api.SpanKind[kind], attributes: withMessagingAttributes(attributes, op, type, conv) },
        ctx,
      );
      const sc = span.spanContext();
      return {
        traceparent: formatTraceparent({ traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags }),
        end(more) {
          if (more !== undefined) span.setAttributes(more);
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
 * Starts the OpenTelemetry SDK as the OTEL_* environment configures it (exporter, endpoint,
 * sampler, batch delays), traces only, under `serviceName` unless OTEL_SERVICE_NAME names one;
 * null, without loading anything, when the environment does not ask for traces.
 */
export async function startNodeTracing(
  serviceName: string,
  env: OtelEnv = process.env,
  load: SdkLoader = loadSdk,
): Promise<NodeTracing | null> {
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
  return createNodeTracing(sdk.api, sdk.api.trace.getTracer('chatquake'), async () => {
    await node.shutdown();
    // Unregistered, so that a later start in the same process can register its own provider.
    sdk.api.trace.disable();
  });
}
