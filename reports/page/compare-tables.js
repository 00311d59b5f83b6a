// @ts-check
// compare.html's verdict and tables (the two runs, the gated measures, consistency), each a
// plain function of the comparison. The first of compare.html's script files (see
// COMPARE_SCRIPTS in reports/compare-render.ts): it declares CQCompare, which compare.js uses.

/**
 * @typedef {import('../compare.ts').CompareResult} CompareResult
 * @typedef {import('../compare-render.ts').MeasureRow} MeasureRow
 * @typedef {Omit<CompareResult, 'measures'> & { rows: MeasureRow[] }} CompareView
 */

const CQCompare = {};

/** @param {CompareView} data */
CQCompare.verdict = (data) => {
  const { h } = CQ;
  const tolerance = Math.round(data.options.maxRegression * 100);
  return h('div', { class: `verdict ${data.regressed ? 'fail' : 'pass'}`, id: 'verdict' }, [
    h('strong', { text: data.regressed ? 'REGRESSED' : 'NO REGRESSION' }),
    data.regressed
      ? h(
          'ul',
          {},
          data.reasons.map((r) => h('li', { text: r })),
        )
      : `Nothing is worse than the ${tolerance}% tolerance beyond the noise, and no new consistency violation.`,
  ]);
};

/** @param {CompareView} data */
CQCompare.caveats = (data) =>
  CQ.h('div', { class: 'warnings' }, [
    CQ.h('strong', { text: 'Caveats' }),
    CQ.h(
      'ul',
      {},
      data.caveats.map((c) => CQ.h('li', { text: c })),
    ),
  ]);

/** @param {CompareView} data */
CQCompare.runs = (data) => {
  const runRow = (
    /** @type {string} */ label,
    /** @type {(x: CompareResult['baseline']) => string} */ get,
  ) => ({
    cells: [label, get(data.baseline), get(data.candidate)],
  });
  return CQ.h('section', { class: 'card', id: 'runs' }, [
    CQ.h('h2', { text: 'Runs' }),
    CQ.table(
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
  ]);
};

/** @param {CompareView} data */
CQCompare.measures = (data) => {
  const { h } = CQ;
  const conf = Math.round(data.options.confidence * 100);
  const tolerance = Math.round(data.options.maxRegression * 100);
  return h('section', { class: 'card', id: 'measures' }, [
    h('h2', { text: 'Gated measures' }),
    h('p', {
      class: 'lede',
      text: `Change is how much worse the candidate is (positive = worse). A measure regresses when it is more than ${tolerance}% worse and the ${conf}% bootstrap interval of the change lies wholly on the worse side: large, and not noise.`,
    }),
    CQ.table(
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
  ]);
};

/** @param {CompareView} data */
CQCompare.consistency = (data) =>
  CQ.h('section', { class: 'card', id: 'consistency' }, [
    CQ.h('h2', { text: 'Consistency' }),
    CQ.h('p', {
      class: 'lede',
      text: 'Any violation the baseline had none of is a regression, whatever its size.',
    }),
    CQ.table(
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
  ]);
