// The game-day dashboard as data: every panel with its PromQL, turned into Grafana's classic
// dashboard JSON by `npm run dashboard` (dashboards/chatquake.json, checked in; a test fails
// when it is stale and checks every query's metric names against the registries). The
// datasource is a variable of type datasource, never `__inputs`, so file provisioning works;
// fault windows come from an annotation query on chatquake_fault_active.

/** The provisioned datasource's uid (dashboards/provisioning/datasources/prometheus.yml). */
export const DATASOURCE_UID = 'chatquake-prometheus';
export const DASHBOARD_UID = 'chatquake-game-day';
const DS = { type: 'prometheus', uid: `\${datasource}` } as const;

export interface PanelSpec {
  title: string;
  kind: 'stat' | 'timeseries' | 'heatmap';
  unit: string;
  /** PromQL, each with its legend. */
  queries: { expr: string; legend?: string }[];
  description: string;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

const rate = (metric: string, by = '') =>
  `sum${by === '' ? '' : ` by (${by})`} (rate(${metric}[$__rate_interval]))`;
const quantile = (q: number, metric: string, by = '') =>
  `histogram_quantile(${q}, sum by (le${by === '' ? '' : `, ${by}`}) (rate(${metric}_bucket[$__rate_interval])))`;

/** What the dashboard shows, top to bottom. */
export const ROWS: RowSpec[] = [
  {
    title: 'Overview',
    panels: [
      stat(
        'Sent /s',
        'short',
        rate('chatquake_messages_sent_total'),
        'Messages the virtual users sent, per second.',
      ),
      stat(
        'Delivered /s',
        'short',
        rate('chatquake_messages_delivered_total'),
        'Messages delivered to recipients.',
      ),
      stat(
        'Delivery p99',
        's',
        quantile(0.99, 'chatquake_delivery_latency_seconds'),
        'From intended send to delivery.',
      ),
      stat(
        'Failovers',
        'short',
        'sum(chatquake_failovers_total)',
        'Client failovers to another node so far.',
      ),
      stat(
        'Violations',
        'short',
        'sum(chatquake_consistency_violations)',
        'Consistency violations the live checks found so far.',
      ),
      stat('Active faults', 'short', 'sum(chatquake_fault_active)', 'Faults applied right now.'),
    ],
  },
  {
    title: 'What users feel',
    panels: [
      series('Throughput by region', 'short', [
        { expr: rate('chatquake_messages_sent_total', 'region'), legend: 'sent {{region}}' },
        { expr: rate('chatquake_messages_delivered_total', 'region'), legend: 'delivered {{region}}' },
      ]),
      series('Delivery latency', 's', [
        { expr: quantile(0.5, 'chatquake_delivery_latency_seconds'), legend: 'p50' },
        { expr: quantile(0.95, 'chatquake_delivery_latency_seconds'), legend: 'p95' },
        { expr: quantile(0.99, 'chatquake_delivery_latency_seconds'), legend: 'p99' },
      ]),
      {
        title: 'Delivery latency heatmap',
        kind: 'heatmap',
        unit: 's',
        queries: [
          {
            expr: 'sum by (le) (increase(chatquake_delivery_latency_seconds_bucket[$__rate_interval]))',
            legend: '{{le}}',
          },
        ],
        description: 'How many deliveries took how long, per interval.',
      },
      series('Failover and recovery', 's', [
        { expr: quantile(0.99, 'chatquake_failover_duration_seconds'), legend: 'failover p99' },
        { expr: quantile(0.99, 'chatquake_recovery_duration_seconds'), legend: 'recovery p99' },
      ]),
    ],
  },
  {
    title: 'What the servers do',
    panels: [
      series('Connections by region', 'short', [
        { expr: 'sum by (region) (imserver_ws_sessions)', legend: '{{region}}' },
      ]),
      series('Replication lag by region pair', 's', [
        {
          expr: 'max by (region, peer_region) (imserver_replication_lag_seconds)',
          legend: '{{region}} → {{peer_region}}',
        },
      ]),
      series('Unconfirmed messages by region pair', 'short', [
        {
          expr: 'sum by (region, peer_region) (imserver_replication_lag_messages)',
          legend: '{{region}} → {{peer_region}}',
        },
      ]),
      series('Send to ack on the server, p99', 's', [
        { expr: quantile(0.99, 'imserver_ack_latency_seconds', 'level'), legend: '{{level}}' },
      ]),
      series('Epoch changes and fenced writes', 'short', [
        { expr: rate('imserver_epoch_changes_total', 'region'), legend: 'epoch changes {{region}}' },
        { expr: rate('imserver_fenced_writes_total', 'region'), legend: 'fenced writes {{region}}' },
      ]),
      series('Consistency violations by check', 'short', [
        { expr: 'sum by (check) (chatquake_consistency_violations)', legend: '{{check}}' },
      ]),
    ],
  },
];

function stat(title: string, unit: string, expr: string, description: string): PanelSpec {
  return { title, kind: 'stat', unit, queries: [{ expr }], description };
}

function series(title: string, unit: string, queries: PanelSpec['queries']): PanelSpec {
  return { title, kind: 'timeseries', unit, queries, description: title };
}

const WIDTH = 24;

function panelJson(p: PanelSpec, id: number, gridPos: { x: number; y: number; w: number; h: number }) {
  return {
    id,
    type: p.kind,
    title: p.title,
    description: p.description,
    datasource: DS,
    gridPos,
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options: p.kind === 'heatmap' ? { calculate: false, yAxis: { unit: p.unit } } : {},
    targets: p.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      expr: q.expr,
      ...(q.legend === undefined ? {} : { legendFormat: q.legend }),
      ...(p.kind === 'heatmap' ? { format: 'heatmap' } : {}),
    })),
  };
}

