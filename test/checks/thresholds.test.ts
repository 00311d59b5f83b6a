import { describe, expect, it } from 'vitest';
import {
  addCensored,
  addCount,
  addRate,
  addTrend,
  createMetricStore,
  METRIC_NAMES,
  type MetricStore,
} from '../../checks/metrics.ts';
import {
  defaultThresholds,
  evaluateThresholds,
  extendThresholds,
  parseThresholds,
} from '../../checks/thresholds.ts';

function store(): MetricStore {
  const s = createMetricStore();
  s.durationMs = 10_000;
  for (let v = 1; v <= 100; v++)
    addTrend(s, 'delivery_latency_ms', v, { phase: 'before', region: 'eu-west' });
  for (let v = 1; v <= 10; v++)
    addTrend(s, 'delivery_latency_ms', 1000 + v, { phase: 'fault', region: 'us-east' });
  addCount(s, 'messages_sent', 50, { phase: 'before', region: 'eu-west' });
  addCount(s, 'messages_sent', 30, { phase: 'fault', region: 'us-east' });
  addRate(s, 'send_error_rate', 2, 80, { phase: 'fault', region: 'us-east' });
  addCount(s, 'acked_lost', 0);
  return s;
}

function errorOf(input: unknown): string {
  try {
    parseThresholds(input);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected parseThresholds to throw');
}

describe('parseThresholds', () => {
  it('reads k6’s string and object forms, with tag filters', () => {
    const parsed = parseThresholds({
      delivery_latency_ms: ['p(99)<800', 'avg < 300'],
      'delivery_latency_ms{phase:fault, region: "us-east"}': [
        { threshold: 'p(95)<=1500', abortOnFail: true, delayAbortEval: '10s' },
      ],
      acked_lost: ['count==0'],
      send_error_rate: 'rate<0.01',
    });
    expect(parsed).toHaveLength(5);
    expect(parsed[0]).toMatchObject({
      key: 'delivery_latency_ms',
      metric: 'delivery_latency_ms',
      tags: {},
      expression: 'p(99)<800',
      aggregation: { p: 99 },
      operator: '<',
      value: 800,
      abortOnFail: false,
    });
    expect(parsed[1]).toMatchObject({ aggregation: 'avg', operator: '<', value: 300 });
    expect(parsed[2]).toMatchObject({
      tags: { phase: 'fault', region: 'us-east' },
      aggregation: { p: 95 },
      operator: '<=',
      abortOnFail: true,
      delayAbortEvalMs: 10_000,
    });
    expect(parsed[4]).toMatchObject({ metric: 'send_error_rate', aggregation: 'rate', value: 0.01 });
  });

  it('scans operators in k6’s order, so === and != work', () => {
    const [a, b, c] = parseThresholds({ acked_lost: ['count===0', 'count!=1', 'count>=0'] });
    expect(a).toMatchObject({ operator: '===', value: 0 });
    expect(b).toMatchObject({ operator: '!=', value: 1 });
    expect(c).toMatchObject({ operator: '>=', value: 0 });
  });

  it('names the key and expression of a bad expression', () => {
    expect(errorOf({ delivery_latency_ms: ['p(99)<<800'] })).toBe(
      'thresholds["delivery_latency_ms"][0]: "p(99)<<800" is not a valid expression: right-hand side "<800" is not a number',
    );
    expect(errorOf({ delivery_latency_ms: ['p99 < 800'] })).toBe(
      'thresholds["delivery_latency_ms"][0]: "p99 < 800" is not a valid expression: unknown aggregation "p99" (use avg, min, max, med, p(N), count or rate)',
    );
    expect(errorOf({ delivery_latency_ms: ['p(99) 800'] })).toContain('no operator');
    expect(errorOf({ delivery_latency_ms: ['p(101)<800'] })).toContain('percentile 101 is outside 0–100');
    expect(errorOf({ acked_lost: ['p(99)<1'] })).toBe(
      'thresholds["acked_lost"][0]: "p(99)<1" is not a valid expression: p(99) does not apply to acked_lost, a counter; use count, rate',
    );
    expect(errorOf({ send_error_rate: ['count<1'] })).toContain(
      'count does not apply to send_error_rate, a rate; use rate',
    );
  });

  it('names an unknown metric and lists the known ones', () => {
    const message = errorOf({ delivery_latncy_ms: ['p(99)<800'] });
    expect(message).toContain(
      'thresholds["delivery_latncy_ms"]: unknown metric "delivery_latncy_ms"; known metrics: ',
    );
    for (const name of METRIC_NAMES) expect(message).toContain(name);
  });

  it('rejects tags a metric does not carry, unknown tags and unknown phases', () => {
    expect(errorOf({ 'acked_lost{region:eu-west}': ['count==0'] })).toBe(
      'thresholds["acked_lost{region:eu-west}"]: acked_lost has no "region" tag; its tags are phase',
    );
    expect(errorOf({ 'delivery_latency_ms{regoin:eu-west}': ['p(99)<1'] })).toContain(
      'unknown tag "regoin"; tags are phase, region, fault',
    );
    expect(errorOf({ 'delivery_latency_ms{phase:during}': ['p(99)<1'] })).toContain(
      'phase "during" is not one of before, fault, after',
    );
    expect(errorOf({ 'delivery_latency_ms{phase}': ['p(99)<1'] })).toContain('is not tag:value');
  });

  it('rejects a bad delayAbortEval and a bad shape, naming the field', () => {
    expect(
      errorOf({ acked_lost: [{ threshold: 'count==0', abortOnFail: true, delayAbortEval: 'soon' }] }),
    ).toContain('thresholds["acked_lost"][0].delayAbortEval: invalid duration "soon"');
    expect(errorOf({ acked_lost: [{ threshold: 'count==0', abortOnFial: true }] })).toContain(
      'thresholds["acked_lost"]',
    );
    expect(errorOf({ acked_lost: 5 })).toContain('thresholds["acked_lost"]');
    expect(errorOf(['count==0'])).toContain('thresholds');
  });

  it('reports every problem at once', () => {
    const message = errorOf({ acked_lost: ['count=0', 'count==0'], nope: ['count==0'] });
    expect(message.split('\n')).toHaveLength(2);
  });

  it('accepts the defaults, and extending them appends without duplicates', () => {
    expect(parseThresholds(defaultThresholds)).toHaveLength(Object.keys(defaultThresholds).length);
    const extended = extendThresholds(defaultThresholds, {
      acked_lost: ['count==0', 'rate<1'],
      delivery_latency_ms: ['p(99)<800'],
    });
    expect(extended.acked_lost).toEqual(['count==0', 'rate<1']);
    expect(extended.delivery_latency_ms).toEqual(['p(99)<800']);
  });
});

describe('evaluateThresholds', () => {
  it('aggregates trends, counters and rates, and filters sub-metrics by tag', () => {
    const results = evaluateThresholds(
      parseThresholds({
        delivery_latency_ms: ['max<2000', 'count==110', 'min>=1'],
        'delivery_latency_ms{phase:before}': ['p(99)<=100', 'med<60', 'avg==50.5'],
        'delivery_latency_ms{region:us-east}': ['p(50)<1000'],
        messages_sent: ['count==80', 'rate==8'],
        'messages_sent{region:us-east}': ['count==30'],
        send_error_rate: ['rate<0.01'],
      }),
      store(),
    );
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['delivery_latency_ms - max<2000', true],
      ['delivery_latency_ms - count==110', true],
      ['delivery_latency_ms - min>=1', true],
      ['delivery_latency_ms{phase:before} - p(99)<=100', true],
      ['delivery_latency_ms{phase:before} - med<60', true],
      ['delivery_latency_ms{phase:before} - avg==50.5', true],
      ['delivery_latency_ms{region:us-east} - p(50)<1000', false],
      ['messages_sent - count==80', true],
      ['messages_sent - rate==8', true],
      ['messages_sent{region:us-east} - count==30', true],
      ['send_error_rate - rate<0.01', false],
    ]);
    expect(results[10]!.actual).toBeCloseTo(2 / 80, 10);
  });

  it('judges empty metrics on zeros at the end, and skips them mid-run, as k6 does', () => {
    const parsed = parseThresholds({ failover_seconds: ['p(99)<5', 'count>0'], acked_lost: ['count==0'] });
    const empty = createMetricStore();
    expect(evaluateThresholds(parsed, empty).map((r) => [r.actual, r.ok])).toEqual([
      [0, true],
      [0, false],
      [0, true],
    ]);
    const midRun = evaluateThresholds(parsed, empty, { final: false, elapsedMs: 1000 });
    expect(midRun.every((r) => r.ok && r.skipped === true && r.actual === null)).toBe(true);
  });

  it('ranks censored samples above every value, so they fail a percentile instead of vanishing', () => {
    const s = createMetricStore();
    for (let i = 0; i < 98; i++)
      addTrend(s, 'failover_seconds', 1, { phase: 'fault', fault: 'regionOutage' });
    addCensored(s, 'failover_seconds', 2, { phase: 'fault', fault: 'regionOutage' });
    const results = evaluateThresholds(
      parseThresholds({
        failover_seconds: ['p(98)<5', 'p(99)<5', 'count==100'],
        'failover_seconds{fault:partition}': ['p(99)<5'],
      }),
      s,
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, true, true]);
    expect(results[1]!.actual).toBe(Number.POSITIVE_INFINITY);
  });

  it('asks to abort only after delayAbortEval', () => {
    const s = store();
    const parsed = parseThresholds({
      send_error_rate: [{ threshold: 'rate<0.01', abortOnFail: true, delayAbortEval: '10s' }],
      'delivery_latency_ms{phase:fault}': [{ threshold: 'p(99)<100', abortOnFail: true }],
      messages_sent: ['count<1'],
    });
    const early = evaluateThresholds(parsed, s, { elapsedMs: 5000, final: false });
    expect(early.map((r) => [r.ok, r.abort ?? false])).toEqual([
      [false, false],
      [false, true],
      [false, false],
    ]);
    const late = evaluateThresholds(parsed, s, { elapsedMs: 15_000, final: false });
    expect(late[0]!.abort).toBe(true);
  });

  it('computes a counter’s rate over the elapsed time given', () => {
    const [r] = evaluateThresholds(parseThresholds({ messages_sent: ['rate>=4'] }), store(), {
      elapsedMs: 20_000,
    });
    expect(r!.actual).toBe(4);
    expect(r!.ok).toBe(true);
  });
});
