#!/usr/bin/env bash
# Build, run and set up a local InfluxDB 2.8 server (influxd) for Tower.
#
# Usage: scripts/services/influxdb.sh install|start|stop|status
#
#   install  build influxd from the Go module proxy (flux's Rust library
#            libflux is built with the machine's cargo) and cache the binary
#            in $TOWER_CACHE_DIR/influxdb/<version>/influxd; no-op when cached.
#   start    run influxd on 127.0.0.1:$TOWER_INFLUX_PORT with its data under
#            $TOWER_STATE_DIR/influxdb, set it up like the lab (org GIST,
#            bucket Labs, DBRP Labs/autogen, v1 user tower) and write
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

readonly INFLUX_VERSION="2.8.0"
readonly INFLUX_MODULE="github.com/influxdata/influxdb/v2"
readonly FLUX_MODULE="github.com/influxdata/flux"
readonly GO_TAGS="sqlite_foreign_keys,sqlite_json,noasm"

readonly ORG="GIST"
readonly BUCKET="Labs"
readonly DB="Labs"
readonly RP="autogen"
readonly ADMIN_USER="admin"
readonly V1_USER="tower"

readonly CACHE_DIR="${TOWER_CACHE_DIR:-$HOME/.cache/tower}"
readonly STATE_DIR="${TOWER_STATE_DIR:-$PWD/.tower}"
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

readonly HEALTH_TIMEOUT_S=60
readonly STOP_TIMEOUT_S=15

APT_UPDATED=0
WORK_DIR=""
# Set by load_secrets / ensure_secrets.
ADMIN_PASSWORD=""
ADMIN_TOKEN=""
V1_PASSWORD=""
# pid of an influxd this run started, until its setup has succeeded.
LAUNCHED_PID=""
# Set by ensure_org_and_bucket.
ORG_ID=""
BUCKET_ID=""

# ---------------------------------------------------------------- helpers --

log() { printf '[influxdb] %s\n' "$*"; }

die() {
  printf '[influxdb] error: %s\n' "$*" >&2
  exit 1
}

usage() {
  printf 'usage: %s install|start|stop|status\n' "${0##*/}" >&2
  exit 2
}

elapsed() {
  local secs=$(($(date +%s) - $1))
  printf '%dm%02ds' $((secs / 60)) $((secs % 60))
}

# 32 random bytes as hex: safe in URLs, JSON, curl configs and shell files.
random_hex() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

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

need_runtime_tools() {
  apt_need curl curl
  apt_need jq jq
}

need_build_tools() {
  need_runtime_tools
  apt_need pkg-config pkg-config
  apt_need cc gcc libc6-dev
  apt_need flock util-linux
  command -v go >/dev/null 2>&1 ||
    die "'go' not found: install Go >= 1.24 (https://go.dev/doc/install) and retry"
  command -v cargo >/dev/null 2>&1 ||
    die "'cargo' not found: install Rust via rustup (stable toolchain) and retry"
}

# ---------------------------------------------------------------- install --

binary_ok() {
  [[ -x $INFLUXD ]] && "$INFLUXD" version >/dev/null 2>&1
}

# go_mod_json DIR ARGS...: `go mod download -json ARGS` run in DIR.
go_mod_json() {
  local dir=$1
  shift
  (cd "$dir" && GOWORK=off go mod download -json "$@")
}

# Copy a (read-only) module-cache directory to a writable place.
copy_writable() {
  mkdir -p "$2"
  cp -R "$1/." "$2/"
  chmod -R u+w "$2"
}

