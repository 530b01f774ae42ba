#!/usr/bin/env bash
# Intake rate against peers: Postfix's smtp-source drives, one server at a time on a free
# 127.0.0.1 port, `maildog-ci serve` (memory store, SQLite store, SPF+DKIM+DMARC checks on)
# and the peers smtp-sink, aiosmtpd and maildev (installed by bench/deps.sh). Workloads:
# 20 sessions x 20,000 messages of 1 KiB, a new connection per message and one connection per
# session reused (-d), and 20 x 200 messages of 1 MiB. Per run: messages/s from smtp-source's
# wall time and the server's peak RSS (VmHWM just before it is stopped); median of the runs.
# Prints a markdown table with the ratios and the targets of issue 8; with
# MAILDOG_BENCH_SUMMARY=FILE, appends one tab-separated line per target to FILE:
#   benchmark<TAB>ours<TAB>peer<TAB>ratio<TAB>target<TAB>met|not met
# Usage: bench/intake.sh [path/to/maildog-ci]   (default: build/release)
# Env: MAILDOG_BENCH_RUNS (3), MAILDOG_BENCH_MESSAGES (20000: the 1 KiB count, for a quick
# look), MAILDOG_BENCH_PEERS (build/bench-peers: where bench/deps.sh put maildev),
# MAILDOG_BENCH_SERVERS (all: a space-separated subset, for a quick look at some of them).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
binary=${1:-build/release/src/cli/maildog-ci}
[ -x "$binary" ] || { echo "build it first: bash ci/build.sh release maildog-ci" >&2; exit 2; }
binary=$(realpath "$binary")
runs=${MAILDOG_BENCH_RUNS:-3}
messages_1k=${MAILDOG_BENCH_MESSAGES:-20000}
messages_1m=200
sessions=20
maildev=${MAILDOG_BENCH_PEERS:-build/bench-peers}/node_modules/maildev/bin/maildev
source_tool=/usr/sbin/smtp-source
sink_tool=/usr/sbin/smtp-sink
# Debian's aiosmtpd is importable by the system interpreter only.
python=/usr/bin/python3
for tool in "$source_tool" "$sink_tool" "$python" "$maildev"; do
  [ -e "$tool" ] || { echo "missing $tool: run bash bench/deps.sh (as root)" >&2; exit 2; }
done
"$python" -c 'import aiosmtpd' 2>/dev/null || { echo "aiosmtpd missing: run bash bench/deps.sh" >&2; exit 2; }

# Slow servers get fewer messages (their rate is still messages per second) and fewer runs.
declare -A cap_1k=([aiosmtpd]=5000 [maildev]=2000)
declare -A cap_1m=([maildev]=40)
declare -A peer_runs=([maildev]=1)
# Generous bounds: a run that needs longer than this is reported as timed out.
run_timeout=900
start_timeout=30
stop_timeout=20

work=$(mktemp -d)
server_pid=
stop_server() {
  stop_pid "$server_pid" "$stop_timeout"
  server_pid=
}
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# The sender's domain publishes SPF for the peer IP the sandbox judges the client to be, a
# DKIM key and DMARC p=reject; smtp-source sends one DKIM-signed message (1 KiB or 1 MiB of
# body) over and over.
prepare_checks() {
  "$binary" keygen --type rsa --bits 2048 --selector bench --domain bench.test --out "$work/dkim" \
    > "$work/dkim.txt" 2>/dev/null
  local record
  record=$(sed -e 's/^[^"]*"//' -e 's/"$//' -e 's/" "//g' "$work/dkim.txt")
  local size lines
  for size in 1024 1048576; do
    {
      printf 'From: Bench <bench@bench.test>\r\nTo: user@inbox.test\r\nSubject: intake bench\r\n'
      printf 'Date: Sun, 29 Nov 2026 04:00:00 +0000\r\nMessage-ID: <intake@bench.test>\r\n\r\n'
      # Lines of 64 octets with their CRLF, as many as make the body `size` octets.
      lines=$((size / 64))
      awk -v n="$lines" 'BEGIN {for (i = 0; i < n; i++) printf "%062d\r\n", i}'
    } > "$work/plain-$size.eml"
    # smtp-source -F appends CRLF to every line it reads, so its file has bare LF line ends.
    "$binary" sign "$work/plain-$size.eml" --key "$work/dkim.key" --selector bench --domain bench.test |
      tr -d '\r' > "$work/signed-$size.eml"
  done
  cat > "$work/checks.yaml" <<YAML
name: intake bench with the sender checks on
dns:
  bench.test: {TXT: "v=spf1 ip4:203.0.113.5 -all"}
  _dmarc.bench.test: {TXT: "v=DMARC1; p=reject"}
  bench._domainkey.bench.test: {TXT: "$record"}
server:
  peer: {ip: 203.0.113.5, helo: mail.bench.test}
  checks: {spf: enforce, dkim: enforce, dmarc: enforce}
YAML
}

