// @ts-check
// report.html's consistency section: every check with its violation count, the counts that are
// only informational, convergence time, and the first examples of each violation in words.
// Part of report.html's script (see report-kit.js).

/**
 * The first examples, grouped by check, each with a link to its moment on the timeline.
 * @param {ReportState} state @returns {Node[]}
 */
CQReport.examples = (state) => {
  const { h, fmtInt, fmtClock } = CQ;
  const cons = state.data.consistency;
  /** @type {Node[]} */
  const out = [];
  const byCheck = new Map();
  for (const e of cons.examples) {
    if (!byCheck.has(e.check)) byCheck.set(e.check, []);
    byCheck.get(e.check).push(e);
  }
  if (byCheck.size > 0) out.push(h('h3', { text: 'First examples' }));
  for (const [check, examples] of byCheck) {
    const row = cons.checks.find((c) => c.key === check);
    out.push(
      h('div', { class: 'example-group', data: { exampleCheck: check } }, [
        h('h4', { text: `${row?.label ?? check}${row ? ` (${fmtInt(row.count)})` : ''}` }),
        h(
          'ol',
          { class: 'examples' },
          examples.map((/** @type {import('../types.ts').ConsistencyExample} */ e) =>
            h('li', {}, [
              e.message,
              ' ',
              h('span', {
                class: 'ids',
                text: [
                  e.conv && `conversation ${e.conv}`,
                  e.cmid && `message ${e.cmid}`,
                  e.region && `region ${e.region}`,
                ]
                  .filter(Boolean)
                  .join(' · '),
              }),
              ' ',
              CQReport.focusLink(state, e.t, e.t === null ? '' : `show at ${fmtClock(e.t)}`),
            ]),
          ),
        ),
      ]),
    );
  }
  return out;
};

/** @param {ReportState} state */
CQReport.consistency = (state) => {
  const { h, fmtInt, fmtSeconds } = CQ;
  const cons = state.data.consistency;
  /** @type {Node[]} */
  const body = [];
  if (cons.source === 'history') {
    body.push(
      h('p', {
        class: 'lede',
        text: 'No summary.json: these counts come from running the checks on the history for this report.',
      }),
    );
  }
  body.push(
    CQ.table(
      ['Check', ['Violations', 'num'], 'What it means', 'Result'],
      cons.checks.map((c) => ({
        class: c.count > 0 ? 'bad' : '',
        data: { check: c.key, count: c.count },
        cells: [
          h('span', { title: c.key, text: c.label }),
          [fmtInt(c.count), 'num'],
          c.description,
          [c.count > 0 ? '✗ violated' : '✓ clean', c.count > 0 ? 'status' : 'status good'],
        ],
      })),
      'violations',
    ),
  );
  if (cons.info.length > 0) {
    body.push(
      h('p', {
        class: 'lede',
        id: 'consistency-info',
        text: `Allowed, and only counted: ${cons.info.map((c) => `${c.label.toLowerCase()} ${fmtInt(c.count)}`).join(' · ')}.`,
      }),
    );
  }
  if (cons.convergenceSeconds !== null) {
    body.push(
      h('p', {
        class: 'lede',
        text: `Regions converged ${fmtSeconds(cons.convergenceSeconds)} after the faults healed.`,
      }),
    );
  }
  body.push(...CQReport.examples(state));
  return CQReport.section(
    'consistency',
    'Consistency',
    'What the data says: every check over the whole history, and the first examples of each violation in words.',
    body,
  );
};
