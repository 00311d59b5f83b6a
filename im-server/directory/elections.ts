// Who homes each conversation: elections when a home is lost (its lease lapsed, it restarted,
// or it is cut off from every other region), decided once every live candidate has reported
// how much of the log it holds. See docs/CONSISTENCY.md.
import type { ConvRecord } from '../internal-protocol.ts';
import type { Logger } from '../log.ts';
import { preferenceOrder } from '../placement.ts';
import { allowedRegions, candidatesOf, type DirectoryState, type NodeState } from './state.ts';

export interface Elections {
  /** Gives `rec` the next change version and stores it. */
  bump(rec: ConvRecord): void;
  /** Clears the home of `rec` (if any) and opens an election, excluding `exclude` while it may still sequence. */
  start(rec: ConvRecord, reason: string, exclude?: string): void;
  /** Names the winner of the conversation's open election once every candidate has reported. */
  tryDecide(convId: string): void;
  /** Ends a node's lease: its conversations need new homes. */
  lapse(node: NodeState, reason: string): void;
  /** Lapses expired leases and moves conversations away from cut-off homes. */
  tick(): void;
}

export interface ElectionsDeps {
  log: Logger;
  saveConv(rec: ConvRecord): void;
}

type Report = { lastSeq: number; logEpoch: number };

/**
 * True when `node` reaches none of the conversation's other regions that have a live node, so
 * as home it could commit nothing (W >= 1) and as candidate it would be no better.
 */
function cutOff(state: DirectoryState, node: NodeState, rec: ConvRecord): boolean {
  if (node.reachable === null) return false;
  const others = new Set(
    [...state.nodes.values()]
      .filter((n) => n.live && n.id !== node.id && n.region !== node.region)
      .map((n) => n.region)
      .filter((r) => allowedRegions(state, rec).includes(r)),
  );
  if (others.size === 0) return false;
  return [...others].every((r) => !node.reachable!.has(r));
}

/** The candidate with the most complete log; ties go to the preferred placement. */
function pickWinner(
  state: DirectoryState,
  rec: ConvRecord,
  candidates: NodeState[],
  reports: Map<string, Report>,
): { winner: NodeState; best: Report } | undefined {
  const order = preferenceOrder(rec.id, allowedRegions(state, rec), [...state.nodes.values()]);
  const rank = (id: string): number => {
    const i = order.indexOf(id);
    return i < 0 ? order.length : i;
  };
  let winner: NodeState | undefined;
  let best = { logEpoch: -1, lastSeq: -1 };
  for (const c of candidates) {
    const r = reports.get(c.id)!;
    const better =
      r.logEpoch > best.logEpoch ||
      (r.logEpoch === best.logEpoch && r.lastSeq > best.lastSeq) ||
      (r.logEpoch === best.logEpoch &&
        r.lastSeq === best.lastSeq &&
        winner !== undefined &&
        rank(c.id) < rank(winner.id));
    if (winner === undefined || better) {
      winner = c;
      best = r;
    }
  }
  return winner === undefined ? undefined : { winner, best };
}

export function createElections(state: DirectoryState, deps: ElectionsDeps): Elections {
  const { log } = deps;

  const bump = (rec: ConvRecord): void => {
    state.version += 1;
    rec.version = state.version;
    deps.saveConv(rec);
  };

  const start = (rec: ConvRecord, reason: string, exclude?: string): void => {
    if (rec.home !== null) {
      log.info('home lost, electing', { conv: rec.id, oldHome: rec.home, epoch: rec.epoch, reason });
      rec.home = null;
      bump(rec);
    }
    state.electionCounter += 1;
    state.elections.set(rec.id, {
      id: `${state.directoryId}-${state.electionCounter}`,
      startedAt: state.now(),
      reports: new Map(),
      ...(exclude === undefined ? {} : { excluded: { node: exclude, fenceVersion: rec.version } }),
    });
    tryDecide(rec.id);
  };

  /** Moves conversations away from live homes that cannot replicate, when someone else can. */
  const moveFromCutOffHomes = (): void => {
    const isolated = [...state.nodes.values()].filter((n) => n.live && n.reachable !== null);
    if (isolated.length === 0) return;
    for (const rec of state.convs.values()) {
      if (rec.home === null || state.elections.has(rec.id)) continue;
      const home = state.nodes.get(rec.home);
      if (home === undefined || !home.live || !cutOff(state, home, rec)) continue;
      const better = candidatesOf(state, rec).some((c) => c.id !== home.id && !cutOff(state, c, rec));
      if (better) start(rec, 'home cannot reach any other region', home.id);
    }
  };

  const tryDecide = (convId: string): void => {
    const election = state.elections.get(convId);
    const rec = state.convs.get(convId);
    if (election === undefined || rec === undefined) return;
    const excluded = election.excluded;
    if (excluded !== undefined) {
      const old = state.nodes.get(excluded.node);
      if (old?.live && old.sinceVersion < excluded.fenceVersion) return;
    }
    const candidates = candidatesOf(state, rec).filter((c) => c.id !== excluded?.node);
    if (candidates.length === 0) return;
    if (candidates.some((c) => !election.reports.has(c.id))) return;
    const picked = pickWinner(state, rec, candidates, election.reports);
    if (picked === undefined) return;
    const { winner, best } = picked;
    state.elections.delete(convId);
    rec.home = winner.id;
    rec.epoch += 1;
    bump(rec);
    log.info('home elected', {
      conv: convId,
      home: winner.id,
      epoch: rec.epoch,
      lastSeq: best.lastSeq,
      logEpoch: best.logEpoch,
      tookMs: Math.round(state.now() - election.startedAt),
    });
  };

  const lapse = (node: NodeState, reason: string): void => {
    node.live = false;
    log.warn('node lease lapsed', { node: node.id, reason });
    for (const rec of state.convs.values()) if (rec.home === node.id) start(rec, reason);
    // Elections waiting on this node's report can now finish without it.
    for (const convId of state.elections.keys()) tryDecide(convId);
  };

  const tick = (): void => {
    const t = state.now();
    for (const node of state.nodes.values())
      if (node.live && t > node.leaseUntil) lapse(node, 'lease expired');
    moveFromCutOffHomes();
  };

  return { bump, start, tryDecide, lapse, tick };
}
