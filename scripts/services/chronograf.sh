#!/usr/bin/env bash
# Build and run a local Chronograf 1.10, web UI included, for the demo and
# Tower's tests.
#
# Usage: scripts/services/chronograf.sh install
#        scripts/services/chronograf.sh start [--port N] [--influxdb-url URL] [--resources-path DIR]
#        scripts/services/chronograf.sh stop|status
#
#   install  build chronograf from the Go module proxy, its web UI from the
#            UI source in that module (chronograf-ui.sh: Node 16 and yarn 1
#            from the npm registry, ~12 min on 2 cores), and cache the binary
#            in $TOWER_CACHE_DIR/chronograf/<version>+ui/chronograf; no-op
#            when cached.
#   start    run it on 127.0.0.1:PORT with its bolt database under
#            $TOWER_STATE_DIR/chronograf and --resources-path DIR, the way
#            deploy/nuc/compose.yaml runs the chronograf image: TOWER_INFLUX_URL
#            and TOWER_V1_PASSWORD in its environment, which the .src file in
#            DIR is templated with. Writes $TOWER_STATE_DIR/chronograf.env.
#   stop     stop the server started by `start`.
#   status   print running/stopped; exit 0 when running, 1 otherwise.
#
# Options of start (and their environment fallbacks):
#   --port            TOWER_CHRONOGRAF_PORT  (default: 8888)
#   --influxdb-url    TOWER_INFLUX_URL       (default: http://127.0.0.1:8086)
#   --resources-path  TOWER_CHRONOGRAF_RESOURCES (default: deploy/nuc/chronograf)
#
# Environment:
#   TOWER_CACHE_DIR    binary cache    (default: $HOME/.cache/tower)
#   TOWER_STATE_DIR    data, logs, pid (default: $PWD/.tower)
#   TOWER_V1_PASSWORD  the v1 user's password; when unset, read from
#                      $TOWER_STATE_DIR/influxdb.env (written by influxdb.sh).
#                      Never put on a command line, never printed.
set -euo pipefail
shopt -s inherit_errexit

readonly SERVICE_NAME="chronograf"
readonly SERVICE_PROCESS="chronograf"
readonly SERVICE_USAGE="install | start [--port N] [--influxdb-url URL] [--resources-path DIR] | stop | status"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly CHRONOGRAF_VERSION="1.10.2"
readonly CHRONOGRAF_MODULE="github.com/influxdata/chronograf"

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="$(realpath -m "${TOWER_STATE_DIR:-$PWD/.tower}")"
readonly REPO_DIR STATE_DIR
readonly CACHE_DIR="${TOWER_CACHE_DIR:-$HOME/.cache/tower}"

readonly CHRONO_CACHE="$CACHE_DIR/chronograf"
# "+ui": binaries of earlier Tower versions under <version>/ embed no UI.
readonly CHRONOGRAF="$CHRONO_CACHE/$CHRONOGRAF_VERSION+ui/chronograf"
readonly BUILD_LOG="$CHRONO_CACHE/build-$CHRONOGRAF_VERSION.log"
# shellcheck source-path=SCRIPTDIR source=chronograf-ui.sh
source "$(dirname "${BASH_SOURCE[0]}")/chronograf-ui.sh"

readonly DATA_DIR="$STATE_DIR/chronograf"
readonly ENV_FILE="$STATE_DIR/chronograf.env"
readonly LOG_FILE="$STATE_DIR/logs/chronograf.log"
readonly PID_FILE="$STATE_DIR/run/chronograf.pid"

readonly HEALTH_PATH="/ping"
readonly HEALTH_POLL_S=0.25

# Set by parse_start_args.
PORT=""
INFLUX_URL=""
RESOURCES=""
URL=""

# ---------------------------------------------------------------- install --

# The binary is moved into the cache only after it ran once, and running it
# costs seconds (its package init compiles Flux's standard library).
binary_ok() {
  [[ -x $CHRONOGRAF ]]
}

