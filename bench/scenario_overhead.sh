#!/usr/bin/env bash
# Scenario overhead: 200 scripted-client scenarios (one SMTP transaction each) run with -j 2.
# Prints milliseconds per scenario (median of 5 runs) against the target of 10 ms, and, side by
# side on the same machine, the time swaks takes to send one message to a sandbox.
# Usage: bench/scenario_overhead.sh [path/to/maildog-ci]   (default: build/release)
# With MAILDOG_BENCH_SUMMARY=FILE, appends one tab-separated line per target (bench/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
binary=${1:-build/release/src/cli/maildog-ci}
[ -x "$binary" ] || { echo "build it first: bash ci/build.sh release maildog-ci" >&2; exit 2; }
count=200
runs=5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for i in $(seq 1 "$count"); do
  cat > "$work/s$i.yaml" <<YAML
name: overhead $i
server: {domains: [inbox.test], mailboxes: [user@inbox.test]}
client:
  steps:
    - expect: {code: 220}
    - send: EHLO bench.test
    - send: "MAIL FROM:<bench@bench.test>"
    - send: "RCPT TO:<user@inbox.test>"
      expect: {code: 250}
    - data: "Subject: bench $i\n\nhello\n"
      expect: {code: 250}
    - quit: true
expect:
  delivered: [{to: user@inbox.test, count: 1}]
YAML
done

now_ms() { date +%s%3N; }

suite_ms=()
for _ in $(seq 1 "$runs"); do
  start=$(now_ms)
  "$binary" run "$work" -j 2 --no-color > "$work/out.txt"
  suite_ms+=($(( $(now_ms) - start )))
  tail -n 1 "$work/out.txt" | grep -q "^$count passed, 0 failed$" || { cat "$work/out.txt"; exit 1; }
done
suite=$(printf '%s\n' "${suite_ms[@]}" | median)
per=$(awk -v t="$suite" -v n="$count" 'BEGIN {printf "%.2f", t / n}')

# The peer: one message with swaks to a sandbox that maildog-ci keeps up for the duration.
swaks_ms=()
if command -v swaks >/dev/null; then
  cat > "$work/peer.yaml" <<'YAML'
name: swaks peer
app:
  run: >-
    for i in 1 2 3 4 5; do s=$(date +%s%N); swaks --server {{smtp.host}} --port {{smtp.port}}
    --to user@inbox.test --from bench@bench.test --silent 2 >/dev/null || exit 1;
    echo "swaks_ms $(( ($(date +%s%N) - s) / 1000000 ))"; done
expect: {app: {exit: 0}}
YAML
  "$binary" run "$work/peer.yaml" --json "$work/peer.json" >/dev/null
  mapfile -t swaks_ms < <(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['scenarios'][0]['app']['stdout'])" "$work/peer.json" | awk '/swaks_ms/ {print $2}')
fi

echo "scenario overhead ($count client-only scenarios, -j 2, median of $runs runs)"
printf '  %-40s %10s\n' "measure" "value"
printf '  %-40s %8s ms\n' "whole suite" "$suite"
printf '  %-40s %8s ms   (target < 10 ms)\n' "per scenario" "$per"
if ((${#swaks_ms[@]})); then
  swaks=$(printf '%s\n' "${swaks_ms[@]}" | median)
  printf '  %-40s %8s ms\n' "swaks, one message (median of 5)" "$swaks"
  printf '  %-40s %8s\n' "ratio: one scenario / one swaks send" "$(ratio "$per" "$swaks")"
fi
awk -v p="$per" 'BEGIN {exit !(p < 10)}' && verdict="met" || verdict="not met"
echo "  target $verdict"
if [ -n "${MAILDOG_BENCH_SUMMARY:-}" ]; then
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "scenario overhead: per scenario, -j 2" "$per ms" \
    "${swaks:+swaks one message $swaks ms}" "${swaks:+$(ratio "$per" "$swaks")}" \
    "< 10 ms" "$verdict" >> "$MAILDOG_BENCH_SUMMARY"
fi
