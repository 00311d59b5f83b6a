// @ts-check
// compare.html: reads the comparison inlined in #report-data (formatted in Node by
// reports/compare-render.ts) and draws the verdict, the side-by-side tables and two overlaid
// charts of the runs, aligned on their load start. The last of compare.html's script files:
// the verdict and tables come from compare-tables.js.

(() => {
  const { h, fmtMs, fmtNum } = CQ;
  /** @type {CompareView} */
  const data = JSON.parse(document.getElementById('report-data')?.textContent ?? '{}');
  const app = /** @type {HTMLElement} */ (document.getElementById('app'));
  const status = data.regressed ? 'fail' : 'pass';
  const badge = data.regressed ? 'REGRESSED' : 'NO REGRESSION';

  app.append(
    h('header', { class: 'top' }, [
      h('span', { class: 'brand', text: 'chatquake' }),
      h('span', { class: 'title', text: 'compare' }),
      h('span', {
        class: `badge ${status}`,
        id: 'verdict-badge',
        text: badge,
        data: { regressed: String(data.regressed) },
      }),
      h('div', { class: 'meta', text: `${data.baseline.label} → ${data.candidate.label}` }),
    ]),
  );
  const main = h('main', { id: 'compare' });
  app.append(main);
  main.append(CQCompare.verdict(data));
  if (data.caveats.length > 0) main.append(CQCompare.caveats(data));
  main.append(CQCompare.runs(data));
  main.append(CQCompare.measures(data));
  main.append(CQCompare.consistency(data));

  // Both runs on one axis: seconds since each run's load started.
  const b = data.charts.baseline;
  const c = data.charts.candidate;
  const seconds = Math.max(
    b.deliveryP99.length * b.step,
    c.deliveryP99.length * c.step,
    b.acked.length,
    c.acked.length,
    1,
  );
  const x = Array.from({ length: seconds }, (_, i) => i);
  const at = (/** @type {(number | null)[]} */ ys, /** @type {number} */ step) =>
    x.map((i) => ys[Math.floor(i / step)] ?? null);
  const group = CQ.createTimeGroup({
    key: 'cq-compare',
    full: { min: 0, max: seconds },
    faults: [],
    laneCount: 0,
  });
  const deliveryBox = h('div', { class: 'chart' });
  const ackBox = h('div', { class: 'chart' });
  main.append(
    h('section', { class: 'card', id: 'charts' }, [
      h('h2', { text: 'Over time' }),
      h('p', {
        class: 'lede',
        text: 'Both runs from their load start. Drag to zoom, double-click to reset.',
      }),
      h('h3', { text: 'Delivery p99' }),
      deliveryBox,
      h('h3', { text: 'Acked per second' }),
      ackBox,
    ]),
  );
  const series = [
    { label: 'baseline', color: '#6b7280' },
    { label: 'candidate', color: '#2563eb', width: 2 },
  ];
  CQ.timeChart(group, deliveryBox, {
    id: 'compare-delivery',
    x,
    ys: [at(b.deliveryP99, b.step), at(c.deliveryP99, c.step)],
    series,
    fmt: fmtMs,
    log: true,
  });
  CQ.timeChart(group, ackBox, {
    id: 'compare-throughput',
    x,
    ys: [at(b.acked, 1), at(c.acked, 1)],
    series,
    fmt: fmtNum,
  });

  app.append(
    h('footer', {
      text: `chatquake compare · ${data.options.iterations} bootstrap resamples, seed ${data.options.seed} · one self-contained file`,
    }),
  );
  window.addEventListener('resize', () => group.resize());
  setTimeout(() => {
    document.body.dataset.ready = 'true';
  }, 0);
})();
