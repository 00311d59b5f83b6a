// The flag table of each harness command (run, validate, list, check, report, compare, proxy) as
// plain data. Parsing, `--help` and the unknown-flag message are all derived from it
// (flag-table.ts); the target's own commands (server, directory, token) keep theirs with the
// target (harness/targets/). Where k6 has the same idea the flag has k6's name too.

import { TARGET_NAMES } from '../targets/index.ts';
import { EXIT_CODE_LINE } from './exit-codes.ts';
import type { CommandSpec, FlagSpec } from './flag-table.ts';

/** The flags `run` and `validate` share: what they change in the scenario before it runs. */
const SCENARIO_FLAGS: readonly FlagSpec[] = [
  {
    name: 'target',
    value: 'NAME',
    description: `the system under test: ${TARGET_NAMES.join(' or ')} (docs/TARGETS.md)`,
    default: "the scenario's, else reference",
  },
  {
    name: 'seed',
    value: 'N',
    description: 'seed for the workload and random faults',
    default: "the scenario's, else drawn",
  },
  {
    name: 'duration',
    short: 'd',
    value: 'DURATION',
    description:
      'load duration: 30 (seconds), 90s, 2m, 1m30s or 500ms; stretches stages and fault times alike',
    default: "the scenario's",
  },
  {
    name: 'rate',
    value: 'N',
    description: 'messages a second (a staged rate is scaled to reach N in its first stage)',
    default: "the scenario's",
  },
  {
    name: 'users',
    short: 'u',
    value: 'N',
    aliases: ['vus'],
    description: 'simulated users (--vus is k6’s name)',
    default: "the scenario's",
  },
  {
    name: 'regions',
    value: 'a,b',
    description: 'regions to run, comma-separated (replaces the scenario’s list)',
    default: "the scenario's",
  },
  { name: 'nodes', value: 'N', description: 'server nodes per region', default: "the scenario's" },
  {
    name: 'bug',
    value: 'NAME',
    multiple: true,
    description: 'start the servers with a planted bug, to see that the checks catch it',
  },
  {
    name: 'env',
    short: 'e',
    value: 'KEY=VALUE',
    multiple: true,
    description:
      'set an environment variable before the scenario file loads (process.env.KEY, or __ENV.KEY as in k6)',
  },
];

/** Where `run` starts the system and what `validate` prints of it. */
const MODE_FLAGS: readonly FlagSpec[] = [
  {
    name: 'mode',
    value: 'local|docker|compose',
    description:
      'local: every node a process on this machine; docker: every node, the directory and the fault proxy in a container; compose: attach to the docker-compose.yml topology the harness service runs in',
    default: 'local',
  },
  {
    name: 'image',
    value: 'IMAGE',
    description:
      'the project image docker mode runs (built by `docker build` or scripts/docker-host-image.sh)',
    default: '$CHATQUAKE_IMAGE, else chatquake:local',
  },
];

/** How `run` and `up` are watched from Prometheus and Grafana (docs/METRICS.md). */
const OBSERVE_FLAGS: readonly FlagSpec[] = [
  {
    name: 'metrics-port',
    value: 'PORT',
    description:
      "serve the harness's live metrics (chatquake_*) at http://127.0.0.1:PORT/metrics while the run goes on; 0 picks a free port",
    default: 'off',
  },
  {
    name: 'metrics-host',
    value: 'HOST',
    description:
      'the address --metrics-port binds: 0.0.0.0 where a Prometheus in another container scrapes it (the compose harness)',
    default: '127.0.0.1',
  },
  {
    name: 'prometheus',
    value: 'FILE',
    description:
      'write a Prometheus file_sd targets file of the run’s /metrics endpoints (nodes, proxy, harness), emptied at the end',
  },
];

/** What the scenario argument of `run` and `validate` may be. */
const SCENARIO_ARG_LINE =
  'The scenario is a built-in name (chatquake list) or a file: .ts, .mts, .js, .mjs, .json, .yaml or .yml.';

export const runSpec: CommandSpec = {
  name: 'run',
  summary: 'run a scenario: bring up the topology, drive load, inject faults, check, write results',
  args: '<scenario|file>',
  flags: [
    {
      name: 'out',
      short: 'o',
      value: 'DIR',
      description: 'the run folder',
      default: 'runs/<time>-<scenario>',
    },
    ...SCENARIO_FLAGS,
    ...MODE_FLAGS,
    {
      name: 'tag',
      value: 'KEY=VALUE',
      multiple: true,
      description: 'a tag on the run, written to summary.json, run.json and junit.xml',
    },
    {
      name: 'summary-export',
      value: 'FILE',
      description: 'also write summary.json to FILE (its folders are created)',
    },
    {
      name: 'no-thresholds',
      description:
        'thresholds and checks are judged and shown but do not fail the run: exit 0 unless the run itself breaks',
    },
    ...OBSERVE_FLAGS,
    { name: 'quiet', short: 'q', description: 'no progress lines, only the end-of-run text' },
  ],
  notes: [
    SCENARIO_ARG_LINE,
    'With --no-thresholds a failed threshold or consistency check (acked_lost, duplicates, …) is still',
    'reported, marked "not gating", and the exit code is 0; an invalid run (96), an aborted one (105) or',
    'an error (1) still fail.',
    EXIT_CODE_LINE,
  ],
};

