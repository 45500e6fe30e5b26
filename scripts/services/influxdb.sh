#!/usr/bin/env bash
# Build, run and set up a local InfluxDB 2.8 server (influxd) for Tower.
#
# Usage: scripts/services/influxdb.sh install|start|stop|status
#
#   install  build influxd from the Go module proxy (flux's Rust library
#            libflux is built with the machine's cargo; influxdb-build.sh)
#            and cache the binary in $TOWER_CACHE_DIR/influxdb/<version>/influxd;
#            no-op when cached.
#   start    run influxd on 127.0.0.1:$TOWER_INFLUX_PORT with its data under
#            $TOWER_STATE_DIR/influxdb, set it up like the lab (org GIST,
#            bucket Labs; DBRP Labs/autogen, v1 user tower, and Labs_1m with
#            its downsampling task and DBRP Labs/1m by running
#            `tower-sink setup`, built into dist/ first when stale) and write
#            $TOWER_STATE_DIR/influxdb.env.
#   stop     stop the server started by `start`.
#   status   print running/stopped; exit 0 when running, 1 otherwise.
#
# Environment:
#   TOWER_CACHE_DIR    binary cache    (default: $HOME/.cache/tower)
#   TOWER_STATE_DIR    data, logs, pid (default: $PWD/.tower)
#   TOWER_INFLUX_PORT  HTTP port       (default: 8086)
#
# Secrets (admin password, admin token, v1 password) are generated on the
# first start, kept in $TOWER_STATE_DIR/influxdb/secrets.env (mode 600) and
# never printed.
set -euo pipefail
shopt -s inherit_errexit

readonly SERVICE_NAME="influxdb"
readonly SERVICE_PROCESS="influxd"
readonly SERVICE_USAGE="install|start|stop|status"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly INFLUX_VERSION="2.8.0"

readonly ORG="GIST"
readonly BUCKET="Labs"
readonly DB="Labs"
readonly RP="autogen"
readonly ADMIN_USER="admin"
readonly V1_USER="tower"

readonly CACHE_DIR="${TOWER_CACHE_DIR:-$HOME/.cache/tower}"
# Absolute: launch() changes into the data directory before it opens the log.
STATE_DIR="$(realpath -m "${TOWER_STATE_DIR:-$PWD/.tower}")"
readonly STATE_DIR
readonly PORT="${TOWER_INFLUX_PORT:-8086}"

readonly INFLUX_CACHE="$CACHE_DIR/influxdb"
readonly INFLUXD="$INFLUX_CACHE/$INFLUX_VERSION/influxd"
readonly BUILD_LOG="$INFLUX_CACHE/build-$INFLUX_VERSION.log"

readonly DATA_DIR="$STATE_DIR/influxdb"
readonly SECRETS_FILE="$DATA_DIR/secrets.env"
readonly ENV_FILE="$STATE_DIR/influxdb.env"
readonly LOG_FILE="$STATE_DIR/logs/influxdb.log"
readonly PID_FILE="$STATE_DIR/run/influxdb.pid"
readonly URL="http://127.0.0.1:$PORT"

readonly HEALTH_PATH="/health"
readonly HEALTH_POLL_S=0.5

# Set by load_secrets / ensure_secrets.
ADMIN_PASSWORD=""
ADMIN_TOKEN=""
V1_PASSWORD=""
# Set by ensure_org_and_bucket.
ORG_ID=""
BUCKET_ID=""

# ---------------------------------------------------------------- helpers --

# 32 random bytes as hex: safe in URLs, JSON, curl configs and shell files.
random_hex() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

need_runtime_tools() {
  apt_need curl curl
  apt_need jq jq
}

# ---------------------------------------------------------------- install --

# shellcheck source-path=SCRIPTDIR source=influxdb-build.sh
source "$(dirname "${BASH_SOURCE[0]}")/influxdb-build.sh"

binary_ok() {
  [[ -x $INFLUXD ]] && "$INFLUXD" version >/dev/null 2>&1
}

