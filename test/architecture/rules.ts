// The house plan as data: each room (top-level folder) with the rooms it may import and the
// files other rooms may import it through. docs/ARCHITECTURE.md shows the same table;
// test/architecture/imports.test.ts holds the code to it.

export interface Room {
  /** Rooms this one may import from. */
  mayImport: readonly string[];
  /** Files (relative to the room) others may import; '*' for a leaf of independent modules. */
  entries: readonly string[] | '*';
}

const BASE = ['contracts', 'lib'];

export const ROOMS: Record<string, Room> = {
  lib: { mayImport: [], entries: '*' },
  contracts: { mayImport: [], entries: '*' },
  'im-server': { mayImport: BASE, entries: ['index.ts', 'main.ts', 'directory-main.ts', 'token-main.ts'] },
  client: { mayImport: BASE, entries: ['index.ts'] },
  proxy: { mayImport: BASE, entries: ['index.ts', 'main.ts'] },
  chaos: { mayImport: BASE, entries: ['index.ts'] },
  load: { mayImport: BASE, entries: ['index.ts'] },
  checks: { mayImport: BASE, entries: ['index.ts'] },
  reports: { mayImport: [...BASE, 'checks'], entries: ['index.ts'] },
  harness: {
    mayImport: [...BASE, 'chaos', 'load', 'checks', 'reports', 'proxy', 'im-server', 'client'],
    entries: ['index.ts', 'cli.ts'],
  },
  /** The game-day console's page (a Vite build served by `chatquake up`): it reads contracts' types only. */
  console: { mayImport: ['contracts'], entries: [] },
  scenarios: { mayImport: ['harness'], entries: [] },
  /** chatquake.js starts the CLI; toxiproxy.js starts the proxy under Toxiproxy's flags. */
  bin: { mayImport: ['harness', 'proxy'], entries: [] },
  /** Repository chores run by npm scripts (the JSON Schema, the pack-time declarations); not packed. */
  scripts: { mayImport: ['harness'], entries: [] },
  /** Users' side: example scenarios and CI recipes; they import the package by name only. */
  examples: { mayImport: [], entries: [] },
};

/**
 * Only these folders may import the reference system under test (its server, its client SDK,
 * its wire format): everything specific to a target lives with the target.
 */
export const TARGET_SPECIFIC = {
  rooms: ['im-server', 'client'],
  files: ['contracts/wire.ts'],
  allowedIn: ['im-server/', 'client/', 'harness/targets/'],
};

/** test/ and bench/ may reach inside rooms; bench may also use test/support/, nothing else of test/. */
export const FREE = ['test', 'bench'];
export const BENCH_MAY_USE = 'test/support/';
