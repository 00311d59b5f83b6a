// The region-to-region delivery matrix, by home region: for each pair, the deliveries and
// their p99, and the deliveries owed (every member but the sender, of every acked send) with
// how many never arrived.
import { type AnalyzerState, regionOf } from './state.ts';
import { pct } from './stats.ts';
import type { MatrixCell } from './types.ts';

/** Owed deliveries: every member but the sender, of every acked send, by home region pair. */
function owedDeliveries(state: AnalyzerState): Map<string, { expected: number; undelivered: number }> {
  const owed = new Map<string, { expected: number; undelivered: number }>();
  for (const [message, send] of state.sends) {
    if (send.outcome !== 0) continue;
    for (const member of state.convMembers.get(send.conv) ?? []) {
      if (member === send.user) continue;
      const key = `${regionOf(state, send.user)}\u0000${regionOf(state, member)}`;
      const cell = owed.get(key) ?? { expected: 0, undelivered: 0 };
      cell.expected++;
      if (!state.deliveredPairs.has(`${message}\u0000${member}`)) cell.undelivered++;
      owed.set(key, cell);
    }
  }
  return owed;
}

export function regionMatrix(state: AnalyzerState, regions: string[]): MatrixCell[] {
  const owed = owedDeliveries(state);
  return regions.flatMap((from) =>
    regions.map((to) => {
      const h = state.pairHist.get(`${from}\u0000${to}`);
      const c = owed.get(`${from}\u0000${to}`);
      return {
        from,
        to,
        deliveries: h?.count ?? 0,
        p99: pct(h, 99),
        expected: c?.expected ?? 0,
        undelivered: c?.undelivered ?? 0,
      };
    }),
  );
}
