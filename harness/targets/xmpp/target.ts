// The XMPP target: chatquake's MessagingTarget over Prosody regions. Users are accounts on their
// home region's server (`user@<domain>`), conversations are direct (two members, so XMPP's
// one-to-one chat carries them without MUC), sessions are in session.ts, and a region's log of
// a conversation is the MAM archive of the member homed there (mam.ts). The topology half
// (types.ts) gives the regions and a way to create accounts.
import { createHash } from 'node:crypto';
import type {
  ConnectOptions,
  ConversationSpec,
  MessagingTarget,
  RegionDigest,
  RegionLog,
  TargetSession,
} from '../../../contracts/target.ts';
import { createArchiveReaders } from './mam.ts';
import { closeClient, createXmppSession, openXmppClient, type XmppConnectionOptions } from './session.ts';
import { conversationSeq, jidLocal, memberIndexOfSeq } from './stanza.ts';
import type { XmppAccounts, XmppRegion } from './types.ts';

export interface XmppTargetOptions {
  regions: XmppRegion[];
  accounts: XmppAccounts;
  /** Resend unacked stanzas after a reconnect that did not resume the stream (XmppOptions.resend). */
  resend: boolean;
  password: (user: string) => string;
  /** Reconnect jitter; default Math.random. */
  random?: () => number;
  /** Socket connect plus stream negotiation, per attempt; default 5000. */
  connectTimeoutMs?: number;
  /** Per MAM page; default 10000. */
  readTimeoutMs?: number;
  /** Base delay before reconnecting; default 1000 (each drop draws 0.5–1.5 ×). */
  reconnectDelayMs?: number;
}

type ResolvedOptions = Required<XmppTargetOptions>;

export function resolveXmppTargetOptions(options: XmppTargetOptions): ResolvedOptions {
  if (options.regions.length === 0) throw new RangeError('regions: at least one region is required');
  return {
    random: Math.random,
    connectTimeoutMs: 5_000,
    readTimeoutMs: 10_000,
    reconnectDelayMs: 1_000,
    ...options,
  };
}

/** sha256 over `cmid\n` per message in seq order: the reference server's digest, so runs compare. */
function logHash(cmids: string[]): string {
  const hash = createHash('sha256');
  for (const cmid of cmids) hash.update(`${cmid}\n`);
  return hash.digest('hex');
}

/** A region's log summarised as the reference server digests its own. */
function digestOf(log: RegionLog): RegionDigest {
  return {
    region: log.region,
    conv: log.conv,
    count: log.messages.length,
    lastSeq: log.messages.at(-1)?.seq ?? 0,
    hash: logHash(log.messages.map((m) => m.cmid)),
  };
}

export interface XmppTarget extends MessagingTarget {
  addUsers(users: readonly { user: string; region: string }[]): Promise<void>;
  /** Closes the readers (sessions are closed by their owners). */
  close(): Promise<void>;
}

