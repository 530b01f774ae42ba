"""Issue 21 item 5: one SMTP session of 2,000,000 pipelined NOOPs (a refused RCPT among the first
ones) against the built `maildog-ci serve`.

  session_memory.py rss MAILDOG_BINARY [--sanitized]
      serve's RSS grows less than 64 MiB over that session (before the fix: 352 -> 682 MB).
      Memory bounds hold in the optimised build only: under a sanitizer it prints SKIPPED, exits 77.
  session_memory.py transcript MAILDOG_BINARY
      the session is ended with 421 4.7.0 at the command limit, and its stored transcript (GET
      /api/v1/sessions/ID) is capped: its head, one "N lines elided" event, the refusal with the
      lines around it, and its tail.
"""

import json
import os
import select
import sys
import tempfile
import threading
import time

from serve_harness import Serve, check, connect, deliver, http_get, read_reply, skip, wait_until

NOOPS = 2_000_000
REFUSAL_AFTER = 50_000  # NOOPs before the refused RCPT
GROWTH_LIMIT_KIB = 64 * 1024
TRANSCRIPT_MAX = 1000 + 3000 + 1000 + 2 * 4 + 10  # core/limits.hpp: head + tail + slack + refusal context

CONFIG = """server:
  rules:
    - at: rcpt
      match: {rcpt: ghost@inbox.test}
      reply: "550 5.1.1 No such user here"
"""


class Flood:
    """The NOOP session: a sender and a reader thread (the replies must be read, or both sides
    stop on full socket buffers), bounded by `deadline` seconds."""

    def __init__(self, port, deadline=240):
        self.sock = connect(port, timeout=30)
        self.replies_seen = 0
        self.last_reply = b""
        self.saw_421 = b""
        self.sent = 0
        self.deadline = time.monotonic() + deadline
        check(read_reply(self.sock).startswith("220 "), "no greeting")
        self.sock.sendall(b"EHLO flood.example.test\r\n")
        check(read_reply(self.sock).startswith("250"), "EHLO refused")
        # Blocking from here: the sender may wait on a full buffer while serve catches up; the
        # reader waits with select, bounded by the deadline.
        self.sock.settimeout(None)

    def read_all(self):
        pending = b""
        while time.monotonic() < self.deadline:
            readable, _, _ = select.select([self.sock], [], [], 1)
            if not readable:
                continue
            try:
                chunk = self.sock.recv(1 << 16)
            except OSError:
                break
            if not chunk:
                break
            pending += chunk
            lines = pending.split(b"\r\n")
            pending = lines.pop()
            self.replies_seen += len(lines)
            for line in lines:
                if line.startswith(b"421"):
                    self.saw_421 = line
            if lines:
                self.last_reply = lines[-1]

    def run(self):
        reader = threading.Thread(target=self.read_all, daemon=True)
        reader.start()
        batch = b"NOOP\r\n" * 10_000
        try:
            while self.sent < NOOPS and time.monotonic() < self.deadline:
                if self.sent == REFUSAL_AFTER:
                    self.sock.sendall(b"MAIL FROM:<flood@example.test>\r\nRCPT TO:<ghost@inbox.test>\r\n")
                self.sock.sendall(batch)
                self.sent += 10_000
            self.sock.sendall(b"QUIT\r\n")  # without the fix: serve answers 221 and closes
        except OSError:
            pass  # serve closed the session (the command limit): what the fix does
        reader.join(max(1, self.deadline - time.monotonic()))
        self.sock.close()


