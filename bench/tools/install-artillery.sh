#!/bin/sh
# Installs Artillery for bench/loadgen.ts only, into bench/.tools/artillery (gitignored), never as
# a dependency of chatquake. Pinned, so two runs compare the same Artillery. --ignore-scripts: its
# install scripts download a browser (for its Playwright engine), which fails here and which the
# ws engine the benchmark drives never needs. Idempotent: an install of the pinned version is kept.
#
#   sh bench/tools/install-artillery.sh
set -eu

ARTILLERY_VERSION=2.0.34
here=$(cd "$(dirname "$0")" && pwd)
dir="$here/../.tools/artillery"
installed="$dir/node_modules/artillery/package.json"

if [ -f "$installed" ] && grep -q "\"version\": \"$ARTILLERY_VERSION\"" "$installed"; then
  echo "artillery $ARTILLERY_VERSION already installed in $dir"
  exit 0
fi

mkdir -p "$dir"
# Its own package.json, so npm installs here and never walks up to chatquake's.
if [ ! -f "$dir/package.json" ]; then
  printf '{\n  "name": "chatquake-bench-artillery",\n  "private": true\n}\n' >"$dir/package.json"
fi
cd "$dir"
npm install --ignore-scripts --no-audit --no-fund --save-exact "artillery@$ARTILLERY_VERSION"
echo "installed artillery $ARTILLERY_VERSION in $dir"
