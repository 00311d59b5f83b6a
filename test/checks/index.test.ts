import { describe, expect, it } from 'vitest';
import {
  checkHistory,
  checkRows,
  createCheckRun,
  defaultThresholds,
  evaluateThresholds,
  parseThresholds,
} from '../../checks/index.ts';
import { syntheticHistory } from '../support/synthetic.ts';
import { sorted, stage } from './fixtures.ts';

describe('checkHistory', () => {
  it('reports load, latency, failover, faults, phases and series for a valid run', () => {
    const events = syntheticHistory({ seed: 5, outage: true, messages: 80 });
    const r = checkHistory(events);
    expect(r.run).toMatchObject({
      runId: 'synthetic-5',
      scenario: 'synthetic',
      seed: 5,
      complete: true,
      invalidEvents: 0,
    });
    expect(r.run.regions).toEqual(['eu-west', 'us-east', 'ap-south']);
    expect(r.valid).toEqual({ ok: true, reasons: [] });
    expect(r.load.sent).toBe(80);
    expect(r.load.acked + r.load.failed + r.load.indeterminate + r.load.pending).toBe(80);
    expect(r.latency.deliveryMs.count).toBe(r.load.delivered);
    expect(r.latency.ackMs.p99).not.toBeNull();
    expect(r.faults).toHaveLength(1);
    expect(r.faults[0]!.kind).toBe('regionOutage');
    expect(r.faults[0]!.until! - r.faults[0]!.at).toBeGreaterThan(3.9);
    expect(r.failover.faults[0]!.clients).toBeGreaterThan(0);
    expect(r.phases.marks.map((m) => m.name)).toEqual([
      'load_start',
      'load_stop',
      'healed',
      'converged',
      'final_reads',
    ]);
    const phaseSent = r.phases.counts.before.sent + r.phases.counts.fault.sent + r.phases.counts.after.sent;
    expect(phaseSent).toBe(80);
    expect(r.series.total.sent.reduce((a, b) => a + b, 0)).toBe(80);
    expect(r.consistency.convergenceSeconds).not.toBeNull();
    expect(checkRows(r).every((row) => row.ok)).toBe(true);
  });

  it('passes the default thresholds on a valid run and fails them on a broken one', () => {
    const events = syntheticHistory({ seed: 6, outage: true, messages: 60 });
    const parsed = parseThresholds(defaultThresholds);
    expect(evaluateThresholds(parsed, checkHistory(events).metrics).every((t) => t.ok)).toBe(true);

    const drop = events.findIndex((e) => e.type === 'deliver');
    const broken = checkHistory(events.filter((_, i) => i !== drop));
    const failed = evaluateThresholds(parsed, broken.metrics).filter((t) => !t.ok);
    expect(failed.map((t) => t.metric)).toContain('acked_lost');
    expect(failed.find((t) => t.metric === 'acked_lost')!.actual).toBe(1);
  });

  it('gathers every check’s explanations and lists check rows for junit', () => {
    const h = stage()
      .message('c1', 'u1', 'm1', 1, 1, ['u2', 'u3'])
      .deliver('u2', 'c1', 'u1', 'm1', 1, 2)
      .acked('u1', 'c1', 'm2', 3, 2, 3.02)
      .deliver('u3', 'c1', 'u1', 'm2', 2, 3.05)
      .finalRead('eu-west', 'c1', 29, [1, 'u1', 'm1'], [2, 'u1', 'm2'])
      .finalRead('us-east', 'c1', 29, [1, 'u1', 'm1'], [2, 'u1', 'm2'])
      .end(30);
    const r = checkHistory(h.events);
    expect(r.consistency).toMatchObject({ ackedLost: 1, duplicates: 1, orderViolations: 0 });
    const rows = checkRows(r);
    expect(rows.map((row) => row.name)).toEqual([
      'acked-lost',
      'unexpected',
      'failed-but-appeared',
      'duplicates',
      'order',
      'divergence',
      'convergence',
      'read-your-writes',
      'monotonic-reads',
      'silent-gaps',
      'residency',
      'run-valid',
    ]);
    const lost = rows.find((row) => row.name === 'acked-lost')!;
    expect(lost).toMatchObject({ ok: false, actual: 1 });
    expect(lost.examples[0]).toContain('was never delivered to u2');
    expect(rows.find((row) => row.name === 'duplicates')!.examples[0]).toContain('twice');
  });

  it('marks the run invalid when the target answered none of its sends, and valid after one answer', () => {
    const unanswered = stage()
      .send('u1', 'c1', 'm1', 1)
      .indeterminate('u1', 'c1', 'm1', 6)
      .send('u1', 'c1', 'm2', 2)
      .end(30);
    const r = checkHistory(sorted(unanswered.events));
    expect(r.valid).toEqual({
      ok: false,
      reasons: [
        'none of the 2 sends got an answer (no ack, no refusal): the target never served the load, so nothing was judged',
      ],
    });
    expect(checkRows(r).find((row) => row.name === 'run-valid')).toMatchObject({ ok: false, actual: 1 });
    const refused = stage()
      .send('u1', 'c1', 'm1', 1)
      .failed('u1', 'c1', 'm1', 1.5)
      .send('u1', 'c1', 'm2', 2)
      .end(30);
    expect(checkHistory(sorted(refused.events)).valid).toEqual({ ok: true, reasons: [] });
    expect(checkHistory(stage().end(30).events).valid).toEqual({ ok: true, reasons: [] });
  });

  it('marks the run invalid when the generator reported itself unhealthy', () => {
    const h = stage().health(true, 5).health(false, 10, 'send lag p99 900 ms over 500 ms').end(30);
    const r = checkHistory(h.events);
    expect(r.valid).toEqual({ ok: false, reasons: ['send lag p99 900 ms over 500 ms'] });
    expect(checkRows(r).find((row) => row.name === 'run-valid')).toMatchObject({ ok: false, actual: 1 });
    const [t] = evaluateThresholds(parseThresholds({ run_invalid: ['count==0'] }), r.metrics);
    expect(t).toMatchObject({ ok: false, actual: 1 });
  });

  it('tags failover samples with the fault kind, so thresholds can select them', () => {
    const h = stage()
      .faultStart('f1', 'regionOutage', 'eu-west', ['eu-west'], 10)
      .down('u1', 'eu-west', 10.1)
      .up('u1', 'us-east', 11)
      .acked('u1', 'c1', 'm1', 12, 1, 12.5)
      .deliver('u2', 'c1', 'u1', 'm1', 1, 12.6)
      .deliver('u3', 'c1', 'u1', 'm1', 1, 12.6)
      .faultStop('f1', 20)
      .end(30);
    const r = checkHistory(sorted(h.events));
    const results = evaluateThresholds(
      parseThresholds({
        'failover_seconds{fault:regionOutage}': ['max<3', 'count==2'],
        'failover_seconds{fault:partition}': ['count==0'],
      }),
      r.metrics,
    );
    // u1 recovered when its send was acked, 2.5 s in; u2 (also on eu-west) sent nothing but
    // received u1's message 2.6 s in. Both count; no partition happened.
    expect(results.map((x) => x.ok)).toEqual([true, true, true]);
  });

  it('renders its metrics as a summary in JSON', () => {
    const r = checkHistory(syntheticHistory({ seed: 8, messages: 30 }));
    const json = JSON.parse(JSON.stringify(r)) as {
      metrics: Record<string, { type: string; values: Record<string, number> }>;
    };
    expect(json.metrics.messages_sent).toMatchObject({ type: 'counter', values: { count: 30 } });
    expect(json.metrics.delivery_latency_ms!.type).toBe('trend');
    expect(json.metrics.delivery_latency_ms!.values['p(99)']).toBeGreaterThan(0);
    expect(json.metrics.acked_lost!.values.count).toBe(0);
  });

  it('is deterministic: the same history gives the same report', () => {
    const events = syntheticHistory({ seed: 11, outage: true, messages: 50 });
    expect(JSON.stringify(checkHistory(events))).toBe(JSON.stringify(checkHistory(events)));
  });
});

