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

bash "$(dirname "${BASH_SOURCE[0]}")/apt-ensure.sh" "${PACKAGES[@]}"

for tool in qemu-aarch64-static qemu-arm-static; do
  command -v "$tool" >/dev/null || { log "$tool still not found after installing"; exit 1; }
done
[[ -d /usr/aarch64-linux-gnu/lib && -d /usr/arm-linux-gnueabihf/lib ]] ||
  { log "ARM cross libraries missing after installing"; exit 1; }
