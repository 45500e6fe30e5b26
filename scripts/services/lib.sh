# shellcheck shell=bash
# Helpers shared by the service scripts next to this file (kafka.sh,
# influxdb.sh, chronograf.sh), which source it after `set -euo pipefail`.
#
# Set before sourcing:
#   SERVICE_NAME     prefix of every message: [SERVICE_NAME] ...
#   SERVICE_PROCESS  the server's /proc/PID/comm, named in messages
#   SERVICE_USAGE    the arguments line `usage` prints after the script name
#
# Set by the script (before or after sourcing), read when the functions run:
#   PID_FILE, LOG_FILE, BUILD_LOG, PORT, URL
#   HEALTH_PATH     the path `healthy` asks, named in messages
#   HEALTH_POLL_S   seconds between `healthy` checks while starting
#
# Defined by the script, called by the functions here:
#   binary_ok            is the cached binary usable?      (install_locked)
#   launch               start the server, write PID_FILE  (launch_and_wait)
#   healthy              does the server answer?           (wait_healthy)
#   status_running PID   print the status line, exit code (cmd_status)
#   cmd_install, cmd_start                                 (dispatch)

: "${SERVICE_NAME:?set SERVICE_NAME before sourcing lib.sh}"
: "${SERVICE_PROCESS:?set SERVICE_PROCESS before sourcing lib.sh}"
: "${SERVICE_USAGE:?set SERVICE_USAGE before sourcing lib.sh}"

readonly HEALTH_TIMEOUT_S=60
readonly STOP_TIMEOUT_S=15

APT_UPDATED=0
# A build directory to remove on exit (see cleanup_work).
WORK_DIR=""
# pid of a server this run started, until its start has succeeded.
LAUNCHED_PID=""

# ---------------------------------------------------------------- helpers --

log() { printf '[%s] %s\n' "$SERVICE_NAME" "$*"; }

die() {
  printf '[%s] error: %s\n' "$SERVICE_NAME" "$*" >&2
  exit 1
}

usage() {
  printf 'usage: %s %s\n' "${0##*/}" "$SERVICE_USAGE" >&2
  exit 2
}

elapsed() {
  local secs=$(($(date +%s) - $1))
  printf '%dm%02ds' $((secs / 60)) $((secs % 60))
}

# The repository this script belongs to.
TOWER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# ensure_built FILE...: run `npm run build` when one of the files (paths in
# dist/) is missing or a file under src/ (or tsconfig.json) is newer than
# it, so that a script can run the built programs (`npm run demo` and
# `services:up` do not build first).
ensure_built() {
  local file stale=""
  for file in "$@"; do
    if [[ ! -f "$TOWER_ROOT/$file" ]]; then
      stale="$file is missing"
    elif [[ -n "$(find "$TOWER_ROOT/src" "$TOWER_ROOT/tsconfig.json" -newer "$TOWER_ROOT/$file" -print -quit)" ]]; then
      stale="src/ is newer than $file"
    fi
    [[ -z $stale ]] || break
  done
  [[ -n $stale ]] || return 0
  [[ -d "$TOWER_ROOT/node_modules" ]] ||
    die "$stale and node_modules/ is missing: run npm ci in $TOWER_ROOT first"
  local build_log
  build_log="$(mktemp)"
  log "building the programs (npm run build): $stale"
  # One build at a time per clone; the lock lives with the dependencies.
  if ! (flock 7 && cd "$TOWER_ROOT" && npm run build) 7>"$TOWER_ROOT/node_modules/.tower-build.lock" >"$build_log" 2>&1; then
    tail -n 40 "$build_log" >&2
    rm -f "$build_log"
    die "npm run build failed in $TOWER_ROOT (output above); fix the build, then retry"
  fi
  rm -f "$build_log"
  for file in "$@"; do
    [[ -f "$TOWER_ROOT/$file" ]] || die "npm run build did not make $file"
  done
}

# Quote a value for a shell-sourceable file.
shell_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run: $* (no sudo found)"
  fi
}

# apt_need CMD PACKAGE...: install the Debian PACKAGEs when CMD is missing.
apt_need() {
  local cmd=$1
  shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 ||
    die "'$cmd' is missing and apt-get is not available: install $*"
  if [[ $APT_UPDATED -eq 0 ]]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
      die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "installing Debian package(s) $* (for $cmd)"
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null ||
    die "apt-get install $* failed"
  command -v "$cmd" >/dev/null 2>&1 || die "installed $* but '$cmd' is still missing"
}

# ---------------------------------------------------------------- install --

build_failed() {
  printf '[%s] error: %s failed; last lines of %s:\n' "$SERVICE_NAME" "$1" "$BUILD_LOG" >&2
  tail -n 40 "$BUILD_LOG" >&2 || true
  exit 1
}

cleanup_work() {
  [[ -z $WORK_DIR ]] || rm -rf "$WORK_DIR"
  WORK_DIR=""
}

