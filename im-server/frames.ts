// Turns one client text frame into a validated ClientFrame or the error frame that answers it.
// Pure, so every row of the bad-input table is unit-testable without a socket.
import { describeIssues } from '../contracts/errors.ts';
import {
  CLIENT_FRAME_TYPES,
  type ClientFrame,
  type ErrorCode,
  SendFrame,
  SyncFrame,
} from '../contracts/wire.ts';

export interface FrameError {
  code: ErrorCode;
  message: string;
  cmid?: string;
  conv?: string;
}

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; error: FrameError };

function echo(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
}

export function parseClientFrame(text: string, maxBodyBytes: number): ParsedFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: { code: 'bad_frame', message: 'frame is not valid JSON' } };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, error: { code: 'bad_frame', message: 'frame must be a JSON object' } };
  }
  const obj = raw as Record<string, unknown>;
  const ids: Pick<FrameError, 'cmid' | 'conv'> = {};
  const cmid = echo(obj.cmid);
  const conv = echo(obj.conv);
  if (cmid !== undefined) ids.cmid = cmid;
  if (conv !== undefined) ids.conv = conv;
  if (!('type' in obj))
    return { ok: false, error: { code: 'invalid_field', message: 'type: required', ...ids } };
  if (typeof obj.type !== 'string') {
    return { ok: false, error: { code: 'invalid_field', message: 'type: expected a string', ...ids } };
  }
  if (!(CLIENT_FRAME_TYPES as readonly string[]).includes(obj.type)) {
    return {
      ok: false,
      error: {
        code: 'unknown_type',
        message: `type: unknown frame type "${obj.type.slice(0, 64)}" (expected ${CLIENT_FRAME_TYPES.join(' or ')})`,
        ...ids,
      },
    };
  }
  const parsed = obj.type === 'send' ? SendFrame.safeParse(obj) : SyncFrame.safeParse(obj);
  if (!parsed.success) {
    return { ok: false, error: { code: 'invalid_field', message: describeIssues(parsed.error), ...ids } };
  }
  const frame = parsed.data;
  if (frame.type === 'send') {
    const bytes = Buffer.byteLength(frame.body, 'utf8');
    if (bytes > maxBodyBytes) {
      return {
        ok: false,
        error: {
          code: 'too_large',
          message: `body: ${bytes} bytes is over the limit of ${maxBodyBytes}`,
          ...ids,
        },
      };
    }
  }
  return { ok: true, frame };
}
