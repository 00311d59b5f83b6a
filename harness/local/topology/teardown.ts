// A local topology's teardown, registered with the cleanup registry before anything starts so
// that a signal or a failed start still stops whatever did start: nodes first (they hold client
// connections), then the proxies of an external Toxiproxy, then the services in reverse.
import { stopNode } from './nodes.ts';
import { deleteProxy } from './proxies.ts';
import type { TopologyState } from './state.ts';

/** Registers the teardown and returns it; calling it again returns the same promise. */
export function registerTeardown(state: TopologyState): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      state.closed = true;
      // Nodes first (they hold client connections), then the proxy, then the directory.
      await Promise.all([...state.nodeStates.values()].map((node) => stopNode(node, 'stop')));
      const external = state.external;
      if (external !== undefined) {
        // An external Toxiproxy outlives the run: remove what we created there.
        await Promise.all([...state.proxies.keys()].map((name) => deleteProxy(state, external, name)));
      }
      for (const service of state.services.reverse()) await service.stop();
      unregister();
    })();
    return closing;
  };
  const unregister = state.registry.add('local topology', close);
  return close;
}
