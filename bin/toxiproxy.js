#!/usr/bin/env node
// Toxiproxy's server command line over chatquake's fault proxy: `toxiproxy -host=0.0.0.0
// -port=8474 -config=FILE -seed=N`. The project image links it as /toxiproxy, so it drops in
// where Toxiproxy's own image is expected (docs/PROXY.md).
import { readFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const { toxiproxyMain } = await import('../proxy/main.ts');
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
process.exitCode = await toxiproxyMain(process.argv.slice(2), version);
