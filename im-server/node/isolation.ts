// A node that reaches none of the other live regions can commit nothing that needs them and
// forward nothing: better its clients reconnect to a region that can (see docs/PROTOCOL.md).
// This watch turns client sessions away while that lasts.
import type { NodeParts } from './parts.ts';

/** Checks every quarter lease (at least 50 ms); the timer is returned for the caller to clear. */
export function watchIsolation(
  parts: Pick<NodeParts, 'controlPlane' | 'shipper' | 'sessions'>,
  leaseMs: number,
): NodeJS.Timeout {
  const { controlPlane, shipper, sessions } = parts;
  return setInterval(
    () => {
      const others = controlPlane.liveRegions();
      const reached = new Set(shipper.reachableRegions(leaseMs));
      const isolated = others.length > 0 && others.every((r) => !reached.has(r));
      sessions.setUnavailable(
        isolated ? 'this node is cut off from every other region; reconnect elsewhere' : null,
      );
    },
    Math.max(50, Math.floor(leaseMs / 4)),
  );
}
