#!/usr/bin/env bash
# Configures and builds one CMake preset (dev, ci, asan, tsan, release) with ccache when present.
set -euo pipefail
preset=${1:?usage: ci/build.sh PRESET [TARGET...]}
shift
cd "$(dirname "$0")/.."
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/maildog-ccache}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
cmake --preset "$preset" >/dev/null
# Two cores and heavy Asio translation units: two jobs is the sweet spot.
cmake --build --preset "$preset" --parallel "${MAILDOG_JOBS:-2}" ${1:+--target "$@"}
