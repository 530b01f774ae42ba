#!/usr/bin/env bash
# The HTTP API contract test: installs the pinned OpenAPI validator and Ajv of
# tests/api/package-lock.json with `npm ci` into MAILDOG_API_TEST_DIR (default build/api-contract;
# once per lockfile: only that needs the npm registry, nothing at build time), then runs
# tests/api/contract.mjs there: schemas/api.openapi.json through the validator, and the real
# responses of every route of the built binary's `serve` against the document.
# Needs node (18 or newer) and npm: the `test` set of ci/packages.txt. Where they are missing, or
# npm cannot reach its registry, it exits 77 (CTest: skipped) after saying why, except in CI
# (CI=true), where that is a failure.
# Usage: tests/api/run.sh [--binary PATH]   (PATH defaults to build/ci/src/cli/maildog-ci)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/tests/api
install=${MAILDOG_API_TEST_DIR:-$root/build/api-contract}
binary=$root/build/ci/src/cli/maildog-ci
usage="usage: tests/api/run.sh [--binary PATH]"
while (($#)); do
  case $1 in
    --binary) binary=${2:?$usage}; shift ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done

# Skipped on a user's machine without the tools; a failure in CI, which installs them.
unavailable() {
  echo "tests/api: $1"
  [[ ${CI:-} == true ]] && exit 1
  exit 77
}

[[ -x $binary ]] || { echo "tests/api: no maildog-ci binary at $binary (bash ci/build.sh ci maildog-ci, or --binary PATH)"; exit 2; }
for tool in node npm; do
  command -v "$tool" >/dev/null || unavailable "$tool is not installed: bash ci/install-deps.sh test (Debian's nodejs and npm)"
done
major=$(node -p 'process.versions.node.split(".")[0]')
((major >= 18)) || unavailable "node $(node --version) is older than 18 (Debian 12's)"

# Installed once per lockfile (ci/npm-ci-once.sh). The test's files sit beside the node_modules
# they import.
mkdir -p "$install"
cp "$here/package.json" "$here/package-lock.json" "$here"/*.mjs "$install/"
status=0
bash "$root/ci/npm-ci-once.sh" "$install" || status=$?
if ((status == 75)); then
  unavailable "npm cannot reach its registry ($(npm config get registry)): the API contract is not checked"
elif ((status != 0)); then
  echo "tests/api: npm ci failed (above)"
  exit 1
fi

echo "tests/api: node $(node --version), $binary"
exec node "$install/contract.mjs" --binary "$binary" --document "$root/schemas/api.openapi.json"
