"""Issue 21 item 4: idle SMTP connections from 127.0.0.1 up to serve's connection limit (and past
it) do not lock out a good client from 127.0.0.1: it is served at once, the longest-idle session
having been closed with 421 4.4.2, and under stress the other idle sessions time out in seconds
(core/limits.hpp: k_stress_idle_timeout), not after the 5-minute idle timeout.

The limit is serve's default, 2,000 connections, as the issue's probe had it: parallel test
suites all connect from loopback. Before the fix every new client got 421 4.7.0 "too many
connections" until the idle ones timed out.
Usage: stress_adaptation.py MAILDOG_BINARY
"""

import sys

from serve_harness import Serve, check, connect, deliver, raise_own_nofile, read_reply, wait_until

LIMIT = 2000  # server.limits.connections' default (core/limits.hpp)
IDLE = LIMIT + 20  # past the limit: each newcomer makes room
STRESS_CLOSE_BOUND = 60  # seconds; far below the 300 s idle timeout, far above the 10 s stress one


def main():
    binary = sys.argv[1]
    raise_own_nofile(IDLE + 300)  # serve inherits it: each side holds IDLE sockets
    serve = Serve(binary)
    idle = []
    greetings = []
    for _ in range(IDLE):
        sock = connect(serve.smtp_port)
        greetings.append(read_reply(sock, timeout=10))
        idle.append(sock)
    refused = [g for g in greetings if not g.startswith("220 ")]
    check(not refused, f"{len(refused)} of {IDLE} idle connections were not greeted: {refused[:3]}")
    print(f"{IDLE} idle connections open, connection limit {LIMIT}")

    replies = deliver(serve.smtp_port, "good client under stress", timeout=20)
    print("good client:", [r.split("\r\n")[0] for r in replies])
    check(replies[0].startswith("220 "), f"the good client was not greeted: {replies[0]!r}")
    check(replies[-2].startswith("250 "), f"the good client's message was not accepted: {replies}")

    # The first idle connection was the longest idle: it made room, told why.
    first = read_reply(idle[0], timeout=10)
    check(first.startswith("421 4.4.2"), f"the longest-idle connection got {first!r}, not 421 4.4.2")

    # Under stress the rest time out in seconds, each with 421 4.4.2.
    closed_replies = []
    for sock in idle[1:]:
        closed_replies.append(read_reply(sock, timeout=STRESS_CLOSE_BOUND))
    late = [r for r in closed_replies if not r.startswith("421 4.4.2")]
    check(not late, f"{len(late)} idle connections were not closed with 421 4.4.2 within "
                    f"{STRESS_CLOSE_BOUND} s under stress: {late[:3]}")
    for sock in idle:
        sock.close()
    check(wait_until(lambda: deliver(serve.smtp_port, "after")[-2].startswith("250 "), 20, step=0.5),
          "no message accepted after the stress")
    check(serve.stop() == 0, "serve did not exit cleanly:\n" + serve.output[-2000:])
    print("ok: a good client was served beside idle connections at the limit; the idle ones were closed 421 4.4.2")


if __name__ == "__main__":
    main()
