#!/usr/bin/env bash
# Build a Telegraf with only the plugins Tower's benchmarks compare against,
# from the Go module proxy, and print its path.
#
# Usage: scripts/build-telegraf.sh [VERSION]     (default: 1.37.2)
#
# The binary goes to $TOWER_CACHE_DIR/telegraf/VERSION/telegraf (default
# cache: $HOME/.cache/tower); a second run only prints that path. Plugins,
# chosen with Telegraf's `custom` build tag:
#   inputs.cpu, inputs.mem, outputs.kafka      the agent's work (bench:agent)
#   inputs.kafka_consumer, outputs.influxdb_v2 the sink's work (bench:sink)
#   parsers.influx, serializers.influx         line protocol on the topic
# About 1 min on 2 cores with a warm module cache; the benchmarks take the
# path with --vs-telegraf PATH and never build or download it themselves.
set -euo pipefail

version=${1:-1.37.2}
module=github.com/influxdata/telegraf
cache=${TOWER_CACHE_DIR:-$HOME/.cache/tower}/telegraf/$version
binary=$cache/telegraf
tags=custom,inputs.cpu,inputs.mem,outputs.kafka,inputs.kafka_consumer,outputs.influxdb_v2,parsers.influx,serializers.influx

log() { printf '[telegraf] %s\n' "$*" >&2; }

if [[ -x $binary ]]; then
  log "cached: $binary"
  echo "$binary"
  exit 0
fi
command -v go >/dev/null 2>&1 || {
  log "error: 'go' not found: install Go >= 1.25 (https://go.dev/doc/install) and retry"
  exit 1
}
log "downloading $module@v$version from the Go module proxy"
dir=$(cd / && GOWORK=off go mod download -json "$module@v$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[[ -d $dir ]] || {
  log "error: go mod download $module@v$version gave no module directory"
  exit 1
}
mkdir -p "$cache"
log "go build -tags $tags ./cmd/telegraf"
# Built from the read-only module directory; only the output is written.
(cd "$dir" && GOWORK=off GOFLAGS=-buildvcs=false go build -tags "$tags" \
  -ldflags "-s -w -X $module/internal.Version=$version" -o "$binary.tmp" ./cmd/telegraf)
mv -f "$binary.tmp" "$binary"
log "built $("$binary" --version): $("$binary" plugins | tr '\n' ' ')"
echo "$binary"
