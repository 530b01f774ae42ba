#!/usr/bin/env bash
# Every benchmark in one command: installs the peers (bench/deps.sh), builds the bench
# preset (the release build plus the benchmark programs), runs each bench script (each prints its own table), then prints one table of ratios
# against the targets with the machine and the date. Scripts report through the file named by
# MAILDOG_BENCH_SUMMARY, one line per target, tab-separated:
#   benchmark <TAB> ours <TAB> peer <TAB> ratio <TAB> target <TAB> met|not met
# Usage: bench/run.sh   (as root for the peers; MAILDOG_BENCH_BUILD=DIR uses a build already
# made in DIR instead of building build/bench)
# Exit status: 1 when a script failed to run; targets not met are reported, not failures.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
child=
trap 'rm -rf "$work"' EXIT
# timeout puts each script in a process group of its own, away from Ctrl-C: pass it on.
trap '[ -z "$child" ] || kill -TERM "$child" 2>/dev/null; wait; exit 130' INT TERM
export MAILDOG_BENCH_SUMMARY=$work/summary.tsv
: > "$MAILDOG_BENCH_SUMMARY"

if [ -f bench/deps.sh ]; then
  bash bench/deps.sh
else
  echo "bench/deps.sh is not there: peers not installed, benchmarks that need them may skip"
fi
build=${MAILDOG_BENCH_BUILD:-build/bench}
if [ -z "${MAILDOG_BENCH_BUILD:-}" ]; then
  bash ci/build.sh bench maildog-ci bench_dkim_verify
fi
binary=$build/src/cli/maildog-ci
# The portable tarball of that same build, for bench/package.sh.
if [ -f ci/package.sh ]; then
  bash ci/package.sh --build-dir "$build" || echo "ci/package.sh failed: bench/package.sh will say what is missing"
fi

# name, time limit in seconds, script, its argument
benchmarks=(
  "dkim_verify 600 bench/dkim_verify.sh $build/bench/bench_dkim_verify"
  "scenario_overhead 600 bench/scenario_overhead.sh $binary"
  "intake 3600 bench/intake.sh $binary"
  "memory 600 bench/memory.sh $binary"
  "startup 600 bench/startup.sh $binary"
  "package 600 bench/package.sh $build"
)
failed=()
for entry in "${benchmarks[@]}"; do
  read -r name limit script argument <<< "$entry"
  echo
  echo "=== $name ($script) ==="
  if [ ! -f "$script" ]; then
    echo "SKIPPED: $script is not there yet"
    printf '%s\t-\t-\t-\t-\tskipped (no %s)\n' "$name" "$script" >> "$MAILDOG_BENCH_SUMMARY"
    continue
  fi
  # timeout signals the script's whole process group, so its traps stop the servers it started.
  timeout -k 30 "$limit" bash "$script" "$argument" &
  child=$!
  if ! wait "$child"; then
    echo "FAILED: $script (exit status above, or over its ${limit}s limit)"
    printf '%s\t-\t-\t-\t-\tfailed to run\n' "$name" >> "$MAILDOG_BENCH_SUMMARY"
    failed+=("$name")
  fi
  child=
done

echo
echo "=== summary ==="
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
  "$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r)," \
  "load $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), build: $build"
echo "| benchmark | ours | peer | ratio | target | result |"
echo "| --- | --- | --- | --- | --- | --- |"
awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$MAILDOG_BENCH_SUMMARY"
awk -F'\t' '$6 == "met" {met++} $6 == "not met" {missed++}
  END {printf "%d targets met, %d not met\n", met, missed}' "$MAILDOG_BENCH_SUMMARY"
if ((${#failed[@]})); then
  echo "failed to run: ${failed[*]}"
  exit 1
fi
