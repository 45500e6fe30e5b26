#!/usr/bin/env bash
# Makes a Node single executable (SEA) of a CommonJS bundle:
#
#   make-sea.sh BUNDLE NODE OUTPUT [BLOB-WRITER...]
#
# NODE is the node binary the executable is built on. BLOB-WRITER is the
# command that writes the SEA blob (default: `node`, this machine's): the blob
# must be written by the same Node version as NODE, and by a Node of the same
# word size, so a 32-bit ARM NODE writes its own blob under qemu-user. No V8
# code cache and no snapshot: both are specific to the machine that writes
# them. Used by scripts/build-pi.sh and by `npm run bench:agent -- --entry sea`.
set -euo pipefail

die() { echo "[make-sea] ERROR: $*" >&2; exit 1; }
(($# >= 3)) || die "usage: $0 BUNDLE NODE OUTPUT [BLOB-WRITER...]"
BUNDLE="$1" NODE="$2" OUTPUT="$3"
shift 3
WRITER=("$@")
((${#WRITER[@]})) || WRITER=(node)
POSTJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/node_modules/.bin/postject"
SEA_FUSE="NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2"
[[ -x "$POSTJECT" ]] || die "postject missing: run npm install (or npm ci) first"

WORK="$(mktemp -d "$(dirname "$OUTPUT")/.sea.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cat >"$WORK/sea-config.json" <<JSON
{
  "main": "tower-agent.cjs",
  "output": "sea-prep.blob",
  "disableExperimentalSEAWarning": true,
  "useSnapshot": false,
  "useCodeCache": false
}
JSON
cp "$BUNDLE" "$WORK/tower-agent.cjs"
(cd "$WORK" && timeout 300 "${WRITER[@]}" --experimental-sea-config sea-config.json >sea.log 2>&1) ||
  { cat "$WORK/sea.log" >&2; die "writing the SEA blob with '${WRITER[*]}' failed"; }
cp "$NODE" "$WORK/exe"
chmod 755 "$WORK/exe"
timeout 300 "$POSTJECT" "$WORK/exe" NODE_SEA_BLOB "$WORK/sea-prep.blob" --sentinel-fuse "$SEA_FUSE" >"$WORK/postject.log" 2>&1 ||
  { cat "$WORK/postject.log" >&2; die "postject failed"; }
mv -f "$WORK/exe" "$OUTPUT"
