// The part of a generated k6 script that does the work, as JavaScript text: one virtual user per
// k6 VU, behaving as the client SDK (client/*.ts) does on the reference server's protocol
// (docs/PROTOCOL.md) and recording the history events chatquake's own virtual users record
// (load/session-events.ts, load/send.ts), each as one `im_history` sample. It is text, not a
// module, because k6 runs it, not Node: it may use only what k6 ≥ 1.6 offers (k6/websockets,
// k6/timers, k6/metrics, k6/execution) and must never block (no `sleep`), so one VU keeps a
// long-lived connection while timers send at the intended times.
//
// Where it differs from the SDK: no HTTP status on a refused upgrade (k6 does not report it, so a
// bad token is retried like any refusal), a region is the one the node's `welcome` names (the
// plan's endpoints carry none; a probe home tries the endpoints known to be home's), and one
// 100 ms tick per VU instead of the SDK's one precisely armed timer. The script is type-checked against @types/k6 (test/k6/script-types).
// No backtick nor dollar-brace may appear in RUNTIME: it is a template literal here.

export const RUNTIME = String.raw`
/**
 * @typedef {{ id: string, region: string, convs: string[], endpoints: string[], token: string }} PlanUser
 * @typedef {{ id: string, members: string[], residency?: string[] }} PlanConversation
 * @typedef {{ runId: string, scenario: string, seed: number, regions: string[], ackLevel: string,
 *   durationMs: number, connectRampMs: number, drainMs: number, bodyBytes: number,
 *   users: PlanUser[], conversations: PlanConversation[],
 *   sends: Record<string, [number, string, string][]> }} Plan
 * @typedef {{ seq: number, cmid: string, from: string, via: 'push' | 'sync', intendedAt: number }} Held
 * @typedef {{ conv: string, lastSeq: number, held: Map<number, Held>, ownAcked: Set<number>,
 *   gapSince: number | undefined, sync: { afterSeq: number, sentAt: number } | undefined,
 *   syncRetryAt: number | undefined, refusals: number, disabled: boolean, pushedOn: number,
 *   pushedMax: number }} Conv
 * @typedef {{ conv: string, cmid: string, frame: string, intendedAt: number, madeAt: number,
 *   enqueuedAt: number, sentOn: number, sentAt: number, retryAt: number | undefined,
 *   unavailable: number }} Entry
 * @typedef {{ user: PlanUser, session: string, phase: string, closed: boolean,
 *   generation: number, ws: WebSocket | undefined, live: boolean, region: string | undefined,
 *   at: string | undefined, previousRegion: string | undefined, everConnected: boolean,
 *   downAt: number | undefined, endpointIndex: number, failures: number, attempt: number,
 *   reconnectAt: number, connectDeadline: number | undefined, lastHeard: number,
 *   pingAt: number | undefined, outbox: Map<string, Entry>, convs: Map<string, Conv>,
 *   timers: number[], interval: number | undefined, homeEndpoints: number[], probeRound: number,
 *   probe: { ws: WebSocket, index: number, deadline: number } | undefined,
 *   nextProbeAt: number | undefined, probeIntervalMs: number, homeSince: number | undefined,
 *   returnedHome: boolean }} Client
 */

/** @type {Plan} */
const plan = /** @type {Plan} */ (/** @type {unknown} */ (PLAN));

/** The client SDK's defaults (client/options.ts, client/backoff.ts). */
const SDK = {
  backoffMinMs: 100,
  backoffMaxMs: 5000,
  failoverAfter: 2,
  connectTimeoutMs: 3000,
  heartbeatMs: 2000,
  heartbeatTimeoutMs: 2000,
  ackTimeoutMs: 5000,
  sendTimeoutMs: 30000,
  gapWaitMs: 250,
  returnHomeAfterMs: 30000,
  maxProbeBackoff: 8,
  tickMs: 100,
};
/** Error codes after which the server has definitely not stored the message. */
const DEFINITE_FAILURES = ['not_found', 'forbidden', 'invalid_field', 'too_large'];
/** Error codes after which the same frame goes again after a backoff. */
const RETRY_LATER = ['unavailable', 'rate_limited'];

const history = new Counter('im_history');
const metrics = {
  delivery: new Trend('im_delivery_ms', true),
  ack: new Trend('im_ack_ms', true),
  ackActual: new Trend('im_ack_actual_ms', true),
  sendErrors: new Rate('im_send_errors'),
  failover: new Trend('im_failover_s'),
  sent: new Counter('im_sent'),
  acked: new Counter('im_acked'),
  delivered: new Counter('im_delivered'),
  reconnects: new Counter('im_reconnects'),
};

/** One history event (contracts/history.ts) as one sample of im_history. */
function record(/** @type {Record<string, unknown>} */ event) {
  history.add(1, { e: JSON.stringify(event) });
}

/** The event with its region, when there is one. */
function withRegion(/** @type {Record<string, unknown>} */ event, /** @type {string | undefined} */ region) {
  if (region !== undefined) event.region = region;
  return event;
}

/** Full-jitter exponential backoff, as client/backoff.ts. */
function backoff(/** @type {number} */ attempt) {
  const ceiling = Math.min(SDK.backoffMaxMs, SDK.backoffMinMs * Math.pow(2, Math.min(Math.max(0, attempt), 31)));
  return Math.random() * ceiling;
}

/** bodyBytes of text made from the cmid and the intended time: the same on every instance. */
function bodyOf(/** @type {string} */ cmid, /** @type {number} */ intendedAt) {
  const head = cmid + ' ' + Math.round(intendedAt);
  if (head.length + 1 >= plan.bodyBytes) return head;
  return head + ' ' + 'x'.repeat(plan.bodyBytes - head.length - 1);
}

/** The intended send time a body carries; NaN for a message this script did not make. */
function intendedOf(/** @type {unknown} */ body) {
  if (typeof body !== 'string') return Number.NaN;
  const parts = body.split(' ');
  return parts.length > 1 ? Number(parts[1]) : Number.NaN;
}

/** Tags of a metric sample: the region the user is served from, else its home. */
function tagsOf(/** @type {Client} */ c) {
  return { region: c.at !== undefined ? c.at : c.user.region };
}

// ---- one conversation as the SDK sees it (client/conversation-state.ts) ----

function convOf(/** @type {Client} */ c, /** @type {string} */ conv) {
  let cs = c.convs.get(conv);
  if (cs === undefined) {
    cs = {
      conv, lastSeq: 0, held: new Map(), ownAcked: new Set(), gapSince: undefined, sync: undefined,
      syncRetryAt: undefined, refusals: 0, disabled: false, pushedOn: 0, pushedMax: 0,
    };
    c.convs.set(conv, cs);
  }
  return cs;
}

function deliver(/** @type {Client} */ c, /** @type {string} */ conv, /** @type {Held} */ m, /** @type {number} */ t) {
  record(withRegion({
    type: 'deliver', t, user: c.user.id, session: c.session, conv, cmid: m.cmid, from: m.from,
    seq: m.seq, via: m.via,
  }, c.at));
  metrics.delivered.add(1, tagsOf(c));
  if (Number.isFinite(m.intendedAt)) metrics.delivery.add(t - m.intendedAt, tagsOf(c));
}

function release(/** @type {Client} */ c, /** @type {Conv} */ cs, /** @type {number} */ t) {
  let progressed = false;
  for (let next = cs.held.get(cs.lastSeq + 1); next !== undefined; next = cs.held.get(cs.lastSeq + 1)) {
    cs.held.delete(next.seq);
    cs.lastSeq = next.seq;
    deliver(c, cs.conv, next, t);
    progressed = true;
  }
  if (cs.held.size === 0) cs.gapSince = undefined;
  else if (progressed) cs.gapSince = t;
  for (const seq of Array.from(cs.ownAcked)) if (seq <= cs.lastSeq) cs.ownAcked.delete(seq);
}

function receive(/** @type {Client} */ c, /** @type {Conv} */ cs, /** @type {Held} */ m, /** @type {number} */ t) {
  cs.disabled = false;
  if (m.seq <= cs.lastSeq) return 'duplicate';
  if (m.seq === cs.lastSeq + 1) {
    cs.lastSeq = m.seq;
    deliver(c, cs.conv, m, t);
    release(c, cs, t);
    return 'delivered';
  }
  if (cs.held.has(m.seq)) return 'duplicate';
  cs.held.set(m.seq, m);
  if (cs.gapSince === undefined) cs.gapSince = t;
  return 'held';
}

/** A push below one already pushed on this connection: the server's fault, made visible. */
function notePush(/** @type {Conv} */ cs, /** @type {number} */ generation, /** @type {number} */ seq) {
  if (cs.pushedOn !== generation) {
    cs.pushedOn = generation;
    cs.pushedMax = 0;
  }
  const outOfOrder = seq < cs.pushedMax && seq > cs.lastSeq && !cs.held.has(seq);
  if (seq > cs.pushedMax) cs.pushedMax = seq;
  return outOfOrder;
}

/** The gap waited long enough: step over own acked sends; true when a real gap remains. */
function gapExpired(/** @type {Client} */ c, /** @type {Conv} */ cs, /** @type {number} */ t) {
  let progressed = false;
  while (cs.held.size > 0) {
    const seq = cs.lastSeq + 1;
    const next = cs.held.get(seq);
    if (next !== undefined) {
      cs.held.delete(seq);
      cs.lastSeq = seq;
      deliver(c, cs.conv, next, t);
    } else if (cs.ownAcked.has(seq)) {
      cs.lastSeq = seq;
    } else break;
    progressed = true;
  }
  if (progressed) release(c, cs, t);
  return cs.held.size > 0;
}

function syncedTo(/** @type {Client} */ c, /** @type {Conv} */ cs, /** @type {number} */ seq, /** @type {number} */ t) {
  cs.sync = undefined;
  cs.syncRetryAt = undefined;
  cs.refusals = 0;
  const ready = Array.from(cs.held.keys()).filter((s) => s <= seq).sort((a, b) => a - b);
  for (const s of ready) {
    const m = cs.held.get(s);
    cs.held.delete(s);
    cs.lastSeq = s;
    if (m !== undefined) deliver(c, cs.conv, m, t);
  }
  if (seq > cs.lastSeq) cs.lastSeq = seq;
  if (cs.held.size > 0) cs.gapSince = t;
  release(c, cs, t);
  if (cs.held.size === 0) cs.gapSince = undefined;
}

// ---- what goes out (client/sending.ts) ----

function sendText(/** @type {Client} */ c, /** @type {string} */ text) {
  if (c.ws === undefined || c.ws.readyState !== WebSocket.OPEN) return false;
  c.ws.send(text);
  return true;
}

function transmit(/** @type {Client} */ c, /** @type {Entry} */ entry, /** @type {number} */ t) {
  if (!c.live) return;
  entry.sentOn = c.generation;
  entry.sentAt = t;
  entry.retryAt = undefined;
  sendText(c, entry.frame);
}

function requestSync(/** @type {Client} */ c, /** @type {Conv} */ cs, /** @type {number} */ t) {
  if (!c.live) return;
  sendText(c, JSON.stringify({ type: 'sync', conv: cs.conv, afterSeq: cs.lastSeq }));
  cs.sync = { afterSeq: cs.lastSeq, sentAt: t };
  cs.syncRetryAt = undefined;
}

function refuseSync(/** @type {Conv} */ cs, /** @type {number} */ t) {
  cs.sync = undefined;
  cs.syncRetryAt = t + backoff(cs.refusals++);
}

/** A send's outcome other than an ack: a definite failure or no answer. */
function settleUnacked(/** @type {Client} */ c, /** @type {Entry} */ entry, /** @type {string} */ type, /** @type {string} */ reason, /** @type {number} */ t) {
  c.outbox.delete(entry.conv + '\n' + entry.cmid);
  record({ type, t, user: c.user.id, conv: entry.conv, cmid: entry.cmid, reason });
  metrics.sendErrors.add(true, tagsOf(c));
}

/** One scheduled send (load/send.ts): the send event, then the SDK's outbox. */
function sendScheduled(/** @type {Client} */ c, /** @type {[number, string, string]} */ item, /** @type {number} */ loadStart) {
  const conv = item[1];
  const cmid = item[2];
  const t = Date.now();
  const intendedAt = loadStart + item[0];
  record(withRegion({ type: 'send', t, intendedAt, user: c.user.id, conv, cmid }, c.live ? c.region : undefined));
  metrics.sent.add(1, tagsOf(c));
  const key = conv + '\n' + cmid;
  if (c.closed || c.outbox.has(key)) return;
  const frame = JSON.stringify({ type: 'send', conv, cmid, body: bodyOf(cmid, intendedAt) });
  /** @type {Entry} */
  const entry = {
    conv, cmid, frame, intendedAt, madeAt: t, enqueuedAt: t, sentOn: 0, sentAt: 0,
    retryAt: undefined, unavailable: 0,
  };
  c.outbox.set(key, entry);
  convOf(c, conv);
  transmit(c, entry, t);
}

// ---- the connection (client/connecting.ts) ----

function connect(/** @type {Client} */ c) {
  if (c.closed) return;
  c.phase = 'connecting';
  c.generation++;
  c.connectDeadline = Date.now() + SDK.connectTimeoutMs;
  const endpoint = c.user.endpoints[c.endpointIndex];
  const url = endpoint + (endpoint.indexOf('?') < 0 ? '?' : '&') + 'token=' + encodeURIComponent(c.user.token);
  const ws = new WebSocket(url);
  c.ws = ws;
  attach(c, ws);
}

/** The handlers of the main connection; a socket that is no longer c.ws is not listened to. */
function attach(/** @type {Client} */ c, /** @type {WebSocket} */ ws) {
  /** @type {string | undefined} */
  let failure;
  ws.onmessage = (event) => {
    if (c.ws !== ws || event === undefined || typeof event.data !== 'string') return;
    onFrame(c, event.data);
  };
  ws.onpong = () => {
    if (c.ws === ws) heard(c, Date.now());
  };
  ws.onping = ws.onpong;
  ws.onerror = (event) => {
    if (failure === undefined) failure = event !== undefined && event.error ? String(event.error) : 'error';
  };
  ws.onclose = () => {
    if (c.ws === ws) failed(c, failure !== undefined ? failure : 'closed', false);
  };
}

function heard(/** @type {Client} */ c, /** @type {number} */ t) {
  c.lastHeard = t;
  c.pingAt = undefined;
}

function ping(/** @type {Client} */ c, /** @type {number} */ t) {
  if (c.ws === undefined || c.ws.readyState !== WebSocket.OPEN) return;
  c.pingAt = t;
  c.ws.ping();
}

/** Something went unanswered since since; if nothing at all was heard since, ask for a pong. */
function suspectSilence(/** @type {Client} */ c, /** @type {number} */ since, /** @type {number} */ t) {
  if (c.lastHeard < since && c.pingAt === undefined) ping(c, t);
}

/** The connection (or attempt) is gone: where and when to try next. */
function failed(/** @type {Client} */ c, /** @type {string} */ reason, /** @type {boolean} */ hard) {
  const t = Date.now();
  const wasLive = c.live;
  const lost = c.region;
  const ws = c.ws;
  c.generation++;
  c.ws = undefined;
  c.live = false;
  c.region = undefined;
  c.connectDeadline = undefined;
  c.pingAt = undefined;
  if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) ws.close();
  if (c.probe !== undefined) probeFailed(c, t);
  c.nextProbeAt = undefined;
  if (c.homeSince !== undefined) {
    // A return home that did not last: wait longer before the next one. One that did: reset.
    if (t - c.homeSince >= SDK.returnHomeAfterMs) c.probeIntervalMs = SDK.returnHomeAfterMs;
    else if (c.returnedHome)
      c.probeIntervalMs = Math.min(c.probeIntervalMs * 2, SDK.returnHomeAfterMs * SDK.maxProbeBackoff);
    c.homeSince = undefined;
    c.returnedHome = false;
  }
  for (const cs of c.convs.values()) {
    cs.sync = undefined;
    cs.syncRetryAt = undefined;
  }
  if (wasLive) {
    c.downAt = t;
    record({ type: 'conn_down', t, user: c.user.id, session: c.session, region: lost, reason });
  }
  if (c.closed) return;
  if (hard || !wasLive) {
    c.failures++;
    if (hard || c.failures >= SDK.failoverAfter) {
      c.endpointIndex = (c.endpointIndex + 1) % c.user.endpoints.length;
      c.failures = 0;
    }
  }
  c.phase = 'waiting';
  c.reconnectAt = t + backoff(c.attempt++);
}

/** Welcomed: live; sync every conversation from the last seq seen, resend the outbox. */
function welcomed(/** @type {Client} */ c, /** @type {{ region: string, node: string }} */ frame, /** @type {number} */ t) {
  const region = frame.region;
  c.phase = 'connected';
  c.live = true;
  c.connectDeadline = undefined;
  c.failures = 0;
  c.attempt = 0;
  c.region = region;
  c.at = region;
  heard(c, t);
  const home = region === c.user.region;
  if (home && c.homeEndpoints.indexOf(c.endpointIndex) < 0) c.homeEndpoints.push(c.endpointIndex);
  c.homeSince = home ? t : undefined;
  c.nextProbeAt = home ? undefined : t + c.probeIntervalMs;
  if (c.everConnected) metrics.reconnects.add(1, tagsOf(c));
  c.everConnected = true;
  record({ type: 'conn_up', t, user: c.user.id, session: c.session, region, node: frame.node });
  if (c.previousRegion !== undefined && c.previousRegion !== region) {
    record({ type: 'failover', t, user: c.user.id, session: c.session, from: c.previousRegion, to: region });
    if (c.downAt !== undefined) metrics.failover.add((t - c.downAt) / 1000, { region: c.previousRegion });
  }
  c.downAt = undefined;
  c.previousRegion = region;
  for (const cs of c.convs.values()) {
    cs.refusals = 0;
    if (!cs.disabled) requestSync(c, cs, t);
  }
  for (const entry of c.outbox.values()) {
    entry.retryAt = undefined;
    entry.unavailable = 0;
    transmit(c, entry, t);
  }
}

// ---- the probe home (client/probe.ts): while served elsewhere, try home now and then ----

function startProbe(/** @type {Client} */ c, /** @type {number} */ t) {
  const index = c.homeEndpoints[c.probeRound++ % c.homeEndpoints.length];
  const endpoint = c.user.endpoints[index];
  const url = endpoint + (endpoint.indexOf('?') < 0 ? '?' : '&') + 'token=' + encodeURIComponent(c.user.token);
  c.nextProbeAt = undefined;
  const ws = new WebSocket(url);
  c.probe = { ws, index, deadline: t + SDK.connectTimeoutMs };
  ws.onmessage = (event) => {
    if (c.probe === undefined || c.probe.ws !== ws || event === undefined || typeof event.data !== 'string') return;
    /** @type {{ type?: unknown, region?: unknown, node?: unknown }} */
    let f;
    try {
      f = JSON.parse(event.data);
    } catch (_) {
      return;
    }
    if (f !== null && f.type === 'welcome' && typeof f.region === 'string' && typeof f.node === 'string')
      promoteProbe(c, { region: f.region, node: f.node }, Date.now());
  };
  ws.onclose = () => {
    if (c.probe !== undefined && c.probe.ws === ws) probeFailed(c, Date.now());
  };
}

/** The probe did not get through; try again a full interval later. */
function probeFailed(/** @type {Client} */ c, /** @type {number} */ t) {
  const probe = c.probe;
  c.probe = undefined;
  if (probe !== undefined && probe.ws.readyState !== WebSocket.CLOSED) probe.ws.close();
  if (c.live && c.region !== c.user.region) c.nextProbeAt = t + c.probeIntervalMs;
}

/** Home answered: move over to the probe without a gap and let go of the connection elsewhere. */
function promoteProbe(/** @type {Client} */ c, /** @type {{ region: string, node: string }} */ frame, /** @type {number} */ t) {
  const probe = c.probe;
  if (probe === undefined) return;
  const old = c.ws;
  const oldRegion = c.region;
  c.probe = undefined;
  c.ws = probe.ws;
  c.generation++;
  c.endpointIndex = probe.index;
  c.failures = 0;
  c.downAt = undefined;
  attach(c, probe.ws);
  if (old !== undefined && old.readyState !== WebSocket.CLOSED) old.close(1000, 'returning home');
  if (oldRegion !== undefined)
    record({ type: 'conn_down', t, user: c.user.id, session: c.session, region: oldRegion, reason: 'returning home' });
  for (const cs of c.convs.values()) cs.sync = undefined;
  welcomed(c, frame, t);
  c.returnedHome = true;
}
`;

