#!/usr/bin/env bash
# Builds the fuzzers (they live in the `asan` preset: clang, libFuzzer, ASan+UBSan) and runs each
# target in fuzz/ for MAILDOG_FUZZ_SECONDS (60 in CI) on a copy of its seed corpus, two at a
# time (MAILDOG_FUZZ_JOBS); fails if any target finds a crash, a leak, a timeout or UB.
# A failing target's inputs and log are kept under build/asan/fuzz-findings/<target>/; a fixed
# finding goes into fuzz/corpus/<target>/ as a regression seed. The seed is fixed (MAILDOG_FUZZ_SEED,
# default 1) so a red CI run can be repeated; longer local runs should vary it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${MAILDOG_FUZZ_SECONDS:-60}
jobs=${MAILDOG_FUZZ_JOBS:-2}
seed=${MAILDOG_FUZZ_SEED:-1}
# Targets to leave out of a local run, space-separated (each is named as skipped).
skip=${MAILDOG_FUZZ_SKIP:-}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

bash ci/build.sh asan maildog_fuzz_targets

bin=build/asan/fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One target: prints one line; a failure leaves "$work/<target>.failed".
fuzz_one() {
  local target=$1 corpus="$work/corpus/$1" artifacts="$work/artifacts/$1/" log="$work/$1.log"
  mkdir -p "$corpus" "$artifacts"
  cp -R "fuzz/corpus/$target/." "$corpus"
  local status=0
  "$bin/fuzz_$target" -seed="$seed" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$artifacts" -print_final_stats=1 "$corpus" >"$log" 2>&1 || status=$?
  local execs runs
  execs=$(sed -n 's/.*stat::average_exec_per_sec: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  runs=$(sed -n 's/.*stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  if [[ $status -eq 0 ]]; then
    printf 'fuzz %-20s ok     %8s exec/s  %10s runs\n' "$target" "${execs:-?}" "${runs:-?}"
    return
  fi
  local kept=build/asan/fuzz-findings/$target
  mkdir -p "$kept"
  cp -R "$artifacts". "$kept"
  cp "$log" "$kept/fuzz.log"
  printf 'fuzz %-20s FAILED (exit %d); inputs and log in %s\n' "$target" "$status" "$kept"
  grep -m 3 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error:' "$log" | sed 's/^/    /' || true
  touch "$work/$target.failed"
}

targets=()
for seeds in fuzz/corpus/*/; do
  target=$(basename "$seeds")
  if [[ " $skip " == *" $target "* ]]; then
    echo "fuzz $target SKIPPED (MAILDOG_FUZZ_SKIP)"
    continue
  fi
  targets+=("$target")
done
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, ${jobs} at a time, seed ${seed}"
running=0
for target in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n
    running=$((running - 1))
  fi
  fuzz_one "$target" &
  running=$((running + 1))
done
wait

failed=()
for target in "${targets[@]}"; do
  [[ -e "$work/$target.failed" ]] && failed+=("$target")
done
if ((${#failed[@]})); then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets clean"
