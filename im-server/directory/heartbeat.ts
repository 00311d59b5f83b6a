// A node's heartbeat at the directory: registers the node, renews its lease, takes its election
// reports and answers with the conversation records it has not applied yet and the elections
// it should report on.
import { describeIssues } from '../../contracts/errors.ts';
import { HttpError } from '../http.ts';
import { HeartbeatRequest, type HeartbeatResponse } from '../internal-protocol.ts';
import type { Logger } from '../log.ts';
import type { Elections } from './elections.ts';
import { allowedRegions, type DirectoryState, type NodeState, nodeList } from './state.ts';
import type { StoredNode } from './store.ts';

/** Most conversation records returned by one heartbeat; the node asks again at once for more. */
const MAX_CHANGES_PER_HEARTBEAT = 2000;

export interface HeartbeatDeps {
  log: Logger;
  elections: Elections;
  saveNode(node: StoredNode): void;
}

/** The node's state, created on its first heartbeat and kept in step with its address. */
function register(state: DirectoryState, deps: HeartbeatDeps, hb: HeartbeatRequest): NodeState {
  let node = state.nodes.get(hb.nodeId);
  if (node === undefined) {
    node = {
      id: hb.nodeId,
      region: hb.region,
      url: hb.url,
      incarnation: hb.incarnation,
      leaseUntil: 0,
      live: false,
      reachable: null,
      sinceVersion: 0,
    };
    state.nodes.set(node.id, node);
    deps.saveNode(node);
    deps.log.info('node registered', { node: node.id, url: node.url });
  } else if (node.url !== hb.url || node.region !== hb.region) {
    node.url = hb.url;
    node.region = hb.region;
    deps.saveNode(node);
  }
  return node;
}

/** Renews the node's lease from `t`, when the heartbeat arrived. */
function renew(
  state: DirectoryState,
  deps: HeartbeatDeps,
  node: NodeState,
  hb: HeartbeatRequest,
  t: number,
): void {
  const restarted = node.incarnation !== null && node.incarnation !== hb.incarnation;
  node.incarnation = hb.incarnation;
  node.leaseUntil = t + state.leaseMs + state.graceMs;
  node.sinceVersion = hb.sinceVersion;
  node.reachable = hb.reachable === undefined ? null : new Set(hb.reachable);
  if (!node.live) {
    node.live = true;
    deps.log.info('node live', { node: node.id });
  }
  if (restarted) {
    // The new process may not know everything the old one did: choose the home again.
    deps.log.warn('node restarted', { node: node.id });
    for (const rec of state.convs.values())
      if (rec.home === node.id) deps.elections.start(rec, 'home restarted');
  }
}

function takeReports(
  state: DirectoryState,
  elections: Elections,
  node: NodeState,
  hb: HeartbeatRequest,
): void {
  for (const report of hb.reports) {
    const election = state.elections.get(report.conv);
    if (election === undefined || election.id !== report.election) continue;
    election.reports.set(node.id, { lastSeq: report.lastSeq, logEpoch: report.logEpoch });
    elections.tryDecide(report.conv);
  }
  // A node that is new to an election becomes a candidate, so re-check open ones.
  for (const convId of [...state.elections.keys()]) elections.tryDecide(convId);
}

function answer(state: DirectoryState, node: NodeState, hb: HeartbeatRequest): HeartbeatResponse {
  const reportRequests: { conv: string; election: string }[] = [];
  let waiting = false;
  for (const [convId, election] of state.elections) {
    const rec = state.convs.get(convId);
    if (rec === undefined || !allowedRegions(state, rec).includes(node.region)) continue;
    waiting = true;
    if (!election.reports.has(node.id)) reportRequests.push({ conv: convId, election: election.id });
  }
  const pending = [...state.convs.values()].filter((rec) => rec.version > hb.sinceVersion);
  pending.sort((a, b) => a.version - b.version);
  const more = pending.length > MAX_CHANGES_PER_HEARTBEAT;
  const changes = pending.slice(0, MAX_CHANGES_PER_HEARTBEAT).map((rec) => ({ ...rec }));
  return {
    granted: true,
    leaseMs: state.leaseMs,
    directoryId: state.directoryId,
    version: more ? changes[changes.length - 1]!.version : Math.max(state.version, hb.sinceVersion),
    more,
    changes,
    reportRequests,
    pollSoon: more || waiting,
    nodes: nodeList(state),
  };
}

/** Handles one heartbeat body; throws HttpError 400 on a malformed one. */
export function heartbeat(state: DirectoryState, deps: HeartbeatDeps, body: unknown): HeartbeatResponse {
  const parsed = HeartbeatRequest.safeParse(body);
  if (!parsed.success) throw new HttpError(400, describeIssues(parsed.error));
  const hb = parsed.data;
  if (hb.nodeId !== `${hb.region}/${hb.node}`) throw new HttpError(400, 'nodeId: must be region/node');
  const t = state.now();
  const node = register(state, deps, hb);
  renew(state, deps, node, hb, t);
  takeReports(state, deps.elections, node, hb);
  return answer(state, node, hb);
}
