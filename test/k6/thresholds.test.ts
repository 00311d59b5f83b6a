// chatquake's thresholds become k6 thresholds over the script's own metrics where k6 can judge
// them (same expressions, same region filters), and everything else is left to `chatquake
// ingest k6` with a reason, never silently dropped.
import { describe, expect, it } from 'vitest';
import { k6Thresholds } from '../../harness/k6/thresholds.ts';
import { mergeThresholds } from '../../harness/scenario/thresholds.ts';

describe('k6Thresholds', () => {
  it('maps latency, errors, failover and throughput to the script metrics, keeping expressions and region filters', () => {
    const { thresholds, leftOut } = k6Thresholds({
      delivery_latency_ms: ['p(99)<800', 'avg<200'],
      'ack_latency_ms{region:eu-west}': 'p(95)<300',
      ack_latency_actual_ms: ['med<50'],
      send_error_rate: ['rate<0.01'],
      'failover_seconds{region:us-east}': [
        { threshold: 'p(99)<5', abortOnFail: true, delayAbortEval: '10s' },
      ],
      messages_sent: ['count>100'],
      messages_acked: ['rate>10'],
      messages_delivered: ['count>0'],
    });
    expect(thresholds).toEqual({
      im_delivery_ms: ['p(99)<800', 'avg<200'],
      'im_ack_ms{region:eu-west}': ['p(95)<300'],
      im_ack_actual_ms: ['med<50'],
      im_send_errors: ['rate<0.01'],
      'im_failover_s{region:us-east}': [{ threshold: 'p(99)<5', abortOnFail: true, delayAbortEval: '10s' }],
      im_sent: ['count>100'],
      im_acked: ['rate>10'],
      im_delivered: ['count>0'],
    });
    expect(leftOut).toEqual([]);
  });

  it('writes a delayAbortEval in ms as a k6 duration', () => {
    const { thresholds } = k6Thresholds({
      delivery_latency_ms: [{ threshold: 'p(99)<800', abortOnFail: true, delayAbortEval: 1500 }],
    });
    expect(thresholds.im_delivery_ms).toEqual([
      { threshold: 'p(99)<800', abortOnFail: true, delayAbortEval: '1500ms' },
    ]);
  });

  it('leaves the consistency checks and the per-incident metrics to ingest, with reasons', () => {
    const { thresholds, leftOut } = k6Thresholds(mergeThresholds({ recovery_seconds: ['p(99)<10'] }));
    expect(thresholds).toEqual({});
    const keys = leftOut.map((l) => l.key);
    expect(keys).toContain('acked_lost');
    expect(keys).toContain('duplicates');
    expect(keys).toContain('order_violations');
    expect(keys).toContain('recovery_seconds');
    expect(leftOut.find((l) => l.key === 'acked_lost')?.reason).toMatch(/consistency check/);
    expect(leftOut.find((l) => l.key === 'recovery_seconds')?.reason).toMatch(/incident/);
  });

  it('leaves out a tag the script does not carry and an aggregation k6 lacks for the kind', () => {
    const { thresholds, leftOut } = k6Thresholds({
      'delivery_latency_ms{phase:fault}': ['p(99)<2000'],
      'failover_seconds{fault:regionOutage}': ['p(99)<10'],
      delivery_latency_ms: ['count>10', 'p(99)<900'],
      send_error_rate: ['count<5'],
      delivery_latency_actual_ms: ['p(99)<500'],
    });
    expect(thresholds).toEqual({ im_delivery_ms: ['p(99)<900'] });
    expect(leftOut).toEqual([
      { key: 'delivery_latency_ms{phase:fault}', reason: expect.stringMatching(/no "phase" tag/) },
      { key: 'failover_seconds{fault:regionOutage}', reason: expect.stringMatching(/no "fault" tag/) },
      { key: 'delivery_latency_ms count>10', reason: 'k6 has no "count" for a trend' },
      { key: 'send_error_rate count<5', reason: 'k6 has no "count" for a rate' },
      { key: 'delivery_latency_actual_ms', reason: expect.stringMatching(/actually left/) },
    ]);
  });
});