# Starts server $1 for run $2 (a name unique to the run); sets server_pid, smtp_port and http_port (serve only).
start_server() {
  local server=$1 run=$2
  local log="$work/$server-$run.log"
  http_port=
  case $server in
    serve-*)
      local options=(--smtp-port 0 --http-port 0)
      case $server in
        serve-sqlite) options+=(--data "$work/data-$run") ;;
        serve-checks) options+=(--config "$work/checks.yaml") ;;
      esac
      local started=0
      start_serve "$log" "$start_timeout" "$binary" serve "${options[@]}" || started=$?
      server_pid=$serve_pid
      ((started == 0)) || { cat "$log" >&2; return 1; }
      ;;
    smtp-sink)
      smtp_port=$(free_port)
      # As root smtp-sink insists on dropping privileges after it binds.
      local user=()
      [ "$(id -u)" = 0 ] && user=(-u nobody)
      "$sink_tool" "${user[@]}" "127.0.0.1:$smtp_port" 1000 > "$log" 2>&1 &
      server_pid=$!
      ;;
    aiosmtpd)
      smtp_port=$(free_port)
      "$python" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Sink > "$log" 2>&1 &
      server_pid=$!
      ;;
    maildev)
      smtp_port=$(free_port)
      mkdir -p "$work/maildev-$run"
      node "$maildev" -s "$smtp_port" --ip 127.0.0.1 --disable-web --silent \
        --mail-directory "$work/maildev-$run" > "$log" 2>&1 &
      server_pid=$!
      ;;
  esac
  wait_for_port "$smtp_port" "$server_pid" "$start_timeout" || { echo "$server did not start:" >&2; cat "$log" >&2; return 1; }
}

# Checks that serve stored every message: the newest id of a fresh store is the count.
serve_took_all() {
  local server=$1 count=$2
  curl -fsS "http://127.0.0.1:$http_port/api/v1/messages?limit=1" | "$python" -c '
import json, sys
server, count = sys.argv[1], int(sys.argv[2])
messages = json.load(sys.stdin)["messages"]
newest = messages[0]["id"] if messages else 0
if newest != count:
    sys.exit(f"{server} stored {newest} messages, smtp-source sent {count}")
auth = messages[0]["auth"]
if server == "serve-checks" and [auth.get(m) for m in ("spf", "dkim", "dmarc")] != ["pass"] * 3:
    sys.exit(f"{server}: the checks did not pass: {auth}")
' "$server" "$count"
}

# One run: prints "messages/s peak-RSS-KiB", or "failed" with the reason on stderr.
run_once() {
  local server=$1 workload=$2 count=$3 run=$4
  local args=(-s "$sessions" -m "$count" -M bench.test -f bench@bench.test -t user@inbox.test)
  [ "$workload" = 1k-reuse ] && args+=(-d)
  local size=1024
  [ "$workload" = 1m ] && size=1048576
  if [ "$server" = serve-checks ]; then
    # A DKIM-signed message of the same body size stands in for smtp-source's own payload.
    args+=(-F "$work/signed-$size.eml")
  else
    args+=(-l "$size")
  fi
  start_server "$server" "$workload-$run" || { echo failed; return; }
  local started ended status=0
  started=$(date +%s%N)
  timeout "$run_timeout" "$source_tool" "${args[@]}" "127.0.0.1:$smtp_port" \
    > "$work/source.out" 2> "$work/source.err" || status=$?
  ended=$(date +%s%N)
  local rss
  rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)
  local verdict=ok
  if ((status != 0)) || [ -s "$work/source.err" ]; then
    echo "$server $workload run $run: smtp-source exit $status: $(head -c 300 "$work/source.err")" >&2
    verdict=failed
  elif [[ $server == serve-* ]] && ! serve_took_all "$server" "$count" >&2; then
    verdict=failed
  fi
  stop_server
  if [ "$verdict" = ok ]; then
    awk -v n="$count" -v ns=$((ended - started)) -v rss="${rss:-0}" 'BEGIN {printf "%.0f %d\n", n / (ns / 1e9), rss}'
  else
    echo failed
  fi
}

read -r -a servers <<< "${MAILDOG_BENCH_SERVERS:-serve-memory serve-sqlite serve-checks smtp-sink aiosmtpd maildev}"
workloads=(1k-new 1k-reuse 1m)
declare -A workload_name=([1k-new]="1 KiB, new connection per message" [1k-reuse]="1 KiB, connection reused (-d)"
                          [1m]="1 MiB, new connection per message")
