#!/usr/bin/env bash
# Configures and builds one CMake preset (dev, ci, asan, tsan, release, bench) with ccache when present.
set -euo pipefail
preset=${1:?usage: ci/build.sh PRESET [TARGET...]}
shift
cd "$(dirname "$0")/.."
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/maildog-ccache}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
# Hits across clones and worktrees in other folders (CI builds a fresh clone): the folder is left
# out of the hash, so a cached object's debug info may name another clone's folder.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
cmake --preset "$preset" >/dev/null
# Two cores and heavy Asio translation units: two jobs is the sweet spot.
cmake --build --preset "$preset" --parallel "${MAILDOG_JOBS:-2}" ${1:+--target "$@"}
