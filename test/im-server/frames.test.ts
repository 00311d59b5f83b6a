import { describe, expect, it } from 'vitest';
import { parseClientFrame } from '../../im-server/frames.ts';

const LIMIT = 16;

describe('parseClientFrame: the bad-input table', () => {
  const rows: [string, string, string, Record<string, string>?][] = [
    ['malformed JSON', '{"type":', 'bad_frame'],
    ['a JSON array', '[1,2]', 'bad_frame'],
    ['a JSON string', '"send"', 'bad_frame'],
    ['null', 'null', 'bad_frame'],
    ['an unknown type', '{"type":"subscribe","conv":"c"}', 'unknown_type', { conv: 'c' }],
    ['a missing type', '{"conv":"c","cmid":"m","body":"x"}', 'invalid_field', { cmid: 'm', conv: 'c' }],
    ['a mistyped type', '{"type":7}', 'invalid_field'],
    ['a send without cmid', '{"type":"send","conv":"c","body":"x"}', 'invalid_field', { conv: 'c' }],
    [
      'a send with a numeric body',
      '{"type":"send","conv":"c","cmid":"m","body":5}',
      'invalid_field',
      { cmid: 'm' },
    ],
    ['a send with an empty conv', '{"type":"send","conv":"","cmid":"m","body":"x"}', 'invalid_field'],
    ['a send with a bad cmid', '{"type":"send","conv":"c","cmid":"a b","body":"x"}', 'invalid_field'],
    ['a sync with a negative afterSeq', '{"type":"sync","conv":"c","afterSeq":-1}', 'invalid_field'],
    ['a sync with a fractional afterSeq', '{"type":"sync","conv":"c","afterSeq":1.5}', 'invalid_field'],
    [
      'a body over the limit',
      `{"type":"send","conv":"c","cmid":"m","body":"${'x'.repeat(LIMIT + 1)}"}`,
      'too_large',
      { cmid: 'm' },
    ],
    [
      'a multi-byte body over the limit',
      `{"type":"send","conv":"c","cmid":"m","body":"${'é'.repeat(9)}"}`,
      'too_large',
    ],
  ];
  for (const [what, text, code, ids] of rows) {
    it(`answers ${what} with ${code}`, () => {
      const parsed = parseClientFrame(text, LIMIT);
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.error.code).toBe(code);
      expect(parsed.error.message.length).toBeGreaterThan(0);
      for (const [k, v] of Object.entries(ids ?? {})) expect(parsed.error[k as 'cmid' | 'conv']).toBe(v);
    });
  }

  // Issue 12 item 5: a lone surrogate was acked, then stored and pushed as U+FFFD. The JSON
  // escape is how it arrives (a raw lone surrogate cannot be sent as UTF-8 at all).
  for (const [what, escaped] of [
    ['a lone high surrogate', '\\ud800'],
    ['a lone low surrogate', '\\udfff'],
    ['a reversed pair', '\\udc00\\ud800'],
    ['a high surrogate at the end', 'ok\\ud83d'],
  ] as const) {
    it(`refuses a body with ${what} before any ack, naming body`, () => {
      const parsed = parseClientFrame(`{"type":"send","conv":"c","cmid":"m","body":"${escaped}"}`, LIMIT);
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.error.code).toBe('invalid_field');
      expect(parsed.error.message).toMatch(/^body: .*surrogate/);
      expect(parsed.error.cmid).toBe('m');
    });
  }

  it('accepts well-formed astral characters (a surrogate pair) unchanged', () => {
    const parsed = parseClientFrame('{"type":"send","conv":"c","cmid":"m","body":"\\ud83d\\ude00"}', LIMIT);
    expect(parsed).toEqual({ ok: true, frame: { type: 'send', conv: 'c', cmid: 'm', body: '😀' } });
  });

  it('names the bad field', () => {
    const parsed = parseClientFrame('{"type":"send","conv":"c","cmid":"m","body":5}', LIMIT);
    expect(!parsed.ok && parsed.error.message).toMatch(/^body:/);
  });

  it('accepts good frames and ignores unknown extra fields', () => {
    expect(parseClientFrame('{"type":"send","conv":"c","cmid":"m","body":"hi","extra":1}', LIMIT)).toEqual({
      ok: true,
      frame: { type: 'send', conv: 'c', cmid: 'm', body: 'hi' },
    });
    expect(
      parseClientFrame(`{"type":"send","conv":"c","cmid":"m","body":"${'x'.repeat(LIMIT)}"}`, LIMIT).ok,
    ).toBe(true);
    expect(parseClientFrame('{"type":"sync","conv":"c","afterSeq":0}', LIMIT).ok).toBe(true);
  });
});
