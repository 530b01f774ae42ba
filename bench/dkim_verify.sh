#!/usr/bin/env bash
# DKIM verification rate: runs bench_dkim_verify (dkim::verify against bare OpenSSL/libsodium on
# a 4 KiB message, target: DKIM at least 50% of raw) and, when dkimpy is installed (Debian
# python3-dkim), times dkimpy's verify on the same signed messages for comparison.
# Usage: bench/dkim_verify.sh [path/to/bench_dkim_verify]   (default: build/bench, the bench preset:
# the release preset builds the tool only)
# With MAILDOG_BENCH_SUMMARY=FILE, appends one tab-separated line per target (bench/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-build/bench/bench/bench_dkim_verify}
if [ ! -x "$binary" ]; then
  bash ci/build.sh bench bench_dkim_verify
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

MAILDOG_BENCH_EXPORT_DIR=$work "$binary" | tee "$work/table.txt"
if [ -n "${MAILDOG_BENCH_SUMMARY:-}" ]; then
  # The bench_dkim_verify rows ("| name | dkim/s | raw/s | ratio | >= 0.50: met |") as summary lines.
  awk -F'|' 'function trim(s) { gsub(/^ +| +$/, "", s); return s }
    NF == 7 && $3 ~ /^ *[0-9]/ {
      target = trim($6); verdict = target; sub(/: .*/, "", target); sub(/^[^:]*: /, "", verdict)
      printf "dkim verify: %s, DKIM / raw crypto\t%s/s\traw %s/s\t%s\t%s\t%s\n", trim($2), trim($3), trim($4), trim($5), target, verdict
    }' "$work/table.txt" >> "$MAILDOG_BENCH_SUMMARY"
fi

# Debian's python3-dkim lives in the system interpreter, which a pyenv or venv python3 on PATH
# would hide.
python=/usr/bin/python3
[ -x "$python" ] || python=python3
if ! "$python" -c "import dkim" 2>/dev/null; then
  echo "dkimpy is not installed (Debian: python3-dkim): no peer comparison"
  exit 0
fi
echo
echo "dkimpy on the same signed messages (median of 5 rounds of 400 ms):"
"$python" - "$work" <<'PY'
import os, statistics, sys, time
import dkim

work = sys.argv[1]
rates = {}
for selector, name in (("rsa", "rsa-sha256 2048"), ("ed", "ed25519-sha256")):
    message = open(f"{work}/{selector}.eml", "rb").read()
    record = open(f"{work}/{selector}.txt", "rb").read()
    lookup = lambda _name, timeout=5: record
    if not dkim.verify(message, dnsfunc=lookup):
        sys.exit(f"dkimpy did not verify the {name} message")
    round_rates = []
    for _ in range(5):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < 0.4:
            dkim.verify(message, dnsfunc=lookup)
            count += 1
        round_rates.append(count / (time.perf_counter() - start))
    rates[name] = statistics.median(round_rates)

ours = {}
for line in open(f"{work}/table.txt"):
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    if len(cells) == 5 and cells[0] in rates:
        ours[cells[0]] = float(cells[1])
print("| algorithm | maildog DKIM verify/s | dkimpy verify/s | maildog/dkimpy |")
print("| --- | --- | --- | --- |")
for name, rate in rates.items():
    print(f"| {name} | {ours[name]:.0f} | {rate:.0f} | {ours[name] / rate:.1f} |")
# DESIGN.md: at least 20x dkimpy.
if os.environ.get("MAILDOG_BENCH_SUMMARY"):
    with open(os.environ["MAILDOG_BENCH_SUMMARY"], "a") as summary:
        for name, rate in rates.items():
            ratio = ours[name] / rate
            summary.write(f"dkim verify: {name}, against dkimpy\t{ours[name]:.0f}/s\tdkimpy {rate:.0f}/s\t"
                          f"{ratio:.1f}\t>= 20\t{'met' if ratio >= 20 else 'not met'}\n")
PY
