// A run folder as `chatquake run` leaves it (history.jsonl and run.json), built from the one
// history generator, for tests that damage it on purpose: cut it, corrupt a line, or leave
// run.json as a killed run does (the plan written at the start, never rewritten).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '../../contracts/history.ts';
import { initialRecord } from '../../harness/run/run-dir.ts';
import type { RunRecord } from '../../harness/run/run-record.ts';
import { prepareScenario } from '../../harness/scenario/prepare.ts';
import { parseScenario } from '../../harness/scenario/scenario.ts';
import { generateHistory, T0 } from './history.ts';

/** A small passing history (12 users, 60 messages) and its lines as history.jsonl holds them. */
export function passingHistory(seed = 3): { events: HistoryEvent[]; lines: string[] } {
  const { events } = generateHistory({ seed });
  return { events, lines: events.map((e) => JSON.stringify(e)) };
}

/** run.json of a finished run whose load figures match `events`. */
export function finishedRecord(
  events: HistoryEvent[],
  load: Partial<NonNullable<RunRecord['load']>> = {},
): RunRecord {
  const prepared = prepareScenario(
    parseScenario({
      name: 'damaged',
      description: 'a run folder for tests',
      duration: '3s',
      workload: { users: 12 },
    }),
    'damaged.ts',
    3,
  );
  const record = initialRecord(prepared, 'damaged-3', new Date(T0));
  const count = (type: HistoryEvent['type']) => events.filter((e) => e.type === type).length;
  return {
    ...record,
    endedAt: new Date(T0 + 12_000).toISOString(),
    wallSeconds: 12,
    load: {
      sent: count('send'),
      acked: count('ack'),
      delivered: count('deliver'),
      failed: 0,
      indeterminate: 0,
      valid: true,
      invalidReasons: [],
      aborted: false,
      lateSends: 0,
      unsent: 0,
      sendLagP99Ms: 1,
      sendLagMaxMs: 1,
      eventLoopDelayP99Ms: 1,
      ...load,
    },
  };
}

/** run.json as a SIGKILLed run leaves it: the plan written at the start, never rewritten. */
export function killedRecord(events: HistoryEvent[]): RunRecord {
  const record = finishedRecord(events);
  return { ...record, endedAt: record.startedAt, wallSeconds: 0, load: null };
}

/** Writes history.jsonl (exactly `history`) and run.json (any value, for wrong shapes too). */
export function writeRunFolder(dir: string, history: string, record: unknown): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'history.jsonl'), history);
  writeFileSync(join(dir, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
  return dir;
}

/** Lines as a file: one a line, each ended by a newline. */
export const asFile = (lines: readonly string[]): string => `${lines.join('\n')}\n`;
