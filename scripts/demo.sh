#!/usr/bin/env bash
# The main job on one machine: services up, tower-sink and tower-agent running,
# Chronograf serving the lab's Tower dashboard, rows printed as they land in
# InfluxDB. Ctrl-C stops everything.
#
# Environment: TOWER_CHRONOGRAF_PORT (default 8888). A first run builds
# Chronograf with its web UI (about 12 min on 2 cores; cached afterwards).
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
  bash scripts/services/chronograf.sh stop || true
  bash scripts/services.sh down
}
trap cleanup INT TERM EXIT

# The lab's checks, for this host only (the development InfluxDB holds the
# tests' hosts too): the dashboard's alerts table shows their levels.
node dist/consumer/main.js setup --alert-prefix demo --alert-hosts "^$(hostname)\$" | sed 's/^/[demo] setup: /' | grep -E 'check|notifications'
bash scripts/services/chronograf.sh start
. .tower/chronograf.env
source_id=$(jq -r .id deploy/nuc/chronograf/tower.src)
dashboard_id=$(jq -r .id deploy/nuc/chronograf/tower.dashboard)
dashboard_url="$TOWER_CHRONOGRAF_URL/sources/$source_id/dashboards/$dashboard_id?refresh=5s&lower=now%28%29%20-%205m&tempVars%5Bhost%5D=$(hostname)"

node dist/consumer/main.js run >"$logs/tower-sink.log" 2>&1 &
pids+=($!)
node dist/agent/main.js run >"$logs/tower-agent.log" 2>&1 &
pids+=($!)
echo "[demo] tower-sink and tower-agent running; logs in $logs/tower-{sink,agent}.log"
echo "[demo] the Tower dashboard (Chronograf): $dashboard_url"
echo "[demo] load test, to watch CPU_Usage rise there: bash deploy/pi/load-test.sh --workers 2 60"
echo "[demo] rows of SELECT \"memory\", \"CPU_Usage\" FROM \"Labs\".\"autogen\".\"labs\" as they land (Ctrl-C stops):"
node --import tsx scripts/demo-watch.ts &
pids+=($!)
wait -n "${pids[@]}" || true
