#!/usr/bin/env bash
# Startup: median wall time of `maildog-ci --version` and of a one-scenario `maildog-ci run` (a
# scripted client, one transaction), against swaks sending one message to a local sink: Postfix
# smtp-sink when installed (ci/install-postfix-tools.sh), else a `maildog-ci serve`. swaks is what
# every user already accepts as instant, so the target is to take no longer than it (ratio < 1).
# Usage: bench/startup.sh [path/to/maildog-ci]   (default: build/release)
# With MAILDOG_BENCH_SUMMARY=FILE, appends one tab-separated line per target (bench/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
binary=${1:-build/release/src/cli/maildog-ci}
[ -x "$binary" ] || { echo "build it first: bash ci/build.sh release maildog-ci" >&2; exit 2; }
command -v swaks >/dev/null || { echo "swaks is not installed (Debian: swaks): no peer to time against" >&2; exit 2; }
runs=21
work=$(mktemp -d)
sink_pid=
stop_sink() {
  stop_pid "$sink_pid" 15
  sink_pid=
}
trap 'stop_sink; rm -rf "$work"' EXIT

cat > "$work/one.yaml" <<'YAML'
name: startup
server: {domains: [inbox.test], mailboxes: [user@inbox.test]}
client:
  steps:
    - expect: {code: 220}
    - send: EHLO bench.test
    - send: "MAIL FROM:<bench@bench.test>"
    - send: "RCPT TO:<user@inbox.test>"
      expect: {code: 250}
    - data: "Subject: startup\n\nhello\n"
      expect: {code: 250}
    - quit: true
expect:
  delivered: [{to: user@inbox.test, count: 1}]
YAML

# The sink swaks sends to; sets sink_pid, sink_port and sink_name.
start_sink() {
  if [ -x /usr/sbin/smtp-sink ]; then
    sink_name="Postfix smtp-sink"
    for _ in 1 2 3; do
      sink_port=$(free_port)
      # -u: smtp-sink refuses to run as root without a user to switch to.
      /usr/sbin/smtp-sink -u nobody "127.0.0.1:$sink_port" 100 > "$work/sink.log" 2>&1 &
      sink_pid=$!
      wait_for_port "$sink_port" "$sink_pid" 5 && return 0
      stop_sink
    done
    echo "smtp-sink did not start:"; cat "$work/sink.log"; exit 1
  fi
  sink_name="maildog-ci serve (smtp-sink is not installed)"
  local started=0
  start_serve "$work/sink.log" 10 "$binary" serve --smtp-port 0 --http-port 0 || started=$?
  sink_pid=$serve_pid sink_port=$smtp_port
  ((started == 0)) && return 0
  echo "maildog-ci serve did not start:"; cat "$work/sink.log"; exit 1
}

# Times "$@" $runs times (bounded by timeout), fails on a failed run; prints the median in ms.
time_median() {
  local times=() time
  for _ in $(seq "$runs"); do
    time=$(time_us "$work/out.txt" "$@") || exit 1
    times+=("$time")
  done
  printf '%s\n' "${times[@]}" | median | awk '{printf "%.1f", $1 / 1000}'
}

start_sink
swaks_ms=$(time_median swaks --server "127.0.0.1:$sink_port" --to user@inbox.test --from bench@bench.test --silent 2)
stop_sink
version_ms=$(time_median "$binary" --version)
run_ms=$(time_median "$binary" run "$work/one.yaml" --no-color)
# The last run's report: the scenario must have passed, or the time means nothing.
tail -n 1 "$work/out.txt" | grep -q "^1 passed, 0 failed$" || { cat "$work/out.txt"; exit 1; }

met() { awk -v r="$1" 'BEGIN {exit !(r < 1)}' && echo "met" || echo "not met"; }
version_ratio=$(ratio "$version_ms" "$swaks_ms")
run_ratio=$(ratio "$run_ms" "$swaks_ms")

echo "startup (median of $runs runs each; swaks sends one message to $sink_name)"
printf '  %-44s %10s %16s\n' "measure" "wall time" "ratio to swaks"
printf '  %-44s %7s ms %16s\n' "swaks, one message" "$swaks_ms" "1.00"
printf '  %-44s %7s ms %16s   (target < 1, %s)\n' "maildog-ci --version" "$version_ms" "$version_ratio" "$(met "$version_ratio")"
printf '  %-44s %7s ms %16s   (target < 1, %s)\n' "maildog-ci run, one scripted scenario" "$run_ms" "$run_ratio" "$(met "$run_ratio")"

if [ -n "${MAILDOG_BENCH_SUMMARY:-}" ]; then
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
    "startup: maildog-ci --version" "$version_ms ms" "swaks $swaks_ms ms" "$version_ratio" "< 1" "$(met "$version_ratio")" \
    "startup: one-scenario run" "$run_ms ms" "swaks $swaks_ms ms" "$run_ratio" "< 1" "$(met "$run_ratio")" \
    >> "$MAILDOG_BENCH_SUMMARY"
fi
