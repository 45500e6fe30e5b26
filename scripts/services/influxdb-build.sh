# shellcheck shell=bash
# Builds influxd (InfluxDB 2.x OSS) from source, sourced by influxdb.sh: the
# module from the Go module proxy, flux's Rust library libflux with the
# machine's cargo (cached per flux version in $INFLUX_CACHE/libflux-<v>),
# no UI assets. influxdb.sh's cmd_install runs build_influxd through
# install_locked (lib.sh), which moves the result into the cache.
#
# Needs from influxdb.sh and lib.sh: INFLUX_VERSION, INFLUX_CACHE,
# BUILD_LOG, need_runtime_tools, apt_need, log, die, build_failed.

readonly INFLUX_MODULE="github.com/influxdata/influxdb/v2"
readonly FLUX_MODULE="github.com/influxdata/flux"
readonly GO_TAGS="sqlite_foreign_keys,sqlite_json,noasm"

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
  log "building influxd $INFLUX_VERSION ($(go version | cut -d' ' -f3), $(cargo --version | cut -d' ' -f1-2)); build log: $BUILD_LOG"
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
