#!/usr/bin/env bash
# Starts or stops the real services Tower talks to: a 3-node Kafka 4.x KRaft
# cluster and InfluxDB 2.x. `up` installs what is missing (cached outside the
# clone, in $TOWER_CACHE_DIR), starts both, and writes .tower/services.env.
# `down` also stops the Chronograf that npm run demo starts.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export TOWER_STATE_DIR=${TOWER_STATE_DIR:-$(cd "$here/.." && pwd)/.tower}

up() {
  local started=$SECONDS
  bash "$here/services/kafka.sh" install
  bash "$here/services/influxdb.sh" install
  bash "$here/services/kafka.sh" start
  bash "$here/services/influxdb.sh" start
  local env_file=$TOWER_STATE_DIR/services.env
  umask 077
  cat "$TOWER_STATE_DIR/kafka.env" "$TOWER_STATE_DIR/influxdb.env" >"$env_file.tmp"
  mv "$env_file.tmp" "$env_file"
  echo "[services] up in $((SECONDS - started)) s; settings in $env_file"
  echo "[services] use them with: set -a; . $env_file; set +a"
}

down() {
  local status=0
  bash "$here/services/chronograf.sh" stop || status=1 # started by npm run demo
  bash "$here/services/influxdb.sh" stop || status=1
  bash "$here/services/kafka.sh" stop || status=1
  return $status
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status)
    bash "$here/services/kafka.sh" status
    bash "$here/services/influxdb.sh" status
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
