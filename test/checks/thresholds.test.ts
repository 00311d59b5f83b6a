// Thresholds in k6's grammar: every form, operator, number, aggregation and tag filter a user
// may write, the exact message for each mistake, the defaults every run is gated on, and how a
// parsed threshold is judged against the metric store (mid-run skips, aborts after a delay).
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
  OPERATORS,
  type ParsedThreshold,
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

/** The one threshold parsed from `{key: [expression]}`. */
function one(key: string, expression: string): ParsedThreshold {
  const [parsed] = parseThresholds({ [key]: [expression] });
  return parsed!;
}

/** The reason an expression on `key` is rejected, without the key and expression prefix. */
function reason(key: string, expression: string): string {
  const message = errorOf({ [key]: [expression] });
  const prefix = `thresholds[${JSON.stringify(key)}][0]: ${JSON.stringify(expression)} is not a valid expression: `;
  expect(message.startsWith(prefix), message).toBe(true);
  return message.slice(prefix.length);
}

/** The reason a key is rejected, without the key prefix. */
function keyReason(key: string): string {
  const message = errorOf({ [key]: ['count>=0'] });
  const prefix = `thresholds[${JSON.stringify(key)}]: `;
  expect(message.startsWith(prefix), message).toBe(true);
  return message.slice(prefix.length);
}

describe('threshold expressions', () => {
  it('knows k6’s operators, longest first where one is a prefix of another', () => {
    expect(OPERATORS).toEqual(['<=', '<', '>=', '>', '===', '==', '!=']);
    const ops = ['<', '<=', '>', '>=', '==', '===', '!='].map((op) => one('acked_lost', `count${op}3`));
    expect(ops.map((t) => [t.operator, t.value])).toEqual([
      ['<', 3],
      ['<=', 3],
      ['>', 3],
      ['>=', 3],
      ['==', 3],
      ['===', 3],
      ['!=', 3],
    ]);
  });

  it('reads the right-hand side in every decimal and exponent form', () => {
    const forms: [string, number][] = [
      ['0', 0],
      ['42', 42],
      ['+7', 7],
      ['-7', -7],
      ['1.', 1],
      ['1.25', 1.25],
      ['.5', 0.5],
      ['.25', 0.25],
      ['-.5', -0.5],
      ['1e3', 1000],
      ['1e10', 1e10],
      ['2E3', 2000],
      ['1e-3', 0.001],
      ['1e+3', 1000],
      ['-2.5e2', -250],
      ['  9  ', 9],
    ];
    for (const [rhs, value] of forms) expect(one('messages_sent', `count<${rhs}`).value, rhs).toBe(value);
  });

  it('rejects a right-hand side that is not a plain decimal number', () => {
    for (const rhs of [
      '',
      'abc',
      '1e',
      '.',
      '1.2.3',
      'e3',
      '1x',
      'x1',
      '--1',
      '1 2',
      '0x10',
      'Infinity',
      'NaN',
      '1e3.5',
      '+',
    ]) {
      expect(reason('messages_sent', `count<${rhs}`), rhs).toBe(
        `right-hand side "${rhs.trim()}" is not a number`,
      );
    }
  });

  it('reads every aggregation, with spaces around it and inside p( )', () => {
    const aggs = ['avg', 'min', 'max', 'med', 'count'].map(
      (a) => one('ack_latency_ms', ` ${a} <1`).aggregation,
    );
    expect(aggs).toEqual(['avg', 'min', 'max', 'med', 'count']);
    expect(one('messages_sent', 'rate<1').aggregation).toBe('rate');
    expect(one('ack_latency_ms', 'p(99.9)<1').aggregation).toEqual({ p: 99.9 });
    expect(one('ack_latency_ms', 'p( 95 )<1').aggregation).toEqual({ p: 95 });
    expect(one('ack_latency_ms', 'p(0)<1').aggregation).toEqual({ p: 0 });
    expect(one('ack_latency_ms', 'p(100)<1').aggregation).toEqual({ p: 100 });
    expect(one('ack_latency_ms', 'p(1e1)<1').aggregation).toEqual({ p: 10 });
    expect(one('ack_latency_ms', 'p(.5)<1').aggregation).toEqual({ p: 0.5 });
  });

  it('rejects a percentile that is not a number from 0 to 100, and unknown or missing aggregations', () => {
    expect(reason('ack_latency_ms', 'p()<1')).toBe('percentile "" is not a number');
    expect(reason('ack_latency_ms', 'p(x9)<1')).toBe('percentile "x9" is not a number');
    expect(reason('ack_latency_ms', 'p(9x)<1')).toBe('percentile "9x" is not a number');
    expect(reason('ack_latency_ms', 'p(-1)<1')).toBe('percentile -1 is outside 0–100');
    expect(reason('ack_latency_ms', 'p(100.5)<1')).toBe('percentile 100.5 is outside 0–100');
    expect(reason('ack_latency_ms', 'p(9)9<1')).toBe(
      'unknown aggregation "p(9)9" (use avg, min, max, med, p(N), count or rate)',
    );
    expect(reason('ack_latency_ms', 'xp(9)<1')).toBe(
      'unknown aggregation "xp(9)" (use avg, min, max, med, p(N), count or rate)',
    );
    expect(reason('ack_latency_ms', 'AVG<1')).toBe(
      'unknown aggregation "AVG" (use avg, min, max, med, p(N), count or rate)',
    );
    expect(reason('ack_latency_ms', '<1')).toBe(
      'the aggregation is missing (use avg, min, max, med, p(N), count or rate)',
    );
    expect(reason('ack_latency_ms', ' < 1')).toBe(
      'the aggregation is missing (use avg, min, max, med, p(N), count or rate)',
    );
    expect(reason('ack_latency_ms', 'avg = 1')).toBe('no operator (use <, <=, >, >=, ==, === or !=)');
  });

  it('says which aggregations a metric’s kind allows', () => {
    expect(reason('ack_latency_ms', 'rate<1')).toBe(
      'rate does not apply to ack_latency_ms, a trend; use avg, min, max, med, p(N), count',
    );
    expect(reason('failover_rate', 'p(50)>0.9')).toBe(
      'p(50) does not apply to failover_rate, a rate; use rate',
    );
    expect(reason('failover_rate', 'avg>0.9')).toBe('avg does not apply to failover_rate, a rate; use rate');
  });
});

