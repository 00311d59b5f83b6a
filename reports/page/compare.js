// @ts-check
// compare.html: reads the comparison inlined in #report-data (formatted in Node by
// reports/compare-render.ts) and draws the verdict, the side-by-side tables and two overlaid
// charts of the runs, aligned on their load start.

/**
 * @typedef {import('../compare.ts').CompareResult} CompareResult
 * @typedef {import('../compare-render.ts').MeasureRow} MeasureRow
 * @typedef {Omit<CompareResult, 'measures'> & { rows: MeasureRow[] }} CompareView
 */

(() => {
  const { h, table, fmtMs, fmtNum } = CQ;
  /** @type {CompareView} */
  const data = JSON.parse(document.getElementById('report-data')?.textContent ?? '{}');
  const app = /** @type {HTMLElement} */ (document.getElementById('app'));
  const status = data.regressed ? 'fail' : 'pass';
  const badge = data.regressed ? 'REGRESSED' : 'NO REGRESSION';
  const conf = Math.round(data.options.confidence * 100);
  const tolerance = Math.round(data.options.maxRegression * 100);

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

  main.append(
    h('div', { class: `verdict ${status}`, id: 'verdict' }, [
      h('strong', { text: badge }),
      data.regressed
        ? h(
            'ul',
            {},
            data.reasons.map((r) => h('li', { text: r })),
          )
        : `Nothing is worse than the ${tolerance}% tolerance beyond the noise, and no new consistency violation.`,
    ]),
  );
  if (data.caveats.length > 0) {
    main.append(
      h('div', { class: 'warnings' }, [
        h('strong', { text: 'Caveats' }),
        h(
          'ul',
          {},
          data.caveats.map((c) => h('li', { text: c })),
        ),
      ]),
    );
  }

  const runRow = (
    /** @type {string} */ label,
    /** @type {(x: CompareResult['baseline']) => string} */ get,
  ) => ({
    cells: [label, get(data.baseline), get(data.candidate)],
  });
  main.append(
    h('section', { class: 'card', id: 'runs' }, [
      h('h2', { text: 'Runs' }),
      table(
        ['', 'Baseline', 'Candidate'],
        [
          runRow('Folder', (x) => x.label),
          runRow('Run id', (x) => x.runId),
          runRow('Scenario', (x) => x.scenario),
          runRow('Seed', (x) => String(x.seed ?? '–')),
          runRow('Server bugs', (x) => (x.bugs.length > 0 ? x.bugs.join(', ') : 'none')),
          runRow('Valid', (x) => (x.valid ? 'yes' : 'NO: the generator could not keep up')),
          runRow('Duration', (x) => CQ.fmtDuration(x.durationSeconds)),
        ],
      ),
    ]),
  );

  main.append(
    h('section', { class: 'card', id: 'measures' }, [
      h('h2', { text: 'Gated measures' }),
      h('p', {
        class: 'lede',
        text: `Change is how much worse the candidate is (positive = worse). A measure regresses when it is more than ${tolerance}% worse and the ${conf}% bootstrap interval of the change lies wholly on the worse side: large, and not noise.`,
      }),
      table(
        [
          'Measure',
          ['Baseline', 'num'],
          ['Candidate', 'num'],
          ['Change', 'num'],
          [`${conf}% interval`, 'num'],
          'Verdict',
        ],
        data.rows.map((r) => ({
          class: r.regressed ? 'bad' : '',
          data: { measure: r.label, verdict: r.verdict },
          cells: [
            r.label,
            [r.baseline, 'num'],
            [r.candidate, 'num'],
            [r.change, r.regressed ? 'num bad' : 'num'],
            [r.interval, 'num'],
            h('span', {
              title: r.note,
              class: r.regressed ? 'change worse' : r.verdict === 'improved' ? 'change better' : '',
              text: `${r.verdict}: ${r.note}`,
            }),
          ],
        })),
        'measures',
      ),
    ]),
  );

  main.append(
    h('section', { class: 'card', id: 'consistency' }, [
      h('h2', { text: 'Consistency' }),
      h('p', {
        class: 'lede',
        text: 'Any violation the baseline had none of is a regression, whatever its size.',
      }),
      table(
        ['Check', ['Baseline', 'num'], ['Candidate', 'num'], ''],
        data.consistency.map((c) => ({
          class: c.isNew ? 'bad' : '',
          data: { check: c.key, baseline: c.baseline, candidate: c.candidate },
          cells: [
            c.label,
            [String(c.baseline), 'num'],
            [String(c.candidate), c.candidate > 0 ? 'num bad' : 'num'],
            [
              c.isNew ? 'new violation' : c.candidate > c.baseline ? 'more than baseline' : '',
              c.isNew ? 'status' : '',
            ],
          ],
        })),
        'violations',
      ),
    ]),
  );

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
  CQ.timeChart(group, deliveryBox, {
    id: 'compare-delivery',
    x,
    ys: [at(b.deliveryP99, b.step), at(c.deliveryP99, c.step)],
    series: [
      { label: 'baseline', color: '#6b7280' },
      { label: 'candidate', color: '#2563eb', width: 2 },
    ],
    fmt: fmtMs,
    log: true,
  });
  CQ.timeChart(group, ackBox, {
    id: 'compare-throughput',
    x,
    ys: [at(b.acked, 1), at(c.acked, 1)],
    series: [
      { label: 'baseline', color: '#6b7280' },
      { label: 'candidate', color: '#2563eb', width: 2 },
    ],
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
