#!/usr/bin/env bash
# The main job on one machine: services up, tower-sink and tower-agent running,
# rows printed as they land in InfluxDB. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ -f dist/agent/main.js ] || npm run build
bash scripts/services.sh up
set -a
. .tower/services.env
set +a

logs=.tower/logs
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "[demo] stopping tower-agent, tower-sink and the services"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  bash scripts/services.sh down
}
trap cleanup INT TERM EXIT

node dist/consumer/main.js run >"$logs/tower-sink.log" 2>&1 &
pids+=($!)
node dist/agent/main.js run >"$logs/tower-agent.log" 2>&1 &
pids+=($!)
echo "[demo] tower-sink and tower-agent running; logs in $logs/tower-{sink,agent}.log"
echo "[demo] rows of SELECT \"memory\", \"CPU_Usage\" FROM \"Labs\".\"autogen\".\"labs\" as they land (Ctrl-C stops):"
node --import tsx scripts/demo-watch.ts &
pids+=($!)
wait -n "${pids[@]}" || true