export const upSpec: CommandSpec = {
  name: 'up',
  summary:
    'a game-day session: start the topology and steady load, serve a live console to inject faults by hand',
  args: '[scenario|file]',
  flags: [
    {
      name: 'port',
      short: 'p',
      value: 'PORT',
      description: 'the console’s port (0 picks a free one)',
      default: '8080',
    },
    {
      name: 'host',
      value: 'HOST',
      description: 'the address the console binds; anything but loopback needs a token (below)',
      default: '127.0.0.1',
    },
    {
      name: 'token',
      value: 'TOKEN',
      description:
        'every /api request must carry it (Authorization: Bearer, or ?token= in the page’s address); at least 16 characters',
      default: '$CHATQUAKE_CONSOLE_TOKEN, else none',
    },
    {
      name: 'max-duration',
      value: 'DURATION',
      description: 'the session’s bound: load stops by itself after this long (Stop or Ctrl-C end it sooner)',
      default: '1h',
    },
    {
      name: 'linger',
      value: 'DURATION',
      description:
        'after the session is judged, keep serving its verdict and report this long (Ctrl-C ends it sooner; 0: exit at once)',
      default: '10m',
    },
    {
      name: 'out',
      short: 'o',
      value: 'DIR',
      description: 'the run folder',
      default: 'runs/<time>-<scenario>',
    },
    ...SCENARIO_FLAGS.filter((f) => f.name !== 'duration'),
    ...MODE_FLAGS,
    {
      name: 'tag',
      value: 'KEY=VALUE',
      multiple: true,
      description: 'a tag on the run, written to summary.json, run.json and junit.xml',
    },
    {
      name: 'no-thresholds',
      description: 'thresholds and checks are judged and shown but do not fail the session’s exit code',
    },
    ...OBSERVE_FLAGS,
    {
      name: 'quiet',
      short: 'q',
      description: 'no progress lines, only the console’s address and the verdict',
    },
  ],
  notes: [
    'With no scenario, steady-state (xmpp-partition with --target xmpp). A scenario’s own faults are not',
    'scheduled: the console offers them as presets. Ctrl-C (or Stop) ends load, heals every fault,',
    'waits for the regions to agree and judges the run as `chatquake run` does; a second Ctrl-C',
    'kills everything at once. docs/CONSOLE.md has the guide.',
    EXIT_CODE_LINE,
  ],
};

/** What a deployment named by --topology decides, not a flag: its target, its nodes, its bugs. */
const DEPLOYED = ['bug', 'target', 'nodes'];

const TOPOLOGY_FLAG: FlagSpec = {
  name: 'topology',
  value: 'FILE',
  description:
    'the deployment to reach: regions with their ws:// endpoints and http:// admin URLs, and its Toxiproxy (docs/K6.md)',
};

export const k6Spec: CommandSpec = {
  name: 'k6',
  summary: "write a k6 script of a scenario's workload against a deployment, for distributed load",
  args: '<scenario|file>',
  flags: [
    { name: 'out', short: 'o', value: 'FILE', description: 'the script', default: 'stdout' },
    { ...TOPOLOGY_FLAG, description: `${TOPOLOGY_FLAG.description}; required` },
    {
      name: 'setup',
      description: "create the workload's conversations on the deployment first (needs its admin URLs)",
    },
    ...SCENARIO_FLAGS.filter((f) => !DEPLOYED.includes(f.name)),
    { name: 'quiet', short: 'q', description: 'print nothing but errors' },
  ],
  notes: [
    SCENARIO_ARG_LINE,
    'Run the script with `k6 run --out json=k6.json script.js` on one or more machines (docs/K6.md), then',
    'judge all the outputs together with `chatquake ingest k6`.',
    EXIT_CODE_LINE,
  ],
};

export const ingestSpec: CommandSpec = {
  name: 'ingest',
  summary: "judge a distributed k6 run: merge k6's JSON outputs into one history and check it as `run` does",
  args: 'k6 <k6 JSON output>...',
  flags: [
    {
      name: 'script',
      value: 'FILE',
      description: 'the script `chatquake k6` wrote (its plan: users, conversations, thresholds); required',
    },
    {
      ...TOPOLOGY_FLAG,
      description: `${TOPOLOGY_FLAG.description}; with it the regions are given time to agree and their final logs are read`,
    },
    {
      name: 'chaos',
      value: 'FILE',
      multiple: true,
      description: 'fault events that `chatquake chaos` wrote (its -o file) while the load ran',
    },
    {
      name: 'out',
      short: 'o',
      value: 'DIR',
      description: 'the run folder',
      default: 'runs/<time>-<scenario>',
    },
    {
      name: 'tag',
      value: 'KEY=VALUE',
      multiple: true,
      description: 'a tag on the run, written to summary.json, run.json and junit.xml',
    },
    {
      name: 'no-thresholds',
      description: 'thresholds and checks are judged and shown but do not fail the exit code',
    },
    { name: 'quiet', short: 'q', description: 'write the results without printing them' },
  ],
  notes: ['Each JSON output is one clock domain (one k6 instance).', EXIT_CODE_LINE],
};