# Build flux's Rust library once per flux version and expose it through a
# flux.pc file; prints the pkgconfig directory.
build_libflux() {
  local src_dir=$1 work=$2 info version mod_dir prefix
  info=$(go_mod_json "$src_dir" "$FLUX_MODULE") ||
    die "go mod download $FLUX_MODULE failed"
  version=$(jq -r .Version <<<"$info")
  mod_dir=$(jq -r .Dir <<<"$info")
  prefix="$INFLUX_CACHE/libflux-$version"
  if [[ -f $prefix/lib/libflux.a && -f $prefix/lib/pkgconfig/flux.pc ]]; then
    log "libflux $version: cached in $prefix" >&2
    printf '%s\n' "$prefix/lib/pkgconfig"
    return 0
  fi
  log "libflux $version: cargo build --release (stable Rust: $(rustc --version 2>/dev/null || echo '?'))" >&2
  # Only libflux/ and the stdlib it compiles in; flux's rust-toolchain file
  # (an old pinned toolchain that cannot be downloaded here) stays behind,
  # so cargo runs with the machine's default toolchain.
  copy_writable "$mod_dir/libflux" "$work/flux/libflux"
  copy_writable "$mod_dir/stdlib" "$work/flux/stdlib"
  # --cap-lints warn: flux denies all warnings, and newer rustc warns more.
  (cd "$work/flux/libflux" &&
    RUSTFLAGS="${RUSTFLAGS:-} --cap-lints warn" \
      cargo build --release --locked -p flux) >>"$BUILD_LOG" 2>&1 ||
    build_failed "cargo build of libflux $version"
  install_libflux "$work/flux/libflux" "$work/libflux"
  write_flux_pc "$work/libflux/lib/pkgconfig/flux.pc" "$prefix" "${version#v}"
  rm -rf "$prefix"
  mv "$work/libflux" "$prefix"
  printf '%s\n' "$prefix/lib/pkgconfig"
}

# Lay out the static library and header only (no .so: the linker must not
# pick the shared library).
install_libflux() {
  local libflux=$1 dest=$2
  mkdir -p "$dest/lib/pkgconfig" "$dest/include"
  cp "$libflux/target/release/libflux.a" "$dest/lib/"
  cp -R "$libflux/include/." "$dest/include/"
}

# write_flux_pc FILE PREFIX VERSION
write_flux_pc() {
  local file=$1 prefix=$2 version=$3
  cat >"$file" <<EOF
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: Flux
Version: $version
Description: Library for the InfluxData Flux engine
Libs: -L\${libdir} -lflux -ldl -lm -lpthread
Cflags: -I\${includedir}
EOF
}

build_failed() {
  printf '[influxdb] error: %s failed; last lines of %s:\n' "$1" "$BUILD_LOG" >&2
  tail -n 40 "$BUILD_LOG" >&2 || true
  exit 1
}

# Go's build cache keys cgo packages on CGO_* flags but not on pkg-config
# output, so a moved or rebuilt libflux could link against a stale -L path.
# A define naming this libflux (its flux.pc path and library hash) in
# CGO_CPPFLAGS makes such changes rebuild the cgo packages.
libflux_cppflag() {
  local pc_dir=$1 id
  id=$({ printf '%s\n' "$pc_dir" && sha256sum <"$pc_dir/../libflux.a"; } | sha256sum | cut -c1-32)
  printf -- '-DTOWER_LIBFLUX_ID=%s' "$id"
}

build_influxd() {
  local work=$1 info mod_dir pc_dir ldflags cppflags
  log "downloading $INFLUX_MODULE@v$INFLUX_VERSION from the Go module proxy"
  info=$(go_mod_json / "$INFLUX_MODULE@v$INFLUX_VERSION") ||
    die "go mod download $INFLUX_MODULE@v$INFLUX_VERSION failed"
  mod_dir=$(jq -r .Dir <<<"$info")
  # influxdb's go.mod has a replace directive, so `go install module@version`
  # is refused; build the copied module as the main module instead.
  copy_writable "$mod_dir" "$work/src"
  pc_dir=$(build_libflux "$work/src" "$work")
  cppflags="${CGO_CPPFLAGS:+$CGO_CPPFLAGS }$(libflux_cppflag "$pc_dir")"
  log "go install ./cmd/influxd (tags $GO_TAGS, no UI assets)"
  ldflags="-s -w -X main.version=v$INFLUX_VERSION -X main.commit=v$INFLUX_VERSION"
  ldflags+=" -X main.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  (cd "$work/src" &&
    GOWORK=off CGO_ENABLED=1 CGO_CPPFLAGS="$cppflags" PKG_CONFIG=pkg-config GOBIN="$work/bin" \
      PKG_CONFIG_PATH="$pc_dir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
      go install -tags "$GO_TAGS" -ldflags "$ldflags" ./cmd/influxd) >>"$BUILD_LOG" 2>&1 ||
    build_failed "go install of influxd"
  "$work/bin/influxd" version >/dev/null 2>&1 || die "the freshly built influxd does not run"
}

