// The target of nodeCrash, nodePause and clockSkew: one node by id, or a pick (default one) of
// a region's nodes or of every node.
import type { ChaosNode } from '../topology.ts';
import { type FaultContext, nodesOf, pickFrom } from './context.ts';
import type { Pick } from './spec.ts';

export interface NodeTargetSpec {
  region?: string | undefined;
  node?: string | undefined;
  pick?: Pick | undefined;
}

export interface NodeTarget {
  nodes: ChaosNode[];
  target: string;
  regions: string[];
}

export function selectNodeTarget(spec: NodeTargetSpec, ctx: FaultContext): NodeTarget {
  let candidates: ChaosNode[];
  if (spec.node !== undefined) {
    const node = ctx.topology.nodes.find((n) => n.id === spec.node);
    if (node === undefined) {
      const known = ctx.topology.nodes.map((n) => n.id).join(', ');
      ctx.fail('node', `unknown node "${spec.node}" (known: ${known})`);
    }
    candidates = [node];
  } else {
    const region = spec.region === undefined ? undefined : ctx.region('region', spec.region);
    candidates = nodesOf(ctx.topology, region);
    if (candidates.length === 0)
      ctx.fail('region', `no nodes in ${region === undefined ? 'the topology' : `region ${region}`}`);
  }
  const nodes = pickFrom(candidates, spec.pick ?? 'one', ctx.random, ctx);
  const label = nodes.length === 1 ? 'node' : 'nodes';
  return {
    nodes,
    target: `${label} ${nodes.map((n) => n.id).join(', ')}`,
    regions: [...new Set(nodes.map((n) => n.region))].sort(),
  };
}