describe('threshold keys', () => {
  it('accepts a metric name with spaces around it and around its tag filter', () => {
    const parsed = parseThresholds({
      ' acked_lost ': ['count==0'],
      'delivery_latency_ms {phase:fault} ': ['p(99)<1'],
      'delivery_latency_ms{ phase : after , region : us-east }': ['p(99)<1'],
    });
    expect(parsed.map((t) => [t.key, t.metric, t.tags])).toStrictEqual([
      [' acked_lost ', 'acked_lost', {}],
      ['delivery_latency_ms {phase:fault} ', 'delivery_latency_ms', { phase: 'fault' }],
      [
        'delivery_latency_ms{ phase : after , region : us-east }',
        'delivery_latency_ms',
        { phase: 'after', region: 'us-east' },
      ],
    ]);
  });

  it('reports any identifier that is not a known metric as unknown, and anything else as not a name', () => {
    const known = METRIC_NAMES.join(', ');
    for (const name of ['Az', 'Zz', 'az09', 'z9', '_x', 'acked_lost2', 'ackedLost', 'a_Z_0_9']) {
      expect(keyReason(name), name).toBe(`unknown metric "${name}"; known metrics: ${known}`);
    }
    for (const key of [
      '',
      '9lives',
      'acked lost',
      'acked-lost',
      'acked_lost{phase:fault',
      'acked_lost{phase:fault}x',
      'acked_lost}',
      '{phase:fault}',
    ]) {
      expect(keyReason(key), key).toBe('not a metric name, nor metric{tag:value}');
    }
  });

  it('strips quotes enclosing a whole tag value, keeping any other quote or colon in it', () => {
    const parsed = parseThresholds({
      'delivery_latency_ms{region:"us-east"}': ['p(99)<1'],
      "ack_latency_ms{region:'eu-west'}": ['p(99)<1'],
      'recovery_seconds{fault:"partition\'}': ['p(99)<1'],
      'failover_seconds{fault:zone:a}': ['p(99)<1'],
      'delivery_latency_actual_ms{region:before}': ['p(99)<1'],
      'messages_sent{region:asia}': ['count>0'],
      'messages_acked{region:x"y"}': ['count>0'],
      'messages_delivered{region:"x"y}': ['count>0'],
    });
    expect(parsed.map((t) => t.tags)).toStrictEqual([
      { region: 'us-east' },
      { region: 'eu-west' },
      { fault: '"partition\'' },
      { fault: 'zone:a' },
      { region: 'before' },
      { region: 'asia' },
      { region: 'x"y"' },
      { region: '"x"y' },
    ]);
  });

  it('rejects an empty filter, a tag without a value, a tag given twice and a tag the metric lacks', () => {
    expect(keyReason('acked_lost{}')).toBe('empty tag filter {}');
    expect(keyReason('acked_lost{ }')).toBe('empty tag filter {}');
    expect(keyReason('acked_lost{phase:}')).toBe('tag "phase" has no value');
    expect(keyReason('acked_lost{phase:""}')).toBe('tag "phase" has no value');
    expect(keyReason('acked_lost{phase:fault,phase:after}')).toBe('tag "phase" given twice');
    expect(keyReason('acked_lost{phase:fault,}')).toBe('tag filter "" is not tag:value');
    expect(keyReason('acked_lost{ phase }')).toBe('tag filter "phase" is not tag:value');
    expect(keyReason('acked_lost{:fault}')).toBe('unknown tag ""; tags are phase, region, fault');
    expect(keyReason('convergence_seconds{phase:fault}')).toBe('convergence_seconds has no "phase" tag');
    expect(keyReason('duplicates{fault:partition}')).toBe(
      'duplicates has no "fault" tag; its tags are region',
    );
    expect(keyReason('delivery_latency_ms{fault:partition}')).toBe(
      'delivery_latency_ms has no "fault" tag; its tags are phase, region',
    );
    expect(keyReason('failover_seconds{phase:Fault}')).toBe(
      'phase "Fault" is not one of before, fault, after',
    );
  });
});

