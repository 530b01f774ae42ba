#!/usr/bin/env bash
# Two builds of `maildog-ci serve` side by side under idle and slow HTTP clients (issue 21):
#  - /wait: 500 long-polls that nothing answers on a SQLite store of 9,000 messages: serve's
#    CPU (user + system, % of one core) over 5 s, read from /proc/PID/stat;
#  - /raw: 100 connections fetching a 7 MB message without reading: serve's RSS growth (peak
#    VmRSS over 8 s minus VmRSS before), memory store;
#  - /mime: a message of 100,000 nested multiparts: the time of its first /mime, and of a
#    /healthz sent while two more /mime requests of it run (memory store).
# Each measure runs RUNS times per binary, the binaries taking turns; medians and the ratio
# NEW/OLD are printed (lower is better for both).
# Usage: bench/serve_slow_clients.sh OLD_BINARY NEW_BINARY [RUNS]   (RUNS default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: bench/serve_slow_clients.sh OLD_BINARY NEW_BINARY [RUNS]}
new=${2:?usage: bench/serve_slow_clients.sh OLD_BINARY NEW_BINARY [RUNS]}
runs=${3:-3}
for binary in "$old" "$new"; do
  [ -x "$binary" ] || { echo "not an executable: $binary" >&2; exit 2; }
done
# 500 waiters or 100 readers: a socket each on both sides, within the usual 1,024.
ulimit -n 4096 2>/dev/null || true
python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/bench.py" <<'PY'
import os, shutil, signal, smtplib, socket, statistics, subprocess, sys, threading, time, urllib.request

old, new, runs, work = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ticks_per_second = os.sysconf("SC_CLK_TCK")
config = os.path.join(work, "serve.yaml")
with open(config, "w") as out:
    out.write("name: slow clients bench\nserver:\n  limits: {message_size: 64MiB}\n")


def start(binary, data=None):
    log = open(os.path.join(work, "serve.log"), "w+")
    args = [binary, "serve", "--config", config, "--smtp-port", "0", "--http-port", "0"]
    if data:
        args += ["--data", data, "--keep", "0"]
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        log.seek(0)
        text = log.read()
        if "HTTP on" in text and "SMTP on" in text:
            smtp = int(text.split("SMTP on ")[1].split()[0].rsplit(":", 1)[1])
            http = int(text.split("HTTP on ")[1].split()[0].rsplit(":", 1)[1])
            return process, smtp, http
        if process.poll() is not None:
            break
        time.sleep(0.1)
    sys.exit("serve did not start:\n" + text)


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def fill(smtp_port, count, connections=8):
    def sender(n):
        client = smtplib.SMTP("127.0.0.1", smtp_port, timeout=60)
        for i in range(n):
            client.sendmail("app@example.test", ["user@inbox.test"], f"Subject: filler {i}\r\n\r\nfiller\r\n")
        client.quit()
    threads = [threading.Thread(target=sender, args=(count // connections,)) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def idle_requests(port, target, count):
    sockets = []
    for _ in range(count):
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.connect(("127.0.0.1", port))
        client.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        sockets.append(client)
    return sockets


def wait_cpu(binary, store):
    data = os.path.join(work, "data-run")
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(store, data)
    process, smtp_port, http_port = start(binary, data)
    waiters = idle_requests(http_port, "/api/v1/wait?to=nobody@inbox.test&timeout=120", 500)
    time.sleep(2)
    before = cpu_ticks(process.pid)
    time.sleep(5)
    used = cpu_ticks(process.pid) - before
    for client in waiters:
        client.close()
    stop(process)
    return 100.0 * used / ticks_per_second / 5


def raw_rss(binary):
    process, smtp_port, http_port = start(binary)
    line = "a line of a large message, fetched back by slow readers of /raw\r\n"
    body = line * (7 * 1024 * 1024 // len(line))
    client = smtplib.SMTP("127.0.0.1", smtp_port, timeout=60)
    client.sendmail("app@example.test", ["user@inbox.test"], "Subject: big\r\n\r\n" + body)
    client.quit()
    time.sleep(0.5)
    before = rss_kib(process.pid)
    readers = idle_requests(http_port, "/api/v1/messages/1/raw", 100)
    peak = before
    for _ in range(80):
        time.sleep(0.1)
        peak = max(peak, rss_kib(process.pid))
    for client in readers:
        client.close()
    stop(process)
    return (peak - before) / 1024.0


def mime_times(binary):
    process, smtp_port, http_port = start(binary)
    lines = []
    for i in range(100000):
        lines += [f"Content-Type: multipart/mixed; boundary=b{i}", "", f"--b{i}"]
    lines += ["Content-Type: text/plain", "", "leaf"] + [f"--b{i}--" for i in reversed(range(100000))]
    client = smtplib.SMTP("127.0.0.1", smtp_port, timeout=60)
    client.sendmail("app@example.test", ["user@inbox.test"],
                    "Subject: nested\r\nMIME-Version: 1.0\r\n" + "\r\n".join(lines) + "\r\n")
    client.quit()
    base = f"http://127.0.0.1:{http_port}"

    def get(path):
        begin = time.monotonic()
        urllib.request.urlopen(base + path, timeout=300).read()
        return time.monotonic() - begin

    first = get("/api/v1/messages/1/mime")
    others = [threading.Thread(target=get, args=("/api/v1/messages/1/mime",)) for _ in range(2)]
    for other in others:
        other.start()
    time.sleep(0.05)
    health = get("/healthz")
    for other in others:
        other.join()
    stop(process)
    return first, health


# One SQLite store of 9,000 messages, copied for every run (both builds read schema 4).
store = os.path.join(work, "store")
process, smtp_port, _ = start(old, store)
fill(smtp_port, 9000)
stop(process)

results = {key: {old: [], new: []} for key in ("wait", "raw", "mime", "healthz")}
for run in range(runs):
    order = (old, new) if run % 2 == 0 else (new, old)
    for binary in order:
        results["wait"][binary].append(wait_cpu(binary, store))
        results["raw"][binary].append(raw_rss(binary))
        first, health = mime_times(binary)
        results["mime"][binary].append(first)
        results["healthz"][binary].append(health)
    print(f"run {run + 1}: " + ", ".join(
        f"{'old' if b == old else 'new'} wait {results['wait'][b][-1]:.1f}% raw {results['raw'][b][-1]:.1f} MiB"
        f" mime {results['mime'][b][-1]:.3f} s healthz {results['healthz'][b][-1]:.3f} s"
        for b in (old, new)), flush=True)

print()
print("| measure | old (median) | new (median) | new/old |")
print("| --- | --- | --- | --- |")
for key, title, unit in (("wait", "/wait, 500 idle long-polls, SQLite store of 9,000: serve CPU", "% of a core"),
                         ("raw", "/raw 7 MB, 100 slow readers: serve RSS growth", "MiB"),
                         ("mime", "/mime of 100,000 nested multiparts, first request", "s"),
                         ("healthz", "/healthz while two such /mime requests run", "s")):
    before = statistics.median(results[key][old])
    after = statistics.median(results[key][new])
    ratio = after / before if before > 0 else float("nan")
    digits = 3 if unit == "s" else 1
    print(f"| {title} | {before:.{digits}f} {unit} | {after:.{digits}f} {unit} | {ratio:.3f} |")
PY
"$python" "$work/bench.py" "$old" "$new" "$runs" "$work"
