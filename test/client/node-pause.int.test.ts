// A node frozen with SIGSTOP, as the `nodePause` fault does: the kernel keeps accepting TCP for it
// and nothing answers. Receive-only clients homed there must notice through the heartbeat, move
// to another region within a bound, and get what is written meanwhile; the client's default
// timeouts are used, since they are what scenarios run with.
import { describe, expect, it } from 'vitest';
import { createClient, type ImClient } from '../../client/index.ts';
import { createRandom } from '../../lib/random.ts';
import { convHomedIn } from '../support/cluster.ts';
import { clusterSuite } from './cluster-suite.ts';
import { type EventLog, eventLog, sleep } from './events.ts';

const REGIONS = ['eu', 'us', 'ap'];
const FROZEN = 'eu/n1';
const CLIENTS = 12;
/** Defaults: heartbeat 2000 + timeout 2000, then backoff and one connect elsewhere. */
const RECOVERY_BOUND_MS = 10_000;

const suite = clusterSuite(REGIONS);

function client(user: string, regions: string[], conversations: string[]): { c: ImClient; log: EventLog } {
  const log = eventLog();
  const c = createClient({
    user,
    token: () => suite.cluster.token(user),
    endpoints: regions.map((region) => ({ region, url: suite.cluster.node(region).wsUrl })),
    conversations,
    // Probes home are tried during the freeze too; they must not disturb the working connection.
    returnHomeAfterMs: 2000,
    random: createRandom(`pause-${user}`).next,
    onEvent: log.onEvent,
  });
  suite.clients.push(c);
  return { c, log };
}

describe('client against a frozen (SIGSTOPped) node', () => {
  it('every receive-only client homed on it reconnects elsewhere within the bound and gets new messages', async () => {
    // Homed away from the frozen region, so sends are acked throughout and only the clients move.
    const conv = convHomedIn(REGIONS, 'us', 'pause');
    const users = Array.from({ length: CLIENTS }, (_, i) => `reader${i}`);
    const created = await suite.cluster.admin('us/n1', 'POST', '/admin/conversations', {
      id: conv,
      members: ['writer', ...users],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const writer = client('writer', ['us', 'ap', 'eu'], []);
    const readers = users.map((user, i) =>
      client(user, i % 2 === 0 ? ['eu', 'us', 'ap'] : ['eu', 'ap', 'us'], [conv]),
    );
    writer.c.start();
    for (const r of readers) r.c.start();
    await writer.log.waitFor('connected', undefined, 20_000);
    for (const r of readers) {
      expect(await r.log.waitFor('connected', undefined, 20_000)).toMatchObject({ region: 'eu' });
      await r.log.waitFor('synced', undefined, 20_000);
    }
    writer.c.send(conv, 'before', 'x');
    await writer.log.waitFor('acked', undefined, 20_000);
    for (const r of readers) await r.log.waitFor('delivered', (d) => d.cmid === 'before', 20_000);

    await suite.cluster.kill(FROZEN, 'SIGSTOP');
    const frozenAt = Date.now();
    try {
      // Written while the readers are still stuck on the frozen node: they get it by sync.
      writer.c.send(conv, 'during', 'x');
      await writer.log.waitFor('acked', (a) => a.cmid === 'during', 20_000);
      const recovered = await Promise.all(
        readers.map((r) => r.log.waitFor('connected', (e) => e.t >= frozenAt, RECOVERY_BOUND_MS + 2000)),
      );
      const recoveryMs = recovered.map((e) => e.t - frozenAt);
      expect(Math.max(...recoveryMs), `recovery times ${recoveryMs.join(', ')} ms`).toBeLessThan(
        RECOVERY_BOUND_MS,
      );
      for (const [i, r] of readers.entries()) {
        expect(recovered[i]!.region).not.toBe('eu');
        const down = r.log.of('disconnected')[0]!;
        expect(down).toMatchObject({ region: 'eu', reason: 'heartbeat timeout' });
        // No sooner than one ping timeout: nothing guessed the node dead early.
        expect(down.t - frozenAt).toBeGreaterThanOrEqual(2000 - 50);
      }
      for (const r of readers) await r.log.waitFor('delivered', (d) => d.cmid === 'during', 10_000);
      // Written after they moved: pushed to them in their new regions.
      writer.c.send(conv, 'after', 'x');
      await writer.log.waitFor('acked', (a) => a.cmid === 'after', 20_000);
      for (const r of readers) {
        const delivered = await r.log.waitFor('delivered', (d) => d.cmid === 'after', 10_000);
        expect(delivered.via).toBe('push');
      }
      // Probes home while it is frozen changed nothing: one move each, still away.
      for (const r of readers) {
        expect(r.log.of('failover')).toHaveLength(1);
        expect(r.c.region).not.toBe('eu');
      }
    } finally {
      await suite.cluster.kill(FROZEN, 'SIGCONT');
    }
    const thawedAt = Date.now();
    // The next probe home is welcomed: each returns once and stays.
    for (const r of readers) {
      const back = await r.log.waitFor('failover', (f) => f.to === 'eu', 15_000);
      // At most one probe interval (2 s) after a probe that was still waiting on the frozen node.
      expect(back.t - thawedAt).toBeLessThan(8000);
    }
    writer.c.send(conv, 'home', 'x');
    await writer.log.waitFor('acked', (a) => a.cmid === 'home', 20_000);
    for (const r of readers) await r.log.waitFor('delivered', (d) => d.cmid === 'home', 10_000);
    await sleep(2000);
    for (const r of readers) {
      expect(r.log.of('failover').map((f) => f.to)).toEqual([r.log.of('failover')[0]!.to, 'eu']);
      expect(r.c.region).toBe('eu');
      const cmids = r.log.of('delivered').map((d) => d.cmid);
      expect(cmids).toEqual(['before', 'during', 'after', 'home']);
    }
  });
});
