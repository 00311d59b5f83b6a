// The reference target's commands — `chatquake server`, `directory` and `token` — as flag tables
// (harness/cli/flag-table.ts): their `--help` and the unknown-flag message come from here. Their
// parsers stay in im-server/ (which may not import the harness); a test holds the two together.
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_BUFFERED_TOTAL_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_FRAME_RATE,
} from '../../../contracts/wire.ts';
import { DEFAULT_LEASE_MS, DEFAULT_TOKEN_TTL_SECONDS } from '../../../im-server/index.ts';
import type { CommandSpec } from '../../cli/flag-table.ts';

const SERVER_EXITS =
  'Exit codes: 0 closed on SIGTERM or SIGINT, 104 bad flag, 1 could not start or failed while closing.';

export const serverSpec: CommandSpec = {
  name: 'server',
  summary: 'run one reference IM server node',
  args: '',
  flags: [
    { name: 'region', value: 'R', description: 'region of the node (required)' },
    {
      name: 'node',
      value: 'N',
      description: 'name of the node in its region: letters, digits, . _ - (required)',
    },
    { name: 'port', value: 'P', description: 'port to listen on, 0 for a free one (required)' },
    { name: 'host', value: 'HOST', description: 'address to listen on', default: '127.0.0.1' },
    { name: 'data', value: 'DIR', description: 'folder of the node’s log and state (required)' },
    {
      name: 'secret',
      value: 'S',
      description: 'secret that signs client tokens (required; or $CHATQUAKE_SECRET)',
    },
    {
      name: 'admin-token',
      value: 'A',
      description: 'bearer token of the admin API (required; or $CHATQUAKE_ADMIN_TOKEN)',
    },
    {
      name: 'directory',
      value: 'URL',
      description: 'the directory (lease) service; without it the node homes every conversation itself',
    },
    { name: 'peers', value: 'region/node=url,...', description: 'the other nodes', default: 'none' },
    { name: 'ack', value: 'stored|replicated', description: 'when a send is acked', default: 'replicated' },
    {
      name: 'replicas',
      value: 'W',
      description: 'other regions that must hold a message before a replicated ack',
      default: '1',
    },
    {
      name: 'lease-ms',
      value: 'N',
      description: 'lease of a conversation home, in ms',
      default: String(DEFAULT_LEASE_MS),
    },
    { name: 'bug', value: 'NAME', multiple: true, description: 'plant a known bug, for testing the checks' },
    {
      name: 'max-frame-bytes',
      value: 'N',
      description: 'largest WebSocket frame',
      default: String(DEFAULT_MAX_FRAME_BYTES),
    },
    {
      name: 'max-body-bytes',
      value: 'N',
      description: 'largest message body',
      default: String(DEFAULT_MAX_BODY_BYTES),
    },
    {
      name: 'max-connections',
      value: 'N',
      description: 'client connections at once',
      default: String(DEFAULT_MAX_CONNECTIONS),
    },
    {
      name: 'max-frame-rate',
      value: 'N',
      description: 'frames a second per client',
      default: String(DEFAULT_MAX_FRAME_RATE),
    },
    {
      name: 'max-buffered-bytes',
      value: 'N',
      description: 'bytes queued to one slow client',
      default: String(DEFAULT_MAX_BUFFERED_BYTES),
    },
    {
      name: 'max-buffered-total-bytes',
      value: 'N',
      description: 'bytes queued to all slow clients',
      default: String(DEFAULT_MAX_BUFFERED_TOTAL_BYTES),
    },
    { name: 'fsync', description: 'fsync the log before acking' },
  ],
  notes: [SERVER_EXITS],
};

export const directorySpec: CommandSpec = {
  name: 'directory',
  summary: 'run the directory (lease) service that fences conversation homes',
  args: '',
  flags: [
    { name: 'port', value: 'P', description: 'port to listen on, 0 for a free one (required)' },
    { name: 'host', value: 'HOST', description: 'address to listen on', default: '127.0.0.1' },
    {
      name: 'lease-ms',
      value: 'N',
      description: 'lease of a conversation home, in ms',
      default: String(DEFAULT_LEASE_MS),
    },
    { name: 'data', value: 'DIR', description: 'folder to keep the leases in', default: 'in memory' },
    { name: 'secret', value: 'S', description: 'secret shared with the nodes (or $CHATQUAKE_SECRET)' },
    {
      name: 'admin-token',
      value: 'A',
      description: 'bearer token of the admin API (or $CHATQUAKE_ADMIN_TOKEN)',
    },
  ],
  notes: [SERVER_EXITS],
};

export const tokenSpec: CommandSpec = {
  name: 'token',
  summary: 'print a signed token for a user',
  args: '',
  flags: [
    { name: 'user', value: 'U', description: 'the user the token is for (required)' },
    { name: 'secret', value: 'S', description: 'the servers’ --secret (required; or $CHATQUAKE_SECRET)' },
    {
      name: 'ttl',
      value: 'SECONDS',
      description: 'how long the token is good for',
      default: String(DEFAULT_TOKEN_TTL_SECONDS),
    },
  ],
  notes: ['Exit codes: 0 printed, 104 bad flag, 1 the token could not be written.'],
};
