// dashboards/chatquake.json is generated (`npm run dashboard`) and checked in; this fails when it
// is stale, and checks what file provisioning needs: a datasource variable rather than
// `__inputs`, every panel and query on that variable, the provisioned datasource's uid, fault
// annotations from chatquake_fault_active, and every metric a query names served by a registry.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { DASHBOARD_FILE, dashboardQueries, dashboardText } from '../../harness/grafana/dashboard.ts';
import { createRunMetrics } from '../../harness/observe/metrics.ts';
import { createMetrics as createNodeMetrics } from '../../im-server/metrics.ts';
import { familiesOfRegistry } from '../support/metric-lint.ts';

const checkedIn = readFileSync(new URL(`../../${DASHBOARD_FILE}`, import.meta.url), 'utf8');
const dashboard = JSON.parse(checkedIn) as {
  __inputs?: unknown;
  templating: { list: { name: string; type: string; query: string; current: { value: string } }[] };
  annotations: { list: { expr: string; datasource: { uid: string }; step: string }[] };
  panels: {
    type: string;
    datasource?: { uid: string };
    targets?: { expr: string; datasource: { uid: string } }[];
  }[];
};
const provisioned = parse(
  readFileSync(new URL('../../dashboards/provisioning/datasources/prometheus.yml', import.meta.url), 'utf8'),
) as { datasources: { uid: string; type: string }[] };

/** Metric names a PromQL expression reads: its identifiers, less label lists, ranges and functions. */
function metricNames(expr: string): string[] {
  const bare = expr.replace(/\b(by|without)\s*\([^)]*\)/g, ' ').replace(/\{[^}]*\}|\[[^\]]*\]/g, ' ');
  const words = bare.match(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g) ?? [];
  return [...new Set(words)];
}

describe('the Grafana dashboard', () => {
  it('is up to date: run `npm run dashboard` after changing harness/grafana/dashboard.ts', () => {
    expect(checkedIn).toBe(dashboardText());
  });

  it('takes its datasource from a variable, with the provisioned uid, never from __inputs', () => {
    expect(dashboard.__inputs).toBeUndefined();
    expect(checkedIn).not.toContain('DS_PROMETHEUS');
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
    expect(provisioned.datasources.map((d) => d.uid)).toContain(variable?.current.value);
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(8);
    for (const panel of panels) {
      expect(panel.datasource?.uid).toBe(`\${datasource}`);
      for (const target of panel.targets ?? []) expect(target.datasource.uid).toBe(panel.datasource?.uid);
    }
  });

  it('lays its panels out on Grafana’s 24-column grid without overlap, with unique ids and refIds', () => {
    const Panel = z.object({
      id: z.number().int().positive(),
      type: z.enum(['row', 'stat', 'timeseries', 'heatmap']),
      title: z.string().min(1),
      gridPos: z.object({
        x: z.number().int().min(0),
        y: z.number().int().min(0),
        w: z.number().int().min(1).max(24),
        h: z.number().int().min(1),
      }),
      targets: z.array(z.object({ refId: z.string().regex(/^[A-Z]$/), expr: z.string().min(1) })).optional(),
    });
    const panels = z.array(Panel).parse(dashboard.panels);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const taken = new Set<string>();
    for (const { gridPos: g, targets } of panels) {
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(taken.has(`${x},${y}`)).toBe(false);
          taken.add(`${x},${y}`);
        }
      const refs = (targets ?? []).map((t) => t.refId);
      expect(new Set(refs).size).toBe(refs.length);
    }
  });

  it('is provisioned from the folder the compose file mounts', () => {
    const provider = parse(
      readFileSync(
        new URL('../../dashboards/provisioning/dashboards/chatquake.yml', import.meta.url),
        'utf8',
      ),
    ) as { apiVersion: number; providers: { type: string; options: { path: string } }[] };
    expect(provider.apiVersion).toBe(1);
    expect(provider.providers[0]).toMatchObject({
      type: 'file',
      options: { path: '/var/lib/grafana/dashboards' },
    });
    const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
    expect(compose).toContain('./dashboards:/var/lib/grafana/dashboards:ro');
    expect(compose).toContain('./dashboards/provisioning:/etc/grafana/provisioning:ro');
    expect(provisioned.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
  });

  it('shades fault windows from chatquake_fault_active, at a step no longer than the scrape interval', () => {
    const [faults] = dashboard.annotations.list;
    expect(faults?.expr).toBe('chatquake_fault_active > 0');
    expect(faults?.step).toBe('5s');
  });

  it('queries only metrics a node (imserver_) or the harness (chatquake_) registers, of the type each panel expects', async () => {
    const node = createNodeMetrics(
      { region: 'us', node: 'n1' },
      {
        leaseValid: () => true,
        clockOffsetMs: () => 0,
        homedConversations: () => 0,
        replicationLag: () => new Map(),
        unreadBytes: () => 0,
      },
    ).registry;
    const harness = createRunMetrics({ faults: [{ id: 'f1', kind: 'latency', target: 'x' }] }).registry;
    // Each name a query may use, with the type of the family it belongs to.
    const served = new Map<string, string>();
    for (const family of [...(await familiesOfRegistry(node)), ...(await familiesOfRegistry(harness))]) {
      served.set(family.name, family.type);
      if (family.type === 'histogram')
        for (const s of ['_bucket', '_sum', '_count']) served.set(family.name + s, 'histogram');
    }
    // The type each panel expects: rate() and increase() read counters (or a histogram's
    // buckets), histogram_quantile() a histogram's buckets.
    for (const expr of dashboardQueries()) {
      for (const [, name] of expr.matchAll(/(?:rate|increase)\(([a-z_:]+)\[/g)) {
        const type = served.get(name as string);
        if ((name as string).endsWith('_bucket')) expect(type, name).toBe('histogram');
        else expect(type, name).toBe('counter');
      }
      if (expr.startsWith('histogram_quantile')) expect(expr, expr).toMatch(/_bucket\[/);
    }
    const names = dashboardQueries().flatMap(metricNames);
    expect(names).toEqual(expect.arrayContaining(['imserver_ws_sessions', 'chatquake_fault_active']));
    const missing = names.filter((n) => !served.has(n));
    expect(missing).toEqual([]);
    expect(names.filter((n) => !n.startsWith('imserver_') && !n.startsWith('chatquake_'))).toEqual([]);
  });
});
