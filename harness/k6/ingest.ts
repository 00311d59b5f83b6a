// `chatquake ingest k6`: a distributed k6 run judged as one run. The k6 instances' JSON outputs
// (one clock domain each) are merged into one history.jsonl (harness/k6/ingest/merge.ts), the
// fault events of `chatquake chaos --out` joined in; with a topology file the regions are given
// time to agree and their final logs are read as a local run does after its load; then the run
// folder `chatquake run` writes is written (run.json, history.jsonl, summary.json, junit.xml,
// report.html) through the same judge, with the plan's thresholds, and ingest.json beside them
// tells each domain's events, times and what the history says of its clock.
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from '../../contracts/summary.ts';
import {
  awaitConvergence,
  createRecorder,
  type HistoryRecorder,
  recordFinalReads,
} from '../../load/index.ts';
import { writeReport, writeResults } from '../results/results.ts';
import { type Judgement, judgeRun } from '../run/judge.ts';
import { newRunDir, RUN_FILES, writeRunJson } from '../run/run-dir.ts';
import { ScenarioError } from '../scenario/scenario.ts';
import { type ThresholdSet, validateThresholds } from '../scenario/thresholds.ts';
import { createReferenceTarget } from '../targets/reference/index.ts';
import { readChaosEvents } from './ingest/chaos-events.ts';
import { type ClockBound, createClockCheck } from './ingest/clock.ts';
import { type Domain, mergeHistory, type Scan, scanOutputs } from './ingest/merge.ts';
import { readPlan } from './ingest/plan-schema.ts';
import { CONVERGENCE_DEADLINE_MS, ingestRecord } from './ingest/record.ts';
import type { K6Plan } from './plan.ts';
import type { Topology } from './topology.ts';

