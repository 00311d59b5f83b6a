// The client-frame fuzzer (issue 12, Fuzzing): frames of every client type generated from the
// protocol's schemas, valid, mutated, garbage and binary, sent one by one and interleaved in
// batches to a running node. What must hold for every case: each frame gets exactly one answer
// (a coded error, or the ack or sync answer the protocol promises for a valid frame, judged by
// the protocol's own schema), every frame the node sends is valid by ServerFrame, the connection
// stays open except where the protocol closes it (1009 for an oversized frame, 1007 for text
// that is not UTF-8), the node never crashes, its memory stays bounded, and every acked body
// reads back byte-identical, pushed and synced. Cases come from a fixed seed, so a finding
// replays; the runner reports how many cases it tried and what it found, and never throws.
import fc from 'fast-check';
import {
  ClientFrame,
  ConversationId,
  ErrorCode,
  MessageBody,
  SendFrame,
  ServerFrame,
  SyncFrame,
} from '../../../contracts/wire.ts';
import { sleep } from '../../../lib/async.ts';
import { connect, type Frame, type TestClient } from '../ws-client.ts';
import { arbitraryOf, garbageArb, mutatedArb } from './arbitraries.ts';
import type { Finding, FuzzOptions, FuzzReport } from './report.ts';

export interface FrameFuzzTarget {
  /** ws://host:port/ws */
  wsUrl: string;
  /** http://host:port, for /metrics and /healthz. */
  httpUrl: string;
  token(user: string): string;
  /** False once the node's process has exited. */
  alive(): boolean;
  maxFrameBytes: number;
  maxBodyBytes: number;
}

/** The conversations the target must have: `room` of alice and bob, `other` without alice. */
export const FUZZ_CONVERSATIONS = [
  { id: 'room', members: ['alice', 'bob'] },
  { id: 'other', members: ['carol'] },
];

/** How much the node's RSS may grow over a run before it counts as a finding. */
export const RSS_GROWTH_BOUND = 128 * 1024 * 1024;

const CMID = 'CMID@';
const TERMINAL = new Set(['ack', 'error', 'synced', 'behind', 'reset']);

type Expect = 'ack' | 'sync' | 'error' | 'close';
interface FrameCase {
  text: string;
  binary: boolean;
  what: string;
}

const convArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant('room') },
  { weight: 1, arbitrary: fc.constant('other') },
  { weight: 1, arbitrary: fc.constant('nowhere') },
  { weight: 1, arbitrary: arbitraryOf(ConversationId) },
);
const bodyArb = fc.oneof(
  { weight: 6, arbitrary: arbitraryOf(MessageBody) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 4000, maxLength: 9000 }) },
);
const sendArb = arbitraryOf(SendFrame, { conv: convArb, cmid: fc.constant(CMID), body: bodyArb });
const syncArb = arbitraryOf(SyncFrame, { conv: convArb });
const validArb = fc.oneof({ weight: 3, arbitrary: sendArb }, { weight: 1, arbitrary: syncArb });

function frameArb(maxFrameBytes: number): fc.Arbitrary<FrameCase> {
  const text = (arb: fc.Arbitrary<{ text: string; what: string }>) =>
    arb.map(({ text: t, what }) => ({ text: t, binary: false, what }));
  return fc
    .oneof(
      {
        weight: 4,
        arbitrary: validArb.map((doc) => ({ text: JSON.stringify(doc), binary: false, what: 'valid' })),
      },
      { weight: 5, arbitrary: text(mutatedArb(validArb)) },
      { weight: 1, arbitrary: text(garbageArb(validArb)) },
      {
        weight: 1,
        arbitrary: fc.oneof(
          fc
            .uint8Array({ maxLength: 64 })
            .map((b) => ({ text: Buffer.from(b).toString('latin1'), binary: true, what: 'binary' })),
          validArb.map((doc) => ({
            text: JSON.stringify(doc),
            binary: true,
            what: 'valid JSON as a binary frame',
          })),
        ),
      },
    )
    .filter((c) => Buffer.byteLength(c.text) <= maxFrameBytes);
}

