// Every metric a node's registry and the fault proxy's /metrics declare follows the naming
// rules (test/support/metric-lint.ts): caught here, before promtool or a dashboard does. The
// checker itself is pinned on names that break each rule, so a lax rule cannot pass silently.
import { describe, expect, it } from 'vitest';
import { createMetrics as createNodeMetrics } from '../../im-server/metrics.ts';
import { createMetrics as createProxyMetrics } from '../../proxy/metrics.ts';
import { familiesOfRegistry, familiesOfText, lintFamilies, lintFamily } from '../support/metric-lint.ts';

const NODE_PREFIXES = ['imserver_', 'process_', 'nodejs_'];
const PROXY_PREFIXES = ['chatquake_proxy_', 'toxiproxy_proxy_'];

function nodeRegistry() {
  const lag = new Map([['eu/n1', { region: 'eu', messages: 3, seconds: 0.5 }]]);
  return createNodeMetrics(
    { region: 'us', node: 'n1' },
    {
      leaseValid: () => true,
      clockOffsetMs: () => 0,
      homedConversations: () => 1,
      replicationLag: () => lag,
      unreadBytes: () => 0,
    },
  ).registry;
}

/** A proxy's exposition with one of every series, so each family shows its labels. */
function proxyText(): string {
  const metrics = createProxyMetrics();
  metrics.link('p', 'upstream', '127.0.0.1:1', '127.0.0.1:2').received += 1;
  metrics.proxy('p').connectionsTotal = 1;
  metrics.toxicApplied('p', 'lag', 'latency');
  const toxic = { name: 'lag', type: 'latency', stream: 'Downstream', toxicity: 1, attributes: {} };
  return metrics.render([{ name: 'p', listen: '', upstream: '', enabled: true, toxics: [toxic] }]);
}

describe('metric names', () => {
  it('a node registers only names that follow the rules', async () => {
    const families = await familiesOfRegistry(nodeRegistry());
    expect(families.length).toBeGreaterThan(20);
    expect(lintFamilies(families, { prefixes: NODE_PREFIXES })).toEqual([]);
    const ours = families.filter((f) => f.name.startsWith('imserver_')).map((f) => f.name);
    for (const needed of [
      'imserver_ws_sessions',
      'imserver_ws_frames_received_total',
      'imserver_messages_delivered_total',
      'imserver_ack_latency_seconds',
      'imserver_replication_lag_messages',
      'imserver_replication_lag_seconds',
      'imserver_epoch_changes_total',
      'imserver_fenced_writes_total',
      'imserver_dedup_hits_total',
      'imserver_syncs_total',
      'imserver_store_write_duration_seconds',
    ])
      expect(ours).toContain(needed);
    // Default Node metrics keep their usual names, not the imserver_ prefix.
    expect(families.some((f) => f.name === 'process_resident_memory_bytes')).toBe(true);
    expect(
      families.some((f) => f.name.startsWith('imserver_process_') || f.name.startsWith('imserver_nodejs_')),
    ).toBe(false);
  });

  it('a node’s exposition has the families its registry declares, and fills both lag gauges in one scrape', async () => {
    const text = await nodeRegistry().metrics();
    expect(lintFamilies(familiesOfText(text), { prefixes: NODE_PREFIXES })).toEqual([]);
    expect(text).toContain(
      'imserver_replication_lag_messages{peer="eu/n1",peer_region="eu",region="us",node="n1"} 3',
    );
    expect(text).toContain(
      'imserver_replication_lag_seconds{peer="eu/n1",peer_region="eu",region="us",node="n1"} 0.5',
    );
  });

  it('the fault proxy renders only names that follow the rules', () => {
    const families = familiesOfText(proxyText());
    expect(families.map((f) => f.name)).toContain('toxiproxy_proxy_received_bytes_total');
    expect(families.length).toBe(9);
    expect(lintFamilies(families, { prefixes: PROXY_PREFIXES })).toEqual([]);
  });

  it('the checker refuses each broken rule', () => {
    const lint = (name: string, type: string, labels: string[] = []) =>
      lintFamily({ name, type, labels }, { prefixes: ['app_'] });
    expect(lint('app_ok_total', 'counter', ['result'])).toEqual([]);
    expect(lint('other_sends_total', 'counter')).toHaveLength(1);
    expect(lint('app_sends', 'counter')).toHaveLength(1);
    expect(lint('app_active_total', 'gauge')).toHaveLength(1);
    expect(lint('app_ack_latency', 'histogram')).toHaveLength(1);
    expect(lint('app_ack_latency_ms', 'histogram')).toHaveLength(2);
    expect(lint('app_ack_seconds', 'summary')).toHaveLength(2);
    expect(lint('app_appCount', 'gauge')).toHaveLength(1);
    for (const label of ['user', 'conversation', 'conv', 'message', 'cmid', 'id', 'user_id'])
      expect(lint('app_sends_total', 'counter', [label]), label).toHaveLength(1);
  });
});
