// Acked-message loss, in the spirit of Jepsen's queue checker. A message is the triple
// (conversation, sender, cmid).
// - lost: acked, yet missing from the final log of a region allowed to hold its conversation,
//   or never delivered to a member (other than the sender) who had a connection that stayed up,
//   outside fault windows touching its region, for deliveryGraceMs after the ack.
// - unexpected: appeared (delivered, or in a final log) but never sent.
// - failed but appeared: the system said definitely no (send_failed), yet it appeared.
// - recovered: the outcome was indeterminate and it appeared — allowed, only counted.
// - failed after ack: acked, then refused (an XMPP bounce) and never appeared — allowed, counted;
//   the sender was told, so it is not lost. Had it appeared, it failed but appeared.
// Final reads with ok:false are unknown, not empty: nothing is judged against them.

import type { HistoryEvent } from '../contracts/history.ts';
import { at, capital, list, messageName, plural, when } from './explain.ts';
import { addCount, type MetricStore, PHASES } from './metrics.ts';
import {
  allowedRegions,
  deliveredToUser,
  hadQuietConnection,
  type MessageRecord,
  type RunModel,
  relSeconds,
  type UserInfo,
} from './model.ts';
import { type Checker, type CheckOptions, createExampleList, type Example } from './result.ts';
import { runChecker } from './run-checker.ts';

export interface LostResult {
  /** Distinct acked messages missing from an allowed region's final log or from an owed member. */
  ackedLost: number;
  /** Of those, acked at level "stored" (not yet replicated when acked). */
  ackedLostStoredOnly: number;
  /** (message, region) pairs: an acked message absent from an allowed region's final log. */
  missingCopies: number;
  /** (message, member) pairs: an acked message never delivered to a member owed it. */
  undelivered: number;
  unexpected: number;
  failedButAppeared: number;
  /** Indeterminate sends that appeared anyway (allowed). */
  recovered: number;
  /** Indeterminate sends that never appeared (allowed). */
  indeterminateMissing: number;
  /**
   * Acked sends the system later refused (send_failed after the ack, as an XMPP server bounces a
   * message it accepted) that never appeared: the sender was told, so not lost (allowed).
   */
  failedAfterAck: number;
  /** What could not be judged, and why. */
  unjudged: string[];
  examples: Example[];
}

interface Stranger {
  conv: string;
  from: string;
  cmid: string;
  regions: string[];
}

