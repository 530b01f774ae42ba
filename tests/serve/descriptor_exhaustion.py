"""Issue 21 item 3: serve under a 1,024-descriptor limit survives 1,020 idle HTTP connections and
then SMTP connections past its descriptors (EMFILE at accept), and serves again once they close.

Before the fix, the first SMTP connect after the HTTP connections aborted serve (`terminate
called ... eventfd_select_interrupter: Too many open files`, exit 134): a reactor was made
lazily for the session's io_context. Usage: descriptor_exhaustion.py MAILDOG_BINARY
"""

import socket
import sys
import time

from serve_harness import Serve, check, connect, deliver, http_get, raise_own_nofile, read_reply, wait_until

NOFILE = 1024
IDLE_HTTP = 1020
EXTRA_SMTP = 700


def open_idle(port, count):
    sockets = []
    for _ in range(count):
        try:
            sockets.append(connect(port, timeout=5))
        except OSError:
            break
    return sockets


def main():
    binary = sys.argv[1]
    raise_own_nofile(IDLE_HTTP + EXTRA_SMTP + 200)
    serve = Serve(binary, nofile=NOFILE)
    idle_http = open_idle(serve.http_port, IDLE_HTTP)
    check(len(idle_http) == IDLE_HTTP, f"only {len(idle_http)} HTTP connections could be opened")
    # Each accepted connection is a descriptor in serve; let it take what it will take.
    previous = -1
    wait_until(lambda: serve.descriptors() >= 500, 15)
    for _ in range(40):
        now = serve.descriptors()
        if now == previous:
            break
        previous = now
        time.sleep(0.25)
    print(f"serve holds {serve.descriptors()} descriptors with {IDLE_HTTP} idle HTTP connections open")
    # --http-max-connections (default 512): beyond it a new connection is told 503 and closed.
    status, body = http_get(serve.http_port, "/healthz")
    check(status == 503 and '"error"' in body, f"a request past the HTTP connection cap got {status} {body!r}")

    # The probe of the issue: one SMTP connect. Greeted, and serve lives.
    with connect(serve.smtp_port) as probe:
        greeting = read_reply(probe)
    time.sleep(0.5)
    check(serve.alive(), f"serve died after one SMTP connect (exit {serve.process.poll()}):\n{serve.output[-2000:]}")
    check(greeting.startswith("220 "), f"the SMTP client was not greeted: {greeting!r}")
    replies = deliver(serve.smtp_port, "beside idle HTTP")
    check(replies[-2].startswith("250 "), f"a message was not accepted beside the idle HTTP connections: {replies}")

    # Now SMTP connections until serve is out of descriptors: accept() fails with EMFILE there.
    extra = open_idle(serve.smtp_port, EXTRA_SMTP)
    wait_until(lambda: "too many open files" in serve.output.lower() or not serve.alive(), 15)
    serve.read_output(0.5)
    check(serve.alive(), f"serve died at EMFILE (exit {serve.process.poll()}):\n{serve.output[-2000:]}")
    paused = serve.output.lower().count("too many open files")
    print(f"serve at {serve.descriptors()} descriptors after {len(extra)} more SMTP connections; "
          f"{paused} log line(s) about it")
    check(paused >= 1, "serve did not say that it ran out of descriptors:\n" + serve.output[-2000:])
    check(paused <= 2, f"serve logged EMFILE {paused} times (once per pause episode expected)")

    # Free everything: serve serves SMTP and HTTP again.
    for sock in extra + idle_http:
        sock.close()
    replies = []

    def delivered():
        nonlocal replies
        try:
            replies = deliver(serve.smtp_port, "after the storm", timeout=5)
        except OSError as error:
            replies = [str(error)]
        return len(replies) > 5 and replies[-2].startswith("250 ")

    check(wait_until(delivered, 30, step=0.5), f"no message accepted after the connections closed: {replies}")
    status, body = http_get(serve.http_port, "/healthz")
    check(status == 200, f"/healthz after the storm: {status} {body}")
    check(serve.alive(), "serve died")
    code = serve.stop()
    check(code == 0, f"serve exited {code} on SIGTERM:\n{serve.output[-2000:]}")
    print("ok: serve survived 1,020 idle HTTP connections and EMFILE at SMTP accept, and served again")


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    main()