describe('threshold shapes', () => {
  it('reads nothing from null or undefined', () => {
    expect(parseThresholds(null)).toEqual([]);
    expect(parseThresholds(undefined)).toEqual([]);
    expect(parseThresholds({})).toEqual([]);
  });

  it('fills in the defaults of each form', () => {
    const parsed = parseThresholds({
      acked_lost: 'count==0',
      failover_seconds: { threshold: 'p(99)<5' },
      recovery_seconds: [{ threshold: 'p(99)<9', abortOnFail: false, delayAbortEval: 2500 }, 'max<20'],
    });
    expect(parsed).toStrictEqual([
      {
        key: 'acked_lost',
        metric: 'acked_lost',
        tags: {},
        expression: 'count==0',
        aggregation: 'count',
        operator: '==',
        value: 0,
        abortOnFail: false,
        delayAbortEvalMs: undefined,
      },
      {
        key: 'failover_seconds',
        metric: 'failover_seconds',
        tags: {},
        expression: 'p(99)<5',
        aggregation: { p: 99 },
        operator: '<',
        value: 5,
        abortOnFail: false,
        delayAbortEvalMs: undefined,
      },
      {
        key: 'recovery_seconds',
        metric: 'recovery_seconds',
        tags: {},
        expression: 'p(99)<9',
        aggregation: { p: 99 },
        operator: '<',
        value: 9,
        abortOnFail: false,
        delayAbortEvalMs: 2500,
      },
      {
        key: 'recovery_seconds',
        metric: 'recovery_seconds',
        tags: {},
        expression: 'max<20',
        aggregation: 'max',
        operator: '<',
        value: 20,
        abortOnFail: false,
        delayAbortEvalMs: undefined,
      },
    ]);
  });

  it('names a single expression or object by its key alone, and one in a list by its index too', () => {
    expect(errorOf({ acked_lost: 'count=0' })).toBe(
      'thresholds["acked_lost"]: "count=0" is not a valid expression: no operator (use <, <=, >, >=, ==, === or !=)',
    );
    expect(errorOf({ acked_lost: { threshold: 'count==0', delayAbortEval: -5 } })).toBe(
      'thresholds["acked_lost"].delayAbortEval: invalid duration -5: must be a non-negative number of ms',
    );
    expect(errorOf({ acked_lost: ['count==0', { threshold: 'count>x' }] })).toBe(
      'thresholds["acked_lost"][1]: "count>x" is not a valid expression: right-hand side "x" is not a number',
    );
  });

  it('explains a wrong shape with the path to it', () => {
    const shape =
      'expected an expression string, a {threshold, abortOnFail?, delayAbortEval?} object, or an array of them';
    expect(errorOf(['count==0'])).toBe('thresholds: expected an object mapping metric names to thresholds');
    expect(errorOf('acked_lost')).toBe('thresholds: expected an object mapping metric names to thresholds');
    expect(errorOf({ acked_lost: 5 })).toBe(`thresholds["acked_lost"]: ${shape}`);
    expect(errorOf({ acked_lost: { threshold: 5 } })).toBe(`thresholds["acked_lost"]: ${shape}`);
    expect(errorOf({ acked_lost: ['count==0', 5] })).toBe(`thresholds["acked_lost"]: ${shape}`);
    expect(errorOf({ acked_lost: [{ threshold: 'count==0', abortOnFail: 'yes' }] })).toBe(
      `thresholds["acked_lost"]: ${shape}`,
    );
    expect(errorOf({ acked_lost: [{ threshold: 'count==0', abortOnFial: true }] })).toBe(
      'thresholds["acked_lost"][0]: Unrecognized key: "abortOnFial"',
    );
    expect(errorOf({ acked_lost: 5, 'a"b': 6 })).toBe(
      `thresholds["acked_lost"]: ${shape}\nthresholds["a\\"b"]: ${shape}`,
    );
  });

  it('lists every problem in key and item order, one a line', () => {
    expect(
      errorOf({
        acked_lost: ['count=0', 'count==0', 'p(9)<1'],
        nope: ['count==0'],
        'delivery_latency_ms{phase:during}': ['p(99)<1'],
        duplicates: { threshold: 'count==0', delayAbortEval: '1x' },
      }).split('\n'),
    ).toEqual([
      'thresholds["acked_lost"][0]: "count=0" is not a valid expression: no operator (use <, <=, >, >=, ==, === or !=)',
      'thresholds["acked_lost"][2]: "p(9)<1" is not a valid expression: p(9) does not apply to acked_lost, a counter; use count, rate',
      `thresholds["nope"]: unknown metric "nope"; known metrics: ${METRIC_NAMES.join(', ')}`,
      'thresholds["delivery_latency_ms{phase:during}"]: phase "during" is not one of before, fault, after',
      'thresholds["duplicates"].delayAbortEval: invalid duration "1x": use a number with ms, s, m or h, such as "500ms", "30s" or "1m30s"',
    ]);
  });
});

