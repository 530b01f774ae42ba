#!/usr/bin/env bash
# `npm ci` in a folder once per package-lock.json: a stamp in its node_modules holds the
# lockfile's hash, so runs after the first install nothing. Used by ci/run-examples.sh and the
# tests that need npm packages (tests/api/run.sh, tests/clients/node.sh).
# Usage: ci/npm-ci-once.sh DIR
# Exit: 0 installed (now or before); 75 npm could not reach its registry (its output printed);
# 1 npm ci failed otherwise (its output printed).
set -euo pipefail

dir=$1
stamp=$dir/node_modules/.maildog-lock.sha256
hash=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
[[ -f $stamp && $(<"$stamp") == "$hash" ]] && exit 0
echo "npm ci in $dir"
if ! log=$(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error 2>&1); then
  echo "$log"
  if grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|network|proxy' <<<"$log"; then
    exit 75
  fi
  exit 1
fi
echo "$hash" >"$stamp"
