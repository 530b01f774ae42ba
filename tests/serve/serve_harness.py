"""The built `maildog-ci serve` as a child process for the Python loopback tests of tests/serve:
start it (optionally under a descriptor limit), read its ports from its first lines, count its
descriptors and RSS from /proc, and stop it. Every wait is bounded.

Skipping: a test that cannot run here prints "SKIPPED: why" and exits 77 (CTest's
SKIP_RETURN_CODE); with CI=true a missing requirement is a failure instead.
"""

import os
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import time

SKIP = 77


def skip(why):
    if os.environ.get("CI") == "true":
        fail("required in CI: " + why)
    print("SKIPPED: " + why, flush=True)
    sys.exit(SKIP)


def fail(why):
    print("FAILED: " + why, flush=True)
    sys.exit(1)


def check(condition, why):
    if not condition:
        fail(why)


def raise_own_nofile(wanted):
    """Raises this process's soft descriptor limit to `wanted` (the hard limit permitting)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return
    if hard != resource.RLIM_INFINITY and hard < wanted:
        skip(f"the test needs {wanted} descriptors; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


class Serve:
    """`maildog-ci serve ARGS` on loopback with free ports; `nofile` limits its descriptors."""

    def __init__(self, binary, args=(), nofile=None, config=None):
        argv = [binary, "serve", "--smtp-port", "0", "--http-port", "0", *args]
        if config:
            argv += ["--config", config]

        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.output = ""
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        preexec_fn=limit, close_fds=True)
        os.set_blocking(self.process.stdout.fileno(), False)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not ("SMTP on" in self.output and "HTTP on" in self.output):
            self.read_output(0.2)
            check(self.process.poll() is None, "serve exited at start:\n" + self.output)
        smtp = re.search(r"SMTP on ([0-9.]+):(\d+)", self.output)
        http = re.search(r"HTTP on ([0-9.]+):(\d+)", self.output)
        check(smtp and http, "serve printed no ports within 20 s:\n" + self.output)
        self.smtp_port = int(smtp.group(2))
        self.http_port = int(http.group(2))
        self.pid = self.process.pid

    def read_output(self, wait):
        ready, _, _ = select.select([self.process.stdout], [], [], wait)
        if ready:
            chunk = self.process.stdout.read()
            if chunk:
                self.output += chunk.decode("utf-8", "replace")

    def wait_for_output(self, fragment, timeout):
        deadline = time.monotonic() + timeout
        while fragment not in self.output and time.monotonic() < deadline:
            self.read_output(0.1)
        return fragment in self.output

    def alive(self):
        return self.process.poll() is None

    def descriptors(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        """SIGTERM, then the exit code (SIGKILL after 20 s); -N for death by signal N."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.read_output(0)
        return self.process.returncode


def wait_until(condition, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def connect(port, timeout=10):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return sock


def read_reply(sock, timeout=10):
    """One whole SMTP reply (all its lines), or what came before the peer closed or the timeout."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = data.split(b"\r\n")
        if any(len(line) >= 4 and line[3:4] == b" " for line in lines[:-1]):
            break
        try:
            chunk = sock.recv(4096)
        except (socket.timeout, ConnectionError):
            break
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace")


def deliver(port, subject, timeout=20):
    """A whole transaction by a client that does everything right; the replies, in order."""
    replies = []
    with connect(port, timeout) as sock:
        replies.append(read_reply(sock, timeout))
        for command in ("EHLO good.example.test", "MAIL FROM:<good@example.test>", "RCPT TO:<user@inbox.test>",
                        "DATA"):
            sock.sendall(command.encode() + b"\r\n")
            replies.append(read_reply(sock, timeout))
        sock.sendall(f"Subject: {subject}\r\n\r\nwell-behaved\r\n.\r\n".encode())
        replies.append(read_reply(sock, timeout))
        sock.sendall(b"QUIT\r\n")
        replies.append(read_reply(sock, timeout))
    return replies


def http_get(port, path, timeout=10):
    """One GET on a new connection; (status, body) or (None, error text)."""
    try:
        with connect(port, timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            sock.settimeout(timeout)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as error:
        return None, str(error)
    head, _, body = data.partition(b"\r\n\r\n")
    status = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return (int(status.group(1)) if status else None), body.decode("utf-8", "replace")