build_chronograf() {
  local work=$1 info mod_dir git_sha ldflags start
  log "building chronograf $CHRONOGRAF_VERSION ($(go version | cut -d' ' -f3)); build log: $BUILD_LOG"
  log "downloading $CHRONOGRAF_MODULE@v$CHRONOGRAF_VERSION from the Go module proxy"
  # `go install module@version` cannot be used: it asks the proxy for the
  # module's version list (to check deprecation), which the proxy refuses,
  # and the module lacks ui/build anyway. So: build a writable copy.
  info=$(cd / && GOWORK=off go mod download -json "$CHRONOGRAF_MODULE@v$CHRONOGRAF_VERSION" 2>>"$BUILD_LOG") ||
    build_failed "go mod download $CHRONOGRAF_MODULE@v$CHRONOGRAF_VERSION"
  mod_dir=$(jq -r .Dir <<<"$info")
  git_sha=$(jq -r '.Origin.Hash // "v'"$CHRONOGRAF_VERSION"'"' <<<"$info")
  [[ -d $mod_dir ]] || die "go mod download gave no module directory: $info"
  mkdir -p "$work/src"
  cp -R "$mod_dir/." "$work/src/"
  chmod -R u+w "$work/src"
  build_chronograf_ui "$work/src" "$git_sha"
  log "go build ./cmd/chronograf (about 2 min)"
  start=$(date +%s)
  ldflags="-s -w -X main.version=$CHRONOGRAF_VERSION -X main.commit=v$CHRONOGRAF_VERSION"
  (cd "$work/src" &&
    GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$work/bin/chronograf" ./cmd/chronograf) \
    >>"$BUILD_LOG" 2>&1 || build_failed "go build of chronograf"
  "$work/bin/chronograf" --version >/dev/null 2>&1 || die "the freshly built chronograf does not run"
  log "go build took $(elapsed "$start")"
}

cmd_install() {
  if binary_ok; then
    log "cached: $CHRONOGRAF"
    return 0
  fi
  apt_need jq jq
  apt_need flock util-linux
  command -v go >/dev/null 2>&1 ||
    die "'go' not found: install Go >= 1.20 (https://go.dev/doc/install) and retry"
  install_locked "$CHRONO_CACHE" "$CHRONOGRAF" build_chronograf --version
}

# ------------------------------------------------------------ process mgmt --

healthy() {
  curl -fsS --noproxy '*' --max-time 3 -o /dev/null "$URL$HEALTH_PATH" 2>/dev/null
}

# The v1 password from the environment, else from influxdb.sh's env file.
v1_password() {
  if [[ -n ${TOWER_V1_PASSWORD:-} ]]; then
    printf '%s' "$TOWER_V1_PASSWORD"
    return 0
  fi
  local file="$STATE_DIR/influxdb.env" value=""
  [[ -f $file ]] && value=$(sed -n "s/^TOWER_V1_PASSWORD='\\([^']*\\)'\$/\\1/p" "$file" | tail -n 1)
  [[ -n $value ]] ||
    die "TOWER_V1_PASSWORD is not set and $file has none; run npm run services:up, or export it"
  printf '%s' "$value"
}

# A clean environment: only what the compose file gives the chronograf
# container, so no HOST/PORT/… of the caller's shell reaches its flag parser.
launch() {
  local password
  password=$(v1_password)
  mkdir -p "$DATA_DIR/canned" "$DATA_DIR/protoboards" "${LOG_FILE%/*}" "${PID_FILE%/*}"
  (cd "$DATA_DIR" && close_inherited_fds &&
    exec env -i PATH="$PATH" TOWER_INFLUX_URL="$INFLUX_URL" TOWER_V1_PASSWORD="$password" \
      setsid "$CHRONOGRAF" \
      --host 127.0.0.1 \
      --port "$PORT" \
      --bolt-path "$DATA_DIR/chronograf-v1.db" \
      --canned-path "$DATA_DIR/canned" \
      --protoboards-path "$DATA_DIR/protoboards" \
      --resources-path "$RESOURCES" \
      --reporting-disabled \
      --log-level info \
      </dev/null >>"$LOG_FILE" 2>&1) &
  printf '%s\n' "$!" >"$PID_FILE"
}

write_env_file() {
  local tmp="$ENV_FILE.tmp"
  printf 'TOWER_CHRONOGRAF_URL=%s\n' "$(shell_quote "$URL")" >"$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

parse_start_args() {
  PORT=${TOWER_CHRONOGRAF_PORT:-8888}
  INFLUX_URL=${TOWER_INFLUX_URL:-http://127.0.0.1:8086}
  RESOURCES=${TOWER_CHRONOGRAF_RESOURCES:-$REPO_DIR/deploy/nuc/chronograf}
  while [[ $# -gt 0 ]]; do
    [[ $# -ge 2 ]] || usage
    case $1 in
      --port) PORT=$2 ;;
      --influxdb-url) INFLUX_URL=$2 ;;
      --resources-path) RESOURCES=$2 ;;
      *) usage ;;
    esac
    shift 2
  done
  if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
    die "--port must be 1-65535, got '$PORT'"
  fi
  [[ -d $RESOURCES ]] || die "--resources-path $RESOURCES is not a directory"
  RESOURCES=$(realpath "$RESOURCES")
  URL="http://127.0.0.1:$PORT"
}

# ---------------------------------------------------------------- commands --

cmd_start() {
  local start pid
  start=$(date +%s)
  parse_start_args "$@"
  apt_need curl curl
  binary_ok || cmd_install
  if pid=$(our_pid) && healthy; then
    log "already running (pid $pid) at $URL"
    write_env_file
    return 0
  fi
  stop_unanswering
  if port_in_use; then
    die "port $PORT on 127.0.0.1 is already taken by another process (see: ss -ltnp 'sport = :$PORT'); stop it or pass --port"
  fi
  log "starting chronograf $CHRONOGRAF_VERSION on $URL (InfluxDB: $INFLUX_URL, resources: $RESOURCES, log: $LOG_FILE)"
  launch_and_wait
  write_env_file
  start_done "$start"
}

# status_running PID: the status line of our running chronograf.
status_running() {
  echo "running (pid $1, $(sed -n "s/^TOWER_CHRONOGRAF_URL='\\(.*\\)'\$/\\1/p" "$ENV_FILE" 2>/dev/null))"
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd=$1
  shift
  [[ $cmd == start || $# -eq 0 ]] || usage
  dispatch "$cmd" "$@"
}

main "$@"
