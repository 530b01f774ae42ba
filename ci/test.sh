#!/usr/bin/env bash
# The whole test suite, as CI runs it: install dependencies, build and test the optimised
# build (once more without the conformance data, as a fresh clone has it), then the ASan+UBSan
# build (clang), then 60 s of each libFuzzer target from that build. The packages (the portable
# tarball, the container image, the .deb; CTest label `package`) are built and tested once, from
# the ci build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install-deps.sh build scenarios test fuzz package examples
export MAILDOG_CONFORMANCE_DIR=${MAILDOG_CONFORMANCE_DIR:-$(cd .. && pwd)/shared/conformance}
[ -d "$MAILDOG_CONFORMANCE_DIR" ] || echo "ci/test: no conformance data at $MAILDOG_CONFORMANCE_DIR; those tests will skip"

echo "== build (ci preset)"
bash ci/build.sh ci
echo "== tests (ci preset)"
ctest --preset ci --parallel 2 --timeout 300
echo "== tests without conformance data (ci preset, as on a user's fresh clone)"
bash ci/test-without-conformance.sh ci

echo "== build (asan preset: clang, AddressSanitizer + UndefinedBehaviorSanitizer, fuzzers)"
bash ci/build.sh asan
echo "== tests (asan preset)"
ctest --preset asan --parallel 2 --timeout 600 --label-exclude "package|readme|examples|npm|api"   # the packages, the README, examples/, the tests needing npm and the API contract: once, from the ci build

echo "== fuzz (libFuzzer, ${MAILDOG_FUZZ_SECONDS:-60} s per target)"
bash ci/fuzz.sh
