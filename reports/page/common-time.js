// @ts-check
// CQ's shared time axis: a group of charts that move together (one cursor, one zoom, one focus
// on an instant), its fault lanes, and where a fault falls on a chart's canvas. Part of the common
// script (see common.js).

/** Every time chart reserves the same width for its y axis, so their x axes line up. */
CQ.Y_AXIS_SIZE = 72;
/** Height of the phase-label strip under the timeline's lanes, in lanes. */
CQ.PHASE_STRIP = 0.8;

/**
 * @typedef {{ id: string, kind: string, target: string, lane: number, start: number, end: number | null }} Fault
 * @typedef {{ min: number, max: number }} View
 * @typedef {{
 *   key: string, full: View, view: View, faults: Fault[], laneCount: number,
 *   phases: { name: string, t: number }[], focus: number | null, charts: uPlot[], syncing: boolean,
 *   onScale: (u: uPlot, key: string) => void, setView: (v: View) => void, reset: () => void,
 *   focusAt: (t: number) => void, resize: () => void
 * }} TimeGroup
 */

/**
 * Charts in a group share one time axis: a synced cursor, and zooming one zooms all.
 * @param {{ key: string, full: View, faults: Fault[], laneCount: number, phases?: { name: string, t: number }[] }} o
 * @returns {TimeGroup}
 */
CQ.createTimeGroup = (o) => {
  /** @type {TimeGroup} */
  const g = {
    key: o.key,
    full: o.full,
    view: { ...o.full },
    faults: o.faults,
    laneCount: o.laneCount,
    phases: o.phases ?? [],
    focus: null,
    charts: [],
    syncing: false,
    onScale(u, key) {
      if (key !== 'x' || g.syncing) return;
      const min = u.scales.x?.min;
      const max = u.scales.x?.max;
      if (min === undefined || max === undefined) return;
      g.view = { min, max };
      g.syncing = true;
      for (const c of g.charts) if (c !== u) c.setScale('x', { min, max });
      g.syncing = false;
    },
    setView(v) {
      g.view = v;
      g.syncing = true;
      for (const c of g.charts) {
        c.setScale('x', v);
        c.redraw(false);
      }
      g.syncing = false;
    },
    reset() {
      g.focus = null;
      delete document.body.dataset.focus;
      g.setView({ ...g.full });
    },
    focusAt(t) {
      g.focus = t;
      document.body.dataset.focus = String(t);
      const half = Math.max(5, (g.full.max - g.full.min) * 0.06);
      g.setView({ min: Math.max(g.full.min, t - half), max: Math.min(g.full.max, t + half) });
    },
    resize() {
      for (const c of g.charts) {
        const parent = c.root.parentElement;
        if (parent) c.setSize({ width: Math.max(320, parent.clientWidth), height: c.height });
      }
    },
  };
  return g;
};

/** CSS pixels to canvas pixels. @param {number} n */
CQ.px = (n) => n * uPlot.pxRatio;

/**
 * A fault's window on the chart in canvas pixels, cut to the plot; null when out of view.
 * @param {TimeGroup} g @param {uPlot} u @param {Fault} f
 */
CQ.faultSpan = (g, u, f) => {
  const end = f.end ?? g.full.max;
  const x0 = u.valToPos(f.start, 'x', true);
  const x1 = u.valToPos(end, 'x', true);
  const { left, width } = u.bbox;
  if (x1 < left || x0 > left + width) return null;
  return { x0: Math.max(x0, left), x1: Math.min(x1, left + width), open: f.end === null };
};

/** One label per lane, "kind target", in lane order. @param {Fault[]} faults */
CQ.laneLabels = (faults) => {
  /** @type {string[]} */
  const labels = [];
  for (const f of faults) {
    if (labels[f.lane] === undefined) labels[f.lane] = f.target ? `${f.kind} ${f.target}` : f.kind;
  }
  return labels;
};
