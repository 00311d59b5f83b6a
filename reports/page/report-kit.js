// @ts-check
// report.html's shared pieces. report.html's script is several files inlined as one (see
// REPORT_SCRIPTS in reports/render.ts): this first one declares CQReport, the namespace the
// others fill in, and the ReportState they all take; report.js, the last, draws the page.

/**
 * @typedef {import('../types.ts').ReportData} ReportData
 * @typedef {import('../types.ts').Percentiles} Percentiles
 * @typedef {import('../types.ts').LatencySeries} LatencySeries
 * @typedef {import('../types.ts').ThroughputSeries} ThroughputSeries
 */

/**
 * What every part of the page reads and draws into: the data, the page's main element, the
 * time group all its time charts share, the charts to draw once the page is laid out (uPlot
 * needs the width), and the charts the region picker redraws.
 * @typedef {{
 *   data: ReportData, run: ReportData['run'], main: HTMLElement, group: TimeGroup,
 *   drawLater: (() => void)[], plainCharts: uPlot[],
 *   charts: { throughput: uPlot | null, delivery: uPlot | null, ack: uPlot | null }
 * }} ReportState
 */

const CQReport = {};

/** The state of a page drawing `data`. @param {ReportData} data @returns {ReportState} */
CQReport.createState = (data) => {
  const run = data.run;
  const last = data.time.x.length > 0 ? (data.time.x[data.time.x.length - 1] ?? 0) + data.time.step : 1;
  const group = CQ.createTimeGroup({
    key: 'cq-time',
    full: { min: 0, max: Math.max(1, run.durationSeconds, last) },
    faults: data.faults,
    laneCount: data.lanes.length,
    phases: run.phases,
  });
  const main = CQ.h('main', { data: { faultWindows: 0, faults: data.faults.length } });
  main.id = 'report';
  const charts = { throughput: null, delivery: null, ack: null };
  return { data, run, main, group, drawLater: [], plainCharts: [], charts };
};

/** @param {string} id @param {string} title @param {string} lede @param {(Node | null)[]} body */
CQReport.section = (id, title, lede, body) =>
  CQ.h('section', { class: 'card', id }, [
    CQ.h('h2', { text: title }),
    lede ? CQ.h('p', { class: 'lede', text: lede }) : null,
    ...body,
  ]);

/** @param {string} label @param {string} value @param {string} [sub] @param {'good' | 'bad'} [tone] */
CQReport.stat = (label, value, sub, tone) =>
  CQ.h('div', { class: `stat${tone ? ` ${tone}` : ''}` }, [
    CQ.h('div', { class: 'label', text: label }),
    CQ.h('div', { class: 'value', text: value }),
    sub ? CQ.h('div', { class: 'sub', text: sub }) : null,
  ]);

/**
 * A chart placeholder, drawn once everything is in the page (uPlot needs the width).
 * @param {ReportState} state @param {(el: HTMLElement) => void} draw
 */
CQReport.chartBox = (state, draw) => {
  const el = CQ.h('div', { class: 'chart' });
  state.drawLater.push(() => draw(el));
  return el;
};

CQReport.utc = (/** @type {string | null} */ iso) => {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
};

/** @param {number | string | null} v */
CQReport.actualText = (v) => {
  if (v === null) return '–';
  return typeof v === 'number' ? CQ.fmtNum(v) : v;
};

CQReport.faultName = (/** @type {{ kind: string, target: string }} */ r) =>
  r.target ? `${r.kind} ${r.target}` : r.kind;

/**
 * A link that moves every time chart to t.
 * @param {ReportState} state @param {number | null} t @param {string} text
 */
CQReport.focusLink = (state, t, text) => {
  if (t === null) return CQ.h('span', { class: 'ids', text: 'time unknown' });
  const a = CQ.h('a', { href: '#timeline', text, data: { t } });
  a.addEventListener('click', (event) => {
    event.preventDefault();
    state.group.focusAt(t);
    document.getElementById('timeline')?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  });
  return a;
};
