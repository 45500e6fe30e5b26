#!/usr/bin/env bash
# What checking compose.yaml needs on a machine without Docker Compose, both
# from the Go module proxy, pinned, and cached under $TOWER_CACHE_DIR:
#
#   compose-tools.sh schema    prints the path of the Compose Specification
#                              JSON schema (compose-go's schema/compose-spec.json)
#   compose-tools.sh compose   prints the path of a docker-compose binary built
#                              from github.com/docker/compose/v2 (several minutes
#                              on 2 cores the first time)
#
# compose-go v2.9.1 is the version docker compose v2.40.3 is built with, so
# the schema and the binary judge a file alike.
#
# Environment:
#   TOWER_CACHE_DIR   cache root (default: $HOME/.cache/tower)
set -euo pipefail

COMPOSE_GO_VERSION=v2.9.1
COMPOSE_VERSION=v2.40.3
CACHE="${TOWER_CACHE_DIR:-$HOME/.cache/tower}"

die() { echo "compose-tools.sh: $*" >&2; exit 1; }

need_go() {
  command -v go >/dev/null || die "go is missing: install Go 1.24 or later (https://go.dev/dl or apt-get install golang)"
}

schema() {
  local dir="$CACHE/compose-spec/$COMPOSE_GO_VERSION" module_dir
  if [[ ! -s "$dir/compose-spec.json" ]]; then
    need_go
    # `go mod download` checks the module against the Go checksum database;
    # outside any go.mod (/), it takes module@version as it is.
    module_dir="$(cd / && GOFLAGS=-mod=mod go mod download -json \
      "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [[ -s "$module_dir/schema/compose-spec.json" ]] ||
      die "compose-go $COMPOSE_GO_VERSION has no schema/compose-spec.json (module dir: '${module_dir}')"
    mkdir -p "$dir"
    cp "$module_dir/schema/compose-spec.json" "$dir/compose-spec.json.tmp"
    mv "$dir/compose-spec.json.tmp" "$dir/compose-spec.json"
  fi
  echo "$dir/compose-spec.json"
}

compose() {
  local dir="$CACHE/docker-compose/$COMPOSE_VERSION"
  if [[ ! -x "$dir/docker-compose" ]]; then
    need_go
    mkdir -p "$dir"
    exec 9>"$dir/.lock"
    flock 9
    if [[ ! -x "$dir/docker-compose" ]]; then
      # `go install …@version` refuses modules whose go.mod has exclude
      # directives, as docker/compose's has: build it from a module that
      # requires it and repeats them.
      # A global, not a local: the EXIT trap runs after this function has returned.
      BUILD_DIR="$(mktemp -d)"
      trap 'rm -rf "$BUILD_DIR"' EXIT
      cat >"$BUILD_DIR/go.mod" <<MOD
module tower.local/compose-build

go 1.24

require github.com/docker/compose/v2 $COMPOSE_VERSION

exclude (
	github.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc
	github.com/pmezard/go-difflib v1.0.1-0.20181226105442-5d4384ee4fb2
)
MOD
      echo "compose-tools.sh: building docker compose $COMPOSE_VERSION from the Go module proxy (once; minutes)" >&2
      (cd "$BUILD_DIR" && GOFLAGS=-mod=mod go get "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION" >&2 &&
        CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
          -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
          -o "$dir/docker-compose.tmp" github.com/docker/compose/v2/cmd >&2) ||
        die "could not build docker compose $COMPOSE_VERSION (see the go output above)"
      mv "$dir/docker-compose.tmp" "$dir/docker-compose"
      rm -rf "$BUILD_DIR"
      trap - EXIT
    fi
  fi
  echo "$dir/docker-compose"
}

case "${1:-}" in
  schema) schema ;;
  compose) compose ;;
  -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "usage: compose-tools.sh schema|compose (see --help)" ;;
esac
