#!/usr/bin/env bash
# ci/run-examples.sh with the node and php toolchains hidden (a PATH without them): on a user's
# machine each such example is skipped visibly ("skipped: NAME (why)") and, with none left to
# run, it exits 77; in CI (CI=true) the same missing toolchain is a failure (exit 1).
# Usage: tests/ci/run_examples_skip.sh SOURCE_DIR MAILDOG_CI_BINARY
set -euo pipefail
source_dir=${1:?usage: run_examples_skip.sh SOURCE_DIR MAILDOG_CI_BINARY}
binary=${2:?usage: run_examples_skip.sh SOURCE_DIR MAILDOG_CI_BINARY}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
# Only what the script itself needs: no node, no php.
for tool in bash dirname basename date awk getent cut sha256sum; do
  ln -s "$(command -v "$tool")" "$bin/$tool"
done
failures=0
check() {  # check WHAT EXPECTED_STATUS EXPECTED_LINE... -- COMMAND...
  local what=$1 expected=$2 out status=0 line
  shift 2
  local lines=()
  while [[ $1 != -- ]]; do lines+=("$1"); shift; done
  shift
  out=$("$@" 2>&1) || status=$?
  if ((status != expected)); then
    echo "FAILED: $what: exit $status, expected $expected; output:"; echo "$out"; failures=$((failures + 1)); return
  fi
  for line in "${lines[@]}"; do
    grep -qxF -- "$line" <<<"$out" || { echo "FAILED: $what: no line '$line' in:"; echo "$out"; failures=$((failures + 1)); return; }
  done
  echo "ok: $what"
}
script=$source_dir/ci/run-examples.sh
check "a user's machine skips each example whose toolchain is missing, visibly, and exits 77" 77 \
  "skipped: node-nodemailer (node not found)" "skipped: php-phpmailer (php not found)" -- \
  env -u CI PATH="$bin" bash "$script" --binary "$binary" node-nodemailer php-phpmailer
check "in CI a missing toolchain fails" 1 \
  "FAILED: node-nodemailer cannot run in CI (node not found)" -- \
  env CI=true PATH="$bin" bash "$script" --no-install --binary "$binary" node-nodemailer
check "an unknown example is named" 77 "skipped: no-such-stack (no folder examples/no-such-stack)" -- \
  env -u CI PATH="$bin" bash "$script" --binary "$binary" no-such-stack
((failures == 0)) || exit 1
echo "ci/run-examples.sh skips visibly on a user's machine and fails in CI"
