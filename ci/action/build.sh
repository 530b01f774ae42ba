#!/usr/bin/env bash
# The action's build step: maildog-ci (release, tool only) from MAILDOG_SOURCE into
# MAILDOG_CACHE/bin, skipped when the cached binary was built from the same MAILDOG_CACHE_KEY.
# ccache lives in the cache too, so a changed source rebuilds only what changed.
# Outputs: binary. Adds the binary's folder to GITHUB_PATH for later steps.
set -euo pipefail

source_dir=${MAILDOG_SOURCE:?}
cache=${MAILDOG_CACHE:?}
key=${MAILDOG_CACHE_KEY:?}
binary=$cache/bin/maildog-ci
stamp=$cache/bin/source-key

if [[ -x $binary && -f $stamp && $(<"$stamp") == "$key" ]]; then
  echo "ci/action/build: cached build for $key"
else
  export CCACHE_DIR=$cache/ccache CCACHE_BASEDIR=$source_dir CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-400M}
  build_dir=${RUNNER_TEMP:-/tmp}/maildog-ci-build
  # Quiet when it works; all of it when it does not (CMake names a missing package on stdout).
  configure_log=${RUNNER_TEMP:-/tmp}/maildog-ci-configure.log
  if ! cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMAILDOG_BUILD_TESTS=OFF \
    -DMAILDOG_BUILD_BENCH=OFF >"$configure_log" 2>&1; then
    cat "$configure_log" >&2
    echo "ci/action/build: configuring maildog-ci failed (above); ci/action/install.sh installs what it needs" >&2
    exit 1
  fi
  cmake --build "$build_dir" --target maildog-ci --parallel "$(nproc)"
  mkdir -p "$cache/bin"
  cp "$build_dir/src/cli/maildog-ci" "$binary"
  echo "$key" >"$stamp"
fi
"$binary" --version
echo "binary=$binary" >>"${GITHUB_OUTPUT:-/dev/stdout}"
if [[ -n ${GITHUB_PATH-} ]]; then
  echo "$cache/bin" >>"$GITHUB_PATH"
fi
