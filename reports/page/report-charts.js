// @ts-check
// report.html's throughput and latency charts (and the sample of individual sends), and the
// region picker that switches them to one region's series. Part of report.html's script (see
// report-kit.js).

CQReport.THROUGHPUT_SERIES = [
  { label: 'sent', color: '#2563eb' },
  { label: 'acked', color: '#16a34a' },
  { label: 'delivered', color: '#9333ea' },
  { label: 'errors', color: '#dc2626', width: 2 },
];
/** @param {ThroughputSeries} t */
CQReport.throughputYs = (t) => [t.sent, t.acked, t.delivered, t.errors];

CQReport.LATENCY_SERIES = [
  { label: 'p50', color: '#60a5fa' },
  { label: 'p95', color: '#2563eb' },
  { label: 'p99', color: '#7c3aed', width: 2 },
  { label: 'max', color: '#9ca3af', dash: [4, 3] },
];
/** @param {LatencySeries} s */
CQReport.latencyYs = (s) => [s.p50, s.p95, s.p99, s.max];

/** @param {ReportState} state */
CQReport.throughput = (state) => {
  const { data, group, charts } = state;
  return CQReport.section(
    'throughput',
    'Throughput',
    `Events per second${data.time.step > 1 ? ` (averaged over ${data.time.step} s buckets)` : ''}, split by the region the client was connected to. Errors are sends that failed or got no answer (indeterminate); delivered counts the first delivery of each message to each user.`,
    [
      CQReport.chartBox(state, (el) => {
        charts.throughput = CQ.timeChart(group, el, {
          id: 'throughput',
          x: data.time.x,
          ys: CQReport.throughputYs(data.throughput.all),
          series: CQReport.THROUGHPUT_SERIES,
          fmt: CQ.fmtNum,
        });
      }),
    ],
  );
};

/** The scatter of a seeded sample of sends, by outcome. @param {ReportState} state */
CQReport.sampleChart = (state) => {
  const { data, group } = state;
  const sampled = data.samples;
  if (sampled.t.length === 0) return CQ.h('p', { class: 'empty', text: 'No send finished in this run.' });
  return CQReport.chartBox(state, (el) => {
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
      fmt: CQ.fmtMs,
      log: true,
    });
  });
};

/** @param {ReportState} state */
CQReport.latency = (state) => {
  const { data, group, charts } = state;
  const { h, fmtInt } = CQ;
  /** @param {string} id @param {LatencySeries} series */
  const latencyChart = (id, series) => (/** @type {HTMLElement} */ el) =>
    CQ.timeChart(group, el, {
      id,
      x: data.time.x,
      ys: CQReport.latencyYs(series),
      series: CQReport.LATENCY_SERIES,
      fmt: CQ.fmtMs,
      log: true,
    });
  return CQReport.section(
    'latency',
    'Latency',
    'Percentiles per second, by the time each message was meant to be sent, so a stall shows up where it started (log scale). Measured from the intended send time: a slow generator cannot hide a slow system.',
    [
      h('h3', { text: 'Delivery latency: send to recipient' }),
      CQReport.chartBox(state, (el) => {
        charts.delivery = latencyChart('delivery-latency', data.latency.delivery.all)(el);
      }),
      h('h3', { text: 'Ack latency: send to acknowledgement' }),
      CQReport.chartBox(state, (el) => {
        charts.ack = latencyChart('ack-latency', data.latency.ack.all)(el);
      }),
      h('h3', { text: 'Individual sends' }),
      h('p', {
        class: 'lede',
        text: `A seeded sample of ${fmtInt(data.samples.t.length)} of ${fmtInt(data.samples.total)} sends: how long each took to be acked, or to fail.`,
      }),
      CQReport.sampleChart(state),
    ],
  );
};

/**
 * Switches the throughput and latency charts to the picked region's series.
 * @param {ReportState} state @param {HTMLSelectElement} regionSelect
 */
CQReport.followRegion = ({ data, group, charts }, regionSelect) => {
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
    if (pickT) apply(charts.throughput, CQReport.throughputYs(pickT));
    if (pickD) apply(charts.delivery, clamp(CQReport.latencyYs(pickD)));
    if (pickA) apply(charts.ack, clamp(CQReport.latencyYs(pickA)));
  });
};
