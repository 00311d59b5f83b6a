// The plan a generated k6 script embeds is the local run's own: the same users with their home
// regions, the same conversations, the same seeded sends at the same times with the same cmids,
// endpoints in the client SDK's failover order and tokens the servers accept for the whole run.
// And `chatquake k6` refuses what it cannot do, naming the flag, region or bound.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseRunFlags } from '../../harness/cli/flags.ts';
import { k6Spec } from '../../harness/cli/options.ts';
import { main } from '../../harness/commands/k6.ts';
import { buildK6Plan, K6_DRAIN_MS, MAX_K6_SENDS, TOKEN_MARGIN_SECONDS } from '../../harness/k6/build-plan.ts';
import { planOfScript } from '../../harness/k6/plan.ts';
import { loadTopology, parseTopology, type Topology } from '../../harness/k6/topology.ts';
import { prepareRun } from '../../harness/scenario/prepare.ts';
import { ScenarioError } from '../../harness/scenario/scenario.ts';
import { mergeThresholds } from '../../harness/scenario/thresholds.ts';
import { verifyToken } from '../../im-server/token.ts';
import { schedule } from '../../load/index.ts';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/topology.json');
const topology = loadTopology(FIXTURE, {});
const NOW = Date.UTC(2026, 0, 1, 12);

async function prepared(args: string[]) {
  return prepareRun(parseRunFlags(args, 'k6', k6Spec));
}

describe.each([
  ['steady-state', ['--seed', '11', '--duration', '6s', '--users', '40', '--rate', '30']],
  ['region-outage', ['--seed', '5', '--duration', '8s', '--users', '30', '--rate', '25']],
])('the plan of %s', (scenario, flags) => {
  it('has the workload, the schedule, the failover order, the tokens and the thresholds of the local run', async () => {
    const run = await prepared([scenario, ...flags]);
    const { plan } = buildK6Plan(run, topology, { now: NOW, runId: 'r1' });

    expect(plan.users.map((u) => ({ id: u.id, region: u.region }))).toEqual(run.workload.users);
    expect(plan.conversations).toEqual(run.workload.conversations);
    expect(plan.regions).toEqual(run.scenario.topology.regions);
    expect(plan.seed).toBe(run.seed);
    expect(plan.durationMs).toBe(run.scenario.durationMs);
    expect(plan.thresholds).toEqual(mergeThresholds(run.scenario.thresholds));

    const expected = [...schedule(run.scenario.workload, run.workload, run.scenario.durationMs, run.seed)];
    const perUser = new Map<string, number>();
    const flat = expected.map((s) => {
      const n = perUser.get(s.user) ?? 0;
      perUser.set(s.user, n + 1);
      return { user: s.user, at: s.at, conv: s.conv, cmid: `${s.user}-${n}` };
    });
    const planned = Object.entries(plan.sends).flatMap(([user, list]) =>
      list.map(([at, conv, cmid]) => ({ user, at, conv, cmid })),
    );
    expect(planned).toHaveLength(flat.length);
    const byCmid = new Map(planned.map((p) => [p.cmid, p]));
    for (const want of flat) {
      const got = byCmid.get(want.cmid);
      expect(got?.conv).toBe(want.conv);
      expect(got?.user).toBe(want.user);
      expect(Math.abs((got?.at ?? Number.NaN) - want.at)).toBeLessThan(0.001);
    }

    const order = ['us-east', 'eu-west', 'ap-south'];
    for (const user of plan.users) {
      const regions = order.filter((r) => run.scenario.topology.regions.includes(r));
      const want = [user.region, ...regions.filter((r) => r !== user.region)].flatMap(
        (r) => topology.regions.find((t) => t.name === r)?.endpoints ?? [],
      );
      expect(user.endpoints).toEqual(want);
      const convs = run.workload.conversations.filter((c) => c.members.includes(user.id)).map((c) => c.id);
      expect(user.convs).toEqual(convs);
    }

    const ttlMs =
      (Math.ceil((plan.connectRampMs + 1000 + plan.durationMs + K6_DRAIN_MS) / 1000) + TOKEN_MARGIN_SECONDS) *
      1000;
    for (const user of plan.users.slice(0, 5)) {
      expect(verifyToken(user.token, topology.secret, NOW)).toEqual({ user: user.id });
      expect(verifyToken(user.token, topology.secret, NOW + ttlMs - 1000)).toEqual({ user: user.id });
      expect(verifyToken(user.token, topology.secret, NOW + ttlMs + 1000)).toBeNull();
      expect(verifyToken(user.token, 'another-secret', NOW)).toBeNull();
    }
  });
});

