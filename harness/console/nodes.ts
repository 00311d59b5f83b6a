// Each region and node as the console shows it. The state comes from what the active faults do
// (their actions are plain data: a SIGKILL means down, a SIGSTOP paused, a cut proxy isolated,
// a toxic or a skewed clock degraded), and from whether the node still answers its /metrics
// (a node no fault explains that stops answering is unreachable). The homed conversations and
// replication lag come from the node's own gauges, when its target names them.
import type { ChaosTopology, ResolvedFault } from '../../chaos/index.ts';
import type { ConsoleNode, ConsoleRegion, NodeState } from '../../contracts/console.ts';

/** What a scrape of one node gave; undefined fields were not reported. */
export interface NodeReading {
  reachable: boolean;
  homed?: number;
  lagSeconds?: number;
  lagMessages?: number;
}

/** Worst first: a node both killed and cut off is down. */
const SEVERITY: readonly NodeState[] = ['down', 'paused', 'unreachable', 'isolated', 'degraded', 'up'];
const worse = (a: NodeState, b: NodeState): NodeState => (SEVERITY.indexOf(a) <= SEVERITY.indexOf(b) ? a : b);

/** The proxies that carry a node's traffic: its edges and directory path, links into it, links out of its region. */
function proxiesOf(node: { id: string; region: string }, topology: ChaosTopology) {
  return topology.proxies.filter((p) => p.node === node.id || (p.kind === 'link' && p.from === node.region));
}

type Effects = Map<string, { state: NodeState; faults: string[] }>;

function mark(effects: Effects, node: string, state: NodeState, fault: string): void {
  const now = effects.get(node) ?? { state: 'up', faults: [] };
  now.state = worse(now.state, state);
  if (!now.faults.includes(fault)) now.faults.push(fault);
  effects.set(node, now);
}

/**
 * Node id → its state and the faults acting on it, from the faults active now. A signal acts on
 * its node; a cut or slowed proxy on every node whose traffic it carries: a node is isolated
 * when every link to and from it is cut, degraded when only some are (or are slowed).
 */
export function faultEffects(active: readonly ResolvedFault[], topology: ChaosTopology): Effects {
  const effects: Effects = new Map();
  const cutBy = new Map<string, Set<string>>();
  const slowedBy = new Map<string, Set<string>>();
  const hold = (map: Map<string, Set<string>>, proxy: string, fault: string): void => {
    map.set(proxy, (map.get(proxy) ?? new Set()).add(fault));
  };
  for (const fault of active) {
    for (const action of fault.actions) {
      if (action.op === 'signal')
        mark(effects, action.node, action.signal === 'SIGSTOP' ? 'paused' : 'down', fault.id);
      else if (action.op === 'clock') mark(effects, action.node, 'degraded', fault.id);
      else if (action.op === 'disable') hold(cutBy, action.proxy, fault.id);
      else if (action.op === 'toxic') hold(slowedBy, action.proxy, fault.id);
    }
  }
  for (const node of topology.nodes) {
    const proxies = proxiesOf(node, topology);
    const links = proxies.filter((p) => p.kind === 'link');
    const isolated = links.length > 0 && links.every((p) => cutBy.has(p.name));
    for (const p of proxies) {
      for (const cut of cutBy.get(p.name) ?? [])
        mark(effects, node.id, isolated ? 'isolated' : 'degraded', cut);
      for (const slowed of slowedBy.get(p.name) ?? []) mark(effects, node.id, 'degraded', slowed);
    }
  }
  return effects;
}

/** Every region with its nodes, states, homes and lag. */
export function consoleRegions(
  topology: ChaosTopology,
  effects: ReadonlyMap<string, { state: NodeState; faults: string[] }>,
  readings: ReadonlyMap<string, NodeReading>,
  clients: ReadonlyMap<string, number>,
): ConsoleRegion[] {
  return topology.regions.map((region) => {
    const nodes: ConsoleNode[] = topology.nodes
      .filter((n) => n.region === region)
      .map((n) => {
        const effect = effects.get(n.id);
        const reading = readings.get(n.id);
        let state = effect?.state ?? 'up';
        if (reading?.reachable === false && state === 'up') state = 'unreachable';
        // A killed or frozen node's last gauges would be stale: show none.
        const live = reading?.reachable === true;
        return {
          id: n.id,
          region,
          state,
          faults: effect?.faults ?? [],
          homed: live ? (reading.homed ?? null) : null,
          lagSeconds: live ? (reading.lagSeconds ?? null) : null,
          lagMessages: live ? (reading.lagMessages ?? null) : null,
        };
      });
    const reported = nodes.filter((n) => n.homed !== null);
    return {
      name: region,
      state: regionState(nodes),
      nodes,
      homed: reported.length === 0 ? null : reported.reduce((sum, n) => sum + (n.homed ?? 0), 0),
      clients: clients.get(region) ?? 0,
    };
  });
}

/** Every node's state when they agree; degraded when some are not up; up with no nodes. */
function regionState(nodes: readonly ConsoleNode[]): NodeState {
  const first = nodes[0];
  if (first === undefined) return 'up';
  if (nodes.every((n) => n.state === first.state)) return first.state;
  return 'degraded';
}
