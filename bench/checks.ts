// How fast the checkers judge a big history, and how much memory they take, at 1M and 5M events
// (50k with --quick). A seeded valid history (test/support/synthetic.ts, with a region outage)
// is written to a JSONL file, then each measurement runs in a child process of its own so its
// peak RSS (VmHWM) is its alone. Both shapes stream the file, as `chatquake run` and
// `chatquake check` do (harness/run/judge.ts feeds iterateHistorySync into checkHistory):
//   read+iterate  iterateHistorySync over the file, only touching each event: the baseline,
//                 what reading and parsing the file costs, with node's own memory;
//   stream+check  checkHistory fed by iterateHistorySync: the user's run. Its time over the
//                 baseline's is the checker's own time; its peak over the baseline's is the
//                 checker's own memory.
// The valid history must yield no violation (else the benchmark fails). Full run ~2 minutes,
// most of it generating, parsing and checking the 5M-event file.
//
//   npm run bench -- checks [--quick] [--strict]
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CheckReport, checkHistory } from '../checks/index.ts';
import type { HistoryEvent } from '../contracts/history.ts';
import { iterateHistorySync } from '../load/reader.ts';
import { syntheticHistory } from '../test/support/synthetic.ts';
import { type BenchResult, benchArgs, finish, type Goal, goal, type Row } from './support/bench.ts';

const MODES = ['generate', 'read-iterate', 'stream-check'] as const;
type Mode = (typeof MODES)[number];

/** What a child reports on its last line of output. */
interface ChildResult {
  events: number;
  /** Wall time of the whole pass (reading, parsing and, for stream+check, checking); generating for generate. */
  ms: number;
  /** CPU seconds of the pass, GC threads included: steadier than wall time on a shared machine. */
  cpu: number;
  /** VmHWM of the child, bytes. */
  peakRss: number;
  violations: number;
  invalid: number;
  bytes: number;
}

const MB = 1024 * 1024;
/** Each child is killed after this long, so a regression cannot hang the suite. */
const CHILD_TIMEOUT_MS = 90_000;

function violationsOf(report: CheckReport): number {
  const c = report.consistency;
  return (
    c.ackedLost +
    c.unexpected +
    c.failedButAppeared +
    c.duplicates +
    c.orderViolations +
    c.divergentConversations +
    c.readYourWritesViolations +
    c.monotonicReadViolations +
    c.silentGaps +
    c.residencyViolations +
    c.unconvergedConversations +
    (report.valid.ok ? 0 : 1)
  );
}

/** Writes a valid history of about `target` events (~4.9 events per message at 3–5 members). */
function generate(file: string, target: number): ChildResult {
  const start = performance.now();
  const events = syntheticHistory({
    seed: 7,
    users: 2000,
    conversations: 500,
    members: [3, 5],
    messages: Math.round(target / 4.8),
    gapMs: 0.2,
    outage: true,
  });
  const fd = openSync(file, 'w');
  const batch: string[] = [];
  for (const e of events) {
    batch.push(`${JSON.stringify(e)}\n`);
    if (batch.length === 8192) writeSync(fd, batch.splice(0).join(''));
  }
  writeSync(fd, batch.join(''));
  closeSync(fd);
  const ms = performance.now() - start;
  return { ...emptyResult(), events: events.length, ms, bytes: statSync(file).size };
}

function emptyResult(): ChildResult {
  return { events: 0, ms: 0, cpu: 0, peakRss: 0, violations: 0, invalid: 0, bytes: 0 };
}

/** Touches what a checker reads of every event, so the baseline walks the same objects. */
function iterate(events: Iterable<HistoryEvent>): number {
  let n = 0;
  let sum = 0;
  for (const e of events) {
    n++;
    sum += e.t;
    if (e.type === 'deliver') sum += e.seq + e.cmid.length;
  }
  return Number.isNaN(sum) ? -n : n;
}

function runChild(mode: Mode, file: string, target: number): ChildResult {
  if (mode === 'generate') return generate(file, target);
  const result = emptyResult();
  const start = performance.now();
  const cpu = process.cpuUsage();
  const stream = iterateHistorySync(file);
  if (mode === 'read-iterate') {
    result.events = iterate(stream);
    result.invalid = stream.invalidLines.length;
  } else {
    const report = checkHistory(stream);
    result.events = report.run.events;
    result.violations = violationsOf(report);
    result.invalid = report.run.invalidEvents + stream.invalidLines.length;
  }
  result.ms = performance.now() - start;
  result.cpu = cpuSeconds(cpu);
  return result;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

function peakRss(): number {
  // maxRSS is in kilobytes: the child's VmHWM at this point.
  return process.resourceUsage().maxRSS * 1024;
}

function spawnChild(mode: Mode, file: string, target: number): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(
    process.execPath,
    ['--max-old-space-size=6144', '--import', 'tsx', self, '--child', mode, file, String(target)],
    { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, maxBuffer: 16 * MB },
  );
  const last = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !last.startsWith('{')) {
    throw new Error(
      `checks bench: child ${mode} ${target} exited ${child.status ?? child.signal}: ${child.stderr.slice(-2000)}`,
    );
  }
  return JSON.parse(last) as ChildResult;
}

