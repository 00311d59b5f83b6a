// `chatquake ingest k6`: k6 outputs of a synthetic history, split over two instances, judged as
// the history itself is judged; the merge's rules (static facts once, conflicts named by both
// files, bad samples by file:line), the clock check across instances, and a run with no final
// reads said so.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../contracts/history.ts';
import { main as checkMain } from '../../harness/commands/check.ts';
import { main } from '../../harness/commands/ingest.ts';
import { eventOfLine } from '../../harness/k6/ingest/k6-json.ts';
import { parsePlan } from '../../harness/k6/ingest/plan-schema.ts';
import { ingestK6, NO_TOPOLOGY_WARNING } from '../../harness/k6/ingest.ts';
import { judgeRun } from '../../harness/run/judge.ts';
import { mergeThresholds, validateThresholds } from '../../harness/scenario/thresholds.ts';
import { generateHistory } from '../support/history.ts';
import { finishedRecord } from '../support/run-folder.ts';
import { planOf, sampleLine, scriptOf, splitHistory, writeK6Run } from './fixtures/ingest/k6-output.ts';

const root = mkdtempSync(join(tmpdir(), 'chatquake-ingest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const dir = join(root, `case-${++n}`);
  return dir;
};

function k6Run(events: HistoryEvent[], shift: [number, number] = [0, 0]) {
  const dir = fresh();
  const outDir = join(dir, 'run');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return { dir, outDir, ...writeK6Run(dir, planOf(events), splitHistory(events, shift)) };
}

/** Runs the command with stdout and stderr captured. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = (sink: 'out' | 'err') => (chunk: string | Uint8Array) => {
    if (sink === 'out') out += String(chunk);
    else err += String(chunk);
    return true;
  };
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = write('out') as typeof process.stdout.write;
  process.stderr.write = write('err') as typeof process.stderr.write;
  try {
    return { code: await main(argv), out, err };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}

describe('ingest k6', () => {
  it('judges two instances’ outputs as the history itself is judged', async () => {
    const { events } = generateHistory({ seed: 3 });
    const run = k6Run(events);
    const outcome = await ingestK6({ outputs: run.outputs, script: run.script, outDir: run.outDir });
    const direct = judgeRun({
      runDir: run.dir,
      record: finishedRecord(events),
      thresholds: validateThresholds(mergeThresholds({})),
      events,
    });
    expect(outcome.judgement.exitCode).toBe(0);
    expect(outcome.judgement.exitCode).toBe(direct.exitCode);
    expect(outcome.judgement.checks).toEqual(direct.checks);
    expect(outcome.judgement.thresholds.map((t) => [t.name, t.ok])).toEqual(
      direct.thresholds.map((t) => [t.name, t.ok]),
    );
    expect(outcome.judgement.report.load).toEqual(direct.report.load);
    expect(outcome.judgement.report.latency.ackMs).toEqual(direct.report.latency.ackMs);
    const history = readFileSync(join(run.outDir, 'history.jsonl'), 'utf8').trim().split('\n');
    const types = history.map((l) => (JSON.parse(l) as HistoryEvent).type);
    // Kept once although both instances wrote them; run_end once, last.
    expect(types.filter((t) => t === 'run_start')).toHaveLength(1);
    expect(types[0]).toBe('run_start');
    expect(types.filter((t) => t === 'user')).toHaveLength(12);
    expect(types.at(-1)).toBe('run_end');
    expect(history).toHaveLength(events.length);
    const times = history.map((l) => (JSON.parse(l) as HistoryEvent).t);
    expect(times.slice(1)).toEqual([...times.slice(1)].sort((a, b) => a - b));
    for (const file of ['run.json', 'summary.json', 'junit.xml', 'report.html', 'ingest.json'])
      expect(() => readFileSync(join(run.outDir, file))).not.toThrow();
    const record = JSON.parse(readFileSync(join(run.outDir, 'run.json'), 'utf8'));
    expect(record).toMatchObject({
      runId: 'synthetic-3',
      seed: 3,
      load: { sent: 60, unsent: 0, valid: true },
    });
  });

  it('reads gzipped outputs, puts samples k6 flushed out of order back in time order, and merges --chaos faults', async () => {
    const { events } = generateHistory({ seed: 3 });
    const run = k6Run(events);
    const [first, second] = run.outputs as [string, string];
    // k6 flushes samples in batches: swap neighbours all through the second file.
    const lines = readFileSync(second, 'utf8').trim().split('\n');
    for (let i = 2; i + 1 < lines.length; i += 2)
      [lines[i], lines[i + 1]] = [lines[i + 1] as string, lines[i] as string];
    const gz = `${second}.gz`;
    writeFileSync(gz, gzipSync(`${lines.join('\n')}\n`));
    const loadStart = events.find((e) => e.type === 'phase' && e.name === 'load_start')?.t ?? 0;
    const chaos = join(run.dir, 'faults.jsonl');
    writeFileSync(
      chaos,
      [
        {
          type: 'fault_start',
          t: loadStart + 500,
          faultId: 'cut',
          kind: 'regionIsolation',
          target: 'region us-east',
          regions: ['us-east'],
        },
        { type: 'fault_stop', t: loadStart + 1500, faultId: 'cut' },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
    const outcome = await ingestK6({
      outputs: [first, gz],
      script: run.script,
      outDir: run.outDir,
      chaos: [chaos],
    });
    const history = readFileSync(join(run.outDir, 'history.jsonl'), 'utf8').trim().split('\n');
    expect(history).toHaveLength(events.length + 2);
    const times = history.map((l) => (JSON.parse(l) as HistoryEvent).t);
    expect(times.slice(1)).toEqual([...times.slice(1)].sort((a, b) => a - b));
    expect(outcome.domains[1]?.disorderMs).toBeGreaterThan(0);
    expect(outcome.summary.load.sent).toBe(60);
    const record = JSON.parse(readFileSync(join(run.outDir, 'run.json'), 'utf8'));
    expect(record.faults).toEqual([
      expect.objectContaining({ id: 'cut', kind: 'regionIsolation', appliedAt: 500, revertedAt: 1500 }),
    ]);
    expect(outcome.judgement.report.faults).toEqual([
      expect.objectContaining({ id: 'cut', kind: 'regionIsolation' }),
    ]);
  });

  it('refuses a --chaos line that is not a fault event, naming file:line', async () => {
    const { events } = generateHistory({ seed: 3 });
    const run = k6Run(events);
    const chaos = join(run.dir, 'faults.jsonl');
    writeFileSync(
      chaos,
      `${JSON.stringify({ type: 'fault_stop', t: 1, faultId: 'x' })}\n${JSON.stringify({ type: 'fault_stop', t: 1 })}\n`,
    );
    const result = await cli([
      'k6',
      ...run.outputs,
      '--script',
      run.script,
      '--chaos',
      chaos,
      '--out',
      run.outDir,
    ]);
    expect(result.code).toBe(104);
    expect(result.err).toContain(`--chaos ${chaos}:2: faultId:`);
  });

  it('exits 99 naming acked_lost when an acked message is lost', async () => {
    const { events, truth } = generateHistory({ seed: 5, bugs: { loseAcked: 0.2 } });
    expect(truth.lost.length).toBeGreaterThan(0);
    const run = k6Run(events);
    const result = await cli(['k6', ...run.outputs, '--script', run.script, '--out', run.outDir]);
    expect(result.code).toBe(99);
    expect(result.out).toContain('acked_lost');
    const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8'));
    expect(summary.consistency.ackedLost).toBe(truth.lost.length);
    // `chatquake check` judges the folder again alike; --no-thresholds reports without failing.
    expect(await checkMain([run.outDir, '--quiet'])).toBe(99);
    const lenient = await cli([
      'k6',
      ...run.outputs,
      '--script',
      run.script,
      '--out',
      run.outDir,
      '--no-thresholds',
      '--tag',
      'site=lab',
    ]);
    expect(lenient.code).toBe(0);
    expect(lenient.out).toContain('not gating');
    expect(JSON.parse(readFileSync(join(run.outDir, 'run.json'), 'utf8')).tags).toEqual({ site: 'lab' });
  });

  it('refuses outputs whose run_start disagree, naming both files', async () => {
    const { events } = generateHistory({ seed: 3 });
    const run = k6Run(events);
    const [first, second] = run.outputs as [string, string];
    const lines = readFileSync(second, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('run_start'));
    const start = events[0] as Extract<HistoryEvent, { type: 'run_start' }>;
    lines[at] = sampleLine({ ...start, regions: ['eu-west'] });
    writeFileSync(second, lines.join('\n'));
    const result = await cli(['k6', first, second, '--script', run.script, '--out', run.outDir]);
    expect(result.code).toBe(104);
    expect(result.err).toContain(first);
    expect(result.err).toContain(second);
    expect(result.err).toContain('run_start');
  });

  it('refuses outputs that disagree on a conversation’s members, naming both files', async () => {
    const { events } = generateHistory({ seed: 3 });
    const run = k6Run(events);
    const [first, second] = run.outputs as [string, string];
    const lines = readFileSync(second, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('\\"type\\":\\"conversation\\"'));
    const conv = JSON.parse(JSON.parse(lines[at] as string).data.tags.e);
    lines[at] = sampleLine({ ...conv, members: [...conv.members, 'u99'] });
    writeFileSync(second, lines.join('\n'));
    const result = await cli(['k6', first, second, '--script', run.script, '--out', run.outDir]);
    expect(result.code).toBe(104);
    expect(result.err).toContain(`${first} and ${second} disagree on conversation ${conv.conv}`);
  });

  it('refuses outputs of another script: run_start’s runId or seed is not the plan’s', async () => {
    const { events } = generateHistory({ seed: 3 });
    const run = k6Run(events);
    writeFileSync(run.script, scriptOf({ ...planOf(events), seed: 4 }));
    const result = await cli(['k6', ...run.outputs, '--script', run.script, '--out', run.outDir]);
    expect(result.code).toBe(104);
    expect(result.err).toContain('not of this script');
  });

  it('names file:line and the field of a sample that is not a history event, and the run is invalid', async () => {
    const { events } = generateHistory({ seed: 3 });
    const run = k6Run(events);
    const file = run.outputs[0] as string;
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('\\"type\\":\\"ack\\"'));
    const ack = JSON.parse(JSON.parse(lines[at] as string).data.tags.e);
    lines[at] = sampleLine({ ...ack, cmid: 42 });
    writeFileSync(file, lines.join('\n'));
    const result = await cli(['k6', ...run.outputs, '--script', run.script, '--out', run.outDir]);
    expect(result.code).toBe(96);
    expect(result.err).toContain(`${file}:${at + 1}: e.cmid:`);
    expect(result.out).toContain(`${file}:${at + 1}`);
    // Left out of the merged history, not judged as if it were an event.
    expect(readFileSync(join(run.outDir, 'history.jsonl'), 'utf8')).not.toContain('"cmid":42');
  });

  it('warns of a clock behind another instance’s, and writes every domain to ingest.json', async () => {
    const { events } = generateHistory({ seed: 3 });
    const run = k6Run(events, [0, -400]);
    const outcome = await ingestK6({ outputs: run.outputs, script: run.script, outDir: run.outDir });
    const [first, second] = run.outputs as [string, string];
    const warning = outcome.warnings.find((w) => w.startsWith(`instance ${second}'s clock is at least`));
    expect(warning).toMatch(
      /at least \d+ ms behind .*k6-1\.json's: latencies across them are off by as much/,
    );
    const behind = Number(/at least (\d+) ms/.exec(warning ?? '')?.[1]);
    expect(behind).toBeGreaterThan(0);
    expect(behind).toBeLessThanOrEqual(400);
    expect(outcome.summary.warnings).toContain(warning);
    const ingest = JSON.parse(readFileSync(join(run.outDir, 'ingest.json'), 'utf8'));
    expect(ingest.domains.map((d: { file: string }) => d.file)).toEqual([first, second]);
    expect(ingest.domains[1]).toMatchObject({
      events: expect.any(Number),
      firstT: expect.any(Number),
      lastT: expect.any(Number),
    });
    const bound = ingest.clockBounds.find(
      (b: { from: string; to: string }) => b.from === first && b.to === second,
    );
    expect(Math.ceil(-bound.maxAheadMs)).toBe(behind);
    expect(bound.messages).toBeGreaterThan(0);
    // The other way, instance 1 is at most a little more than 400 ms ahead of instance 2.
    const back = ingest.clockBounds.find(
      (b: { from: string; to: string }) => b.from === second && b.to === first,
    );
    expect(back.maxAheadMs).toBeGreaterThan(400);
    expect(ingest.domains[1].bounds).toHaveLength(2);
    // One load_start, the earliest (instance 2's, 400 ms early), and one load_stop, the latest (instance 1's).
    const merged = readFileSync(join(run.outDir, 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as HistoryEvent);
    const phaseT = (name: string) => events.find((e) => e.type === 'phase' && e.name === name)?.t ?? 0;
    const marks = (name: string) =>
      merged.filter((e) => e.type === 'phase' && e.name === name).map((e) => e.t);
    expect(marks('load_start')).toEqual([phaseT('load_start') - 400]);
    expect(marks('load_stop')).toEqual([phaseT('load_stop')]);
    // The instances' clocks agree: no warning.
    const agreeing = k6Run(events);
    const fine = await ingestK6({
      outputs: agreeing.outputs,
      script: agreeing.script,
      outDir: agreeing.outDir,
    });
    expect(fine.warnings.filter((w) => w.includes('clock'))).toEqual([]);
  });

  it('says the final reads are missing when there is no --topology', async () => {
    const { events } = generateHistory({ seed: 3 });
    const tail = new Set(['digest', 'final_read', 'health']);
    const k6Only = events.filter(
      (e) =>
        !tail.has(e.type) && !(e.type === 'phase' && ['healed', 'converged', 'final_reads'].includes(e.name)),
    );
    const run = k6Run(k6Only);
    const result = await cli(['k6', ...run.outputs, '--script', run.script, '--out', run.outDir]);
    const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8'));
    expect(summary.warnings).toContain(NO_TOPOLOGY_WARNING);
    expect(result.out).toContain('no final reads');
    expect(JSON.stringify(summary)).toContain('no final reads: acked messages were judged only by delivery');
  });

  it('counts a missing instance’s sends as unsent: an invalid run, not a pass', async () => {
    const { events } = generateHistory({ seed: 3 });
    const run = k6Run(events);
    const result = await cli(['k6', run.outputs[0] as string, '--script', run.script, '--out', run.outDir]);
    expect(result.code).toBe(96);
    expect(result.out).toMatch(/\d+ of the plan's 60 sends are in no k6 output/);
  });
});

describe('ingest k6 inputs', () => {
  it('names the plan field a script gets wrong', () => {
    const plan = { ...planOf(generateHistory({ seed: 3 }).events), seed: 'three' };
    expect(() => parsePlan(scriptOf(plan), 'script.js')).toThrow(/script\.js: plan\.seed:/);
    expect(() => parsePlan('export default function () {}', 'script.js')).toThrow(
      /no chatquake-plan markers/,
    );
  });

  it('reads only history samples, and names the field of a bad one', () => {
    expect(eventOfLine('{"type":"Point","metric":"vus","data":{"value":3}}')).toBeUndefined();
    expect(eventOfLine('{"type":"Metric","metric":"im_history","data":{}}')).toBeUndefined();
    expect(eventOfLine('{"type":"Point","metric":"im_history","data":{"value":1,"tags":{}}}')).toMatch(
      /^data\.tags\.e:/,
    );
    expect(eventOfLine(sampleLine({ type: 'phase', t: 1, name: 'load_start' }))).toEqual({
      type: 'phase',
      t: 1,
      name: 'load_start',
    });
  });

  it('refuses a command line without k6, outputs or --script, naming what is missing', async () => {
    expect((await cli(['k5', 'a.json', '--script', 's.js'])).err).toContain('k6');
    const noScript = await cli(['k6', 'a.json']);
    expect(noScript.code).toBe(104);
    expect(noScript.err).toContain('--script');
    const noOutputs = await cli(['k6', '--script', 's.js']);
    expect(noOutputs.code).toBe(104);
    expect(noOutputs.err).toContain('<k6 JSON output>');
    const twice = await cli(['k6', 'a.json', '--script', 's.js', '--tag', 'a=1', '--tag', 'a=2']);
    expect(twice.code).toBe(104);
    expect(twice.err).toContain('--tag: a is given twice');
  });
});
