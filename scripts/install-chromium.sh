#!/usr/bin/env bash
# Debian's chromium for the browser tests (driven by playwright-core, which
# downloads no browser of its own). A no-op when it is installed.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
command -v apt-get >/dev/null 2>&1 ||
  { echo "[chromium] error: chromium is missing and apt-get is not available: install Chromium and set TOWER_CHROMIUM to it" >&2; exit 1; }
run() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
echo "[chromium] installing Debian's chromium and fonts for the browser tests"
run env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null 2>&1 || { echo "[chromium] error: apt-get installed chromium but it is not on PATH" >&2; exit 1; }
echo "[chromium] $(chromium --version 2>/dev/null)"
