// @ts-check
// report.html's fault timeline: one lane per fault and target on the time axis every chart
// below shares, its legend, and the table of fault windows. Part of report.html's script (see
// report-kit.js).

/** @param {ReportState} state */
CQReport.faultTable = (state) => {
  const { h, fmtClock, fmtDuration } = CQ;
  return CQ.table(
    ['#', 'Fault', 'Target', 'Regions', ['Start', 'num'], ['Stop', 'num'], ['Duration', 'num'], ''],
    state.data.faults.map((f, i) => ({
      data: { faultRow: i },
      cells: [
        String(i + 1),
        h('span', {}, [CQ.swatch(CQ.faultColor(f.kind)), f.kind]),
        f.target || '–',
        f.regions.join(', ') || '–',
        [fmtClock(f.start), 'num'],
        [f.end === null ? 'still on' : fmtClock(f.end), 'num'],
        [f.end === null ? '–' : fmtDuration(f.end - f.start), 'num'],
        CQReport.focusLink(state, f.start, 'show'),
      ],
    })),
  );
};

/** @param {ReportState} state */
CQReport.timeline = (state) => {
  const { data, run, main, group } = state;
  const { h } = CQ;
  const laneLabels = CQ.laneLabels(data.faults);
  return CQReport.section(
    'timeline',
    'Fault timeline',
    'One lane per fault and target. Every time chart below shares this time axis: hover to move the cursor everywhere, drag to zoom all of them, double-click to reset.',
    [
      data.faults.length === 0
        ? h('p', { class: 'empty', text: 'No faults were injected in this run.' })
        : null,
      CQReport.chartBox(state, (el) => {
        CQ.timeChart(group, el, {
          id: 'timeline',
          timeline: true,
          height: Math.max(70, 30 * Math.max(1, data.lanes.length) + (run.phases.length > 0 ? 24 : 0) + 34),
          x: data.time.x,
          ys: [data.time.x.map(() => null)],
          series: [{ label: 'faults', color: 'rgba(0,0,0,0)' }],
          fmt: CQ.fmtNum,
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
      data.faults.length > 0 ? CQReport.faultTable(state) : null,
    ],
  );
};
