// @ts-check
// CQ's fault shading: the uPlot plugin every time chart gets, and the drawing steps it runs on
// each redraw (lanes and phase marks in the timeline, the windows, the lane labels, the focus
// line), each a plain function of the frame it paints. Part of the common script (see common.js).

/**
 * Where one redraw paints: uPlot's canvas, its plot box in canvas pixels, and the fault lanes.
 * @typedef {{ u: uPlot, ctx: CanvasRenderingContext2D, left: number, top: number, width: number,
 *   height: number, lanes: number, laneH: number, strip: number }} LaneFrame
 */

CQ.faultDraw = {
  /** A faint full-height tint under the series of a plain time chart. @param {TimeGroup} g @param {uPlot} u */
  tints(g, u) {
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    for (const f of g.faults) {
      const s = CQ.faultSpan(g, u, f);
      if (s === null) continue;
      ctx.fillStyle = CQ.rgba(CQ.faultColor(f.kind), 0.07);
      ctx.fillRect(s.x0, top, Math.max(CQ.px(1), s.x1 - s.x0), height);
    }
  },

  /** The timeline's striped lanes and its phase marks. @param {LaneFrame} fr @param {TimeGroup} g */
  lanesAndPhases(fr, g) {
    const { u, ctx, left, top, width, height, lanes, laneH, strip } = fr;
    const { px } = CQ;
    for (let i = 0; i < lanes; i++) {
      ctx.fillStyle = i % 2 === 0 ? 'rgba(0,0,0,0.025)' : 'rgba(0,0,0,0)';
      ctx.fillRect(left, top + i * laneH, width, laneH);
    }
    ctx.strokeStyle = 'rgba(75,85,99,0.55)';
    ctx.fillStyle = 'rgba(75,85,99,0.9)';
    ctx.font = `${px(10.5)}px system-ui, sans-serif`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = px(1);
    // Phase marks get their own strip under the lanes; a label that would overlap
    // the previous one is left out (the line stays).
    let freeFrom = Number.NEGATIVE_INFINITY;
    for (const p of [...g.phases].sort((a, b) => a.t - b.t)) {
      const x = u.valToPos(p.t, 'x', true);
      if (x < left || x > left + width) continue;
      ctx.setLineDash([px(2), px(3)]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.setLineDash([]);
      const label = p.name.replace('_', ' ');
      const w = ctx.measureText(label).width;
      if (x + px(3) >= freeFrom && x + px(3) + w <= left + width) {
        ctx.fillText(label, x + px(3), top + (lanes + strip / 2) * laneH);
        freeFrom = x + px(3) + w + px(8);
      }
    }
  },

  /**
   * A strong strip in each fault's lane and a line at its start and stop; returns how many
   * windows it drew. @param {LaneFrame} fr @param {TimeGroup} g @param {boolean} timeline
   */
  windows(fr, g, timeline) {
    const { u, ctx, top, height, laneH } = fr;
    const { px } = CQ;
    let drawn = 0;
    for (const f of g.faults) {
      const s = CQ.faultSpan(g, u, f);
      if (s === null) continue;
      drawn++;
      const color = CQ.faultColor(f.kind);
      const y = top + f.lane * laneH;
      const w = Math.max(px(2), s.x1 - s.x0);
      ctx.fillStyle = CQ.rgba(color, timeline ? 0.75 : 0.6);
      if (timeline) ctx.fillRect(s.x0, y + laneH * 0.18, w, laneH * 0.64);
      else ctx.fillRect(s.x0, y, w, laneH - px(1));
      ctx.strokeStyle = CQ.rgba(color, 0.75);
      ctx.lineWidth = px(1);
      ctx.setLineDash(timeline ? [] : [px(4), px(3)]);
      ctx.beginPath();
      ctx.moveTo(s.x0, top);
      ctx.lineTo(s.x0, top + height);
      if (!s.open) {
        ctx.moveTo(s.x1, top);
        ctx.lineTo(s.x1, top + height);
      }
      ctx.stroke();
      ctx.setLineDash([]);
    }
    return drawn;
  },

  /** "kind target" at the start of each timeline lane. @param {LaneFrame} fr @param {TimeGroup} g */
  laneLabels(fr, g) {
    const { ctx, left, top, laneH } = fr;
    ctx.font = `${CQ.px(11.5)}px system-ui, sans-serif`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#111827';
    const labels = CQ.laneLabels(g.faults);
    labels.forEach((label, i) => {
      ctx.fillText(label, left + CQ.px(6), top + (i + 0.5) * laneH);
    });
  },

  /** The line at the instant a "show" link focused on. @param {LaneFrame} fr @param {number} t */
  focus(fr, t) {
    const { u, ctx, top, height } = fr;
    const x = u.valToPos(t, 'x', true);
    ctx.strokeStyle = '#111827';
    ctx.lineWidth = CQ.px(2);
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
  },
};

/**
 * Shades the fault windows: a faint full-height tint under the series, a strong strip in the
 * fault's lane at the top, and a line at each start and stop. In the timeline chart the lanes
 * fill the plot. Counts the windows it drew into data-fault-windows of the chart's container.
 * @param {TimeGroup} g @param {boolean} timeline @param {(drawn: number) => void} [onDrawn]
 * @returns {uPlot.Plugin}
 */
CQ.faultPlugin = (g, timeline, onDrawn) => {
  const strip = timeline && g.phases.length > 0 ? CQ.PHASE_STRIP : 0;
  /** @param {uPlot} u */
  const draw = (u) => {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const lanes = Math.max(1, g.laneCount);
    const laneH = timeline
      ? height / (lanes + strip)
      : Math.max(CQ.px(3), Math.min(CQ.px(6), (height * 0.25) / lanes));
    /** @type {LaneFrame} */
    const frame = { u, ctx, left, top, width, height, lanes, laneH, strip };
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    if (timeline) CQ.faultDraw.lanesAndPhases(frame, g);
    const drawn = CQ.faultDraw.windows(frame, g, timeline);
    if (timeline) CQ.faultDraw.laneLabels(frame, g);
    if (g.focus !== null) CQ.faultDraw.focus(frame, g.focus);
    ctx.restore();
    const container = u.root.parentElement;
    if (container) container.dataset.faultWindows = String(drawn);
    onDrawn?.(drawn);
  };
  return {
    hooks: {
      drawClear: [
        (u) => {
          if (!timeline) CQ.faultDraw.tints(g, u);
        },
      ],
      draw: [draw],
    },
  };
};