describe('default and extended thresholds', () => {
  it('require every consistency counter to stay at zero', () => {
    expect(defaultThresholds).toEqual({
      acked_lost: ['count==0'],
      unexpected_messages: ['count==0'],
      failed_but_appeared: ['count==0'],
      duplicates: ['count==0'],
      order_violations: ['count==0'],
      divergent_conversations: ['count==0'],
      unconverged_conversations: ['count==0'],
      read_your_writes_violations: ['count==0'],
      monotonic_read_violations: ['count==0'],
      silent_gaps: ['count==0'],
      residency_violations: ['count==0'],
    });
  });

  it('extends single expressions and objects as lists, dropping exact repeats only', () => {
    const abort = { threshold: 'p(99)<5', abortOnFail: true };
    const base = { acked_lost: 'count==0', failover_seconds: [abort, abort] };
    const extended = extendThresholds(base, {
      acked_lost: ['count==0', 'rate<1'],
      failover_seconds: [{ threshold: 'p(99)<5', abortOnFail: true }, { threshold: 'p(99)<5' }],
      duplicates: { threshold: 'count==0' },
    });
    expect(extended).toEqual({
      acked_lost: ['count==0', 'rate<1'],
      failover_seconds: [abort, { threshold: 'p(99)<5' }],
      duplicates: [{ threshold: 'count==0' }],
    });
    expect(base).toEqual({ acked_lost: 'count==0', failover_seconds: [abort, abort] });
    expect(extendThresholds({ acked_lost: 'count==0' })).toEqual({ acked_lost: ['count==0'] });
  });
});