cleanup_work() {
  [[ -z $WORK_DIR ]] || rm -rf "$WORK_DIR"
  WORK_DIR=""
}

cmd_install() {
  if binary_ok; then
    log "cached: $INFLUXD ($("$INFLUXD" version))"
    return 0
  fi
  need_build_tools
  mkdir -p "$INFLUX_CACHE"
  exec 9>"$INFLUX_CACHE/.install.lock"
  flock 9
  if binary_ok; then # another install finished while we waited
    log "cached: $INFLUXD"
    return 0
  fi
  local start
  start=$(date +%s)
  # Same file system as the cache, so the final mv is atomic.
  WORK_DIR=$(mktemp -d "$INFLUX_CACHE/.build.XXXXXX")
  trap cleanup_work EXIT
  : >"$BUILD_LOG"
  log "building influxd $INFLUX_VERSION ($(go version | cut -d' ' -f3), $(cargo --version | cut -d' ' -f1-2)); build log: $BUILD_LOG"
  build_influxd "$WORK_DIR"
  mkdir -p "${INFLUXD%/*}"
  mv -f "$WORK_DIR/bin/influxd" "$INFLUXD"
  cleanup_work
  trap - EXIT
  log "installed $INFLUXD ($("$INFLUXD" version))"
  log "build took $(elapsed "$start")"
}

# ------------------------------------------------------------ process mgmt --

# Prints the pid of our influxd if it is alive, else fails.
our_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == influxd ]] || return 1
  printf '%s\n' "$pid"
}

