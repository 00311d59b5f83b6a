// chaos/'s public entry: the fault catalogue (faults as data), the timeline that resolves and
// applies them, the topology it acts on, and the backends that reach a running system.

export type { FaultAction } from './actions.ts';
export { type ContainerControl, createContainerBackend } from './backends/container.ts';
export { createProcessBackend, type ProcessBackendHandle } from './backends/process.ts';
export {
  createScopedProxyBackend,
  createToxiproxyBackend,
  createToxiproxyClient,
  type ProxyBody,
  type ToxiproxyClient,
  type ToxiproxyOptions,
} from './backends/toxiproxy.ts';
export type {
  AdminBackend,
  ChaosBackends,
  ProcessControl,
  ProxyBackend,
  ToxicSpec,
} from './backends/types.ts';
export { FAULT_KINDS, type FaultKind, FaultSpec } from './faults/spec.ts';
export * from './timeline.ts';
export type { ChaosNode, ChaosProxyRef, ChaosTopology } from './topology.ts';
