#!/usr/bin/env bash
# Installs the named Debian packages when any is missing. Idempotent: when all
# are present it only checks them (well under a second). Needs root (or sudo)
# only when something is missing.
#
# Usage: scripts/apt-ensure.sh PACKAGE...
set -euo pipefail

log() { echo "[apt-ensure] $*" >&2; }

missing=()
for pkg in "$@"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == installed ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

command -v apt-get >/dev/null || { log "missing ${missing[*]} and no apt-get to install them"; exit 1; }
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null || { log "missing ${missing[*]}; run this as root or install them"; exit 1; }
  SUDO=(sudo)
fi

log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