export function createLostChecker(options: CheckOptions): Checker<LostResult> {
  /** First receiver of messages delivered before any send/outcome was seen, by message id. */
  const earlyReceivers = new Map<number, { user: string; t: number }>();
  /** First receiver of every message, by message id (for failed-but-appeared explanations). */
  const firstReceiver: string[] = [];

  return {
    name: 'acked-lost',
    add(e: HistoryEvent, model: RunModel) {
      if (e.type !== 'deliver') return;
      const m = model.current!;
      if (m.deliveries === 1) {
        firstReceiver[m.id] = e.user;
        // Stryker disable next-line ConditionalExpression,LogicalOperator: read only for never-sent messages, which were unsent and unacked at every delivery, so this guard only saves memory
        if (Number.isNaN(m.sendT) && !m.acked) earlyReceivers.set(m.id, { user: e.user, t: e.t });
      }
    },
    finish(model: RunModel, metrics: MetricStore): LostResult {
      const lostEx = createExampleList(options.maxExamples);
      const unexpectedEx = createExampleList(options.maxExamples);
      const failedEx = createExampleList(options.maxExamples);
      const unjudged: string[] = [];

      const { inRegion, anyRegion, strangers, unknownReads } = indexFinalLogs(model);
      if (unknownReads.length > 0) {
        unjudged.push(
          `${plural(unknownReads.length, 'final read')} failed, so acked messages were not judged there: ${list(unknownReads)}`,
        );
      }

      let ackedLost = 0;
      let storedOnly = 0;
      let missingCopies = 0;
      let undelivered = 0;
      let unexpected = 0;
      let failedButAppeared = 0;
      let recovered = 0;
      let indeterminateMissing = 0;
      let failedAfterAck = 0;
      const lostByPhase = { before: 0, fault: 0, after: 0 };
      const convsWithoutMembers = new Set<string>();
      const missingReadPairs = new Set<string>();
      const convOf = createConvLookup(model, inRegion, missingReadPairs, convsWithoutMembers);

      for (const m of model.messages) {
        const inLogs = anyRegion[m.id] === 1;
        const appeared = m.deliveries > 0 || inLogs;
        const neverSent =
          Number.isNaN(m.sendT) && !m.acked && Number.isNaN(m.failedT) && Number.isNaN(m.indeterminateT);
        if (neverSent) {
          // Stryker disable next-line ConditionalExpression: a record no send, ack or outcome named was made by a delivery, so it always appeared
          if (appeared) {
            unexpected++;
            // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
            if (unexpectedEx.wanted) {
              const early = earlyReceivers.get(m.id);
              unexpectedEx.add(
                unexpectedExample(
                  model,
                  m.conv,
                  m.from,
                  m.cmid,
                  inLogs ? [...logSeqs(model, m).keys()] : [],
                  early,
                ),
              );
            }
          }
          continue;
        }
        if (!Number.isNaN(m.failedT) && appeared) {
          failedButAppeared++;
          // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
          if (failedEx.wanted) {
            failedEx.add(
              failedExample(model, m, inLogs ? logSeqs(model, m) : undefined, firstReceiver[m.id]),
            );
          }
        }
        if (!m.acked) {
          if (!Number.isNaN(m.indeterminateT) && Number.isNaN(m.failedT)) {
            if (appeared) recovered++;
            else indeterminateMissing++;
          }
          continue;
        }
        if (!Number.isNaN(m.failedT)) {
          // Refused after the ack: the sender knows. Had it appeared, it was counted above.
          if (!appeared) failedAfterAck++;
          continue;
        }

        const where = convOf(m.conv);
        const missingIn = missingCopiesOf(m, where);
        const notDeliveredTo = notDeliveredOf(model, m, options.deliveryGraceMs, where);
        if (missingIn.length === 0 && notDeliveredTo.length === 0) continue;
        ackedLost++;
        lostByPhase[m.phase]++;
        missingCopies += missingIn.length;
        undelivered += notDeliveredTo.length;
        const stored = m.level === 'stored';
        if (stored) storedOnly++;
        // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
        if (lostEx.wanted)
          lostEx.add(lostExample(model, m, missingIn, notDeliveredTo, options.deliveryGraceMs));
      }

      if (model.finalReads.size === 0 && model.messages.some((m) => m.acked)) {
        unjudged.push(
          'no final reads: acked messages were judged only by delivery to members, not by region logs',
        );
      }
      for (const s of strangers.values()) {
        unexpected++;
        // Stryker disable next-line ConditionalExpression: only skips building a sentence; add() keeps no more than maxExamples either way
        if (unexpectedEx.wanted)
          unexpectedEx.add(unexpectedExample(model, s.conv, s.from, s.cmid, s.regions, undefined));
      }
      if (missingReadPairs.size > 0) {
        unjudged.push(
          `no final read for ${plural(missingReadPairs.size, 'conversation×region pair')} (${list([...missingReadPairs])}): acked messages were not judged there`,
        );
      }
      if (convsWithoutMembers.size > 0) {
        unjudged.push(
          `no conversation event for ${list([...convsWithoutMembers])}: delivery to members was not judged there`,
        );
      }

      for (const phase of PHASES) addCount(metrics, 'acked_lost', lostByPhase[phase], { phase });
      addCount(metrics, 'unexpected_messages', unexpected);
      addCount(metrics, 'failed_but_appeared', failedButAppeared);

      return {
        ackedLost,
        ackedLostStoredOnly: storedOnly,
        missingCopies,
        undelivered,
        unexpected,
        failedButAppeared,
        recovered,
        indeterminateMissing,
        failedAfterAck,
        unjudged,
        examples: [...lostEx.items, ...unexpectedEx.items, ...failedEx.items],
      };
    },
  };
}

/** The final logs indexed by message. */
interface FinalLogs {
  /** Region → one byte per message id: 1 where that region's final log holds it. */
  inRegion: Map<string, Uint8Array>;
  /** One byte per message id: 1 where any final log holds it. */
  anyRegion: Uint8Array;
  /** Entries no event ever named, by conversation, sender and cmid. */
  strangers: Map<string, Stranger>;
  /** Final reads that failed, described. */
  unknownReads: string[];
}