export interface IngestOptions {
  /** The k6 JSON outputs, one per instance. */
  outputs: string[];
  /** The script `chatquake k6` wrote. */
  script: string;
  /** Where to read the final logs; without it there are none. */
  topology?: Topology;
  /** `chatquake chaos --out` files. */
  chaos?: string[];
  /** The run folder; default runs/<time>-<scenario>. */
  outDir?: string;
  tags?: Record<string, string>;
  noThresholds?: boolean;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Convergence bound with a topology (default the scenarios' 30 s). */
  convergenceDeadlineMs?: number;
}

export interface IngestOutcome {
  runDir: string;
  judgement: Judgement;
  summary: Summary;
  /** The clock warnings and the missing final reads, also in summary.json. */
  warnings: string[];
  domains: Domain[];
  bounds: ClockBound[];
}

export const NO_TOPOLOGY_WARNING =
  'no --topology: the regions were not read after the load, so there are no final reads: acked-lost was judged only by delivery to members, and divergence and convergence could not be judged';

type Resolved = Omit<IngestOptions, 'chaos' | 'tags' | 'noThresholds' | 'log' | 'convergenceDeadlineMs'> &
  Required<Pick<IngestOptions, 'chaos' | 'tags' | 'noThresholds' | 'log' | 'convergenceDeadlineMs'>>;

/** Every default of IngestOptions, in one place. */
function withDefaults(options: IngestOptions): Resolved {
  return {
    ...options,
    chaos: options.chaos ?? [],
    tags: options.tags ?? {},
    noThresholds: options.noThresholds ?? false,
    log: options.log ?? (() => {}),
    convergenceDeadlineMs: options.convergenceDeadlineMs ?? CONVERGENCE_DEADLINE_MS,
  };
}

function thresholdsOf(plan: K6Plan, script: string): ThresholdSet {
  try {
    return validateThresholds(plan.thresholds);
  } catch (error) {
    throw new ScenarioError(`--script ${script}: plan.thresholds: ${(error as Error).message}`);
  }
}

function checkOutputs(outputs: readonly string[]): void {
  if (outputs.length === 0)
    throw new ScenarioError('name at least one k6 JSON output (k6 run --out json=FILE)');
  const twice = outputs.find((f, i) => outputs.indexOf(f) !== i);
  if (twice !== undefined) throw new ScenarioError(`${twice} is given twice: each output is one k6 instance`);
  for (const file of outputs) {
    if (!existsSync(file) || !statSync(file).isFile()) throw new ScenarioError(`${file}: no such file`);
  }
}

function openRunFolder(outDir: string | undefined, scenario: string): string {
  const runDir = outDir ?? newRunDir('runs', scenario);
  mkdirSync(runDir, { recursive: true });
  for (const name of [...RUN_FILES, 'ingest.json'])
    rmSync(join(runDir, name), { recursive: true, force: true });
  return runDir;
}

/** After the load: give the regions time to agree, then read every region's log of every conversation. */
async function finalReads(
  plan: K6Plan,
  topology: Topology,
  recorder: HistoryRecorder,
  options: Resolved,
): Promise<{ converged: number; notConverged: number; seconds: number }> {
  const target = createReferenceTarget({
    regions: topology.regions.map((r) => ({ name: r.name, endpoints: r.endpoints, adminUrls: r.adminUrls })),
    secret: topology.secret,
    adminToken: topology.adminToken,
  });
  recorder.append({ type: 'phase', t: Date.now(), name: 'healed' });
  options.log('  waiting for the regions to agree');
  const convergence = await awaitConvergence({
    target,
    conversations: plan.conversations.map((c) => ({
      id: c.id,
      regions: c.residency ? plan.regions.filter((r) => c.residency?.includes(r)) : [...plan.regions],
    })),
    recorder,
    deadlineMs: options.convergenceDeadlineMs,
    signal: options.signal,
  });
  const figures = {
    converged: convergence.converged.length,
    notConverged: convergence.notConverged.length,
    seconds: convergence.elapsedMs / 1000,
  };
  recorder.append({ type: 'phase', t: Date.now(), name: 'converged' });
  if (options.signal?.aborted) return figures;
  recorder.append({ type: 'phase', t: Date.now(), name: 'final_reads' });
  options.log('  reading the final logs');
  await recordFinalReads({
    target,
    conversations: plan.conversations.map((c) => ({ id: c.id, regions: [...plan.regions] })),
    recorder,
  });
  return figures;
}

function writeIngestJson(runDir: string, scan: Scan, bounds: ClockBound[], warnings: string[]): void {
  const domains = scan.domains.map((d) => ({
    file: d.file,
    events: d.events,
    firstT: d.firstT,
    lastT: d.lastT,
    first: d.firstT === null ? null : new Date(d.firstT).toISOString(),
    last: d.lastT === null ? null : new Date(d.lastT).toISOString(),
    outOfOrderMs: d.disorderMs,
    truncated: d.state.truncated,
    badSamples: d.state.bad.length,
    bounds: bounds.filter((b) => b.from === d.file || b.to === d.file),
  }));
  writeFileSync(
    join(runDir, 'ingest.json'),
    `${JSON.stringify({ domains, clockBounds: bounds, warnings }, null, 2)}\n`,
  );
}

/** Merges, reads the final logs (with a topology), writes the run folder and judges it. */
export async function ingestK6(given: IngestOptions): Promise<IngestOutcome> {
  const options = withDefaults(given);
  const plan = readPlan(options.script);
  const thresholds = thresholdsOf(plan, options.script);
  checkOutputs(options.outputs);
  const faults = options.chaos.flatMap((file) => readChaosEvents(file));
  options.log(`  reading ${options.outputs.length} k6 output${options.outputs.length === 1 ? '' : 's'}`);
  const scan = await scanOutputs(options.outputs, plan);
  const runDir = openRunFolder(options.outDir, plan.scenario);
  const recorder = createRecorder(join(runDir, 'history.jsonl'));
  const clock = createClockCheck(options.outputs, scan.sends);
  let lastT = Number.NEGATIVE_INFINITY;
  let loadStartT: number | undefined;
  let finalReadsSeen = false;
  await mergeHistory(scan, faults, (event, domain) => {
    clock.observe(event, domain);
    recorder.append(event);
    lastT = Math.max(lastT, event.t);
    if (event.type === 'phase' && event.name === 'load_start') loadStartT = event.t;
    if (event.type === 'final_read') finalReadsSeen = true;
  });
  const warnings = clock.warnings();
  let convergence: Awaited<ReturnType<typeof finalReads>> | null = null;
  try {
    if (options.topology !== undefined)
      convergence = await finalReads(plan, options.topology, recorder, options);
    else if (!finalReadsSeen) warnings.push(NO_TOPOLOGY_WARNING);
    recorder.append({ type: 'run_end', t: Math.max(lastT, options.topology ? Date.now() : lastT) });
  } finally {
    await recorder.close();
  }
  for (const d of scan.domains)
    if (d.state.truncated)
      warnings.push(`${d.file} ends inside a line (its k6 instance was killed?): that line was dropped`);
  const bad = scan.domains.flatMap((d) => d.state.bad);
  const record = ingestRecord({
    plan,
    scriptPath: options.script,
    outputs: options.outputs,
    topology: options.topology,
    figures: scan.figures,
    bad,
    faults,
    loadStartT,
    startT: scan.header[0]?.t ?? lastT,
    endT: options.topology ? Date.now() : lastT,
    tags: options.tags,
    noThresholds: options.noThresholds,
  });
  record.convergence = convergence;
  if (options.signal?.aborted)
    record.interrupted = {
      reason: 'signal',
      detail: `${String(options.signal.reason ?? 'a signal')} while the regions were read: the final reads are partial`,
    };
  record.warnings.push(...warnings);
  writeRunJson(runDir, record);
  const bounds = clock.bounds();
  writeIngestJson(runDir, scan, bounds, warnings);
  const judgement = judgeRun({ runDir, record, thresholds });
  const summary = writeResults(runDir, record, judgement);
  await writeReport(runDir, summary);
  return { runDir, judgement, summary, warnings, domains: scan.domains, bounds };
}
