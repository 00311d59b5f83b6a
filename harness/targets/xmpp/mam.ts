// Reads a user's message archive (XEP-0313 MAM, paged with XEP-0059 RSM) for the final reads and
// digests: in XMPP a conversation's durable copy is each member's archive on its home server,
// so a region's log of a direct conversation is the archive of the member homed there.
// Readers are logged-in connections that never send presence, so they receive no pushes.
/// <reference path="./xmpp-client.d.ts" />
import type { XmlElement, XmppClient } from '@xmpp/client';
import { xml } from '@xmpp/client';
import { type ChatquakeMessage, parseMessage } from './stanza.ts';

const NS_MAM = 'urn:xmpp:mam:2';
const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_FORWARD = 'urn:xmpp:forward:0';
const PAGE = 250;

let queryCounter = 0;

/** Where a read starts: after an archive id, or (without one) at a time. */
export interface ArchiveStart {
  after?: string;
  /** Server time, ISO 8601. */
  start?: string;
}

function queryElement(
  queryid: string,
  withJid: string,
  after: string | undefined,
  start?: string,
): XmlElement {
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'query',
      { xmlns: NS_MAM, queryid },
      xml(
        'x',
        { xmlns: 'jabber:x:data', type: 'submit' },
        xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM)),
        xml('field', { var: 'with' }, xml('value', {}, withJid)),
        start === undefined ? null : xml('field', { var: 'start' }, xml('value', {}, start)),
      ),
      xml(
        'set',
        { xmlns: NS_RSM },
        xml('max', {}, String(PAGE)),
        after === undefined ? null : xml('after', {}, after),
      ),
    ),
  );
}

/** The archived message inside a MAM result stanza for `queryid`, or undefined. */
export function archivedMessage(stanza: XmlElement, queryid: string): XmlElement | undefined {
  if (stanza.name !== 'message') return undefined;
  const result = stanza.getChild('result', NS_MAM);
  if (result === undefined || result.attrs.queryid !== queryid) return undefined;
  return result.getChild('forwarded', NS_FORWARD)?.getChild('message');
}

/** A chatquake message as the archive holds it, with its archive id (an RSM position). */
export interface ArchivedMessage extends ChatquakeMessage {
  archiveId: string;
}

/**
 * Every chatquake message in `reader`'s archive exchanged with `withJid`, in archive order,
 * from `from` when given, paging until the server says the result is complete. Each page
 * must answer within timeoutMs.
 */
export async function readArchive(
  reader: XmppClient,
  withJid: string,
  timeoutMs: number,
  from: ArchiveStart = {},
): Promise<ArchivedMessage[]> {
  const found: ArchivedMessage[] = [];
  let after = from.after;
  const start = after === undefined ? from.start : undefined;
  for (;;) {
    queryCounter += 1;
    const queryid = `cq-mam-${queryCounter}`;
    const page: ArchivedMessage[] = [];
    const onStanza = (stanza: XmlElement): void => {
      const archived = archivedMessage(stanza, queryid);
      const message = archived === undefined ? undefined : parseMessage(archived, false);
      const archiveId = stanza.getChild('result', NS_MAM)?.attrs.id;
      if (message !== undefined && archiveId !== undefined) page.push({ ...message, archiveId });
    };
    reader.on('stanza', onStanza);
    let answer: XmlElement;
    try {
      answer = await reader.iqCaller.request(queryElement(queryid, withJid, after, start), timeoutMs);
    } finally {
      reader.removeListener('stanza', onStanza);
    }
    found.push(...page);
    const fin = answer.getChild('fin', NS_MAM);
    const last = fin?.getChild('set', NS_RSM)?.getChildText('last', NS_RSM) ?? undefined;
    if (fin === undefined || fin.attrs.complete === 'true' || last === undefined || last === after)
      return found;
    after = last;
  }
}

export interface ArchiveReaders {
  /** `user`'s archive with `withJid`, over that user's reader connection (opened on first use). */
  read(user: string, withJid: string): Promise<ArchivedMessage[]>;
  /** Closes every reader. */
  close(): Promise<void>;
}

/**
 * One logged-in reader connection per reading user, kept for later reads. `open` makes a
 * connection (not started) and `close` ends one; a failed login is retried by the next read.
 */
export function createArchiveReaders(o: {
  open: (user: string) => XmppClient;
  close: (client: XmppClient) => Promise<void>;
  timeoutMs: number;
}): ArchiveReaders {
  const readers = new Map<string, Promise<XmppClient>>();
  const clients = new Set<XmppClient>();

  function reader(user: string): Promise<XmppClient> {
    let opened = readers.get(user);
    if (opened === undefined) {
      const xmpp = o.open(user);
      clients.add(xmpp);
      xmpp.on('error', () => {});
      const started = xmpp.start().then(() => xmpp);
      opened = started;
      started.catch(() => {
        if (readers.get(user) === started) readers.delete(user);
        clients.delete(xmpp);
        void o.close(xmpp);
      });
      readers.set(user, started);
    }
    return opened;
  }

  return {
    read: async (user, withJid) => readArchive(await reader(user), withJid, o.timeoutMs),
    async close() {
      const all = [...clients];
      readers.clear();
      clients.clear();
      await Promise.all(all.map((c) => o.close(c)));
    },
  };
}
