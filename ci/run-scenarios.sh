#!/usr/bin/env bash
# The main job: install dependencies, build maildog-ci and run the bundled scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-deps.sh build scenarios
bash ci/build.sh release maildog-ci
exec build/release/src/cli/maildog-ci run scenarios/ "$@"
