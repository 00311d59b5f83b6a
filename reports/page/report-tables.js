// @ts-check
// report.html's two comparison tables: the region-to-region matrix (delivery p99 and the share
// never delivered, by home region) and latency before, during and after faults. Part of
// report.html's script (see report-kit.js).

/**
 * One cell of the matrix, shaded by its p99 against the largest.
 * @param {ReportData['matrix']['cells'][number] | undefined} c @param {number} maxP99
 */
CQReport.matrixCell = (c, maxP99) => {
  const { h, fmtInt, fmtMs, fmtPct } = CQ;
  const td = h('td', { class: `cell${c && c.undelivered > 0 ? ' lossy' : ''}` });
  if (!c || (c.deliveries === 0 && c.expected === 0)) {
    td.append(h('span', { class: 'loss', text: 'no traffic' }));
    return td;
  }
  const share = c.expected > 0 ? c.undelivered / c.expected : 0;
  td.title = `${fmtInt(c.deliveries)} deliveries; ${fmtInt(c.undelivered)} of ${fmtInt(c.expected)} owed deliveries never arrived`;
  td.append(
    h('div', { class: 'p99', text: `p99 ${fmtMs(c.p99)}` }),
    h('div', { class: 'loss', text: `${fmtPct(share)} undelivered` }),
  );
  if (c.p99 !== null && maxP99 > 0)
    td.style.background = `rgba(251, 191, 36, ${(0.08 + 0.5 * (c.p99 / maxP99)).toFixed(3)})`;
  return td;
};

/** @param {ReportState} state */
CQReport.regionMatrix = ({ data }) => {
  const { h } = CQ;
  const cells = data.matrix.cells;
  const maxP99 = Math.max(0, ...cells.map((c) => c.p99 ?? 0));
  return CQReport.section(
    'regions',
    'Region to region',
    'Delivery p99 and undelivered share from senders homed in one region (rows) to recipients homed in another (columns).',
    [
      cells.length === 0
        ? h('p', { class: 'empty', text: 'No deliveries.' })
        : h('table', { class: 'matrix', id: 'region-matrix' }, [
            h('thead', {}, [
              h('tr', {}, [
                h('th', { text: 'from \\ to' }),
                ...data.matrix.regions.map((r) => h('th', { class: 'num', text: r })),
              ]),
            ]),
            h(
              'tbody',
              {},
              data.matrix.regions.map((from) =>
                h('tr', {}, [
                  h('th', { text: from }),
                  ...data.matrix.regions.map((to) =>
                    CQReport.matrixCell(
                      cells.find((x) => x.from === from && x.to === to),
                      maxP99,
                    ),
                  ),
                ]),
              ),
            ),
          ]),
    ],
  );
};

/** @param {Percentiles} s @returns {[string, string][]} */
CQReport.pctCells = (s) => [
  [CQ.fmtMs(s.p50), 'num'],
  [CQ.fmtMs(s.p90), 'num'],
  [CQ.fmtMs(s.p99), 'num'],
  [CQ.fmtMs(s.max), 'num'],
  [CQ.fmtInt(s.count), 'num'],
];

CQReport.PHASE_LABELS = {
  before: 'Before the first fault',
  fault: 'While a fault is on',
  after: 'Between and after faults',
};

/** Delivery p99 in equal windows before, during and after each fault. @param {ReportData} data */
CQReport.perFaultTable = (data) => {
  const { h, fmtMs, fmtNum } = CQ;
  const ratio = (/** @type {number | null} */ a, /** @type {number | null} */ b) =>
    a === null || b === null || b <= 0 ? '–' : `×${fmtNum(a / b)}`;
  return h('div', {}, [
    h('h3', { text: 'Per fault: delivery p99 in equal windows around it' }),
    CQ.table(
      [
        '#',
        'Fault',
        ['Window', 'num'],
        ['Before', 'num'],
        ['During', 'num'],
        ['After', 'num'],
        ['During / before', 'num'],
      ],
      data.phases.perFault.map((r) => {
        const f = data.faults[r.fault];
        return {
          cells: [
            String(r.fault + 1),
            f ? h('span', {}, [CQ.swatch(CQ.faultColor(f.kind)), CQReport.faultName(f)]) : '–',
            [CQ.fmtDuration(r.windowSeconds), 'num'],
            [fmtMs(r.before.p99), 'num'],
            [fmtMs(r.during.p99), 'num'],
            [fmtMs(r.after.p99), 'num'],
            [ratio(r.during.p99, r.before.p99), 'num'],
          ],
        };
      }),
    ),
  ]);
};

/** @param {ReportState} state */
CQReport.impact = ({ data }) =>
  CQReport.section(
    'impact',
    'Latency before, during and after faults',
    'Delivery latency of messages meant to be sent in each period; ack p99 alongside.',
    [
      CQ.table(
        [
          'Period',
          ['p50', 'num'],
          ['p90', 'num'],
          ['p99', 'num'],
          ['max', 'num'],
          ['Deliveries', 'num'],
          ['Ack p99', 'num'],
        ],
        data.phases.rows
          .filter((r) => data.faults.length > 0 || r.phase === 'before')
          .map((r) => ({
            data: { phase: r.phase },
            cells: [
              data.faults.length === 0 ? 'Whole run (no faults)' : CQReport.PHASE_LABELS[r.phase],
              ...CQReport.pctCells(r.delivery),
              [CQ.fmtMs(r.ack.p99), 'num'],
            ],
          })),
      ),
      data.phases.perFault.length === 0 ? null : CQReport.perFaultTable(data),
    ],
  );
