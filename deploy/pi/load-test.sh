#!/usr/bin/env bash
# The lab's CPU load on the Pi, for watching CPU_Usage rise in Chronograf (or
# with `tower-sink verify`): a busy shell loop per worker,
#   docker run --rm busybox sh -c "while true; do :; done"
# when a Docker engine answers (`docker info` succeeds), else the same loop in
# this machine's sh. Stops by itself after SECONDS (default 60) and never
# outlives them: Ctrl-C, SIGTERM or any exit of this script stops every loop
# (trap), and each loop also carries its own deadline, so not even a SIGKILL of
# this script leaves one spinning for long.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: load-test.sh [SECONDS] [--workers N] [--engine auto|docker|sh]

Burns N cores (default 1) for SECONDS (default 60) with
`sh -c "while true; do :; done"`, in busybox containers when a Docker engine
answers, else as local processes; then stops every loop and exits.

  SECONDS        how long to load, whole seconds (default 60)
  --workers N    how many loops, one core each (default 1)
  --engine E     auto (default): docker if `docker info` succeeds, else sh
  -h, --help     this text
EOF
}

say() { echo "[load-test $(date +%T)] $*"; }
die() { echo "load-test: $*" >&2; exit 2; }

SECS=60 WORKERS=1 ENGINE=auto
while (($#)); do
  case "$1" in
    --workers) WORKERS="${2:-}"; shift 2 || die "--workers needs a number" ;;
    --workers=*) WORKERS="${1#*=}"; shift ;;
    --engine) ENGINE="${2:-}"; shift 2 || die "--engine needs auto, docker or sh" ;;
    --engine=*) ENGINE="${1#*=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) SECS="$1"; shift ;;
  esac
done
if ! [[ "$SECS" =~ ^[0-9]+$ ]] || ((SECS < 1)); then die "SECONDS must be a whole number >= 1, got '$SECS'"; fi
if ! [[ "$WORKERS" =~ ^[0-9]+$ ]] || ((WORKERS < 1 || WORKERS > 256)); then
  die "--workers must be a whole number from 1 to 256, got '$WORKERS'"
fi
LOOP='while true; do :; done'
# Each loop's own deadline, for when this script is killed before its trap runs.
GUARD=$((SECS + 2))

WHY="--engine $ENGINE"
if [[ "$ENGINE" == auto ]]; then
  if command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; then
    ENGINE="docker" WHY="a Docker engine answers"
  else
    ENGINE="sh" WHY="no Docker engine answers"
  fi
fi
case "$ENGINE" in docker | sh) ;; *) die "--engine must be auto, docker or sh, got '$ENGINE'" ;; esac

# Microseconds since the epoch; $SECONDS alone is whole seconds and would
# report a 2.1 s run as 3 s.
now_us() { local t="${EPOCHREALTIME:-$(date +%s.%N)}"; t="${t/[.,]/}"; echo "${t:0:16}"; }
PIDS=() NAMES=() SLEEPER=""
STOPPED=0 STARTED=$(now_us)
stop() {
  ((STOPPED)) && return 0
  STOPPED=1
  trap - INT TERM
  [[ -z "$SLEEPER" ]] || kill "$SLEEPER" 2>/dev/null || true
  if ((${#NAMES[@]} > 0)); then
    docker rm -f "${NAMES[@]}" >/dev/null 2>&1 || true
  fi
  if ((${#PIDS[@]} > 0)); then
    kill -TERM "${PIDS[@]}" 2>/dev/null || true
    wait "${PIDS[@]}" 2>/dev/null || true
  fi
  local tenths=$((($(now_us) - STARTED) / 100000))
  ((${#PIDS[@]} == 0)) || say "stopped ${#PIDS[@]} loop(s) after $((tenths / 10)).$((tenths % 10)) s"
}
trap stop EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

if [[ "$ENGINE" == docker ]]; then
  # busybox's timeout is the container's deadline; docker rm -f is the stop.
  say "$WHY: $WORKERS x docker run --rm --name tower-load-$$-N busybox timeout $GUARD sh -c \"$LOOP\" for $SECS s"
  for ((i = 1; i <= WORKERS; i++)); do
    NAMES+=("tower-load-$$-$i")
    docker run --rm --name "tower-load-$$-$i" busybox timeout "$GUARD" sh -c "$LOOP" >/dev/null 2>&1 &
    PIDS+=("$!")
  done
else
  say "$WHY: $WORKERS x sh -c \"$LOOP\" for $SECS s"
  for ((i = 1; i <= WORKERS; i++)); do
    # timeout(1) passes our SIGTERM on to the loop, and kills it by itself
    # at the guard deadline should this script die without its trap.
    timeout -s KILL "$GUARD" sh -c "$LOOP" &
    PIDS+=("$!")
  done
fi
say "running until $(date -d "+$SECS seconds" +%T 2>/dev/null || echo "$SECS s from now") (Ctrl-C stops it sooner)"
# sleep in the background and wait: a trapped signal interrupts `wait` at once.
sleep "$SECS" &
SLEEPER=$!
wait "$SLEEPER" || true
stop
say "done"
