import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryEvent } from '../../contracts/history.ts';
import { readHistory, readHistorySync } from '../../load/reader.ts';
import { createRecorder } from '../../load/recorder.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chatquake-recorder-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function sampleEvents(n: number): HistoryEvent[] {
  const events: HistoryEvent[] = [
    { type: 'run_start', t: 1000.5, runId: 'r1', scenario: 's', seed: 1, regions: ['eu', 'us'] },
    { type: 'phase', t: 1001, name: 'load_start' },
  ];
  for (let i = 0; i < n; i++) {
    const cmid = `u${i % 7}-${i}`;
    events.push({ type: 'send', t: 1002 + i, intendedAt: 1001.25 + i, user: `u${i % 7}`, conv: 'dm0', cmid });
    events.push({
      type: 'ack',
      t: 1003 + i,
      user: `u${i % 7}`,
      conv: 'dm0',
      cmid,
      seq: i + 1,
      epoch: 2,
      level: 'replicated',
    });
    events.push({
      type: 'deliver',
      t: 1004 + i,
      user: 'u9',
      session: 'u9#1',
      conv: 'dm0',
      cmid,
      from: `u${i % 7}`,
      seq: i + 1,
      via: i % 2 === 0 ? 'push' : 'sync',
    });
  }
  events.push({
    type: 'final_read',
    t: 9999,
    region: 'eu',
    conv: 'dm0',
    ok: true,
    messages: [{ seq: 1, cmid: 'u0-0', from: 'u0' }],
  });
  return events;
}

describe('recorder and reader', () => {
  it('round-trips every event, in order, through both readers', async () => {
    const path = join(dir, 'history.jsonl');
    const events = sampleEvents(3000);
    const recorder = createRecorder(path, { maxBufferedEvents: 1000 });
    for (const e of events) recorder.append(e);
    expect(recorder.count).toBe(events.length);
    await recorder.close();

    const sync = readHistorySync(path);
    expect(sync.truncated).toBe(false);
    expect(sync.invalidLines).toEqual([]);
    expect(sync.events).toEqual(events);
    for (const e of sync.events) expect(HistoryEvent.safeParse(e).success).toBe(true);

    const stream = readHistory(path);
    const streamed: HistoryEvent[] = [];
    for await (const e of stream) streamed.push(e);
    expect(streamed).toEqual(events);
    expect(stream.truncated).toBe(false);
  });

  it('writes on its timer without an explicit flush', async () => {
    const path = join(dir, 'timer.jsonl');
    const recorder = createRecorder(path, { flushIntervalMs: 10 });
    recorder.append({ type: 'phase', t: 1, name: 'load_start' });
    expect(readFileSync(path, 'utf8')).toBe('');
    await new Promise((r) => setTimeout(r, 100));
    expect(readHistorySync(path).events).toHaveLength(1);
    await recorder.close();
  });

  it('writes a full buffer at once and appends to an existing file', async () => {
    const path = join(dir, 'full.jsonl');
    writeFileSync(path, `${JSON.stringify({ type: 'phase', t: 0, name: 'load_start' })}\n`);
    const recorder = createRecorder(path, { maxBufferedEvents: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 25; i++) recorder.append({ type: 'phase', t: i + 1, name: 'load_stop' });
    // Two full batches are on disk, five events wait in memory.
    expect(readHistorySync(path).events).toHaveLength(21);
    recorder.flush();
    expect(readHistorySync(path).events).toHaveLength(26);
    await recorder.close();
    await recorder.close();
    expect(() => recorder.append({ type: 'phase', t: 99, name: 'load_stop' })).toThrow(/after close/);
  });

  it('reads a file cut in the middle of a line and says it was truncated', async () => {
    const path = join(dir, 'cut.jsonl');
    const events = sampleEvents(50);
    const recorder = createRecorder(path);
    for (const e of events) recorder.append(e);
    await recorder.close();
    const full = readFileSync(path, 'utf8');
    // Cut inside the 101st line.
    const lines = full.split('\n');
    const cutAt = lines.slice(0, 100).join('\n').length + 1 + Math.floor(lines[100]!.length / 2);
    truncateSync(path, Buffer.byteLength(full.slice(0, cutAt)));

    const sync = readHistorySync(path);
    expect(sync.truncated).toBe(true);
    expect(sync.invalidLines).toEqual([]);
    expect(sync.events).toEqual(events.slice(0, 100));

    const stream = readHistory(path);
    const streamed: HistoryEvent[] = [];
    for await (const e of stream) streamed.push(e);
    expect(streamed).toEqual(events.slice(0, 100));
    expect(stream.truncated).toBe(true);
  });

  it('keeps a whole last line written without its newline', () => {
    const path = join(dir, 'nonl.jsonl');
    writeFileSync(
      path,
      '{"type":"phase","t":1,"name":"load_start"}\n{"type":"phase","t":2,"name":"load_stop"}',
    );
    const read = readHistorySync(path);
    expect(read.truncated).toBe(false);
    expect(read.events.map((e) => e.t)).toEqual([1, 2]);
  });

  it('skips and reports lines that are not events, by line number', async () => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, '{"type":"phase","t":1,"name":"load_start"}\n');
    appendFileSync(path, 'garbage\n\n[1,2]\n{"type":"x"}\n{"type":"phase","t":2,"name":"load_stop"}\n');
    const read = readHistorySync(path);
    expect(read.invalidLines).toEqual([2, 4, 5]);
    expect(read.events.map((e) => e.t)).toEqual([1, 2]);
    const seen: number[] = [];
    const stream = readHistory(path, { onInvalidLine: (n) => seen.push(n) });
    const streamed: HistoryEvent[] = [];
    for await (const e of stream) streamed.push(e);
    expect(streamed).toHaveLength(2);
    expect(seen).toEqual([2, 4, 5]);
    expect(stream.invalidLines).toEqual([2, 4, 5]);
  });

  it('streams lines split across read chunks and multi-byte characters', async () => {
    const path = join(dir, 'big.jsonl');
    const recorder = createRecorder(path);
    const reason = 'région indisponible — 断线 '.repeat(200);
    for (let i = 0; i < 2000; i++) {
      recorder.append({ type: 'conn_down', t: i, user: 'u1', session: 's1', region: 'eu', reason });
    }
    await recorder.close();
    let n = 0;
    for await (const e of readHistory(path)) {
      expect(e.type === 'conn_down' && e.reason === reason).toBe(true);
      n++;
    }
    expect(n).toBe(2000);
  });
});
