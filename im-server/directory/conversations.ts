// Creating a conversation at the directory: idempotent for the same members and residency, a
// conflict otherwise; a new one is homed at once on the first live node in its placement
// order, or waits for an election when none of its allowed regions has a live node.
import { describeIssues } from '../../contracts/errors.ts';
import { CreateConversationBody } from '../../contracts/wire.ts';
import type { ConvRecord } from '../internal-protocol.ts';
import type { Logger } from '../log.ts';
import { preferenceOrder } from '../placement.ts';
import type { Elections } from './elections.ts';
import { allowedRegions, type DirectoryState } from './state.ts';

export interface CreateResult {
  status: number;
  body: unknown;
}

function sameSet(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Places a new record: the first live node in preference order, else an election. */
function place(state: DirectoryState, elections: Elections, rec: ConvRecord): void {
  const order = preferenceOrder(rec.id, allowedRegions(state, rec), [...state.nodes.values()]);
  const first = order.map((id) => state.nodes.get(id)).find((n) => n?.live === true);
  if (first !== undefined) {
    rec.home = first.id;
    rec.epoch = 1;
    elections.bump(rec);
  } else {
    elections.bump(rec);
    elections.start(rec, 'no live node in the allowed regions');
  }
}

/** Handles one POST /v1/conversations body; the answer's status and JSON body. */
export function createConversation(
  state: DirectoryState,
  deps: { log: Logger; elections: Elections },
  body: unknown,
): CreateResult {
  const parsed = CreateConversationBody.safeParse(body);
  if (!parsed.success) return { status: 400, body: { error: describeIssues(parsed.error), status: 400 } };
  const members = [...new Set(parsed.data.members)];
  const residency = parsed.data.residency === undefined ? null : [...new Set(parsed.data.residency)].sort();
  const existing = state.convs.get(parsed.data.id);
  if (existing !== undefined) {
    if (sameSet(existing.members, members) && sameSet(existing.residency, residency)) {
      return { status: 201, body: existing };
    }
    return {
      status: 409,
      body: {
        error: `conversation ${parsed.data.id} already exists with other members or residency`,
        status: 409,
      },
    };
  }
  const rec: ConvRecord = { id: parsed.data.id, members, residency, home: null, epoch: 0, version: 0 };
  state.convs.set(rec.id, rec);
  place(state, deps.elections, rec);
  deps.log.info('conversation created', { conv: rec.id, home: rec.home, members: members.length, residency });
  return { status: 201, body: rec };
}
