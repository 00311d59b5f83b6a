// The built-in api-storm scenario through the real CLI with a fixed seed: a region outage, then
// every member reads its history over the HTTP API at once, next to WebSocket load with a quarter
// of the sends over the API. The history must hold API sends (acked) and reads (short sync
// sessions), and the verdict must pass: the checkers judge the API traffic as they judge sessions.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../contracts/history.ts';
import { runCli } from '../e2e/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'chatquake-api-storm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('api-storm', () => {
  it('passes on the reference server and records API sends and reads', async () => {
    const out = join(dir, 'run');
    // Seed 7 is the run whose reads during the failover caught a new home serving less than it
    // had served as a follower (a monotonic-reads violation, fixed in im-server/engine/follower.ts).
    const result = await runCli(['run', 'api-storm', '--seed', '7', '--out', out], { timeoutMs: 60_000 });
    expect(result.stdout).toContain('PASSED');
    expect(result.code).toBe(0);
    const events = readFileSync(join(out, 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as HistoryEvent);
    const apiUps = events.filter((e) => e.type === 'conn_up' && e.session.startsWith('api:'));
    // The storm: every member reads each of its conversations.
    expect(apiUps.length).toBeGreaterThanOrEqual(40);
    const apiSynced = events.filter((e) => e.type === 'synced' && e.session.startsWith('api:'));
    expect(apiSynced.length).toBeGreaterThan(0);
    // Reads while the region is dark (5–10 s), when conversations are changing homes.
    const start = events[0]?.t ?? 0;
    const duringOutage = apiSynced.filter((e) => e.t - start > 5_500 && e.t - start < 10_000);
    expect(duringOutage.length).toBeGreaterThan(10);
    const apiDelivered = events.filter((e) => e.type === 'deliver' && e.session.startsWith('api:'));
    expect(apiDelivered.length).toBeGreaterThan(100);
    // API sends carry no `region` on their send event (sessions' do) and are acked.
    const apiSends = new Set<string>();
    for (const e of events) if (e.type === 'send' && e.region === undefined) apiSends.add(e.cmid);
    expect(apiSends.size).toBeGreaterThan(50);
    const acked = events.filter((e) => e.type === 'ack' && apiSends.has(e.cmid));
    expect(acked.length).toBe(apiSends.size);
  }, 80_000);
});
