#!/usr/bin/python3
"""How long a test using the pytest fixture spends on mail: sandbox create (POST
/api/v1/sandboxes), one smtplib send, wait_for (GET /api/v1/.../wait), delete. Prints the median
and p90 of N round trips (default 100) against one serve, as the `maildog` fixture runs them.

Usage: /usr/bin/python3 bench/fixture_roundtrip.py [--binary PATH] [--count N]
(binary: --binary, else MAILDOG_CI, else maildog-ci on PATH; the package is imported from
clients/python/src, so no install is needed.)
"""
import argparse
import os
import smtplib
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients", "python", "src"))

from maildog import Server  # noqa: E402  (after the path above)


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", help="maildog-ci executable (default: MAILDOG_CI, else PATH)")
    parser.add_argument("--count", type=int, default=100, help="round trips to time (default 100)")
    options = parser.parse_args()
    phases = {"create": [], "send": [], "wait": [], "delete": [], "total": []}
    body = b"From: app@sender.test\r\nTo: user@inbox.test\r\nSubject: round trip\r\n\r\nhello\r\n"
    with Server.start(options.binary) as server:
        print(f"maildog-ci {server.version}, serve pid {server.pid}, {options.count} round trips")
        for index in range(options.count + 1):
            start = time.perf_counter()
            box = server.sandbox(name=f"round trip {index}")
            created = time.perf_counter()
            with smtplib.SMTP(box.host, box.port, timeout=10) as client:
                client.sendmail("app@sender.test", ["user@inbox.test"], body)
            sent = time.perf_counter()
            box.wait_for(to="user@inbox.test", subject="round trip", timeout=10)
            waited = time.perf_counter()
            box.delete()
            deleted = time.perf_counter()
            if index == 0:
                continue  # the first one warms the page cache and the imports
            for name, seconds in (("create", created - start), ("send", sent - created), ("wait", waited - sent),
                                  ("delete", deleted - waited), ("total", deleted - start)):
                phases[name].append(seconds * 1000.0)
    print(f"{'phase':<8} {'median ms':>10} {'p90 ms':>10}")
    for name, values in phases.items():
        print(f"{name:<8} {statistics.median(values):>10.2f} {percentile(values, 0.9):>10.2f}")


if __name__ == "__main__":
    main()
