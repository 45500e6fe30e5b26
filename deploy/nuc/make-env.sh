#!/usr/bin/env bash
# Writes .env for compose.yaml: .env.example with every empty value filled by
# a fresh random secret. Never overwrites an existing file.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  cat <<USAGE
Usage: make-env.sh [--nuc-host NAME] [--out FILE]

Writes FILE (default: $HERE/.env, mode 600) from .env.example with a fresh
KAFKA_CLUSTER_ID, INFLUX_ADMIN_PASSWORD, INFLUX_ADMIN_TOKEN and TOWER_V1_PASSWORD.
  --nuc-host NAME   the NUC's host name as the Pi knows it (default: nuc)
  --out FILE        where to write (it must not exist yet)
USAGE
}

out="$HERE/.env"
nuc_host=""
while (($#)); do
  case "$1" in
    --nuc-host) nuc_host="${2:?--nuc-host needs a NAME}"; shift 2 ;;
    --out) out="${2:?--out needs a FILE}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "make-env.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [[ -n "$nuc_host" && ! "$nuc_host" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
  echo "make-env.sh: --nuc-host '$nuc_host' is not a host name" >&2
  exit 2
fi
if [[ -e "$out" ]]; then
  # New secrets would not reach an InfluxDB whose volume is already set up.
  echo "make-env.sh: $out exists and is kept; delete it first to make a new one" >&2
  exit 1
fi

hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
secret() {
  case "$1" in
    KAFKA_CLUSTER_ID) head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' ;;
    INFLUX_ADMIN_PASSWORD) hex 16 ;;
    INFLUX_ADMIN_TOKEN) hex 32 ;;
    TOWER_V1_PASSWORD) hex 24 ;;
    *) echo "make-env.sh: .env.example leaves $1 empty and no secret is made for it" >&2; return 1 ;;
  esac
}

tmp="$(mktemp "$out.XXXXXX")" # mode 600
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line || [[ -n "$line" ]]; do
  if [[ "$line" =~ ^([A-Z0-9_]+)=$ ]]; then
    line+="$(secret "${BASH_REMATCH[1]}")"
  elif [[ -n "$nuc_host" && "$line" == NUC_HOSTNAME=* ]]; then
    line="NUC_HOSTNAME=$nuc_host"
  fi
  printf '%s\n' "$line"
done <"$HERE/.env.example" >"$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "wrote $out (mode 600): keep it, it holds the InfluxDB admin token and passwords"
