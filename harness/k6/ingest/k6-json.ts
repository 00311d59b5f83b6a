// Reads one k6 JSON output (`k6 run --out json=FILE`, gzipped when FILE ends in .gz): one JSON
// object a line, millions of them in a long run, so the file is streamed in 1 MB chunks (as
// load/reader.ts reads a history) and never held whole. Only the samples of the history counter matter: a `Point` of HISTORY_METRIC
// whose tag HISTORY_TAG holds one history event as JSON. Every other line (other metrics, the
// `Metric` declarations) is skipped unread. A history sample that is not a valid event is not
// thrown: it is reported by file:line and field, as the judge reports malformed history lines.
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { describeIssues } from '../../../contracts/errors.ts';
import { HistoryEvent } from '../../../contracts/history.ts';
import { HISTORY_METRIC, HISTORY_TAG } from '../plan.ts';

const CHUNK_BYTES = 1 << 20;

const HistoryPoint = z.looseObject({
  type: z.literal('Point'),
  metric: z.literal(HISTORY_METRIC),
  data: z.looseObject({
    value: z.literal(1),
    tags: z.looseObject({ [HISTORY_TAG]: z.string() }),
  }),
});

/** What reading one file found besides its events. */
export interface K6FileState {
  /** `file:line: field: problem`, for every history sample that is not a valid event. */
  bad: string[];
  /** Their line numbers, for a second pass to skip. */
  badLines: Set<number>;
  /** The file ends inside a line (an instance killed mid-write); that line was dropped. */
  truncated: boolean;
}

/** One line of text with its 1-based number; the last one, if it had no newline, flagged. */
interface Line {
  no: number;
  text: string;
  last: boolean;
}

/**
 * The file's lines, streamed in 1 MB chunks; a `.gz` file (k6's `--out json=FILE.gz` writes one)
 * is gunzipped on the way.
 */
async function* linesOf(path: string): AsyncGenerator<Line[]> {
  const raw = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const source: AsyncIterable<Buffer> = path.endsWith('.gz')
    ? raw.pipe(createGunzip({ chunkSize: CHUNK_BYTES }))
    : raw;
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let no = 0;
  try {
    for await (const chunk of source) {
      pending += decoder.write(chunk);
      const lines: Line[] = [];
      let start = 0;
      for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n', start)) {
        no++;
        lines.push({ no, text: pending.slice(start, nl), last: false });
        start = nl + 1;
      }
      pending = pending.slice(start);
      // A chunk's lines at once: one await a megabyte, not one a line.
      yield lines;
    }
  } finally {
    raw.destroy();
  }
  pending += decoder.end();
  if (pending.trim() !== '') yield [{ no: no + 1, text: pending, last: true }];
}

/**
 * The event a line holds, a problem's text, or undefined for a line that is not a history
 * sample. `trusted`: the line was validated on an earlier pass, so only its JSON is read.
 */
export function eventOfLine(text: string, trusted = false): HistoryEvent | string | undefined {
  // Most lines are other metrics: skip them before paying for JSON.parse.
  if (!text.includes(HISTORY_METRIC)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const record = value as { type?: unknown; metric?: unknown } | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    record.type !== 'Point' ||
    record.metric !== HISTORY_METRIC
  )
    return undefined;
  if (trusted) {
    try {
      return JSON.parse(
        (value as { data: { tags: Record<string, string> } }).data.tags[HISTORY_TAG] as string,
      );
    } catch {
      return 'not JSON';
    }
  }
  const point = HistoryPoint.safeParse(value);
  if (!point.success) return describeIssues(point.error);
  let raw: unknown;
  try {
    raw = JSON.parse(point.data.data.tags[HISTORY_TAG] as string);
  } catch {
    return `data.tags.${HISTORY_TAG}: not JSON`;
  }
  const event = HistoryEvent.safeParse(raw);
  if (!event.success) return describeIssues(event.error, { root: HISTORY_TAG });
  return event.data;
}

/**
 * The history events of one k6 JSON output, in file order, a chunk's worth at a time (one await
 * a megabyte, not one an event). `state` fills in as the file is read: each bad sample as
 * `name:line: problem`, and whether the file was cut. `trusted`: a second pass over a file
 * the first pass validated, given the lines it found bad (skipped, not reported again).
 */
export async function* k6Batches(
  path: string,
  name: string,
  state: K6FileState,
  trusted?: ReadonlySet<number>,
): AsyncGenerator<HistoryEvent[]> {
  for await (const lines of linesOf(path)) {
    const events: HistoryEvent[] = [];
    for (const line of lines) {
      if (trusted?.has(line.no)) continue;
      const found = eventOfLine(line.text, trusted !== undefined);
      if (found === undefined) continue;
      if (typeof found !== 'string') events.push(found);
      else if (line.last && found === 'not JSON') state.truncated = true;
      else {
        state.bad.push(`${name}:${line.no}: ${found}`);
        state.badLines.add(line.no);
      }
    }
    if (events.length > 0) yield events;
  }
}
