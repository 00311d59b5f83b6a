// Always-on counters, rendered as Prometheus text on GET /metrics. The byte counters keep
// Toxiproxy's names and labels so its dashboards work unchanged; the rest carry a
// chatquake_proxy_ prefix. Links hold their counter objects directly: a chunk costs two
// additions, never a map lookup. A proxy's series live as long as the proxy: forget() drops
// them when it is deleted or its creation fails. docs/METRICS.md lists every metric.
import type { Direction, ProxyView } from './model.ts';

export interface LinkCounters {
  received: number;
  sent: number;
  dropped: number;
}

export interface ProxyCounters {
  connectionsTotal: number;
  connectionsActive: number;
  connectFailures: number;
}

export interface Metrics {
  link(proxy: string, direction: Direction, listen: string, upstream: string): LinkCounters;
  proxy(name: string): ProxyCounters;
  toxicApplied(proxy: string, toxic: string, type: string): void;
  /** Drops every series of `proxy` (deleted, or never created); counters handed out before count on unseen. */
  forget(proxy: string): void;
  render(proxies: readonly ProxyView[]): string;
}

type Labels = Record<string, string>;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

export function createMetrics(): Metrics {
  const links = new Map<string, { labels: Labels; counters: LinkCounters }>();
  const proxies = new Map<string, ProxyCounters>();
  const applied = new Map<string, { labels: Labels; count: number }>();

  return {
    link(proxy, direction, listen, upstream) {
      const labels = { direction, proxy, listener: listen, upstream };
      const key = JSON.stringify(labels);
      let entry = links.get(key);
      if (entry === undefined) {
        entry = { labels, counters: { received: 0, sent: 0, dropped: 0 } };
        links.set(key, entry);
      }
      return entry.counters;
    },
    proxy(name) {
      let counters = proxies.get(name);
      if (counters === undefined) {
        counters = { connectionsTotal: 0, connectionsActive: 0, connectFailures: 0 };
        proxies.set(name, counters);
      }
      return counters;
    },
    toxicApplied(proxy, toxic, type) {
      const labels = { proxy, toxic, type };
      const key = JSON.stringify(labels);
      const entry = applied.get(key);
      if (entry === undefined) applied.set(key, { labels, count: 1 });
      else entry.count++;
    },
    forget(proxy) {
      proxies.delete(proxy);
      for (const [key, entry] of links) if (entry.labels.proxy === proxy) links.delete(key);
      for (const [key, entry] of applied) if (entry.labels.proxy === proxy) applied.delete(key);
    },
    render(current) {
      const out: string[] = [];
      const family = (name: string, type: string, help: string, samples: [Labels, number][]): void => {
        out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
        for (const [labels, value] of samples) out.push(`${name}${labelText(labels)} ${value}`);
      };
      const linkEntries = [...links.values()];
      family(
        'toxiproxy_proxy_received_bytes_total',
        'counter',
        'Bytes read from the source of a proxy link, per direction.',
        linkEntries.map((e) => [e.labels, e.counters.received]),
      );
      family(
        'toxiproxy_proxy_sent_bytes_total',
        'counter',
        'Bytes written to the destination of a proxy link, per direction.',
        linkEntries.map((e) => [e.labels, e.counters.sent]),
      );
      const byProxyDirection = new Map<string, { labels: Labels; value: number }>();
      for (const e of linkEntries) {
        const labels = { direction: e.labels.direction ?? '', proxy: e.labels.proxy ?? '' };
        const key = JSON.stringify(labels);
        const sum = byProxyDirection.get(key);
        if (sum === undefined) byProxyDirection.set(key, { labels, value: e.counters.dropped });
        else sum.value += e.counters.dropped;
      }
      family(
        'chatquake_proxy_dropped_bytes_total',
        'counter',
        'Bytes a toxic discarded (timeout, reset_peer, limit_data, drop), per direction.',
        [...byProxyDirection.values()].map((e) => [e.labels, e.value]),
      );
      const proxyEntries = [...proxies.entries()];
      family(
        'chatquake_proxy_connections_total',
        'counter',
        'Client connections accepted.',
        proxyEntries.map(([proxy, c]) => [{ proxy }, c.connectionsTotal]),
      );
      family(
        'chatquake_proxy_connections_active',
        'gauge',
        'Client connections open now.',
        proxyEntries.map(([proxy, c]) => [{ proxy }, c.connectionsActive]),
      );
      family(
        'chatquake_proxy_upstream_connect_failures_total',
        'counter',
        'Connections closed because the upstream could not be reached.',
        proxyEntries.map(([proxy, c]) => [{ proxy }, c.connectFailures]),
      );
      family(
        'chatquake_proxy_enabled',
        'gauge',
        '1 while the proxy accepts connections, 0 while it is disabled.',
        current.map((p) => [{ proxy: p.name }, p.enabled ? 1 : 0]),
      );
      family(
        'chatquake_proxy_toxic_active',
        'gauge',
        '1 while a toxic is installed; graph it as fault annotations.',
        current.flatMap((p) =>
          p.toxics.map((t): [Labels, number] => [
            { proxy: p.name, toxic: t.name, type: t.type, stream: t.stream.toLowerCase() },
            1,
          ]),
        ),
      );
      family(
        'chatquake_proxy_toxic_applied_total',
        'counter',
        'Connections a toxic was drawn to apply to (its toxicity said yes).',
        [...applied.values()].map((e) => [e.labels, e.count]),
      );
      return `${out.join('\n')}\n`;
    },
  };
}