/** Frames the protocol answers by closing: one at a time, never interleaved. */
function closingArb(maxFrameBytes: number): fc.Arbitrary<FrameCase> {
  return fc.oneof(
    fc.integer({ min: maxFrameBytes + 1, max: maxFrameBytes * 2 }).map((n) => ({
      text: JSON.stringify({ type: 'send', conv: 'room', cmid: CMID, body: 'z'.repeat(n) }),
      binary: false,
      what: 'a frame over the limit',
    })),
    fc
      .constantFrom('\xff', '\xc3\x28', '\xed\xa0\x80', '{"type":"sync","conv":"\xc0\xaf"}')
      .map((latin1) => ({
        text: latin1,
        binary: false,
        what: 'text that is not UTF-8',
      })),
  );
}

export function caseArb(maxFrameBytes: number): fc.Arbitrary<FrameCase[]> {
  return fc.oneof(
    { weight: 14, arbitrary: fc.array(frameArb(maxFrameBytes), { minLength: 1, maxLength: 8 }) },
    { weight: 1, arbitrary: closingArb(maxFrameBytes).map((c) => [c]) },
  );
}

interface Expected {
  expect: Expect;
  code?: string;
  /** A valid send's cmid and body. */
  cmid?: string;
  body?: string;
}

/** What the protocol promises for one frame, judged by its own schema (docs/PROTOCOL.md). */
function expectation(c: FrameCase, target: FrameFuzzTarget): Expected {
  if (c.what === 'text that is not UTF-8') return { expect: 'close', code: '1007' };
  if (Buffer.byteLength(c.text, c.binary ? 'latin1' : 'utf8') > target.maxFrameBytes)
    return { expect: 'close', code: '1009' };
  if (c.binary) return { expect: 'error', code: 'bad_frame' };
  let doc: unknown;
  try {
    doc = JSON.parse(c.text);
  } catch {
    return { expect: 'error', code: 'bad_frame' };
  }
  const parsed = ClientFrame.safeParse(doc);
  if (!parsed.success) return { expect: 'error' };
  const frame = parsed.data;
  if (frame.type === 'send' && Buffer.byteLength(frame.body) > target.maxBodyBytes)
    return { expect: 'error', code: 'too_large' };
  if (frame.conv === 'other') return { expect: 'error', code: 'forbidden' };
  if (frame.conv !== 'room') return { expect: 'error', code: 'not_found' };
  return frame.type === 'send' ? { expect: 'ack', cmid: frame.cmid, body: frame.body } : { expect: 'sync' };
}

interface RunState {
  target: FrameFuzzTarget;
  alice: TestClient;
  bob: TestClient;
  /** cmid → body, for every acked send. */
  acked: Map<string, { body: string; seq: number }>;
  findings: Finding[];
}

async function open(target: FrameFuzzTarget, user: string): Promise<TestClient> {
  const c = await connect(target.wsUrl, target.token(user));
  await c.waitFor((f) => f.type === 'welcome', 10_000, 'welcome');
  return c;
}

function note(state: RunState, caseNo: number, input: string, problem: string): void {
  if (state.findings.length < 50) state.findings.push({ case: caseNo, input: input.slice(0, 300), problem });
}

async function waitTerminal(c: TestClient, from: number, count: number, ms: number): Promise<Frame[]> {
  const deadline = performance.now() + ms;
  const terminal = (): Frame[] => c.frames.slice(from).filter((f) => TERMINAL.has(f.type));
  while (terminal().length < count && performance.now() < deadline && c.ws.readyState === c.ws.OPEN)
    await sleep(5);
  await sleep(20); // anything extra arrives now, and shows as a second answer
  return terminal();
}