export function createXmppTarget(input: XmppTargetOptions): XmppTarget {
  const options = resolveXmppTargetOptions(input);
  const homes = new Map<string, string>();
  const conversations = new Map<string, string[]>();
  /** Per `user\0conv`: how many messages the user has sent there (across its sessions). */
  const counters = new Map<string, number>();
  const sessionCounts = new Map<string, number>();
  /** JID local part -> user, to name senders as the workload does. */
  const locals = new Map<string, string>();
  const userOf = (local: string): string => locals.get(local) ?? local;
  function setHome(user: string, home: string): void {
    homes.set(user, home);
    locals.set(jidLocal(user), user);
  }

  function region(name: string): XmppRegion {
    const found = options.regions.find((r) => r.name === name);
    if (found === undefined) {
      throw new RangeError(`region "${name}" is not one of ${options.regions.map((r) => r.name).join(', ')}`);
    }
    return found;
  }

  function homeOf(user: string): XmppRegion {
    const home = homes.get(user);
    if (home === undefined) throw new RangeError(`user "${user}" has no home region (addUsers first)`);
    return region(home);
  }

  const jidOf = (user: string): string => `${jidLocal(user)}@${homeOf(user).domain}`;

  function connection(user: string, resource: string): XmppConnectionOptions {
    const home = homeOf(user);
    return {
      service: home.service,
      domain: home.domain,
      username: jidLocal(user),
      password: options.password(user),
      resource,
      connectTimeoutMs: options.connectTimeoutMs,
      reconnectDelayMs: options.reconnectDelayMs,
      random: options.random,
    };
  }

  function assign(user: string, conv: string): { to: string; seq: number } {
    const members = conversations.get(conv);
    const index = members?.indexOf(user) ?? -1;
    if (members === undefined || index < 0)
      throw new Error(`${user} is not a member of conversation ${conv}`);
    const to = jidOf(members[1 - index] as string);
    const key = `${user}\0${conv}`;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return { to, seq: conversationSeq(n, index) };
  }

  // Readers never send presence, so the server pushes them nothing.
  const readers = createArchiveReaders({
    open: (user) => openXmppClient(connection(user, 'chatquake-reader')),
    close: (client) => closeClient(client, options.connectTimeoutMs),
    timeoutMs: options.readTimeoutMs,
  });

  function peerOf(user: string, conv: string): { user: string; jid: string; index: number } | undefined {
    const members = conversations.get(conv);
    const index = members?.indexOf(user) ?? -1;
    const peer = members?.[1 - index];
    if (index < 0 || peer === undefined || !homes.has(peer)) return undefined;
    return { user: peer, jid: jidOf(peer), index: 1 - index };
  }

  /** Per `user\0conv`: the user's messages that came back as errors. */
  const bounced = new Map<string, Set<string>>();
  function noteBounce(user: string, conv: string, cmid: string): void {
    const key = `${user}\0${conv}`;
    let set = bounced.get(key);
    if (set === undefined) {
      set = new Set();
      bounced.set(key, set);
    }
    set.add(cmid);
  }

  async function readLog(regionName: string, conv: string): Promise<RegionLog> {
    region(regionName);
    const members = conversations.get(conv) ?? [];
    const owner = members.find((m) => homes.get(m) === regionName);
    if (owner === undefined) return { region: regionName, conv, messages: [] };
    const peer = members.find((m) => m !== owner) as string;
    const archive = await readers.read(owner, jidOf(peer));
    const refused = bounced.get(`${owner}\0${conv}`);
    const messages = archive
      .filter((m) => m.conv === conv)
      .map((m) => ({
        seq: m.seq,
        cmid: m.cmid,
        from: m.from === undefined ? (members[memberIndexOfSeq(m.seq)] ?? '') : userOf(m.from),
      }))
      // The sender's archive keeps what it sent even when it bounced; its client shows those as
      // failed, not as part of the chat, so the region's log leaves them out.
      .filter((m) => !(m.from === owner && refused?.has(m.cmid)))
      .sort((a, b) => a.seq - b.seq);
    return { region: regionName, conv, messages };
  }

  return {
    name: 'xmpp',

    regions() {
      return options.regions.map((r) => r.name);
    },

    async addUsers(users) {
      for (const { user, region: home } of users) {
        region(home);
        await options.accounts.register(home, jidLocal(user), options.password(user));
        setHome(user, home);
      }
    },

    // Where the chat is held (its members' servers) is decided before the run, by the
    // definition's placement (index.ts), so nothing is returned here.
    async createConversation(spec: ConversationSpec): Promise<void> {
      if (spec.members.length !== 2 || spec.members[0] === spec.members[1]) {
        throw new RangeError(
          "members: the xmpp target supports direct conversations of 2 members; set the workload's groups to 0",
        );
      }
      for (const member of spec.members) homeOf(member);
      conversations.set(spec.id, [...spec.members]);
    },

    connect(connectOptions: ConnectOptions): TargetSession {
      const { user } = connectOptions;
      if (!homes.has(user)) setHome(user, region(connectOptions.region).name);
      const n = (sessionCounts.get(user) ?? 0) + 1;
      sessionCounts.set(user, n);
      const id = `${user}#${n}`;
      return createXmppSession({
        id,
        user,
        region: homeOf(user).name,
        connection: connection(user, `chatquake-${n}`),
        resend: options.resend,
        assign: (conv) => assign(user, conv),
        conversations: connectOptions.conversations,
        peer: (conv) => peerOf(user, conv),
        readTimeoutMs: options.readTimeoutMs,
        userOf,
        onEvent: (event) => {
          if (event.type === 'send_failed') noteBounce(user, event.conv, event.cmid);
          connectOptions.onEvent(event);
        },
      });
    },

    digest: async (regionName: string, conv: string): Promise<RegionDigest> =>
      digestOf(await readLog(regionName, conv)),

    readLog,

    close: () => readers.close(),
  };
}
