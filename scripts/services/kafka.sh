#!/usr/bin/env bash
# Local 3-node Apache Kafka (KRaft, combined broker+controller) cluster for Tower.
#
# Each node has a PLAINTEXT listener (9090-9092, also used between brokers), a
# SASL_SSL listener (9190-9192; SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512
# over TLS) and a controller listener (19090-19092, 127.0.0.1 only).  All
# three ranges move with TOWER_KAFKA_PORT_BASE, for a second cluster.  The
# SASL_SSL listener, its TLS material ($STATE/kafka/tls/, clients trust
# ca.pem) and the SASL user ($STATE/kafka/sasl.env) are made by
# kafka-tls.sh next to this file.  The topics and their settings come from
# src/kafka/topics.ts (read from dist/, built first when stale).
#
# The Kafka jars come from Maven Central (see kafka-pom.xml next to this file);
# no release tarball is downloaded.
#
# Usage: scripts/services/kafka.sh install|start|stop|status|start-node N|stop-node N
#
# Environment:
#   TOWER_CACHE_DIR      jar cache root            (default: $HOME/.cache/tower)
#   TOWER_STATE_DIR      config/data/logs/pids     (default: $PWD/.tower)
#   TOWER_KAFKA_VERSION  Kafka version             (default: 4.2.0)
#   TOWER_KAFKA_HOST     advertised host name      (default: $(hostname), or localhost)
#   TOWER_KAFKA_BIND     broker bind address       (default: 0.0.0.0)
#   TOWER_KAFKA_TIMEOUT  start wait, seconds       (default: 120)
#   TOWER_KAFKA_PORT_BASE  broker port of node 1; SASL_SSL is base+100,
#                        controller base+10000     (default: 9090)
#   KAFKA_HEAP           JVM heap options per node (default: -Xms128m -Xmx384m)
#   KAFKA_JVM_OPTS       extra JVM options per node
set -euo pipefail

readonly SERVICE_NAME="kafka"
readonly SERVICE_PROCESS="java"
readonly SERVICE_USAGE="install|start|stop|status|start-node N|stop-node N"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/kafka-pom.xml"

KAFKA_VERSION="${TOWER_KAFKA_VERSION:-4.2.0}"
CACHE_DIR="${TOWER_CACHE_DIR:-$HOME/.cache/tower}/kafka/$KAFKA_VERSION"
LIBS="$CACHE_DIR/libs"
MARKER="$CACHE_DIR/installed"
STATE="$(realpath -m "${TOWER_STATE_DIR:-$PWD/.tower}")"
KDIR="$STATE/kafka"
NODES=(1 2 3)
# "name partitions replication-factor config,config…" per topic, from
# LAB_TOPICS in src/kafka/topics.ts; set by load_topics.
TOPICS=()
TIMEOUT="${TOWER_KAFKA_TIMEOUT:-120}"
PORT_BASE="${TOWER_KAFKA_PORT_BASE:-9090}"
TODO=()   # nodes to launch (select_nodes_to_start)
EXPECT=() # nodes that must stay alive while we wait (check_alive)
HEALTH="" # last topics_health output
DEADLINE=0 # epoch seconds; set by launch_and_register
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# shellcheck source-path=SCRIPTDIR source=kafka-tls.sh
source "$SCRIPT_DIR/kafka-tls.sh"

broker_port() { echo $((PORT_BASE - 1 + $1)); }
controller_port() { echo $((PORT_BASE + 9999 + $1)); }
node_ports() { echo "$(broker_port "$1") $(sasl_port "$1") $(controller_port "$1")"; }
node_dir() { echo "$KDIR/node-$1"; }
node_conf() { echo "$KDIR/node-$1/server.properties"; }
node_log() { echo "$STATE/logs/kafka-$1.log"; }
node_pidfile() { echo "$STATE/run/kafka-$1.pid"; }

[[ "$PORT_BASE" =~ ^[0-9]+$ ]] && ((PORT_BASE >= 1024 && PORT_BASE <= 55000)) ||
  die "TOWER_KAFKA_PORT_BASE must be a port number from 1024 to 55000 (got '$PORT_BASE')"

