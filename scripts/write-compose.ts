// `npm run compose`: writes docker-compose.yml, compose/toxiproxy.json and compose/prometheus.yml
// for the default topology (harness/docker/compose.ts). test/harness/compose-file.test.ts fails
// when the checked-in files are stale. Another topology:
//   tsx scripts/write-compose.ts --regions eu-west,us-east --nodes-per-region 2 --out DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { composeFiles, DEFAULT_COMPOSE } from '../harness/index.ts';

const { values } = parseArgs({
  options: {
    regions: { type: 'string' },
    'nodes-per-region': { type: 'string' },
    out: { type: 'string', default: new URL('..', import.meta.url).pathname },
  },
});
const nodes = Number(values['nodes-per-region'] ?? DEFAULT_COMPOSE.nodesPerRegion);
if (!Number.isInteger(nodes) || nodes < 1 || nodes > 8) throw new Error('--nodes-per-region: must be 1 to 8');
const files = composeFiles({
  ...DEFAULT_COMPOSE,
  regions: values.regions?.split(',') ?? DEFAULT_COMPOSE.regions,
  nodesPerRegion: nodes,
});
for (const [name, text] of Object.entries(files)) {
  const target = join(values.out, name);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
