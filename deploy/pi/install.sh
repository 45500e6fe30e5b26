#!/usr/bin/env bash
# Installs tower-agent on a Raspberry Pi as a hardened systemd service that
# produces to the NUC's Kafka brokers (nuc:9090, nuc:9091, nuc:9092), and keeps
# the NUC's /etc/hosts line across reboots. Idempotent: a second run changes
# nothing and says "already present". deploy/pi/uninstall.sh undoes it, using
# the record this writes to /etc/tower/installed.manifest. See --help.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  cat <<'EOF'
Usage: install.sh [options]

Installs tower-agent (executable, config, systemd units) and the NUC's
/etc/hosts line, then (on / only) checks the brokers with `tower-agent doctor`
and enables and starts the services. Safe to run again: what is in place is
left byte for byte.

  --nuc-ip IP      the NUC's address; required unless NAME already has a line
                   in /etc/hosts or /etc/tower/nuc-host
  --nuc-host NAME  the NUC's name in the broker list (default: nuc)
  --binary PATH    the executable to install; a *.cjs bundle is run by a small
                   wrapper with this machine's Node.js >= 18
  --dist DIR       pick the executable from DIR by machine (default: dist/
                   next to this script, else the repository's dist/pi):
                   aarch64 -> tower-agent-linux-arm64,
                   armv7l  -> tower-agent-linux-armv7l,
                   other   -> tower-agent.cjs with the system's node >= 18
  --machine ARCH   use ARCH instead of `uname -m`
  --root DIR       install under DIR instead of / (for an image or a test);
                   implies --no-start
  --no-start       do not run systemctl (on /, doctor still runs)
  --force          rewrite /etc/tower/agent.yaml even if it exists (it is
                   otherwise kept as it is, with any changes made to it)
  -h, --help       this text

Files (under --root):
  /usr/local/bin/tower-agent                the agent (or the node wrapper)
  /usr/local/lib/tower/tower-agent.cjs      the bundle (node wrapper only)
  /usr/local/lib/tower/ensure-hosts         re-adds the NUC's hosts line
  /etc/tower/agent.yaml                     the agent's options
  /etc/tower/nuc-host                       "<IP> <NAME>" for ensure-hosts
  /etc/tower/installed.manifest             what this added, for uninstall.sh
  /etc/systemd/system/tower-agent.service   the agent, as a dynamic user
  /etc/systemd/system/tower-hosts.service   the hosts line at boot (oneshot)
  /etc/systemd/system/tower-hosts.path      ... and whenever /etc/hosts changes
  /etc/hosts                                the line "<IP> <NAME>"
EOF
}

log() { echo "[install] $*"; }
warn() { echo "[install] WARNING: $*" >&2; }
die() { echo "[install] ERROR: $*" >&2; exit 1; }

ARGS="$*"
NUC_HOST=nuc NUC_IP="" BINARY="" DIST="" MACHINE="" ROOT=/ NO_START=0 FORCE=0
while (($#)); do
  case "$1" in
    --nuc-host) NUC_HOST="${2:?--nuc-host needs a name}"; shift 2 ;;
    --nuc-ip) NUC_IP="${2:?--nuc-ip needs an address}"; shift 2 ;;
    --binary) BINARY="${2:?--binary needs a path}"; shift 2 ;;
    --dist) DIST="${2:?--dist needs a directory}"; shift 2 ;;
    --machine) MACHINE="${2:?--machine needs an architecture}"; shift 2 ;;
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --no-start) NO_START=1; shift ;;
    --force) FORCE=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

