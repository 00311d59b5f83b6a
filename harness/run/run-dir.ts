// A run's folder and its first file: a fresh folder (or an --out folder cleared of an earlier
// run's files), the run id, and run.json with the plan, written before anything starts so that
// a crashed run still leaves its plan behind (and rewritten at the end).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ResolvedFault } from '../../chaos/index.ts';
import type { PreparedRun } from '../scenario/prepare.ts';
import type { RunRecord } from './run-record.ts';

function stamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

/** A fresh run folder: runs/20260101-120000-region-outage, with -2, -3 if taken. */
export function newRunDir(base: string, scenario: string, now = new Date()): string {
  const stem = join(base, `${stamp(now)}-${scenario}`);
  let dir = stem;
  for (let n = 2; existsSync(dir); n++) dir = `${stem}-${n}`;
  return dir;
}

/** The files a run writes; an earlier run's in the same --out folder are removed first. */
export const RUN_FILES = [
  'history.jsonl',
  'run.json',
  'faults.json',
  'summary.json',
  'junit.xml',
  'report.html',
  'started.json',
  'logs',
  'data',
] as const;

/** Creates the run folder, clears an earlier run's files from it, and names the run. */
export function openRunDir(runDir: string, prepared: PreparedRun, startedAt: Date): string {
  mkdirSync(runDir, { recursive: true });
  for (const name of RUN_FILES) rmSync(join(runDir, name), { recursive: true, force: true });
  return `${stamp(startedAt)}-${prepared.scenario.name}-${prepared.seed}`;
}

export function writeRunJson(runDir: string, record: RunRecord): void {
  writeFileSync(join(runDir, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
}

/** A fault in run.json as planned: not applied yet. */
export function plannedFaultRecord(f: ResolvedFault): RunRecord['faults'][number] {
  return {
    id: f.id,
    kind: f.kind,
    target: f.target,
    regions: f.regions,
    plannedAt: f.at,
    plannedUntil: f.until,
    appliedAt: null,
    revertedAt: null,
  };
}

/** run.json before the run: the plan, every fault not applied yet, nothing measured. */
export function initialRecord(
  prepared: PreparedRun,
  runId: string,
  startedAt: Date,
  options: { tags?: Record<string, string>; noThresholds?: boolean } = {},
): RunRecord {
  const { scenario, seed } = prepared;
  return {
    schemaVersion: 1,
    runId,
    scenario: {
      name: scenario.name,
      description: scenario.description,
      path: prepared.path,
      target: scenario.target,
      targetOptions: prepared.targetOptions,
      durationMs: scenario.durationMs,
      topology: scenario.topology,
      workload: scenario.workload,
      chaos: scenario.chaos,
      thresholds: scenario.thresholds,
      convergenceDeadlineMs: scenario.convergenceDeadlineMs,
    },
    seed,
    startedAt: startedAt.toISOString(),
    endedAt: startedAt.toISOString(),
    wallSeconds: 0,
    host: hostname(),
    topology: { regions: scenario.topology.regions.map((name) => ({ name, nodes: [] })) },
    aliases: prepared.aliases,
    thresholds: prepared.thresholds.raw,
    faults: prepared.faults.map(plannedFaultRecord),
    load: null,
    convergence: null,
    interrupted: null,
    tags: options.tags ?? {},
    noThresholds: options.noThresholds ?? false,
    errors: [],
    warnings: [],
  };
}