describe('what the plan refuses', () => {
  it('a topology without one of the scenario regions, naming the region', async () => {
    const run = await prepared(['steady-state', '--seed', '1', '--duration', '2s']);
    const raw = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { regions: { name: string }[] };
    const partial = parseTopology(
      { ...raw, regions: raw.regions.filter((r) => r.name !== 'ap-south') },
      'two.json',
      {},
    );
    expect(() => buildK6Plan(run, partial, { topologyName: '--topology two.json' })).toThrow(
      /--topology two\.json: regions: no region "ap-south"/,
    );
  });

  it('a plan over the bound, naming the flags that shrink it', async () => {
    expect(MAX_K6_SENDS).toBe(2_000_000);
    const run = await prepared(['steady-state', '--seed', '1', '--duration', '5s', '--rate', '100']);
    expect(() => buildK6Plan(run, topology, { maxSends: 100 })).toThrow(ScenarioError);
    expect(() => buildK6Plan(run, topology, { maxSends: 100 })).toThrow(
      /more than 100 sends.*--duration.*--rate/,
    );
    expect(() => buildK6Plan(run, topology, { maxSends: 10_000 })).not.toThrow();
  });

  it('only the reference target', async () => {
    const run = await prepared(['xmpp-partition', '--seed', '1', '--duration', '2s']);
    const xmppTopology: Topology = { ...topology };
    expect(() => buildK6Plan(run, xmppTopology)).toThrow(/scenario\.target: .*"xmpp"/);
  });
});

describe('chatquake k6', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k6-gen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr += String(chunk);
      return true;
    });
    try {
      return { code: await main(args), stderr };
    } finally {
      spy.mockRestore();
    }
  }

  it('writes the script with the plan to -o', async () => {
    const out = join(dir, 'script.js');
    const { code } = await run([
      'steady-state',
      '--topology',
      FIXTURE,
      '-o',
      out,
      '--seed',
      '3',
      '-d',
      '2s',
      '-q',
    ]);
    expect(code).toBe(0);
    const plan = planOfScript(readFileSync(out, 'utf8')) as {
      scenario: string;
      seed: number;
      users: unknown[];
    };
    expect(plan.scenario).toBe('steady-state');
    expect(plan.seed).toBe(3);
    expect(plan.users).toHaveLength(150);
  });

  it('--setup creates every conversation through the admin API with the admin token', async () => {
    const seen: { auth: string | undefined; body: { id: string; members: string[] } }[] = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => {
        text += String(chunk);
      });
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/admin/conversations')
          seen.push({ auth: req.headers.authorization, body: JSON.parse(text) });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const admin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const file = join(dir, 'local.json');
    writeFileSync(
      file,
      JSON.stringify({
        regions: ['eu-west', 'us-east'].map((name) => ({
          name,
          endpoints: ['ws://127.0.0.1:1/ws'],
          adminUrls: [admin],
        })),
        secret: 's3cret',
        adminToken: 'admin-token-for-test',
      }),
    );
    try {
      const out = join(dir, 'setup.js');
      const args = ['steady-state', '--topology', file, '--setup', '-o', out, '--regions', 'eu-west,us-east'];
      const { code } = await run([...args, '--seed', '9', '-u', '12', '-d', '2s', '-q']);
      expect(code).toBe(0);
      const plan = planOfScript(readFileSync(out, 'utf8')) as {
        conversations: { id: string; members: string[] }[];
      };
      expect(seen.map((s) => s.body).sort((a, b) => a.id.localeCompare(b.id))).toEqual(
        [...plan.conversations].sort((a, b) => a.id.localeCompare(b.id)),
      );
      expect(new Set(seen.map((s) => s.auth))).toEqual(new Set(['Bearer admin-token-for-test']));
    } finally {
      server.close();
    }
  });

  it('exits 1 when --setup cannot reach the deployment, writing no script', async () => {
    const file = join(dir, 'unreachable.json');
    writeFileSync(
      file,
      JSON.stringify({
        regions: [{ name: 'eu-west', endpoints: ['ws://127.0.0.1:1/ws'], adminUrls: ['http://127.0.0.1:1'] }],
        secret: 's3cret',
        adminToken: 'admin-token-for-test',
      }),
    );
    const out = join(dir, 'never.js');
    const { code, stderr } = await run([
      'steady-state',
      '--topology',
      file,
      '--setup',
      '-o',
      out,
      '--regions',
      'eu-west',
      '-u',
      '4',
      '-d',
      '1s',
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/--setup: /);
    expect(() => readFileSync(out)).toThrow();
  });

  it('exits 104 naming what is wrong: no --topology, a bad file, a missing region, a bad flag', async () => {
    const missing = await run(['steady-state', '-o', join(dir, 'x.js')]);
    expect(missing.code).toBe(104);
    expect(missing.stderr).toMatch(/--topology: required/);

    const broken = join(dir, 'broken.json');
    writeFileSync(
      broken,
      JSON.stringify({ regions: [{ name: 'eu-west', endpoints: ['http://x'], adminUrls: [] }] }),
    );
    const bad = await run(['steady-state', '--topology', broken]);
    expect(bad.code).toBe(104);
    expect(bad.stderr).toMatch(/--topology .*broken\.json: regions\[0\]\.endpoints\[0\]: must be a ws:\/\//);

    const fewer = await run(['steady-state', '--topology', FIXTURE, '--regions', 'eu-west,sa-east']);
    expect(fewer.code).toBe(104);
    expect(fewer.stderr).toMatch(/no region "sa-east"/);

    const flag = await run(['steady-state', '--topology', FIXTURE, '--rate', 'fast']);
    expect(flag.code).toBe(104);
    expect(flag.stderr).toMatch(/--rate: must be a number/);
  });
});
