// The target table as a scenario meets it: `target` and `--target` pick a definition, its
// options are checked against its own schema, and what it cannot do (modes, fault actions,
// shapes of workload, bug knobs of another target) is refused before anything starts, naming
// the field. The XMPP target places each chat on its members' servers.
import { describe, expect, it } from 'vitest';
import { applyFlags, parseRunFlags } from '../../harness/cli/flags.ts';
import { prepareRun, prepareScenario } from '../../harness/scenario/prepare.ts';
import { parseScenario, ScenarioError } from '../../harness/scenario/scenario.ts';
import { TARGET_NAMES, TARGETS } from '../../harness/targets/index.ts';

const xmpp = {
  name: 'xmpp-unit',
  description: 'two XMPP regions, direct chats only',
  duration: '20s',
  target: 'xmpp',
  topology: { regions: ['eu-west', 'us-east'] },
  workload: { users: 20, rate: 10, conversations: { groups: 0 } },
  chaos: [
    { fault: 'partition', name: 'split', groups: [['eu-west'], ['us-east']], at: '5s', duration: '5s' },
  ],
};

const prepared = (raw: object) => prepareScenario(parseScenario(raw), 'inline');
const refusal = (raw: object): string => {
  try {
    prepared(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
  throw new Error('expected a ScenarioError');
};

describe('the target table', () => {
  it('knows the reference server and XMPP, and the reference server is the default', () => {
    expect(TARGET_NAMES).toEqual(['reference', 'xmpp']);
    const { target, ...rest } = xmpp;
    expect(parseScenario(rest).target).toBe('reference');
    expect(parseScenario(xmpp).target).toBe('xmpp');
  });

  it('refuses a target it does not know, naming the field and the choices', () => {
    expect(() => parseScenario({ ...xmpp, target: 'matrix' })).toThrow(
      /scenario\.target: must be one of: reference, xmpp/,
    );
    expect(() => parseRunFlags(['partition', '--target', 'irc'])).toThrow(
      /--target.*must be one of: reference, xmpp/,
    );
  });

  it('lets --target override the scenario, dropping the options meant for the other target', () => {
    const scenario = parseScenario({ ...xmpp, targetOptions: { s2s: 'dialback' } });
    const flipped = applyFlags(scenario, parseRunFlags(['x', '--target', 'reference']));
    expect(flipped.target).toBe('reference');
    expect(flipped.targetOptions).toEqual({});
    const same = applyFlags(scenario, parseRunFlags(['x', '--target', 'xmpp']));
    expect(same.targetOptions).toEqual({ s2s: 'dialback' });
  });
});

describe('the xmpp target, before anything starts', () => {
  it('applies its options’ defaults and keeps what the scenario set', () => {
    expect(prepared(xmpp).targetOptions).toEqual({
      s2s: 'smacks',
      resend: true,
      s2sResend: false,
      s2sAckTimeoutMs: 0,
    });
    expect(
      prepared({ ...xmpp, targetOptions: { s2s: 'dialback', resend: false } }).targetOptions,
    ).toMatchObject({
      s2s: 'dialback',
      resend: false,
    });
  });

  it('names a bad option by its field', () => {
    expect(refusal({ ...xmpp, targetOptions: { s2s: 'carrier-pigeon' } })).toMatch(
      /^scenario\.targetOptions\.s2s: /,
    );
    expect(refusal({ ...xmpp, targetOptions: { resned: true } })).toMatch(/scenario\.targetOptions.*resned/);
    expect(refusal({ ...xmpp, target: 'reference', targetOptions: { s2s: 'smacks' } })).toMatch(
      /scenario\.targetOptions.*s2s/,
    );
  });

  it('places every chat on its members’ home servers, as its residency', () => {
    const run = prepared(xmpp);
    const homeOf = new Map(run.workload.users.map((u) => [u.id, u.region]));
    expect(run.workload.conversations.length).toBeGreaterThan(0);
    for (const c of run.workload.conversations) {
      expect(c.members).toHaveLength(2);
      expect(c.residency).toEqual([...new Set(c.members.map((m) => homeOf.get(m)))]);
    }
  });

  it('resolves faults against edge and link proxies only: no directory in an XMPP topology', () => {
    const run = prepared(xmpp);
    expect(run.layout.proxies.map((p) => p.kind).sort()).toEqual(['edge', 'edge', 'link', 'link']);
    const split = run.faults[0];
    expect(split?.actions).toEqual([
      { op: 'disable', proxy: 'link:eu-west->us-east.n1' },
      { op: 'disable', proxy: 'link:us-east->eu-west.n1' },
    ]);
  });

  it('refuses group conversations, several servers per region and a chosen residency', () => {
    expect(refusal({ ...xmpp, workload: { users: 20, rate: 10 } })).toMatch(
      /^scenario\.workload\.conversations\.groups: the xmpp target supports direct conversations of 2 members/,
    );
    expect(refusal({ ...xmpp, topology: { regions: ['eu-west', 'us-east'], nodesPerRegion: 2 } })).toMatch(
      /^scenario\.topology\.nodesPerRegion: the xmpp target runs one Prosody server per region/,
    );
  });

  it('refuses faults it cannot carry out, with the reason', () => {
    const skew = {
      fault: 'clockSkew',
      name: 'skew',
      node: 'eu-west/n1',
      offsetMs: 5000,
      at: '5s',
      duration: '5s',
    };
    expect(refusal({ ...xmpp, chaos: [skew] })).toMatch(
      /^scenario\.chaos: skew cannot run against the xmpp target: Prosody has no admin API/,
    );
    const grow = { fault: 'scaleOut', name: 'grow', region: 'eu-west', at: '5s' };
    expect(refusal({ ...xmpp, chaos: [grow] })).toMatch(
      /grow cannot run against the xmpp target: an XMPP region is one/,
    );
  });

  it('refuses another target’s bug knobs', () => {
    expect(refusal({ ...xmpp, topology: { regions: ['eu-west', 'us-east'], bugs: ['ack-early'] } })).toMatch(
      /^scenario\.topology\.bugs: "ack-early" is not a bug knob of the xmpp target$/,
    );
  });

  it('takes s2s-dialback as a knob that overrides the s2s mode, and the reference server refuses it', () => {
    const run = prepared({ ...xmpp, topology: { regions: ['eu-west', 'us-east'], bugs: ['s2s-dialback'] } });
    expect(run.scenario.topology.bugs).toEqual(['s2s-dialback']);
    expect(TARGETS.xmpp?.describeServers(run.scenario.topology, run.targetOptions)).toMatch(/s2s dialback/);
    expect(refusal({ ...xmpp, target: 'reference', topology: { bugs: ['s2s-dialback'] } })).toMatch(
      /"s2s-dialback" is not a bug knob of the reference target/,
    );
  });

  it('runs in local mode only', async () => {
    await expect(
      prepareRun(parseRunFlags(['partition', '--target', 'xmpp', '--mode', 'docker'])),
    ).rejects.toThrow(/--mode docker: the xmpp target runs in local mode only/);
  });

  it('describes each target in a sentence', () => {
    for (const t of Object.values(TARGETS)) expect(t.description).toMatch(/\w/);
  });
});
