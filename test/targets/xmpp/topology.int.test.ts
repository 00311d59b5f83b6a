// The XMPP topology with real Prosody servers behind the embedded fault proxy: accounts written
// to file storage log in, a message crosses regions through the link proxies (and stops when
// they are cut), crash and restart act on Prosody itself, and nothing outlives close().
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCleanupRegistry } from '../../../harness/local/cleanup.ts';
import { startXmppTopology, type XmppTopology } from '../../../harness/targets/xmpp/topology.ts';
import type { XmppOptions } from '../../../harness/targets/xmpp/types.ts';
import { sleep } from '../../../lib/async.ts';

const REGIONS = ['eu-west', 'us-east'];

// The little of @xmpp/client (untyped) this test uses; loaded by a variable name so that the
// typecheck does not depend on the target's declaration of the module.
interface Stanza {
  is(name: string): boolean;
  getChildText(name: string): string | null;
}
interface Client {
  on(event: 'error', listener: (error: Error) => void): void;
  on(event: 'stanza', listener: (stanza: Stanza) => void): void;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(stanza: Stanza): Promise<void>;
}
interface XmppModule {
  client(options: {
    service: string;
    domain: string;
    username: string;
    password: string;
    credentials: (
      authenticate: (c: { username: string; password: string }, mechanism: string) => Promise<void>,
    ) => Promise<void>;
  }): Client;
  xml(name: string, attrs: Record<string, string>, ...children: (Stanza | string)[]): Stanza;
}
const XMPP_CLIENT = '@xmpp/client';
const { client, xml } = (await import(XMPP_CLIENT)) as XmppModule;

interface Session {
  xmpp: Client;
  bodies: string[];
}

async function online(topology: XmppTopology, region: string, user: string): Promise<Session> {
  const found = topology.xmppRegions().find((r) => r.name === region);
  if (found === undefined) throw new Error(`no region ${region}`);
  const xmpp = client({
    service: found.service,
    domain: found.domain,
    username: user,
    password: `${user}-pw`,
    // The regions offer PLAIN only (docs/XMPP.md), which @xmpp/client picks off TLS only when told.
    credentials: (authenticate) => authenticate({ username: user, password: `${user}-pw` }, 'PLAIN'),
  });
  const bodies: string[] = [];
  xmpp.on('error', () => {});
  xmpp.on('stanza', (stanza) => {
    const body = stanza.is('message') ? stanza.getChildText('body') : null;
    if (body !== null) bodies.push(body);
  });
  await xmpp.start();
  await xmpp.send(xml('presence', {}));
  return { xmpp, bodies };
}

async function arrives(session: Session, body: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (session.bodies.includes(body)) return true;
    await sleep(50);
  }
  return false;
}

function send(from: Session, to: string, body: string): Promise<void> {
  return from.xmpp.send(xml('message', { to, type: 'chat', id: body }, xml('body', {}, body)));
}

function pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function start(runDir: string, xmpp: XmppOptions, regions = REGIONS) {
  return startXmppTopology({
    runDir,
    regions,
    seed: 7,
    secret: 'unused',
    adminToken: 'unused',
    registry: createCleanupRegistry(),
    xmpp,
  });
}

