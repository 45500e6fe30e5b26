# shellcheck shell=bash
# Chronograf's web UI (ui/build), built from the UI source in Chronograf's Go
# module, sourced by chronograf.sh.  The UI wants Node 16 and yarn 1 (the
# module's .nvmrc); both come from the npm registry as packages, so nothing
# is installed system-wide.  The module's yarn.lock names
# registry.yarnpkg.com, which may be unreachable; its URLs are rewritten to
# the registry npm uses.  node-sass compiles from source against the Node 16
# headers (python3, make, g++).
#
# Cached in $CHRONO_CACHE: the Node 16 and yarn packages (toolchain/) and
# yarn's package cache (yarn-cache/, ~800 MB, kept so that a failed build
# can be retried without downloading again).  node_modules (~650 MB) lives
# in the build's work directory and goes with it.
#
# Needs from chronograf.sh: CHRONO_CACHE, CHRONOGRAF_VERSION, BUILD_LOG, log,
# die, build_failed, apt_need.

readonly UI_NODE_VERSION="16.20.2"
readonly UI_YARN_VERSION="1.22.22"
readonly UI_TOOLCHAIN="$CHRONO_CACHE/toolchain"

ui_node_arch() {
  case $(uname -m) in
    x86_64) echo x64 ;;
    aarch64) echo arm64 ;;
    armv7l) echo armv7l ;;
    *) die "no Node $UI_NODE_VERSION package for $(uname -m): Chronograf's UI cannot be built here" ;;
  esac
}

# npm_unpack PACKAGE@VERSION DIR: the package's files in DIR/package.
npm_unpack() {
  local spec=$1 dir=$2 tarball
  [[ -d $dir/package ]] && return 0
  mkdir -p "$dir.tmp"
  tarball=$(cd "$dir.tmp" && npm pack --silent "$spec" 2>>"$BUILD_LOG") || build_failed "npm pack $spec"
  tar -xzf "$dir.tmp/$tarball" -C "$dir.tmp" || build_failed "unpacking $spec"
  rm -f "$dir.tmp/$tarball"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
}

ui_toolchain() {
  local arch
  arch=$(ui_node_arch)
  log "UI toolchain: Node $UI_NODE_VERSION ($arch) and yarn $UI_YARN_VERSION from the npm registry"
  npm_unpack "node-linux-$arch@$UI_NODE_VERSION" "$UI_TOOLCHAIN/node-$UI_NODE_VERSION-$arch"
  npm_unpack "yarn@$UI_YARN_VERSION" "$UI_TOOLCHAIN/yarn-$UI_YARN_VERSION"
  UI_NODE_DIR="$UI_TOOLCHAIN/node-$UI_NODE_VERSION-$arch/package"
  UI_YARN="$UI_TOOLCHAIN/yarn-$UI_YARN_VERSION/package/bin/yarn.js"
  "$UI_NODE_DIR/bin/node" --version >/dev/null 2>&1 || die "the Node $UI_NODE_VERSION package does not run on this machine"
}

# ui_yarn ARGS...: yarn 1 on Node 16, with the environment the build needs.
ui_yarn() {
  env PATH="$UI_NODE_DIR/bin:$PATH" \
    npm_config_nodedir="$UI_NODE_DIR" \
    YARN_CACHE_FOLDER="$CHRONO_CACHE/yarn-cache" \
    CYPRESS_INSTALL_BINARY=0 \
    SKIP_SASS_BINARY_DOWNLOAD_FOR_CI=true \
    PUPPETEER_SKIP_DOWNLOAD=true \
    JOBS=max \
    "$UI_NODE_DIR/bin/node" "$UI_YARN" "$@"
}

# build_chronograf_ui SRC GIT_SHA: make SRC/ui/build from the module copy SRC.
build_chronograf_ui() {
  local src=$1 git_sha=$2 registry start
  apt_need python3 python3
  apt_need make make
  apt_need g++ g++
  ui_toolchain
  registry=$(npm config get registry)
  registry=${registry%/}
  sed -i "s#https://registry.yarnpkg.com#$registry#g" "$src/yarn.lock"
  start=$(date +%s)
  log "yarn install of the UI's packages from $registry (about 6 min on 2 cores)"
  (cd "$src" && ui_yarn install --frozen-lockfile --non-interactive --no-progress --registry "$registry/") \
    >>"$BUILD_LOG" 2>&1 || build_failed "yarn install of Chronograf's UI"
  log "yarn install took $(elapsed "$start")"
  start=$(date +%s)
  log "parcel build of the UI (about 5 min on 2 cores)"
  (cd "$src/ui" && APP_VERSION="$CHRONOGRAF_VERSION" GIT_SHA="$git_sha" ui_yarn parcel build --log-level error) \
    >>"$BUILD_LOG" 2>&1 || build_failed "parcel build of Chronograf's UI"
  [[ -f $src/ui/build/index.html ]] || build_failed "parcel build (no ui/build/index.html)"
  # Source maps are 25 of the 33 MB and no browser of the lab needs them.
  find "$src/ui/build" -name '*.map' -delete
  log "parcel build took $(elapsed "$start")"
}
