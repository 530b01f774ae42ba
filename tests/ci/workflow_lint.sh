#!/usr/bin/env bash
# The GitHub workflows pass actionlint (ci/workflow-lint.sh), and the linter does find what is
# wrong: a workflow that reads an undefined job's output and names an unknown runner label fails
# with both findings, so a linter that passes everything cannot pass this test.
# Usage: tests/ci/workflow_lint.sh SOURCE_DIR BUILD_DIR   (the linter is installed under BUILD_DIR)
set -euo pipefail
source_dir=${1:?usage: workflow_lint.sh SOURCE_DIR BUILD_DIR}
build_dir=${2:?usage: workflow_lint.sh SOURCE_DIR BUILD_DIR}
export MAILDOG_WORKFLOW_LINT_DIR=$build_dir/workflow-lint
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

set +e
bash "$source_dir/ci/workflow-lint.sh"
status=$?
set -e
((status == 77)) && exit 77  # it said why
((status == 0)) || { echo "FAILED: the workflows have findings (above), or the linter failed (exit $status)"; exit 1; }

cat >"$tmp/broken.yml" <<'YML'
name: broken
on: push
permissions: {}
jobs:
  first:
    runs-on: ubuntu-24.04
    steps:
      - run: echo "${{ needs.zeroth.outputs.version }}"
  second:
    runs-on: ubuntu-24.04-x86
    steps:
      - run: 'true'
YML
set +e
bash "$source_dir/ci/workflow-lint.sh" "$tmp/broken.yml" >"$tmp/broken.out" 2>&1
status=$?
set -e
cat "$tmp/broken.out"
failures=0
((status == 1)) || { echo "FAILED: a broken workflow exits $status, not 1"; failures=1; }
grep -q 'broken.yml:8:.*property "zeroth" is not defined' "$tmp/broken.out" || { echo "FAILED: no finding for needs.zeroth"; failures=1; }
grep -q 'broken.yml:10:.*label "ubuntu-24.04-x86" is unknown' "$tmp/broken.out" || { echo "FAILED: no finding for the runner label"; failures=1; }
((failures == 0)) || exit 1
echo "the workflows pass actionlint, which finds what a broken workflow gets wrong"