/** Sends one closing frame; the node must close with the documented code, and take us back. */
async function runClosing(state: RunState, caseNo: number, c: FrameCase, code: string): Promise<void> {
  const text = c.text.replace(JSON.stringify(CMID), JSON.stringify(`f${caseNo}-0`));
  state.alice.sendRaw(c.what === 'text that is not UTF-8' ? Buffer.from(text, 'latin1') : text, false);
  const closed = await Promise.race([state.alice.closed, sleep(5000).then(() => null)]);
  if (closed === null || String(closed.code) !== code) {
    note(
      state,
      caseNo,
      c.what,
      `expected close ${code}, got ${closed === null ? 'no close in 5 s' : closed.code}`,
    );
  }
  state.alice.ws.terminate();
  state.alice = await open(state.target, 'alice');
}

async function runBatch(state: RunState, caseNo: number, batch: FrameCase[]): Promise<void> {
  const alice = state.alice;
  const from = alice.frames.length;
  const cmids = batch.map((_, i) => `f${caseNo}-${i}`);
  const sent = batch.map((c, i) => c.text.replace(JSON.stringify(CMID), JSON.stringify(cmids[i])));
  const expected = batch.map((c, i) => expectation({ ...c, text: sent[i]! }, state.target));
  for (const [i, c] of batch.entries())
    alice.sendRaw(c.binary ? Buffer.from(sent[i]!, 'latin1') : sent[i]!, c.binary);
  const answers = await waitTerminal(alice, from, batch.length, 10_000);
  const input = JSON.stringify(batch.map((c, i) => `${c.what}: ${sent[i]!.slice(0, 120)}`));
  if (alice.ws.readyState !== alice.ws.OPEN) {
    note(state, caseNo, input, 'the node closed a connection the protocol keeps open');
    state.alice = await open(state.target, 'alice');
    return;
  }
  if (answers.length !== batch.length)
    note(state, caseNo, input, `${batch.length} frames got ${answers.length} answers`);
  for (const f of alice.frames.slice(from)) {
    const valid = ServerFrame.safeParse(f);
    if (!valid.success) note(state, caseNo, input, `invalid server frame ${JSON.stringify(f).slice(0, 200)}`);
    if (f.type === 'error' && (!ErrorCode.safeParse(f.code).success || String(f.message).length === 0)) {
      note(state, caseNo, input, `error without a code or message: ${JSON.stringify(f).slice(0, 200)}`);
    }
  }
  judge(state, caseNo, input, batch, expected, cmids, answers);
}

/** Matches answers to frames: acks and send errors by cmid, the rest by count per kind. */
function judge(
  state: RunState,
  caseNo: number,
  input: string,
  batch: FrameCase[],
  expected: Expected[],
  cmids: string[],
  answers: Frame[],
): void {
  const limited = answers.filter((a) => a.type === 'error' && a.code === 'rate_limited').length;
  const count = (e: Expect) => expected.filter((x) => x.expect === e).length;
  const acks = answers.filter((a) => a.type === 'ack');
  const syncs = answers.filter((a) => a.type === 'synced' || a.type === 'behind' || a.type === 'reset');
  for (const [i, e] of expected.entries()) {
    const cmid = e.cmid ?? cmids[i]!;
    const ack = acks.find((a) => a.cmid === cmid);
    if (e.expect === 'ack' && ack === undefined && limited === 0)
      note(state, caseNo, input, `frame ${i} (valid send) was not acked`);
    if (e.expect !== 'ack' && ack !== undefined && !expected.some((x) => x.cmid === cmid)) {
      note(state, caseNo, input, `frame ${i} (${batch[i]!.what}) was acked`);
    }
    if (e.expect === 'ack' && ack !== undefined) {
      // A resent cmid is deduplicated: it keeps the seq and the body it was first acked with.
      const first = state.acked.get(cmid);
      if (first !== undefined && first.seq !== Number(ack.seq)) {
        note(state, caseNo, input, `cmid ${cmid} acked at seq ${String(ack.seq)}, first at ${first.seq}`);
      }
      if (first === undefined) state.acked.set(cmid, { body: e.body!, seq: Number(ack.seq) });
    }
    if (e.code !== undefined && e.expect === 'error') {
      const err = answers.find((a) => a.type === 'error' && a.cmid === cmids[i]);
      if (err !== undefined && err.code !== e.code && err.code !== 'rate_limited') {
        note(
          state,
          caseNo,
          input,
          `frame ${i} (${batch[i]!.what}) got ${String(err.code)}, expected ${e.code}`,
        );
      }
    }
  }
  if (acks.length > count('ack'))
    note(state, caseNo, input, `${acks.length} acks for ${count('ack')} valid sends`);
  if (syncs.length + limited < count('sync') || syncs.length > count('sync')) {
    note(state, caseNo, input, `${syncs.length} sync answers for ${count('sync')} valid syncs`);
  }
}