cmd_install() {
  if binary_ok; then
    log "cached: $INFLUXD"
    return 0
  fi
  need_build_tools
  install_locked "$INFLUX_CACHE" "$INFLUXD" build_influxd version
}

# ------------------------------------------------------------ process mgmt --

healthy() {
  curl -fsS --noproxy '*' --max-time 3 "$URL$HEALTH_PATH" 2>/dev/null |
    jq -e '.status == "pass"' >/dev/null 2>&1
}

launch() {
  mkdir -p "$DATA_DIR/engine" "${LOG_FILE%/*}" "${PID_FILE%/*}"
  # INFLUXD_CONFIG_PATH: read no config file from the current directory.
  (cd "$DATA_DIR" && close_inherited_fds &&
    INFLUXD_CONFIG_PATH="$DATA_DIR" exec setsid "$INFLUXD" \
      --http-bind-address "127.0.0.1:$PORT" \
      --bolt-path "$DATA_DIR/influxd.bolt" \
      --sqlite-path "$DATA_DIR/influxd.sqlite" \
      --engine-path "$DATA_DIR/engine" \
      --reporting-disabled \
      --ui-disabled \
      --log-level info \
      </dev/null >>"$LOG_FILE" 2>&1) &
  printf '%s\n' "$!" >"$PID_FILE"
}

# ------------------------------------------------------------------ http --

# api METHOD PATH [JSON_BODY]: call the v2 API with the admin token; prints
# the response body, fails on HTTP errors. The token goes through a curl
# config on a pipe, never on a command line.
api() {
  local method=$1 path=$2 body=${3-}
  local args=(-sS --noproxy '*' --max-time 30 -X "$method" -w '\n%{http_code}'
    -H 'Accept: application/json')
  if [[ -n $body ]]; then
    args+=(-H 'Content-Type: application/json' --data-binary @-)
  fi
  http_call "$method $path" "${args[@]}" \
    -K <(printf 'header = "Authorization: Token %s"\n' "$ADMIN_TOKEN") \
    "$URL$path" <<<"$body"
}

# http_call LABEL CURL_ARGS...: run curl (its -w must print the status code
# last); print the body, fail with a message on a non-2xx status.
http_call() {
  local label=$1 out code
  shift
  out=$(curl "$@") || die "$label: cannot reach $URL"
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  if [[ $code != 2* ]]; then
    printf '[influxdb] error: %s -> HTTP %s: %s\n' "$label" "$code" "$(jq -r '.message? // .error? // .' <<<"$out" 2>/dev/null || printf '%s' "$out")" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

# v1 METHOD PATH CURL_ARGS...: call the v1 API as user tower (basic auth).
v1() {
  local method=$1 path=$2
  shift 2
  http_call "v1 $method ${path%%\?*}" -sS --noproxy '*' --max-time 30 -X "$method" \
    -w '\n%{http_code}' \
    -K <(printf 'user = "%s:%s"\n' "$V1_USER" "$V1_PASSWORD") \
    "$@" "$URL$path"
}

# ------------------------------------------------------------------ setup --

secret_get() {
  [[ -f $SECRETS_FILE ]] || return 0
  sed -n "s/^$1='\\([^']*\\)'\$/\\1/p" "$SECRETS_FILE" | tail -n 1
}

load_secrets() {
  ADMIN_PASSWORD=$(secret_get INFLUX_ADMIN_PASSWORD)
  ADMIN_TOKEN=$(secret_get INFLUX_ADMIN_TOKEN)
  V1_PASSWORD=$(secret_get INFLUX_V1_PASSWORD)
}

save_secrets() {
  local tmp="$SECRETS_FILE.tmp"
  (
    umask 077
    {
      echo "# InfluxDB secrets for Tower (generated by ${0##*/}); do not commit."
      echo "INFLUX_ADMIN_USER=$(shell_quote "$ADMIN_USER")"
      echo "INFLUX_ADMIN_PASSWORD=$(shell_quote "$ADMIN_PASSWORD")"
      echo "INFLUX_ADMIN_TOKEN=$(shell_quote "$ADMIN_TOKEN")"
      echo "INFLUX_V1_USER=$(shell_quote "$V1_USER")"
      echo "INFLUX_V1_PASSWORD=$(shell_quote "$V1_PASSWORD")"
    } >"$tmp"
  )
  chmod 600 "$tmp"
  mv -f "$tmp" "$SECRETS_FILE"
}

# Generate whatever secret is missing, and save before the server sees it.
ensure_secrets() {
  local changed=0
  [[ -n $ADMIN_PASSWORD ]] || { ADMIN_PASSWORD=$(random_hex) && changed=1; }
  [[ -n $ADMIN_TOKEN ]] || { ADMIN_TOKEN=$(random_hex) && changed=1; }
  [[ -n $V1_PASSWORD ]] || { V1_PASSWORD=$(random_hex) && changed=1; }
  if [[ $changed -eq 1 || ! -f $SECRETS_FILE ]]; then
    save_secrets
  fi
  chmod 600 "$SECRETS_FILE"
}

server_is_fresh() {
  local allowed
  allowed=$(curl -fsS --noproxy '*' --max-time 10 "$URL/api/v2/setup" | jq -r .allowed) ||
    die "GET $URL/api/v2/setup failed"
  [[ $allowed == true ]]
}

onboard() {
  log "onboarding: user $ADMIN_USER, org $ORG, bucket $BUCKET"
  ADMIN_PASSWORD=$ADMIN_PASSWORD ADMIN_TOKEN=$ADMIN_TOKEN jq -n \
    --arg user "$ADMIN_USER" --arg org "$ORG" --arg bucket "$BUCKET" \
    '{username: $user, password: env.ADMIN_PASSWORD, org: $org, bucket: $bucket,
      token: env.ADMIN_TOKEN}' |
    curl -fsS --noproxy '*' --max-time 30 -X POST -H 'Content-Type: application/json' \
      --data-binary @- "$URL/api/v2/setup" >/dev/null ||
    die "POST /api/v2/setup failed"
}

