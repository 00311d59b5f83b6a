// Pieces of the sentences checkers explain anomalies with: times relative to the run start,
// the fault window a moment fell in, message names and short lists.
import { activeFaultsAt, type MessageRecord, type RunModel, relSeconds } from './model.ts';

/** "+12.4s" */
export function at(model: RunModel, t: number): string {
  const s = relSeconds(model, t);
  return `${s < 0 ? '' : '+'}${s.toFixed(1)}s`;
}

/**
 * Where a moment sits among the faults: "during regionOutage(eu-west)", "before any fault",
 * "after partition(eu-west) ended"; empty when the run had no faults.
 */
export function faultContext(model: RunModel, t: number): string {
  if (model.faults.length === 0) return '';
  const active = activeFaultsAt(model, t);
  if (active.length > 0) return `during ${list(active.map((f) => f.label))}`;
  let last: { label: string; end: number } | undefined;
  for (const f of model.faults) {
    if (!Number.isNaN(f.end) && f.end <= t && (last === undefined || f.end > last.end)) last = f;
  }
  return last === undefined ? 'before any fault' : `after ${last.label} ended`;
}

/** "at +12.4s, during regionOutage(eu-west)" (or just "at +12.4s" in a run without faults). */
export function when(model: RunModel, t: number): string {
  const context = faultContext(model, t);
  return context === '' ? `at ${at(model, t)}` : `at ${at(model, t)}, ${context}`;
}

/** "message m42 from u3 in c1" */
export function messageName(m: Pick<MessageRecord, 'cmid' | 'from' | 'conv'>): string {
  return `message ${m.cmid} from ${m.from} in ${m.conv}`;
}

/** "a", "a and b", "a, b and c", "a, b, c and 4 more" */
export function list(items: readonly string[], max = 3): string {
  if (items.length === 0) return '';
  if (items.length === 1) return items[0] as string;
  if (items.length <= max) return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** "seq 7" or "seqs 7–9" */
export function seqRange(from: number, to: number): string {
  return from === to ? `seq ${from}` : `seqs ${from}–${to}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
