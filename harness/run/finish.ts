// The last phases of a run, after teardown: run.json rewritten with what happened, faults.json
// with every fault's plan and outcome, the history judged (a crashing checker still leaves a
// summary that says so), and the results and report written.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Summary } from '../../contracts/summary.ts';
import { writeReport, writeResults } from '../results/results.ts';
import type { PreparedRun } from '../scenario/prepare.ts';
import { type Judgement, judgeRun } from './judge.ts';
import { writeRunJson } from './run-dir.ts';
import type { RunRecord } from './run-record.ts';
import type { RunState } from './state.ts';

export async function finishRun(state: RunState): Promise<{ judgement: Judgement; summary: Summary }> {
  writeRecords(state);
  state.progress.log('  checking the history');
  const judgement = judgeHistory(state);
  const summary = writeResults(state.runDir, state.record, judgement);
  await writeReport(state.runDir, summary, state.progress);
  return { judgement, summary };
}

function writeRecords(state: RunState): void {
  const { record, applied, runDir, prepared } = state;
  record.faults = record.faults.map((f) => {
    const a = applied.find((x) => x.id === f.id);
    return a === undefined
      ? f
      : { ...f, appliedAt: a.appliedAt, revertedAt: a.revertedAt, ...(a.error ? { error: a.error } : {}) };
  });
  const endedAt = new Date();
  record.endedAt = endedAt.toISOString();
  record.wallSeconds = (performance.now() - state.started) / 1000;
  writeRunJson(runDir, record);
  writeFileSync(join(runDir, 'faults.json'), `${JSON.stringify(faultsFile(prepared, record), null, 2)}\n`);
}

function judgeHistory(state: RunState): Judgement {
  const { runDir, record, prepared } = state;
  try {
    return judgeRun({ runDir, record, thresholds: prepared.thresholds });
  } catch (error) {
    // A checker that crashes must still leave a summary behind that says so (exit 1).
    record.errors.push(
      `checking the history failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return judgeRun({ runDir, record, thresholds: prepared.thresholds, events: [] });
  }
}

function faultsFile(prepared: PreparedRun, record: RunRecord) {
  return {
    aliases: prepared.aliases,
    faults: prepared.faults.map((f) => {
      const applied = record.faults.find((x) => x.id === f.id);
      return {
        id: f.id,
        kind: f.kind,
        target: f.target,
        regions: f.regions,
        at: f.at,
        until: f.until,
        appliedAt: applied?.appliedAt ?? null,
        revertedAt: applied?.revertedAt ?? null,
        ...(applied?.error ? { error: applied.error } : {}),
        actions: f.actions,
        reverts: f.reverts,
        ...(f.steps ? { steps: f.steps } : {}),
      };
    }),
  };
}