/**
 * Which final logs hold which messages, one byte per message per region (a million messages
 * cost a few MB, no objects); strangers are entries no event ever named.
 */
function indexFinalLogs(model: RunModel): FinalLogs {
  const n = model.messages.length;
  const logs: FinalLogs = {
    inRegion: new Map(),
    anyRegion: new Uint8Array(n),
    strangers: new Map(),
    unknownReads: [],
  };
  for (const [conv, byRegion] of model.finalReads) {
    for (const read of byRegion.values()) {
      if (!read.ok) {
        logs.unknownReads.push(`${conv} in ${read.region}${read.error ? ` (${read.error})` : ''}`);
        continue;
      }
      let ids = logs.inRegion.get(read.region);
      if (ids === undefined) {
        ids = new Uint8Array(n);
        logs.inRegion.set(read.region, ids);
      }
      for (let k = 0; k < read.messages.length; k++) {
        const entry = read.messages[k]!;
        const m = read.records[k];
        if (m === undefined) {
          noteStranger(logs.strangers, conv, entry.from, entry.cmid, read.region);
          continue;
        }
        ids[m.id] = 1;
        logs.anyRegion[m.id] = 1;
      }
    }
  }
  return logs;
}

function noteStranger(
  strangers: Map<string, Stranger>,
  conv: string,
  from: string,
  cmid: string,
  region: string,
): void {
  const key = `${conv}\u0000${from}\u0000${cmid}`;
  let s = strangers.get(key);
  if (s === undefined) {
    s = { conv, from, cmid, regions: [] };
    strangers.set(key, s);
  }
  if (!s.regions.includes(region)) s.regions.push(region);
}

/**
 * What judging an acked message of one conversation needs, looked up once per conversation
 * rather than once per message: the logs of its allowed regions and its members' records.
 */
interface ConvWhere {
  /** Allowed regions with an ok final read, in allowed order, and which message ids each log holds. */
  logs: { region: string; ids: Uint8Array | undefined }[];
  /** Members and their user records; undefined when no conversation event named them. */
  members: { name: string; info: UserInfo | undefined }[] | undefined;
}

/**
 * The conversation's ConvWhere, made at its first acked message: allowed regions never read go
 * to `missingReadPairs`, a conversation without members to `convsWithoutMembers`, as they did
 * when each message looked them up.
 */
function createConvLookup(
  model: RunModel,
  inRegion: Map<string, Uint8Array>,
  missingReadPairs: Set<string>,
  convsWithoutMembers: Set<string>,
): (conv: string) => ConvWhere {
  const made = new Map<string, ConvWhere>();
  return (conv) => {
    let where = made.get(conv);
    if (where !== undefined) return where;
    const logs: ConvWhere['logs'] = [];
    const reads = model.finalReads.get(conv);
    for (const region of allowedRegions(model, conv)) {
      const read = reads?.get(region);
      if (read === undefined) {
        if (model.finalReads.size > 0) missingReadPairs.add(`${conv} in ${region}`);
        continue;
      }
      if (read.ok) logs.push({ region, ids: inRegion.get(region) });
    }
    const info = model.conversations.get(conv);
    if (info === undefined) convsWithoutMembers.add(conv);
    const members = info?.members.map((name) => ({ name, info: model.users.get(name) }));
    where = { logs, members };
    made.set(conv, where);
    return where;
  };
}

/** The allowed regions whose ok final read lacks acked message `m`. */
function missingCopiesOf(m: MessageRecord, where: ConvWhere): string[] {
  const missingIn: string[] = [];
  for (const log of where.logs) {
    // Stryker disable next-line OptionalChaining: the ok read of this region made its inRegion entry in indexFinalLogs
    if (log.ids?.[m.id] !== 1) missingIn.push(log.region);
  }
  return missingIn;
}

/**
 * Members other than the sender that never got acked message `m` though they held a quiet
 * connection for the grace period after its ack.
 */
