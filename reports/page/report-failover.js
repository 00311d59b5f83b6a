// @ts-check
// report.html's connection charts (open connections, reconnects and failovers per second) and
// its failover section: recovery per incident and per fault, and how long the clients each
// fault disconnected took to reconnect. Part of report.html's script (see report-kit.js).

/** @param {ReportState} state */
CQReport.connections = (state) => {
  const { data, group } = state;
  const connRegions = Object.keys(data.connections.open);
  return CQReport.section(
    'connections',
    'Connections',
    'Open client connections by the region they are connected to, and reconnects per second. A region outage shows as one region emptying while the others fill.',
    [
      CQ.h('h3', { text: 'Open connections' }),
      CQReport.chartBox(state, (el) => {
        CQ.timeChart(group, el, {
          id: 'connections',
          x: data.time.x,
          ys: connRegions.map((r) => data.connections.open[r] ?? []),
          series: connRegions.map((r, i) => ({ label: r, color: CQ.seriesColor(i), step: true })),
          fmt: CQ.fmtNum,
        });
      }),
      CQ.h('h3', { text: 'Reconnects and failovers' }),
      CQReport.chartBox(state, (el) => {
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
          fmt: CQ.fmtNum,
          height: 180,
        });
      }),
    ],
  );
};

/** A percentile: null with never-recovered incidents means it lies among them. */
CQReport.fmtFailover = (/** @type {number | null} */ v, /** @type {number} */ never) =>
  v === null && never > 0 ? 'never' : CQ.fmtSeconds(v);

/** One row per fault: its incidents, recovery and losses. @param {ReportState} state */
CQReport.failoverTable = (state) => {
  const { h, fmtClock, fmtInt } = CQ;
  const { fmtFailover, faultName } = CQReport;
  return CQ.table(
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
    state.data.failover.faults.map((r, i) => ({
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
        [`${r.lostAtLeast && r.lost > 0 ? '≥' : ''}${fmtInt(r.lost)}`, r.lost > 0 ? 'num bad' : 'num'],
        CQReport.focusLink(state, r.start, 'show'),
      ],
    })),
  );
};

/** The share of each fault's disconnected clients back within x seconds. @param {ReportState} state */
CQReport.reconnectChart = (state) => {
  const withReconnects = state.data.failover.faults.filter((r) => r.reconnect.disconnected > 0);
  if (withReconnects.length === 0) return null;
  return CQ.h('div', {}, [
    CQ.h('h3', { text: 'Time to reconnect' }),
    CQ.h('p', {
      class: 'lede',
      text: 'The connection-level view: of the clients each fault disconnected, the share connected again within x seconds (from the fault start, or their disconnect if later). A curve that stops short of 100% left clients offline.',
    }),
    CQReport.chartBox(state, (el) => {
      const { xs, ys } = CQ.cdf(
        withReconnects.map((r) => ({ samples: r.reconnect.samples, total: r.reconnect.disconnected })),
      );
      state.plainCharts.push(
        CQ.plainChart(el, {
          id: 'reconnect-cdf',
          x: xs,
          ys,
          series: withReconnects.map((r) => ({
            label: `#${(r.fault ?? -1) + 1} ${CQReport.faultName(r)} (${r.reconnect.reconnected}/${r.reconnect.disconnected})`,
            color: CQ.faultColor(r.kind),
            step: true,
          })),
          xFmt: CQ.axisSeconds,
          yFmt: (v) => `${Math.round(v * 100)}%`,
          yRange: [0, 1],
        }),
      );
    }),
  ]);
};

/** @param {ReportState} state */
CQReport.failover = (state) => {
  const { h, fmtInt } = CQ;
  const { stat, fmtFailover } = CQReport;
  const fo = state.data.failover;
  const counts = fo.counts;
  return CQReport.section(
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
        : CQReport.failoverTable(state),
      fo.faults.length === 0
        ? null
        : h('p', {
            class: 'lede',
            text: 'Counts are incidents; an incident spanning two faults is counted in each of their rows. Unobserved: the client sent nothing and nobody wrote to it after the impact, so there was nothing to measure. Lost: messages acknowledged during the window that the lost-message check later found missing.',
          }),
      CQReport.reconnectChart(state),
    ],
  );
};
