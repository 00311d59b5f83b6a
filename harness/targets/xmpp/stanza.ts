// The chat message stanza chatquake sends over XMPP, and how stanzas that come back are read:
// deliveries, error bounces and archived copies. Pure: no connection here, so the unit tests
// pin the wire shape (test/targets/xmpp/stanza.test.ts).
//
// A message carries its identity twice, as XMPP clients expect (the stanza id and XEP-0359's
// origin-id), and chatquake's own `<cq conv seq/>`, without which a stanza is not ours.
/// <reference path="./xmpp-client.d.ts" />
import { type XmlElement, xml } from '@xmpp/client';

export const NS_CQ = 'urn:chatquake:0';
export const NS_SID = 'urn:xmpp:sid:0';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/**
 * The conversation-wide seq of a direct conversation's message: the sender's own count `n`
 * (1, 2, 3…) interleaved by its member index, so seqs are unique per conversation and rise per sender.
 */
export function conversationSeq(n: number, memberIndex: number): number {
  return n * 2 + memberIndex;
}

/** The member index a seq came from (the inverse of conversationSeq's interleaving). */
export function memberIndexOfSeq(seq: number): number {
  return ((seq % 2) + 2) % 2;
}

export interface OutgoingMessage {
  to: string;
  cmid: string;
  conv: string;
  seq: number;
  body: string;
}

export function buildMessage(m: OutgoingMessage): XmlElement {
  return xml(
    'message',
    { type: 'chat', to: m.to, id: m.cmid },
    xml('body', {}, m.body),
    xml('origin-id', { xmlns: NS_SID, id: m.cmid }),
    xml('cq', { xmlns: NS_CQ, conv: m.conv, seq: String(m.seq) }),
  );
}

const JID_ESCAPES: Record<string, string> = {
  ' ': '\\20',
  '"': '\\22',
  '&': '\\26',
  "'": '\\27',
  '/': '\\2f',
  ':': '\\3a',
  '<': '\\3c',
  '>': '\\3e',
  '@': '\\40',
  '\\': '\\5c',
};

/**
 * The JID local part that stands for a chatquake user: lower-cased (servers case-fold local
 * parts, so a `from` would come back lower-cased anyway) and XEP-0106-escaped, so any user id a
 * workload makes (a run prefix may hold `:`) is a valid account name.
 */
export function jidLocal(user: string): string {
  return [...user.toLowerCase()].map((c) => JID_ESCAPES[c] ?? c).join('');
}

/** `user` of `user@domain/resource`; the whole string when it has no `@`. */
export function localPart(jid: string): string {
  const at = jid.indexOf('@');
  return at < 0 ? jid : jid.slice(0, at);
}

export interface ChatquakeMessage {
  conv: string;
  cmid: string;
  /** The sender's user (the local part of `from`), or undefined when the stanza has no `from`. */
  from: string | undefined;
  seq: number;
}

/**
 * The chatquake content of a message stanza, or undefined when it is not one of ours: not a
 * message, an error, or without a well-formed `<cq/>`. `chatOnly` also refuses other types
 * (live deliveries are `chat`; archived copies are read as stored).
 */
export function parseMessage(stanza: XmlElement, chatOnly = true): ChatquakeMessage | undefined {
  if (stanza.name !== 'message') return undefined;
  const type = stanza.attrs.type ?? 'normal';
  if (type === 'error' || (chatOnly && type !== 'chat')) return undefined;
  const cq = stanza.getChild('cq', NS_CQ);
  const conv = cq?.attrs.conv;
  const seqText = cq?.attrs.seq;
  if (conv === undefined || conv === '' || seqText === undefined || !/^-?\d+$/.test(seqText))
    return undefined;
  const cmid = stanza.getChild('origin-id', NS_SID)?.attrs.id ?? stanza.attrs.id;
  if (cmid === undefined || cmid === '') return undefined;
  const from = stanza.attrs.from;
  return { conv, cmid, from: from === undefined ? undefined : localPart(from), seq: Number(seqText) };
}

export interface Bounce {
  /** The id of the message that failed: our cmid. */
  id: string;
  /** The RFC 6120 stanza error condition, e.g. `service-unavailable`. */
  condition: string;
}

/** A `type="error"` message answering one we sent, or undefined. */
export function parseBounce(stanza: XmlElement): Bounce | undefined {
  if (stanza.name !== 'message' || stanza.attrs.type !== 'error') return undefined;
  const id = stanza.attrs.id;
  if (id === undefined || id === '') return undefined;
  const error = stanza.getChild('error');
  const condition = error?.getChildElements().find((c) => c.is(c.name, NS_STANZAS) && c.name !== 'text');
  return { id, condition: condition?.name ?? 'undefined-condition' };
}

/** The archive id a server stamped on a message it archived for `by` (XEP-0359 stanza-id). */
export function stanzaIdBy(stanza: XmlElement, by: string): string | undefined {
  return stanza.getChildren('stanza-id', NS_SID).find((c) => c.attrs.by === by)?.attrs.id;
}