# install_locked CACHE BINARY BUILDER VERSION_ARG: unless the script's own
# binary_ok holds once CACHE/.install.lock is ours, run `BUILDER WORK`
# (which leaves the binary in WORK/bin/) and move the result to BINARY;
# `BINARY VERSION_ARG` names the version installed.
install_locked() {
  local cache=$1 binary=$2 builder=$3 version_arg=$4 start
  mkdir -p "$cache"
  exec 9>"$cache/.install.lock"
  flock 9
  if binary_ok; then # another install finished while we waited
    log "cached: $binary"
    return 0
  fi
  start=$(date +%s)
  # Same file system as the cache, so the final mv is atomic.
  WORK_DIR=$(mktemp -d "$cache/.build.XXXXXX")
  trap cleanup_work EXIT
  : >"$BUILD_LOG"
  "$builder" "$WORK_DIR"
  mkdir -p "${binary%/*}"
  mv -f "$WORK_DIR/bin/${binary##*/}" "$binary"
  cleanup_work
  trap - EXIT
  log "installed $binary ($("$binary" "$version_arg"))"
  log "build took $(elapsed "$start")"
}

# ------------------------------------------------------------ process mgmt --

# Close every file descriptor above 2 of this (sub)shell, just before it
# execs a server: a server must not keep what its caller had open, such as
# the lock of `flock LOCKFILE services.sh up` (held for as long as the server
# then runs) or an install lock.
close_inherited_fds() {
  local fd
  for fd in $(ls "/proc/$BASHPID/fd"); do
    if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

# Prints the pid of our server if it is alive, else fails.
our_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$SERVICE_PROCESS" ]] || return 1
  printf '%s\n' "$pid"
}

# Alive and not a zombie.
alive() {
  kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# port_in_use [PORT]: is a TCP port (default $PORT) listened on, on any address?
port_in_use() {
  local port=${1:-$PORT}
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "( sport = :$port )" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# port_owner PORT: the process listening on PORT, as ss names it (empty if unknown).
port_owner() {
  ss -Hltnp "( sport = :$1 )" 2>/dev/null | grep -o 'users:(([^)]*))' | head -1 || true
}

show_log_tail() {
  printf '[%s] last lines of %s:\n' "$SERVICE_NAME" "$LOG_FILE" >&2
  tail -n 30 "$LOG_FILE" >&2 || true
}

wait_healthy() {
  local pid=$1 deadline=$(($(date +%s) + HEALTH_TIMEOUT_S))
  while ! healthy; do
    if ! alive "$pid"; then
      show_log_tail
      rm -f "$PID_FILE"
      die "$SERVICE_PROCESS (pid $pid) exited during startup"
    fi
    if (($(date +%s) >= deadline)); then
      show_log_tail
      stop_pid "$pid"
      die "$SERVICE_PROCESS did not answer $URL$HEALTH_PATH within ${HEALTH_TIMEOUT_S}s"
    fi
    sleep "$HEALTH_POLL_S"
  done
}

# wait_gone PID SECONDS: wait until PID is gone; fails on timeout.
wait_gone() {
  local pid=$1 i
  for ((i = 0; i < $2 * 4; i++)); do
    alive "$pid" || return 0
    sleep 0.25
  done
  ! alive "$pid"
}

stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" "$STOP_TIMEOUT_S"; then
    log "$SERVICE_PROCESS (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || die "$SERVICE_PROCESS (pid $pid) survived SIGKILL"
  fi
  rm -f "$PID_FILE"
}

# Before a launch: stop a server of ours that runs but does not answer, and
# forget its pid file.
stop_unanswering() {
  local pid
  if pid=$(our_pid); then
    log "$SERVICE_PROCESS (pid $pid) is running but $URL$HEALTH_PATH does not answer; restarting it"
    stop_pid "$pid"
  fi
  rm -f "$PID_FILE"
}

# Run the script's own `launch` and wait until it is `healthy`; from here
# until start_done, a failing start stops the server it launched.
launch_and_wait() {
  launch
  LAUNCHED_PID=$(<"$PID_FILE")
  trap stop_if_start_failed EXIT
  wait_healthy "$LAUNCHED_PID"
}

# start_done START_EPOCH: the launched server is set up; keep it running.
start_done() {
  local pid=$LAUNCHED_PID
  LAUNCHED_PID=""
  log "ready at $URL (pid $pid) after $(elapsed "$1")"
}

# EXIT trap of start: leave nothing running when start fails.
stop_if_start_failed() {
  [[ -n $LAUNCHED_PID ]] || return 0
  if alive "$LAUNCHED_PID"; then
    log "start failed: stopping $SERVICE_PROCESS (pid $LAUNCHED_PID)" >&2
    stop_pid "$LAUNCHED_PID"
  fi
}

# ---------------------------------------------------------------- commands --

cmd_status() {
  local pid
  if ! pid=$(our_pid); then
    echo "stopped"
    return 1
  fi
  status_running "$pid"
}

cmd_stop() {
  local pid
  if ! pid=$(our_pid); then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  log "stopping $SERVICE_PROCESS (pid $pid)"
  stop_pid "$pid"
  log "stopped"
}

# dispatch COMMAND [ARGS...]: run cmd_COMMAND with ARGS, or print the usage.
dispatch() {
  case $1 in
    install | start | stop | status) "cmd_$1" "${@:2}" ;;
    *) usage ;;
  esac
}
