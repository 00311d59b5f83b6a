// The XMPP target's wire shape: the chat stanza it sends, how deliveries, archived copies and
// error bounces are read back, and the interleaved seq of a direct conversation.
import { xml } from '@xmpp/client';
import { describe, expect, it } from 'vitest';
import {
  buildMessage,
  conversationSeq,
  jidLocal,
  localPart,
  memberIndexOfSeq,
  NS_CQ,
  NS_SID,
  NS_STANZAS,
  parseBounce,
  parseMessage,
  stanzaIdBy,
} from '../../../harness/targets/xmpp/stanza.ts';

const received = (attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]) =>
  xml('message', { from: 'alice@r1.chatquake.test/chatquake-1', ...attrs }, ...children);

describe('the chatquake chat stanza', () => {
  it('carries the cmid as id and origin-id, and conv and seq in <cq/>', () => {
    const stanza = buildMessage({ to: 'bob@r2.test', cmid: 'm1', conv: 'c1', seq: 4, body: 'hi <there>' });
    expect(stanza.toString()).toBe(
      '<message type="chat" to="bob@r2.test" id="m1"><body>hi &lt;there&gt;</body>' +
        `<origin-id xmlns="${NS_SID}" id="m1"/><cq xmlns="${NS_CQ}" conv="c1" seq="4"/></message>`,
    );
  });

  it('reads back what it built, with the sender from the from attribute', () => {
    const stanza = buildMessage({ to: 'bob@r2.test', cmid: 'm1', conv: 'c1', seq: 7, body: 'x' });
    stanza.attrs.from = 'alice@r1.test/res';
    expect(parseMessage(stanza)).toEqual({ conv: 'c1', cmid: 'm1', from: 'alice', seq: 7 });
  });

  it('prefers origin-id over a stanza id a server rewrote, and falls back to the id', () => {
    const cq = xml('cq', { xmlns: NS_CQ, conv: 'c1', seq: '2' });
    const withOrigin = received(
      { type: 'chat', id: 'server-1' },
      xml('origin-id', { xmlns: NS_SID, id: 'm1' }),
      cq,
    );
    expect(parseMessage(withOrigin)?.cmid).toBe('m1');
    expect(parseMessage(received({ type: 'chat', id: 'm2' }, cq))?.cmid).toBe('m2');
  });

  it('ignores messages that are not ours, not chat, errors or malformed', () => {
    const cq = (seq: string, conv = 'c1') => xml('cq', { xmlns: NS_CQ, conv, seq });
    expect(parseMessage(received({ type: 'chat', id: 'm' }, xml('body', {}, 'plain chat')))).toBeUndefined();
    expect(parseMessage(received({ type: 'headline', id: 'm' }, cq('2')))).toBeUndefined();
    expect(parseMessage(received({ type: 'error', id: 'm' }, cq('2')), false)).toBeUndefined();
    expect(parseMessage(received({ type: 'chat', id: 'm' }, cq('two')))).toBeUndefined();
    expect(parseMessage(received({ type: 'chat', id: 'm' }, cq('2', '')))).toBeUndefined();
    expect(
      parseMessage(
        received({ type: 'chat', id: 'm' }, xml('cq', { xmlns: 'urn:other', conv: 'c1', seq: '2' })),
      ),
    ).toBeUndefined();
    expect(parseMessage(received({ type: 'chat' }, cq('2')))).toBeUndefined();
    expect(parseMessage(xml('presence', { id: 'm' }, cq('2')))).toBeUndefined();
  });

  it('reads an archived copy of any type when asked, without a sender when it has no from', () => {
    const archived = xml('message', { id: 'm3' }, xml('cq', { xmlns: NS_CQ, conv: 'c1', seq: '5' }));
    expect(parseMessage(archived)).toBeUndefined();
    expect(parseMessage(archived, false)).toEqual({ conv: 'c1', cmid: 'm3', from: undefined, seq: 5 });
  });
});

describe('the archive id of a pushed message', () => {
  it('is the stanza-id stamped by our own archive, not one another entity claims', () => {
    const stanza = received(
      { type: 'chat', id: 'm1' },
      xml('stanza-id', { xmlns: NS_SID, by: 'evil@r9.test', id: 'forged' }),
      xml('stanza-id', { xmlns: NS_SID, by: 'bob@r2.test', id: 'archive-7' }),
    );
    expect(stanzaIdBy(stanza, 'bob@r2.test')).toBe('archive-7');
    expect(stanzaIdBy(stanza, 'carol@r2.test')).toBeUndefined();
  });
});

describe('an error bounce', () => {
  it('names the id it answers and the stanza error condition', () => {
    const bounce = xml(
      'message',
      { type: 'error', id: 'm1', from: 'ghost@r1.test' },
      xml(
        'error',
        { type: 'cancel' },
        xml('text', { xmlns: NS_STANZAS }, 'no such user'),
        xml('service-unavailable', { xmlns: NS_STANZAS }),
      ),
    );
    expect(parseBounce(bounce)).toEqual({ id: 'm1', condition: 'service-unavailable' });
  });

  it('says undefined-condition when the error has none, and ignores non-errors and id-less errors', () => {
    expect(
      parseBounce(xml('message', { type: 'error', id: 'm1' }, xml('error', { type: 'cancel' }))),
    ).toEqual({
      id: 'm1',
      condition: 'undefined-condition',
    });
    expect(parseBounce(xml('message', { type: 'error' }, xml('error', {})))).toBeUndefined();
    expect(parseBounce(xml('message', { type: 'chat', id: 'm1' }))).toBeUndefined();
  });
});

describe('seq in a direct conversation', () => {
  it('interleaves the two members so seqs are unique and rise per sender', () => {
    const first = [1, 2, 3].map((n) => conversationSeq(n, 0));
    const second = [1, 2, 3].map((n) => conversationSeq(n, 1));
    expect(first).toEqual([2, 4, 6]);
    expect(second).toEqual([3, 5, 7]);
    expect(new Set([...first, ...second]).size).toBe(6);
    expect([...first, ...second].map(memberIndexOfSeq)).toEqual([0, 0, 0, 1, 1, 1]);
  });
});

describe('jids', () => {
  it('makes any user id a valid, lower-case local part (XEP-0106 escapes)', () => {
    expect(jidLocal('u007')).toBe('u007');
    expect(jidLocal('Run:1/u0')).toBe('run\\3a1\\2fu0');
    expect(jidLocal(`a b"&'<>@\\`)).toBe('a\\20b\\22\\26\\27\\3c\\3e\\40\\5c');
  });

  it('takes the local part', () => {
    expect(localPart('alice@r1.test/res')).toBe('alice');
    expect(localPart('r1.test')).toBe('r1.test');
  });
});
