// An existing deployment of the system under test, as a file: what `chatquake k6` (where the
// virtual users connect), `chatquake chaos` (which Toxiproxy to drive) and `chatquake ingest k6`
// (where to read the final logs) need to reach a topology chatquake did not start. Secrets come
// from the environment when the file leaves them out, so the file can be committed.
//
//   { "target": "reference",
//     "regions": [ { "name": "eu-west", "endpoints": ["ws://10.0.1.5:8080/ws"], "adminUrls": ["http://10.0.1.5:8080"] } ],
//     "toxiproxy": "http://10.0.0.9:8474" }
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../../contracts/errors.ts';
import { RegionName } from '../../contracts/target.ts';
import { ScenarioError } from '../scenario/scenario.ts';

const Url = (schemes: readonly string[]) =>
  z.string().refine(
    (text) => {
      try {
        return schemes.includes(new URL(text).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${schemes.map((s) => `${s}//`).join(' or ')} URL`,
  );

export const TopologyFile = z.strictObject({
  target: z.literal('reference').default('reference'),
  regions: z
    .array(
      z.strictObject({
        name: RegionName,
        /** Where clients connect (WebSocket), in the order a client tries them. */
        endpoints: z.array(Url(['ws:', 'wss:'])).min(1),
        /** The nodes' HTTP base URLs (admin API: conversations, digests, logs). */
        adminUrls: z.array(Url(['http:', 'https:'])).min(1),
      }),
    )
    .min(1),
  /** The Toxiproxy (or `chatquake proxy`) in front of the links, for `chatquake chaos`. */
  toxiproxy: Url(['http:', 'https:']).optional(),
  /** The cluster's token secret; default $CHATQUAKE_SECRET. */
  secret: z.string().min(1).optional(),
  /** The nodes' admin bearer token; default $CHATQUAKE_ADMIN_TOKEN. */
  adminToken: z.string().min(1).optional(),
});
export type TopologyFile = z.infer<typeof TopologyFile>;

/** A topology file with its secrets filled in. */
export interface Topology extends TopologyFile {
  secret: string;
  adminToken: string;
}

/** Reads and checks a topology file; throws ScenarioError (exit 104) naming the field. */
export function loadTopology(path: string, env: NodeJS.ProcessEnv = process.env): Topology {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ScenarioError(`--topology ${path}: ${(error as Error).message}`);
  }
  return parseTopology(raw, path, env);
}

export function parseTopology(raw: unknown, path: string, env: NodeJS.ProcessEnv = process.env): Topology {
  const parsed = TopologyFile.safeParse(raw);
  if (!parsed.success) throw new ScenarioError(`--topology ${path}: ${describeIssues(parsed.error)}`);
  const file = parsed.data;
  const names = file.regions.map((r) => r.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new ScenarioError(`--topology ${path}: regions: "${twice}" is named twice`);
  const secret = file.secret ?? env.CHATQUAKE_SECRET;
  const adminToken = file.adminToken ?? env.CHATQUAKE_ADMIN_TOKEN;
  if (secret === undefined || secret === '')
    throw new ScenarioError(`--topology ${path}: secret: give it in the file or as $CHATQUAKE_SECRET`);
  if (adminToken === undefined || adminToken === '')
    throw new ScenarioError(
      `--topology ${path}: adminToken: give it in the file or as $CHATQUAKE_ADMIN_TOKEN`,
    );
  return { ...file, secret, adminToken };
}
