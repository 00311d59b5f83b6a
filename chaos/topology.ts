// What the harness tells chaos about the system under test: names only, never ports, so the
// same fault catalogue resolves against the local topology, a real Toxiproxy or a dry run.
//
// Proxy naming used by the harness (chaos never parses names; it selects by kind/from/to/node):
//   edge       `edge:clients->${region}.${node}`   clients → a node of `region`
//   link       `link:${fromRegion}->${toRegion}.${node}`   a node of fromRegion → `node` in toRegion
//   directory  `dir:${region}.${node}`             `node` of `region` → the directory service

export interface ChaosNode {
  /** "region/node" */
  id: string;
  region: string;
}

export interface ChaosProxyRef {
  name: string;
  kind: 'edge' | 'link' | 'directory';
  /** 'clients' for edges, else a region. */
  from: string;
  /** A region; for 'directory', the string 'directory'. */
  to: string;
  /** The node id behind (edge, link) or in front of (directory) this proxy. */
  node?: string;
}

export interface ChaosTopology {
  regions: string[];
  nodes: ChaosNode[];
  proxies: ChaosProxyRef[];
}