function notDeliveredOf(model: RunModel, m: MessageRecord, graceMs: number, where: ConvWhere): string[] {
  const notDeliveredTo: string[] = [];
  if (where.members === undefined) return notDeliveredTo;
  for (const member of where.members) {
    if (member.name === m.from) continue;
    if (member.info !== undefined && deliveredToUser(member.info, m)) continue;
    if (hadQuietConnection(model, member.name, m.ackT, graceMs)) notDeliveredTo.push(member.name);
  }
  return notDeliveredTo;
}

/** Region → seq, for each successful final read holding the message (for explanations). */
function logSeqs(model: RunModel, m: MessageRecord): Map<string, number> {
  const out = new Map<string, number>();
  // Stryker disable next-line OptionalChaining,ArrayDeclaration: only called for a message some final read of its conversation holds
  for (const read of model.finalReads.get(m.conv)?.values() ?? []) {
    if (!read.ok) continue;
    const entry = read.messages.find((x) => x.cmid === m.cmid && x.from === m.from);
    if (entry !== undefined) out.set(read.region, entry.seq);
  }
  return out;
}

function lostExample(
  model: RunModel,
  m: MessageRecord,
  missingIn: string[],
  notDeliveredTo: string[],
  graceMs: number,
): Example {
  const parts: string[] = [];
  if (missingIn.length > 0) parts.push(`is missing from the final log of ${list(missingIn)}`);
  if (notDeliveredTo.length > 0) {
    parts.push(
      `was never delivered to ${list(notDeliveredTo)}, though ${notDeliveredTo.length === 1 ? 'it' : 'each'} stayed connected for ${graceMs / 1000}s or more after the ack`,
    );
  }
  const stored =
    m.level === 'stored'
      ? '; it was acked at level "stored" (not yet replicated), which a region outage may lose'
      : '';
  return {
    check: 'acked-lost',
    message: `Acked ${messageName(m)} (seq ${m.seq}, acked ${when(model, m.ackT)}) ${parts.join(' and ')}${stored}.`,
    conv: m.conv,
    cmid: m.cmid,
    from: m.from,
    ...(missingIn[0] !== undefined ? { region: missingIn[0] } : {}),
    ...(notDeliveredTo[0] !== undefined ? { user: notDeliveredTo[0] } : {}),
    t: relSeconds(model, m.ackT),
  };
}

function unexpectedExample(
  model: RunModel,
  conv: string,
  from: string,
  cmid: string,
  regions: string[],
  early: { user: string; t: number } | undefined,
): Example {
  const where: string[] = [];
  if (early !== undefined) where.push(`delivered to ${early.user} ${when(model, early.t)}`);
  if (regions.length > 0) where.push(`held in the final log of ${list(regions)}`);
  return {
    check: 'unexpected',
    message: `${capital(messageName({ conv, from, cmid }))} appeared (${where.join('; ')}) but was never sent.`,
    conv,
    cmid,
    from,
    ...(regions[0] !== undefined ? { region: regions[0] } : {}),
    ...(early !== undefined ? { user: early.user, t: relSeconds(model, early.t) } : {}),
  };
}

/** `receiver`: the message's first receiver, undefined when it was never delivered. */
function failedExample(
  model: RunModel,
  m: MessageRecord,
  regions: Map<string, number> | undefined,
  receiver: string | undefined,
): Example {
  const where: string[] = [];
  if (regions !== undefined) {
    where.push(`in the final log of ${list([...regions].map(([r, seq]) => `${r} (seq ${seq})`))}`);
  }
  if (receiver !== undefined) where.push(`delivered to ${receiver} at ${at(model, m.firstDeliveryT)}`);
  return {
    check: 'failed-but-appeared',
    message: `${capital(messageName(m))} was refused ${when(model, m.failedT)} (${m.failReason ?? 'no reason'}) yet appeared: ${where.join('; ')}.`,
    conv: m.conv,
    cmid: m.cmid,
    from: m.from,
    ...(regions !== undefined ? { region: [...regions.keys()][0] } : {}),
    t: relSeconds(model, m.failedT),
  };
}

/** Acked-message loss over a whole history. */
export function checkLost(events: Iterable<HistoryEvent>, options: Partial<CheckOptions> = {}): LostResult {
  return runChecker(createLostChecker, events, options);
}
