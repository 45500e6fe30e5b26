# shellcheck shell=bash
# The SASL_SSL side of the local Kafka cluster, sourced by kafka.sh: the
# listener on broker port + 100 (9190-9192), its TLS material and the SASL
# user.
#
# The TLS material (a self-signed CA and a broker certificate for the
# advertised host name and localhost) is made once in $KDIR/tls/; clients
# trust $KDIR/tls/ca.pem.  The SASL user `tower` and its random password are
# kept in $KDIR/sasl.env (TOWER_SASL_USERNAME, TOWER_SASL_PASSWORD); PLAIN
# reads it from the JAAS config in each node's server.properties, SCRAM from
# the credentials ensure_scram_user puts in the cluster metadata.
#
# Needs from kafka.sh: KDIR, NODES, PORT_BASE, log, die, advertised_host,
# node_running, admin, bootstrap.

TLS_DIR="$KDIR/tls"
SASL_ENV="$KDIR/sasl.env"
SASL_USER="tower"

sasl_port() { echo $((PORT_BASE + 99 + $1)); }

bootstrap_sasl() {
  local host n out=()
  host="$(advertised_host)"
  for n in "${NODES[@]}"; do out+=("$host:$(sasl_port "$n")"); done
  (IFS=,; echo "${out[*]}")
}

# The SASL_SSL lines of a node's server.properties (the same for every node).
sasl_ssl_config() {
  local password
  password="$(sasl_password)"
  cat <<EOF
# SASL_SSL listener for clients: TLS with the broker certificate from
# $TLS_DIR, then SASL PLAIN (user list below) or SCRAM (credentials in the
# cluster metadata, set by ensure_scram_user after start).
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$TLS_DIR/broker-keystore.pem
listener.name.sasl_ssl.ssl.client.auth=none
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$SASL_USER="$password";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
}

# The SASL password from $SASL_ENV (made by ensure_sasl_env).
sasl_password() {
  sed -n 's/^TOWER_SASL_PASSWORD=//p' "$SASL_ENV" | tail -n 1
}

# Make $SASL_ENV with a random password once; check it on every start.
ensure_sasl_env() {
  mkdir -p "$KDIR"
  if [[ ! -s "$SASL_ENV" ]]; then
    command -v openssl >/dev/null || die "openssl not found (needed for the SASL password and TLS material)"
    local password
    password="$(openssl rand -hex 24)" || die "openssl rand failed"
    (umask 077 && printf 'TOWER_SASL_USERNAME=%s\nTOWER_SASL_PASSWORD=%s\n' "$SASL_USER" "$password" >"$SASL_ENV.tmp")
    mv "$SASL_ENV.tmp" "$SASL_ENV"
    log "wrote $SASL_ENV (SASL user $SASL_USER, random password)"
  fi
  chmod 600 "$SASL_ENV"
  # The password goes into a JAAS string and a SCRAM config value unquoted.
  [[ "$(sasl_password)" =~ ^[A-Za-z0-9._~+-]{8,}$ ]] ||
    die "$SASL_ENV: TOWER_SASL_PASSWORD must be 8+ characters of [A-Za-z0-9._~+-]; fix it or delete the file to get a new one"
}

# Subject alternative names of the broker certificate for HOST.
cert_sans() {
  local host="$1" sans="DNS:localhost,IP:127.0.0.1,IP:::1"
  if [[ "$host" =~ ^[0-9.]+$ || "$host" == *:* ]]; then
    [[ "$host" == 127.0.0.1 || "$host" == ::1 ]] || sans="IP:$host,$sans"
  elif [[ "$host" != localhost ]]; then
    sans="DNS:$host,$sans"
  fi
  echo "$sans"
}

