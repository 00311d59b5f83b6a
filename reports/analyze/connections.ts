// The connection side of the analyzer: open connections per region (snapshotted into the
// second of each change), reconnects, and the fault windows with the clients each one cut off
// and when they connected again.
import type { EventOf } from '../../contracts/history.ts';
import { type AnalyzerState, bump, countConn, type FaultState, secondAt } from './state.ts';

function snapshotOpen(state: AnalyzerState, t: number): void {
  secondAt(state, t).open = new Map(state.openByRegion);
}

export function connUp(state: AnalyzerState, event: EventOf<'conn_up'>): void {
  state.sessionRegion.set(event.session, event.region);
  state.openSessions.set(event.session, { user: event.user, region: event.region });
  bump(state.openByRegion, event.region);
  state.regionsSeen.add(event.region);
  snapshotOpen(state, event.t);
  if (state.everConnected.has(event.user)) countConn(state, 'reconnects', event.t, event.region);
  state.everConnected.add(event.user);
  const waiting = state.awaitingRecovery.get(event.user);
  if (waiting !== undefined) {
    for (const fault of waiting) {
      const entry = fault.affected.get(event.user);
      if (entry !== undefined && entry.recoveredAt === null) entry.recoveredAt = event.t;
    }
    state.awaitingRecovery.delete(event.user);
  }
}

export function connDown(state: AnalyzerState, event: EventOf<'conn_down'>): void {
  const open = state.openSessions.get(event.session);
  const region = open?.region ?? event.region;
  if (open !== undefined) {
    state.openSessions.delete(event.session);
    bump(state.openByRegion, region, -1);
    snapshotOpen(state, event.t);
  }
  for (const fault of state.faults) {
    const active = fault.start <= event.t && (fault.end === null || event.t <= fault.end);
    const touches = fault.regions.length === 0 || fault.regions.includes(region);
    if (!active || !touches || fault.affected.has(event.user)) continue;
    const outageStart = fault.connectedAtStart.has(event.user) ? fault.start : event.t;
    fault.affected.set(event.user, { outageStart, recoveredAt: null });
    const list = state.awaitingRecovery.get(event.user) ?? [];
    list.push(fault);
    state.awaitingRecovery.set(event.user, list);
  }
}

export function faultStart(state: AnalyzerState, event: EventOf<'fault_start'>): void {
  const connectedAtStart = new Set<string>();
  for (const s of state.openSessions.values()) {
    if (event.regions.length === 0 || event.regions.includes(s.region)) connectedAtStart.add(s.user);
  }
  const fault: FaultState = {
    id: event.faultId,
    kind: event.kind,
    target: event.target,
    regions: event.regions,
    start: event.t,
    end: null,
    connectedAtStart,
    affected: new Map(),
  };
  state.faults.push(fault);
  state.faultById.set(event.faultId, fault);
}

export function faultStop(state: AnalyzerState, event: EventOf<'fault_stop'>): void {
  const fault = state.faultById.get(event.faultId);
  if (fault === undefined) state.warnings.add(`fault_stop for unknown fault ${event.faultId}`);
  else if (fault.end === null) fault.end = event.t;
}