export const chaosSpec: CommandSpec = {
  name: 'chaos',
  summary: "apply a scenario's fault timeline to a running deployment through its Toxiproxy",
  args: '<scenario|file>',
  flags: [
    { ...TOPOLOGY_FLAG, description: `${TOPOLOGY_FLAG.description}; required` },
    {
      name: 'toxiproxy',
      value: 'URL',
      description: 'the Toxiproxy API to drive',
      default: "the topology file's, else $TOXIPROXY_URL",
    },
    {
      name: 'start-at',
      value: 'TIME',
      description: 'when load starts (fault times count from it): an ISO time or epoch ms',
      default: 'now',
    },
    {
      name: 'out',
      short: 'o',
      value: 'FILE',
      description: 'write each fault start and stop as history events (for `chatquake ingest k6 --chaos`)',
    },
    ...SCENARIO_FLAGS.filter((f) => !DEPLOYED.includes(f.name)),
    { name: 'quiet', short: 'q', description: 'no progress lines' },
  ],
  notes: [
    SCENARIO_ARG_LINE,
    'Only faults the proxy carries run here (network faults); a node crash, pause or clock skew needs',
    'the processes and is refused, naming the fault. Ctrl-C heals everything applied.',
    EXIT_CODE_LINE,
  ],
};

export const validateSpec: CommandSpec = {
  name: 'validate',
  summary: 'print the resolved topology and fault timeline of a scenario; starts nothing',
  args: '<scenario|file>',
  flags: [...SCENARIO_FLAGS, ...MODE_FLAGS],
  notes: [SCENARIO_ARG_LINE, EXIT_CODE_LINE],
};

export const listSpec: CommandSpec = {
  name: 'list',
  summary: 'list the built-in scenarios',
  args: '',
  flags: [],
};

export const checkSpec: CommandSpec = {
  name: 'check',
  summary: 're-run the checkers and thresholds on a saved run',
  args: '<run dir>',
  flags: [
    {
      name: 'thresholds',
      value: 'FILE',
      description: 'judge by the thresholds in this JSON file instead',
      default: "the run's (run.json)",
    },
    {
      name: 'no-thresholds',
      description: 'failed thresholds and checks do not fail the verdict (as run --no-thresholds)',
      default: "the run's",
    },
    { name: 'quiet', short: 'q', description: 'write the results without printing them' },
  ],
  notes: [EXIT_CODE_LINE],
};

export const reportSpec: CommandSpec = {
  name: 'report',
  summary: 're-render report.html from a saved run',
  args: '<run dir>',
  flags: [
    {
      name: 'out',
      value: 'FILE',
      description: 'where to write the report',
      default: '<run dir>/report.html',
    },
  ],
};

export const compareSpec: CommandSpec = {
  name: 'compare',
  summary: 'compare a candidate run against a baseline; exit 99 on regression',
  args: '<baseline dir> <candidate dir>',
  flags: [
    {
      name: 'max-regression',
      value: 'PCT',
      description: 'how much worse the candidate may be (10% or 0.1)',
      default: '10%',
    },
    {
      name: 'out',
      value: 'FILE',
      description: 'where to write compare.html',
      default: '<candidate dir>/compare.html',
    },
    {
      name: 'iterations',
      value: 'N',
      description: 'bootstrap resamples for the confidence intervals',
      default: '2000',
    },
    {
      name: 'confidence',
      value: 'P',
      description: 'confidence level of the intervals, above 0.5 and below 1',
      default: '0.95',
    },
    { name: 'seed', value: 'N', description: 'seed of the resampling', default: '1' },
    { name: 'json', description: 'print the comparison as JSON instead of a table' },
  ],
  notes: [
    'Exit codes: 0 no regression, 99 a regression, 96 either run is invalid or sent nothing, 104 bad flag or not a run folder, 1 other error.',
  ],
};

export const proxySpec: CommandSpec = {
  name: 'proxy',
  summary: 'run the fault proxy (speaks the Toxiproxy HTTP API)',
  args: '',
  flags: [
    { name: 'host', value: 'HOST', description: 'address the API listens on', default: '127.0.0.1' },
    { name: 'port', value: 'PORT', description: 'port of the API (0 picks a free one)', default: '8474' },
    { name: 'config', value: 'FILE', description: 'proxies to create at start, as Toxiproxy’s JSON config' },
    { name: 'seed', value: 'N', description: 'seed for the toxics’ randomness', default: '0' },
  ],
};
