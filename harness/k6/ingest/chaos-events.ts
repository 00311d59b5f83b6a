// `--chaos FILE`: the fault events `chatquake chaos --out` wrote while the load ran, one history
// event a line. They join the merged history in their own clock (the chaos runner's machine).
// Only fault_start and fault_stop belong here; anything else, or a line that is not a valid
// event, is an error naming file:line and the field.
import { readFileSync } from 'node:fs';
import { describeIssues } from '../../../contracts/errors.ts';
import { HistoryEvent } from '../../../contracts/history.ts';
import { ScenarioError } from '../../scenario/scenario.ts';

export function readChaosEvents(path: string): HistoryEvent[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ScenarioError(`--chaos ${path}: ${(error as Error).message}`);
  }
  const events: HistoryEvent[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `--chaos ${path}:${index + 1}`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new ScenarioError(`${where}: not JSON`);
    }
    const parsed = HistoryEvent.safeParse(raw);
    if (!parsed.success) throw new ScenarioError(`${where}: ${describeIssues(parsed.error)}`);
    const event = parsed.data;
    if (event.type !== 'fault_start' && event.type !== 'fault_stop')
      throw new ScenarioError(
        `${where}: type: a ${event.type} event; only fault_start and fault_stop belong here`,
      );
    events.push(event);
  });
  return events;
}
