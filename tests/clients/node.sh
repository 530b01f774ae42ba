#!/usr/bin/env bash
# Runs clients/node's tests (node --test) against a built maildog-ci: @maildog-ci/testing starts
# serve, makes sandboxes and sends with nodemailer; the README's node:test example runs as printed.
# Installs the dev dependencies of clients/node/package-lock.json (nodemailer, typescript,
# @types/node) with `npm ci` into clients/node/node_modules, once per lockfile (a stamp holds its
# hash): only that needs the npm registry. MAILDOG_NODE picks the node to test with (default:
# node on PATH; CI has Debian 12's Node 18).
# Exits 77 (CTest skip) when node or npm is missing or npm cannot reach its registry, except in
# CI (CI=true), where that is a failure.
# Usage: tests/clients/node.sh SOURCE_DIR MAILDOG_CI_BINARY [TEST_FILE...]
set -euo pipefail
usage="usage: tests/clients/node.sh SOURCE_DIR MAILDOG_CI_BINARY [TEST_FILE...]"
source_dir=$(cd "${1:?$usage}" && pwd)
binary=${2:?$usage}
shift 2
client=$source_dir/clients/node
node=${MAILDOG_NODE:-node}

skip() {  # skip WHY: a skip here, a failure in CI
  if [[ ${CI:-} == true ]]; then
    echo "FAILED: $1 (in CI the toolchain must be there: bash ci/install-deps.sh test)"
    exit 1
  fi
  echo "SKIPPED: $1"
  exit 77
}

[[ -x $binary ]] || { echo "FAILED: no maildog-ci at $binary"; exit 1; }
binary=$(realpath "$binary")  # the tests run in clients/node
command -v "$node" >/dev/null || skip "$node is not installed (ci/packages.txt: nodejs, test set)"
command -v npm >/dev/null || skip "npm is not installed (ci/packages.txt: npm, test set)"
major=$("$node" -p 'process.versions.node.split(".")[0]')
((major >= 18)) || { echo "FAILED: $node is Node $major; @maildog-ci/testing needs 18 or newer"; exit 1; }

status=0
bash "$source_dir/ci/npm-ci-once.sh" "$client" || status=$?
if ((status == 75)); then
  skip "npm cannot reach its registry ($(npm config get registry)): clients/node's dev dependencies are missing"
elif ((status != 0)); then
  echo "FAILED: npm ci in clients/node (above)"
  exit 1
fi

files=("$@")
if ((${#files[@]} == 0)); then
  files=("$client"/test/*.test.js)
fi
echo "tests/clients/node: $("$node" --version), maildog-ci $("$binary" --version | head -1)"
cd "$client"
export MAILDOG_CI=$binary
unset MAILDOG_SERVE_URL MAILDOG_API_TOKEN MAILDOG_CONFIG
exec "$node" --test "${files[@]}"