describe('XMPP topology, smacks s2s', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'chatquake-xmpp-'));
  let topology: XmppTopology;
  const sessions: Session[] = [];

  beforeAll(async () => {
    topology = await start(runDir, { s2s: 'smacks', resend: true, s2sResend: false, s2sAckTimeoutMs: 5000 });
    await topology.register('eu-west', 'alice', 'alice-pw');
    await topology.register('us-east', 'bob', 'bob-pw');
  });

  afterAll(async () => {
    for (const s of sessions) await s.xmpp.stop().catch(() => {});
    await topology?.close();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('federates through the link proxies, and cutting them stops delivery', async () => {
    const alice = await online(topology, 'eu-west', 'alice');
    const bob = await online(topology, 'us-east', 'bob');
    sessions.push(alice, bob);
    await send(alice, 'bob@us-east.chatquake.test', 'm1');
    expect(await arrives(bob, 'm1', 15_000)).toBe(true);
    const links = topology.proxies().filter((p) => p.kind === 'link');
    expect(links.map((p) => p.name).sort()).toEqual(['link:eu-west->us-east.n1', 'link:us-east->eu-west.n1']);
    for (const link of links) await topology.setProxyEnabled(link.name, false);
    await send(alice, 'bob@us-east.chatquake.test', 'm2');
    expect(await arrives(bob, 'm2', 3_000)).toBe(false);
    for (const link of links) await topology.setProxyEnabled(link.name, true);
    const log = readFileSync(join(runDir, 'logs', 'eu-west.log'), 'utf8');
    expect(log).toContain('Outgoing s2s connection eu-west.chatquake.test->us-east.chatquake.test complete');
    expect(log).toContain('Stream encrypted');
    expect(log).not.toMatch(/modulemanager\s+error|Unable to load/);
  });

  it('names Prosody itself as the node, and crash and restart act on it', async () => {
    const pid = topology.pidOf('eu-west', 'n1') as number;
    const config = join(runDir, 'prosody', 'eu-west', 'prosody.cfg.lua');
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain(config);
    await topology.stopNode('eu-west', 'n1', 'kill');
    expect(topology.node('eu-west', 'n1').running).toBe(false);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    await topology.startNode('eu-west', 'n1');
    const again = topology.pidOf('eu-west', 'n1') as number;
    expect(again).not.toBe(pid);
    const alice = await online(topology, 'eu-west', 'alice');
    sessions.push(alice);
    await expect(topology.addNode('eu-west')).rejects.toThrow(/one Prosody server per region/);
  });

  it('takes Prosody down with its wrapper, even when the wrapper is SIGKILLed', async () => {
    const pid = topology.pidOf('us-east', 'n1') as number;
    const wrapper = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
    process.kill(wrapper, 'SIGKILL');
    const deadline = Date.now() + 5_000;
    while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await sleep(50);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    await topology.startNode('us-east', 'n1');
    expect(topology.node('us-east', 'n1').running).toBe(true);
  });

  it('leaves no Prosody behind after close(), a paused one included', async () => {
    expect(pgrep(`bin/prosody --config ${runDir}/`).length).toBe(2);
    process.kill(topology.pidOf('eu-west', 'n1') as number, 'SIGSTOP');
    await topology.close();
    await topology.close();
    expect(pgrep(`bin/prosody --config ${runDir}/`)).toEqual([]);
  });
});

describe('XMPP topology, dialback s2s', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'chatquake-xmpp-dialback-'));
  let topology: XmppTopology;

  afterAll(async () => {
    await topology?.close();
    rmSync(runDir, { recursive: true, force: true });
  });

  it("federates across three regions (both of a DNS view's SRV records)", async () => {
    topology = await start(runDir, { s2s: 'dialback', resend: true, s2sResend: false, s2sAckTimeoutMs: 0 }, [
      ...REGIONS,
      'ap-south',
    ]);
    await topology.register('eu-west', 'alice', 'alice-pw');
    await topology.register('us-east', 'bob', 'bob-pw');
    await topology.register('ap-south', 'carol', 'carol-pw');
    const alice = await online(topology, 'eu-west', 'alice');
    const bob = await online(topology, 'us-east', 'bob');
    const carol = await online(topology, 'ap-south', 'carol');
    await send(alice, 'bob@us-east.chatquake.test', 'd1');
    await send(alice, 'carol@ap-south.chatquake.test', 'd2');
    expect(await arrives(bob, 'd1', 15_000)).toBe(true);
    expect(await arrives(carol, 'd2', 15_000)).toBe(true);
    for (const s of [alice, bob, carol]) await s.xmpp.stop().catch(() => {});
    expect(readFileSync(join(runDir, 'logs', 'eu-west.log'), 'utf8')).not.toContain('Stream encrypted');
  });
});
