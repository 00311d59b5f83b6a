// @ts-check
// report.html's overview (headline numbers, the run and its topology, warnings about the data)
// and its thresholds table. Part of report.html's script (see report-kit.js).

/** @param {[string, string][]} pairs */
CQReport.kv = (pairs) =>
  CQ.h(
    'dl',
    { class: 'kv' },
    pairs.flatMap(([k, v]) => [CQ.h('dt', { text: k }), CQ.h('dd', { text: v })]),
  );

/** The headline numbers as stat cards. @param {ReportData} data */
CQReport.headlineCards = (data) => {
  const { h, fmtMs, fmtSeconds, fmtInt, fmtNum, fmtPct } = CQ;
  const { stat } = CQReport;
  const load = data.run.load;
  const errors = load.failed + load.indeterminate;
  const hl = data.headline;
  const violations = hl.violations;
  return h('div', { class: 'cards' }, [
    stat('Messages sent', fmtInt(load.sent), `${fmtNum(load.sendRatePerSecond)}/s`),
    stat(
      'Acknowledged',
      fmtInt(load.acked),
      load.sent > 0 ? `${fmtPct(load.acked / load.sent)} of sent` : '',
    ),
    stat('Delivered', fmtInt(load.delivered), `${fmtNum(load.deliverRatePerSecond)}/s`),
    stat(
      'Send errors',
      fmtPct(hl.errorRate),
      `${fmtInt(load.failed)} failed · ${fmtInt(load.indeterminate)} indeterminate`,
      errors > 0 ? 'bad' : undefined,
    ),
    stat('Ack p99', fmtMs(hl.ackP99), 'from intended send time'),
    stat('Delivery p99', fmtMs(hl.deliveryP99), 'send to recipient'),
    stat(
      'Without service p99',
      hl.recoveryP99Seconds === null && hl.neverRecovered > 0 ? 'never' : fmtSeconds(hl.recoveryP99Seconds),
      `${fmtInt(data.failover.counts.clients)} clients hit · ${fmtInt(data.failover.counts.failedOver)} failed over · ${fmtInt(data.failover.counts.rodeOut)} rode out · ${fmtInt(hl.neverRecovered)} never recovered`,
      hl.neverRecovered > 0 ? 'bad' : undefined,
    ),
    stat(
      'Consistency violations',
      fmtInt(violations),
      `across ${data.consistency.checks.length} checks`,
      violations > 0 ? 'bad' : 'good',
    ),
  ]);
};

/** @param {ReportState} state */
CQReport.overview = ({ data, run }) => {
  const { h, fmtClock, fmtInt, fmtNum, fmtDuration } = CQ;
  const { kv, utc } = CQReport;
  const load = run.load;
  return CQReport.section('overview', 'Overview', '', [
    CQReport.headlineCards(data),
    h('div', { class: 'columns' }, [
      h('div', {}, [
        h('h3', { text: 'Run' }),
        kv([
          ['Scenario', run.description ? `${run.scenario}: ${run.description}` : run.scenario],
          ['Run id', run.runId],
          ['Seed', String(run.seed ?? '–')],
          ['Commit', run.commit ?? 'unknown'],
          ['Started', utc(run.startedAt)],
          ['Duration', fmtDuration(run.durationSeconds)],
          [
            'Phases',
            run.phases.map((p) => `${p.name.replace('_', ' ')} ${fmtClock(p.t)}`).join(' · ') || '–',
          ],
        ]),
      ]),
      h('div', {}, [
        h('h3', { text: 'Topology and load' }),
        kv([
          [
            'Regions',
            run.regions
              .map((r) =>
                r.nodes === null ? r.name : `${r.name} (${r.nodes} node${r.nodes === 1 ? '' : 's'})`,
              )
              .join(', '),
          ],
          ['Users', fmtInt(run.users)],
          ['Conversations', fmtInt(run.conversations)],
          ['Ack level', run.ackLevel ?? '–'],
          ['Server bugs', run.bugs.length > 0 ? run.bugs.join(', ') : 'none'],
          ['Send rate', `${fmtNum(load.sendRatePerSecond)} messages/s`],
          ['Delivery rate', `${fmtNum(load.deliverRatePerSecond)} deliveries/s`],
          ['Faults', `${data.faults.length} windows in ${data.lanes.length} lanes`],
        ]),
      ]),
    ]),
    data.warnings.length > 0
      ? h('div', { class: 'warnings', id: 'warnings' }, [
          h('strong', { text: 'About this data' }),
          h(
            'ul',
            {},
            data.warnings.map((w) => h('li', { text: w })),
          ),
        ])
      : null,
  ]);
};

/** @param {ReportState} state */
CQReport.thresholds = ({ data }) =>
  CQReport.section(
    'thresholds',
    'Thresholds',
    'The same rows as junit.xml: each metric and threshold pair, judged over the whole run.',
    [
      data.thresholds.length === 0
        ? CQ.h('p', { class: 'empty', text: 'This run declared no thresholds.' })
        : CQ.table(
            ['Metric', 'Threshold', ['Actual', 'num'], 'Result'],
            data.thresholds.map((t) => ({
              class: t.ok ? '' : 'bad',
              data: { thresholdRow: `${t.metric} ${t.expression}`, ok: String(t.ok) },
              cells: [
                CQ.h('code', { text: t.metric }),
                CQ.h('code', { text: t.expression }),
                [CQReport.actualText(t.actual), 'num'],
                [t.ok ? '✓ pass' : '✗ fail', t.ok ? 'status good' : 'status'],
              ],
            })),
            'thresholds',
          ),
    ],
  );
