// Reads history.jsonl line by line, validating each event against contracts/history.ts, so a long
// run never sits in memory as one string. A report is most wanted for a run that went wrong,
// so bad lines are skipped and described (line number and field), never fatal; a last line cut
// by a killed writer is expected and reported as such.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { describeIssues } from '../contracts/errors.ts';
import { HistoryEvent } from '../contracts/history.ts';

export interface HistoryReadStats {
  events: number;
  invalidLines: number;
  /** The first few problems, each naming its line. */
  problems: string[];
}

const MAX_PROBLEMS = 5;

export async function readHistoryFile(
  path: string,
  onEvent: (event: HistoryEvent) => void,
): Promise<HistoryReadStats> {
  const stats: HistoryReadStats = { events: 0, invalidLines: 0, problems: [] };
  const problem = (text: string): void => {
    stats.invalidLines++;
    if (stats.problems.length < MAX_PROBLEMS) stats.problems.push(text);
  };
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problem(`history.jsonl line ${lineNo}: not JSON (a run killed mid-write cuts its last line)`);
      continue;
    }
    const parsed = HistoryEvent.safeParse(value);
    if (!parsed.success) {
      problem(`history.jsonl line ${lineNo}: ${describeIssues(parsed.error)}`);
      continue;
    }
    stats.events++;
    onEvent(parsed.data);
  }
  return stats;
}
