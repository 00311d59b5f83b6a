// A follower that becomes home must not serve less than it served as a follower. With W=1 and
// the home in another region, a follower's own copy is what commits an entry, so it serves up to
// its last seq; the home serves up to its commit point. Before the fix the new home answered
// from a commit point that lagged until its new epoch committed something: a client that had
// synced to 6 on that node was told 5 a moment later (a monotonic-reads violation the api-storm
// scenario's mid-failover reads caught).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../im-server/control-plane.ts';
import { deliverable } from '../../im-server/engine/conv-state.ts';
import { replicate } from '../../im-server/engine/follower.ts';
import { onRecord } from '../../im-server/engine/records.ts';
import type { EngineState } from '../../im-server/engine/state.ts';
import type { ReplicateRequest } from '../../im-server/internal-protocol.ts';
import { openStorage, type Storage } from '../../im-server/storage.ts';
import { testEngineState } from '../support/engine.ts';

let dir: string;
let storage: Storage;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'engine-takeover-'));
  storage = openStorage(join(dir, 'node.db'));
});

afterEach(() => {
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A node of eu in a three-region cluster whose peers have confirmed nothing yet. */
function follower(): EngineState {
  const s = testEngineState({ storage, ack: 'replicated', replicas: 1, pushToMembers: () => 0 });
  const controlPlane = {
    leaseValid: () => true,
    regions: () => ['eu', 'us', 'ap'],
    peers: () => [
      { id: 'us/n1', region: 'us', url: 'http://127.0.0.1:1' },
      { id: 'ap/n1', region: 'ap', url: 'http://127.0.0.1:2' },
    ],
  } as unknown as ControlPlane;
  s.wiring = { ...s.wiring, controlPlane };
  return s;
}

/** What the home us/n1 ships: entries 1..6 of epoch 1, of which it has committed `commit`. */
function shipped(conv: string, commit: number): ReplicateRequest {
  const entries = [1, 2, 3, 4, 5, 6].map((seq) => ({
    seq,
    epoch: 1,
    from: 'alice',
    cmid: `m${seq}`,
    body: `message ${seq}`,
    serverTime: 1000 + seq,
  }));
  return {
    from: 'us/n1',
    incarnation: 'us-1',
    rid: 1,
    authorityMs: 2000,
    items: [{ conv, epoch: 1, lastSeq: 6, commit, epochStarts: [[1, 1]], entries, transient: false }],
  };
}

const record = (id: string, home: string | null, epoch: number) => ({
  id,
  members: ['alice', 'bob'],
  residency: null,
  home,
  epoch,
  version: epoch,
});

describe('taking over a conversation', () => {
  it('keeps serving what its own copy had committed as a follower', () => {
    const s = follower();
    onRecord(s, record('c1', 'us/n1', 1));
    replicate(s, shipped('c1', 5));
    const c = s.convs.get('c1')!;
    // Home in us, W=1: our copy in eu is the one other region the entries needed.
    expect(c.lastSeq).toBe(6);
    expect(deliverable(s, c)).toBe(6);

    // The home's lease lapses: first an election (no home), then we are chosen.
    onRecord(s, record('c1', null, 2));
    expect(deliverable(s, c)).toBe(6);
    onRecord(s, record('c1', 'eu/n1', 3));
    expect(c.homeEpoch).toBe(3);
    expect(deliverable(s, c)).toBe(6);
  });

  it('commits nothing its copy did not: a follower in the home region relies on the home', () => {
    const s = follower();
    onRecord(s, record('c2', 'eu/n2', 1));
    replicate(s, { ...shipped('c2', 5), from: 'eu/n2' });
    const c = s.convs.get('c2')!;
    // Same region as the home: our copy adds no region, so only the home's commit point counts.
    expect(deliverable(s, c)).toBe(5);
    onRecord(s, record('c2', 'eu/n1', 2));
    expect(deliverable(s, c)).toBe(5);
  });
});
