// The tracing glue in-process, over an in-memory exporter: the client's send span and the node's
// sequence, replicate and deliver spans get their names ("{operation} {conversation}") and the
// messaging semantic-convention attributes, and each is the child of the traceparent it is given.
// Also: without OTEL_* asking for traces, neither glue loads the SDK; frames with and without
// a traceparent validate.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as api from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  clientTracing,
  createClientTracing,
  startClientTracing,
  useClientTracing,
} from '../../client/tracing.ts';
import { SendFrame } from '../../contracts/wire.ts';
import { ForwardItem, WireEntry } from '../../im-server/internal-protocol.ts';
import { createNodeTracing, startNodeTracing } from '../../im-server/tracing.ts';
import { formatTraceparent, isSampled, parseTraceparent, tracesWanted } from '../../lib/trace-context.ts';

function inMemory(): { exporter: InMemorySpanExporter; provider: BasicTracerProvider } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, provider };
}

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

afterEach(() => useClientTracing(null));

describe('lib/trace-context', () => {
  it('turns tracing on only when OTEL_* asks for it', () => {
    expect(tracesWanted({})).toBe(false);
    expect(tracesWanted({ OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracesWanted({ OTEL_TRACES_EXPORTER: ' ' })).toBe(false);
    expect(tracesWanted({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracesWanted({ OTEL_TRACES_EXPORTER: 'none,console' })).toBe(true);
    expect(tracesWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracesWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toBe(true);
    expect(tracesWanted({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' })).toBe(
      false,
    );
    expect(tracesWanted({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });

  it('reads and writes a traceparent', () => {
    const tp = parseTraceparent(TP);
    expect(tp).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', flags: 1 });
    expect(formatTraceparent(tp!)).toBe(TP);
    expect(isSampled(TP)).toBe(true);
    expect(isSampled(TP.replace(/01$/, '00'))).toBe(false);
    expect(parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01')).toBeUndefined();
    expect(parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBeUndefined();
  });
});

describe('the traceparent on frames and internal requests', () => {
  it('is optional, and validated when present', () => {
    const send = { type: 'send', conv: 'c', cmid: 'm1', body: 'hi' };
    expect(SendFrame.safeParse(send).success).toBe(true);
    expect(SendFrame.safeParse({ ...send, traceparent: TP }).data?.traceparent).toBe(TP);
    expect(SendFrame.safeParse({ ...send, traceparent: 'nope' }).success).toBe(false);
    const zeroSpan = '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01';
    expect(SendFrame.safeParse({ ...send, traceparent: zeroSpan }).success).toBe(false);
    const item = { conv: 'c', from: 'u', cmid: 'm1', body: 'hi' };
    expect(ForwardItem.safeParse(item).success).toBe(true);
    expect(ForwardItem.safeParse({ ...item, traceparent: TP }).success).toBe(true);
    expect(ForwardItem.safeParse({ ...item, traceparent: TP.toUpperCase() }).success).toBe(false);
    const entry = { seq: 1, epoch: 1, from: 'u', cmid: 'm1', body: 'hi', serverTime: 1 };
    expect(WireEntry.safeParse(entry).success).toBe(true);
    expect(WireEntry.safeParse({ ...entry, traceparent: TP }).success).toBe(true);
  });
});

describe('the node glue', () => {
  it('names spans "{operation} {conversation}" with the messaging attributes, parented on the traceparent', async () => {
    const { exporter, provider } = inMemory();
    const tracing = createNodeTracing(api, provider.getTracer('chatquake'), () => provider.shutdown());
    const seq = tracing.start('sequence', TP, 'room-1', { 'messaging.message.id': 'm1', 'chatquake.seq': 7 });
    expect(seq).toBeDefined();
    const rep = tracing.start('replicate', seq!.traceparent, 'room-1', { 'chatquake.seq': 7 });
    const del = tracing.start('deliver', rep!.traceparent, 'room-1', { 'chatquake.recipient': 'bob' });
    del!.end();
    rep!.end({ 'chatquake.replicate.status': 'ok' });
    seq!.end();
    const spans = exporter.getFinishedSpans();
    const byName = new Map(spans.map((s) => [s.name, s]));
    expect([...byName.keys()].sort()).toEqual(['deliver room-1', 'replicate room-1', 'sequence room-1']);
    const sequence = byName.get('sequence room-1')!;
    const replicate = byName.get('replicate room-1')!;
    const deliver = byName.get('deliver room-1')!;
    for (const [span, op, type] of [
      [sequence, 'sequence', 'process'],
      [replicate, 'replicate', 'receive'],
      [deliver, 'deliver', 'send'],
    ] as const) {
      expect(span.attributes).toMatchObject({
        'messaging.system': 'chatquake',
        'messaging.operation.name': op,
        'messaging.operation.type': type,
        'messaging.destination.name': 'room-1',
        'messaging.message.conversation_id': 'room-1',
      });
      expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    }
    expect(sequence.kind).toBe(api.SpanKind.CONSUMER);
    expect(deliver.kind).toBe(api.SpanKind.PRODUCER);
    expect(sequence.attributes).toMatchObject({ 'messaging.message.id': 'm1', 'chatquake.seq': 7 });
    expect(replicate.attributes['chatquake.replicate.status']).toBe('ok');
    expect(deliver.attributes['chatquake.recipient']).toBe('bob');
    expect(sequence.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(replicate.parentSpanContext?.spanId).toBe(sequence.spanContext().spanId);
    expect(deliver.parentSpanContext?.spanId).toBe(replicate.spanContext().spanId);
    expect(seq!.traceparent).toBe(
      formatTraceparent({
        traceId: sequence.spanContext().traceId,
        spanId: sequence.spanContext().spanId,
        flags: 1,
      }),
    );
    await tracing.shutdown();
  });

  it('leaves an unsampled or malformed parent alone', () => {
    const { exporter, provider } = inMemory();
    const tracing = createNodeTracing(api, provider.getTracer('chatquake'), async () => {});
    expect(tracing.start('sequence', TP.replace(/01$/, '00'), 'c', {})).toBeUndefined();
    expect(tracing.start('sequence', 'garbage', 'c', {})).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('never loads the SDK unless OTEL_* asks for traces', async () => {
    const load = vi.fn(async () => import('@opentelemetry/sdk-node'));
    expect(await startNodeTracing('chatquake-node r1/n1', {}, load)).toBeNull();
    expect(await startNodeTracing('chatquake-node r1/n1', { OTEL_TRACES_EXPORTER: 'none' }, load)).toBeNull();
    expect(await startClientTracing('chatquake-client', { OTEL_SDK_DISABLED: 'true' }, load)).toBeNull();
    expect(load).not.toHaveBeenCalled();
    expect(clientTracing()).toBeNull();
  });

  it('is the only way the SDK gets in: no room imports OpenTelemetry at run time statically', () => {
    const root = join(import.meta.dirname, '..', '..');
    const offenders: string[] = [];
    for (const room of ['im-server', 'client', 'lib', 'contracts', 'harness', 'load']) {
      for (const file of readdirSync(join(root, room), { recursive: true, encoding: 'utf8' })) {
        if (!file.endsWith('.ts')) continue;
        const text = readFileSync(join(root, room, file), 'utf8');
        // `import type` is erased; a value import would load the package with the module.
        if (/^import\s+(?!type\b)[^;]*from\s+'@opentelemetry\//m.test(text))
          offenders.push(`${room}/${file}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('the client glue', () => {
  it('opens a root send span whose traceparent the frame carries, ended with the outcome', () => {
    const { exporter, provider } = inMemory();
    const tracing = createClientTracing(api, provider.getTracer('chatquake'), async () => {});
    const acked = tracing.startSend('room-1', 'm1');
    const failed = tracing.startSend('room-1', 'm2');
    acked.end('acked', { 'chatquake.seq': 3 });
    failed.end('failed', { 'chatquake.error': 'forbidden' });
    const [a, f] = exporter.getFinishedSpans();
    expect(a!.name).toBe('send room-1');
    expect(a!.kind).toBe(api.SpanKind.PRODUCER);
    expect(a!.parentSpanContext).toBeUndefined();
    expect(a!.attributes).toMatchObject({
      'messaging.system': 'chatquake',
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'room-1',
      'messaging.message.conversation_id': 'room-1',
      'messaging.message.id': 'm1',
      'chatquake.outcome': 'acked',
      'chatquake.seq': 3,
    });
    expect(acked.traceparent).toBe(
      formatTraceparent({ traceId: a!.spanContext().traceId, spanId: a!.spanContext().spanId, flags: 1 }),
    );
    expect(f!.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(f!.attributes['chatquake.outcome']).toBe('failed');
  });
});
