#!/usr/bin/env bash
# Package: what the portable tarball (ci/package.sh: a static launcher, the real executable, its
# loader and libraries bundled) costs against the same build run the usual way, dynamically
# linked to the host's libraries. Measures the size on disk (the .tar.gz; the unpacked folder;
# the dynamic binary stripped plus every library ldd names, loose and as a .tar.gz), the median
# wall time of 20 `--version` start-ups, and the median of 10 runs of one bundled client-only
# scenario (scenarios/auth_required.yaml); prints tarball/dynamic ratios. The two are timed in
# turns, so the machine's noise falls on both alike.
# Usage: bench/package.sh [BUILD_DIR] [TARBALL]
#   BUILD_DIR  the build both come from (default build/ci): its src/cli/maildog-ci is the dynamic
#              binary, and its package/ holds the tarball `bash ci/package.sh --build-dir BUILD_DIR`
#              writes (maildog-ci-VERSION-linux-ARCH.tar.gz)
#   TARBALL    another tarball to measure instead
# With MAILDOG_BENCH_SUMMARY=FILE, appends one tab-separated line per measure (bench/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
build=${1:-build/ci}
binary=$build/src/cli/maildog-ci
[ -x "$binary" ] || { echo "no dynamic binary at $binary: bash ci/build.sh ${build#build/} maildog-ci" >&2; exit 2; }
tarball=${2:-}
if [ -z "$tarball" ]; then
  for candidate in "$build"/package/maildog-ci-*-linux-"$(uname -m)".tar.gz; do
    [ -f "$candidate" ] && tarball=$candidate
  done
fi
if [ -z "$tarball" ] || [ ! -f "$tarball" ]; then
  echo "no tarball ${tarball:-in $build/package/}: bash ci/package.sh --build-dir $build" >&2; exit 2
fi
for tool in strip ldd tar gzip du; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (binutils, libc-bin, tar, gzip, coreutils)" >&2; exit 2; }
done
scenario=scenarios/auth_required.yaml
[ -f "$scenario" ] || { echo "$scenario is missing: it is the client-only scenario this bench runs" >&2; exit 2; }
version_runs=20
scenario_runs=10
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- size on disk
mkdir "$work/tarball" "$work/dynamic"
tar -xzf "$tarball" -C "$work/tarball"
folder=$(find "$work/tarball" -mindepth 1 -maxdepth 1 -type d | head -n 1)
launcher=$folder/bin/maildog-ci
[ -x "$launcher" ] || { echo "$tarball holds no bin/maildog-ci under one folder" >&2; exit 1; }
tar_gz=$(stat -c %s "$tarball")
unpacked=$(du -sb "$folder" | cut -f 1)
# What the tarball holds beyond the executable and its libraries.
gconv_bytes=$(du -sb "$folder/lib/maildog-ci/gconv" 2>/dev/null | cut -f 1 || echo 0)
launcher_bytes=$(stat -c %s "$launcher")

# The dynamic build as it would ship: the stripped binary and every library the loader maps
# (ldd's "=> /path" lines and the loader itself), each copied once, then gzipped like the tarball.
mkdir "$work/dynamic/bin" "$work/dynamic/lib"
strip --strip-all -o "$work/dynamic/bin/maildog-ci" "$binary"
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u > "$work/libs.txt"
[ -s "$work/libs.txt" ] || { echo "ldd named no library for $binary: is it a dynamic build?" >&2; exit 1; }
while read -r lib; do cp -L "$lib" "$work/dynamic/lib/"; done < "$work/libs.txt"
lib_count=$(wc -l < "$work/libs.txt")
dynamic_unpacked=$(du -sb "$work/dynamic" | cut -f 1)
# gzip -9n, as ci/package.sh compresses the tarball.
tar -cf - -C "$work" dynamic | gzip -9n > "$work/dynamic.tar.gz"
dynamic_gz=$(stat -c %s "$work/dynamic.tar.gz")

# --- start-up and one scenario, in turns
# Runs "$@" once (bounded, bench/lib.sh), fails on a failed run; prints its wall time in microseconds.
time_once() { time_us "$work/out.txt" "$@" || exit 1; }
# The report must say the scenario passed, or its time means nothing.
passed() { tail -n 1 "$work/out.txt" | grep -q "^1 passed, 0 failed$" || { echo "$1: $scenario did not pass:" >&2; cat "$work/out.txt" >&2; exit 1; }; }

