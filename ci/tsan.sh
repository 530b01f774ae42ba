#!/usr/bin/env bash
# The whole test suite under ThreadSanitizer (the tsan preset): races in the server's, the HTTP
# API's and the runner's threads. Slower than the other passes, so not part of .ci/run.
# Ends with CTest's summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
export MAILDOG_CONFORMANCE_DIR=${MAILDOG_CONFORMANCE_DIR:-$(cd .. && pwd)/shared/conformance}
[ -d "$MAILDOG_CONFORMANCE_DIR" ] || echo "ci/tsan: no conformance data at $MAILDOG_CONFORMANCE_DIR; those tests will skip"

echo "== build (tsan preset: ThreadSanitizer)"
bash ci/build.sh tsan
echo "== tests (tsan preset)"
ctest --preset tsan --parallel 2 --timeout 900