describe('createCheckRun', () => {
  it('refuses events after finish and a second finish', () => {
    const run = createCheckRun();
    run.add({ type: 'run_end', t: 1 });
    run.finish();
    expect(() => run.add({ type: 'run_end', t: 2 })).toThrow('add() after finish()');
    expect(() => run.finish()).toThrow('finish() called twice');
  });

  it('takes snapshots mid-run without changing the final report', () => {
    const events = syntheticHistory({ seed: 12, outage: true, messages: 60 });
    const run = createCheckRun();
    const snapshots: string[] = [];
    events.forEach((e, i) => {
      run.add(e);
      if (i % 97 === 0) {
        const a = JSON.stringify(run.snapshot());
        expect(JSON.stringify(run.snapshot())).toBe(a);
        snapshots.push(a);
      }
    });
    expect(JSON.stringify(run.finish())).toBe(JSON.stringify(checkHistory(events)));
    const mid = JSON.parse(snapshots[Math.floor(snapshots.length / 2)]!) as {
      run: { complete: boolean };
      load: { sent: number };
    };
    expect(mid.run.complete).toBe(false);
    expect(mid.load.sent).toBeGreaterThan(0);
    expect(() => run.snapshot()).toThrow('snapshot() after finish()');
  });

  it('rejects bad options, naming them', () => {
    expect(() => createCheckRun({ maxExamples: -1 })).toThrow('maxExamples');
    expect(() => createCheckRun({ deliveryGraceMs: Number.NaN })).toThrow('deliveryGraceMs');
  });

  it('reports an empty history without throwing', () => {
    const r = createCheckRun().finish();
    expect(r.notes).toEqual(['the history holds no valid events: nothing was judged']);
    expect(r.run.durationSeconds).toBe(0);
    expect(checkRows(r).every((row) => row.ok)).toBe(true);
  });
});
