#!/usr/bin/env bash
# The scripts of the action, the packages, the release and the examples pass shellcheck (every warning, info included).
# Usage: tests/ci/shellcheck.sh SOURCE_DIR
set -euo pipefail
source_dir=${1:?usage: shellcheck.sh SOURCE_DIR}
command -v shellcheck >/dev/null || { echo "SKIPPED: shellcheck is not installed (ci/packages.txt: shellcheck, in the test set)"; exit 77; }
cd "$source_dir"
scripts=(ci/action/*.sh ci/changelog-section.sh ci/workflow-lint.sh ci/container.sh tests/ci/container_image.sh
         tests/ci/action_download.sh tests/ci/changelog_section.sh tests/ci/workflow_lint.sh tests/ci/shellcheck.sh
         ci/deb.sh packaging/debian-changelog.sh tests/ci/deb_build.sh tests/ci/deb_install.sh tests/ci/install_tree.sh
         ci/package.sh tests/ci/package_empty_root.sh bench/package.sh ci/run-examples.sh examples/postfix-relay/write-config.sh
         tests/ci/run_examples_skip.sh tests/clients/python.sh tests/clients/node.sh tests/api/run.sh ci/npm-ci-once.sh bench/serve_slow_clients.sh
         bench/lib.sh bench/intake.sh bench/memory.sh bench/startup.sh bench/scenario_overhead.sh bench/dkim_verify.sh
         bench/run.sh bench/deps.sh ci/format-check.sh tests/ci/format_check.sh
         tests/record/postfix_upstream.sh)
shellcheck --shell=bash --severity=info "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
