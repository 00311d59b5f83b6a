// @ts-check
// Browser code shared by report.html and compare.html: formatting, building DOM without
// innerHTML (run data is text, never markup), and uPlot time charts that share one time axis:
// a synced cursor, synced zoom, and the fault windows shaded as one lane per fault and target.
// Inlined as a classic script; it exposes one global, CQ.

// biome-ignore lint/correctness/noUnusedVariables: the global that report.js and compare.js use.
const CQ = (() => {
  const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#475569'];
  /** @type {Record<string, string>} */
  const FAULT_COLORS = {
    regionOutage: '#dc2626',
    regionIsolation: '#b91c1c',
    partition: '#7c3aed',
    latency: '#ea580c',
    bandwidth: '#c2410c',
    blackhole: '#1f2937',
    resetPeer: '#9f1239',
    brownout: '#ca8a04',
    flap: '#db2777',
    nodeCrash: '#be123c',
    nodePause: '#92400e',
    clockSkew: '#0d9488',
    scaleOut: '#15803d',
    // The fixtures' snake_case names.
    region_outage: '#dc2626',
  };
  /** Every time chart reserves the same width for its y axis, so their x axes line up. */
  const Y_AXIS_SIZE = 72;
  /** Height of the phase-label strip under the timeline's lanes, in lanes. */
  const PHASE_STRIP = 0.8;

  /** @param {string} text */
  function hash(text) {
    let h = 0;
    for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
    return Math.abs(h);
  }

  /** @param {string} kind */
  function faultColor(kind) {
    return FAULT_COLORS[kind] ?? PALETTE[hash(kind) % PALETTE.length] ?? '#dc2626';
  }

  /** @param {number} i */
  function seriesColor(i) {
    return PALETTE[i % PALETTE.length] ?? '#2563eb';
  }

  /** @param {string} hex @param {number} alpha */
  function rgba(hex, alpha) {
    const n = Number.parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
  }

  /** @param {number | null | undefined} ms */
  function fmtMs(ms) {
    if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
    if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
    if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
    if (ms >= 100) return `${Math.round(ms)} ms`;
    if (ms >= 10) return `${ms.toFixed(1)} ms`;
    return `${ms.toFixed(2)} ms`;
  }

  /** @param {number | null | undefined} s */
  function fmtSeconds(s) {
    if (s === null || s === undefined || !Number.isFinite(s)) return '–';
    return fmtMs(s * 1000);
  }

  /** Seconds since the run started as m:ss (h:mm:ss past an hour). @param {number | null | undefined} sec */
  function fmtClock(sec) {
    if (sec === null || sec === undefined || !Number.isFinite(sec)) return '–';
    const sign = sec < 0 ? '-' : '';
    const whole = Math.floor(Math.abs(sec));
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    const s = String(whole % 60).padStart(2, '0');
    return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${s}` : `${sign}${m}:${s}`;
  }

  /** @param {number} sec */
  function fmtDuration(sec) {
    if (!Number.isFinite(sec)) return '–';
    if (sec < 60) return `${Math.round(sec * 10) / 10} s`;
    const m = Math.floor(sec / 60);
    const s = Math.round(sec % 60);
    return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min ${s} s`;
  }

  /** @param {number | null | undefined} n */
  function fmtInt(n) {
    if (n === null || n === undefined || !Number.isFinite(n)) return '–';
    return Math.round(n).toLocaleString('en-US');
  }

  /** @param {number | null | undefined} n */
  function fmtNum(n) {
    if (n === null || n === undefined || !Number.isFinite(n)) return '–';
    if (Math.abs(n) >= 100) return fmtInt(n);
    if (Math.abs(n) >= 10) return n.toFixed(1);
    return String(Math.round(n * 100) / 100);
  }

  /** Axis ticks: short, no trailing zeros. uPlot passes null for a tick it skips. @param {number | null} ms */
  function axisMs(ms) {
    if (ms === null || !Number.isFinite(ms)) return '';
    if (ms >= 1000) return `${+(ms / 1000).toPrecision(3)} s`;
    return `${+ms.toPrecision(3)} ms`;
  }

  /** @param {number | null} n */
  function axisNum(n) {
    if (n === null || !Number.isFinite(n)) return '';
    if (Math.abs(n) >= 10_000) return `${+(n / 1000).toPrecision(3)}k`;
    return String(+n.toPrecision(4));
  }

  /** @param {number | null} s */
  function axisSeconds(s) {
    return s === null ? '' : axisMs(s * 1000);
  }

  /**
   * Log-axis ticks at whole decades (and 2 and 5 within them when the range is narrow), so the
   * axis reads 10 ms, 100 ms, 1 s instead of a thicket of minor ticks.
   * @param {uPlot} _u @param {number} _axis @param {number} min @param {number} max
   */
  function logSplits(_u, _axis, min, max) {
    /** @type {number[]} */
    const out = [];
    const lo = Math.floor(Math.log10(min));
    const hi = Math.ceil(Math.log10(max));
    const multiples = hi - lo <= 2 ? [1, 2, 5] : [1];
    for (let e = lo; e <= hi; e++) {
      for (const m of multiples) {
        const v = m * 10 ** e;
        if (v >= min * 0.999 && v <= max * 1.001) out.push(v);
      }
    }
    return out;
  }

  /** @param {number | null | undefined} r */
  function fmtPct(r) {
    if (r === null || r === undefined || !Number.isFinite(r)) return '–';
    if (r === 0) return '0%';
    if (r < 0.0001) return '<0.01%';
    return `${(r * 100).toFixed(r < 0.1 ? 2 : 1)}%`;
  }

  /**
   * @typedef {{ class?: string, text?: string, id?: string, href?: string, title?: string,
   *   data?: Record<string, string | number>, colspan?: number }} Props
   * @typedef {Node | string | number | null | undefined | false} Child
   */

  /**
   * Builds an element; text goes in as text, so nothing from a run is ever parsed as HTML.
   * @param {string} tag @param {Props} [props] @param {Child[]} [children]
   * @returns {HTMLElement}
   */
  function h(tag, props = {}, children = []) {
    const node = document.createElement(tag);
    if (props.class) node.className = props.class;
    if (props.id) node.id = props.id;
    if (props.title) node.title = props.title;
    if (props.href && node instanceof HTMLAnchorElement) node.href = props.href;
    if (props.colspan && node instanceof HTMLTableCellElement) node.colSpan = props.colspan;
    if (props.data) for (const [k, v] of Object.entries(props.data)) node.dataset[k] = String(v);
    if (props.text !== undefined) node.textContent = props.text;
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
    }
    return node;
  }

  /** A colour swatch; colours are set through the CSSOM, which the page's CSP allows. @param {string} color */
  function swatch(color) {
    const s = h('span', { class: 'swatch' });
    s.style.background = color;
    return s;
  }

  /**
   * A table from header labels and rows of cells (a cell is a node, text, or [text, class]).
   * @param {(string | [string, string])[]} head
   * @param {{ cells: (Child | [string, string])[], class?: string, data?: Record<string, string | number> }[]} rows
   * @param {string} [cls]
   */
  function table(head, rows, cls) {
    const cell = (/** @type {string} */ tag, /** @type {Child | [string, string]} */ c) =>
      Array.isArray(c) ? h(tag, { class: c[1], text: c[0] }) : h(tag, {}, [c]);
    return h('table', { class: cls }, [
      h('thead', {}, [
        h(
          'tr',
          {},
          head.map((c) => cell('th', c)),
        ),
      ]),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            { class: r.class, data: r.data },
            r.cells.map((c) => cell('td', c)),
          ),
        ),
      ),
    ]);
  }

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
  function createTimeGroup(o) {
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
  }

  /**
   * Shades the fault windows: a faint full-height tint under the series, a strong strip in the
   * fault's lane at the top, and a line at each start and stop. In the timeline chart the lanes
   * fill the plot. Counts the windows it drew into data-fault-windows of the chart's container.
   * @param {TimeGroup} g @param {boolean} timeline @param {(drawn: number) => void} [onDrawn]
   * @returns {uPlot.Plugin}
   */
  function faultPlugin(g, timeline, onDrawn) {
    const px = (/** @type {number} */ n) => n * uPlot.pxRatio;
    /** @param {uPlot} u */
    const span = (u, /** @type {Fault} */ f) => {
      const end = f.end ?? g.full.max;
      const x0 = u.valToPos(f.start, 'x', true);
      const x1 = u.valToPos(end, 'x', true);
      const { left, width } = u.bbox;
      if (x1 < left || x0 > left + width) return null;
      return { x0: Math.max(x0, left), x1: Math.min(x1, left + width), open: f.end === null };
    };
    const strip = timeline && g.phases.length > 0 ? PHASE_STRIP : 0;
    return {
      hooks: {
        drawClear: [
          (u) => {
            if (timeline) return;
            const ctx = u.ctx;
            const { top, height } = u.bbox;
            for (const f of g.faults) {
              const s = span(u, f);
              if (s === null) continue;
              ctx.fillStyle = rgba(faultColor(f.kind), 0.07);
              ctx.fillRect(s.x0, top, Math.max(px(1), s.x1 - s.x0), height);
            }
          },
        ],
        draw: [
          (u) => {
            const ctx = u.ctx;
            const { left, top, width, height } = u.bbox;
            const lanes = Math.max(1, g.laneCount);
            const laneH = timeline
              ? height / (lanes + strip)
              : Math.max(px(3), Math.min(px(6), (height * 0.25) / lanes));
            let drawn = 0;
            ctx.save();
            ctx.beginPath();
            ctx.rect(left, top, width, height);
            ctx.clip();
            if (timeline) {
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
            }
            for (const f of g.faults) {
              const s = span(u, f);
              if (s === null) continue;
              drawn++;
              const color = faultColor(f.kind);
              const y = top + f.lane * laneH;
              const w = Math.max(px(2), s.x1 - s.x0);
              ctx.fillStyle = rgba(color, timeline ? 0.75 : 0.6);
              if (timeline) ctx.fillRect(s.x0, y + laneH * 0.18, w, laneH * 0.64);
              else ctx.fillRect(s.x0, y, w, laneH - px(1));
              ctx.strokeStyle = rgba(color, 0.75);
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
            if (timeline) {
              ctx.font = `${px(11.5)}px system-ui, sans-serif`;
              ctx.textAlign = 'left';
              ctx.textBaseline = 'middle';
              ctx.fillStyle = '#111827';
              const labels = laneLabels(g.faults);
              labels.forEach((label, i) => {
                ctx.fillText(label, left + px(6), top + (i + 0.5) * laneH);
              });
            }
            if (g.focus !== null) {
              const x = u.valToPos(g.focus, 'x', true);
              ctx.strokeStyle = '#111827';
              ctx.lineWidth = px(2);
              ctx.beginPath();
              ctx.moveTo(x, top);
              ctx.lineTo(x, top + height);
              ctx.stroke();
            }
            ctx.restore();
            const container = u.root.parentElement;
            if (container) container.dataset.faultWindows = String(drawn);
            onDrawn?.(drawn);
          },
        ],
      },
    };
  }

  /** One label per lane, "kind target", in lane order. @param {Fault[]} faults */
  function laneLabels(faults) {
    /** @type {string[]} */
    const labels = [];
    for (const f of faults) {
      if (labels[f.lane] === undefined) labels[f.lane] = f.target ? `${f.kind} ${f.target}` : f.kind;
    }
    return labels;
  }

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
  function timeChart(g, container, spec) {
    const stepped = uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
    const axisStroke = '#6b7280';
    const grid = { stroke: '#eef0f3', width: 1 };
    /** @type {uPlot.Scale} */
    const yScale = spec.timeline
      ? { range: [0, Math.max(1, g.laneCount) + (g.phases.length > 0 ? PHASE_STRIP : 0)] }
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
          values: (_u, splits) => splits.map((v) => fmtClock(v)),
        },
        {
          stroke: axisStroke,
          grid: spec.timeline ? { show: false } : grid,
          ticks: { show: !spec.timeline, stroke: '#e5e7eb' },
          size: Y_AXIS_SIZE,
          values: spec.timeline
            ? (_u, splits) => splits.map(() => '')
            : (_u, splits) => splits.map(spec.log || spec.unit === 'ms' ? axisMs : axisNum),
          splits: spec.log ? logSplits : undefined,
        },
      ],
      series: [
        { label: 'time', value: (_u, v) => (v === null ? '–' : fmtClock(v)) },
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
      plugins: [faultPlugin(g, spec.timeline === true, spec.onFaultWindows)],
      hooks: { setScale: [(u, key) => g.onScale(u, key)] },
    };
    const ys = spec.log
      ? spec.ys.map((ys) => ys.map((v) => (v === null ? null : Math.max(v, 0.1))))
      : spec.ys;
    container.dataset.timeChart = spec.id;
    const u = new uPlot(opts, /** @type {uPlot.AlignedData} */ ([spec.x, ...ys]), container);
    g.charts.push(u);
    g.syncing = true;
    u.setScale('x', { ...g.view });
    g.syncing = false;
    return u;
  }

  /**
   * A chart on its own x axis (the failover distributions).
   * @param {HTMLElement} container
   * @param {{ x: number[], ys: (number | null)[][], series: SeriesSpec[], xFmt: (v: number) => string,
   *   yFmt: (v: number) => string, yRange?: [number, number], height?: number, id: string }} spec
   */
  function plainChart(container, spec) {
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
        { stroke: '#6b7280', grid, size: Y_AXIS_SIZE, values: (_u, splits) => splits.map(spec.yFmt) },
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
  }

  /**
   * Cumulative share of clients back within x seconds, per group of samples, on one shared x.
   * Censored clients (never back) keep a curve below 100%.
   * @param {{ samples: number[], total: number }[]} groups
   */
  function cdf(groups) {
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
  }

  return {
    PALETTE,
    faultColor,
    seriesColor,
    fmtMs,
    fmtSeconds,
    fmtClock,
    fmtDuration,
    fmtInt,
    fmtNum,
    fmtPct,
    axisMs,
    axisNum,
    axisSeconds,
    h,
    swatch,
    table,
    laneLabels,
    createTimeGroup,
    timeChart,
    plainChart,
    cdf,
  };
})();