# ------------------------------------------------------------------ checks ---
[[ "$NUC_HOST" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || die "--nuc-host '$NUC_HOST' is not a host name"
valid_ip() {
  [[ "$1" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] &&
    ((BASH_REMATCH[1] <= 255 && BASH_REMATCH[2] <= 255 && BASH_REMATCH[3] <= 255 && BASH_REMATCH[4] <= 255)) && return 0
  [[ "$1" == *:* && "$1" =~ ^[0-9A-Fa-f:.]+$ ]]
}
[[ -z "$NUC_IP" ]] || valid_ip "$NUC_IP" || die "--nuc-ip '$NUC_IP' is not an IPv4 or IPv6 address"

[[ -d "$ROOT" ]] || die "--root $ROOT is not a directory"
ROOT="$(cd "$ROOT" && pwd -P)"
R="${ROOT%/}" # prefix for every path: "" when installing to /
REAL=0
if [[ -z "$R" ]]; then
  REAL=1
  [[ "$(id -u)" == 0 ]] || die "installing to / needs root: sudo $0 $ARGS"
else
  NO_START=1
fi

for f in tower-agent.service tower-hosts.service tower-hosts.path ensure-hosts; do
  [[ -f "$HERE/$f" ]] || die "$HERE/$f is missing: run this from the repository's deploy/pi (or a copy of all of it)"
done

# ------------------------------------------------------- which executable ---
pick_binary() {
  local arch
  if [[ -n "$BINARY" ]]; then
    [[ -f "$BINARY" ]] || die "--binary $BINARY does not exist"
    return 0
  fi
  if [[ -z "$DIST" ]]; then
    for DIST in "$HERE/dist" "$HERE/../../dist/pi" ""; do
      [[ -z "$DIST" || -d "$DIST" ]] && break
    done
    [[ -n "$DIST" ]] || die "no dist directory next to $HERE (nor the repository's dist/pi): run npm run build:pi, or pass --dist DIR or --binary PATH"
  fi
  [[ -d "$DIST" ]] || die "--dist $DIST is not a directory"
  arch="$MACHINE"
  if [[ -z "$arch" ]]; then
    arch="$(uname -m)"
    # A 32-bit Raspberry Pi OS often boots a 64-bit kernel: uname says
    # aarch64, but only 32-bit programs run.
    if [[ "$arch" == aarch64 && "$(getconf LONG_BIT 2>/dev/null || echo 64)" == 32 ]]; then
      log "machine: aarch64 kernel with a 32-bit userland: using the armv7l executable"
      arch=armv7l
    fi
  fi
  case "$arch" in
    aarch64 | arm64) BINARY="$DIST/tower-agent-linux-arm64" ;;
    armv7l | armv7 | armv8l) BINARY="$DIST/tower-agent-linux-armv7l" ;;
    *) BINARY="$DIST/tower-agent.cjs" ;;
  esac
  log "machine: $arch -> $(basename "$BINARY")"
  [[ -f "$BINARY" ]] || die "$BINARY is missing: run npm run build:pi, or pass --binary PATH"
}
pick_binary
BINARY="$(cd "$(dirname "$BINARY")" && pwd -P)/$(basename "$BINARY")"
MODE=exe
[[ "$BINARY" == *.cjs ]] && MODE=node

node_ok() { # prints the path of a node >= 18 on PATH
  local n v
  for n in node nodejs; do
    command -v "$n" >/dev/null 2>&1 || continue
    v="$("$n" --version 2>/dev/null)" || continue
    v="${v#v}"
    if ((${v%%.*} >= 18)); then command -v "$n"; return 0; fi
  done
  return 1
}
if [[ "$MODE" == node ]]; then
  if ((REAL)); then
    node_ok >/dev/null || die "$(basename "$BINARY") needs Node.js >= 18 on this machine (apt-get install nodejs), or pass --binary with a prebuilt executable"
  else
    log "node wrapper: the target needs Node.js >= 18 on its PATH"
  fi
fi