check_node_arg() {
  [[ "${1:-}" =~ ^[123]$ ]] || die "node must be 1, 2 or 3 (got '${1:-}')"
}

# ---------------------------------------------------------------- install ---

pom_hash() { sha256sum "$POM" | cut -d' ' -f1; }

is_installed() {
  [[ -f "$MARKER" && -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]] &&
    [[ "$(cat "$MARKER")" == "$(pom_hash)" ]]
}

check_tools() {
  command -v "$JAVA" >/dev/null || die "java not found (need Java 17+)"
  local v
  v="$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [[ "${v%%.*}" -ge 17 ]] 2>/dev/null || die "Kafka $KAFKA_VERSION needs Java 17+, found '$v'"
}

fetch_jars() {
  local tmp="$1"
  command -v mvn >/dev/null || die "mvn not found (needed to fetch the Kafka jars)"
  log "fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime dependencies with Maven"
  if ! (cd "$SCRIPT_DIR" && mvn -B -Dstyle.color=never -f "$POM" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp") >"$tmp.mvn.log" 2>&1; then
    tail -n 40 "$tmp.mvn.log" >&2
    die "mvn could not fetch the Kafka $KAFKA_VERSION jars (full log: $tmp.mvn.log)"
  fi
  rm -f "$tmp.mvn.log"
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after mvn"
}

cmd_install() {
  local t0
  t0="$(date +%s)"
  check_tools
  mkdir -p "$CACHE_DIR"
  exec 8>"$CACHE_DIR/.lock"
  flock 8
  if is_installed; then
    log "Kafka $KAFKA_VERSION already installed in $LIBS"
  else
    TMP_LIBS="$(mktemp -d "$CACHE_DIR/.libs.XXXXXX")"
    trap 'rm -rf "$TMP_LIBS"' EXIT
    fetch_jars "$TMP_LIBS"
    rm -f "$MARKER"
    rm -rf "$LIBS"
    mv "$TMP_LIBS" "$LIBS"
    trap - EXIT
    pom_hash >"$MARKER"
    log "installed Kafka $KAFKA_VERSION ($(find "$LIBS" -name "*.jar" | wc -l) jars) in $LIBS"
  fi
  flock -u 8
  exec 8>&-
  log "install took $(elapsed "$t0")"
}

ensure_installed() {
  is_installed || cmd_install
}

# ------------------------------------------------------------- processes ---

# Pid of our running node N, or nothing.  "Ours" means the process runs
# kafka.Kafka with this state dir's config of node N.
node_pid() {
  local pidfile pid
  pidfile="$(node_pidfile "$1")"
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && [[ -r "/proc/$pid/cmdline" ]] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "kafka.Kafka $(node_conf "$1")"; then
    echo "$pid"
  fi
}

node_running() { [[ -n "$(node_pid "$1")" ]]; }

check_ports_free() {
  local n="$1" p
  for p in $(node_ports "$n"); do
    if port_in_use "$p"; then
      die "port $p (node $n) is already in use by a process that is not our Kafka node $n $(port_owner "$p"); stop it first"
    fi
  done
}

log_tail() {
  local f
  f="$(node_log "$1")"
  echo "[kafka] ---- last lines of $f ----" >&2
  tail -n 40 "$f" >&2 2>/dev/null || true
  echo "[kafka] ----" >&2
}

# ---------------------------------------------------------------- config ---

advertised_host() {
  if [[ -n "${TOWER_KAFKA_HOST:-}" ]]; then
    echo "$TOWER_KAFKA_HOST"
    return
  fi
  local h
  h="$(hostname)"
  if getent hosts "$h" >/dev/null 2>&1; then echo "$h"; else echo localhost; fi
}

bootstrap() {
  local host n out=()
  host="$(advertised_host)"
  for n in "${NODES[@]}"; do out+=("$host:$(broker_port "$n")"); done
  (IFS=,; echo "${out[*]}")
}

voters() {
  local n out=()
  for n in "${NODES[@]}"; do out+=("$n@127.0.0.1:$(controller_port "$n")"); done
  (IFS=,; echo "${out[*]}")
}

write_log4j_configs() {
  cat >"$KDIR/log4j2.properties" <<'EOF'
# Broker logging: everything to stdout, which kafka.sh sends to $STATE/logs/kafka-N.log
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = WARN
EOF
  cat >"$KDIR/tools-log4j2.properties" <<'EOF'
# CLI tools logging: warnings and errors to stderr
status = warn
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = ERR
EOF
  cat >"$KDIR/tools.properties" <<'EOF'
request.timeout.ms=10000
default.api.timeout.ms=20000
EOF
}

# The server.properties of node N for advertised host HOST, on stdout.  It
# holds the SASL password (PLAIN's JAAS config, see sasl_ssl_config), so it
# is written mode 600.
node_config_text() {
  local n="$1" host="$2" bind="${TOWER_KAFKA_BIND:-0.0.0.0}"
  cat <<EOF
# Generated by scripts/services/kafka.sh on every start; edits are lost.
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$(voters)
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$bind:$(broker_port "$n"),SASL_SSL://$bind:$(sasl_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")
advertised.listeners=PLAINTEXT://$host:$(broker_port "$n"),SASL_SSL://$host:$(sasl_port "$n")
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
log.dirs=$(node_dir "$n")/data

$(sasl_ssl_config)

num.partitions=3
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0

num.network.threads=3
num.io.threads=4
# Move leadership back to preferred replicas soon after a node restarts.
leader.imbalance.check.interval.seconds=30
EOF
}

write_node_config() {
  local n="$1" host="$2" conf
  conf="$(node_conf "$n")"
  mkdir -p "$(node_dir "$n")/data"
  (umask 077 && node_config_text "$n" "$host" >"$conf.tmp")
  chmod 600 "$conf.tmp"
  mv "$conf.tmp" "$conf"
}

cluster_id() {
  local f="$KDIR/cluster.id"
  if [[ ! -s "$f" ]]; then
    kafka_class kafka.tools.StorageTool random-uuid >"$f.tmp" || die "could not generate a cluster id"
    mv "$f.tmp" "$f"
  fi
  cat "$f"
}

format_node() {
  local n="$1" cid="$2"
  [[ -f "$(node_dir "$n")/data/meta.properties" ]] && return 0
  log "formatting KRaft storage of node $n (cluster id $cid)"
  kafka_class kafka.tools.StorageTool format --ignore-formatted \
    -t "$cid" -c "$(node_conf "$n")" >>"$(node_log "$n")" 2>&1 ||
    { log_tail "$n"; die "formatting storage of node $n failed"; }
}

# ----------------------------------------------------------------- tools ---

# Run a Kafka CLI class from the cached jars.
kafka_class() {
  "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$KDIR/tools-log4j2.properties" \
    -cp "$LIBS/*" "$@"
}

admin() {
  local cls="$1"
  shift
  timeout 60 "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$KDIR/tools-log4j2.properties" \
    -cp "$LIBS/*" "$cls" --bootstrap-server "$(bootstrap)" --command-config "$KDIR/tools.properties" "$@"
}

# Ids of the brokers that are registered and unfenced, one per line.
registered_brokers() {
  admin org.apache.kafka.tools.BrokerApiVersionsCommand 2>/dev/null |
    grep -o '(id: [0-9]*' | awk '{print $2}' | sort -u || true
}

# Sets TOPICS from LAB_TOPICS in src/kafka/topics.ts, the one definition of
# the topics' settings (built into dist/ first when missing or stale).
load_topics() {
  local module="dist/kafka/topics.js" line
  ensure_built "$module"
  TOPICS=()
  while IFS= read -r line; do
    [[ "$line" =~ ^[A-Za-z0-9._-]+\ [0-9]+\ [0-9]+(\ [^ ]+)?$ ]] ||
      die "unexpected topic line from $module: '$line'"
    TOPICS+=("$line")
  done < <(node --input-type=module -e '
    const { pathToFileURL } = await import("node:url");
    const { LAB_TOPICS, configList } = await import(pathToFileURL(process.argv[1]).href);
    for (const [name, settings] of Object.entries(LAB_TOPICS)) {
      console.log([name, settings.numPartitions, settings.replicationFactor, configList(settings)].join(" ").trim());
    }' "$TOWER_ROOT/$module" || die "could not read the topics from $module")
  [[ ${#TOPICS[@]} -gt 0 ]] || die "no topics in $module"
}

# Field FIELD (1 name, 2 partitions, 3 replication factor, 4 configs) of a TOPICS entry.
topic_field() {
  local -a f
  read -ra f <<<"$1"
  echo "${f[$2 - 1]:-}"
}

create_topic() {
  local spec="$1" name partitions rf config args=() entry
  name="$(topic_field "$spec" 1)"
  partitions="$(topic_field "$spec" 2)"
  rf="$(topic_field "$spec" 3)"
  config="$(topic_field "$spec" 4)"
  local -a entries=()
  IFS=',' read -ra entries <<<"$config"
  for entry in "${entries[@]}"; do args+=(--config "$entry"); done
  log "creating topic $name ($partitions partitions, RF $rf${config:+, $config})"
  admin org.apache.kafka.tools.TopicCommand --create --if-not-exists --topic "$name" \
    --partitions "$partitions" --replication-factor "$rf" "${args[@]}" >/dev/null ||
    die "could not create topic $name on $(bootstrap)"
}

# Brings an existing topic's settings up to date (idempotent).
apply_topic_config() {
  local name="$1" config="$2"
  [[ -n "$config" ]] || return 0
  admin kafka.admin.ConfigCommand --alter --entity-type topics --entity-name "$name" \
    --add-config "$config" >/dev/null || die "could not set $config on topic $name"
}

topic_names() {
  local spec
  for spec in "${TOPICS[@]}"; do topic_field "$spec" 1; done
}

# One line "<topic> ok|degraded" per existing Tower topic; ok means its
# partitions (as TOPICS says), each with an ISR as large as its replication
# factor.  A single JVM run for all topics.
topics_health() {
  local regex
  regex="$(topic_names | sed 's/\./\\./g' | paste -sd'|')"
  { admin org.apache.kafka.tools.TopicCommand --describe --topic "$regex" 2>/dev/null || true; } |
    awk -v specs="$(printf '%s\n' "${TOPICS[@]}")" '
         BEGIN {
           m = split(specs, lines, "\n")
           for (j = 1; j <= m; j++) if (split(lines[j], f, " ") >= 3) { want_p[f[1]] = f[2]; want_rf[f[1]] = f[3] }
         }
         $3 == "Partition:" {
           n[$2]++
           for (i = 1; i <= NF; i++) if ($i == "Isr:") isr = $(i + 1)
           if (split(isr, a, ",") == want_rf[$2]) ok[$2]++
         }
         END { for (t in n) print t, (n[t] == want_p[t] && ok[t] == want_p[t]) ? "ok" : "degraded" }'
}

# "resource: 3 partitions, ISR 3; resource.dlq: …", what wait_topics_in_sync waits for.
topics_wanted() {
  local spec out=()
  for spec in "${TOPICS[@]}"; do
    out+=("$(topic_field "$spec" 1): $(topic_field "$spec" 2) partitions, ISR $(topic_field "$spec" 3)")
  done
  (IFS=';'; echo "${out[*]}" | sed 's/;/; /g')
}

# ------------------------------------------------------------ lifecycle ---

launch_node() {
  local n="$1" pid
  mkdir -p "$STATE/logs" "$STATE/run"
  echo "[kafka.sh] starting node $n at $(date -Is)" >>"$(node_log "$n")"
  # setsid: the brokers outlive the calling shell and its process group.
  # shellcheck disable=SC2086
  (close_inherited_fds && exec setsid "$JAVA" ${KAFKA_HEAP:--Xms128m -Xmx384m} \
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true ${KAFKA_JVM_OPTS:-} \
    -Dlog4j2.configurationFile="$KDIR/log4j2.properties" \
    -Dkafka.logs.dir="$STATE/logs" \
    -cp "$LIBS/*" kafka.Kafka "$(node_conf "$n")" \
    </dev/null >>"$(node_log "$n")" 2>&1) &
  pid=$!
  echo "$pid" >"$(node_pidfile "$n")"
  wait_exec "$n" "$pid"
  log "node $n launched (pid $pid, broker :$(broker_port "$n"), sasl_ssl :$(sasl_port "$n"), controller :$(controller_port "$n"), log $(node_log "$n"))"
}

# Wait until the launched subshell has exec'ed into the broker JVM, so that
# node_pid recognises it.
wait_exec() {
  local n="$1" pid="$2" i
  for ((i = 0; i < 100; i++)); do
    node_running "$n" && return 0
    [[ -d "/proc/$pid" ]] || break
    sleep 0.1
  done
  log_tail "$n"
  rm -f "$(node_pidfile "$n")"
  die "node $n (pid $pid) did not start (log: $(node_log "$n"))"
}

prepare_and_launch() {
  local host cid n
  host="$(advertised_host)"
  mkdir -p "$KDIR" "$STATE/logs" "$STATE/run"
  write_log4j_configs
  cid="$(cluster_id)"
  for n in "$@"; do
    write_node_config "$n" "$host"
    format_node "$n" "$cid"
  done
  for n in "$@"; do launch_node "$n"; done
}

# Fail (with the log tail) if one of the EXPECT nodes has died.
check_alive() {
  local n
  for n in "${EXPECT[@]}"; do
    if ! node_running "$n"; then
      log_tail "$n"
      rm -f "$(node_pidfile "$n")"
      die "node $n exited during startup (log: $(node_log "$n"))"
    fi
  done
}

all_running() {
  local n
  for n in "${NODES[@]}"; do node_running "$n" || return 1; done
}

deadline_passed() { [[ "$(date +%s)" -ge "$1" ]]; }

wait_registered() {
  local deadline="$1" ids=""
  shift
  log "waiting for brokers $* to register"
  while true; do
    check_alive
    local missing=() n
    # Cheap check first: a broker opens its client port only once unfenced.
    for n in "$@"; do
      if ! port_in_use "$(broker_port "$n")" || ! port_in_use "$(sasl_port "$n")"; then missing+=("$n"); fi
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
      ids="$(registered_brokers | tr '\n' ' ')"
      for n in "$@"; do [[ " $ids " == *" $n "* ]] || missing+=("$n"); done
    fi
    if [[ ${#missing[@]} -eq 0 ]]; then
      log "brokers registered: ${ids% }"
      return 0
    fi
    if deadline_passed "$deadline"; then
      log_tail "${missing[0]}"
      die "broker(s) ${missing[*]} not registered after ${TIMEOUT}s"
    fi
    sleep 1
  done
}

# Sets HEALTH (see topics_health), creating the topics that are missing.
create_missing_topics() {
  local spec name created=0
  HEALTH="$(topics_health)"
  for spec in "${TOPICS[@]}"; do
    name="$(topic_field "$spec" 1)"
    if ! grep -q "^$name " <<<"$HEALTH"; then
      create_topic "$spec"
      created=1
    else
      apply_topic_config "$name" "$(topic_field "$spec" 4)"
    fi
  done
  [[ $created -eq 0 ]] || HEALTH=""
}

# Wait until every Tower topic has its partitions, each with a full ISR.
# Reuses HEALTH when set by create_missing_topics.
wait_topics_in_sync() {
  local deadline="$1" health="$HEALTH"
  HEALTH=""
  while true; do
    [[ -n "$health" ]] || health="$(topics_health)"
    if [[ "$(grep -c ' ok$' <<<"$health")" -eq ${#TOPICS[@]} ]]; then
      log "topics in sync: $(topics_wanted)"
      return 0
    fi
    check_alive
    if deadline_passed "$deadline"; then
      die "topics not all present and in sync ($(topics_wanted)) after ${TIMEOUT}s: ${health:-none found}"
    fi
    health=""
    sleep 1
  done
}

write_env() {
  echo "TOWER_BROKERS=$(bootstrap)" >"$STATE/kafka.env"
  log "wrote $STATE/kafka.env (TOWER_BROKERS=$(bootstrap))"
}

# Sets TODO to those of the given nodes that are not running; dies if a port
# of one of them is held by something else.
select_nodes_to_start() {
  local n
  TODO=()
  for n in "$@"; do
    if node_running "$n"; then
      log "node $n already running (pid $(node_pid "$n"))"
      if ! cmp -s <(node_config_text "$n" "$(advertised_host)") "$(node_conf "$n")"; then
        log "WARNING: node $n runs with an older configuration; apply the current one with: $0 stop && $0 start"
      fi
    else
      rm -f "$(node_pidfile "$n")"
      check_ports_free "$n"
      TODO+=("$n")
    fi
  done
}

# Installs if needed, launches the given nodes that are not running, and
# waits until they are registered; sets DEADLINE for the caller's next waits.
launch_and_register() {
  ensure_installed
  check_tools
  prepare_security
  select_nodes_to_start "$@"
  [[ ${#TODO[@]} -eq 0 ]] || prepare_and_launch "${TODO[@]}"
  EXPECT=("$@")
  DEADLINE=$(($(date +%s) + TIMEOUT))
  wait_registered "$DEADLINE" "$@"
}

cmd_start() {
  local t0
  t0="$(date +%s)"
  load_topics
  launch_and_register "${NODES[@]}"
  create_missing_topics
  wait_topics_in_sync "$DEADLINE"
  ensure_scram_user
  write_env
  log "cluster up (bootstrap $(bootstrap); SASL_SSL $(bootstrap_sasl), CA $TLS_DIR/ca.pem, user in $SASL_ENV); start took $(elapsed "$t0")"
}

cmd_start_node() {
  local n="$1" t0
  check_node_arg "$n"
  t0="$(date +%s)"
  load_topics
  launch_and_register "$n"
  if all_running; then
    wait_topics_in_sync "$DEADLINE"
  else
    log "not all nodes run: skipping the wait for ISR 3"
  fi
  log "node $n up and in sync; took $(elapsed "$t0")"
}

# SIGTERM the given nodes, wait up to 30 s, then SIGKILL what is left.
stop_nodes() {
  local n pid pids=() i
  for n in "$@"; do
    pid="$(node_pid "$n")"
    if [[ -n "$pid" ]]; then
      log "stopping node $n (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$n:$pid")
    else
      log "node $n not running"
    fi
  done
  for ((i = 0; i < 30; i++)); do
    local alive=0 entry
    for entry in "${pids[@]}"; do
      node_running "${entry%%:*}" && alive=1
    done
    [[ $alive -eq 0 ]] && break
    sleep 1
  done
  for entry in "${pids[@]}"; do
    n="${entry%%:*}"
    pid="${entry#*:}"
    if node_running "$n"; then
      log "node $n did not stop in 30s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while [[ -d "/proc/$pid" ]]; do sleep 0.2; done
    fi
  done
  for n in "$@"; do rm -f "$(node_pidfile "$n")"; done
}

cmd_stop() {
  local t0 n p busy=()
  t0="$(date +%s)"
  stop_nodes "${NODES[@]}"
  for n in "${NODES[@]}"; do
    for p in $(node_ports "$n"); do
      port_in_use "$p" && busy+=("$p")
    done
  done
  [[ ${#busy[@]} -eq 0 ]] || die "still listening after stop (not ours?): ports ${busy[*]}"
  log "stopped; took $(elapsed "$t0")"
}

cmd_stop_node() {
  check_node_arg "${1:-}"
  stop_nodes "$1"
}

cmd_status() {
  local n pid up=0
  for n in "${NODES[@]}"; do
    pid="$(node_pid "$n")"
    if [[ -n "$pid" ]]; then
      log "node $n: running (pid $pid, broker :$(broker_port "$n"), sasl_ssl :$(sasl_port "$n"))"
      up=$((up + 1))
    else
      log "node $n: stopped"
    fi
  done
  log "$up/3 nodes running"
  [[ $up -eq 3 ]]
}

main() {
  case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    start-node) cmd_start_node "${2:-}" ;;
    stop-node) cmd_stop_node "${2:-}" ;;
    *) usage ;;
  esac
}

main "$@"
