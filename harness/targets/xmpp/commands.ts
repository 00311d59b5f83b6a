// The XMPP target's command, `chatquake xmpp-region`, as a flag table (harness/cli/flag-table.ts):
// its `--help` and the unknown-flag message come from here, and region-main.ts parses with it.
import type { CommandSpec } from '../../cli/flag-table.ts';

export const DEFAULT_REGION_GRACE_MS = 3000;

export const xmppRegionSpec: CommandSpec = {
  name: 'xmpp-region',
  summary: 'run one XMPP region’s Prosody server, ended with its run (lifeline)',
  args: '',
  flags: [
    { name: 'config', value: 'FILE', description: 'the Prosody config file to run (required)' },
    { name: 'port', value: 'P', description: 'the c2s port that says the server is ready (required)' },
    { name: 'host', value: 'HOST', description: 'address of the c2s port', default: '127.0.0.1' },
    { name: 'prosody', value: 'PATH', description: 'the prosody executable', default: 'prosody' },
    {
      name: 'grace-ms',
      value: 'N',
      description: 'time between SIGTERM and SIGKILL when stopping Prosody',
      default: String(DEFAULT_REGION_GRACE_MS),
    },
  ],
  notes: [
    'Prints {"event":"listening","port":P,"prosodyPid":N} once the c2s port accepts TCP.',
    'Exit codes: 0 Prosody stopped on SIGTERM or SIGINT, 104 bad flag, 1 Prosody failed or exited by itself.',
  ],
};
