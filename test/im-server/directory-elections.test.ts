// The directory's election rules without HTTP: now that they take their state explicitly
// (im-server/directory/), they can be driven directly.
import { describe, expect, it } from 'vitest';
import { createConversation } from '../../im-server/directory/conversations.ts';
import { createElections } from '../../im-server/directory/elections.ts';
import { createDirectoryState, type NodeState } from '../../im-server/directory/state.ts';
import type { ConvRecord } from '../../im-server/internal-protocol.ts';
import type { Logger } from '../../im-server/log.ts';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function setup() {
  const state = createDirectoryState('d', 3000, 300);
  const saved: ConvRecord[] = [];
  const elections = createElections(state, { log: quiet, saveConv: (rec) => saved.push({ ...rec }) });
  const addNode = (id: string, live = true): NodeState => {
    const node: NodeState = {
      id,
      region: id.split('/')[0]!,
      url: `http://${id}`,
      incarnation: 'i',
      leaseUntil: state.now() + 10_000,
      live,
      reachable: null,
      sinceVersion: 0,
    };
    state.nodes.set(id, node);
    return node;
  };
  const create = (id: string) =>
    createConversation(state, { log: quiet, elections }, { id, members: ['u1'] });
  return { state, saved, elections, addNode, create };
}

describe('directory elections', () => {
  it('homes a new conversation at once on a live node, under epoch 1', () => {
    const { state, saved, addNode, create } = setup();
    addNode('eu/n1');
    expect(create('c1').status).toBe(201);
    expect(state.convs.get('c1')).toMatchObject({ home: 'eu/n1', epoch: 1, version: 1 });
    expect(saved).toHaveLength(1);
    expect(state.elections.size).toBe(0);
  });

  it('answers 409 for the same id with other members', () => {
    const { addNode, create, state, elections } = setup();
    addNode('eu/n1');
    create('c1');
    const again = createConversation(state, { log: quiet, elections }, { id: 'c1', members: ['u2'] });
    expect(again.status).toBe(409);
  });

  it('elects the node with the most complete log once every candidate has reported', () => {
    const { state, elections, addNode, create } = setup();
    const a = addNode('eu/a');
    const b = addNode('us/b');
    create('c1');
    const rec = state.convs.get('c1')!;
    const oldHome = state.nodes.get(rec.home!)!;
    const other = oldHome === a ? b : a;
    elections.lapse(oldHome, 'test');
    expect(rec.home).toBeNull();
    const election = state.elections.get('c1')!;
    expect(election).toBeDefined();
    // The lapsed node is no candidate; the other one decides the election alone.
    election.reports.set(other.id, { lastSeq: 3, logEpoch: 1 });
    elections.tryDecide('c1');
    expect(rec).toMatchObject({ home: other.id, epoch: 2 });
    expect(state.elections.size).toBe(0);
  });

  it('prefers a higher log epoch over a longer log', () => {
    const { state, elections, addNode, create } = setup();
    addNode('eu/a', false);
    addNode('us/b', false);
    create('c1');
    expect(state.elections.has('c1')).toBe(true);
    for (const n of state.nodes.values()) n.live = true;
    const election = state.elections.get('c1')!;
    election.reports.set('eu/a', { lastSeq: 9, logEpoch: 1 });
    elections.tryDecide('c1');
    expect(state.convs.get('c1')!.home).toBeNull();
    election.reports.set('us/b', { lastSeq: 2, logEpoch: 2 });
    elections.tryDecide('c1');
    expect(state.convs.get('c1')).toMatchObject({ home: 'us/b', epoch: 1 });
  });
});