# A self-signed CA (made once) and a broker certificate signed by it for the
# advertised HOST and localhost, remade when the host changes, when the CA
# is new, or when it expires within 30 days.  Kafka reads the broker key and
# chain from broker-keystore.pem (PEM keystore, unencrypted PKCS#8 key).
ensure_tls() {
  local host="$1" sans tmp
  sans="$(cert_sans "$host")"
  command -v openssl >/dev/null || die "openssl not found (needed for the TLS material)"
  mkdir -p "$TLS_DIR"
  chmod 755 "$TLS_DIR"
  if [[ ! -s "$TLS_DIR/ca.key" || ! -s "$TLS_DIR/ca.pem" ]]; then
    log "generating a self-signed CA in $TLS_DIR"
    tmp="$(mktemp -d "$TLS_DIR/.ca.XXXXXX")"
    if ! (umask 077 &&
      openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
        -subj "/CN=Tower lab Kafka CA" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$tmp/ca.key" -out "$tmp/ca.pem") >"$tmp/log" 2>&1; then
      cat "$tmp/log" >&2
      rm -rf "$tmp"
      die "could not generate the CA in $TLS_DIR"
    fi
    mv "$tmp/ca.key" "$TLS_DIR/ca.key"
    mv "$tmp/ca.pem" "$TLS_DIR/ca.pem"
    rm -rf "$tmp" "$TLS_DIR/broker-keystore.pem"
  fi
  chmod 644 "$TLS_DIR/ca.pem"
  if [[ -s "$TLS_DIR/broker-keystore.pem" && "$(cat "$TLS_DIR/broker.sans" 2>/dev/null)" == "$sans" ]] &&
    openssl x509 -in "$TLS_DIR/broker.crt" -noout -checkend $((30 * 86400)) >/dev/null 2>&1 &&
    openssl verify -CAfile "$TLS_DIR/ca.pem" "$TLS_DIR/broker.crt" >/dev/null 2>&1; then
    return 0
  fi
  log "generating the broker certificate ($sans) in $TLS_DIR"
  tmp="$(mktemp -d "$TLS_DIR/.broker.XXXXXX")"
  cat >"$tmp/ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$sans
EOF
  if ! (umask 077 &&
    openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=$host" \
      -keyout "$tmp/broker.key" -out "$tmp/broker.csr" &&
    openssl x509 -req -in "$tmp/broker.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" \
      -set_serial "0x$(openssl rand -hex 16)" -sha256 -days 825 -extfile "$tmp/ext" -out "$tmp/broker.crt" &&
    cat "$tmp/broker.key" "$tmp/broker.crt" "$TLS_DIR/ca.pem" >"$tmp/broker-keystore.pem") >"$tmp/log" 2>&1; then
    cat "$tmp/log" >&2
    rm -rf "$tmp"
    die "could not generate the broker certificate in $TLS_DIR"
  fi
  mv "$tmp/broker.key" "$TLS_DIR/broker.key"
  mv "$tmp/broker.crt" "$TLS_DIR/broker.crt"
  mv "$tmp/broker-keystore.pem" "$TLS_DIR/broker-keystore.pem"
  echo "$sans" >"$TLS_DIR/broker.sans"
  rm -rf "$tmp"
  local n
  for n in "${NODES[@]}"; do
    if node_running "$n"; then
      log "node $n picks up the new broker certificate only when it restarts ($0 stop && $0 start)"
    fi
  done
}

# The SASL password and the TLS material that the node configs refer to.
prepare_security() {
  ensure_sasl_env
  ensure_tls "$(advertised_host)"
}

# Create or update the SCRAM-SHA-256 and SCRAM-SHA-512 credentials of the
# SASL user (kept in the cluster metadata; an upsert, so safe to repeat).
# One ConfigCommand run per mechanism: Kafka 4.2 (KRaft) rejects a request
# that alters two mechanisms of one user ("A user credential cannot be
# altered twice in the same request").  The password goes through a mode-600
# file (--add-config-file), not the command line.
ensure_scram_user() {
  local file="$KDIR/.scram.properties" password mechanism out
  password="$(sasl_password)"
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    (umask 077 && printf '%s=iterations=8192,password=%s\n' "$mechanism" "$password" >"$file")
    if ! out="$(admin kafka.admin.ConfigCommand --alter --entity-type users --entity-name "$SASL_USER" \
      --add-config-file "$file" 2>&1)"; then
      rm -f "$file"
      echo "$out" >&2
      die "could not set the $mechanism credential of user $SASL_USER on $(bootstrap)"
    fi
  done
  rm -f "$file"
  log "SCRAM-SHA-256/512 credentials of user $SASL_USER set (password in $SASL_ENV)"
}
