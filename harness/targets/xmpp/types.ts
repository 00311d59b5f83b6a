// The shapes the XMPP target's two halves agree on: the Prosody regions the topology starts
// (topology.ts, prosody/) and the MessagingTarget that drives them over XMPP (target.ts,
// session.ts, mam.ts). Each region is one Prosody server with its own domain; clients reach it
// through an edge proxy, and server-to-server (s2s) traffic between two regions passes through
// that pair's link proxy, so the fault catalogue cuts XMPP federation as it cuts the reference
// server's replication.
import { z } from 'zod';

/** How the regions' servers federate: what chatquake measures under partition (docs/XMPP.md). */
export const XmppOptions = z
  .object({
    /**
     * `dialback`: plain s2s, no stream management (Prosody's default); `smacks`: TLS with
     * certificates from a per-run CA, SASL EXTERNAL, and stream management (XEP-0198) on s2s.
     * Default `smacks`.
     */
    s2s: z.enum(['dialback', 'smacks']).default('smacks'),
    /**
     * After a client reconnects without resuming its stream, resend the stanzas the server never
     * acked (with the same id), rather than reporting them indeterminate. Default true.
     */
    resend: z.boolean().default(true),
    /**
     * With `s2s: 'smacks'`: when an s2s stream dies with stanzas the peer never acked, resend them
     * on the next stream (`smacks_s2s_resend`; a stanza that arrived but whose ack was lost then
     * arrives twice) rather than bounce them to their senders (Prosody's default). Default false.
     */
    s2sResend: z.boolean().default(false),
    /**
     * mod_s2s_smacks_timeout: close an s2s stream whose acks stop for this long, so a blackholed
     * link is noticed. 0 leaves it off. Only with `s2s: 'smacks'`. Default 0.
     */
    s2sAckTimeoutMs: z.number().int().min(0).max(600_000).default(0),
  })
  .strict();
export type XmppOptions = z.infer<typeof XmppOptions>;

/** One region as clients and readers see it. */
export interface XmppRegion {
  /** The region's name, as the topology and history use it. */
  name: string;
  /** The XMPP domain its server hosts, e.g. `eu-west.chatquake.test`. */
  domain: string;
  /** What clients dial: `xmpp://host:port` of the region's edge proxy. */
  service: string;
}

/** What the target needs from the running topology besides the regions. */
export interface XmppAccounts {
  /** Creates `user@domain` with this password on the region's server; idempotent. */
  register(region: string, user: string, password: string): Promise<void>;
}
