// Making a run watchable while it goes on: the harness's own /metrics (--metrics-port), the list
// of every process's /metrics printed at the start and kept in run.json, and the Prometheus
// file_sd targets file (--prometheus), rewritten when a node joins and emptied at the end. The
// server and the file are undone by the run's end (tearDown) or by the cleanup registry on a
// signal, whichever comes first.
import { CHECKS } from '../../contracts/checks.ts';
import type { LocalTopology } from '../local/topology.ts';
import {
  fileSdGroups,
  formatEndpoints,
  type RunEndpoints,
  runEndpoints,
  writeFileSd,
} from '../observe/endpoints.ts';
import { createRunMetrics } from '../observe/metrics.ts';
import type { RunObserver } from '../observe/observer.ts';
import { type MetricsServer, startMetricsServer } from '../observe/server.ts';
import { writeRunJson } from './run-dir.ts';
import type { RunState } from './state.ts';

export interface ObserveOptions {
  /** --metrics-port: serve the harness's /metrics on 127.0.0.1 (0: a free port); undefined: off. */
  metricsPort?: number;
  /** --metrics-host: the address it binds; default 127.0.0.1. */
  metricsHost?: string;
  /** --prometheus: the file_sd targets file. */
  prometheusFile?: string;
  /** The fault proxy's API, when it is ours to scrape (not an external Toxiproxy). */
  proxyApiUrl?: string;
}

/** The live judge's counts under the checks' names. */
function liveViolations(state: RunState): () => Record<string, number> {
  return () => {
    const v = state.live.violationsByCheck();
    return { [CHECKS.duplicates.name]: v.duplicates, [CHECKS.orderViolations.name]: v.order };
  };
}

/** Starts the server (if asked), prints the endpoints and writes them where asked. */
export async function startObserving(
  state: RunState,
  topology: LocalTopology,
  options: ObserveOptions,
): Promise<RunObserver> {
  const metrics = createRunMetrics({ faults: state.prepared.faults, violations: liveViolations(state) });
  let server: MetricsServer | undefined;
  if (options.metricsPort !== undefined) {
    server = await startMetricsServer(metrics, options.metricsPort, options.metricsHost);
    state.registry.add('harness metrics server', () => server?.close());
  }
  const file = options.prometheusFile;
  if (file !== undefined) state.registry.add('prometheus targets file', () => writeFileSd(file, []));
  let endpoints: RunEndpoints = { nodes: [] };
  let closing: Promise<void> | undefined;
  const publish = (): void => {
    if (closing !== undefined) return;
    endpoints = runEndpoints(topology.nodes(), options.proxyApiUrl, server?.url);
    state.record.endpoints = endpoints;
    writeRunJson(state.runDir, state.record);
    if (file !== undefined) writeFileSd(file, fileSdGroups(endpoints));
  };
  publish();
  for (const line of formatEndpoints(endpoints)) state.progress.log(line);
  if (file !== undefined) state.progress.log(`  prometheus targets → ${file}`);
  return {
    metrics,
    get endpoints() {
      return endpoints;
    },
    observe: (event) => metrics.observe(event),
    refresh: publish,
    close() {
      closing ??= (async () => {
        await server?.close();
        if (file !== undefined) writeFileSd(file, []);
      })();
      return closing;
    },
  };
}
