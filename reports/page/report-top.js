// @ts-check
// The top of report.html: the header with the verdict badge, the toolbar (section links, the
// region picker, reset zoom) and the verdict box. Part of report.html's script (see report-kit.js).

/** The verdict badge's text for each status. */
CQReport.BADGES = { pass: 'PASSED', fail: 'FAILED', invalid: 'INVALID', unknown: 'NO VERDICT' };

/** The header; sets the document title too. @param {ReportState} state */
CQReport.header = ({ data, run }) => {
  const { h, fmtDuration } = CQ;
  const status = data.verdict.status;
  const badgeText = CQReport.BADGES[status];
  document.title = `${badgeText} · ${run.scenario} · chatquake`;
  return h('header', { class: 'top' }, [
    h('span', { class: 'brand', text: 'chatquake' }),
    h('span', { class: 'title', text: run.scenario }),
    h('span', { class: `badge ${status}`, id: 'verdict-badge', text: badgeText, data: { status } }),
    run.bugs.length > 0
      ? h('span', {
          class: 'badge bugs',
          title: 'The server was started with these bug knobs',
          text: `bugs: ${run.bugs.join(', ')}`,
        })
      : null,
    h('div', {
      class: 'meta',
      text: [
        `run ${run.runId}`,
        `started ${CQReport.utc(run.startedAt)}`,
        `duration ${fmtDuration(run.durationSeconds)}`,
        `seed ${run.seed ?? '–'}`,
        `commit ${run.commit ?? 'unknown'}`,
      ].join(' · '),
    }),
  ]);
};

/**
 * The toolbar, and its region picker (report-charts.js makes it switch the charts).
 * @param {ReportState} state
 */
CQReport.toolbar = ({ data, run, group }) => {
  const { h } = CQ;
  const regions = run.regions.map((r) => r.name).filter((r) => data.throughput.byRegion[r] !== undefined);
  const regionSelect = /** @type {HTMLSelectElement} */ (
    h('select', { id: 'region-select', title: 'Region shown in the throughput and latency charts' }, [
      h('option', { text: 'All regions' }),
      ...regions.map((r) => h('option', { text: r })),
    ])
  );
  const allRegions = regionSelect.options[0];
  if (allRegions) allRegions.value = '*';
  const resetButton = h('button', {
    text: 'Reset zoom',
    title: 'Show the whole run (or double-click a chart)',
  });
  resetButton.addEventListener('click', () => group.reset());
  const links = [
    ['overview', 'Overview'],
    ['thresholds', 'Thresholds'],
    ['timeline', 'Faults'],
    ['throughput', 'Throughput'],
    ['latency', 'Latency'],
    ['connections', 'Connections'],
    ['failover', 'Failover'],
    ['regions', 'Regions'],
    ['impact', 'Fault impact'],
    ['consistency', 'Consistency'],
  ];
  const nav = h('nav', { class: 'toolbar' }, [
    ...links.map(([id, label]) => h('a', { href: `#${id}`, text: label })),
    h('span', { class: 'spacer' }),
    h('label', { text: 'Region ' }, [regionSelect]),
    resetButton,
  ]);
  return { nav, regionSelect };
};

/** What the verdict box says under its badge. @param {ReportData} data @returns {(Node | string)[]} */
CQReport.verdictBody = (data) => {
  const { h, fmtInt } = CQ;
  const status = data.verdict.status;
  const failedThresholds = data.thresholds.filter((t) => !t.ok);
  const violations = data.headline.violations;
  /** @type {(Node | string)[]} */
  const body = [];
  if (status === 'pass') {
    body.push(
      `All ${data.thresholds.length} thresholds held` +
        (violations === 0 ? ' and every consistency check is clean.' : '.'),
    );
  } else if (status === 'fail') {
    const parts = [];
    if (failedThresholds.length > 0)
      parts.push(`${failedThresholds.length} of ${data.thresholds.length} thresholds failed`);
    if (violations) parts.push(`${fmtInt(violations)} consistency violations`);
    body.push(`${parts.join(', ') || 'The run failed'} (exit ${data.verdict.exitCode ?? 99}).`);
    if (failedThresholds.length > 0) {
      body.push(
        h(
          'ul',
          {},
          failedThresholds.map((t) =>
            h('li', { text: `${t.metric}: ${t.expression}, was ${CQReport.actualText(t.actual)}` }),
          ),
        ),
      );
    }
  } else if (status === 'invalid') {
    body.push(`The run is invalid and proves nothing either way (exit ${data.verdict.exitCode ?? 96}).`);
    body.push(
      h(
        'ul',
        {},
        data.verdict.invalidReasons.map((r) => h('li', { text: r })),
      ),
    );
  } else {
    body.push(
      'No verdict: summary.json is missing or has no result. The charts below come from the history.',
    );
  }
  if (data.verdict.text) body.push(h('div', { class: 'verdict-text', text: data.verdict.text }));
  if (data.verdict.errors.length > 0) {
    body.push(
      h('div', { text: 'Errors during the run:' }),
      h(
        'ul',
        {},
        data.verdict.errors.map((e) => h('li', { text: e })),
      ),
    );
  }
  return body;
};

/** @param {ReportState} state */
CQReport.verdict = ({ data }) =>
  CQ.h('div', { class: `verdict ${data.verdict.status}`, id: 'verdict' }, [
    CQ.h('strong', { text: CQReport.BADGES[data.verdict.status] }),
    ...CQReport.verdictBody(data),
  ]);