async function rss(target: FrameFuzzTarget): Promise<number> {
  const text = await (await fetch(`${target.httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('process_resident_memory_bytes'));
  return Number(line?.slice(line.lastIndexOf(' ') + 1) ?? Number.NaN);
}

/** Every acked body, read back by a fresh session's sync and by bob's pushes, must be identical. */
async function readBack(state: RunState): Promise<void> {
  const reader = await open(state.target, 'bob');
  try {
    reader.send({ type: 'sync', conv: 'room', afterSeq: 0 });
    await reader.waitFor((f) => f.type === 'synced', 30_000, 'synced');
    const synced = new Map(reader.frames.filter((f) => f.type === 'msg').map((f) => [String(f.cmid), f]));
    const pushed = new Map(state.bob.frames.filter((f) => f.type === 'msg').map((f) => [String(f.cmid), f]));
    for (const [cmid, { body, seq }] of state.acked) {
      const s = synced.get(cmid);
      if (s === undefined || s.body !== body || s.seq !== seq) {
        note(
          state,
          -1,
          cmid,
          `acked body read back by sync as ${JSON.stringify(s?.body)?.slice(0, 80)} at seq ${String(s?.seq)}, sent ${JSON.stringify(body).slice(0, 80)} acked at ${seq}`,
        );
      }
      const p = pushed.get(cmid);
      if (p === undefined || p.body !== body)
        note(state, -1, cmid, `acked body pushed as ${JSON.stringify(p?.body)?.slice(0, 80)}`);
    }
  } finally {
    await reader.close();
  }
}

/** Runs the client-frame fuzzer against a running node; never throws for a finding. */
export async function fuzzClientFrames(target: FrameFuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const cases = fc.sample(caseArb(target.maxFrameBytes), { seed: options.seed, numRuns: options.runs });
  const state: RunState = {
    target,
    alice: await open(target, 'alice'),
    bob: await open(target, 'bob'),
    acked: new Map(),
    findings: [],
  };
  const rss0 = await rss(target);
  let tried = 0;
  let frames = 0;
  try {
    for (const [caseNo, batch] of cases.entries()) {
      if (performance.now() - started > options.timeBudgetMs) break;
      tried++;
      frames += batch.length;
      const closing = batch.length === 1 ? expectation(batch[0]!, target) : undefined;
      if (closing?.expect === 'close') await runClosing(state, caseNo, batch[0]!, closing.code!);
      else await runBatch(state, caseNo, batch);
      if (!target.alive()) {
        note(state, caseNo, JSON.stringify(batch).slice(0, 300), 'the node process exited');
        break;
      }
    }
    if (target.alive()) {
      await readBack(state);
      const growth = (await rss(target)) - rss0;
      if (!(growth < RSS_GROWTH_BOUND))
        note(state, -1, '', `RSS grew by ${Math.round(growth / 2 ** 20)} MiB`);
      const health = await fetch(`${target.httpUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
      if (health.status !== 200) note(state, -1, '', `healthz answered ${health.status} after the run`);
    }
  } catch (error) {
    note(
      state,
      tried,
      '',
      `the fuzzer itself failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await Promise.all([state.alice.close(), state.bob.close()].map((p) => p.catch(() => {})));
  }
  return {
    surface: 'client frames (WebSocket)',
    cases: tried,
    detail: `${frames} frames, ${state.acked.size} acked and read back`,
    findings: state.findings,
    durationMs: Math.round(performance.now() - started),
  };
}
