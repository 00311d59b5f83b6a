// @ts-check
// report.html: reads the ReportData inlined in #report-data and draws the page. It does no
// statistics of its own; every number shown was computed in Node (reports/data.ts).

/**
 * @typedef {import('../types.ts').ReportData} ReportData
 * @typedef {import('../types.ts').Percentiles} Percentiles
 * @typedef {import('../types.ts').LatencySeries} LatencySeries
 * @typedef {import('../types.ts').ThroughputSeries} ThroughputSeries
 */

(() => {
  const { h, table, fmtMs, fmtSeconds, fmtClock, fmtInt, fmtNum, fmtPct, fmtDuration } = CQ;
  const source = document.getElementById('report-data');
  /** @type {ReportData} */
  const data = JSON.parse(source?.textContent ?? '{}');
  const app = /** @type {HTMLElement} */ (document.getElementById('app'));
  const run = data.run;
  const regions = run.regions.map((r) => r.name).filter((r) => data.throughput.byRegion[r] !== undefined);
  const last = data.time.x.length > 0 ? (data.time.x[data.time.x.length - 1] ?? 0) + data.time.step : 1;
  const group = CQ.createTimeGroup({
    key: 'cq-time',
    full: { min: 0, max: Math.max(1, run.durationSeconds, last) },
    faults: data.faults,
    laneCount: data.lanes.length,
    phases: run.phases,
  });
  /** @type {(() => void)[]} */
  const drawLater = [];
  /** @type {uPlot[]} */
  const plainCharts = [];

  /** @param {string} id @param {string} title @param {string} lede @param {(Node | null)[]} body */
  const section = (id, title, lede, body) =>
    h('section', { class: 'card', id }, [
      h('h2', { text: title }),
      lede ? h('p', { class: 'lede', text: lede }) : null,
      ...body,
    ]);

  /** @param {string} label @param {string} value @param {string} [sub] @param {'good' | 'bad'} [tone] */
  const stat = (label, value, sub, tone) =>
    h('div', { class: `stat${tone ? ` ${tone}` : ''}` }, [
      h('div', { class: 'label', text: label }),
      h('div', { class: 'value', text: value }),
      sub ? h('div', { class: 'sub', text: sub }) : null,
    ]);

  /** A chart placeholder, drawn once everything is in the page (uPlot needs the width). */
  const chartBox = (/** @type {(el: HTMLElement) => void} */ draw) => {
    const el = h('div', { class: 'chart' });
    drawLater.push(() => draw(el));
    return el;
  };

  const utc = (/** @type {string | null} */ iso) => {
    if (!iso) return '–';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  };

  // ---- header, toolbar, verdict ----------------------------------------------------------
  const status = data.verdict.status;
  const badgeText = { pass: 'PASSED', fail: 'FAILED', invalid: 'INVALID', unknown: 'NO VERDICT' }[status];
  document.title = `${badgeText} · ${run.scenario} · chatquake`;
  app.append(
    h('header', { class: 'top' }, [
      h('span', { class: 'brand', text: 'chatquake' }),
      h('span', { class: 'title', text: run.scenario }),
      h('span', { class: `badge ${status}`, id: 'verdict-badge', text: badgeText, data: { status } }),
      run.bugs.length > 0
        ? h('span', {
            class: 'badge bugs',
            title: 'The server was started with these bug knobs',
            text: `bugs: ${run.bugs.join(', ')}`,
          })
        : null,
      h('div', {
        class: 'meta',
        text: [
          `run ${run.runId}`,
          `started ${utc(run.startedAt)}`,
          `duration ${fmtDuration(run.durationSeconds)}`,
          `seed ${run.seed ?? '–'}`,
          `commit ${run.commit ?? 'unknown'}`,
        ].join(' · '),
      }),
    ]),
  );

  const regionSelect = /** @type {HTMLSelectElement} */ (
    h('select', { id: 'region-select', title: 'Region shown in the throughput and latency charts' }, [
      h('option', { text: 'All regions' }),
      ...regions.map((r) => h('option', { text: r })),
    ])
  );
  const allRegions = regionSelect.options[0];
  if (allRegions) allRegions.value = '*';
  const resetButton = h('button', {
    text: 'Reset zoom',
    title: 'Show the whole run (or double-click a chart)',
  });
  resetButton.addEventListener('click', () => group.reset());
  const links = [
    ['overview', 'Overview'],
    ['thresholds', 'Thresholds'],
    ['timeline', 'Faults'],
    ['throughput', 'Throughput'],
    ['latency', 'Latency'],
    ['connections', 'Connections'],
    ['failover', 'Failover'],
    ['regions', 'Regions'],
    ['impact', 'Fault impact'],
    ['consistency', 'Consistency'],
  ];
  app.append(
    h('nav', { class: 'toolbar' }, [
      ...links.map(([id, label]) => h('a', { href: `#${id}`, text: label })),
      h('span', { class: 'spacer' }),
      h('label', { text: 'Region ' }, [regionSelect]),
      resetButton,
    ]),
  );

  const main = h('main', { data: { faultWindows: 0, faults: data.faults.length } });
  main.id = 'report';
  app.append(main);

  const failedThresholds = data.thresholds.filter((t) => !t.ok);
  const violations = data.headline.violations;
  /** @type {(Node | string)[]} */
  const verdictBody = [];
  if (status === 'pass') {
    verdictBody.push(
      `All ${data.thresholds.length} thresholds held` +
        (violations === 0 ? ' and every consistency check is clean.' : '.'),
    );
  } else if (status === 'fail') {
    const parts = [];
    if (failedThresholds.length > 0)
      parts.push(`${failedThresholds.length} of ${data.thresholds.length} thresholds failed`);
    if (violations) parts.push(`${fmtInt(violations)} consistency violations`);
    verdictBody.push(`${parts.join(', ') || 'The run failed'} (exit ${data.verdict.exitCode ?? 99}).`);
    if (failedThresholds.length > 0) {
      verdictBody.push(
        h(
          'ul',
          {},
          failedThresholds.map((t) =>
            h('li', { text: `${t.metric}: ${t.expression}, was ${actualText(t.actual)}` }),
          ),
        ),
      );
    }
  } else if (status === 'invalid') {
    verdictBody.push(
      `The run is invalid and proves nothing either way (exit ${data.verdict.exitCode ?? 97}).`,
    );
    verdictBody.push(
      h(
        'ul',
        {},
        data.verdict.invalidReasons.map((r) => h('li', { text: r })),
      ),
    );
  } else {
    verdictBody.push(
      'No verdict: summary.json is missing or has no result. The charts below come from the history.',
    );
  }
  if (data.verdict.text) verdictBody.push(h('div', { class: 'verdict-text', text: data.verdict.text }));
  if (data.verdict.errors.length > 0) {
    verdictBody.push(
      h('div', { text: 'Errors during the run:' }),
      h(
        'ul',
        {},
        data.verdict.errors.map((e) => h('li', { text: e })),
      ),
    );
  }
  main.append(
    h('div', { class: `verdict ${status}`, id: 'verdict' }, [
      h('strong', { text: badgeText }),
      ...verdictBody,
    ]),
  );

  /** @param {number | string | null} v */
  function actualText(v) {
    if (v === null) return '–';
    return typeof v === 'number' ? fmtNum(v) : v;
  }

  // ---- overview -----------------------------------------------------------------------------
  const load = run.load;
  const errors = load.failed + load.indeterminate;
  const hl = data.headline;
  const overview = section('overview', 'Overview', '', [
    h('div', { class: 'cards' }, [
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
    ]),
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
  main.append(overview);

  /** @param {[string, string][]} pairs */
  function kv(pairs) {
    return h(
      'dl',
      { class: 'kv' },
      pairs.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]),
    );
  }

  // ---- thresholds ---------------------------------------------------------------------------
  main.append(
    section(
      'thresholds',
      'Thresholds',
      'The same rows as junit.xml: each metric and threshold pair, judged over the whole run.',
      [
        data.thresholds.length === 0
          ? h('p', { class: 'empty', text: 'This run declared no thresholds.' })
          : table(
              ['Metric', 'Threshold', ['Actual', 'num'], 'Result'],
              data.thresholds.map((t) => ({
                class: t.ok ? '' : 'bad',
                data: { thresholdRow: `${t.metric} ${t.expression}`, ok: String(t.ok) },
                cells: [
                  h('code', { text: t.metric }),
                  h('code', { text: t.expression }),
                  [actualText(t.actual), 'num'],
                  [t.ok ? '✓ pass' : '✗ fail', t.ok ? 'status good' : 'status'],
                ],
              })),
              'thresholds',
            ),
      ],
    ),
  );

  // ---- fault timeline -----------------------------------------------------------------------
  const laneLabels = CQ.laneLabels(data.faults);
  main.append(
    section(
      'timeline',
      'Fault timeline',
      'One lane per fault and target. Every time chart below shares this time axis: hover to move the cursor everywhere, drag to zoom all of them, double-click to reset.',
      [
        data.faults.length === 0
          ? h('p', { class: 'empty', text: 'No faults were injected in this run.' })
          : null,
        chartBox((el) => {
          CQ.timeChart(group, el, {
            id: 'timeline',
            timeline: true,
            height: Math.max(70, 30 * Math.max(1, data.lanes.length) + (run.phases.length > 0 ? 24 : 0) + 34),
            x: data.time.x,
            ys: [data.time.x.map(() => null)],
            series: [{ label: 'faults', color: 'rgba(0,0,0,0)' }],
            fmt: fmtNum,
            onFaultWindows: (drawn) => {
              main.dataset.faultWindows = String(drawn);
            },
          });
        }),
        data.lanes.length > 0
          ? h(
              'div',
              { class: 'lanes-legend' },
              data.lanes.map((lane, i) =>
                h('span', {}, [CQ.swatch(CQ.faultColor(lane.kind)), laneLabels[i] ?? lane.kind]),
              ),
            )
          : null,
        data.faults.length > 0
          ? table(
              ['#', 'Fault', 'Target', 'Regions', ['Start', 'num'], ['Stop', 'num'], ['Duration', 'num'], ''],
              data.faults.map((f, i) => ({
                data: { faultRow: i },
                cells: [
                  String(i + 1),
                  h('span', {}, [CQ.swatch(CQ.faultColor(f.kind)), f.kind]),
                  f.target || '–',
                  f.regions.join(', ') || '–',
                  [fmtClock(f.start), 'num'],
                  [f.end === null ? 'still on' : fmtClock(f.end), 'num'],
                  [f.end === null ? '–' : fmtDuration(f.end - f.start), 'num'],
                  focusLink(f.start, 'show'),
                ],
              })),
            )
          : null,
      ],
    ),
  );

  /** A link that moves every time chart to t. @param {number | null} t @param {string} text */
  function focusLink(t, text) {
    if (t === null) return h('span', { class: 'ids', text: 'time unknown' });
    const a = h('a', { href: '#timeline', text, data: { t } });
    a.addEventListener('click', (event) => {
      event.preventDefault();
      group.focusAt(t);
      document.getElementById('timeline')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
    return a;
  }

  // ---- throughput ---------------------------------------------------------------------------
  const throughputSeries = [
    { label: 'sent', color: '#2563eb' },
    { label: 'acked', color: '#16a34a' },
    { label: 'delivered', color: '#9333ea' },
    { label: 'errors', color: '#dc2626', width: 2 },
  ];
  /** @param {ThroughputSeries} t */
  const throughputYs = (t) => [t.sent, t.acked, t.delivered, t.errors];
  /** @type {uPlot | null} */
  let throughputChart = null;
  main.append(
    section(
      'throughput',
      'Throughput',
      `Events per second${data.time.step > 1 ? ` (averaged over ${data.time.step} s buckets)` : ''}, split by the region the client was connected to. Errors are sends that failed or got no answer (indeterminate); delivered counts the first delivery of each message to each user.`,
      [
        chartBox((el) => {
          throughputChart = CQ.timeChart(group, el, {
            id: 'throughput',
            x: data.time.x,
            ys: throughputYs(data.throughput.all),
            series: throughputSeries,
            fmt: fmtNum,
          });
        }),
      ],
    ),
  );

  // ---- latency ------------------------------------------------------------------------------
  const latencySeries = [
    { label: 'p50', color: '#60a5fa' },
    { label: 'p95', color: '#2563eb' },
    { label: 'p99', color: '#7c3aed', width: 2 },
    { label: 'max', color: '#9ca3af', dash: [4, 3] },
  ];
  /** @param {LatencySeries} s */
  const latencyYs = (s) => [s.p50, s.p95, s.p99, s.max];
  /** @type {uPlot | null} */
  let deliveryChart = null;
  /** @type {uPlot | null} */
  let ackChart = null;
  const sampled = data.samples;
  main.append(
    section(
      'latency',
      'Latency',
      'Percentiles per second, by the time each message was meant to be sent, so a stall shows up where it started (log scale). Measured from the intended send time: a slow generator cannot hide a slow system.',
      [
        h('h3', { text: 'Delivery latency: send to recipient' }),
        chartBox((el) => {
          deliveryChart = CQ.timeChart(group, el, {
            id: 'delivery-latency',
            x: data.time.x,
            ys: latencyYs(data.latency.delivery.all),
            series: latencySeries,
            fmt: fmtMs,
            log: true,
          });
        }),
        h('h3', { text: 'Ack latency: send to acknowledgement' }),
        chartBox((el) => {
          ackChart = CQ.timeChart(group, el, {
            id: 'ack-latency',
            x: data.time.x,
            ys: latencyYs(data.latency.ack.all),
            series: latencySeries,
            fmt: fmtMs,
            log: true,
          });
        }),
        h('h3', { text: 'Individual sends' }),
        h('p', {
          class: 'lede',
          text: `A seeded sample of ${fmtInt(sampled.t.length)} of ${fmtInt(sampled.total)} sends: how long each took to be acked, or to fail.`,
        }),
        sampled.t.length === 0
          ? h('p', { class: 'empty', text: 'No send finished in this run.' })
          : chartBox((el) => {
              const pick = (/** @type {number} */ o) =>
                sampled.ms.map((ms, i) => (sampled.outcome[i] === o ? ms : null));
              CQ.timeChart(group, el, {
                id: 'send-samples',
                x: sampled.t,
                ys: [pick(0), pick(1), pick(2)],
                series: [
                  { label: 'acked', color: '#16a34a', points: true },
                  { label: 'failed', color: '#dc2626', points: true },
                  { label: 'indeterminate', color: '#f59e0b', points: true },
                ],
                fmt: fmtMs,
                log: true,
              });
            }),
      ],
    ),
  );

  regionSelect.addEventListener('change', () => {
    const r = regionSelect.value;
    const pickT = r === '*' ? data.throughput.all : data.throughput.byRegion[r];
    const pickD = r === '*' ? data.latency.delivery.all : data.latency.delivery.byRegion[r];
    const pickA = r === '*' ? data.latency.ack.all : data.latency.ack.byRegion[r];
    const clamp = (/** @type {(number | null)[][]} */ ys) =>
      ys.map((s) => s.map((v) => (v === null ? null : Math.max(v, 0.1))));
    const apply = (/** @type {uPlot | null} */ u, /** @type {(number | null)[][]} */ ys) => {
      if (u === null) return;
      u.setData(/** @type {uPlot.AlignedData} */ ([data.time.x, ...ys]));
      group.syncing = true;
      u.setScale('x', { ...group.view });
      group.syncing = false;
    };
    if (pickT) apply(throughputChart, throughputYs(pickT));
    if (pickD) apply(deliveryChart, clamp(latencyYs(pickD)));
    if (pickA) apply(ackChart, clamp(latencyYs(pickA)));
  });

  // ---- connections --------------------------------------------------------------------------
  const connRegions = Object.keys(data.connections.open);
  main.append(
    section(
      'connections',
      'Connections',
      'Open client connections by the region they are connected to, and reconnects per second. A region outage shows as one region emptying while the others fill.',
      [
        h('h3', { text: 'Open connections' }),
        chartBox((el) => {
          CQ.timeChart(group, el, {
            id: 'connections',
            x: data.time.x,
            ys: connRegions.map((r) => data.connections.open[r] ?? []),
            series: connRegions.map((r, i) => ({ label: r, color: CQ.seriesColor(i), step: true })),
            fmt: fmtNum,
          });
        }),
        h('h3', { text: 'Reconnects and failovers' }),
        chartBox((el) => {
          const failovers = data.time.x.map((_, b) =>
            connRegions.reduce((n, r) => n + (data.connections.failovers[r]?.[b] ?? 0), 0),
          );
          CQ.timeChart(group, el, {
            id: 'reconnects',
            x: data.time.x,
            ys: [...connRegions.map((r) => data.connections.reconnects[r] ?? []), failovers],
            series: [
              ...connRegions.map((r, i) => ({
                label: `reconnects into ${r}`,
                color: CQ.seriesColor(i),
                step: true,
              })),
              { label: 'failovers (all)', color: '#111827', dash: [4, 3], step: true },
            ],
            fmt: fmtNum,
            height: 180,
          });
        }),
      ],
    ),
  );

  // ---- failover ----------------------------------------------------------------------------
  const fo = data.failover;
  const faultName = (/** @type {{ kind: string, target: string }} */ r) =>
    r.target ? `${r.kind} ${r.target}` : r.kind;
  /** A percentile: null with never-recovered incidents means it lies among them. */
  const fmtFailover = (/** @type {number | null} */ v, /** @type {number} */ never) =>
    v === null && never > 0 ? 'never' : fmtSeconds(v);
  const withReconnects = fo.faults.filter((r) => r.reconnect.disconnected > 0);
  const counts = fo.counts;
  main.append(
    section(
      'failover',
      'Failover',
      'Per incident: from the moment a fault first touches a client (its region is hit, or it loses a connection during the fault) until it is served again, with a send acknowledged and a new message received. Faults that overlap or follow within a client\'s recovery are one incident. It failed over if it was served again while a fault was still on, rode the fault out if only after the heal, and never recovered if not before the run ended; those rank above every time, so a percentile among them reads "never".',
      [
        h('div', { class: 'cards' }, [
          stat('Recovery p50', fmtFailover(fo.recovery.p50, counts.neverRecovered), 'impact → served again'),
          stat('Recovery p99', fmtFailover(fo.recovery.p99, counts.neverRecovered), 'impact → served again'),
          stat(
            'Failover p99',
            fmtFailover(fo.overall.p99, counts.neverRecovered),
            'served while the fault was on',
          ),
          stat('Failed over', fmtInt(counts.failedOver), `of ${fmtInt(counts.incidents)} incidents`),
          stat('Rode out', fmtInt(counts.rodeOut), 'served only after the heal'),
          stat(
            'Never recovered',
            fmtInt(counts.neverRecovered),
            'not served again before the end',
            counts.neverRecovered > 0 ? 'bad' : undefined,
          ),
        ]),
        fo.faults.length === 0
          ? h('p', { class: 'empty', text: 'No faults, so no failover to measure.' })
          : table(
              [
                '#',
                'Fault',
                ['Window', 'num'],
                ['Clients', 'num'],
                ['Failed over', 'num'],
                ['Rode out', 'num'],
                ['Never recovered', 'num'],
                ['Unobserved', 'num'],
                ['Failover p99', 'num'],
                ['Recovery p50', 'num'],
                ['Recovery p99', 'num'],
                ['Lost', 'num'],
                '',
              ],
              fo.faults.map((r, i) => ({
                class: r.neverRecovered > 0 || r.lost > 0 ? 'bad' : '',
                data: { failoverRow: i },
                cells: [
                  r.fault === null ? '–' : String(r.fault + 1),
                  h('span', {}, [CQ.swatch(CQ.faultColor(r.kind)), faultName(r)]),
                  [`${fmtClock(r.start)}–${r.end === null ? 'end' : fmtClock(r.end)}`, 'num'],
                  [fmtInt(r.clients), 'num'],
                  [fmtInt(r.failedOver), 'num'],
                  [fmtInt(r.rodeOut), 'num'],
                  [fmtInt(r.neverRecovered), r.neverRecovered > 0 ? 'num bad' : 'num'],
                  [fmtInt(r.unobserved), 'num'],
                  [fmtFailover(r.failover.p99, r.neverRecovered), 'num'],
                  [fmtFailover(r.recovery.p50, r.neverRecovered), 'num'],
                  [fmtFailover(r.recovery.p99, r.neverRecovered), 'num'],
                  [
                    `${r.lostAtLeast && r.lost > 0 ? '≥' : ''}${fmtInt(r.lost)}`,
                    r.lost > 0 ? 'num bad' : 'num',
                  ],
                  focusLink(r.start, 'show'),
                ],
              })),
            ),
        fo.faults.length === 0
          ? null
          : h('p', {
              class: 'lede',
              text: 'Counts are incidents; an incident spanning two faults is counted in each of their rows. Unobserved: the client sent nothing and nobody wrote to it after the impact, so there was nothing to measure. Lost: messages acknowledged during the window that the lost-message check later found missing.',
            }),
        withReconnects.length === 0
          ? null
          : h('div', {}, [
              h('h3', { text: 'Time to reconnect' }),
              h('p', {
                class: 'lede',
                text: 'The connection-level view: of the clients each fault disconnected, the share connected again within x seconds (from the fault start, or their disconnect if later). A curve that stops short of 100% left clients offline.',
              }),
              chartBox((el) => {
                const { xs, ys } = CQ.cdf(
                  withReconnects.map((r) => ({
                    samples: r.reconnect.samples,
                    total: r.reconnect.disconnected,
                  })),
                );
                plainCharts.push(
                  CQ.plainChart(el, {
                    id: 'reconnect-cdf',
                    x: xs,
                    ys,
                    series: withReconnects.map((r) => ({
                      label: `#${(r.fault ?? -1) + 1} ${faultName(r)} (${r.reconnect.reconnected}/${r.reconnect.disconnected})`,
                      color: CQ.faultColor(r.kind),
                      step: true,
                    })),
                    xFmt: CQ.axisSeconds,
                    yFmt: (v) => `${Math.round(v * 100)}%`,
                    yRange: [0, 1],
                  }),
                );
              }),
            ]),
      ],
    ),
  );

  // ---- region matrix ------------------------------------------------------------------------
  const cells = data.matrix.cells;
  const maxP99 = Math.max(0, ...cells.map((c) => c.p99 ?? 0));
  main.append(
    section(
      'regions',
      'Region to region',
      'Delivery p99 and undelivered share from senders homed in one region (rows) to recipients homed in another (columns).',
      [
        cells.length === 0
          ? h('p', { class: 'empty', text: 'No deliveries.' })
          : h('table', { class: 'matrix', id: 'region-matrix' }, [
              h('thead', {}, [
                h('tr', {}, [
                  h('th', { text: 'from \\ to' }),
                  ...data.matrix.regions.map((r) => h('th', { class: 'num', text: r })),
                ]),
              ]),
              h(
                'tbody',
                {},
                data.matrix.regions.map((from) =>
                  h('tr', {}, [
                    h('th', { text: from }),
                    ...data.matrix.regions.map((to) => {
                      const c = cells.find((x) => x.from === from && x.to === to);
                      const td = h('td', { class: `cell${c && c.undelivered > 0 ? ' lossy' : ''}` });
                      if (!c || (c.deliveries === 0 && c.expected === 0)) {
                        td.append(h('span', { class: 'loss', text: 'no traffic' }));
                        return td;
                      }
                      const share = c.expected > 0 ? c.undelivered / c.expected : 0;
                      td.title = `${fmtInt(c.deliveries)} deliveries; ${fmtInt(c.undelivered)} of ${fmtInt(c.expected)} owed deliveries never arrived`;
                      td.append(
                        h('div', { class: 'p99', text: `p99 ${fmtMs(c.p99)}` }),
                        h('div', { class: 'loss', text: `${fmtPct(share)} undelivered` }),
                      );
                      if (c.p99 !== null && maxP99 > 0)
                        td.style.background = `rgba(251, 191, 36, ${(0.08 + 0.5 * (c.p99 / maxP99)).toFixed(3)})`;
                      return td;
                    }),
                  ]),
                ),
              ),
            ]),
      ],
    ),
  );

  // ---- before / during / after --------------------------------------------------------------
  /** @param {Percentiles} s */
  const pctCells = (s) => [
    /** @type {[string, string]} */ ([fmtMs(s.p50), 'num']),
    /** @type {[string, string]} */ ([fmtMs(s.p90), 'num']),
    /** @type {[string, string]} */ ([fmtMs(s.p99), 'num']),
    /** @type {[string, string]} */ ([fmtMs(s.max), 'num']),
    /** @type {[string, string]} */ ([fmtInt(s.count), 'num']),
  ];
  const phaseLabel = {
    before: 'Before the first fault',
    fault: 'While a fault is on',
    after: 'Between and after faults',
  };
  const ratio = (/** @type {number | null} */ a, /** @type {number | null} */ b) =>
    a === null || b === null || b <= 0 ? '–' : `×${fmtNum(a / b)}`;
  main.append(
    section(
      'impact',
      'Latency before, during and after faults',
      'Delivery latency of messages meant to be sent in each period; ack p99 alongside.',
      [
        table(
          [
            'Period',
            ['p50', 'num'],
            ['p90', 'num'],
            ['p99', 'num'],
            ['max', 'num'],
            ['Deliveries', 'num'],
            ['Ack p99', 'num'],
          ],
          data.phases.rows
            .filter((r) => data.faults.length > 0 || r.phase === 'before')
            .map((r) => ({
              data: { phase: r.phase },
              cells: [
                data.faults.length === 0 ? 'Whole run (no faults)' : phaseLabel[r.phase],
                ...pctCells(r.delivery),
                [fmtMs(r.ack.p99), 'num'],
              ],
            })),
        ),
        data.phases.perFault.length === 0
          ? null
          : h('div', {}, [
              h('h3', { text: 'Per fault: delivery p99 in equal windows around it' }),
              table(
                [
                  '#',
                  'Fault',
                  ['Window', 'num'],
                  ['Before', 'num'],
                  ['During', 'num'],
                  ['After', 'num'],
                  ['During / before', 'num'],
                ],
                data.phases.perFault.map((r) => {
                  const f = data.faults[r.fault];
                  return {
                    cells: [
                      String(r.fault + 1),
                      f ? h('span', {}, [CQ.swatch(CQ.faultColor(f.kind)), faultName(f)]) : '–',
                      [fmtDuration(r.windowSeconds), 'num'],
                      [fmtMs(r.before.p99), 'num'],
                      [fmtMs(r.during.p99), 'num'],
                      [fmtMs(r.after.p99), 'num'],
                      [ratio(r.during.p99, r.before.p99), 'num'],
                    ],
                  };
                }),
              ),
            ]),
      ],
    ),
  );

  // ---- consistency --------------------------------------------------------------------------
  const cons = data.consistency;
  /** @type {Node[]} */
  const consBody = [];
  {
    if (cons.source === 'history') {
      consBody.push(
        h('p', {
          class: 'lede',
          text: 'No summary.json: these counts come from running the checks on the history for this report.',
        }),
      );
    }
    consBody.push(
      table(
        ['Check', ['Violations', 'num'], 'What it means', 'Result'],
        cons.checks.map((c) => ({
          class: c.count > 0 ? 'bad' : '',
          data: { check: c.key, count: c.count },
          cells: [
            h('span', { title: c.key, text: c.label }),
            [fmtInt(c.count), 'num'],
            c.description,
            [c.count > 0 ? '✗ violated' : '✓ clean', c.count > 0 ? 'status' : 'status good'],
          ],
        })),
        'violations',
      ),
    );
    if (cons.info.length > 0) {
      consBody.push(
        h('p', {
          class: 'lede',
          id: 'consistency-info',
          text: `Allowed, and only counted: ${cons.info.map((c) => `${c.label.toLowerCase()} ${fmtInt(c.count)}`).join(' · ')}.`,
        }),
      );
    }
    if (cons.convergenceSeconds !== null) {
      consBody.push(
        h('p', {
          class: 'lede',
          text: `Regions converged ${fmtSeconds(cons.convergenceSeconds)} after the faults healed.`,
        }),
      );
    }
    const byCheck = new Map();
    for (const e of cons.examples) {
      if (!byCheck.has(e.check)) byCheck.set(e.check, []);
      byCheck.get(e.check).push(e);
    }
    if (byCheck.size > 0) consBody.push(h('h3', { text: 'First examples' }));
    for (const [check, examples] of byCheck) {
      const row = cons.checks.find((c) => c.key === check);
      consBody.push(
        h('div', { class: 'example-group', data: { exampleCheck: check } }, [
          h('h4', { text: `${row?.label ?? check}${row ? ` (${fmtInt(row.count)})` : ''}` }),
          h(
            'ol',
            { class: 'examples' },
            examples.map((/** @type {import('../types.ts').ConsistencyExample} */ e) =>
              h('li', {}, [
                e.message,
                ' ',
                h('span', {
                  class: 'ids',
                  text: [
                    e.conv && `conversation ${e.conv}`,
                    e.cmid && `message ${e.cmid}`,
                    e.region && `region ${e.region}`,
                  ]
                    .filter(Boolean)
                    .join(' · '),
                }),
                ' ',
                focusLink(e.t, e.t === null ? '' : `show at ${fmtClock(e.t)}`),
              ]),
            ),
          ),
        ]),
      );
    }
  }
  main.append(
    section(
      'consistency',
      'Consistency',
      'What the data says: every check over the whole history, and the first examples of each violation in words.',
      consBody,
    ),
  );

  app.append(
    h('footer', {
      text: `chatquake report · schema ${data.schemaVersion} · one self-contained file: it makes no network request`,
    }),
  );

  for (const draw of drawLater) draw();
  let pending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      group.resize();
      for (const c of plainCharts) {
        const parent = c.root.parentElement;
        if (parent) c.setSize({ width: Math.max(320, parent.clientWidth), height: c.height });
      }
    });
  });
  // uPlot draws in a microtask; a macrotask later every chart has been drawn once.
  setTimeout(() => {
    document.body.dataset.ready = 'true';
  }, 0);
})();
