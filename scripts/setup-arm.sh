#!/usr/bin/env bash
# Installs what running ARM (Raspberry Pi) Node binaries on an x86 Debian
# machine needs: qemu-user-static and the ARM cross runtime libraries that
# `qemu-*-static -L /usr/<triplet>` loads them with. Idempotent: when all
# packages are present it only checks them (well under a second).
#
#   qemu-aarch64-static -L /usr/aarch64-linux-gnu   ./node   # arm64
#   qemu-arm-static     -L /usr/arm-linux-gnueabihf ./node   # armv7l
#
# Needs root (or sudo) only when something is missing.
set -euo pipefail

PACKAGES=(
  qemu-user-static
  libc6-arm64-cross libstdc++6-arm64-cross libatomic1-arm64-cross
  libc6-armhf-cross libstdc++6-armhf-cross libatomic1-armhf-cross
)

log() { echo "[setup-arm] $*" >&2; }

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == installed ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

command -v apt-get >/dev/null || { log "missing ${missing[*]} and no apt-get to install them"; exit 1; }
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null || { log "missing ${missing[*]}; run this script as root"; exit 1; }
  SUDO=(sudo)
fi

log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

for tool in qemu-aarch64-static qemu-arm-static; do
  command -v "$tool" >/dev/null || { log "$tool still not found after installing"; exit 1; }
done
[[ -d /usr/aarch64-linux-gnu/lib && -d /usr/arm-linux-gnueabihf/lib ]] ||
  { log "ARM cross libraries missing after installing"; exit 1; }
log "ARM runtime ready"
