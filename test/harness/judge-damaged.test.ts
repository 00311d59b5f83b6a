// Regression cases of issue 12 item 4: a damaged run folder is judged for what it holds and says
// what it could not judge. A history shorter than run.json says, one with malformed lines, one
// with no load, or a killed run's, is never PASSED; each says why in its verdict.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSummary, formatEndOfRun } from '../../harness/results/results.ts';
import { type Judgement, judgeRun } from '../../harness/run/judge.ts';
import type { RunRecord } from '../../harness/run/run-record.ts';
import { mergeThresholds, validateThresholds } from '../../harness/scenario/thresholds.ts';
import {
  asFile,
  finishedRecord,
  killedRecord,
  passingHistory,
  writeRunFolder,
} from '../support/run-folder.ts';

const root = mkdtempSync(join(tmpdir(), 'chatquake-damaged-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const thresholds = validateThresholds(mergeThresholds({}));
const { events, lines } = passingHistory();
const sent = events.filter((e) => e.type === 'send').length;
const finished = (load: Partial<NonNullable<RunRecord['load']>> = {}) => finishedRecord(events, load);
const killed = () => killedRecord(events);

let folders = 0;
function judge(text: string, record: RunRecord): Judgement {
  const runDir = writeRunFolder(join(root, `run-${folders++}`), text, record);
  return judgeRun({ runDir, record, thresholds });
}

const whole = asFile;

describe('judging a damaged run folder (issue 12 item 4)', () => {
  it('passes the intact run (the baseline of every case below)', () => {
    const j = judge(whole(lines), finished());
    expect(j).toMatchObject({ exitCode: 0, ok: true, valid: true });
  });

  it('never passes a history cut to half its lines: it is cut, and says how much is there', () => {
    const j = judge(whole(lines.slice(0, Math.floor(lines.length / 2))), finished());
    expect(j.exitCode).toBe(96);
    expect(j.valid).toBe(false);
    expect(j.reason).toMatch(/cut/);
    expect(j.invalidReasons.join('\n')).toMatch(new RegExp(`\\d+ of the ${sent} sends`));
  });

  it('never passes a history cut after its last send: no run_end although run.json says it finished', () => {
    const withoutEnd = lines.filter((l) => !l.includes('"type":"run_end"'));
    const j = judge(whole(withoutEnd), finished());
    expect(j.exitCode).toBe(96);
    expect(j.invalidReasons.join('\n')).toMatch(/no run_end although run\.json says the run finished/);
  });

  it('never passes a history of only run_start: with run.json counting sends it is cut', () => {
    const j = judge(whole(lines.slice(0, 1)), finished());
    expect(j.exitCode).toBe(96);
    expect(j.reason).toMatch(/cut/);
  });

  it('never passes a run with no load: 96, invalid, saying so', () => {
    const onlyStart = whole(lines.slice(0, 1));
    const j = judge(onlyStart, finished({ sent: 0, acked: 0, delivered: 0 }));
    expect(j).toMatchObject({ exitCode: 96, valid: false, ok: false });
    expect(j.reason).toMatch(/no load/);
  });

  it('counts and reports a malformed line mid-file instead of skipping it silently', () => {
    const damaged = [...lines];
    damaged.splice(100, 0, '{"type":"ack","t":');
    damaged.splice(150, 0, 'not json at all');
    const j = judge(whole(damaged), finished());
    expect(j.exitCode).toBe(96);
    const said = j.invalidReasons.join('\n');
    expect(said).toMatch(/2 lines of history\.jsonl .*(101|line 101)/);
    expect(said).toMatch(/151/);
    const summary = buildSummary(finished(), j);
    expect(summary.invalidReasons.join('\n')).toMatch(/2 lines/);
  });

  it('never passes a history whose lines were duplicated', () => {
    const j = judge(whole([...lines, ...lines.slice(1)]), finished());
    expect(j.ok).toBe(false);
    expect(j.exitCode).not.toBe(0);
  });

  it('judges a killed run up to its cut and says so, not "no load ran"', () => {
    // SIGKILL mid-load: the history stops in the middle of a line, run.json is the plan.
    const cutAt = lines.findIndex((l) => l.includes('"type":"deliver"')) + 60;
    const text = `${lines.slice(0, cutAt).join('\n')}\n${(lines[cutAt] as string).slice(0, 20)}`;
    const j = judge(text, killed());
    expect(j.exitCode).toBe(1);
    expect(j.ok).toBe(false);
    expect(j.truncated).toBe(true);
    expect(j.reason).not.toMatch(/no load ran/);
    expect(j.reason).toMatch(/did not finish/);
    const shownSent = events.slice(0, cutAt).filter((e) => e.type === 'send').length;
    expect(j.reason).toContain(`${shownSent} sent`);
    const summary = buildSummary(killed(), j);
    expect(summary.notes.join('\n')).toMatch(/cut/);
    expect(formatEndOfRun(summary, j, 'runs/x')).toMatch(/ERROR \(exit 1\): the run did not finish/);
  });

  it('keeps a history ending mid-line of a finished run from passing', () => {
    const j = judge(`${whole(lines)}{"type":"deliv`, finished());
    expect(j.exitCode).toBe(96);
    expect(j.invalidReasons.join('\n')).toMatch(/mid-line/);
  });
});

describe('no event of the history is lost to the judge', () => {
  it('reads the same events from the file as it is given in memory', () => {
    const fromFile = judge(whole(lines), finished());
    const given = judgeRun({
      runDir: '/nonexistent',
      record: finished(),
      thresholds,
      events,
    });
    expect(fromFile.report.load).toEqual(given.report.load);
  });
});
