#!/usr/bin/env bash
# Memory of `maildog-ci serve` (memory store) on loopback, two measures, each on a fresh server:
#  - a 50 MiB message streamed through DATA: peak RSS (VmHWM) minus RSS before it, target < 3x
#    the message size; the message is fetched back from the HTTP API and compared byte for byte;
#  - 1,000 idle connections, each greeted and past EHLO: (RSS with them - RSS before) / 1,000,
#    target < 64 KiB; then a whole transaction on a new connection must still get its 250.
# Usage: bench/memory.sh [path/to/maildog-ci]   (default: build/release)
# With MAILDOG_BENCH_SUMMARY=FILE, appends one tab-separated line per target (bench/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
binary=${1:-build/release/src/cli/maildog-ci}
[ -x "$binary" ] || { echo "build it first: bash ci/build.sh release maildog-ci" >&2; exit 2; }
message_mib=50
connections=1000
# The client and serve each hold a socket per connection: more than the usual 1,024 descriptors.
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
python=/usr/bin/python3
[ -x "$python" ] || python=python3
work=$(mktemp -d)
serve_pid=
stop_serve() {
  # serve lets transactions in flight finish for up to 10 s; past 15 s it is killed.
  stop_pid "$serve_pid" 15
  serve_pid=
}
trap 'stop_serve; rm -rf "$work"' EXIT

cat > "$work/serve.yaml" <<'YAML'
name: memory bench
server:
  limits: {message_size: 64MiB}
YAML

# Starts serve on free ports (bench/lib.sh); sets serve_pid, smtp_port and http_port.
start_memory_serve() {
  start_serve "$work/serve.log" 10 "$binary" serve --config "$work/serve.yaml" --smtp-port 0 --http-port 0 ||
    { echo "serve did not start:"; cat "$work/serve.log"; exit 1; }
}

# The client side of both measures; prints "key value" lines for the table below.
cat > "$work/client.py" <<'PY'
import hashlib, json, socket, sys, time, urllib.request

mode, pid, smtp_port, http_port, amount = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])


def status_kib(key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    sys.exit(f"no {key} in /proc/{pid}/status")


def read_reply(sock, buffer=b""):
    """Reads one whole (multiline) reply; returns (code, rest of the buffer)."""
    while True:
        lines = buffer.split(b"\r\n")
        for i, line in enumerate(lines[:-1]):
            if len(line) >= 4 and line[3:4] == b" ":
                return int(line[:3]), b"\r\n".join(lines[i + 1:])
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("serve closed the connection")
        buffer += chunk


def command(sock, line, want):
    sock.sendall(line + b"\r\n")
    code, _ = read_reply(sock)
    if code != want:
        sys.exit(f"{line!r}: got {code}, expected {want}")


def session(sock, body_chunks):
    """Greeting to QUIT, one message; body_chunks yields the dot-stuffed body."""
    code, _ = read_reply(sock)
    if code != 220:
        sys.exit(f"greeting {code}")
    command(sock, b"EHLO bench.test", 250)
    command(sock, b"MAIL FROM:<bench@bench.test>", 250)
    command(sock, b"RCPT TO:<user@inbox.test>", 250)
    command(sock, b"DATA", 354)
    for chunk in body_chunks:
        sock.sendall(chunk)
    command(sock, b".", 250)
    command(sock, b"QUIT", 221)


def connect():
    return socket.create_connection(("127.0.0.1", smtp_port), timeout=60)


def api(path):
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}{path}", timeout=60) as response:
        return response.read()


def settled_rss():
    time.sleep(0.5)
    return status_kib("VmRSS")


# A warm-up session first: thread stacks, arenas and the first session's allocations are the
# server's fixed cost, not the message's or the connections'.
with connect() as sock:
    session(sock, [b"Subject: warm-up\r\n\r\nhello\r\n"])

if mode == "message":
    header = b"Subject: memory bench\r\n\r\n"
    line = b"A" * 76 + b"\r\n"
    lines = (amount - len(header)) // len(line)
    size = len(header) + lines * len(line)
    lines_per_chunk = (1 << 20) // len(line)
    digest = hashlib.sha256(header)

    def body():
        yield header
        left = lines
        while left:
            count = min(left, lines_per_chunk)
            chunk = line * count
            digest.update(chunk)
            yield chunk
            left -= count

    before = settled_rss()
    with connect() as sock:
        session(sock, body())
    peak = status_kib("VmHWM")
    after = status_kib("VmRSS")
    listed = json.loads(api("/api/v1/messages?limit=1"))["messages"][0]
    if listed["size"] != size:
        sys.exit(f"serve kept {listed['size']} octets, sent {size}")
    if hashlib.sha256(api(f"/api/v1/messages/{listed['id']}/raw")).digest() != digest.digest():
        sys.exit("the message serve kept differs from the one sent")
    print(f"size {size}\nbefore {before}\npeak {peak}\nafter {after}")
