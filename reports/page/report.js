// @ts-check
// report.html: reads the ReportData inlined in #report-data and draws the page. It does no
// statistics of its own; every number shown was computed in Node (reports/data.ts). The last
// of report.html's script files: it builds the ReportState and appends the sections the files
// before it (report-*.js, see report-kit.js) draw, in page order.

(() => {
  const { h } = CQ;
  const source = document.getElementById('report-data');
  /** @type {ReportData} */
  const data = JSON.parse(source?.textContent ?? '{}');
  const app = /** @type {HTMLElement} */ (document.getElementById('app'));
  const state = CQReport.createState(data);
  const { main, group } = state;

  app.append(CQReport.header(state));
  const { nav, regionSelect } = CQReport.toolbar(state);
  app.append(nav);
  app.append(main);
  main.append(CQReport.verdict(state));
  main.append(CQReport.overview(state));
  main.append(CQReport.thresholds(state));
  main.append(CQReport.timeline(state));
  main.append(CQReport.throughput(state));
  main.append(CQReport.latency(state));
  CQReport.followRegion(state, regionSelect);
  main.append(CQReport.connections(state));
  main.append(CQReport.failover(state));
  main.append(CQReport.regionMatrix(state));
  main.append(CQReport.impact(state));
  main.append(CQReport.consistency(state));
  app.append(
    h('footer', {
      text: `chatquake report · schema ${data.schemaVersion} · one self-contained file: it makes no network request`,
    }),
  );

  for (const draw of state.drawLater) draw();
  let pending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      group.resize();
      for (const c of state.plainCharts) {
        const parent = c.root.parentElement;
        if (parent) c.setSize({ width: Math.max(320, parent.clientWidth), height: c.height });
      }
    });
  });
  // uPlot draws in a microtask; a macrotask later every chart has been drawn once.
  setTimeout(() => {
    document.body.dataset.ready = 'true';
  }, 0);
})();