# Both must be the same build, or the comparison is of two programs.
"$launcher" --version > "$work/v1.txt"
"$binary" --version > "$work/v2.txt"
cmp -s "$work/v1.txt" "$work/v2.txt" || echo "note: the two report different versions: $(cat "$work/v1.txt") / $(cat "$work/v2.txt")"

: > "$work/version.tarball"; : > "$work/version.dynamic"
for _ in $(seq "$version_runs"); do
  time_once "$launcher" --version >> "$work/version.tarball"
  time_once "$binary" --version >> "$work/version.dynamic"
done
: > "$work/run.tarball"; : > "$work/run.dynamic"
for _ in $(seq "$scenario_runs"); do
  time_once "$launcher" run "$scenario" --no-color >> "$work/run.tarball"; passed tarball
  time_once "$binary" run "$scenario" --no-color >> "$work/run.dynamic"; passed dynamic
done
ms() { median < "$1" | awk '{printf "%.1f", $1 / 1000}'; }
version_tarball=$(ms "$work/version.tarball"); version_dynamic=$(ms "$work/version.dynamic")
run_tarball=$(ms "$work/run.tarball"); run_dynamic=$(ms "$work/run.dynamic")

mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
met() { awk -v r="$1" 'BEGIN {exit !(r < 1.2)}' && echo "met" || echo "not met"; }
gz_ratio=$(ratio "$tar_gz" "$dynamic_gz")
unpacked_ratio=$(ratio "$unpacked" "$dynamic_unpacked")
version_ratio=$(ratio "$version_tarball" "$version_dynamic")
run_ratio=$(ratio "$run_tarball" "$run_dynamic")

echo "package: $(basename "$tarball") against $binary (stripped, with its $lib_count ldd libraries)"
echo "  $(nproc) cores, load $(cut -d ' ' -f 1-3 /proc/loadavg) at the end; the two timed in turns"
printf '  %-48s %12s %12s %8s\n' "measure" "tarball" "dynamic" "ratio"
printf '  %-48s %8s MiB %8s MiB %8s\n' "on disk, .tar.gz" "$(mib "$tar_gz")" "$(mib "$dynamic_gz")" "$gz_ratio"
printf '  %-48s %8s MiB %8s MiB %8s\n' "on disk, unpacked" "$(mib "$unpacked")" "$(mib "$dynamic_unpacked")" "$unpacked_ratio"
printf '  %-48s %9s ms %9s ms %8s   (target < 1.2, %s)\n' "maildog-ci --version, median of $version_runs" \
  "$version_tarball" "$version_dynamic" "$version_ratio" "$(met "$version_ratio")"
printf '  %-48s %9s ms %9s ms %8s   (target < 1.2, %s)\n' "run $scenario, median of $scenario_runs" \
  "$run_tarball" "$run_dynamic" "$run_ratio" "$(met "$run_ratio")"
echo "  (the tarball's unpacked size includes glibc's gconv modules, $(mib "${gconv_bytes:-0}") MiB, and the launcher, $(mib "$launcher_bytes") MiB)"

if [ -n "${MAILDOG_BENCH_SUMMARY:-}" ]; then
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
    "package: .tar.gz size, tarball vs dynamic + libs" "$(mib "$tar_gz") MiB" "$(mib "$dynamic_gz") MiB" "$gz_ratio" "-" "measured" \
    "package: unpacked size, tarball vs dynamic + libs" "$(mib "$unpacked") MiB" "$(mib "$dynamic_unpacked") MiB" "$unpacked_ratio" "-" "measured" \
    "package: --version, tarball vs dynamic" "$version_tarball ms" "$version_dynamic ms" "$version_ratio" "< 1.2" "$(met "$version_ratio")" \
    "package: one-scenario run, tarball vs dynamic" "$run_tarball ms" "$run_dynamic ms" "$run_ratio" "< 1.2" "$(met "$run_ratio")" \
    >> "$MAILDOG_BENCH_SUMMARY"
fi