check_token() {
  api GET /api/v2/me >/dev/null 2>&1 ||
    die "the admin token in $SECRETS_FILE is not accepted by the server whose data is in $DATA_DIR (data and secrets out of sync); restore that file, or remove $DATA_DIR to start afresh (deletes its data)"
}

ensure_org_and_bucket() {
  ORG_ID=$(api GET "/api/v2/orgs?org=$ORG" | jq -r '.orgs[0].id // empty') ||
    die "cannot look up org $ORG"
  [[ -n $ORG_ID ]] || die "org $ORG not found"
  BUCKET_ID=$(api GET "/api/v2/buckets?orgID=$ORG_ID&name=$BUCKET" |
    jq -r '.buckets[0].id // empty') || die "cannot look up bucket $BUCKET"
  if [[ -z $BUCKET_ID ]]; then
    log "creating bucket $BUCKET"
    BUCKET_ID=$(api POST /api/v2/buckets "$(jq -nc --arg o "$ORG_ID" --arg n "$BUCKET" \
      '{orgID: $o, name: $n, retentionRules: []}')" | jq -r .id) ||
      die "cannot create bucket $BUCKET"
  fi
}

# The lab's DBRP mapping DB/RP -> BUCKET and the v1 user V1_USER (read and
# write on BUCKET) with V1_PASSWORD: what `tower-sink setup` makes, so the
# built program does it (one line per step). The token and the password go
# through its environment, never its command line; TOWER_* settings of the
# caller's shell do not reach it. --no-alerts: this development server holds
# thousands of simulated hosts (npm run fleet, the tests), and the lab's
# deadman check would write a status for each of them every 10 s; the
# alerting test provisions checks of its own (test/e2e/alerting.test.ts).
sink_setup() {
  local main="dist/consumer/main.js" line
  if ! (
    while IFS= read -r line; do unset "$line"; done < <(compgen -e | grep '^TOWER_' || true)
    export TOWER_INFLUX_TOKEN="$ADMIN_TOKEN" TOWER_V1_PASSWORD="$V1_PASSWORD"
    exec node "$TOWER_ROOT/$main" setup --influx-url "$URL" --influx-org "$ORG" --influx-bucket "$BUCKET" \
      --v1-db "$DB" --v1-rp "$RP" --v1-user "$V1_USER" --no-alerts
  ) | while IFS= read -r line; do log "tower-sink setup: $line"; done; then
    die "tower-sink setup failed (its message is above)"
  fi
}