/** What comes in (client/frames.ts, client/error-frames.ts), the tick, the end and the VU's main. */
export const RUNTIME_MAIN = String.raw`
// ---- what comes in (client/frames.ts) ----

function onFrame(/** @type {Client} */ c, /** @type {string} */ text) {
  /** @type {any} */
  let f;
  try {
    f = JSON.parse(text);
  } catch (_) {
    return;
  }
  if (f === null || typeof f !== 'object' || typeof f.type !== 'string') return;
  const t = Date.now();
  heard(c, t);
  if (f.type === 'welcome') {
    if (c.phase === 'connecting') welcomed(c, f, t);
  } else if (f.type === 'ack') onAck(c, f, t);
  else if (f.type === 'msg') onMsg(c, f, t);
  else if (f.type === 'synced') {
    const cs = convOf(c, f.conv);
    const afterSeq = cs.sync !== undefined ? cs.sync.afterSeq : cs.lastSeq;
    syncedTo(c, cs, f.seq, t);
    record({ type: 'synced', t, user: c.user.id, session: c.session, conv: f.conv, afterSeq, seq: f.seq });
  } else if (f.type === 'behind') refuseSync(convOf(c, f.conv), t);
  else if (f.type === 'reset') {
    const cs = convOf(c, f.conv);
    const answered = cs.sync;
    cs.sync = undefined;
    cs.lastSeq = f.seq;
    cs.held = new Map();
    cs.ownAcked = new Set();
    cs.gapSince = undefined;
    record({ type: 'reset', t, user: c.user.id, session: c.session, conv: f.conv, seq: f.seq, reason: String(f.reason) });
    if (answered === undefined || answered.afterSeq !== f.seq) requestSync(c, cs, t);
  } else if (f.type === 'error') onError(c, f, t);
}

function onAck(/** @type {Client} */ c, /** @type {{ conv: string, cmid: string, seq: number, epoch: number, level: string }} */ f, /** @type {number} */ t) {
  const key = f.conv + '\n' + f.cmid;
  const entry = c.outbox.get(key);
  // No entry: the answer to a resend whose first ack already came.
  if (entry === undefined) return;
  c.outbox.delete(key);
  const cs = convOf(c, f.conv);
  if (f.seq > cs.lastSeq) cs.ownAcked.add(f.seq);
  record(withRegion({
    type: 'ack', t, user: c.user.id, conv: f.conv, cmid: f.cmid, seq: f.seq, epoch: f.epoch, level: f.level,
  }, c.at));
  const tags = tagsOf(c);
  metrics.acked.add(1, tags);
  metrics.sendErrors.add(false, tags);
  metrics.ack.add(t - entry.intendedAt, tags);
  metrics.ackActual.add(t - entry.madeAt, tags);
}

function onMsg(/** @type {Client} */ c, /** @type {{ conv: string, seq: number, cmid: string, from: string, body: string }} */ f, /** @type {number} */ t) {
  const cs = convOf(c, f.conv);
  if (cs.sync === undefined && c.live) {
    const afterSeq = cs.pushedMax;
    if (notePush(cs, c.generation, f.seq))
      record({ type: 'out_of_order', t, user: c.user.id, session: c.session, conv: f.conv, seq: f.seq, afterSeq });
  }
  /** @type {Held} */
  const m = { seq: f.seq, cmid: f.cmid, from: f.from, via: cs.sync === undefined ? 'push' : 'sync', intendedAt: intendedOf(f.body) };
  receive(c, cs, m, t);
}

function onError(/** @type {Client} */ c, /** @type {{ code: string, message: string, conv?: string, cmid?: string }} */ f, /** @type {number} */ t) {
  /** @type {Entry | undefined} */
  let entry;
  if (f.cmid !== undefined) {
    if (f.conv !== undefined) entry = c.outbox.get(f.conv + '\n' + f.cmid);
    else for (const e of c.outbox.values()) if (e.cmid === f.cmid) entry = e;
  }
  if (entry !== undefined) {
    if (DEFINITE_FAILURES.indexOf(f.code) >= 0) settleUnacked(c, entry, 'send_failed', f.code + ': ' + f.message, t);
    else if (RETRY_LATER.indexOf(f.code) >= 0) entry.retryAt = t + backoff(entry.unavailable++);
    return;
  }
  if (f.cmid === undefined && f.conv !== undefined) {
    const cs = c.convs.get(f.conv);
    if (cs !== undefined && cs.sync !== undefined) {
      if (RETRY_LATER.indexOf(f.code) >= 0) refuseSync(cs, t);
      else if (f.code === 'not_found' || f.code === 'forbidden') {
        cs.sync = undefined;
        cs.disabled = true;
      }
    }
  }
}

// ---- the tick (client/tick.ts) ----

function tick(/** @type {Client} */ c) {
  if (c.closed) return;
  const t = Date.now();
  if (c.phase === 'waiting' && t >= c.reconnectAt) connect(c);
  if (c.phase === 'connecting' && c.connectDeadline !== undefined && t >= c.connectDeadline)
    failed(c, 'connect timeout', true);
  if (c.live && c.ws !== undefined) {
    if (c.pingAt !== undefined) {
      if (t >= c.pingAt + SDK.heartbeatTimeoutMs) failed(c, 'heartbeat timeout', true);
    } else if (t >= c.lastHeard + SDK.heartbeatMs) ping(c, t);
  }
  for (const entry of Array.from(c.outbox.values())) {
    if (t >= entry.enqueuedAt + SDK.sendTimeoutMs)
      settleUnacked(c, entry, 'send_indeterminate', 'no ack within ' + SDK.sendTimeoutMs + ' ms', t);
    else if (!c.live) continue;
    else if (entry.retryAt !== undefined) {
      if (t >= entry.retryAt) transmit(c, entry, t);
    } else if (entry.sentOn !== c.generation) transmit(c, entry, t);
    else if (t >= entry.sentAt + SDK.ackTimeoutMs) {
      suspectSilence(c, entry.sentAt, t);
      transmit(c, entry, t);
    }
  }
  if (!c.live) return;
  if (c.probe !== undefined) {
    if (t >= c.probe.deadline) probeFailed(c, t);
  } else if (c.nextProbeAt !== undefined && t >= c.nextProbeAt) startProbe(c, t);
  for (const cs of c.convs.values()) {
    if (cs.sync !== undefined) {
      if (t >= cs.sync.sentAt + SDK.ackTimeoutMs) {
        suspectSilence(c, cs.sync.sentAt, t);
        requestSync(c, cs, t);
      }
    } else if (cs.syncRetryAt !== undefined) {
      if (t >= cs.syncRetryAt) requestSync(c, cs, t);
    } else if (cs.gapSince !== undefined && !cs.disabled && t >= cs.gapSince + SDK.gapWaitMs) {
      if (gapExpired(c, cs, t)) requestSync(c, cs, t);
    }
  }
}

/** Load stopped and drained: close; what is still unacked has no outcome (load/phases.ts). */
function finish(/** @type {Client} */ c) {
  const t = Date.now();
  c.closed = true;
  for (const id of c.timers) clearTimeout(id);
  if (c.interval !== undefined) clearInterval(c.interval);
  for (const entry of Array.from(c.outbox.values())) settleUnacked(c, entry, 'send_indeterminate', 'client closed', t);
  if (c.live) record({ type: 'conn_down', t, user: c.user.id, session: c.session, region: c.region, reason: 'client closed' });
  const ws = c.ws;
  c.generation++;
  c.ws = undefined;
  c.live = false;
  if (ws !== undefined && ws.readyState !== WebSocket.CLOSED) ws.close(1000, 'client closed');
  const probe = c.probe;
  c.probe = undefined;
  c.nextProbeAt = undefined;
  if (probe !== undefined && probe.ws.readyState !== WebSocket.CLOSED) probe.ws.close(1000, 'client closed');
}

/** The user's sends, each at loadStart + its time (a late one at once, keeping its intended time). */
function scheduleSends(/** @type {Client} */ c, /** @type {number} */ loadStart) {
  const sends = plan.sends[c.user.id] || [];
  let i = 0;
  const next = () => {
    const now = Date.now();
    while (i < sends.length && loadStart + sends[i][0] <= now) sendScheduled(c, sends[i++], loadStart);
    if (i < sends.length && !c.closed) c.timers.push(setTimeout(next, loadStart + sends[i][0] - now));
  };
  if (sends.length > 0) c.timers.push(setTimeout(next, Math.max(0, loadStart + sends[0][0] - Date.now())));
}

/** The run's static facts and phases, from the first VU of every instance (ingest keeps one). */
function announce(/** @type {number} */ loadStart, /** @type {number} */ loadStop) {
  const t = Date.now();
  record({
    type: 'run_start', t, runId: plan.runId, scenario: plan.scenario, seed: plan.seed,
    regions: plan.regions, ackLevel: plan.ackLevel,
  });
  for (const u of plan.users) record({ type: 'user', t, user: u.id, region: u.region });
  for (const cv of plan.conversations) {
    /** @type {Record<string, unknown>} */
    const event = { type: 'conversation', t, conv: cv.id, members: cv.members };
    if (cv.residency !== undefined) event.residency = cv.residency;
    record(event);
  }
  setTimeout(() => record({ type: 'phase', t: loadStart, name: 'load_start' }), Math.max(0, loadStart - Date.now()));
  setTimeout(() => record({ type: 'phase', t: loadStop, name: 'load_stop' }), Math.max(0, loadStop - Date.now()));
}

/** One VU is one user for the whole run: one long iteration, everything on timers. */
export default function () {
  const index = exec.vu.idInTest - 1;
  const start = exec.scenario.startTime;
  const loadStart = start + plan.connectRampMs + 1000;
  const loadStop = loadStart + plan.durationMs;
  if (exec.vu.idInInstance === 1) announce(loadStart, loadStop);
  const user = plan.users[index];
  if (user === undefined) return;
  /** @type {Client} */
  const c = {
    user, session: user.id + '#1', phase: 'idle', closed: false, generation: 0, ws: undefined,
    live: false, region: undefined, at: undefined, previousRegion: undefined, everConnected: false,
    downAt: undefined, endpointIndex: 0, failures: 0, attempt: 0, reconnectAt: 0,
    connectDeadline: undefined, lastHeard: 0, pingAt: undefined, outbox: new Map(), convs: new Map(),
    timers: [], interval: undefined, homeEndpoints: [0], probeRound: 0, probe: undefined,
    nextProbeAt: undefined, probeIntervalMs: SDK.returnHomeAfterMs, homeSince: undefined,
    returnedHome: false,
  };
  for (const conv of user.convs) convOf(c, conv);
  const connectAt = start + (index / plan.users.length) * plan.connectRampMs;
  c.timers.push(setTimeout(() => connect(c), Math.max(0, connectAt - Date.now())));
  c.interval = setInterval(() => tick(c), SDK.tickMs);
  scheduleSends(c, loadStart);
  c.timers.push(setTimeout(() => finish(c), Math.max(0, loadStop + plan.drainMs - Date.now())));
}
`;