else:
    before = settled_rss()
    held = []
    for _ in range(amount):
        sock = connect()
        code, _ = read_reply(sock)
        if code != 220:
            sys.exit(f"connection {len(held) + 1}: greeting {code}")
        command(sock, b"EHLO bench.test", 250)
        held.append(sock)
    with_them = settled_rss()
    # Still responsive with all of them open: a whole transaction on a new connection.
    start = time.perf_counter()
    with connect() as sock:
        session(sock, [b"Subject: after the idle ones\r\n\r\nhello\r\n"])
    transaction_ms = (time.perf_counter() - start) * 1000
    for sock in held:
        sock.close()
    health = json.loads(api("/healthz"))
    if health.get("status") != "ok" or health.get("messages") != 2:
        sys.exit(f"healthz after the idle connections: {health}")
    print(f"before {before}\nwith {with_them}\ntransaction_ms {transaction_ms:.1f}\npeak {status_kib('VmHWM')}")
PY

value() { awk -v k="$1" '$1 == k {print $2}' "$2"; }

start_memory_serve
timeout 300 "$python" "$work/client.py" message "$serve_pid" "$smtp_port" "$http_port" $((message_mib << 20)) \
  > "$work/message.txt"
stop_serve
start_memory_serve
timeout 300 "$python" "$work/client.py" idle "$serve_pid" "$smtp_port" "$http_port" "$connections" \
  > "$work/idle.txt"
stop_serve

size=$(value size "$work/message.txt")
message_growth_kib=$(( $(value peak "$work/message.txt") - $(value before "$work/message.txt") ))
message_ratio=$(awk -v g="$message_growth_kib" -v s="$size" 'BEGIN {printf "%.2f", g * 1024 / s}')
idle_total_kib=$(( $(value with "$work/idle.txt") - $(value before "$work/idle.txt") ))
per_connection=$(awk -v t="$idle_total_kib" -v n="$connections" 'BEGIN {printf "%.1f", t / n}')
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
met() { awk "BEGIN {exit !($1)}" && echo "met" || echo "not met"; }
message_met=$(met "$message_ratio < 3")
idle_met=$(met "$per_connection < 64")

echo "memory of maildog-ci serve (memory store), $(basename "$binary") at $binary"
printf '  %-52s %14s\n' "measure" "value"
printf '  %-52s %14s\n' "message streamed through DATA (arrived whole)" "$(mib $((size / 1024))) MiB"
printf '  %-52s %14s\n' "RSS before it" "$(mib "$(value before "$work/message.txt")") MiB"
printf '  %-52s %14s\n' "peak RSS (VmHWM)" "$(mib "$(value peak "$work/message.txt")") MiB"
printf '  %-52s %14s\n' "RSS after it (message kept in the store)" "$(mib "$(value after "$work/message.txt")") MiB"
printf '  %-52s %14s   (target < 3, %s)\n' "peak growth / message size" "$message_ratio" "$message_met"
printf '  %-52s %14s\n' "RSS before $connections idle connections" "$(mib "$(value before "$work/idle.txt")") MiB"
printf '  %-52s %14s\n' "RSS with them (greeted, after EHLO)" "$(mib "$(value with "$work/idle.txt")") MiB"
printf '  %-52s %10s KiB   (target < 64 KiB, %s)\n' "per idle connection" "$per_connection" "$idle_met"
printf '  %-52s %11s ms\n' "one transaction on a new connection beside them" "$(value transaction_ms "$work/idle.txt")"

if [ -n "${MAILDOG_BENCH_SUMMARY:-}" ]; then
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' \
    "memory: ${message_mib} MiB message, peak RSS growth" "$(mib "$message_growth_kib") MiB" "$(mib $((size / 1024))) MiB message" \
    "$message_ratio" "< 3" "$message_met" \
    "memory: $connections idle connections, RSS each" "$per_connection KiB" "64 KiB budget" \
    "$(awk -v p="$per_connection" 'BEGIN {printf "%.2f", p / 64}')" "< 1" "$idle_met" >> "$MAILDOG_BENCH_SUMMARY"
fi