function panelsJson(rows: readonly RowSpec[]): unknown[] {
  const out: unknown[] = [];
  let id = 1;
  let y = 0;
  for (const row of rows) {
    out.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { x: 0, y, w: WIDTH, h: 1 },
      panels: [],
    });
    y += 1;
    const stats = row.panels.every((p) => p.kind === 'stat');
    const w = stats ? WIDTH / row.panels.length : WIDTH / 2;
    const h = stats ? 4 : 8;
    row.panels.forEach((p, i) => {
      const x = (i * w) % WIDTH;
      const rowY = y + Math.floor((i * w) / WIDTH) * h;
      out.push(panelJson(p, id++, { x, y: rowY, w, h }));
    });
    y += Math.ceil((row.panels.length * w) / WIDTH) * h;
  }
  return out;
}

/** Grafana's classic dashboard JSON for the rows. */
export function dashboardJson(rows: readonly RowSpec[] = ROWS): Record<string, unknown> {
  return {
    uid: DASHBOARD_UID,
    title: 'chatquake game day',
    tags: ['chatquake'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '5s',
    time: { from: 'now-15m', to: 'now' },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: { text: 'Prometheus', value: DATASOURCE_UID },
          hide: 0,
        },
      ],
    },
    annotations: {
      list: [
        {
          name: 'Faults',
          datasource: DS,
          enable: true,
          iconColor: 'rgba(255, 96, 96, 0.5)',
          expr: 'chatquake_fault_active > 0',
          step: '5s',
          titleFormat: '{{kind}}',
          textFormat: '{{fault}}: {{target}}',
          tagKeys: 'kind,fault',
          useValueForTime: false,
        },
      ],
    },
    panels: panelsJson(rows),
  };
}

/** Every query of the dashboard, the annotation's included. */
export function dashboardQueries(rows: readonly RowSpec[] = ROWS): string[] {
  return [
    ...rows.flatMap((r) => r.panels.flatMap((p) => p.queries.map((q) => q.expr))),
    'chatquake_fault_active > 0',
  ];
}

/** Where the generated dashboard lives, from the repository's root. */
export const DASHBOARD_FILE = 'dashboards/chatquake.json';

export function dashboardText(): string {
  return `${JSON.stringify(dashboardJson(), null, 2)}\n`;
}