describe('judging thresholds', () => {
  function counted(n: number): MetricStore {
    const s = createMetricStore();
    s.durationMs = 2000;
    addCount(s, 'acked_lost', n);
    return s;
  }

  it('compares with each operator, at, below and above the bound', () => {
    const expressions = ['<', '<=', '>', '>=', '==', '===', '!='].flatMap((op) =>
      [4, 5, 6].map((v) => `count${op}${v}`),
    );
    const results = evaluateThresholds(parseThresholds({ acked_lost: expressions }), counted(5));
    expect(Object.fromEntries(results.map((r) => [r.expression, r.ok]))).toEqual({
      'count<4': false,
      'count<5': false,
      'count<6': true,
      'count<=4': false,
      'count<=5': true,
      'count<=6': true,
      'count>4': true,
      'count>5': false,
      'count>6': false,
      'count>=4': true,
      'count>=5': true,
      'count>=6': false,
      'count==4': false,
      'count==5': true,
      'count==6': false,
      'count===4': false,
      'count===5': true,
      'count===6': false,
      'count!=4': true,
      'count!=5': false,
      'count!=6': true,
    });
  });

  it('reports the key, expression, JUnit name and value, and no abort or skip flag when not asked', () => {
    const results = evaluateThresholds(
      parseThresholds({ 'acked_lost{phase:fault}': ['count==0', 'count>0'] }),
      counted(2),
    );
    expect(results).toStrictEqual([
      {
        metric: 'acked_lost{phase:fault}',
        expression: 'count==0',
        name: 'acked_lost{phase:fault} - count==0',
        actual: 0,
        ok: true,
      },
      {
        metric: 'acked_lost{phase:fault}',
        expression: 'count>0',
        name: 'acked_lost{phase:fault} - count>0',
        actual: 0,
        ok: false,
      },
    ]);
  });

  it('uses the store’s duration for a counter’s rate and for delayAbortEval unless told the elapsed time', () => {
    const parsed = parseThresholds({
      acked_lost: ['rate==1', { threshold: 'count==0', abortOnFail: true, delayAbortEval: '1s' }],
    });
    const [rate, abort] = evaluateThresholds(parsed, counted(2));
    expect(rate).toMatchObject({ actual: 1, ok: true });
    expect(abort).toMatchObject({ actual: 2, ok: false, abort: true });
    const [earlyRate, early] = evaluateThresholds(parsed, counted(2), { elapsedMs: 1000 });
    expect(earlyRate!.actual).toBe(2);
    expect(early!.abort).toBeUndefined();
  });

  it('aborts only once the elapsed time is past delayAbortEval, and only for a failing threshold that asks to', () => {
    const parsed = parseThresholds({
      acked_lost: [
        { threshold: 'count==0', abortOnFail: true, delayAbortEval: '3s' },
        { threshold: 'count==0', abortOnFail: true, delayAbortEval: 0 },
        { threshold: 'count==0', abortOnFail: false },
        { threshold: 'count>0', abortOnFail: true },
      ],
    });
    const flags = (elapsedMs: number) =>
      evaluateThresholds(parsed, counted(1), { elapsedMs }).map((r) => [r.ok, r.abort]);
    expect(flags(3000)).toEqual([
      [false, undefined],
      [false, true],
      [false, undefined],
      [true, undefined],
    ]);
    expect(flags(3001)[0]).toEqual([false, true]);
    expect(flags(0)[1]).toEqual([false, undefined]);
  });

  it('judges a metric with samples mid-run and skips only those without', () => {
    const s = counted(3);
    addTrend(s, 'delivery_latency_ms', 10);
    const results = evaluateThresholds(
      parseThresholds({
        acked_lost: ['count<1'],
        delivery_latency_ms: ['max<5'],
        duplicates: ['count<1'],
        failover_rate: ['rate>0.5'],
      }),
      s,
      { final: false },
    );
    expect(results.map((r) => [r.metric, r.actual, r.ok, r.skipped])).toEqual([
      ['acked_lost', 3, false, undefined],
      ['delivery_latency_ms', 10, false, undefined],
      ['duplicates', null, true, true],
      ['failover_rate', null, true, true],
    ]);
    expect(evaluateThresholds(parseThresholds({ failover_rate: ['rate>0.5'] }), s)[0]).toStrictEqual({
      metric: 'failover_rate',
      expression: 'rate>0.5',
      name: 'failover_rate - rate>0.5',
      actual: 0,
      ok: false,
    });
  });
});