selftest() {
  local stamp got
  stamp=$(date +%s)
  v1 POST "/write?db=$DB&rp=$RP&precision=s" \
    --data-binary "tower_selftest,source=influxdb.sh ok=1i,stamp=${stamp}i $stamp" >/dev/null ||
    die "self-test: v1 write as $V1_USER failed"
  got=$(v1 GET "/query?db=$DB" --get \
    --data-urlencode "q=SELECT last(\"stamp\") FROM \"$DB\".\"$RP\".\"tower_selftest\"" |
    jq -r '.results[0].series[0].values[0][1] // empty') ||
    die "self-test: v1 query as $V1_USER failed"
  [[ $got == "$stamp" ]] ||
    die "self-test: wrote stamp=$stamp to tower_selftest but read back '${got:-nothing}'"
  log "self-test: v1 write + query as $V1_USER on $DB/$RP ok"
}

write_env_file() {
  local tmp="$ENV_FILE.tmp"
  (
    umask 077
    {
      echo "# Written by scripts/services/influxdb.sh; contains secrets."
      echo "TOWER_INFLUX_URL=$(shell_quote "$URL")"
      echo "TOWER_INFLUX_ORG=$(shell_quote "$ORG")"
      echo "TOWER_INFLUX_BUCKET=$(shell_quote "$BUCKET")"
      echo "TOWER_INFLUX_TOKEN=$(shell_quote "$ADMIN_TOKEN")"
      echo "TOWER_V1_USER=$(shell_quote "$V1_USER")"
      echo "TOWER_V1_PASSWORD=$(shell_quote "$V1_PASSWORD")"
    } >"$tmp"
  )
  chmod 600 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
  log "wrote $ENV_FILE"
}

setup_server() {
  load_secrets
  if server_is_fresh; then
    [[ -z $ADMIN_TOKEN ]] || log "fresh server: reusing the secrets kept in $SECRETS_FILE"
    ensure_secrets
    onboard
  else
    [[ -n $ADMIN_TOKEN ]] ||
      die "the server whose data is in $DATA_DIR is set up already, but $SECRETS_FILE (its admin token) is missing; restore that file, or remove $DATA_DIR to start afresh (deletes its data)"
    ensure_secrets
  fi
  check_token
  ensure_org_and_bucket
  sink_setup
}

# ---------------------------------------------------------------- commands --

cmd_start() {
  local start pid
  start=$(date +%s)
  need_runtime_tools
  # tower-sink setup runs once the server is up; build it before.
  ensure_built dist/consumer/main.js
  if ! binary_ok; then
    cmd_install
  fi
  mkdir -p "$DATA_DIR"
  chmod 700 "$DATA_DIR"
  if pid=$(our_pid) && healthy; then
    log "already running (pid $pid) at $URL"
    setup_server
    write_env_file
    return 0
  fi
  stop_unanswering
  if port_in_use; then
    die "port $PORT on 127.0.0.1 is already taken by another process (see: ss -ltnp 'sport = :$PORT'); stop it or set TOWER_INFLUX_PORT"
  fi
  log "starting influxd $INFLUX_VERSION on $URL (data: $DATA_DIR, log: $LOG_FILE)"
  launch_and_wait
  setup_server
  selftest
  write_env_file
  start_done "$start"
}

# status_running PID: the status line of our running influxd.
status_running() {
  local pid=$1
  if healthy; then
    echo "running (pid $pid, $URL)"
    return 0
  fi
  echo "running (pid $pid) but $URL$HEALTH_PATH does not answer"
  return 1
}

main() {
  [[ $# -eq 1 ]] || usage
  dispatch "$1"
}

main "$@"