declare -A rate rss note
prepare_checks
# The servers take turns within each run (run 1 of each, then run 2 of each, ...): this machine's
# speed drifts over minutes, and back-to-back blocks of one server's runs turned that drift into
# a bias of the ratios.
for workload in "${workloads[@]}"; do
  declare -A count_of=() full_of=() runs_of=() rates_of=() sizes_of=() failed_of=()
  for server in "${servers[@]}"; do
    if [ "$workload" = 1m ]; then
      count=${cap_1m[$server]:-$messages_1m}
      ((count > messages_1m)) && count=$messages_1m
      full_of[$server]=$messages_1m
    else
      count=${cap_1k[$server]:-$messages_1k}
      ((count > messages_1k)) && count=$messages_1k
      full_of[$server]=$messages_1k
    fi
    count_of[$server]=$count
    server_runs=${peer_runs[$server]:-$runs}
    ((server_runs > runs)) && server_runs=$runs
    runs_of[$server]=$server_runs
    rates_of[$server]="" sizes_of[$server]="" failed_of[$server]=0
  done
  for run in $(seq "$runs"); do
    for server in "${servers[@]}"; do
      ((run > runs_of[$server])) && continue
      result=$(run_once "$server" "$workload" "${count_of[$server]}" "$run")
      echo "  $server, $workload, run $run: $result" >&2
      if [ "$result" = failed ]; then
        failed_of[$server]=$((failed_of[$server] + 1))
      else
        rates_of[$server]+=" ${result% *}"
        sizes_of[$server]+=" ${result#* }"
      fi
    done
  done
  for server in "${servers[@]}"; do
    key="$server/$workload"
    count=${count_of[$server]}
    failed=${failed_of[$server]}
    # Unquoted on purpose: the runs are a space-separated list, one number per run.
    # shellcheck disable=SC2086
    rate[$key]=$(printf '%s\n' ${rates_of[$server]} | median)
    # shellcheck disable=SC2086
    rss[$key]=$(printf '%s\n' ${sizes_of[$server]} | median)
    note[$key]="$sessions x $count"
    ((count < full_of[$server])) && note[$key]+=" (capped from ${full_of[$server]})"
    note[$key]+=", $((runs_of[$server] - failed)) run(s)"
    ((failed)) && note[$key]+=", $failed FAILED"
    [ "$server" = serve-checks ] && note[$key]+=", DKIM-signed message (-F)"
  done
  unset count_of full_of runs_of rates_of sizes_of failed_of
done

echo
echo "## Intake (smtp-source, $sessions sessions; median of up to $runs runs; $(nproc) cores; $(date -u +%Y-%m-%d))"
echo
echo "| server | workload | msgs/s | peak RSS | vs smtp-sink | messages |"
echo "| --- | --- | --- | --- | --- | --- |"
for workload in "${workloads[@]}"; do
  sink=${rate[smtp-sink/$workload]-}
  for server in "${servers[@]}"; do
    key="$server/$workload"
    r=${rate[$key]}
    m=${rss[$key]}
    printf '| %s | %s | %s | %s | %s | %s |\n' "$server" "${workload_name[$workload]}" "${r:-failed}" \
      "$([ -n "$m" ] && awk -v k="$m" 'BEGIN {printf "%.1f MiB", k / 1024}' || echo n/a)" \
      "$(ratio "$r" "$sink")" "${note[$key]}"
  done
done

echo
echo "| target | ours | peer | ratio | target | verdict |"
echo "| --- | --- | --- | --- | --- | --- |"
any_missed=0
target() {
  local name=$1 ours=$2 peer=$3 minimum=$4
  local value verdict
  value=$(ratio "$ours" "$peer")
  if [ "$value" != n/a ] && awk -v v="$value" -v m="$minimum" 'BEGIN {exit !(v >= m)}'; then
    verdict=met
  else
    verdict="not met"
    any_missed=1
  fi
  printf '| %s | %s msg/s | %s msg/s | %s | >= %s | %s |\n' "$name" "${ours:-n/a}" "${peer:-n/a}" "$value" "$minimum" "$verdict"
  if [ -n "${MAILDOG_BENCH_SUMMARY:-}" ]; then
    printf 'intake %s\t%s msg/s\t%s msg/s\t%s\t>= %s\t%s\n' "$name" "${ours:-n/a}" "${peer:-n/a}" "$value" "$minimum" \
      "$verdict" >> "$MAILDOG_BENCH_SUMMARY"
  fi
}
target "1KiB new-conn: serve memory vs smtp-sink" "${rate[serve-memory/1k-new]-}" "${rate[smtp-sink/1k-new]-}" 0.70
target "1KiB reused-conn: serve memory vs smtp-sink" "${rate[serve-memory/1k-reuse]-}" "${rate[smtp-sink/1k-reuse]-}" 0.70
target "1MiB: serve memory vs smtp-sink" "${rate[serve-memory/1m]-}" "${rate[smtp-sink/1m]-}" 1.00
for workload in "${workloads[@]}"; do
  label=$(case $workload in 1k-new) echo "1KiB new-conn" ;; 1k-reuse) echo "1KiB reused-conn" ;; 1m) echo "1MiB" ;; esac)
  # ${...-}: a server left out by MAILDOG_BENCH_SERVERS has no rate (its targets read n/a).
  target "$label: serve SQLite vs serve memory" "${rate[serve-sqlite/$workload]-}" "${rate[serve-memory/$workload]-}" 0.50
  target "$label: serve checks on vs serve memory" "${rate[serve-checks/$workload]-}" "${rate[serve-memory/$workload]-}" 0.50
done
((any_missed)) && echo && echo "some targets not met (the machine may be loaded: compare ratios across runs)"
exit 0
