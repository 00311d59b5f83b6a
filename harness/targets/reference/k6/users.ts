// What each k6 VU needs to reach the reference server as its user: the endpoints in the client
// SDK's failover order (home region's first, then the other regions in topology order, as
// target.ts's endpointsFor) and a client token signed with the cluster's secret, valid for the
// whole run. And `--setup`: the workload's conversations created through the nodes' admin API.

import { signToken } from '../../../../im-server/index.ts';
import type { K6PlanUser } from '../../../k6/plan.ts';
import type { Topology } from '../../../k6/topology.ts';
import { createReferenceTarget } from './../target.ts';

export interface K6UsersInput {
  topology: Topology;
  /** The run's regions: endpoints of other regions in the file are not used. */
  regions: readonly string[];
  users: readonly { id: string; region: string }[];
  conversations: readonly { id: string; members: string[] }[];
  /** Token lifetime, seconds. */
  ttlSeconds: number;
  /** When the tokens are signed, ms since the epoch; default now. */
  now?: number;
}

/** The endpoints a user of `home` tries, in order. */
export function failoverOrder(topology: Topology, regions: readonly string[], home: string): string[] {
  const run = topology.regions.filter((r) => regions.includes(r.name));
  const ordered = [...run.filter((r) => r.name === home), ...run.filter((r) => r.name !== home)];
  return ordered.flatMap((r) => r.endpoints);
}

/** Every user with its conversations, endpoints and token, in the workload's order. */
export function k6Users(input: K6UsersInput): K6PlanUser[] {
  const convs = new Map<string, string[]>();
  for (const c of input.conversations) {
    for (const m of c.members) {
      const list = convs.get(m);
      if (list === undefined) convs.set(m, [c.id]);
      else list.push(c.id);
    }
  }
  const now = input.now ?? Date.now();
  return input.users.map((u) => ({
    id: u.id,
    region: u.region,
    convs: convs.get(u.id) ?? [],
    endpoints: failoverOrder(input.topology, input.regions, u.region),
    token: signToken({ user: u.id, secret: input.topology.secret, ttlSeconds: input.ttlSeconds, now }),
  }));
}

/** `--setup`: creates the conversations on the deployment, a few at a time; an existing identical one is fine. */
export async function createK6Conversations(
  topology: Topology,
  conversations: readonly { id: string; members: string[]; residency?: string[] }[],
  concurrency = 16,
): Promise<void> {
  const target = createReferenceTarget({
    regions: topology.regions.map((r) => ({ name: r.name, endpoints: r.endpoints, adminUrls: r.adminUrls })),
    secret: topology.secret,
    adminToken: topology.adminToken,
  });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < conversations.length) {
      const c = conversations[next++] as (typeof conversations)[number];
      await target.createConversation({
        id: c.id,
        members: c.members,
        ...(c.residency === undefined ? {} : { residency: c.residency }),
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, conversations.length) }, worker));
}