def rss_test(binary, sanitized):
    if sanitized:
        print("SKIPPED: memory bounds are checked in the optimised build only (this one has a sanitizer)")
        sys.exit(77)
    serve = Serve(binary)
    # Warm up: one whole session, so the baseline holds what any session allocates once.
    deliver(serve.smtp_port, "warm-up")
    time.sleep(0.5)
    baseline = serve.rss_kib()
    peak = [baseline]
    done = threading.Event()

    def sample():
        while not done.is_set():
            try:
                peak[0] = max(peak[0], serve.rss_kib())
            except OSError:
                return
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    flood = Flood(serve.smtp_port)
    flood.run()
    # The session is over and stored: what it left behind counts too.
    wait_until(lambda: json.loads(http_get(serve.http_port, "/api/v1/sessions")[1] or "{}").get("count", 0) >= 2, 30)
    time.sleep(0.5)
    done.set()
    sampler.join(5)
    after = serve.rss_kib()
    growth = max(peak[0], after) - baseline
    print(f"RSS baseline {baseline // 1024} MiB, peak {peak[0] // 1024} MiB, after {after // 1024} MiB: "
          f"growth {growth // 1024} MiB over {flood.sent} NOOPs sent, {flood.replies_seen} reply lines read")
    check(serve.alive(), "serve died during the NOOP flood")
    check(growth < GROWTH_LIMIT_KIB, f"RSS grew {growth // 1024} MiB for one session (limit 64 MiB)")
    check(serve.stop() == 0, "serve did not exit cleanly")
    print("ok: one session of NOOPs grows serve by less than 64 MiB")


def transcript_test(binary):
    with tempfile.TemporaryDirectory() as folder:
        config = os.path.join(folder, "serve.yaml")
        with open(config, "w", encoding="utf-8") as out:
            out.write(CONFIG)
        serve = Serve(binary, config=config)
        flood = Flood(serve.smtp_port)
        flood.run()
        print(f"{flood.sent} NOOPs sent, {flood.replies_seen} reply lines read, last {flood.last_reply!r}")
        check(flood.saw_421.startswith(b"421 4.7.0"), f"no 421 4.7.0 at the command limit: {flood.saw_421!r}")
        check(flood.replies_seen <= 100_000 + 10, f"{flood.replies_seen} replies: the command limit did not hold")

        session = {}

        def stored():
            nonlocal session
            status, body = http_get(serve.http_port, "/api/v1/sessions")
            if status != 200:
                return False
            closed = [s for s in json.loads(body)["sessions"] if not s["open"]]
            if not closed:
                return False
            status, body = http_get(serve.http_port, f"/api/v1/sessions/{closed[0]['id']}")
            session = json.loads(body) if status == 200 else {}
            return bool(session)

        check(wait_until(stored, 30), "the session was not stored")
        lines = session["transcript"]
        texts = [line["text"] for line in lines]
        elided = [t for t in texts if t.endswith(" lines elided")]
        print(f"stored transcript: {len(lines)} lines, markers {elided}, close reason {session['close_reason']!r}")
        check(session["close_reason"] == "too many commands", f"close reason {session['close_reason']!r}")
        check(len(lines) <= TRANSCRIPT_MAX, f"the stored transcript has {len(lines)} lines (cap {TRANSCRIPT_MAX})")
        check(elided, "no 'N lines elided' marker in the transcript")
        check("EHLO flood.example.test" in texts[:5], "the head of the transcript is gone")
        refusal = next((i for i, t in enumerate(texts) if t.startswith("550 5.1.1")), None)
        check(refusal is not None, "the refusal's reply was elided")
        check("RCPT TO:<ghost@inbox.test>" in texts[refusal - 3:refusal],
              f"the refused command before its reply was elided: {texts[refusal - 5:refusal + 5]}")
        check(any(t.startswith("421 4.7.0") for t in texts[-5:]), "the tail (the 421) is not in the transcript")
        total = sum(int(t.split()[0]) for t in elided) + len(lines) - len(elided)
        check(total > 190_000, f"the markers account for {total} lines; the session had over 200,000")
        check(serve.stop() == 0, "serve did not exit cleanly")
    print("ok: the transcript is capped around its refusal and the session ended at the command limit")


def main():
    case, binary = sys.argv[1], sys.argv[2]
    if case == "rss":
        rss_test(binary, "--sanitized" in sys.argv[3:])
    elif case == "transcript":
        transcript_test(binary)
    else:
        skip("unknown case " + case)


if __name__ == "__main__":
    main()
