#!/usr/bin/env bash
# Removes what deploy/pi/install.sh added, as recorded in
# /etc/tower/installed.manifest: the executable, ensure-hosts, the systemd
# units, the /etc/hosts line it added (that line only; the rest of the file
# stays byte for byte) and the directories it created, when left empty.
# The config in /etc/tower and the spool stay unless --purge. See --help.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: uninstall.sh [--root DIR] [--purge]

Stops and disables tower-agent, tower-hosts.service and tower-hosts.path (on /
only), then removes what install.sh recorded in /etc/tower/installed.manifest,
including the /etc/hosts line it added and no other line.

  --root DIR   uninstall from under DIR instead of / (no systemctl)
  --purge      also remove /etc/tower (agent.yaml, nuc-host) and the spool,
               /var/lib/tower-agent (and /var/lib/private/tower-agent)
  -h, --help   this text
EOF
}

log() { echo "[uninstall] $*"; }
warn() { echo "[uninstall] WARNING: $*" >&2; }
die() { echo "[uninstall] ERROR: $*" >&2; exit 1; }

ROOT=/ PURGE=0
while (($#)); do
  case "$1" in
    --root) ROOT="${2:?--root needs a directory}"; shift 2 ;;
    --purge) PURGE=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ -d "$ROOT" ]] || die "--root $ROOT is not a directory"
ROOT="$(cd "$ROOT" && pwd -P)"
R="${ROOT%/}"
REAL=0
if [[ -z "$R" ]]; then
  REAL=1
  [[ "$(id -u)" == 0 ]] || die "uninstalling from / needs root: sudo $0"
fi

UNITS=(tower-agent.service tower-hosts.path tower-hosts.service)
# Stop first: tower-hosts.path would put the hosts line straight back.
if ((REAL)) && [[ -d /run/systemd/system ]]; then
  systemctl disable --now "${UNITS[@]}" 2>&1 | sed 's/^/[uninstall] /' || true
fi

MANIFEST="$R/etc/tower/installed.manifest"
FILES=() CONFIGS=() DIRS=() HOSTS=()
if [[ -f "$MANIFEST" ]]; then
  while read -r kind rest; do
    case "$kind" in
      file) FILES+=("$rest") ;;
      config) CONFIGS+=("$rest") ;;
      dir) DIRS+=("$rest") ;;
      hosts) HOSTS+=("$rest") ;;
      "" | \#*) ;;
      *) warn "$MANIFEST: unknown entry '$kind $rest', left alone" ;;
    esac
  done <"$MANIFEST"
else
  log "no $MANIFEST: nothing recorded to remove"
fi

# The /etc/hosts lines install.sh added: a line goes only when its address and
# names are exactly the recorded ones (a line changed since is left alone).
remove_hosts_line() {
  local ip="$1" name="$2" file="$R/etc/hosts" line body found=0 fields out=()
  [[ -f "$file" ]] || return 0
  while IFS= read -r line || [[ -n "$line" ]]; do
    body="${line%%#*}"
    read -r -a fields <<<"$body" || true
    if ((${#fields[@]} == 2)) && [[ "${fields[0],,}" == "${ip,,}" && "${fields[1],,}" == "${name,,}" ]]; then
      found=1
      continue
    fi
    out+=("$line")
  done <"$file"
  if ((found)); then
    # In place: the file keeps its inode, owner and mode.
    if ((${#out[@]} > 0)); then printf '%s\n' "${out[@]}" >"$file"; else : >"$file"; fi
    log "removed: '$ip $name' from $file"
  else
    log "not there: '$ip $name' in $file"
  fi
}
for entry in ${HOSTS[@]+"${HOSTS[@]}"}; do
  read -r ip name _ <<<"$entry"
  remove_hosts_line "$ip" "$name"
done

remove_file() {
  if [[ -e "$R$1" || -L "$R$1" ]]; then
    rm -f "$R$1"
    log "removed: $R$1"
  fi
}
for path in ${FILES[@]+"${FILES[@]}"}; do remove_file "$path"; done
if ((PURGE)); then
  for path in ${CONFIGS[@]+"${CONFIGS[@]}"}; do remove_file "$path"; done
else
  for path in ${CONFIGS[@]+"${CONFIGS[@]}"}; do
    [[ -e "$R$path" ]] && log "kept: $R$path (--purge removes it)"
  done
fi
[[ -f "$MANIFEST" ]] && rm -f "$MANIFEST"

if ((PURGE)); then
  for path in /etc/tower /var/lib/tower-agent /var/lib/private/tower-agent; do
    if [[ -e "$R$path" || -L "$R$path" ]]; then
      rm -rf "$R$path"
      log "purged: $R$path"
    fi
  done
fi

# Directories install.sh created, deepest first, only when empty.
if ((${#DIRS[@]} > 0)); then
  while IFS= read -r dir; do
    [[ -d "$R$dir" ]] && rmdir "$R$dir" 2>/dev/null && log "removed: $R$dir/"
  done < <(printf '%s\n' "${DIRS[@]}" | awk '{ print gsub("/", "/") "\t" $0 }' | sort -rn | cut -f2-)
fi

if ((REAL)) && [[ -d /run/systemd/system ]]; then
  systemctl daemon-reload
  systemctl reset-failed "${UNITS[@]}" 2>/dev/null || true
fi
log "done"
