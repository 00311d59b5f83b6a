// The two traffic charts (uPlot): messages per second (sent, acked, delivered, failed) and
// delivery latency (p50, p99), with every fault's window shaded behind the lines, manual and
// planned in different colours and labelled with the fault's id, so cause and effect line up.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ConsoleFault, ConsoleState } from '../../contracts/console.ts';
import { byId } from './dom.ts';

const SHADE = { manual: 'rgba(255, 120, 60, 0.18)', planned: 'rgba(120, 140, 255, 0.16)' };
const LABEL = { manual: '#ff9b6b', planned: '#9aa8ff' };
const AXIS = {
  stroke: '#aab',
  grid: { stroke: '#2a2f3a', width: 1 },
  ticks: { stroke: '#2a2f3a', width: 1 },
};

/** Whole seconds at least, shown as wall-clock time: a game day reads "03:41:25", not ":25.250". */
const TIME_AXIS: uPlot.Axis = {
  ...AXIS,
  space: 70,
  incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600],
  values: (_u, splits) => splits.map((v) => new Date(v * 1000).toLocaleTimeString([], { hour12: false })),
};

interface Chart {
  plot: uPlot;
  columns: (state: ConsoleState) => uPlot.AlignedData;
}

export interface Charts {
  draw(state: ConsoleState): void;
}

/** Fault windows as the charts shade them: from start to heal, or to now while active. */
export function faultWindows(
  state: ConsoleState,
): { id: string; from: number; to: number; manual: boolean }[] {
  return state.faults.map((f: ConsoleFault) => ({
    id: f.id,
    from: f.startedAt / 1000,
    to: (f.stoppedAt ?? state.session.now) / 1000,
    manual: f.manual,
  }));
}

export function createCharts(): Charts {
  let windows: ReturnType<typeof faultWindows> = [];
  const shade = (u: uPlot): void => {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.font = `${Math.round(11 * devicePixelRatio)}px sans-serif`;
    ctx.textBaseline = 'top';
    for (const w of windows) {
      const x0 = Math.max(left, u.valToPos(w.from, 'x', true));
      const x1 = Math.min(left + width, u.valToPos(w.to, 'x', true));
      if (!(x1 > x0)) continue;
      ctx.fillStyle = w.manual ? SHADE.manual : SHADE.planned;
      ctx.fillRect(x0, top, x1 - x0, height);
      ctx.fillStyle = w.manual ? LABEL.manual : LABEL.planned;
      ctx.fillText(w.id, x0 + 3, top + 3);
    }
    ctx.restore();
  };

  const make = (id: string, title: string, series: uPlot.Series[], yLabel: string): uPlot => {
    const el = byId(id);
    const opts: uPlot.Options = {
      title,
      width: Math.max(300, el.clientWidth),
      height: 220,
      series: [{}, ...series],
      axes: [TIME_AXIS, { ...AXIS, label: yLabel }],
      scales: { x: { time: true } },
      hooks: { drawClear: [shade] },
    };
    return new uPlot(opts, [[], ...series.map(() => [])], el);
  };

  const charts: Chart[] = [
    {
      plot: make(
        'chart-throughput',
        'messages per second',
        [
          { label: 'sent', stroke: '#8fa3bf', width: 1.5 },
          { label: 'acked', stroke: '#5cc8ff', width: 1.5 },
          { label: 'delivered', stroke: '#4cd97b', width: 1.5 },
          { label: 'failed', stroke: '#ff5c5c', width: 1.5 },
        ],
        'msg/s',
      ),
      columns: (s) => [
        s.series.map((p) => p.t / 1000),
        s.series.map((p) => p.sent),
        s.series.map((p) => p.acked),
        s.series.map((p) => p.delivered),
        s.series.map((p) => p.failed),
      ],
    },
    {
      plot: make(
        'chart-latency',
        'delivery latency',
        [
          { label: 'p50 ms', stroke: '#4cd97b', width: 1.5 },
          { label: 'p99 ms', stroke: '#ffb347', width: 1.5 },
        ],
        'ms',
      ),
      columns: (s) => [
        s.series.map((p) => p.t / 1000),
        s.series.map((p) => p.p50Ms),
        s.series.map((p) => p.p99Ms),
      ],
    },
  ];

  addEventListener('resize', () => {
    for (const c of charts) {
      const width = Math.max(300, c.plot.root.parentElement?.clientWidth ?? 300);
      c.plot.setSize({ width, height: 220 });
    }
  });

  return {
    draw(state) {
      windows = faultWindows(state);
      for (const c of charts) c.plot.setData(c.columns(state));
    },
  };
}