healthy() {
  curl -fsS --noproxy '*' --max-time 3 "$URL/health" 2>/dev/null |
    jq -e '.status == "pass"' >/dev/null 2>&1
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

show_log_tail() {
  printf '[influxdb] last lines of %s:\n' "$LOG_FILE" >&2
  tail -n 30 "$LOG_FILE" >&2 || true
}

launch() {
  mkdir -p "$DATA_DIR/engine" "${LOG_FILE%/*}" "${PID_FILE%/*}"
  # INFLUXD_CONFIG_PATH: read no config file from the current directory.
  (cd "$DATA_DIR" &&
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

wait_healthy() {
  local pid=$1 deadline=$(($(date +%s) + HEALTH_TIMEOUT_S))
  while ! healthy; do
    if ! alive "$pid"; then
      show_log_tail
      rm -f "$PID_FILE"
      die "influxd (pid $pid) exited during startup"
    fi
    if (($(date +%s) >= deadline)); then
      show_log_tail
      stop_pid "$pid"
      die "influxd did not answer $URL/health within ${HEALTH_TIMEOUT_S}s"
    fi
    sleep 0.5
  done
}

# Alive and not a zombie.
alive() {
  kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
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
    log "influxd (pid $pid) ignored SIGTERM for ${STOP_TIMEOUT_S}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 5 || die "influxd (pid $pid) survived SIGKILL"
  fi
  rm -f "$PID_FILE"
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

ensure_dbrp() {
  local found
  found=$(api GET "/api/v2/dbrps?orgID=$ORG_ID&db=$DB&rp=$RP" |
    jq -r --arg b "$BUCKET_ID" \
      '[.content[]? | select(.virtual != true and .bucketID == $b)] | length') ||
    die "cannot list DBRP mappings"
  [[ $found == 0 ]] || return 0
  log "creating DBRP mapping $DB/$RP -> bucket $BUCKET"
  api POST /api/v2/dbrps "$(jq -nc --arg o "$ORG_ID" --arg b "$BUCKET_ID" \
    --arg db "$DB" --arg rp "$RP" \
    '{orgID: $o, bucketID: $b, database: $db, retention_policy: $rp, default: true}')" \
    >/dev/null || die "cannot create DBRP mapping $DB/$RP"
}

ensure_v1_user() {
  local id
  id=$(api GET "/private/legacy/authorizations?orgID=$ORG_ID" |
    jq -r --arg t "$V1_USER" '[.authorizations[]? | select(.token == $t)][0].id // empty') ||
    die "cannot list v1 authorizations"
  if [[ -z $id ]]; then
    log "creating v1 user $V1_USER (read/write on bucket $BUCKET)"
    id=$(api POST /private/legacy/authorizations "$(jq -nc --arg o "$ORG_ID" \
      --arg b "$BUCKET_ID" --arg t "$V1_USER" \
      '{token: $t, orgID: $o, description: "Tower v1 user",
        permissions: [
          {action: "read",  resource: {type: "buckets", id: $b, orgID: $o}},
          {action: "write", resource: {type: "buckets", id: $b, orgID: $o}}]}')" |
      jq -r .id) || die "cannot create v1 user $V1_USER"
  fi
  # Always (re)set the password so it matches secrets.env.
  V1_PASSWORD=$V1_PASSWORD jq -nc '{password: env.V1_PASSWORD}' |
    api_stdin POST "/private/legacy/authorizations/$id/password" >/dev/null ||
    die "cannot set the password of v1 user $V1_USER"
}

# Like api, with the JSON body read from stdin (keeps secrets off argv).
api_stdin() {
  local method=$1 path=$2
  http_call "$method $path" -sS --noproxy '*' --max-time 30 -X "$method" -w '\n%{http_code}' \
    -K <(printf 'header = "Authorization: Token %s"\n' "$ADMIN_TOKEN") \
    -H 'Content-Type: application/json' --data-binary @- "$URL$path"
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
  ensure_dbrp
  ensure_v1_user
}

# ---------------------------------------------------------------- commands --

cmd_start() {
  local start pid
  start=$(date +%s)
  need_runtime_tools
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
  if pid=$(our_pid); then
    log "influxd (pid $pid) is running but $URL/health does not answer; restarting it"
    stop_pid "$pid"
  fi
  rm -f "$PID_FILE"
  if port_in_use; then
    die "port $PORT on 127.0.0.1 is already taken by another process (see: ss -ltnp 'sport = :$PORT'); stop it or set TOWER_INFLUX_PORT"
  fi
  log "starting influxd $INFLUX_VERSION on $URL (data: $DATA_DIR, log: $LOG_FILE)"
  launch
  pid=$(<"$PID_FILE")
  LAUNCHED_PID=$pid
  trap stop_if_start_failed EXIT
  wait_healthy "$pid"
  setup_server
  selftest
  write_env_file
  LAUNCHED_PID=""
  log "ready at $URL (pid $pid) after $(elapsed "$start")"
}

# EXIT trap of start: leave nothing running when start fails.
stop_if_start_failed() {
  [[ -n $LAUNCHED_PID ]] || return 0
  if alive "$LAUNCHED_PID"; then
    log "start failed: stopping influxd (pid $LAUNCHED_PID)" >&2
    stop_pid "$LAUNCHED_PID"
  fi
}

cmd_stop() {
  local pid
  if ! pid=$(our_pid); then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  log "stopping influxd (pid $pid)"
  stop_pid "$pid"
  log "stopped"
}

cmd_status() {
  local pid
  if ! pid=$(our_pid); then
    echo "stopped"
    return 1
  fi
  if healthy; then
    echo "running (pid $pid, $URL)"
    return 0
  fi
  echo "running (pid $pid) but $URL/health does not answer"
  return 1
}

main() {
  [[ $# -eq 1 ]] || usage
  case $1 in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) usage ;;
  esac
}

main "$@"
