// One replicate exchange with a peer: the request with our remaining lease, the answer checked
// at the boundary (a restarted peer forgets what it confirmed), and each item's result folded
// into what the peer is known to hold.
import { describeIssues } from '../../contracts/errors.ts';
import { requestJson } from '../http.ts';
import {
  type ReplicateItem,
  type ReplicateItemResult,
  type ReplicateRequest,
  ReplicateResponse,
} from '../internal-protocol.ts';
import { errorMessage } from '../log.ts';
import { PEER_HEADER } from '../token.ts';
import { type Link, needsWork, type ShipperState } from './state.ts';

/** Sends `items` to the link's peer; the per-item results, or null when the exchange failed. */
export async function exchange(
  state: ShipperState,
  link: Link,
  items: ReplicateItem[],
): Promise<ReplicateItemResult[] | null> {
  const { opts } = state;
  const request: ReplicateRequest = {
    from: opts.myId,
    incarnation: opts.incarnation,
    rid: link.rid,
    authorityMs: Math.max(0, Math.floor(opts.authorityMs())),
    items,
  };
  try {
    const res = await requestJson(`${link.peer.url}/internal/replicate`, {
      body: request,
      timeoutMs: opts.timeoutMs,
      headers: { [PEER_HEADER]: opts.peerKey },
      agent: opts.agent,
    });
    if (res.status !== 200) throw new Error(`peer answered ${res.status}`);
    const parsed = ReplicateResponse.safeParse(res.body);
    if (!parsed.success) throw new Error(`bad replicate answer: ${describeIssues(parsed.error)}`);
    const incarnation = parsed.data.incarnation;
    if (link.peerIncarnation !== null && link.peerIncarnation !== incarnation) {
      // The peer restarted; what it held may differ from what it confirmed before.
      for (const [conv, pc] of link.convs) {
        pc.matched = null;
        link.dirty.add(conv);
      }
    }
    link.peerIncarnation = incarnation;
    opts.metrics.replicationRequests.inc({ peer: link.peer.id, result: 'ok' });
    if (link.failures > 0)
      opts.logger.info('peer reachable again', { peer: link.peer.id, after: link.failures });
    link.failures = 0;
    link.lastOkAt = performance.now();
    return parsed.data.results;
  } catch (error) {
    link.failures += 1;
    opts.metrics.replicationRequests.inc({ peer: link.peer.id, result: 'failed' });
    if (link.failures === 1 || link.failures % 20 === 0) {
      opts.logger.warn('replication to peer failed', {
        peer: link.peer.id,
        error: errorMessage(error),
        failures: link.failures,
      });
    }
    return null;
  }
}

/** Folds the peer's answers into the link; conversations still needing work stay dirty. */
export function applyResults(
  state: ShipperState,
  link: Link,
  items: ReplicateItem[],
  results: ReplicateItemResult[],
): void {
  const sent = new Map(items.map((item) => [item.conv, item]));
  for (const r of results) {
    const item = sent.get(r.conv);
    const pc = link.convs.get(r.conv);
    if (item === undefined || pc === undefined) continue;
    const src = state.opts.source(r.conv);
    switch (r.status) {
      case 'ok':
        pc.matched = Math.min(r.matched, item.lastSeq);
        pc.commitSent = item.commit;
        pc.needsMeta = false;
        break;
      case 'gap':
        pc.matched = Math.min(r.matched, item.lastSeq);
        break;
      case 'unknown':
        pc.needsMeta = true;
        break;
      case 'fenced':
        state.opts.metrics.fencedWrites.inc({ by: 'peer' });
        link.dirty.delete(r.conv);
        link.convs.delete(r.conv);
        state.opts.onFenced(r.conv, r.epoch ?? item.epoch + 1);
        continue;
      case 'error':
        break;
    }
    if (src !== undefined) state.opts.onProgress(r.conv);
    if (needsWork(state, link, r.conv)) link.dirty.add(r.conv);
    else link.dirty.delete(r.conv);
  }
}