# ---------------------------------------------------------------- the NUC ---
if [[ -z "$NUC_IP" ]]; then
  # Keep the address the NUC has now: a hosts line for NAME, else nuc-host.
  while read -r a names; do
    [[ -z "$a" || "$a" == \#* ]] && continue
    names="${names%%#*}"
    for n in $names; do
      if [[ "${n,,}" == "${NUC_HOST,,}" ]] && valid_ip "$a"; then NUC_IP="$a"; break 2; fi
    done
  done < <(cat "$R/etc/hosts" 2>/dev/null; cat "$R/etc/tower/nuc-host" 2>/dev/null)
  [[ -n "$NUC_IP" ]] || die "--nuc-ip is required: $R/etc/hosts has no line for '$NUC_HOST' (the NUC's address, as in --nuc-ip 192.168.0.10)"
  log "NUC address: $NUC_IP (from the line already there for $NUC_HOST)"
fi

# ------------------------------------------------------------- manifest ---
# /etc/tower/installed.manifest, one entry a line, sorted:
#   file PATH     installed here; uninstall.sh removes it
#   config PATH   installed here; uninstall.sh removes it with --purge only
#   dir PATH      created here; uninstall.sh removes it when left empty
#   hosts IP NAME the line added to /etc/hosts; uninstall.sh removes that line
MANIFEST="$R/etc/tower/installed.manifest"
declare -A ENTRIES=()
if [[ -f "$MANIFEST" ]]; then
  while IFS= read -r line; do
    [[ -z "$line" || "$line" == \#* ]] || ENTRIES["$line"]=1
  done <"$MANIFEST"
fi
record() { ENTRIES["$*"]=1; }
CHANGED=0

# Creates DIR's missing parents under the root, recording each one created.
make_dir() {
  local dir="$1" missing=()
  while [[ -n "$dir" && "$dir" != / && ! -d "$R$dir" ]]; do
    missing=("$dir" ${missing[@]+"${missing[@]}"})
    dir="$(dirname "$dir")"
  done
  for dir in ${missing[@]+"${missing[@]}"}; do
    mkdir -m 755 "$R$dir"
    record dir "$dir"
  done
}

# put KIND MODE PATH SOURCE: installs SOURCE at PATH (under the root) unless
# PATH already holds the same bytes with that mode.
put() {
  local kind="$1" mode="$2" path="$3" src="$4" dest
  dest="$R$path"
  make_dir "$(dirname "$path")"
  record "$kind" "$path"
  if [[ -f "$dest" ]] && cmp -s "$src" "$dest" && [[ "$(stat -c %a "$dest")" == "${mode#0}" ]]; then
    log "already present: $dest"
    return 0
  fi
  install -m "$mode" "$src" "$dest.tower-new"
  mv -f "$dest.tower-new" "$dest"
  log "installed: $dest"
  CHANGED=1
}

# put_text KIND MODE PATH TEXT
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
put_text() {
  printf '%s' "$4" >"$TMP/text"
  put "$1" "$2" "$3" "$TMP/text"
}

# ------------------------------------------------------------ executable ---
if [[ "$MODE" == exe ]]; then
  put file 0755 /usr/local/bin/tower-agent "$BINARY"
  # Switched from the node wrapper to an executable: drop the old bundle.
  if [[ -n "${ENTRIES["file /usr/local/lib/tower/tower-agent.cjs"]+x}" ]]; then
    rm -f "$R/usr/local/lib/tower/tower-agent.cjs"
    unset 'ENTRIES["file /usr/local/lib/tower/tower-agent.cjs"]'
    log "removed: $R/usr/local/lib/tower/tower-agent.cjs (an executable replaces the node wrapper)"
    CHANGED=1
  fi
else
  put file 0644 /usr/local/lib/tower/tower-agent.cjs "$BINARY"
  wrapper="$(cat <<'EOF'
#!/bin/sh
# tower-agent: runs the agent bundle with this machine's Node.js (>= 18).
# Written by deploy/pi/install.sh, where no prebuilt executable fits.
self=$(readlink -f "$0" 2>/dev/null || echo "$0")
bundle="${self%/*}/../lib/tower/tower-agent.cjs"
for node in node nodejs; do
  version=$("$node" --version 2>/dev/null) || continue
  major=${version#v}
  major=${major%%.*}
  if [ "$major" -ge 18 ] 2>/dev/null; then exec "$node" "$bundle" "$@"; fi
done
echo "tower-agent: needs Node.js >= 18 on PATH (apt-get install nodejs)" >&2
exit 127
EOF
)"
  put_text file 0755 /usr/local/bin/tower-agent "$wrapper"$'\n'
fi

# ---------------------------------------------------------------- config ---
BROKERS="$NUC_HOST:9090,$NUC_HOST:9091,$NUC_HOST:9092"
AGENT_YAML="# tower-agent's options: any long flag name is a key (tower-agent run --help);
# a TOWER_<NAME> variable or a flag overrides a key. Written by
# deploy/pi/install.sh, which keeps this file as it is once it exists
# (install.sh --force rewrites it).
# The spool is not set here: under systemd it is \$STATE_DIRECTORY/spool,
# /var/lib/tower-agent/spool.
brokers: $BROKERS
topic: resource
# spool-max-mb: 64
# metrics-port: 9464
"
yaml="$R/etc/tower/agent.yaml"
if [[ -f "$yaml" && "$FORCE" == 0 ]]; then
  if [[ "$(cat "$yaml"; echo x)" == "${AGENT_YAML}x" ]]; then
    log "already present: $yaml"
  else
    log "kept: $yaml as it is (it differs from the default; --force rewrites it)"
    grep -q "$NUC_HOST:9090" "$yaml" || warn "$yaml does not name $NUC_HOST:9090: check its brokers, or run again with --force"
  fi
else
  put_text config 0644 /etc/tower/agent.yaml "$AGENT_YAML"
fi
put_text config 0644 /etc/tower/nuc-host "# The NUC's /etc/hosts line, re-added at boot by tower-hosts.service
# (/usr/local/lib/tower/ensure-hosts). Written by deploy/pi/install.sh.
$NUC_IP $NUC_HOST
"

# ------------------------------------------------------------ hosts line ---
put file 0755 /usr/local/lib/tower/ensure-hosts "$HERE/ensure-hosts"
ENSURE=(bash "$HERE/ensure-hosts" --hosts "$R/etc/hosts" --entry "$R/etc/tower/nuc-host")
if ! "${ENSURE[@]}" --check; then
  # This run adds the line: it is ours to remove (an older line of ours for
  # NAME, with another address, is replaced by it).
  for entry in "${!ENTRIES[@]}"; do
    if [[ "$entry" == hosts\ * && "${entry##* }" == "$NUC_HOST" ]]; then unset 'ENTRIES[$entry]'; fi
  done
  record hosts "$NUC_IP" "$NUC_HOST"
  CHANGED=1
fi
"${ENSURE[@]}" | sed 's/^/[install] /'

# ----------------------------------------------------------------- units ---
for unit in tower-agent.service tower-hosts.service tower-hosts.path; do
  put file 0644 "/etc/systemd/system/$unit" "$HERE/$unit"
done

# -------------------------------------------------------------- manifest ---
{
  echo "# What deploy/pi/install.sh added under this root; deploy/pi/uninstall.sh"
  echo "# removes exactly these (config entries only with --purge)."
  printf '%s\n' "${!ENTRIES[@]}" | LC_ALL=C sort
} >"$TMP/manifest"
if [[ -f "$MANIFEST" ]] && cmp -s "$TMP/manifest" "$MANIFEST"; then
  log "already present: $MANIFEST"
else
  mkdir -p "$R/etc/tower"
  cp "$TMP/manifest" "$MANIFEST"
  chmod 644 "$MANIFEST"
  log "recorded: $MANIFEST"
fi

if ((CHANGED)); then log "installed under $ROOT"; else log "nothing to change: all already present under $ROOT"; fi

# ---------------------------------------------------------- on this Pi ---
if ((REAL)); then
  log "tower-agent doctor --config /etc/tower/agent.yaml:"
  if timeout 120 /usr/local/bin/tower-agent doctor --config /etc/tower/agent.yaml 2>&1 | sed 's/^/    /'; [[ "${PIPESTATUS[0]}" == 0 ]]; then
    log "doctor: all checks passed"
  else
    warn "doctor found problems (above); the agent spools until they are fixed, installing on"
  fi
fi
if ((NO_START)); then
  if ((REAL)); then
    log "--no-start: run 'systemctl daemon-reload && systemctl enable --now tower-hosts.path tower-hosts.service tower-agent.service'"
  else
    log "not on /: on the Pi, run 'systemctl daemon-reload && systemctl enable --now tower-hosts.path tower-hosts.service tower-agent.service'"
  fi
  exit 0
fi
if [[ ! -d /run/systemd/system ]]; then
  warn "systemd is not running here: the units are installed but not started"
  exit 0
fi
WAS_ACTIVE=0
systemctl is-active --quiet tower-agent.service && WAS_ACTIVE=1
systemctl daemon-reload
systemctl enable --now tower-hosts.path tower-hosts.service tower-agent.service
# Already running from an earlier install: restart it on what changed.
if ((WAS_ACTIVE && CHANGED)); then
  systemctl restart tower-agent.service
  log "restarted tower-agent.service"
fi
systemctl --no-pager --lines=5 status tower-agent.service || true
