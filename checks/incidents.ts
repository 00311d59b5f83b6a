// Incidents: the stretches of time a client was without service because of faults. The failover
// checker (failover.ts) judges them; this file only follows them through the history.
//
// An incident of a client starts when a fault first touches it: the client is connected to one
// of the fault's regions when it starts, or loses a connection to one of them while it is active.
// It ends when the client is served again: it has had a send acked and has received a message
// from someone else, each counted only for messages intended after the impact and only where
// there was something to measure (the client sent; someone else wrote in one of its
// conversations). While an incident is open, a fault that touches the client again, or starts on
// a region the incident already involves, joins it: overlapping faults and faults that follow
// within the client's recovery are one incident, attributed to each of them.
import type { HistoryEvent } from '../contracts/history.ts';
import type { FaultInfo, RunModel } from './model.ts';

/** How the first fault of an incident reached the client. */
export type Impact = 'connected' | 'lost';

export interface Incident {
  user: string;
  /** The region of the connection the fault touched (every impact is on a connection, so one is known). */
  region: string;
  /** Impact: epoch ms. */
  start: number;
  impact: Impact;
  /** Every fault the incident is attributed to, in the order they joined it. */
  faults: FaultInfo[];
  /** The regions of those faults and of the connections the client lost during the incident. */
  regions: Set<string>;
  /** The client sent a message intended after the impact. */
  ownSent: boolean;
  /** Someone else sent a message intended after the impact in one of the client's conversations. */
  othersSent: boolean;
  /** First ack of the client's own send intended after the impact; NaN until then. */
  ackAt: number;
  /** First delivery to the client of someone else's message intended after the impact; NaN until then. */
  deliverAt: number;
  /** When it was served again; NaN while open (and for ever, if it never recovered). */
  servedAt: number;
  /** Served again while at least one of its faults was still active. */
  duringFault: boolean;
}

export interface IncidentTracker {
  /** Every incident so far, in the order they started. */
  readonly incidents: Incident[];
  add(e: HistoryEvent, model: RunModel): void;
}

export function createIncidentTracker(): IncidentTracker {
  const incidents: Incident[] = [];
  const open = new Map<string, Incident>();
  const active: FaultInfo[] = [];

  const touch = (user: string, region: string, t: number, fault: FaultInfo, impact: Impact) => {
    const current = open.get(user);
    if (current !== undefined) {
      join(current, fault);
      current.regions.add(region);
      return;
    }
    const incident = newIncident(user, region, t, fault, impact);
    incidents.push(incident);
    open.set(user, incident);
  };

  const close = (incident: Incident, t: number) => {
    if (!servedAgain(incident)) return;
    incident.servedAt = t;
    incident.duringFault = incident.faults.some((f) => Number.isNaN(f.end) || f.end > t);
    open.delete(incident.user);
  };

  const onFaultStart = (fault: FaultInfo, t: number, model: RunModel) => {
    active.push(fault);
    for (const incident of open.values()) {
      if (fault.regions.some((r) => incident.regions.has(r))) join(incident, fault);
    }
    for (const s of model.sessions.values()) {
      // The fault's region this session is connected to, if any.
      const region = s.up ? fault.regions.find((r) => r === s.region) : undefined;
      if (region !== undefined) touch(s.user, region, t, fault, 'connected');
    }
  };

  const onSend = (user: string, conv: string, intendedAt: number, model: RunModel) => {
    const own = open.get(user);
    if (own !== undefined && intendedAt >= own.start) own.ownSent = true;
    const members = model.conversations.get(conv)?.members;
    if (members === undefined) return;
    for (const member of members) {
      if (member === user) continue;
      const incident = open.get(member);
      if (incident !== undefined && intendedAt >= incident.start) incident.othersSent = true;
    }
  };

  return {
    incidents,
    add(e, model) {
      switch (e.type) {
        case 'fault_start':
          onFaultStart(model.faultsById.get(e.faultId)!, e.t, model);
          break;
        case 'fault_stop': {
          const i = active.findIndex((f) => f.id === e.faultId);
          if (i >= 0) active.splice(i, 1);
          break;
        }
        case 'conn_down':
          for (const fault of active) {
            if (fault.regions.length === 0 || fault.regions.includes(e.region))
              touch(e.user, e.region, e.t, fault, 'lost');
          }
          break;
        case 'send':
          if (open.size > 0) onSend(e.user, e.conv, e.intendedAt, model);
          break;
        case 'ack': {
          const incident = open.get(e.user);
          const m = model.current!;
          if (incident === undefined || m.intendedAt < incident.start) break;
          if (Number.isNaN(incident.ackAt)) incident.ackAt = e.t;
          close(incident, e.t);
          break;
        }
        case 'deliver': {
          const incident = open.get(e.user);
          const m = model.current!;
          if (incident === undefined || e.from === e.user || m.intendedAt < incident.start) break;
          if (Number.isNaN(incident.deliverAt)) incident.deliverAt = e.t;
          close(incident, e.t);
          break;
        }
      }
    },
  };
}

function newIncident(user: string, region: string, t: number, fault: FaultInfo, impact: Impact): Incident {
  const regions = new Set(fault.regions);
  regions.add(region);
  return {
    user,
    region,
    start: t,
    impact,
    faults: [fault],
    regions,
    ownSent: false,
    othersSent: false,
    ackAt: Number.NaN,
    deliverAt: Number.NaN,
    servedAt: Number.NaN,
    duringFault: false,
  };
}

function join(incident: Incident, fault: FaultInfo): void {
  if (incident.faults.includes(fault)) return;
  incident.faults.push(fault);
  for (const r of fault.regions) incident.regions.add(r);
}

/** Every kind of service the client was owed since the impact has reached it, and at least one did. */
export function servedAgain(incident: Incident): boolean {
  const acked = !Number.isNaN(incident.ackAt);
  const delivered = !Number.isNaN(incident.deliverAt);
  if (!acked && !delivered) return false;
  return (acked || !incident.ownSent) && (delivered || !incident.othersSent);
}

/** Whether there was ever anything to measure: the client sent, or someone wrote to it. */
export function observed(incident: Incident): boolean {
  return incident.ownSent || incident.othersSent;
}
