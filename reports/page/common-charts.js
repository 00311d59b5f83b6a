// @ts-check
// CQ's charts: a time chart on a group's shared axis (series, log or linear y, fault shading),
// a chart on its own x axis, and the cumulative shares the reconnect chart draws. Part of the
// common script (see common.js).

/**
 * @typedef {{ label: string, color: string, width?: number, dash?: number[], points?: boolean, step?: boolean,
 *   fill?: string }} SeriesSpec
 * @typedef {{ id: string, x: number[], ys: (number | null)[][], series: SeriesSpec[],
 *   fmt: (v: number) => string, unit?: 'ms' | 'count', log?: boolean, height?: number, timeline?: boolean,
 *   onFaultWindows?: (drawn: number) => void }} ChartSpec
 */

/**
 * A chart on the group's time axis, drawn into `container` (which gets data-time-chart).
 * @param {TimeGroup} g @param {HTMLElement} container @param {ChartSpec} spec
 */
CQ.timeChart = (g, container, spec) => {
  const stepped = uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
  const axisStroke = '#6b7280';
  const grid = { stroke: '#eef0f3', width: 1 };
  /** @type {uPlot.Scale} */
  const yScale = spec.timeline
    ? { range: [0, Math.max(1, g.laneCount) + (g.phases.length > 0 ? CQ.PHASE_STRIP : 0)] }
    : spec.log
      ? {
          distr: 3,
          log: 10,
          range: (_u, min, max) =>
            min === null || max === null ? [1, 1000] : uPlot.rangeLog(Math.max(min, 0.1), max, 10, true),
        }
      : { range: (_u, _min, max) => [0, max === null || max <= 0 ? 1 : max * 1.08] };
  /** @type {uPlot.Options} */
  const opts = {
    width: Math.max(320, container.clientWidth),
    height: spec.height ?? 220,
    padding: [10, 14, 0, 0],
    legend: { show: !spec.timeline },
    cursor: {
      sync: { key: g.key },
      drag: { x: true, y: false, setScale: true },
      points: { show: !spec.timeline },
      bind: {
        dblclick: () => () => {
          g.reset();
          return null;
        },
      },
    },
    scales: { x: { time: false }, y: yScale },
    axes: [
      {
        stroke: axisStroke,
        grid,
        ticks: { stroke: '#e5e7eb' },
        space: 64,
        values: (_u, splits) => splits.map((v) => CQ.fmtClock(v)),
      },
      {
        stroke: axisStroke,
        grid: spec.timeline ? { show: false } : grid,
        ticks: { show: !spec.timeline, stroke: '#e5e7eb' },
        size: CQ.Y_AXIS_SIZE,
        values: spec.timeline
          ? (_u, splits) => splits.map(() => '')
          : (_u, splits) => splits.map(spec.log || spec.unit === 'ms' ? CQ.axisMs : CQ.axisNum),
        splits: spec.log ? CQ.logSplits : undefined,
      },
    ],
    series: [
      { label: 'time', value: (_u, v) => (v === null ? '–' : CQ.fmtClock(v)) },
      ...spec.series.map(
        (s) =>
          /** @type {uPlot.Series} */ ({
            label: s.label,
            stroke: s.color,
            fill: s.fill,
            width: s.width ?? 1.5,
            dash: s.dash,
            spanGaps: false,
            value: (_u, v) => (v === null || v === undefined ? '–' : spec.fmt(v)),
            points: s.points
              ? { show: true, size: 3.5, width: 0, fill: s.color, stroke: s.color }
              : { show: false },
            paths: s.points ? () => null : s.step ? stepped : undefined,
          }),
      ),
    ],
    plugins: [CQ.faultPlugin(g, spec.timeline === true, spec.onFaultWindows)],
    hooks: { setScale: [(u, key) => g.onScale(u, key)] },
  };
  const ys = spec.log ? spec.ys.map((ys) => ys.map((v) => (v === null ? null : Math.max(v, 0.1)))) : spec.ys;
  container.dataset.timeChart = spec.id;
  const u = new uPlot(opts, /** @type {uPlot.AlignedData} */ ([spec.x, ...ys]), container);
  g.charts.push(u);
  g.syncing = true;
  u.setScale('x', { ...g.view });
  g.syncing = false;
  return u;
};

/**
 * A chart on its own x axis (the failover distributions).
 * @param {HTMLElement} container
 * @param {{ x: number[], ys: (number | null)[][], series: SeriesSpec[], xFmt: (v: number) => string,
 *   yFmt: (v: number) => string, yRange?: [number, number], height?: number, id: string }} spec
 */
CQ.plainChart = (container, spec) => {
  const stepped = uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
  const grid = { stroke: '#eef0f3', width: 1 };
  container.dataset.chart = spec.id;
  /** @type {uPlot.Options} */
  const opts = {
    width: Math.max(320, container.clientWidth),
    height: spec.height ?? 220,
    padding: [10, 14, 0, 0],
    cursor: { drag: { x: true, y: false, setScale: true } },
    scales: { x: { time: false }, y: spec.yRange ? { range: spec.yRange } : {} },
    axes: [
      { stroke: '#6b7280', grid, values: (_u, splits) => splits.map(spec.xFmt) },
      { stroke: '#6b7280', grid, size: CQ.Y_AXIS_SIZE, values: (_u, splits) => splits.map(spec.yFmt) },
    ],
    series: [
      { label: 'x', value: (_u, v) => (v === null ? '–' : spec.xFmt(v)) },
      ...spec.series.map(
        (s) =>
          /** @type {uPlot.Series} */ ({
            label: s.label,
            stroke: s.color,
            width: s.width ?? 1.75,
            dash: s.dash,
            value: (_u, v) => (v === null || v === undefined ? '–' : spec.yFmt(v)),
            points: { show: false },
            paths: s.step ? stepped : undefined,
          }),
      ),
    ],
  };
  return new uPlot(opts, /** @type {uPlot.AlignedData} */ ([spec.x, ...spec.ys]), container);
};

/**
 * Cumulative share of clients back within x seconds, per group of samples, on one shared x.
 * Censored clients (never back) keep a curve below 100%.
 * @param {{ samples: number[], total: number }[]} groups
 */
CQ.cdf = (groups) => {
  const xs = [...new Set(groups.flatMap((g) => g.samples))].sort((a, b) => a - b);
  if (xs.length > 0) {
    xs.unshift(0);
    // Carry the last step on a little, so the final share is a line, not a point.
    xs.push((xs[xs.length - 1] ?? 0) * 1.05 + 0.05);
  }
  const ys = groups.map((grp) => {
    let i = 0;
    return xs.map((x) => {
      while (i < grp.samples.length && (grp.samples[i] ?? 0) <= x) i++;
      return grp.total > 0 ? i / grp.total : null;
    });
  });
  return { xs, ys };
};