interface Measured {
  target: number;
  file: ChildResult;
  base: ChildResult;
  check: ChildResult;
}

function measure(dir: string, target: number): Measured {
  const file = join(dir, `history-${target}.jsonl`);
  try {
    const gen = spawnChild('generate', file, target);
    const base = spawnChild('read-iterate', file, target);
    const check = spawnChild('stream-check', file, target);
    return { target, file: gen, base, check };
  } finally {
    rmSync(file, { force: true });
  }
}

const rate = (events: number, ms: number): number => Math.round(events / (ms / 1000));

/** The checker's own time: the streamed check's over the baseline's read of the same file. */
const ownMs = (m: Measured): number => Math.max(0, m.check.ms - m.base.ms);

function rows(m: Measured): Row[] {
  const size = `${m.file.events.toLocaleString('en-US')} events`;
  const base = m.base;
  const check = m.check;
  return [
    {
      size,
      shape: 'read+iterate',
      s: base.ms / 1000,
      'CPU s': base.cpu,
      'events/s': rate(base.events, base.ms),
      "checker's own s": '',
      "checker's own events/s": '',
      'peak MB': Math.round(base.peakRss / MB),
      "checker's own MB": '',
      note: `baseline; file ${Math.round(m.file.bytes / MB)} MB`,
    },
    {
      size,
      shape: 'stream+check',
      s: check.ms / 1000,
      'CPU s': check.cpu,
      'events/s': rate(check.events, check.ms),
      "checker's own s": ownMs(m) / 1000,
      "checker's own events/s": ownMs(m) > 0 ? rate(check.events, ownMs(m)) : '',
      'peak MB': Math.round(check.peakRss / MB),
      "checker's own MB": Math.round((check.peakRss - base.peakRss) / MB),
      note: `the judge's shape; ${(check.ms / base.ms).toFixed(1)}x the baseline's time`,
    },
  ];
}

function problems(m: Measured): string[] {
  const found: string[] = [];
  const r = m.check;
  if (r.violations !== 0)
    found.push(`stream+check at ${m.target}: ${r.violations} violations in a valid history`);
  if (r.events !== m.file.events || r.invalid !== 0)
    found.push(
      `stream+check at ${m.target}: judged ${r.events} of ${m.file.events} events, ${r.invalid} invalid`,
    );
  if (m.base.events !== m.file.events || m.base.invalid !== 0)
    found.push(`read+iterate at ${m.target}: read ${m.base.events} of ${m.file.events} events`);
  return found;
}

function goals(all: Measured[]): Goal[] {
  const [small, big] = all;
  if (small === undefined || big === undefined) return [];
  return [
    goal("1M: the checker's own time (stream+check over read+iterate)", ownMs(small) / 1000, '<=', 3, ' s'),
    goal("5M: the checker's own time (stream+check over read+iterate)", ownMs(big) / 1000, '<=', 15, ' s'),
    goal(
      "5M: the checker's own peak RSS (stream+check over read+iterate)",
      (big.check.peakRss - big.base.peakRss) / MB,
      '<=',
      1024,
      ' MB',
    ),
  ];
}

function main(): void {
  const args = benchArgs();
  const targets = args.quick ? [50_000] : [1_000_000, 5_000_000];
  const dir = mkdtempSync(join(tmpdir(), 'chatquake-bench-checks-'));
  let measured: Measured[];
  try {
    measured = targets.map((target) => measure(dir, target));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const found = measured.flatMap(problems);
  const result: BenchResult = {
    name: 'checks',
    rows: measured.flatMap(rows),
    goals: goals(measured),
    notes: [
      'each shape runs in a child process of its own; peak MB is its VmHWM (node and tsx included, ~100 MB)',
      "the baseline streams the same file and only touches each event: the checker's own time and memory are stream+check's over it",
      'stream+check is what harness/run/judge.ts does: reading, parsing and checking interleave on one thread, so its s is what a user waits',
    ],
    data: measured,
    ...(found.length > 0 ? { failure: found.join('; ') } : {}),
  };
  finish(result, args);
}

const childAt = process.argv.indexOf('--child');
if (childAt !== -1) {
  const [mode, file, target] = process.argv.slice(childAt + 1);
  if (!MODES.includes(mode as Mode) || file === undefined || target === undefined)
    throw new Error(`checks bench: --child takes one of ${MODES.join(', ')}, a file and an event count`);
  const result = runChild(mode as Mode, file, Number(target));
  result.peakRss = peakRss();
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  main();
}
