// The fault catalogue: one module per kind, like Toxiproxy's one toxic per file.
import { bandwidth } from './bandwidth.ts';
import { blackhole } from './blackhole.ts';
import { brownout } from './brownout.ts';
import { clockSkew } from './clock-skew.ts';
import type { FaultModule } from './context.ts';
import { flap } from './flap.ts';
import { latency } from './latency.ts';
import { nodeCrash } from './node-crash.ts';
import { nodePause } from './node-pause.ts';
import { partition } from './partition.ts';
import { regionIsolation } from './region-isolation.ts';
import { regionOutage } from './region-outage.ts';
import { resetPeer } from './reset-peer.ts';
import { scaleOut } from './scale-out.ts';
import type { FaultKind, FaultOf } from './spec.ts';

export const faultModules: { [K in FaultKind]: FaultModule<FaultOf<K>> } = {
  regionOutage,
  regionIsolation,
  partition,
  latency,
  bandwidth,
  blackhole,
  resetPeer,
  brownout,
  flap,
  nodeCrash,
  nodePause,
  clockSkew,
  scaleOut,
};
