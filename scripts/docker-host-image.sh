#!/usr/bin/env bash
# Builds the project image on a machine that can pull no image and whose containers cannot
# reach the npm registry (this project's CI machine is one). Two steps:
#   1. a base image FROM scratch holding this host's own Node binary, the shared libraries
#      `ldd` lists for it, and busybox (Debian's busybox-static) for a shell;
#   2. the project's Dockerfile on top of it (NODE_IMAGE=<base>), with DEPS=host: the host's
#      installed node_modules are copied in instead of running `npm ci` in the build.
# Anywhere an official Node image can be pulled, `docker build .` is all it takes.
#
# Usage: scripts/docker-host-image.sh [IMAGE_TAG]   (default chatquake:host)
# Prints the tag of the project image on its last line. Both images carry the label
# chatquake.image=host, so `docker image prune --filter label=chatquake.image=host` finds them.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
tag=${1:-chatquake:host}
node_version=$(node --version)
base="chatquake-host-node:${node_version#v}"

command -v busybox >/dev/null || { echo "busybox missing: apt-get install -y busybox-static" >&2; exit 1; }
[ -d node_modules ] || { echo "node_modules missing: run npm ci first" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/chatquake-image.XXXXXX")
trap 'rm -rf "$work" "$repo/.docker-host"' EXIT

# 1. The base image: node, its libraries (and the loader), busybox as /bin/sh and friends.
root="$work/base/root"
node_bin=$(readlink -f "$(command -v node)")
mkdir -p "$root/usr/local/bin" "$root/bin" "$root/tmp" "$root/etc"
cp "$node_bin" "$root/usr/local/bin/node"
for lib in $(ldd "$node_bin" | grep -o '/[^ ]*' | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# better-sqlite3's addon needs nothing beyond node's own libraries (libstdc++, libc, libm).
cp "$(readlink -f "$(command -v busybox)")" "$root/bin/busybox"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
cat >"$work/base/Dockerfile" <<'EOF'
FROM scratch
COPY root/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/usr/local/bin:/bin HOME=/root
LABEL chatquake.image=host
CMD ["node"]
EOF
chmod 1777 "$root/tmp"
docker build -q -t "$base" "$work/base" >/dev/null

# 2. The project image, with the host's installed tree (hard links: no copy on this disk).
rm -rf "$repo/.docker-host"
mkdir "$repo/.docker-host"
# A git worktree may link node_modules to another checkout's: copy the tree it points at.
cp -al "$(cd "$repo/node_modules" && pwd -P)" "$repo/.docker-host/node_modules"
docker build -q \
  --build-arg "NODE_IMAGE=$base" \
  --build-arg DEPS=host \
  --label chatquake.image=host \
  -t "$tag" "$repo" >/dev/null
echo "$tag"
