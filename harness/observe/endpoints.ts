// Where a run's processes serve their Prometheus metrics: the harness (with --metrics-port),
// each node (its own HTTP port, /metrics) and the fault proxy (its API port, /metrics). The
// same list is printed at the start, recorded in run.json (`endpoints`) and, with --prometheus,
// written as a Prometheus file_sd targets file, rewritten when a node joins and emptied at the end.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { NodeInfo } from '../local/topology.ts';

export interface RunEndpoints {
  /** The harness's own /metrics, with --metrics-port. */
  harness?: string;
  nodes: { region: string; node: string; metrics: string }[];
  /** The fault proxy's /metrics; absent for an external Toxiproxy. */
  proxy?: string;
}

/** One entry of a Prometheus file_sd targets file. */
export interface FileSdGroup {
  targets: string[];
  labels: Record<string, string>;
}

export const JOBS = { harness: 'chatquake', node: 'chatquake-node', proxy: 'chatquake-proxy' } as const;

const metricsUrl = (base: string): string => `${base.replace(/\/+$/, '')}/metrics`;

/** The endpoints of these nodes and this proxy API (undefined: not ours to scrape). */
export function runEndpoints(
  nodes: readonly Pick<NodeInfo, 'region' | 'node' | 'httpUrl'>[],
  proxyApiUrl: string | undefined,
  harness: string | undefined,
): RunEndpoints {
  return {
    ...(harness === undefined ? {} : { harness }),
    nodes: nodes.map((n) => ({ region: n.region, node: n.node, metrics: metricsUrl(n.httpUrl) })),
    ...(proxyApiUrl === undefined ? {} : { proxy: metricsUrl(proxyApiUrl) }),
  };
}

/** One line a process: what the run prints at its start. */
export function formatEndpoints(endpoints: RunEndpoints): string[] {
  return [
    ...(endpoints.harness === undefined ? [] : [`  metrics  harness      ${endpoints.harness}`]),
    ...endpoints.nodes.map((n) => `  metrics  ${`${n.region}/${n.node}`.padEnd(12)} ${n.metrics}`),
    ...(endpoints.proxy === undefined ? [] : [`  metrics  proxy        ${endpoints.proxy}`]),
  ];
}

/** host:port of a URL, as a file_sd target. */
function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/** The file_sd groups: one per process, labelled with its job (and region and node). */
export function fileSdGroups(endpoints: RunEndpoints): FileSdGroup[] {
  return [
    ...(endpoints.harness === undefined
      ? []
      : [{ targets: [hostPort(endpoints.harness)], labels: { job: JOBS.harness } }]),
    ...endpoints.nodes.map((n) => ({
      targets: [hostPort(n.metrics)],
      labels: { job: JOBS.node, region: n.region, node: n.node },
    })),
    ...(endpoints.proxy === undefined
      ? []
      : [{ targets: [hostPort(endpoints.proxy)], labels: { job: JOBS.proxy } }]),
  ];
}

/**
 * Writes the targets file whole or not at all (a temporary file renamed over it), since
 * Prometheus rereads it as soon as it changes.
 */
export function writeFileSd(path: string, groups: readonly FileSdGroup[]): void {
  const full = resolve(path);
  mkdirSync(dirname(full), { recursive: true });
  const temporary = `${full}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(groups, null, 2)}\n`);
  renameSync(temporary, full);
}
